// Notebook benchmark: a notebook of 10,000 runs of realistic size, then the operations a
// researcher waits for. Run by hand (never from ctest):
//     bench_notebook [--runs N] [--keep PATH]
// Targets (issue 4): open < 200 ms, newest 100 runs listed < 20 ms, FTS search < 50 ms,
// one step committed < 5 ms; notebook size per run reported.
//
// Each run: ~10 steps with parallel sets of 1-3 members, 3 checks, 12 metrics, a 60-word
// generated text; 5% carry a captured attention tensor of 288 KB ([8, 96, 96] f32), 10% a note,
// 20% a tag. Runs are written one transaction per run (the import path) to keep the build short;
// the per-step commit is what the "one step" figure measures.

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "core/notebook/database.h"
#include "core/notebook/notebook.h"

using namespace tempo::notebook;
using Clock = std::chrono::steady_clock;

namespace {

double msSince(Clock::time_point start)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

struct Timing {
    double median = 0, p95 = 0, max = 0;
};

Timing summarize(std::vector<double> samples)
{
    std::sort(samples.begin(), samples.end());
    Timing t;
    t.median = samples[samples.size() / 2];
    t.p95 = samples[std::min(samples.size() - 1, samples.size() * 95 / 100)];
    t.max = samples.back();
    return t;
}

int failures = 0;

void report(const char* what, const Timing& t, double targetMs)
{
    const bool pass = t.median < targetMs;
    failures += pass ? 0 : 1;
    std::printf("%-34s median %8.3f ms  p95 %8.3f ms  max %8.3f ms   target < %5.0f ms  %s\n", what, t.median, t.p95,
                t.max, targetMs, pass ? "PASS" : "FAIL");
}

const char* kWords[] = {"the", "cat", "sat", "on", "mat", "quick", "brown", "fox", "jumps", "over", "lazy", "dog",
                        "attention", "sibling", "parallel", "token", "position", "model", "layer", "head", "entropy",
                        "river", "mountain", "history", "science", "music", "garden", "window", "ocean", "silver",
                        "engine", "theory", "signal", "forest", "winter", "summer", "language", "number", "pattern",
                        "memory", "circle", "market", "planet", "library", "bridge", "harbor", "valley", "canyon"};
constexpr int kWordCount = sizeof(kWords) / sizeof(kWords[0]);

std::string words(std::mt19937& random, int count)
{
    std::string text;
    for (int i = 0; i < count; ++i)
        text += (i ? " " : "") + std::string(kWords[random() % kWordCount]);
    return text;
}

StepRecord makeStep(std::mt19937& random, int index, int promptLength)
{
    StepRecord step;
    step.step = index;
    step.logicalPosition = promptLength + index;
    const int width = 1 + static_cast<int>(random() % 3);
    double remaining = 0.9;
    for (int m = 0; m < width; ++m) {
        step.tokenIds.push_back(static_cast<std::int64_t>(random() % 128256));
        step.tokens.push_back(" " + std::string(kWords[random() % kWordCount]));
        remaining /= 2;
        step.probabilities.push_back(remaining);
        step.physicalSlots.push_back(promptLength + index * 3 + m);
    }
    step.elapsedMs = 20.0 + static_cast<double>(random() % 1000) / 100.0;
    return step;
}

TensorBlob attentionCapture(int step)
{
    std::vector<float> values(8 * 96 * 96); // [H, q, k]
    for (std::size_t i = 0; i < values.size(); ++i)
        values[i] = static_cast<float>((i * 2654435761u) % 1000) / 1000.0f;
    return TensorBlob::fromF32("attention.layer0", step, {8, 96, 96}, values);
}

std::int64_t fileSize(const std::string& path)
{
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 ? static_cast<std::int64_t>(info.st_size) : 0;
}

} // namespace

int main(int argc, char** argv)
{
    int runCount = 10000;
    std::string keep;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--runs") && i + 1 < argc)
            runCount = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--keep") && i + 1 < argc)
            keep = argv[++i];
        else {
            std::fprintf(stderr, "usage: bench_notebook [--runs N] [--keep PATH]\n");
            return 2;
        }
    }
    char folderTemplate[] = "/tmp/bench-notebook-XXXXXX";
    const std::string folder = keep.empty() ? std::string(::mkdtemp(folderTemplate)) : std::string();
    const std::string path = keep.empty() ? folder + "/notebook.sqlite" : keep;
    std::filesystem::remove(path);

    std::mt19937 random(42);
    std::int64_t tensorBytes = 0;
    int runsWithTensors = 0;
    auto buildStart = Clock::now();
    {
        Notebook notebook(path);
        ModelRecord model{0, "/models/cogito-3b", "cogito-v1-preview-llama-3B", std::string(64, 'a'),
                          std::string(64, 'b'), R"({"num_hidden_layers":28,"hidden_size":3072})"};
        const std::int64_t modelId = notebook.models().upsert(model);
        for (int r = 0; r < runCount; ++r) {
            Transaction transaction(notebook.database());
            RunRecord run;
            run.presetId = std::string(1, "123455"[r % 6]);
            run.config.tempo = tempo::TempoConfig{}; // threshold 0.1, isolated, 10 steps, mean readout
            run.modelId = modelId;
            run.provenance = {"cpu", "f32", 8, "1.13.1", "0.1.0", "0eb5db6abcde"};
            run.prompt = words(random, 5 + static_cast<int>(random() % 8));
            char started[32];
            std::snprintf(started, sizeof started, "2026-%02d-%02dT%02d:%02d:00.000Z", 1 + r / 1000 % 12,
                          1 + r / 40 % 28, r / 2 % 24, r % 60);
            run.startedAt = started;
            const std::int64_t runId = notebook.runs().create(run);
            const int steps = 8 + static_cast<int>(random() % 5);
            const bool captured = random() % 100 < 5;
            for (int s = 0; s < steps; ++s) {
                std::vector<TensorBlob> tensors;
                if (captured && s == 0) {
                    tensors.push_back(attentionCapture(s));
                    tensorBytes += static_cast<std::int64_t>(tensors.back().data.size());
                }
                notebook.steps().append(runId, makeStep(random, s, 6), tensors);
            }
            runsWithTensors += captured ? 1 : 0;
            notebook.checks().record(runId, {{"greedy-equivalence", true, 0.0, "threshold 1.1 reproduces greedy"},
                                          {"sibling-attention", true, 0.0, "isolated: exactly 0"},
                                          {"rope-shift", true, 2.4e-6, "max |diff| of logits"}});
            std::vector<MetricRecord> metrics;
            for (int m = 0; m < 12; ++m)
                metrics.push_back({"entropy", 0.1 * m, m, std::nullopt, std::nullopt});
            notebook.metrics().record(runId, metrics);
            if (random() % 10 == 0)
                notebook.notes().add(runId, "Observation: " + words(random, 20));
            if (r % 200 == 0)
                notebook.notes().add(runId, "A zeppelin-shaped attention map"); // the rare search word: 0.5% of runs
            if (random() % 5 == 0)
                notebook.tags().add(runId, r % 2 ? "baseline" : "sweep-a");
            notebook.runs().finish(runId, RunStatus::Finished, run.prompt + " " + words(random, 60),
                               R"({"prefill_ms":41.5,"total_ms":412.0})", "");
            transaction.commit();
        }
        notebook.database().exec("PRAGMA wal_checkpoint(TRUNCATE)");
    }
    const double buildSeconds = msSince(buildStart) / 1000;
    const std::int64_t size = fileSize(path);
    std::printf("notebook: %s\n", path.c_str());
    std::printf("built %d runs (%d with a 288 KB capture) in %.1f s\n\n", runCount, runsWithTensors, buildSeconds);

    std::vector<double> samples;
    for (int i = 0; i < 7; ++i) {
        auto start = Clock::now();
        Notebook notebook(path);
        samples.push_back(msSince(start));
    }
    report("open (read-write, migrate, recover)", summarize(samples), 200);

    Notebook notebook(path);
    samples.clear();
    std::size_t listed = 0;
    for (int i = 0; i < 30; ++i) {
        auto start = Clock::now();
        listed = notebook.runs().list({}).size();
        samples.push_back(msSince(start));
    }
    report("newest 100 runs listed", summarize(samples), 20);

    samples.clear();
    std::size_t rareHits = 0, commonHits = 0;
    for (int i = 0; i < 10; ++i) {
        auto start = Clock::now();
        rareHits = notebook.runs().list({"zeppelin", "", std::nullopt, 100, 0}).size();
        samples.push_back(msSince(start));
        start = Clock::now();
        notebook.runs().list({"canyon harbor", "", std::nullopt, 100, 0});
        samples.push_back(msSince(start));
        start = Clock::now();
        commonHits = notebook.runs().list({"the", "", std::nullopt, 100, 0}).size();
        samples.push_back(msSince(start));
        start = Clock::now();
        notebook.runs().list({"observation", "baseline", std::nullopt, 100, 0});
        samples.push_back(msSince(start));
    }
    report("FTS search (4 queries)", summarize(samples), 50);

    RunRecord live;
    live.prompt = "benchmark live run";
    const std::int64_t liveRun = notebook.runs().create(live);
    samples.clear();
    for (int s = 0; s < 200; ++s) {
        StepRecord step = makeStep(random, s, 6);
        auto start = Clock::now();
        notebook.steps().append(liveRun, step);
        samples.push_back(msSince(start));
    }
    report("one step committed", summarize(samples), 5);
    samples.clear();
    for (int s = 200; s < 220; ++s) {
        StepRecord step = makeStep(random, s, 6);
        std::vector<TensorBlob> capture = {attentionCapture(s)};
        auto start = Clock::now();
        notebook.steps().append(liveRun, step, capture);
        samples.push_back(msSince(start));
    }
    Timing withCapture = summarize(samples);
    std::printf("%-34s median %8.3f ms  p95 %8.3f ms  max %8.3f ms   (no target)\n", "one step + 288 KB capture",
                withCapture.median, withCapture.p95, withCapture.max);

    std::printf("\nlisted %zu; search hits (limit 100): 'zeppelin' %zu, 'the' %zu\n", listed, rareHits, commonHits);
    std::printf("notebook size %.1f MB: %.1f KB per run overall, %.1f KB per run without captures (%.1f MB of captures)\n",
                size / 1048576.0, size / 1024.0 / runCount, (size - tensorBytes) / 1024.0 / runCount,
                tensorBytes / 1048576.0);
    if (keep.empty())
        std::filesystem::remove_all(folder);
    std::printf("%s\n", failures ? "SOME TARGETS FAILED" : "ALL TARGETS PASS");
    return failures ? 1 : 0;
}
