// Writing and reading runs: records round trip, tensor blobs, full-text search, filters, ids,
// deletion that frees space.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <optional>

#include "core/common/errors.h"
#include "core/notebook/database.h"
#include "core/notebook/notebook.h"
#include "core/notebook/notebookrows.h"
#include "notebookfixtures.h"
#include "support/testsupport.h"

namespace tempo::notebook {
namespace {

using testing::sampleRun;
using testing::sampleStep;

std::int64_t fileSize(const std::string& path)
{
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 ? static_cast<std::int64_t>(info.st_size) : -1;
}

TEST(NotebookRuns, RunWithStepsChecksMetricsRoundTrips)
{
    test::TempDir dir;
    Notebook notebook((dir / "n.sqlite").string());
    RunRecord run = sampleRun("The cat sat on the");
    run.modelId = notebook.models().upsert(testing::sampleModel());
    const std::int64_t id = notebook.runs().create(run);

    auto stored = notebook.runs().find(id);
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->status, RunStatus::Running) << "the row exists, running, before any step";
    EXPECT_EQ(stored->uuid.size(), 36u);
    EXPECT_EQ(stored->uuid[14], '4') << "version-4 UUID";
    EXPECT_EQ(stored->startedAt.size(), 24u) << stored->startedAt; // 2026-11-28T09:30:00.123Z
    EXPECT_EQ(stored->startedAt.back(), 'Z');
    EXPECT_TRUE(stored->endedAt.empty());
    EXPECT_TRUE(stored->config == run.config) << "the configuration reads back as written";

    std::vector<StepRecord> written;
    for (int s = 0; s < 5; ++s) {
        written.push_back(sampleStep(s));
        notebook.steps().append(id, written.back());
    }
    notebook.checks().record(id, {{"isolated-sibling-attention", true, 0.0, "exactly 0"}});
    notebook.metrics().record(id, {{"js", 0.03125, 2, std::nullopt, std::nullopt}, {"attn", 0.5, 1, 3, 7}});
    notebook.runs().finish(id, RunStatus::Finished, "The cat sat on the [mat/floor]", R"({"total_ms":3.5})", "");

    EXPECT_EQ(notebook.steps().ofRun(id), written);
    ASSERT_EQ(notebook.checks().ofRun(id).size(), 1u);
    EXPECT_EQ(notebook.checks().ofRun(id)[0], (CheckRecord{"isolated-sibling-attention", true, 0.0, "exactly 0"}));
    auto metrics = notebook.metrics().ofRun(id);
    ASSERT_EQ(metrics.size(), 2u);
    EXPECT_EQ(metrics[1].layer, std::optional<int>(3));
    EXPECT_EQ(metrics[1].head, std::optional<int>(7));
    EXPECT_FALSE(metrics[0].layer);
    stored = notebook.runs().find(id);
    EXPECT_EQ(stored->status, RunStatus::Finished);
    EXPECT_EQ(stored->generatedText, "The cat sat on the [mat/floor]");
    EXPECT_EQ(stored->timingsJson, R"({"total_ms":3.5})");
    EXPECT_FALSE(stored->endedAt.empty());
    EXPECT_GE(stored->endedAt, stored->startedAt);
    EXPECT_EQ(stored->provenance.gitCommit, "abc123def456");
    EXPECT_EQ(notebook.models().find(*stored->modelId)->weightsSha256, std::string(64, 'a'));
    EXPECT_EQ(notebook.models().upsert(testing::sampleModel()), *stored->modelId) << "same folder and hashes: same row";
}

TEST(NotebookRuns, ManyMetricsRoundTripInOrder)
{
    // MetricStore::record inserts 64, 16, 4 and 1 rows per statement: 64 + 16 + 4 * 3 + 3 rows use
    // every size (and 3 single rows) and must read back in recording order, field for field, next
    // to another run's metrics that must stay its own.
    test::TempDir dir;
    Notebook notebook((dir / "n.sqlite").string());
    const std::int64_t id = notebook.runs().create(sampleRun("p"));
    const std::int64_t other = notebook.runs().create(sampleRun("q"));
    notebook.metrics().record(other, {{"other", 1.0, std::nullopt, std::nullopt, std::nullopt}});
    std::vector<MetricRecord> written;
    for (int i = 0; i < 64 + 16 + 4 * 3 + 3; ++i) {
        MetricRecord m{"m." + std::to_string(i % 7) + "." + std::to_string(i), 0.25 * i - 3.0, std::nullopt,
                       std::nullopt, std::nullopt};
        if (i % 3 == 0)
            m.step = i;
        if (i % 5 == 0)
            m.layer = i / 5;
        if (i % 2 == 0)
            m.head = -i;
        written.push_back(m);
    }
    written[77].value = std::numeric_limits<double>::quiet_NaN(); // kept as NULL
    notebook.metrics().record(id, written);
    notebook.metrics().record(id, {written[5]}); // one row after, recorded last

    const std::vector<MetricRecord> read = notebook.metrics().withPrefix(id, "m.");
    ASSERT_EQ(read.size(), written.size() + 1);
    for (std::size_t i = 0; i < written.size(); ++i) {
        EXPECT_EQ(read[i].name, written[i].name) << "row " << i;
        EXPECT_TRUE(read[i].value == written[i].value || (std::isnan(read[i].value) && std::isnan(written[i].value)))
            << "row " << i << ": " << read[i].value;
        EXPECT_EQ(read[i].step, written[i].step) << "row " << i;
        EXPECT_EQ(read[i].layer, written[i].layer) << "row " << i;
        EXPECT_EQ(read[i].head, written[i].head) << "row " << i;
    }
    EXPECT_EQ(read.back().name, written[5].name);
    EXPECT_TRUE(notebook.metrics().hasPrefix(id, "m.3."));
    EXPECT_TRUE(notebook.metrics().hasPrefix(id, "m.6.90"));
    EXPECT_FALSE(notebook.metrics().hasPrefix(id, "m.7."));
    EXPECT_FALSE(notebook.metrics().hasPrefix(id, "other")) << "another run's metric";
    EXPECT_TRUE(notebook.metrics().hasPrefix(other, "oth"));
    EXPECT_EQ(notebook.metrics().ofRun(id).size(), written.size() + 1);
    ASSERT_EQ(notebook.metrics().ofRun(other).size(), 1u);
    EXPECT_EQ(notebook.metrics().ofRun(other)[0].name, "other");
}

TEST(NotebookRuns, StepWithMismatchedMembersIsRefusedAndNothingWritten)
{
    test::TempDir dir;
    Notebook notebook((dir / "n.sqlite").string());
    const std::int64_t id = notebook.runs().create(sampleRun("p"));
    StepRecord bad = sampleStep(2);
    bad.probabilities.pop_back();
    EXPECT_THROW(notebook.steps().append(id, bad), InvalidArgument);
    EXPECT_THROW(notebook.steps().append(id + 100, sampleStep(0)), InvalidArgument);
    notebook.steps().append(id, sampleStep(0));
    EXPECT_THROW(notebook.steps().append(id, sampleStep(0)), NotebookError) << "a step index is written once";
    EXPECT_EQ(notebook.steps().ofRun(id).size(), 1u);
}

// bf16 reference values worked out by hand from the f32 bit patterns (round to nearest even).
TEST(NotebookTensors, F32AndBF16BlobsRoundTripWithShapes)
{
    test::TempDir dir;
    Notebook notebook((dir / "n.sqlite").string());
    const std::int64_t id = notebook.runs().create(sampleRun("tensors"));

    std::vector<float> f32Values(2 * 3 * 4);
    for (std::size_t i = 0; i < f32Values.size(); ++i)
        f32Values[i] = static_cast<float>(i) * 0.1f - 1.0f;
    const std::vector<float> bf16Inputs = {1.0f, -2.5f, 3.140625f, 0.0f, 65504.0f, -0.0078125f, 1.00390625f, 1.01171875f};
    const std::vector<std::uint16_t> bf16Bits = {0x3F80, 0xC020, 0x4049, 0x0000, 0x4780, 0xBC00, 0x3F80, 0x3F82};
    const std::vector<float> bf16Widened = {1.0f, -2.5f, 3.140625f, 0.0f, 65536.0f, -0.0078125f, 1.0f, 1.015625f};

    std::vector<TensorBlob> written = {
        TensorBlob::fromF32("attention.layer0", std::nullopt, {2, 3, 4}, f32Values),
        TensorBlob::fromF32AsBF16("logits", std::nullopt, {2, 4}, bf16Inputs),
        TensorBlob::fromF32("scalar", 9, {}, {42.0f}),
        TensorBlob::fromF32("empty", std::nullopt, {0, 5}, {}),
    };
    notebook.steps().append(id, sampleStep(3), written);

    auto infos = notebook.tensors().infosOfRun(id);
    ASSERT_EQ(infos.size(), 4u);
    EXPECT_EQ(infos[0].shape, (std::vector<std::int64_t>{2, 3, 4}));
    EXPECT_EQ(infos[0].byteSize, 96);
    EXPECT_EQ(infos[0].step, std::optional<int>(3)) << "tensors without a step take their step's index";
    EXPECT_EQ(infos[2].step, std::optional<int>(9));
    EXPECT_EQ(infos[2].shape, std::vector<std::int64_t>{});
    EXPECT_EQ(infos[3].byteSize, 0);

    TensorBlob f32 = notebook.tensors().load(infos[0].id);
    EXPECT_EQ(f32.dtype, "f32");
    EXPECT_EQ(f32.byteOrder, "le");
    EXPECT_EQ(f32.compression, "none");
    EXPECT_EQ(f32.toF32(), f32Values);

    TensorBlob bf16 = notebook.tensors().load(infos[1].id);
    EXPECT_EQ(bf16.dtype, "bf16");
    EXPECT_EQ(bf16.shape, (std::vector<std::int64_t>{2, 4}));
    ASSERT_EQ(bf16.data.size(), 16u);
    for (std::size_t i = 0; i < bf16Bits.size(); ++i) {
        std::uint16_t bits = static_cast<std::uint16_t>(bf16.data[2 * i] | (bf16.data[2 * i + 1] << 8)); // little-endian
        EXPECT_EQ(bits, bf16Bits[i]) << "element " << i << " of " << bf16Inputs[i];
    }
    EXPECT_EQ(bf16.toF32(), bf16Widened);
    EXPECT_EQ(notebook.tensors().load(infos[2].id).toF32(), std::vector<float>{42.0f});
    EXPECT_TRUE(notebook.tensors().load(infos[3].id).data.empty());
}

TEST(NotebookTensors, ShapesReadAsTheJsonParserReadsThem)
{
    // parseShape reads the text TensorStore writes without a JSON parser and hands anything else
    // to nlohmann: every text must give what nlohmann gives (the reference below), or fail as it does.
    auto reference = [](const std::string& text) {
        std::vector<std::int64_t> shape;
        for (const auto& d : nlohmann::json::parse(text))
            shape.push_back(d.get<std::int64_t>());
        return shape;
    };
    for (const std::string text : {"[]", "[0]", "[4096]", "[2,4,3,9]", "[10,0,7]", "[ 2, 3 ]", "[-1]", "[1.5]",
                                   "[123456789012345678]", "[1234567890123456789]", "[02]", "[1,2,]", "[,]", "[1 2]",
                                   "{}", "x", "[", "]", "[1],"}) {
        std::optional<std::vector<std::int64_t>> expected;
        try {
            expected = reference(text);
        } catch (const nlohmann::json::exception&) {
        }
        if (expected)
            EXPECT_EQ(parseShape(text, "n.sqlite", "t"), *expected) << text;
        else
            EXPECT_THROW(parseShape(text, "n.sqlite", "t"), NotebookError) << text;
    }

    // What TensorStore writes is what nlohmann writes.
    test::TempDir dir;
    Notebook notebook((dir / "n.sqlite").string());
    const std::int64_t id = notebook.runs().create(sampleRun("shapes"));
    const std::vector<std::vector<std::int64_t>> shapes = {{}, {3}, {2, 1, 3}, {0, 5}};
    std::vector<TensorBlob> blobs;
    for (const auto& shape : shapes) {
        std::int64_t count = 1;
        for (std::int64_t d : shape)
            count *= d;
        blobs.push_back(TensorBlob::fromF32("t", std::nullopt, shape, std::vector<float>(static_cast<std::size_t>(count), 1.0f)));
    }
    notebook.tensors().add(id, blobs);
    Database raw((dir / "n.sqlite").string(), Database::Mode::ReadOnly);
    Statement query = raw.prepare("SELECT shape_json FROM tensors WHERE run_id = ?1 ORDER BY id");
    query.bind(1, id);
    for (const auto& shape : shapes) {
        ASSERT_TRUE(query.step());
        EXPECT_EQ(query.text(0), nlohmann::json(shape).dump());
    }
}

TEST(NotebookTensors, InconsistentBlobsAreRefused)
{
    EXPECT_THROW(TensorBlob::fromF32("x", std::nullopt, {2, 3}, std::vector<float>(5)), InvalidArgument);
    TensorBlob blob = testing::sampleTensor("x", 2, 2);
    blob.dtype = "f64";
    EXPECT_THROW(blob.validate(), InvalidArgument);
    blob = testing::sampleTensor("x", 2, 2);
    blob.byteOrder = "be";
    EXPECT_THROW(blob.validate(), InvalidArgument);
    blob = testing::sampleTensor("x", 2, 2);
    blob.shape = {2, -2};
    EXPECT_THROW(blob.validate(), InvalidArgument);

    test::TempDir dir;
    Notebook notebook((dir / "n.sqlite").string());
    const std::int64_t id = notebook.runs().create(sampleRun("p"));
    TensorBlob wrongSize = testing::sampleTensor("x", 2, 2);
    wrongSize.data.pop_back();
    EXPECT_THROW(notebook.tensors().add(id, {testing::sampleTensor("ok", 1, 1), wrongSize}), InvalidArgument);
    EXPECT_TRUE(notebook.tensors().infosOfRun(id).empty()) << "a refused batch writes nothing";
}

TEST(NotebookSearch, FindsRunsByPromptTextNotesAndTags)
{
    test::TempDir dir;
    Notebook notebook((dir / "n.sqlite").string());
    const std::int64_t cat = notebook.runs().create(sampleRun("The cat sat on the"));
    const std::int64_t fox = notebook.runs().create(sampleRun("The quick brown"));
    notebook.runs().finish(cat, RunStatus::Finished, "The cat sat on the [mat/rug]", "{}", "");
    notebook.runs().finish(fox, RunStatus::Failed, "", "{}", "out of memory");
    const std::int64_t noteId = notebook.notes().add(fox, "A surprising **giraffe** in the attention map");
    notebook.tags().add(cat, "attention-study");

    auto ids = [&](RunQuery query) {
        std::vector<std::int64_t> out;
        for (const auto& run : notebook.runs().list(query))
            out.push_back(run.id);
        return out;
    };
    auto search = [&](const std::string& words) { return ids({words, "", std::nullopt, 100, 0}); };

    EXPECT_EQ(search("cat"), std::vector<std::int64_t>{cat}) << "prompt word";
    EXPECT_EQ(search("rug"), std::vector<std::int64_t>{cat}) << "generated text word";
    EXPECT_EQ(search("giraffe"), std::vector<std::int64_t>{fox}) << "note word";
    EXPECT_EQ(search("attention-study"), std::vector<std::int64_t>{cat}) << "tag";
    EXPECT_EQ(search("QUICK brown"), std::vector<std::int64_t>{fox}) << "every word, any case";
    EXPECT_TRUE(search("quick cat").empty()) << "words are ANDed";
    EXPECT_EQ(search("gir*"), std::vector<std::int64_t>{fox}) << "prefix";
    EXPECT_EQ(search("the").size(), 2u);
    EXPECT_NO_THROW(search("don't \"quote\" AND OR NOT ( * :")) << "operators are plain text";

    notebook.notes().edit(noteId, "Actually an elephant");
    EXPECT_TRUE(search("giraffe").empty()) << "an edited note no longer matches its old words";
    EXPECT_EQ(search("elephant"), std::vector<std::int64_t>{fox});
    notebook.tags().remove(cat, "attention-study");
    EXPECT_TRUE(search("attention-study").empty());
    notebook.tags().add(cat, "baseline");

    EXPECT_EQ(ids({"", "baseline", std::nullopt, 100, 0}), std::vector<std::int64_t>{cat});
    EXPECT_EQ(ids({"", "", RunStatus::Failed, 100, 0}), std::vector<std::int64_t>{fox});
    EXPECT_EQ(ids({"the", "baseline", RunStatus::Finished, 100, 0}), std::vector<std::int64_t>{cat});
    auto listed = notebook.runs().list({});
    ASSERT_EQ(listed.size(), 2u);
    EXPECT_EQ(listed[1].tags, std::vector<std::string>{"baseline"});
}

TEST(NotebookRuns, ListsNewestFirstWithLimitAndOffset)
{
    test::TempDir dir;
    Notebook notebook((dir / "n.sqlite").string());
    std::vector<std::int64_t> ids;
    for (int i = 0; i < 5; ++i) {
        RunRecord run = sampleRun("run " + std::to_string(i));
        run.startedAt = "2026-01-0" + std::to_string(5 - i) + "T00:00:00.000Z"; // inserted oldest last
        ids.push_back(notebook.runs().create(run));
        notebook.steps().append(ids.back(), sampleStep(0));
    }
    auto page = notebook.runs().list({"", "", std::nullopt, 2, 1});
    ASSERT_EQ(page.size(), 2u);
    EXPECT_EQ(page[0].id, ids[1]); // 2026-01-04, after 2026-01-05 (ids[0]) skipped by the offset
    EXPECT_EQ(page[1].id, ids[2]);
    EXPECT_EQ(page[0].stepCount, 1);
    EXPECT_EQ(notebook.runs().count(), 5);
}

TEST(NotebookRuns, ResolvesIdsUuidsAndPrefixes)
{
    test::TempDir dir;
    Notebook notebook((dir / "n.sqlite").string());
    RunRecord a = sampleRun("a"), b = sampleRun("b");
    a.uuid = "abcd1111-0000-4000-8000-000000000001";
    b.uuid = "abcd2222-0000-4000-8000-000000000002";
    const std::int64_t idA = notebook.runs().create(a), idB = notebook.runs().create(b);
    EXPECT_EQ(notebook.runs().resolve(std::to_string(idB)), idB);
    EXPECT_EQ(notebook.runs().resolve(a.uuid), idA);
    EXPECT_EQ(notebook.runs().resolve("ABCD1"), idA) << "case-insensitive prefix";
    EXPECT_EQ(notebook.runs().resolve("abcd2222"), idB);
    EXPECT_THROW(notebook.runs().resolve("abcd"), InvalidArgument) << "ambiguous";
    EXPECT_THROW(notebook.runs().resolve("ffff"), InvalidArgument) << "no match";
    EXPECT_THROW(notebook.runs().resolve("999"), InvalidArgument) << "no such id, too short for a prefix";
    EXPECT_THROW(notebook.runs().resolve("x%_*"), InvalidArgument);
}

TEST(NotebookRuns, DeletingARunRemovesItsTensorsAndShrinksTheFile)
{
    test::TempDir dir;
    const std::string path = (dir / "n.sqlite").string();
    Notebook notebook(path);
    const std::int64_t keep = testing::writeFullRun(notebook, "keep me");
    const std::int64_t drop = notebook.runs().create(sampleRun("drop me"));
    // 4 MB of captures: [512, 1024] f32 twice.
    notebook.steps().append(drop, sampleStep(0), {testing::sampleTensor("big.a", 512, 1024), testing::sampleTensor("big.b", 512, 1024)});
    notebook.notes().add(drop, "to be deleted");
    notebook.tags().add(drop, "temporary");
    Database& db = notebook.database();
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    const std::int64_t sizeBefore = fileSize(path);
    const std::int64_t pagesBefore = db.queryInt("PRAGMA page_count");
    ASSERT_GT(sizeBefore, 4 * 1024 * 1024);

    notebook.runs().remove(drop);

    EXPECT_FALSE(notebook.runs().find(drop));
    for (const char* table : {"steps", "tensors", "notes", "run_tags", "checks", "metrics"})
        EXPECT_EQ(db.queryInt(std::string("SELECT count(*) FROM ") + table + " WHERE run_id = " + std::to_string(drop)), 0)
            << table;
    EXPECT_EQ(db.queryInt("SELECT count(*) FROM run_search WHERE rowid = " + std::to_string(drop)), 0);
    EXPECT_EQ(db.queryInt("PRAGMA freelist_count"), 0) << "incremental vacuum returned every free page";
    const std::int64_t pagesAfter = db.queryInt("PRAGMA page_count");
    const std::int64_t sizeAfter = fileSize(path);
    std::printf("delete: pages %lld -> %lld, file %lld -> %lld bytes\n", static_cast<long long>(pagesBefore),
                static_cast<long long>(pagesAfter), static_cast<long long>(sizeBefore), static_cast<long long>(sizeAfter));
    EXPECT_LE(pagesAfter * 4096, pagesBefore * 4096 - 4 * 1024 * 1024);
    EXPECT_LE(sizeAfter, sizeBefore - 4 * 1024 * 1024) << "the checkpoint gave the space back to the file system";
    // The other run is untouched.
    EXPECT_EQ(notebook.tensors().infosOfRun(keep).size(), 2u);
    TensorBlob expected = testing::sampleTensor("attention.layer0", 3, 7);
    expected.step = 1; // writeFullRun captured it at step 1
    EXPECT_EQ(notebook.tensors().load(notebook.tensors().infosOfRun(keep)[0].id), expected);
    EXPECT_THROW(notebook.runs().remove(drop), InvalidArgument);
}

TEST(NotebookGroups, GroupsReportsAndSweepsRoundTrip)
{
    test::TempDir dir;
    Notebook notebook((dir / "n.sqlite").string());
    const std::int64_t isolated = notebook.runs().create(sampleRun("The cat", "2"));
    const std::int64_t visible = notebook.runs().create(sampleRun("The cat", "2"));
    RunGroupRecord pair;
    pair.kind = "mode-pair";
    pair.comparison.kind = "mode-pair";
    pair.comparison.presetId = "2";
    pair.comparison.isolatedRunId = isolated;
    pair.comparison.visibleRunId = visible;
    pair.comparison.metrics = AnalysisMetrics{{"distribution.first_differing_set_step", 3.0}};
    pair.runIds = {isolated, visible};
    const std::int64_t groupId = notebook.groups().create(pair);
    auto group = notebook.groups().find(groupId);
    ASSERT_TRUE(group);
    EXPECT_EQ(group->runIds, (std::vector<std::int64_t>{isolated, visible}));
    EXPECT_TRUE(group->comparison == pair.comparison);
    EXPECT_EQ(group->comparison.isolatedRunId, std::optional<std::int64_t>(isolated));
    ASSERT_TRUE(group->comparison.metrics);
    EXPECT_EQ(group->comparison.metrics->at(0).value, 3.0);
    EXPECT_EQ(notebook.groups().ofRun(visible), std::vector<std::int64_t>{groupId});
    EXPECT_EQ(notebook.groups().findByUuid(group->uuid), std::optional<std::int64_t>(groupId));

    ReportRecord report;
    report.groupId = groupId;
    report.markdown = "# Mode pair";
    report.images["kl.png"] = {0x89, 'P', 'N', 'G', 13, 10};
    const std::int64_t reportId = notebook.reports().add(report);
    EXPECT_EQ(notebook.reports().find(reportId)->images, report.images);
    EXPECT_EQ(notebook.reports().ofGroup(groupId), std::vector<std::int64_t>{reportId});

    RunGroupRecord missingMember = pair;
    missingMember.runIds = {isolated, visible + 10};
    EXPECT_THROW(notebook.groups().create(missingMember), InvalidArgument);
    EXPECT_EQ(notebook.groups().all().size(), 1u) << "the refused group left nothing behind";
}

// A stored configuration this version cannot read (hand-edited, or from a broken tool) is refused
// when the run is read, naming the run, the field, what was expected and what was found; the
// run still lists, so a reader can find and delete it.
TEST(NotebookRuns, CorruptStoredConfigurationNamesTheRunAndTheField)
{
    test::TempDir dir;
    const std::string path = (dir / "n.sqlite").string();
    Notebook notebook(path);
    const std::int64_t good = notebook.runs().create(sampleRun("fine"));
    const std::int64_t bad = notebook.runs().create(sampleRun("hand edited"));
    notebook.database().exec("UPDATE runs SET config_json = '{\"tempo\": {\"threshold\": \"high\"}}' WHERE id = " +
                             std::to_string(bad));
    std::string message;
    try {
        notebook.runs().find(bad);
    } catch (const NotebookError& error) {
        message = error.what();
    }
    EXPECT_NE(message.find("run " + std::to_string(bad) + " in '" + path + "'"), std::string::npos) << message;
    EXPECT_NE(message.find("run config field tempo.threshold: expected a number, found \"high\""), std::string::npos)
        << message;
    EXPECT_TRUE(notebook.runs().find(good)) << "other runs read as before";
    EXPECT_EQ(notebook.runs().list().size(), 2u);

    notebook.database().exec("UPDATE runs SET config_json = 'not json' WHERE id = " + std::to_string(bad));
    EXPECT_THROW(notebook.runs().find(bad), NotebookError);
    notebook.runs().remove(bad);
    EXPECT_EQ(notebook.runs().count(), 1);
}

TEST(NotebookGroups, CorruptStoredComparisonNamesTheGroupAndTheField)
{
    test::TempDir dir;
    const std::string path = (dir / "n.sqlite").string();
    Notebook notebook(path);
    RunGroupRecord pair;
    pair.kind = "mode-pair";
    pair.runIds = {notebook.runs().create(sampleRun("a")), notebook.runs().create(sampleRun("b"))};
    const std::int64_t groupId = notebook.groups().create(pair);
    notebook.database().exec("UPDATE run_groups SET comparison_json = '{\"verdict\": {\"scenario\": \"E\"}}'");
    std::string message;
    try {
        notebook.groups().find(groupId);
    } catch (const NotebookError& error) {
        message = error.what();
    }
    EXPECT_NE(message.find("group " + std::to_string(groupId) + " in '" + path + "'"), std::string::npos) << message;
    EXPECT_NE(message.find("group comparison field verdict.scenario"), std::string::npos) << message;
    EXPECT_NE(message.find("found \"E\""), std::string::npos) << message;
}

} // namespace
} // namespace tempo::notebook
