// ReportStore: stored reports (Markdown with PNG images) of a run, a group, a sweep or a study.

#include "core/notebook/reportstore.h"

#include "core/notebook/database.h"

namespace tempo::notebook {

std::int64_t ReportStore::add(const ReportRecord& report)
{
    requireWritable("storing a report");
    Transaction transaction(database());
    Statement insert = database().prepare(
        "INSERT INTO reports (run_id, group_id, title, markdown, created_at) VALUES (?1, ?2, ?3, ?4, ?5)");
    insert.bind(1, report.runId).bind(2, report.groupId).bind(3, report.title).bind(4, report.markdown)
        .bind(5, report.createdAt.empty() ? nowIso8601() : report.createdAt);
    insert.run();
    const std::int64_t id = database().lastInsertId();
    if (report.sweepId) {
        Statement link = database().prepare("INSERT INTO report_sweeps (report_id, sweep_id) VALUES (?1, ?2)");
        link.bind(1, id).bind(2, *report.sweepId);
        link.run();
    }
    if (report.studyId) {
        Statement link = database().prepare("INSERT INTO report_studies (report_id, study_id) VALUES (?1, ?2)");
        link.bind(1, id).bind(2, *report.studyId);
        link.run();
    }
    Statement image = database().prepare("INSERT INTO report_images (report_id, name, png) VALUES (?1, ?2, ?3)");
    for (const auto& [name, png] : report.images) {
        image.reset();
        image.bind(1, id).bind(2, name).bindBlob(3, png.data(), png.size());
        image.run();
    }
    transaction.commit();
    return id;
}

std::optional<ReportRecord> ReportStore::find(std::int64_t reportId) const
{
    Statement query = database().prepare("SELECT r.id, r.run_id, r.group_id, r.title, r.markdown, r.created_at, s.sweep_id FROM reports r"
                                   " LEFT JOIN report_sweeps s ON s.report_id = r.id WHERE r.id = ?1");
    query.bind(1, reportId);
    if (!query.step())
        return std::nullopt;
    ReportRecord report;
    report.id = query.int64(0);
    report.runId = query.optionalInt64(1);
    report.groupId = query.optionalInt64(2);
    report.title = query.text(3);
    report.markdown = query.text(4);
    report.createdAt = query.text(5);
    report.sweepId = query.optionalInt64(6);
    if (hasStudyLinks()) {
        Statement study = database().prepare("SELECT study_id FROM report_studies WHERE report_id = ?1");
        study.bind(1, reportId);
        if (study.step())
            report.studyId = study.int64(0);
    }
    Statement images = database().prepare("SELECT name, png FROM report_images WHERE report_id = ?1");
    images.bind(1, reportId);
    while (images.step())
        report.images[images.text(0)] = images.blob(1);
    return report;
}

std::vector<std::int64_t> ReportStore::ofRun(std::int64_t runId) const
{
    Statement query = database().prepare("SELECT id FROM reports WHERE run_id = ?1 ORDER BY id");
    query.bind(1, runId);
    std::vector<std::int64_t> ids;
    while (query.step())
        ids.push_back(query.int64(0));
    return ids;
}

std::vector<std::int64_t> ReportStore::ofGroup(std::int64_t groupId) const
{
    Statement query = database().prepare("SELECT id FROM reports WHERE group_id = ?1 ORDER BY id");
    query.bind(1, groupId);
    std::vector<std::int64_t> ids;
    while (query.step())
        ids.push_back(query.int64(0));
    return ids;
}

std::vector<std::int64_t> ReportStore::ofSweep(std::int64_t sweepId) const
{
    Statement query = database().prepare("SELECT report_id FROM report_sweeps WHERE sweep_id = ?1 ORDER BY report_id");
    query.bind(1, sweepId);
    std::vector<std::int64_t> ids;
    while (query.step())
        ids.push_back(query.int64(0));
    return ids;
}

std::vector<std::int64_t> ReportStore::ofStudy(std::int64_t studyId) const
{
    std::vector<std::int64_t> ids;
    if (!hasStudyLinks())
        return ids;
    Statement query = database().prepare("SELECT report_id FROM report_studies WHERE study_id = ?1 ORDER BY report_id");
    query.bind(1, studyId);
    while (query.step())
        ids.push_back(query.int64(0));
    return ids;
}

bool ReportStore::hasStudyLinks() const
{
    Statement query = database().prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'report_studies'");
    return query.step();
}

} // namespace tempo::notebook
