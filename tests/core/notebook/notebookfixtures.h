#pragma once
// Shared by the notebook tests: realistic sample records and a field-by-field run comparison.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/common/errors.h"
#include "core/notebook/notebook.h"
#include "core/notebook/records.h"

namespace tempo::notebook::testing {

inline ModelRecord sampleModel(const std::string& name = "tiny-llama")
{
    ModelRecord model;
    model.folder = "/models/" + name;
    model.name = name;
    model.weightsSha256 = std::string(64, 'a');
    model.tokenizerSha256 = std::string(64, 'b');
    model.configJson = R"({"hidden_size":64,"num_hidden_layers":2})";
    return model;
}

inline RunRecord sampleRun(const std::string& prompt, const std::string& preset = "1a")
{
    RunRecord run;
    run.presetId = preset;
    TempoConfig tempo;
    tempo.threshold = 0.1;
    tempo.mode = SiblingMode::Isolated;
    tempo.maxSteps = 10;
    run.config.tempo = tempo;
    run.config.prompt = prompt;
    run.config.promptTokenIds = {510, 84, 104, 101};
    run.config.captures.attention = true;
    run.config.model = {"/models/tiny-llama", std::string(64, 'a'), std::string(64, 'b')};
    run.config.compute = {"cpu", "f32", 2};
    run.prompt = prompt;
    run.provenance.device = "cpu";
    run.provenance.dtype = "f32";
    run.provenance.threads = 2;
    run.provenance.libtorchVersion = "1.13.1";
    run.provenance.appVersion = "0.1.0";
    run.provenance.gitCommit = "abc123def456";
    return run;
}

// Step `index` of a run: a parallel set of (index % 3) + 1 members at logical position 5 + index.
inline StepRecord sampleStep(int index)
{
    StepRecord step;
    step.step = index;
    step.logicalPosition = 5 + index;
    const int width = index % 3 + 1;
    for (int m = 0; m < width; ++m) {
        step.tokenIds.push_back(1000 + 10 * index + m);
        step.tokens.push_back(" tok" + std::to_string(index) + "_" + std::to_string(m));
        step.probabilities.push_back(0.5 / (m + 1));
        step.physicalSlots.push_back(5 + 3 * index + m);
    }
    step.elapsedMs = 1.25 * (index + 1);
    return step;
}

// A [rows, cols] f32 tensor whose element (r, c) = r * 0.5 - c * 0.25 (exact in binary).
inline TensorBlob sampleTensor(const std::string& name, int rows, int cols)
{
    std::vector<float> values;
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c)
            values.push_back(static_cast<float>(r * 0.5 - c * 0.25));
    return TensorBlob::fromF32(name, std::nullopt, {rows, cols}, values);
}

// Every stored field of run `a` in notebook `na` equals that of run `b` in `nb` (ids aside).
inline void expectSameRun(const Notebook& na, std::int64_t a, const Notebook& nb, std::int64_t b)
{
    auto runA = na.runs().find(a), runB = nb.runs().find(b);
    ASSERT_TRUE(runA && runB);
    EXPECT_EQ(runA->uuid, runB->uuid);
    EXPECT_EQ(runA->presetId, runB->presetId);
    EXPECT_TRUE(runA->config == runB->config);
    EXPECT_EQ(runA->status, runB->status);
    EXPECT_EQ(runA->provenance.device, runB->provenance.device);
    EXPECT_EQ(runA->provenance.dtype, runB->provenance.dtype);
    EXPECT_EQ(runA->provenance.threads, runB->provenance.threads);
    EXPECT_EQ(runA->provenance.libtorchVersion, runB->provenance.libtorchVersion);
    EXPECT_EQ(runA->provenance.appVersion, runB->provenance.appVersion);
    EXPECT_EQ(runA->provenance.gitCommit, runB->provenance.gitCommit);
    EXPECT_EQ(runA->startedAt, runB->startedAt);
    EXPECT_EQ(runA->endedAt, runB->endedAt);
    EXPECT_EQ(runA->prompt, runB->prompt);
    EXPECT_EQ(runA->generatedText, runB->generatedText);
    EXPECT_EQ(runA->errorText, runB->errorText);
    EXPECT_EQ(runA->timingsJson, runB->timingsJson);
    ASSERT_EQ(runA->modelId.has_value(), runB->modelId.has_value());
    if (runA->modelId) {
        auto modelA = na.models().find(*runA->modelId), modelB = nb.models().find(*runB->modelId);
        ASSERT_TRUE(modelA && modelB);
        EXPECT_EQ(modelA->folder, modelB->folder);
        EXPECT_EQ(modelA->name, modelB->name);
        EXPECT_EQ(modelA->weightsSha256, modelB->weightsSha256);
        EXPECT_EQ(modelA->tokenizerSha256, modelB->tokenizerSha256);
        EXPECT_EQ(modelA->configJson, modelB->configJson);
    }
    EXPECT_EQ(na.steps().ofRun(a), nb.steps().ofRun(b));
    EXPECT_EQ(na.checks().ofRun(a), nb.checks().ofRun(b));
    EXPECT_EQ(na.metrics().ofRun(a), nb.metrics().ofRun(b));
    auto tensorsA = na.tensors().infosOfRun(a), tensorsB = nb.tensors().infosOfRun(b);
    ASSERT_EQ(tensorsA.size(), tensorsB.size());
    for (std::size_t i = 0; i < tensorsA.size(); ++i)
        EXPECT_TRUE(na.tensors().load(tensorsA[i].id) == nb.tensors().load(tensorsB[i].id)) << "tensor " << tensorsA[i].name;
    auto notesA = na.notes().ofRun(a), notesB = nb.notes().ofRun(b);
    ASSERT_EQ(notesA.size(), notesB.size());
    for (std::size_t i = 0; i < notesA.size(); ++i) {
        EXPECT_EQ(notesA[i].markdown, notesB[i].markdown);
        EXPECT_EQ(notesA[i].createdAt, notesB[i].createdAt);
        EXPECT_EQ(notesA[i].editedAt, notesB[i].editedAt);
    }
    EXPECT_EQ(na.tags().ofRun(a), nb.tags().ofRun(b));
    auto reportsA = na.reports().ofRun(a), reportsB = nb.reports().ofRun(b);
    ASSERT_EQ(reportsA.size(), reportsB.size());
    for (std::size_t i = 0; i < reportsA.size(); ++i) {
        auto ra = na.reports().find(reportsA[i]), rb = nb.reports().find(reportsB[i]);
        EXPECT_EQ(ra->title, rb->title);
        EXPECT_EQ(ra->markdown, rb->markdown);
        EXPECT_EQ(ra->images, rb->images);
    }
}

// A finished run with steps, checks, metrics, two tensors, a note, two tags and a report.
inline std::int64_t writeFullRun(Notebook& notebook, const std::string& prompt, int stepCount = 4)
{
    RunRecord run = sampleRun(prompt);
    run.modelId = notebook.models().upsert(sampleModel());
    notebook.presets().upsert({run.presetId, "attention, isolated", R"({"steps":10})"});
    const std::int64_t id = notebook.runs().create(run);
    for (int s = 0; s < stepCount; ++s)
        notebook.steps().append(id, sampleStep(s), s == 1 ? std::vector<TensorBlob>{sampleTensor("attention.layer0", 3, 7)}
                                                      : std::vector<TensorBlob>{});
    std::vector<float> logits = {1.0f, -2.5f, 3.140625f, 0.0f, 65504.0f, -0.0078125f};
    notebook.tensors().add(id, {TensorBlob::fromF32AsBF16("logits", 2, {2, 3}, logits)});
    // A check that did not apply and an undefined metric: their NaN values travel too.
    const double nan = std::numeric_limits<double>::quiet_NaN();
    notebook.checks().record(id, {{"greedy-equivalence", true, 0.0, "threshold 1.1 equals greedy"},
                               {"sibling-attention-zero", false, 0.25, "max sibling weight 0.25"},
                               {"rope_rotation", true, nan, "not applicable: gpt2 has no rotary position embedding"}});
    notebook.metrics().record(id, {{"entropy", 1.5, 0, std::nullopt, std::nullopt},
                                   {"attn.mean", 0.125, 1, 2, 3},
                                   {"cross_parallel.ratio", nan, std::nullopt, std::nullopt, std::nullopt}});
    notebook.notes().add(id, "Parallel set at step 1 looks *odd*");
    notebook.tags().add(id, "baseline");
    notebook.tags().add(id, "cpu");
    ReportRecord report;
    report.runId = id;
    report.title = "Findings";
    report.markdown = "# Findings\n![width](width.png)";
    report.images["width.png"] = {0x89, 'P', 'N', 'G', 0, 1, 2};
    notebook.reports().add(report);
    notebook.runs().finish(id, RunStatus::Finished, prompt + " generated [a/b] text", R"({"total_ms":12.5})", "");
    return id;
}

} // namespace tempo::notebook::testing
