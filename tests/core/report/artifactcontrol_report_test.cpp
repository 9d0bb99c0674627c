// Reports of artifact-control runs (TempoConfig::mechanism): a group of the control and a single
// control run are labelled a control in the title, provenance, executive summary and scenario
// analysis, and their verdict is "control (artifact): not a TEMPO result", never a scenario. The
// same preset under the real mechanism carries none of it.

#include <gtest/gtest.h>

#include <string>

#include "core/experiment/experimentrunner.h"
#include "core/experiment/presetcatalog.h"
#include "core/report/reportbuilder.h"
#include "core/report/reportdata.h"
#include "core/experiment/experimentfixture.h"

namespace tempo::test {
namespace {

using report::SubjectKind;

constexpr const char* kControlLabelText = "CONTROL: artifact (original method)";

ExperimentResult runPreset2(notebook::Notebook& book, ModelCache& cache, Mechanism mechanism)
{
    CatalogEntry entry = findPreset("2", &book.presets());
    entry.preset = applyOverrides(entry.preset, {"max_steps=4", "threshold=0.05"});
    entry.preset.mechanism = mechanism;
    ComputeOptions options;
    options.threads = 1;
    ExperimentRunner runner(book, cache);
    return runner.run({entry, peakedModelFolder(), options});
}

std::string sectionOf(const std::string& markdown, const std::string& heading)
{
    const auto start = markdown.find(heading + "\n");
    if (start == std::string::npos)
        return "";
    const auto end = markdown.find("\n## ", start + heading.size());
    return markdown.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

class ArtifactControlReport : public ExperimentTest {};

TEST_F(ArtifactControlReport, GroupAndRunReportsSayControlAndNeverAScenario)
{
    const ExperimentResult control = runPreset2(book(), cache_, Mechanism::ArtifactControl);
    ASSERT_TRUE(control.groupId);
    ASSERT_TRUE(control.verdict);
    EXPECT_EQ(control.verdict->scenario, Scenario::Control);
    const VerdictCriterion* identical = control.verdict->criterion("identical");
    ASSERT_NE(identical, nullptr);
    EXPECT_TRUE(identical->met) << "the control's isolated and visible readouts are identical";

    const std::string group = report::buildMarkdown(report::loadReportData(book(), {SubjectKind::Group, *control.groupId}));
    const std::string title = group.substr(0, group.find('\n'));
    EXPECT_NE(title.find(kControlLabelText), std::string::npos) << title;
    EXPECT_NE(group.find(std::string("| Mechanism | ") + kControlLabelText), std::string::npos);
    const std::string summary = sectionOf(group, "## Executive summary");
    EXPECT_NE(summary.find(std::string("**") + kControlLabelText + ".**"), std::string::npos) << summary;
    EXPECT_NE(summary.find("**Verdict: control (artifact): not a TEMPO result.**"), std::string::npos) << summary;
    EXPECT_NE(summary.find("artifact control: only the last member of each set reached the model"), std::string::npos);
    const std::string scenarios = sectionOf(group, "## Scenario analysis");
    EXPECT_NE(scenarios.find("**Not a scenario, control (artifact): not a TEMPO result:**"), std::string::npos) << scenarios;
    EXPECT_EQ(scenarios.find("Decided: scenario"), std::string::npos) << scenarios;

    const std::string run = report::buildMarkdown(report::loadReportData(book(), {SubjectKind::Run, control.runIds.front()}));
    EXPECT_NE(run.substr(0, run.find('\n')).find(kControlLabelText), std::string::npos);
    EXPECT_NE(run.find("run " + std::to_string(control.runIds.front()) + " (isolated, " + kControlLabelText + ")"), std::string::npos);

    // The real mechanism beside it: no label anywhere, a scenario or inconclusive verdict.
    const ExperimentResult tempo = runPreset2(book(), cache_, Mechanism::Tempo);
    ASSERT_TRUE(tempo.groupId && tempo.verdict);
    EXPECT_NE(tempo.verdict->scenario, Scenario::Control);
    const std::string tempoGroup = report::buildMarkdown(report::loadReportData(book(), {SubjectKind::Group, *tempo.groupId}));
    EXPECT_EQ(tempoGroup.find("CONTROL"), std::string::npos);
    EXPECT_EQ(tempoGroup.find("artifact control"), std::string::npos);
}

} // namespace
} // namespace tempo::test
