#include "core/analysis/attentioncomparison.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <utility>

#include "core/analysis/statistics.h"
#include "core/common/errors.h"

namespace tempo {

namespace {

class DifferenceAccumulator {
public:
    void add(double a, double b)
    {
        const double d = std::abs(a - b);
        if (std::isnan(d))
            sawNaN_ = true; // RunningSummary::max would skip it; a NaN must show, not hide
        abs_.add(d);
        pearson_.add(a, b);
    }
    AttentionDifference result() const
    {
        AttentionDifference r;
        r.elements = abs_.count();
        r.meanAbsDifference = abs_.mean();
        r.maxAbsDifference = sawNaN_ ? kUndefined : abs_.max();
        r.pearson = pearson_.correlation();
        return r;
    }

private:
    RunningSummary abs_;
    PearsonAccumulator pearson_;
    bool sawNaN_ = false;
};

using SlotKey = std::pair<int64_t, int64_t>; // (step, member)

// slot -> (step, member) from a slot map.
std::vector<SlotKey> slotKeys(const std::vector<int64_t>& slotSteps)
{
    std::vector<SlotKey> keys(slotSteps.size());
    std::map<int64_t, int64_t> firstSlotOfStep;
    for (size_t slot = 0; slot < slotSteps.size(); ++slot) {
        const int64_t step = slotSteps[slot];
        auto it = firstSlotOfStep.emplace(step, static_cast<int64_t>(slot)).first;
        keys[slot] = {step, static_cast<int64_t>(slot) - it->second};
    }
    return keys;
}

std::map<int64_t, const AttentionForward*> forwardsByStep(const RunAttention& run, const std::string& what)
{
    std::map<int64_t, const AttentionForward*> byStep;
    for (const auto& f : run.forwards)
        if (!byStep.emplace(f.step, &f).second)
            throw InvalidArgument(expectedFound(what + " attention", "one forward per step",
                                                "two forwards for step " + std::to_string(f.step)));
    return byStep;
}

} // namespace

AttentionComparison compareAttention(const RunAttention& a, const RunAttention& b, double tolerance)
{
    validateRunAttention(a, "run A");
    validateRunAttention(b, "run B");
    if (!a.forwards.empty() && !b.forwards.empty()) {
        const Tensor4& ta = a.forwards.front().probabilities;
        const Tensor4& tb = b.forwards.front().probabilities;
        if (ta.size(0) != tb.size(0) || ta.size(1) != tb.size(1))
            throw InvalidArgument(expectedFound("attention of run B", "the layers and heads of run A (" + ta.shapeText() + ")",
                                                tb.shapeText()));
    }
    const auto stepsA = forwardsByStep(a, "run A");
    const auto stepsB = forwardsByStep(b, "run B");
    const auto keysA = slotKeys(a.slotSteps);
    const auto keysB = slotKeys(b.slotSteps);

    AttentionComparison out;
    out.tolerance = tolerance;
    for (const auto& [step, fa] : stepsA)
        if (!stepsB.count(step))
            ++out.forwardsOnlyInOneRun;
    for (const auto& [step, fb] : stepsB)
        if (!stepsA.count(step))
            ++out.forwardsOnlyInOneRun;

    const int64_t layers = a.forwards.empty() ? 0 : a.forwards.front().probabilities.size(0);
    const int64_t heads = a.forwards.empty() ? 0 : a.forwards.front().probabilities.size(1);
    DifferenceAccumulator overall;
    std::vector<DifferenceAccumulator> perLayer(static_cast<size_t>(layers));
    std::vector<DifferenceAccumulator> perHead(static_cast<size_t>(layers * heads));

    for (const auto& [step, fa] : stepsA) {
        auto itB = stepsB.find(step);
        if (itB == stepsB.end())
            continue;
        const AttentionForward* fb = itB->second;
        const Tensor4& pa = fa->probabilities; // [L, H, rowsA, slotsA]
        const Tensor4& pb = fb->probabilities; // [L, H, rowsB, slotsB]
        const int64_t rows = std::min(pa.size(2), pb.size(2));

        // Slot pairs (slot in A, slot in B) holding the same (step, member).
        std::map<SlotKey, int64_t> slotOfKeyB;
        for (int64_t s = 0; s < pb.size(3); ++s)
            slotOfKeyB.emplace(keysB[static_cast<size_t>(s)], s);
        std::vector<std::pair<int64_t, int64_t>> slotPairs;
        for (int64_t s = 0; s < pa.size(3); ++s) {
            auto it = slotOfKeyB.find(keysA[static_cast<size_t>(s)]);
            if (it != slotOfKeyB.end())
                slotPairs.emplace_back(s, it->second);
        }

        DifferenceAccumulator stepAcc;
        for (int64_t l = 0; l < layers; ++l)
            for (int64_t h = 0; h < heads; ++h)
                for (int64_t r = 0; r < rows; ++r)
                    for (const auto& [sa, sb] : slotPairs) {
                        const double va = pa.at(l, h, r, sa);
                        const double vb = pb.at(l, h, r, sb);
                        stepAcc.add(va, vb);
                        overall.add(va, vb);
                        perLayer[static_cast<size_t>(l)].add(va, vb);
                        perHead[static_cast<size_t>(l * heads + h)].add(va, vb);
                    }
        StepAttentionDifference sd;
        sd.step = step;
        sd.forwardA = fa->forward;
        sd.forwardB = fb->forward;
        sd.rowsCompared = rows;
        sd.slotsCompared = static_cast<int64_t>(slotPairs.size());
        sd.difference = stepAcc.result();
        // An empty comparison never counts as a difference; a NaN inside the data does.
        const double maxDiff = sd.difference.maxAbsDifference;
        const bool differs = sd.difference.elements > 0 && (maxDiff > tolerance || std::isnan(maxDiff));
        if (differs && out.firstDifferingForward < 0) {
            out.firstDifferingForward = fa->forward;
            out.firstDifferingStep = step;
        }
        out.perStep.push_back(sd);
    }

    out.overall = overall.result();
    for (int64_t l = 0; l < layers; ++l) {
        out.perLayer.push_back({l, perLayer[static_cast<size_t>(l)].result()});
        for (int64_t h = 0; h < heads; ++h)
            out.perHead.push_back({l, h, perHead[static_cast<size_t>(l * heads + h)].result()});
    }
    return out;
}

namespace {

void addDifference(AnalysisMetrics& out, const std::string& prefix, const AttentionDifference& d, int64_t step,
                   int64_t layer, int64_t head)
{
    out.push_back({prefix + "mean_abs_diff", d.meanAbsDifference, step, layer, head});
    out.push_back({prefix + "max_abs_diff", d.maxAbsDifference, step, layer, head});
    out.push_back({prefix + "pearson", d.pearson, step, layer, head});
    out.push_back({prefix + "elements", static_cast<double>(d.elements), step, layer, head});
}

} // namespace

AnalysisMetrics metrics(const AttentionComparison& c)
{
    AnalysisMetrics out;
    addDifference(out, "attention.", c.overall, -1, -1, -1);
    for (const auto& s : c.perStep) // step -1 here is the prefill forward
        addDifference(out, "attention.by_step.", s.difference, s.step, -1, -1);
    for (const auto& l : c.perLayer)
        addDifference(out, "attention.by_layer.", l.difference, -1, l.layer, -1);
    for (const auto& h : c.perHead)
        addDifference(out, "attention.by_head.", h.difference, -1, h.layer, h.head);
    out.push_back({"attention.first_differing_forward", static_cast<double>(c.firstDifferingForward)});
    out.push_back({"attention.first_differing_step", static_cast<double>(c.firstDifferingStep)});
    out.push_back({"attention.tolerance", c.tolerance});
    out.push_back({"attention.forwards_only_in_one_run", static_cast<double>(c.forwardsOnlyInOneRun)});
    return out;
}

} // namespace tempo
