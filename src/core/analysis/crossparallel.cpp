#include "core/analysis/crossparallel.h"

#include <limits>
#include <string>

#include "core/analysis/statistics.h"

namespace tempo {

namespace {

class MassAccumulator {
public:
    void add(double sibling, double self, double prior)
    {
        sibling_.add(sibling);
        self_.add(self);
        prior_.add(prior);
    }
    AttentionMassSummary result() const
    {
        AttentionMassSummary m;
        m.rows = sibling_.count();
        m.meanSibling = sibling_.mean();
        m.maxSibling = sibling_.max();
        m.minSibling = sibling_.min();
        m.meanPrior = prior_.mean();
        m.maxPrior = prior_.max();
        m.minPrior = prior_.min();
        m.meanSelf = self_.mean();
        m.ratio = siblingToPriorRatio(m.meanSibling, m.meanPrior);
        return m;
    }

private:
    RunningSummary sibling_;
    RunningSummary self_;
    RunningSummary prior_;
};

} // namespace

double siblingToPriorRatio(double meanSiblingMass, double meanPriorMass)
{
    if (meanPriorMass > 0.0)
        return meanSiblingMass / meanPriorMass;
    if (meanSiblingMass > 0.0)
        return std::numeric_limits<double>::infinity();
    return std::numeric_limits<double>::quiet_NaN(); // 0 / 0, or NaN inputs
}

CrossParallelAttention analyseCrossParallelAttention(const RunAttention& run)
{
    validateRunAttention(run, "cross-parallel run");
    CrossParallelAttention out;
    const int64_t layers = run.forwards.empty() ? 0 : run.forwards.front().probabilities.size(0);
    const int64_t heads = run.forwards.empty() ? 0 : run.forwards.front().probabilities.size(1);
    MassAccumulator overall;
    std::vector<MassAccumulator> perLayer(static_cast<size_t>(layers));
    std::vector<MassAccumulator> perHead(static_cast<size_t>(layers * heads));

    for (const auto& f : run.forwards) {
        const Tensor4& a = f.probabilities; // [L, H, w, slots]
        const int64_t width = a.size(2);
        if (f.step < 0 || width < 2)
            continue;
        MassAccumulator setAcc;
        for (int64_t l = 0; l < layers; ++l)
            for (int64_t h = 0; h < heads; ++h)
                for (int64_t i = 0; i < width; ++i) {
                    double prior = 0.0;
                    for (int64_t s = 0; s < f.firstSlot; ++s)
                        prior += a.at(l, h, i, s);
                    double sibling = 0.0;
                    for (int64_t j = 0; j < width; ++j)
                        if (j != i)
                            sibling += a.at(l, h, i, f.firstSlot + j);
                    const double self = a.at(l, h, i, f.firstSlot + i);
                    setAcc.add(sibling, self, prior);
                    overall.add(sibling, self, prior);
                    perLayer[static_cast<size_t>(l)].add(sibling, self, prior);
                    perHead[static_cast<size_t>(l * heads + h)].add(sibling, self, prior);
                }
        out.sets.push_back({f.step, f.forward, width, setAcc.result()});
    }
    out.overall = overall.result();
    if (!out.sets.empty())
        for (int64_t l = 0; l < layers; ++l) {
            out.perLayer.push_back({l, perLayer[static_cast<size_t>(l)].result()});
            for (int64_t h = 0; h < heads; ++h)
                out.perHead.push_back({l, h, perHead[static_cast<size_t>(l * heads + h)].result()});
        }
    return out;
}

namespace {

void addMass(AnalysisMetrics& out, const std::string& prefix, const AttentionMassSummary& m, int64_t step, int64_t layer,
             int64_t head)
{
    out.push_back({prefix + "rows", static_cast<double>(m.rows), step, layer, head});
    out.push_back({prefix + "mean_sibling", m.meanSibling, step, layer, head});
    out.push_back({prefix + "max_sibling", m.maxSibling, step, layer, head});
    out.push_back({prefix + "min_sibling", m.minSibling, step, layer, head});
    out.push_back({prefix + "mean_prior", m.meanPrior, step, layer, head});
    out.push_back({prefix + "max_prior", m.maxPrior, step, layer, head});
    out.push_back({prefix + "min_prior", m.minPrior, step, layer, head});
    out.push_back({prefix + "mean_self", m.meanSelf, step, layer, head});
    out.push_back({prefix + "ratio", m.ratio, step, layer, head});
}

} // namespace

AnalysisMetrics metrics(const CrossParallelAttention& c)
{
    AnalysisMetrics out;
    addMass(out, "cross_parallel.", c.overall, -1, -1, -1);
    for (const auto& s : c.sets) {
        addMass(out, "cross_parallel.by_set.", s.mass, s.step, -1, -1);
        out.push_back({"cross_parallel.by_set.width", static_cast<double>(s.width), s.step});
    }
    for (const auto& l : c.perLayer)
        addMass(out, "cross_parallel.by_layer.", l.mass, -1, l.layer, -1);
    for (const auto& h : c.perHead)
        addMass(out, "cross_parallel.by_head.", h.mass, -1, h.layer, h.head);
    out.push_back({"cross_parallel.multi_member_sets", static_cast<double>(c.multiMemberSets())});
    return out;
}

} // namespace tempo
