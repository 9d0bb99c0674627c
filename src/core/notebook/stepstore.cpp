// StepStore: appending a step with its members and tensors, reading a run's steps.

#include "core/notebook/stepstore.h"

#include "core/common/errors.h"
#include "core/notebook/database.h"
#include "core/notebook/notebookrows.h"

namespace tempo::notebook {

namespace {

void validateStepMembers(const StepRecord& step)
{
    const std::size_t width = step.tokenIds.size();
    if (step.physicalSlots.size() != width || step.probabilities.size() != width ||
        (!step.tokens.empty() && step.tokens.size() != width))
        throw InvalidArgument(expectedFound("step " + std::to_string(step.step) + " members",
                                            "as many slots, probabilities and tokens as token ids (" +
                                                std::to_string(width) + ")",
                                            std::to_string(step.physicalSlots.size()) + " slots, " +
                                                std::to_string(step.probabilities.size()) + " probabilities, " +
                                                std::to_string(step.tokens.size()) + " tokens"));
}

// Inside the caller's transaction: the step row and its members.
void insertStepRows(Database& database, std::int64_t runId, const StepRecord& step)
{
    Statement insertStep = database.prepare(
        "INSERT INTO steps (run_id, step, logical_position, elapsed_ms) VALUES (?1, ?2, ?3, ?4)");
    insertStep.bind(1, runId).bind(2, step.step).bind(3, step.logicalPosition).bind(4, step.elapsedMs);
    insertStep.run();
    const std::int64_t stepId = database.lastInsertId();
    Statement insertMember = database.prepare(
        "INSERT INTO step_members (step_id, member, token_id, token_text, probability, physical_slot)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    for (std::size_t m = 0; m < step.tokenIds.size(); ++m) {
        insertMember.reset();
        insertMember.bind(1, stepId)
            .bind(2, static_cast<std::int64_t>(m))
            .bind(3, step.tokenIds[m])
            .bind(4, step.tokens.empty() ? std::string() : step.tokens[m])
            .bind(5, step.probabilities[m])
            .bind(6, step.physicalSlots[m]);
        insertMember.run();
    }
}

} // namespace

void StepStore::append(std::int64_t runId, const StepRecord& step, const std::vector<TensorBlob>& tensors)
{
    requireWritable("appending a step");
    validateStepMembers(step);
    for (const TensorBlob& blob : tensors)
        blob.validate();
    Transaction transaction(database());
    requireRunExists(runId);
    insertStepRows(database(), runId, step);
    insertTensorRows(database(), runId, tensors, step.step, nullptr);
    transaction.commit();
}

void StepStore::appendMany(std::int64_t runId, const std::vector<StepRecord>& steps)
{
    if (steps.empty())
        return;
    requireWritable("appending steps");
    for (const StepRecord& step : steps)
        validateStepMembers(step);
    Transaction transaction(database());
    requireRunExists(runId);
    for (const StepRecord& step : steps)
        insertStepRows(database(), runId, step);
    transaction.commit();
}

std::vector<StepRecord> StepStore::ofRun(std::int64_t runId) const
{
    Statement query = database().prepare(
        "SELECT s.step, s.logical_position, s.elapsed_ms, m.token_id, m.token_text, m.probability, m.physical_slot"
        " FROM steps s LEFT JOIN step_members m ON m.step_id = s.id WHERE s.run_id = ?1 ORDER BY s.step, m.member");
    query.bind(1, runId);
    std::vector<StepRecord> steps;
    while (query.step()) {
        int index = query.integer(0);
        if (steps.empty() || steps.back().step != index) {
            StepRecord step;
            step.step = index;
            step.logicalPosition = query.integer(1);
            step.elapsedMs = query.real(2);
            steps.push_back(std::move(step));
        }
        if (query.isNull(3))
            continue; // a step without members
        StepRecord& step = steps.back();
        step.tokenIds.push_back(query.int64(3));
        step.tokens.push_back(query.text(4));
        // NULL: a NaN probability (SQLite stores a bound NaN as NULL; db/0004).
        step.probabilities.push_back(query.realOrNaN(5));
        step.physicalSlots.push_back(query.int64(6));
    }
    return steps;
}

} // namespace tempo::notebook
