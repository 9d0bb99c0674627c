// Moving runs: export -> import round trip, merge with overlapping runs, group export.

#include <gtest/gtest.h>

#include <filesystem>

#include "core/common/errors.h"
#include "core/notebook/notebook.h"
#include "core/notebook/notebooktransfer.h"
#include "notebookfixtures.h"
#include "support/testsupport.h"

namespace tempo::notebook {
namespace {

TEST(NotebookTransfer, ExportedRunImportsEqualWithRemappedIds)
{
    test::TempDir dir;
    Notebook server((dir / "server.sqlite").string());
    testing::writeFullRun(server, "an unrelated first run");
    const std::int64_t runId = testing::writeFullRun(server, "The cat sat on the", 6);
    const std::string exported = (dir / "one-run.sqlite").string();

    TransferResult out = exportRuns(server, {runId}, exported);
    EXPECT_EQ(out.runsCopied, 1);
    EXPECT_FALSE(std::filesystem::exists(exported + ".partial"));
    {
        Notebook file(exported, OpenMode::ReadOnly);
        ASSERT_EQ(file.runs().count(), 1) << "a standalone file with just that run";
        testing::expectSameRun(server, runId, file, file.runs().list({})[0].id);
    }

    Notebook home((dir / "home.sqlite").string());
    for (int i = 0; i < 3; ++i)
        home.runs().create(testing::sampleRun("home run " + std::to_string(i)));
    TransferResult in = mergeNotebook(home, exported);
    EXPECT_EQ(in.runsCopied, 1);
    EXPECT_EQ(in.runsSkipped, 0);
    ASSERT_EQ(in.runIds.size(), 1u);
    const std::int64_t homeId = in.runIds.begin()->second;
    EXPECT_NE(homeId, runId) << "ids are remapped";
    testing::expectSameRun(server, runId, home, homeId);
    EXPECT_EQ(home.presets().find("1a")->name, "attention, isolated") << "the preset row travels with the run";
    EXPECT_EQ(home.runs().list({"cat", "", std::nullopt, 100, 0}).size(), 1u) << "imported runs are searchable";

    // Importing the same file again finds the duplicate by UUID.
    TransferResult again = mergeNotebook(home, exported);
    EXPECT_EQ(again.runsCopied, 0);
    EXPECT_EQ(again.runsSkipped, 1);
    ASSERT_EQ(again.messages.size(), 1u);
    EXPECT_NE(again.messages[0].find(server.runs().find(runId)->uuid), std::string::npos) << again.messages[0];
    EXPECT_NE(again.messages[0].find("skipped"), std::string::npos);
    EXPECT_EQ(home.runs().count(), 4);
}

TEST(NotebookTransfer, ExportNeverOverwritesAFile)
{
    test::TempDir dir;
    Notebook notebook((dir / "n.sqlite").string());
    const std::int64_t runId = testing::writeFullRun(notebook, "p");
    const auto target = dir / "taken.sqlite";
    test::writeFileBytes(target, "precious");
    EXPECT_THROW(exportRuns(notebook, {runId}, target.string()), InvalidArgument);
    EXPECT_EQ(test::readFileBytes(target), "precious");
    EXPECT_THROW(exportRuns(notebook, {runId + 99}, (dir / "x.sqlite").string()), InvalidArgument);
    EXPECT_FALSE(std::filesystem::exists(dir / "x.sqlite")) << "a failed export leaves no file";
    EXPECT_FALSE(std::filesystem::exists(dir / "x.sqlite.partial"));
}

// A laptop notebook and a cluster notebook that share one run (imported earlier), each with runs of
// its own and the cluster with a mode-pair group over the shared run and one of its own.
TEST(NotebookTransfer, MergeWithOverlappingRunsSkipsDuplicatesAndRemapsGroups)
{
    test::TempDir dir;
    const std::string laptopPath = (dir / "laptop.sqlite").string(), clusterPath = (dir / "cluster.sqlite").string();
    Notebook laptop(laptopPath);
    const std::int64_t shared = testing::writeFullRun(laptop, "shared run");
    const std::int64_t laptopOnly = testing::writeFullRun(laptop, "laptop only");
    std::string sharedUuid = laptop.runs().find(shared)->uuid;
    std::string clusterOnlyUuid;
    {
        Notebook cluster(clusterPath);
        testing::writeFullRun(cluster, "cluster first");
        const std::string handoff = (dir / "handoff.sqlite").string();
        exportRuns(laptop, {shared}, handoff);
        const std::int64_t sharedInCluster = mergeNotebook(cluster, handoff).runIds.begin()->second;
        const std::int64_t clusterOnly = testing::writeFullRun(cluster, "cluster second visible");
        clusterOnlyUuid = cluster.runs().find(clusterOnly)->uuid;
        RunGroupRecord pair;
        pair.kind = "mode-pair";
        pair.comparison.presetId = "2";
        pair.comparison.isolatedRunId = sharedInCluster;
        pair.comparison.visibleRunId = clusterOnly;
        pair.comparison.metrics = AnalysisMetrics{{"distribution.kl_ab", 0.0, 0}};
        pair.runIds = {sharedInCluster, clusterOnly};
        const std::int64_t groupId = cluster.groups().create(pair);
        ReportRecord report;
        report.groupId = groupId;
        report.markdown = "pair report";
        cluster.reports().add(report);
    }
    const std::string clusterBefore = test::readFileBytes(clusterPath);

    TransferResult result = mergeNotebook(laptop, clusterPath);
    EXPECT_EQ(result.runsCopied, 2) << "cluster first, cluster second";
    EXPECT_EQ(result.runsSkipped, 1) << "the shared run";
    EXPECT_EQ(result.groupsCopied, 1);
    bool mentionsShared = false;
    for (const auto& message : result.messages)
        mentionsShared = mentionsShared || (message.find(sharedUuid) != std::string::npos &&
                                            message.find("skipped") != std::string::npos);
    EXPECT_TRUE(mentionsShared);
    EXPECT_EQ(laptop.runs().count(), 4);
    EXPECT_EQ(test::readFileBytes(clusterPath), clusterBefore) << "merge reads its source only";

    // The group now points at the laptop's own copy of the shared run and the new copy of the other.
    auto groups = laptop.groups().ofRun(shared);
    ASSERT_EQ(groups.size(), 1u);
    auto group = laptop.groups().find(groups[0]);
    ASSERT_EQ(group->runIds.size(), 2u);
    EXPECT_EQ(group->runIds[0], shared);
    EXPECT_EQ(group->runIds[1], *laptop.runs().findByUuid(clusterOnlyUuid));
    // The comparison names the runs by their ids in this notebook.
    EXPECT_EQ(group->comparison.presetId, "2");
    EXPECT_EQ(group->comparison.isolatedRunId, std::optional<std::int64_t>(shared));
    EXPECT_EQ(group->comparison.visibleRunId, laptop.runs().findByUuid(clusterOnlyUuid));
    EXPECT_TRUE(group->comparison.metrics == (AnalysisMetrics{{"distribution.kl_ab", 0.0, 0}}));
    EXPECT_EQ(laptop.reports().ofGroup(group->id).size(), 1u);
    EXPECT_EQ(laptop.tags().ofRun(laptopOnly), (std::vector<std::string>{"baseline", "cpu"})) << "own runs untouched";
    {
        Notebook cluster(clusterPath, OpenMode::ReadOnly);
        testing::expectSameRun(cluster, *cluster.runs().findByUuid(clusterOnlyUuid), laptop, *laptop.runs().findByUuid(clusterOnlyUuid));
    }

    TransferResult twice = mergeNotebook(laptop, clusterPath);
    EXPECT_EQ(twice.runsCopied, 0);
    EXPECT_EQ(twice.runsSkipped, 3);
    EXPECT_EQ(twice.groupsSkipped, 1);
    EXPECT_EQ(laptop.runs().count(), 4);
    EXPECT_THROW(mergeNotebook(laptop, laptopPath), InvalidArgument) << "a notebook into itself";
}

TEST(NotebookTransfer, GroupExportCarriesItsRunsAndComparison)
{
    test::TempDir dir;
    Notebook notebook((dir / "n.sqlite").string());
    const std::int64_t a = testing::writeFullRun(notebook, "isolated");
    const std::int64_t b = testing::writeFullRun(notebook, "visible");
    testing::writeFullRun(notebook, "not in the group");
    RunGroupRecord pair;
    pair.kind = "mode-pair";
    pair.comparison.isolatedRunId = a;
    pair.comparison.visibleRunId = b;
    pair.comparison.metrics = AnalysisMetrics{{"distribution.mean_js", 0.5}};
    pair.runIds = {a, b};
    const std::int64_t groupId = notebook.groups().create(pair);
    const std::string out = (dir / "pair.sqlite").string();
    TransferResult result = exportGroup(notebook, groupId, out);
    EXPECT_EQ(result.runsCopied, 2);
    EXPECT_EQ(result.groupsCopied, 1);
    Notebook file(out, OpenMode::ReadOnly);
    EXPECT_EQ(file.runs().count(), 2);
    ASSERT_EQ(file.groups().all().size(), 1u);
    auto group = file.groups().find(file.groups().all()[0]);
    EXPECT_EQ(group->uuid, notebook.groups().find(groupId)->uuid);
    ASSERT_EQ(group->runIds.size(), 2u);
    EXPECT_EQ(group->comparison.isolatedRunId, std::optional<std::int64_t>(group->runIds[0]));
    EXPECT_EQ(group->comparison.visibleRunId, std::optional<std::int64_t>(group->runIds[1]));
    EXPECT_TRUE(group->comparison.metrics == (AnalysisMetrics{{"distribution.mean_js", 0.5}}));
    testing::expectSameRun(notebook, a, file, group->runIds[0]);
    testing::expectSameRun(notebook, b, file, group->runIds[1]);
}

TEST(NotebookTransfer, SweepReportsTravelWithTheirSweep)
{
    test::TempDir dir;
    const std::string clusterPath = (dir / "cluster.sqlite").string();
    std::int64_t firstRun = 0;
    const std::vector<std::uint8_t> png = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3};
    {
        Notebook cluster(clusterPath);
        firstRun = testing::writeFullRun(cluster, "The cat sat on the");
        const std::int64_t secondRun = testing::writeFullRun(cluster, "When the storm finally passed");
        SweepRecord sweep;
        sweep.name = "threshold sweep";
        sweep.runs = {{firstRun, R"({"threshold":0.1})"}, {secondRun, R"({"threshold":0.2})"}};
        const std::int64_t sweepId = cluster.sweeps().create(sweep);
        ReportRecord sweepReport;
        sweepReport.sweepId = sweepId;
        sweepReport.title = "Sweep findings";
        sweepReport.markdown = "# Sweep findings\n\n![width](width.png)\n";
        sweepReport.images["width.png"] = png;
        cluster.reports().add(sweepReport);
        ReportRecord runReport; // a report of one of its runs, to see the subjects stay apart
        runReport.runId = firstRun;
        runReport.title = "Run findings";
        runReport.markdown = "# Run findings\n";
        cluster.reports().add(runReport);
    }

    Notebook home((dir / "home.sqlite").string());
    home.runs().create(testing::sampleRun("a home run first, so ids differ"));
    const TransferResult merged = mergeNotebook(home, clusterPath);
    EXPECT_EQ(merged.sweepsCopied, 1);
    ASSERT_EQ(merged.sweepsChanged.size(), 1u);
    const std::int64_t homeSweep = merged.sweepsChanged[0];
    const std::vector<std::int64_t> sweepReports = home.reports().ofSweep(homeSweep);
    ASSERT_EQ(sweepReports.size(), 1u) << "the sweep's report was left behind";
    const auto copied = home.reports().find(sweepReports[0]);
    ASSERT_TRUE(copied.has_value());
    EXPECT_EQ(copied->title, "Sweep findings");
    EXPECT_EQ(copied->markdown, "# Sweep findings\n\n![width](width.png)\n");
    ASSERT_EQ(copied->images.count("width.png"), 1u);
    EXPECT_EQ(copied->images.at("width.png"), png);
    EXPECT_EQ(copied->sweepId, homeSweep);
    EXPECT_FALSE(copied->runId.has_value());
    EXPECT_FALSE(copied->groupId.has_value());
    // The run keeps its own reports (the fixture writes one, plus "Run findings"), none of them a sweep's.
    int runFindings = 0;
    for (std::int64_t reportId : home.reports().ofRun(merged.runIds.at(firstRun))) {
        runFindings += home.reports().find(reportId)->title == "Run findings";
        EXPECT_FALSE(home.reports().find(reportId)->sweepId.has_value());
    }
    EXPECT_EQ(runFindings, 1);

    // The same file again: the sweep is skipped and its report is not doubled.
    mergeNotebook(home, clusterPath);
    EXPECT_EQ(home.reports().ofSweep(homeSweep).size(), 1u);
}

TEST(NotebookTransfer, RunningRunIsCopiedAsInterrupted)
{
    test::TempDir dir;
    Notebook notebook((dir / "n.sqlite").string());
    const std::int64_t id = notebook.runs().create(testing::sampleRun("in flight"));
    notebook.steps().append(id, testing::sampleStep(0));
    const std::string out = (dir / "snapshot.sqlite").string();
    exportRuns(notebook, {id}, out);
    Notebook file(out, OpenMode::ReadOnly);
    auto copy = file.runs().find(file.runs().list({})[0].id);
    EXPECT_EQ(copy->status, RunStatus::Interrupted);
    EXPECT_EQ(file.steps().ofRun(copy->id).size(), 1u);
    EXPECT_EQ(notebook.runs().find(id)->status, RunStatus::Running) << "the source run is untouched";
}

} // namespace
} // namespace tempo::notebook
