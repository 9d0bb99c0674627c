#pragma once
// The findings report of a study (issue 16): the whole TEMPO investigation as one document, built
// from StudyReportData alone. Sections: executive summary (the verdict and its numeric basis), key
// findings per experiment (1a/1b, 2, 3, 4, 5) with charts, scenario analysis A-D per prompt family,
// artifact control vs real mechanism, technical details, recommendations, limitations, files.
//
// No sentence is hand-written about the outcome: each one is chosen by a rule below over the
// numbers, and the rule's cut-off is printed with it. The same data gives the same document and
// byte-identical Markdown (renderMarkdown). Charts are ChartSpec figures (chartspec.h) drawn by
// src/render; a Qt-free build names them instead (ChartDrawing::NotDrawn).

#include <string>
#include <vector>

#include "core/analysis/verdict.h"
#include "core/report/reportbuilder.h"
#include "core/report/studyreportdata.h"

namespace tempo::report {

// ---- the rules (every cut-off a sentence depends on)

// A scenario is "supported" by a set of points when it is the verdict of more than this share of
// the points whose verdict was decided (A-D; inconclusive points are counted and reported apart).
inline constexpr double kStudyMajorityShare = 0.5;
// A control point reproduces the artifact when its isolated and visible readouts are identical in
// verdict.h's sense (max |dp| < 1e-6).
inline constexpr double kControlIdenticalTolerance = kIdenticalMaxAbsProbabilityDifference;
// Fewer decided points than this in a family: its interval rests on too few prompts, and the
// recommendations ask for more.
inline constexpr std::int64_t kStudyMinimumFamilyPoints = 10;
// 1a hides siblings: any sibling attention mass above this in 1a means isolation leaked.
inline constexpr double kIsolationLeakTolerance = 1e-6;

// The study-level rule over one family's (or every family's) point verdicts.
ScenarioSupport supportedScenario(const FamilyScenario& family);
// True when two families with decided points support different scenarios (mixed counts as one).
bool familiesDiffer(const std::vector<FamilyScenario>& families);

// The recommendations that follow from the numbers, each with the numbers and cut-off it rests
// on, in a fixed order. Empty only when no rule applies (the report then says so).
std::vector<std::string> studyRecommendations(const StudyReportData& data);

std::string studyReportTitle(const StudyReportData& data); // "Study 3 (default suite): findings report"

ReportDocument buildStudyReportDocument(const StudyReportData& data, ChartDrawing drawing = ChartDrawing::Drawn);
std::string buildStudyMarkdown(const StudyReportData& data); // renderMarkdown(buildStudyReportDocument(data))

// "0.012 [0.008, 0.017], n = 30"; "0.012 (n = 1, no interval)"; "n/a (n = 0)".
std::string estimateText(const Estimate& estimate);

} // namespace tempo::report
