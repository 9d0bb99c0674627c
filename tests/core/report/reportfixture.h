#pragma once
// A notebook written record by record with every field fixed (UUIDs, times, timings, provenance,
// model folder), so the report built from it is byte-identical on every machine: the golden files
// in tests/core/report/golden are the reports of this notebook.

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/notebook/notebook.h"

namespace tempo::test {

struct ReportFixture {
    std::int64_t isolatedRun = 0;
    std::int64_t visibleRun = 0;
    std::int64_t groupId = 0;
    std::int64_t sweepId = 0;
    std::int64_t failedRun = 0; // a run whose sibling_attention check failed
};

// `hostileText` goes into the prompt, a token, a note and a tag of the failed run (escaping tests).
ReportFixture writeReportFixture(notebook::Notebook& notebook, const std::string& hostileText = "");

// Folders of the test tree.
std::filesystem::path goldenFolder();

// Runs `command` through /bin/sh and returns its stdout; exit status in *status.
std::string runCommand(const std::string& command, int* status = nullptr);

std::string readText(const std::filesystem::path& file);

} // namespace tempo::test
