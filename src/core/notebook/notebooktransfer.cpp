#include "core/notebook/notebooktransfer.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/notebook/database.h"
#include "core/notebook/notebook.h"

namespace tempo::notebook {

namespace {

bool fileExists(const std::string& path)
{
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0;
}

bool sameFile(const std::string& a, const std::string& b)
{
    struct stat infoA {}, infoB {};
    return ::stat(a.c_str(), &infoA) == 0 && ::stat(b.c_str(), &infoB) == 0 && infoA.st_dev == infoB.st_dev &&
           infoA.st_ino == infoB.st_ino;
}

std::string shortUuid(const std::string& uuid) { return uuid.substr(0, 8); }

// A group's comparison names its runs by id (isolated and visible run): ids change in a transfer.
GroupComparison remapComparisonRuns(GroupComparison comparison, const std::map<std::int64_t, std::int64_t>& runIds)
{
    for (std::optional<std::int64_t>* runId : {&comparison.isolatedRunId, &comparison.visibleRunId}) {
        if (!*runId)
            continue;
        auto mapped = runIds.find(**runId);
        if (mapped != runIds.end())
            *runId = mapped->second;
    }
    return comparison;
}

// A sweep point names its run's group by id ({"group_id": 7, ...}): ids change in a transfer.
std::string remapPointGroup(const std::string& pointJson, const std::map<std::int64_t, std::int64_t>& groupIds)
{
    nlohmann::json point = nlohmann::json::parse(pointJson, nullptr, false);
    if (!point.is_object() || !point.contains("group_id") || !point["group_id"].is_number_integer())
        return pointJson;
    auto mapped = groupIds.find(point["group_id"].get<std::int64_t>());
    if (mapped == groupIds.end())
        point.erase("group_id"); // the group was not transferred
    else
        point["group_id"] = mapped->second;
    return point.dump();
}

// A report belongs to exactly one of a run, a group or a sweep: the destination's id of it.
struct ReportSubject {
    std::optional<std::int64_t> runId;
    std::optional<std::int64_t> groupId;
    std::optional<std::int64_t> sweepId;
    std::optional<std::int64_t> studyId;
};

void copyReport(const Notebook& source, Notebook& destination, std::int64_t reportId, const ReportSubject& subject)
{
    auto report = source.reports().find(reportId);
    if (!report)
        return;
    report->runId = subject.runId;
    report->groupId = subject.groupId;
    report->sweepId = subject.sweepId;
    report->studyId = subject.studyId;
    destination.reports().add(*report);
}

void copyRun(const Notebook& source, Notebook& destination, std::int64_t sourceRunId, TransferResult& result)
{
    auto run = source.runs().find(sourceRunId);
    if (!run)
        throw InvalidArgument("notebook '" + source.path() + "': " +
                              expectedFound("run id", "an existing run", std::to_string(sourceRunId)));
    if (auto existing = destination.runs().findByUuid(run->uuid)) {
        result.runIds[sourceRunId] = *existing;
        ++result.runsSkipped;
        result.messages.push_back("run " + run->uuid + " (id " + std::to_string(sourceRunId) + " in '" +
                                  source.path() + "') is already in '" + destination.path() + "' as id " +
                                  std::to_string(*existing) + "; skipped");
        return;
    }
    Transaction transaction(destination.database());
    if (run->modelId) {
        auto model = source.models().find(*run->modelId);
        run->modelId = model ? std::optional<std::int64_t>(destination.models().upsert(*model)) : std::nullopt;
    }
    if (!run->presetId.empty() && !destination.presets().find(run->presetId)) {
        if (auto preset = source.presets().find(run->presetId))
            destination.presets().upsert(*preset);
    }
    if (run->status == RunStatus::Running) {
        // Its writer keeps writing the source, not this copy: the copy will never finish.
        run->status = RunStatus::Interrupted;
        if (run->errorText.empty())
            run->errorText = "interrupted: copied from '" + source.path() + "' while still running";
        result.messages.push_back("run " + run->uuid + " was still running in the source; copied as interrupted");
    }
    const std::int64_t runId = destination.runs().create(*run);
    for (const StepRecord& step : source.steps().ofRun(sourceRunId))
        destination.steps().append(runId, step);
    destination.checks().record(runId, source.checks().ofRun(sourceRunId));
    destination.metrics().record(runId, source.metrics().ofRun(sourceRunId));
    // One tensor at a time: captures can be large, the copy never holds more than one in memory.
    for (const TensorInfo& info : source.tensors().infosOfRun(sourceRunId))
        destination.tensors().add(runId, {source.tensors().load(info.id)});
    for (const NoteRecord& note : source.notes().ofRun(sourceRunId))
        destination.notes().add(runId, note);
    for (const std::string& tag : source.tags().ofRun(sourceRunId))
        destination.tags().add(runId, tag);
    for (std::int64_t reportId : source.reports().ofRun(sourceRunId))
        copyReport(source, destination, reportId, {runId, std::nullopt, std::nullopt, std::nullopt});
    transaction.commit();
    result.runIds[sourceRunId] = runId;
    ++result.runsCopied;
}

void copyGroup(const Notebook& source, Notebook& destination, std::int64_t sourceGroupId, TransferResult& result)
{
    auto group = source.groups().find(sourceGroupId);
    if (!group)
        return;
    if (auto existing = destination.groups().findByUuid(group->uuid)) {
        result.groupIds[sourceGroupId] = *existing;
        ++result.groupsSkipped;
        result.messages.push_back("group " + group->uuid + " (" + group->kind + ") is already in '" +
                                  destination.path() + "' as id " + std::to_string(*existing) + "; skipped");
        return;
    }
    std::vector<std::int64_t> members;
    for (std::int64_t runId : group->runIds) {
        auto mapped = result.runIds.find(runId);
        if (mapped != result.runIds.end())
            members.push_back(mapped->second);
        else
            result.messages.push_back("group " + shortUuid(group->uuid) + ": member run id " + std::to_string(runId) +
                                      " was not transferred; left out of the group");
    }
    Transaction transaction(destination.database());
    group->runIds = members;
    group->comparison = remapComparisonRuns(group->comparison, result.runIds);
    const std::int64_t groupId = destination.groups().create(*group);
    for (std::int64_t reportId : source.reports().ofGroup(sourceGroupId))
        copyReport(source, destination, reportId, {std::nullopt, groupId, std::nullopt, std::nullopt});
    transaction.commit();
    result.groupIds[sourceGroupId] = groupId;
    ++result.groupsCopied;
}

void copySweep(const Notebook& source, Notebook& destination, std::int64_t sourceSweepId, TransferResult& result)
{
    auto sweep = source.sweeps().find(sourceSweepId);
    if (!sweep)
        return;
    std::vector<std::pair<std::int64_t, std::string>> runs;
    for (const auto& [runId, point] : sweep->runs) {
        auto mapped = result.runIds.find(runId);
        if (mapped != result.runIds.end())
            runs.emplace_back(mapped->second, remapPointGroup(point, result.groupIds));
    }
    if (auto existing = destination.sweeps().findByUuid(sweep->uuid)) {
        result.sweepIds[sourceSweepId] = *existing;
        // Another shard of the same sweep (or the same sweep merged again): add what is missing.
        std::set<std::int64_t> present;
        const auto existingSweep = destination.sweeps().find(*existing);
        for (const auto& entry : existingSweep->runs)
            present.insert(entry.first);
        int added = 0;
        Transaction transaction(destination.database());
        for (const auto& [runId, point] : runs)
            if (!present.count(runId)) {
                destination.sweeps().addRun(*existing, runId, point);
                ++added;
            }
        transaction.commit();
        if (added == 0) {
            ++result.sweepsSkipped;
            result.messages.push_back("sweep " + sweep->uuid + " is already in '" + destination.path() + "' as id " +
                                      std::to_string(*existing) + "; skipped");
            return;
        }
        ++result.sweepsExtended;
        result.sweepsChanged.push_back(*existing);
        result.messages.push_back("sweep " + sweep->uuid + " (id " + std::to_string(*existing) + ") gained " +
                                  std::to_string(added) + " run(s)");
        return;
    }
    sweep->runs = runs;
    const std::int64_t sweepId = destination.sweeps().create(*sweep);
    result.sweepIds[sourceSweepId] = sweepId;
    // Its reports travel with it (a shard's report describes that shard when it was written).
    for (std::int64_t reportId : source.reports().ofSweep(sourceSweepId))
        copyReport(source, destination, reportId, {std::nullopt, std::nullopt, sweepId, std::nullopt});
    result.sweepsChanged.push_back(sweepId);
    ++result.sweepsCopied;
}

// A study travels with the sweeps of it that were transferred. A study already in the destination
// (same UUID) gains the sweeps it lacks. A study copied while 'running' arrives 'interrupted': the
// process running it writes the source, not the destination.
void copyStudy(const Notebook& source, Notebook& destination, std::int64_t sourceStudyId, TransferResult& result)
{
    auto study = source.studies().find(sourceStudyId);
    if (!study)
        return;
    std::vector<StudySweep> sweeps;
    for (StudySweep sweep : source.studies().sweepsOf(sourceStudyId)) {
        auto mapped = result.sweepIds.find(sweep.sweepId);
        if (mapped == result.sweepIds.end())
            continue;
        sweep.sweepId = mapped->second;
        sweeps.push_back(sweep);
    }
    Transaction transaction(destination.database());
    if (auto existing = destination.studies().findByUuid(study->uuid)) {
        for (const StudySweep& sweep : sweeps)
            destination.studies().addSweep(*existing, sweep);
        transaction.commit();
        ++result.studiesSkipped;
        result.messages.push_back("study " + study->uuid + " is already in '" + destination.path() + "' as id " +
                                  std::to_string(*existing) + "; its sweeps were linked, nothing else copied");
        return;
    }
    if (study->status == StudyStatus::Running)
        study->status = StudyStatus::Interrupted;
    const std::int64_t studyId = destination.studies().create(*study);
    for (const StudySweep& sweep : sweeps)
        destination.studies().addSweep(studyId, sweep);
    for (std::int64_t reportId : source.reports().ofStudy(sourceStudyId))
        copyReport(source, destination, reportId, {std::nullopt, std::nullopt, std::nullopt, studyId});
    transaction.commit();
    ++result.studiesCopied;
}

// Groups (or sweeps) whose every member is among the transferred runs.
template <typename MemberIds>
bool allMembersTransferred(const MemberIds& memberIds, const std::set<std::int64_t>& runs)
{
    for (std::int64_t id : memberIds)
        if (!runs.count(id))
            return false;
    return true;
}

TransferResult exportTo(const Notebook& source, const std::vector<std::int64_t>& runIds,
                        const std::vector<std::int64_t>& groupIds, const std::string& outPath)
{
    if (fileExists(outPath))
        throw InvalidArgument(expectedFound("export file '" + outPath + "'", "a new file", "an existing file") +
                              "; choose another name, nothing is overwritten");
    // Written under a temporary name and renamed when complete, so a failed export never leaves
    // a half-written notebook under the name the user asked for.
    const std::string partial = outPath + ".partial";
    if (fileExists(partial))
        throw InvalidArgument(expectedFound("temporary export file '" + partial + "'", "absent", "an existing file") +
                              "; remove it (a previous export was interrupted) and retry");
    TransferResult result;
    try {
        {
            Notebook destination(partial, OpenMode::ReadWrite);
            for (std::int64_t runId : runIds)
                copyRun(source, destination, runId, result);
            const std::set<std::int64_t> transferred(runIds.begin(), runIds.end());
            std::set<std::int64_t> groups(groupIds.begin(), groupIds.end());
            for (std::int64_t runId : runIds)
                for (std::int64_t groupId : source.groups().ofRun(runId))
                    if (auto group = source.groups().find(groupId); group && allMembersTransferred(group->runIds, transferred))
                        groups.insert(groupId);
            for (std::int64_t groupId : groups)
                copyGroup(source, destination, groupId, result);
            for (std::int64_t sweepId : source.sweeps().all()) {
                auto sweep = source.sweeps().find(sweepId);
                std::vector<std::int64_t> members;
                for (const auto& entry : sweep->runs)
                    members.push_back(entry.first);
                if (!members.empty() && allMembersTransferred(members, transferred))
                    copySweep(source, destination, sweepId, result);
            }
            for (std::int64_t studyId : source.studies().all()) {
                const auto sweeps = source.studies().sweepsOf(studyId);
                bool allSweeps = !sweeps.empty();
                for (const StudySweep& sweep : sweeps)
                    allSweeps = allSweeps && result.sweepIds.count(sweep.sweepId) > 0;
                if (allSweeps)
                    copyStudy(source, destination, studyId, result);
            }
            destination.database().exec("PRAGMA wal_checkpoint(TRUNCATE)");
        } // closing the last connection folds the WAL into the file and removes -wal and -shm
        if (fileExists(outPath))
            throw InvalidArgument(expectedFound("export file '" + outPath + "'", "a new file",
                                                "a file that appeared during the export"));
        if (std::rename(partial.c_str(), outPath.c_str()) != 0)
            throw NotebookError(expectedFound("renaming '" + partial + "' to '" + outPath + "'", "success", "a failure"));
    } catch (...) {
        for (const char* suffix : {"", "-wal", "-shm"})
            std::remove((partial + suffix).c_str());
        throw;
    }
    return result;
}

} // namespace

TransferResult exportRuns(const Notebook& source, const std::vector<std::int64_t>& runIds, const std::string& outPath)
{
    return exportTo(source, runIds, {}, outPath);
}

TransferResult exportGroup(const Notebook& source, std::int64_t groupId, const std::string& outPath)
{
    auto group = source.groups().find(groupId);
    if (!group)
        throw InvalidArgument("notebook '" + source.path() + "': " +
                              expectedFound("group id", "an existing group", std::to_string(groupId)));
    return exportTo(source, group->runIds, {groupId}, outPath);
}

TransferResult mergeNotebook(Notebook& destination, const std::string& sourcePath)
{
    if (sameFile(sourcePath, destination.path()))
        throw InvalidArgument(expectedFound("notebook to merge '" + sourcePath + "'", "another notebook",
                                            "the destination itself"));
    const Notebook source(sourcePath, OpenMode::ReadOnly);
    TransferResult result;
    // Oldest first, so the destination's ids follow the source's order.
    std::vector<std::int64_t> runIds;
    for (const RunSummary& run : source.runs().list(RunQuery{"", "", std::nullopt, -1, 0}))
        runIds.push_back(run.id);
    std::reverse(runIds.begin(), runIds.end());
    for (std::int64_t runId : runIds)
        copyRun(source, destination, runId, result);
    for (std::int64_t groupId : source.groups().all())
        copyGroup(source, destination, groupId, result);
    for (std::int64_t sweepId : source.sweeps().all())
        copySweep(source, destination, sweepId, result);
    for (std::int64_t studyId : source.studies().all())
        copyStudy(source, destination, studyId, result);
    return result;
}

} // namespace tempo::notebook
