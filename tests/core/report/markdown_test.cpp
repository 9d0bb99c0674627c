// The Markdown report of the fixture notebook: golden files (reviewed by hand once), determinism,
// escaping of hostile user text, failed checks at the top, and the small formatting rules.
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>

#include <gtest/gtest.h>

#include "core/report/reportbuilder.h"
#include "core/report/reportdata.h"
#include "core/common/errors.h"
#include "reportfixture.h"
#include "support/testsupport.h"

namespace tempo::test {
namespace {

using report::SubjectId;
using report::SubjectKind;

const char* kHostileMarkdown = "<script>alert(1)</script> ](javascript:x) [click](javascript:alert(2)) *em* `tick` | pipe & amp\n# not a heading";

// Text of the section that starts with `heading` ("## Executive summary") up to the next "## ".
std::string section(const std::string& markdown, const std::string& heading)
{
    const auto start = markdown.find(heading + "\n");
    if (start == std::string::npos)
        return "";
    const auto end = markdown.find("\n## ", start + heading.size());
    return markdown.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// Compares with golden/<name>; TEMPO_UPDATE_GOLDEN=1 rewrites the file instead (then review it by hand).
void expectGolden(const std::string& markdown, const std::string& name)
{
    const auto file = goldenFolder() / name;
    if (std::getenv("TEMPO_UPDATE_GOLDEN")) {
        std::ofstream(file, std::ios::binary) << markdown;
        GTEST_SKIP() << "rewrote " << file << "; review it by hand";
    }
    const std::string expected = readText(file);
    ASSERT_FALSE(expected.empty()) << "missing golden file " << file;
    if (markdown == expected)
        return;
    std::istringstream a(markdown), b(expected);
    std::string lineA, lineB;
    int line = 0;
    while (true) {
        const bool moreA = static_cast<bool>(std::getline(a, lineA));
        const bool moreB = static_cast<bool>(std::getline(b, lineB));
        ++line;
        if (!moreA && !moreB)
            break;
        if (!moreA || !moreB || lineA != lineB) {
            ADD_FAILURE() << name << " differs first at line " << line << "\n  built:  " << (moreA ? lineA : "<end>")
                          << "\n  golden: " << (moreB ? lineB : "<end>");
            return;
        }
    }
    ADD_FAILURE() << name << " differs (line endings or trailing bytes)";
}

class ReportMarkdown : public ::testing::Test {
protected:
    void SetUp() override
    {
        book_ = std::make_unique<notebook::Notebook>((dir_.path() / "fixture.sqlite").string());
        ids_ = writeReportFixture(*book_);
    }
    std::string markdown(SubjectKind kind, std::int64_t id) { return report::buildMarkdown(report::loadReportData(*book_, {kind, id})); }

    TempDir dir_{"tempo-report"};
    std::unique_ptr<notebook::Notebook> book_;
    ReportFixture ids_;
};

TEST_F(ReportMarkdown, group_golden) { expectGolden(markdown(SubjectKind::Group, ids_.groupId), "group.md"); }
TEST_F(ReportMarkdown, sweep_golden) { expectGolden(markdown(SubjectKind::Sweep, ids_.sweepId), "sweep.md"); }
TEST_F(ReportMarkdown, failed_run_golden) { expectGolden(markdown(SubjectKind::Run, ids_.failedRun), "failed_run.md"); }

TEST_F(ReportMarkdown, two_builds_are_identical)
{
    for (const SubjectId subject : {SubjectId{SubjectKind::Run, ids_.visibleRun}, SubjectId{SubjectKind::Group, ids_.groupId},
                                    SubjectId{SubjectKind::Sweep, ids_.sweepId}}) {
        const std::string first = markdown(subject.kind, subject.id);
        // A second notebook connection, read-only, sees the same data and gives the same bytes.
        notebook::Notebook reader(book_->path(), notebook::OpenMode::ReadOnly);
        const std::string second = report::buildMarkdown(report::loadReportData(reader, subject));
        EXPECT_EQ(first, second) << report::subjectIdText(subject);
        EXPECT_GT(first.size(), 1000u);
    }
}

TEST_F(ReportMarkdown, every_section_in_order)
{
    const std::string md = markdown(SubjectKind::Group, ids_.groupId);
    size_t at = 0;
    for (const char* heading : {"# Group ", "## Executive summary", "## Key findings", "## Mechanism checks",
                                "## Scenario analysis", "## Technical details", "## Limitations", "## Files"}) {
        const auto found = md.find(heading, at);
        ASSERT_NE(found, std::string::npos) << heading;
        at = found;
    }
    // Model name + SHA-256, run ids and presets in the provenance table.
    EXPECT_NE(md.find("fixture-model (weights SHA-256 " + std::string(64, 'a')), std::string::npos);
    EXPECT_NE(md.find("run 1 (isolated), preset 5, finished; run 2 (visible), preset 5, finished"), std::string::npos);
}

TEST_F(ReportMarkdown, failed_check_is_stated_first_in_the_executive_summary)
{
    const std::string md = markdown(SubjectKind::Run, ids_.failedRun);
    const std::string summary = section(md, "## Executive summary");
    ASSERT_FALSE(summary.empty());
    // The first paragraph after the heading states the failure, with the check and its value.
    const std::string firstParagraph = summary.substr(summary.find("\n\n") + 2, summary.find("\n\n", summary.find("\n\n") + 2) - summary.find("\n\n") - 2);
    EXPECT_NE(firstParagraph.find("**1 mechanism check failed"), std::string::npos) << firstParagraph;
    EXPECT_NE(summary.find("`sibling_attention`, value 0.013"), std::string::npos) << summary;
    EXPECT_LT(summary.find("FAILED"), summary.find("Verdict")) << summary;
    // The passing pair states no failure.
    const std::string groupSummary = section(markdown(SubjectKind::Group, ids_.groupId), "## Executive summary");
    EXPECT_EQ(groupSummary.find("FAILED"), std::string::npos);
    EXPECT_NE(groupSummary.find("Verdict: scenario C"), std::string::npos) << groupSummary;
}

// A check that did not apply (stored as passed with value NaN) is listed as n/a and counted apart
// from the passed ones, read back from the notebook.
TEST_F(ReportMarkdown, a_check_that_did_not_apply_is_counted_apart)
{
    const std::string before = section(markdown(SubjectKind::Run, ids_.isolatedRun), "## Mechanism checks");
    ASSERT_NE(before.find("All 5 checks passed."), std::string::npos) << before;
    book_->checks().record(ids_.isolatedRun, {{"rope_rotation", true, std::numeric_limits<double>::quiet_NaN(),
                                               "not applicable: gpt2 has no rotary position embedding"}});
    const std::string checks = section(markdown(SubjectKind::Run, ids_.isolatedRun), "## Mechanism checks");
    EXPECT_NE(checks.find("All 5 applicable checks passed; 1 check did not apply (n/a: the run gave it nothing to check)."),
              std::string::npos)
        << checks;
    EXPECT_NE(checks.find("| rope\\_rotation | n/a | n/a | not applicable: gpt2"), std::string::npos) << checks;
    // Next to a failure, the failures are counted among the applicable checks only.
    const std::string failedChecks = section(markdown(SubjectKind::Run, ids_.failedRun), "## Mechanism checks");
    book_->checks().record(ids_.failedRun, {{"sibling_attention", true, std::numeric_limits<double>::quiet_NaN(),
                                             "not applicable: no forward fed 2 or more members of one set"}});
    const std::string withNotApplicable = section(markdown(SubjectKind::Run, ids_.failedRun), "## Mechanism checks");
    ASSERT_NE(failedChecks.find(" checks failed** (listed first)."), std::string::npos) << failedChecks;
    EXPECT_NE(withNotApplicable.find(" applicable checks failed** (listed first); 1 check did not apply"), std::string::npos)
        << withNotApplicable;
}

TEST_F(ReportMarkdown, limitations_are_computed_from_the_data)
{
    const std::string limits = section(markdown(SubjectKind::Group, ids_.groupId), "## Limitations");
    EXPECT_NE(limits.find("1 prompt and no repetition"), std::string::npos) << limits;
    EXPECT_NE(limits.find("1 model (fixture-model), 2 layers, hidden size 64"), std::string::npos) << limits;
    EXPECT_NE(limits.find("Threshold 0.03 only"), std::string::npos) << limits;
    EXPECT_NE(limits.find("3 steps decoded (limit 3), 2 with a set of 2 or more members"), std::string::npos) << limits;
    const std::string sweepLimits = section(markdown(SubjectKind::Sweep, ids_.sweepId), "## Limitations");
    EXPECT_NE(sweepLimits.find("3 prompts in 2 categories; the smallest category (factual) has 1 prompt"), std::string::npos)
        << sweepLimits;
}

TEST(ReportEscaping, hostile_text_stays_text_in_markdown)
{
    TempDir dir("tempo-report-hostile");
    notebook::Notebook book((dir.path() / "hostile.sqlite").string());
    const ReportFixture ids = writeReportFixture(book, kHostileMarkdown);
    const std::string md = report::buildMarkdown(report::loadReportData(book, {SubjectKind::Run, ids.failedRun}));
    // No raw HTML tag, no link or image can form: every '<', '[' and ']' of user text is escaped.
    for (size_t at = md.find('<'); at != std::string::npos; at = md.find('<', at + 1))
        EXPECT_TRUE(at > 0 && md[at - 1] == '\\') << "unescaped '<' at " << md.substr(at > 20 ? at - 20 : 0, 50);
    EXPECT_NE(md.find("\\<script\\>alert(1)\\</script\\>"), std::string::npos);
    EXPECT_EQ(md.find("[click]"), std::string::npos);
    for (size_t at = md.find("]("); at != std::string::npos; at = md.find("](", at + 1)) {
        const bool escaped = at > 0 && md[at - 1] == '\\';
        const bool ourFigure = md.compare(at, 9, "](charts/") == 0;
        EXPECT_TRUE(escaped || ourFigure) << "unescaped link at " << md.substr(at > 20 ? at - 20 : 0, 50);
    }
    EXPECT_EQ(md.find("\n# not a heading"), std::string::npos) << "a newline in user text must not start a block";
    EXPECT_NE(md.find("\\*em\\*"), std::string::npos);
    EXPECT_NE(md.find("\\`tick\\`"), std::string::npos);
    EXPECT_NE(md.find("\\| pipe \\& amp"), std::string::npos);
}

TEST(ReportEscaping, escape_markdown_cases)
{
    EXPECT_EQ(report::escapeMarkdown("plain words 0.5"), "plain words 0.5");
    EXPECT_EQ(report::escapeMarkdown("a_b*c"), "a\\_b\\*c");
    EXPECT_EQ(report::escapeMarkdown("# title"), "\\# title");
    EXPECT_EQ(report::escapeMarkdown("- item"), "\\- item");
    EXPECT_EQ(report::escapeMarkdown("12. item"), "12\\. item");
    EXPECT_EQ(report::escapeMarkdown("a\nb\tc"), "a b c");
    EXPECT_EQ(report::escapeMarkdown("[x](y)"), "\\[x\\](y)");
    EXPECT_EQ(report::escapeMarkdown("<b>&"), "\\<b\\>\\&");
}

TEST(ReportFormat, numbers)
{
    EXPECT_EQ(report::formatNumber(std::numeric_limits<double>::quiet_NaN()), "n/a");
    EXPECT_EQ(report::formatNumber(std::numeric_limits<double>::infinity()), "inf");
    EXPECT_EQ(report::formatNumber(0.5), "0.5");
    EXPECT_EQ(report::formatNumber(-0.0), "0");
    EXPECT_EQ(report::formatNumber(1234.5678), "1235");
    EXPECT_EQ(report::formatNumber(0.123456), "0.1235");
    EXPECT_EQ(report::formatNumber(2.5e-7), "2.5e-07");
    EXPECT_EQ(report::formatNumber(3.0), "3");
    EXPECT_EQ(report::formatNumber(1.5e6), "1.5e+06");
}

TEST(ReportIds, parse_subject_ids)
{
    EXPECT_EQ(report::parseSubjectId("12"), (SubjectId{SubjectKind::Run, 12}));
    EXPECT_EQ(report::parseSubjectId("run:7"), (SubjectId{SubjectKind::Run, 7}));
    EXPECT_EQ(report::parseSubjectId("group:3"), (SubjectId{SubjectKind::Group, 3}));
    EXPECT_EQ(report::parseSubjectId("sweep:2"), (SubjectId{SubjectKind::Sweep, 2}));
    for (const char* bad : {"", "0", "run:", "run:x", "run:-1", "lot:2", "group:1.5"})
        EXPECT_THROW(report::parseSubjectId(bad), InvalidArgument) << bad;
}

TEST_F(ReportMarkdown, missing_subject_names_it)
{
    try {
        report::loadReportData(*book_, {SubjectKind::Group, 99});
        FAIL() << "no error";
    } catch (const NotebookError& error) {
        EXPECT_NE(std::string(error.what()).find("group 99"), std::string::npos) << error.what();
    }
}

} // namespace
} // namespace tempo::test
