// A set member whose probability is NaN (weights that give NaN logits) is recorded: SQLite stores
// a bound NaN as NULL, which schema version 4 allows, and Notebook::steps reads it back as NaN.
// Before, "NOT NULL constraint failed: step_members.probability" lost the run and its failed
// `finite` check.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/notebook/database.h"
#include "core/notebook/notebook.h"
#include "notebookfixtures.h"
#include "support/testsupport.h"

namespace tempo::notebook {
namespace {

TEST(NotebookNanProbability, IsStoredAsNullAndReadBackAsNan)
{
    test::TempDir dir;
    Notebook notebook((dir / "nan.sqlite").string());
    const std::int64_t runId = notebook.runs().create(testing::sampleRun("nan weights"));
    StepRecord step = testing::sampleStep(1); // two members
    ASSERT_EQ(step.probabilities.size(), 2u);
    step.probabilities[0] = std::numeric_limits<double>::quiet_NaN();
    notebook.steps().append(runId, step);
    EXPECT_EQ(notebook.database().queryInt("SELECT count(*) FROM step_members WHERE probability IS NULL"), 1);

    const auto steps = notebook.steps().ofRun(runId);
    ASSERT_EQ(steps.size(), 1u);
    ASSERT_EQ(steps[0].probabilities.size(), 2u);
    EXPECT_TRUE(std::isnan(steps[0].probabilities[0]));
    EXPECT_EQ(steps[0].probabilities[1], step.probabilities[1]);
    EXPECT_EQ(steps[0].tokenIds, step.tokenIds);
}

} // namespace
} // namespace tempo::notebook
