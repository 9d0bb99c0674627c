#pragma once
// A small study's report data written field by field (every number fixed), for the study report's
// golden Markdown, its rule tests and the render tests (HTML, PDF, charts): two prompt families
// (narrative 3 prompts, code 2), thresholds 0.05 and 0.3, presets 1a, 1b, 2, 3, 4, 5 and the
// artifact control of preset 2, on a 2-layer model. Estimates are computed from the listed values
// with summarizeSample (the bootstrap the loader uses), so their intervals are real.

#include "core/report/studyreportdata.h"

namespace tempo::test {

report::StudyReportData tinyStudyReportData();

// Sets the verdict counts of experiment 2's family `family` ("" = all) and keeps the others.
void setFamilyVerdicts(report::StudyReportData& data, const std::string& family,
                       const std::map<std::string, std::int64_t>& verdicts);

} // namespace tempo::test
