#include "core/runrecord/groupcomparison.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/runrecord/recordjson.h"

namespace tempo {

namespace {

using nlohmann::json;
using recordjson::FieldPath;

bool sameNumber(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

Verdict readStoredVerdict(const json& object, const FieldPath& field)
{
    using namespace recordjson;
    Verdict verdict;
    const std::string scenario = textAt(object, field, "scenario", scenarioName(Scenario::Inconclusive));
    try {
        verdict.scenario = parseScenario(scenario);
    } catch (const InvalidArgument&) {
        refuse(field / "scenario", "\"A\", \"B\", \"C\", \"D\" or \"inconclusive\"", object.at("scenario"));
    }
    verdict.inconclusiveReason = textAt(object, field, "inconclusive_reason");
    const json* criteria = member(object, "criteria");
    if (!criteria)
        return verdict;
    if (!criteria->is_array())
        refuse(field / "criteria", "an array", *criteria);
    for (size_t i = 0; i < criteria->size(); ++i) {
        const FieldPath at = field / ("criteria[" + std::to_string(i) + "]");
        const json& c = (*criteria)[i];
        if (!c.is_object())
            refuse(at, "a JSON object", c);
        VerdictCriterion criterion;
        criterion.name = textAt(c, at, "name");
        criterion.comparison = textAt(c, at, "comparison");
        criterion.threshold = numberOrNullAt(c, at, "threshold", kUndefined);
        criterion.value = numberOrNullAt(c, at, "value", kUndefined);
        criterion.met = booleanAt(c, at, "met", false);
        criterion.meaning = textAt(c, at, "meaning");
        verdict.criteria.push_back(criterion);
    }
    return verdict;
}

AnalysisMetrics readStoredMetrics(const json& list, const FieldPath& field)
{
    using namespace recordjson;
    if (!list.is_array())
        refuse(field, "an array", list);
    AnalysisMetrics metrics;
    for (size_t i = 0; i < list.size(); ++i) {
        const FieldPath at{field.record, field.path + "[" + std::to_string(i) + "]"};
        const json& m = list[i];
        if (!m.is_object())
            refuse(at, "a JSON object", m);
        AnalysisMetric metric;
        metric.name = textAt(m, at, "name");
        metric.value = numberOrNullAt(m, at, "value", kUndefined);
        metric.step = integerAt(m, at, "step", -1);
        metric.layer = integerAt(m, at, "layer", -1);
        metric.head = integerAt(m, at, "head", -1);
        metrics.push_back(metric);
    }
    return metrics;
}

} // namespace

bool operator==(const AnalysisMetric& a, const AnalysisMetric& b)
{
    return a.name == b.name && sameNumber(a.value, b.value) && a.step == b.step && a.layer == b.layer && a.head == b.head;
}

bool operator==(const Verdict& a, const Verdict& b)
{
    if (a.scenario != b.scenario || a.inconclusiveReason != b.inconclusiveReason || a.criteria.size() != b.criteria.size())
        return false;
    for (size_t i = 0; i < a.criteria.size(); ++i) {
        const VerdictCriterion& x = a.criteria[i];
        const VerdictCriterion& y = b.criteria[i];
        if (x.name != y.name || x.comparison != y.comparison || !sameNumber(x.threshold, y.threshold) ||
            !sameNumber(x.value, y.value) || x.met != y.met || x.meaning != y.meaning)
            return false;
    }
    return true;
}

bool GroupComparison::operator==(const GroupComparison& o) const
{
    return kind == o.kind && status == o.status && presetId == o.presetId && isolatedRunId == o.isolatedRunId &&
           visibleRunId == o.visibleRunId && verdict == o.verdict && metrics == o.metrics;
}

json metricsToJson(const AnalysisMetrics& metrics)
{
    json list = json::array();
    for (const auto& m : metrics) {
        json item{{"name", m.name}, {"value", recordjson::finiteOrNull(m.value)}};
        if (m.step >= 0) item["step"] = m.step;
        if (m.layer >= 0) item["layer"] = m.layer;
        if (m.head >= 0) item["head"] = m.head;
        list.push_back(item);
    }
    return list;
}

json verdictToJson(const Verdict& verdict)
{
    json criteria = json::array();
    for (const auto& c : verdict.criteria)
        criteria.push_back({{"name", c.name},
                            {"comparison", c.comparison},
                            {"threshold", recordjson::finiteOrNull(c.threshold)},
                            {"value", recordjson::finiteOrNull(c.value)},
                            {"met", c.met},
                            {"meaning", c.meaning}});
    return {{"scenario", scenarioName(verdict.scenario)},
            {"title", scenarioTitle(verdict.scenario)},
            {"inconclusive_reason", verdict.inconclusiveReason},
            {"criteria", criteria}};
}

json groupComparisonJson(const GroupComparison& comparison)
{
    json object = json::object();
    if (!comparison.kind.empty())
        object["kind"] = comparison.kind;
    if (!comparison.status.empty())
        object["status"] = comparison.status;
    if (!comparison.presetId.empty())
        object["preset"] = comparison.presetId;
    if (comparison.isolatedRunId)
        object["isolated_run"] = *comparison.isolatedRunId;
    if (comparison.visibleRunId)
        object["visible_run"] = *comparison.visibleRunId;
    if (comparison.verdict)
        object["verdict"] = verdictToJson(*comparison.verdict);
    if (comparison.metrics)
        object["metrics"] = metricsToJson(*comparison.metrics);
    return object;
}

GroupComparison readGroupComparison(const json& object)
{
    using namespace recordjson;
    const FieldPath root{"group comparison", ""};
    if (!object.is_object())
        refuse(root, "a JSON object", object);
    GroupComparison comparison;
    comparison.kind = textAt(object, root, "kind");
    comparison.status = textAt(object, root, "status");
    comparison.presetId = textAt(object, root, "preset");
    if (member(object, "isolated_run"))
        comparison.isolatedRunId = integerAt(object, root, "isolated_run", 0);
    if (member(object, "visible_run"))
        comparison.visibleRunId = integerAt(object, root, "visible_run", 0);
    if (member(object, "verdict"))
        comparison.verdict = readStoredVerdict(objectAt(object, root, "verdict"), root / "verdict");
    if (const json* metrics = member(object, "metrics"))
        comparison.metrics = readStoredMetrics(*metrics, root / "metrics");
    return comparison;
}

GroupComparison readGroupComparisonText(const std::string& text)
{
    return readGroupComparison(recordjson::parseText(text, "group comparison"));
}

} // namespace tempo
