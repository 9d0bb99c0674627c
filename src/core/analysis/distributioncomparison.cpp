#include "core/analysis/distributioncomparison.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <string>

#include "core/analysis/statistics.h"
#include "core/common/errors.h"

namespace tempo {

namespace {

void requireSameSize(const std::vector<float>& p, const std::vector<float>& q, const char* what)
{
    if (p.size() != q.size())
        throw InvalidArgument(expectedFound(what, "two distributions over the same vocabulary",
                                            std::to_string(p.size()) + " and " + std::to_string(q.size()) + " entries"));
}

} // namespace

double entropy(const std::vector<float>& p)
{
    double h = 0.0;
    for (float v : p) {
        const double x = v;
        if (x > 0.0)
            h -= x * std::log(x);
        else if (std::isnan(x))
            return kUndefined;
    }
    return h;
}

double klDivergence(const std::vector<float>& p, const std::vector<float>& q)
{
    requireSameSize(p, q, "KL divergence inputs");
    double kl = 0.0;
    for (size_t i = 0; i < p.size(); ++i) {
        const double pi = p[i];
        const double qi = q[i];
        if (std::isnan(pi) || std::isnan(qi))
            return kUndefined;
        if (pi > 0.0)
            kl += pi * std::log(pi / std::max(qi, kKlProbabilityFloor));
    }
    return kl;
}

double jensenShannon(const std::vector<float>& p, const std::vector<float>& q)
{
    requireSameSize(p, q, "Jensen-Shannon inputs");
    double js = 0.0;
    for (size_t i = 0; i < p.size(); ++i) {
        const double pi = p[i];
        const double qi = q[i];
        if (std::isnan(pi) || std::isnan(qi))
            return kUndefined;
        const double mi = 0.5 * (pi + qi);
        if (pi > 0.0)
            js += 0.5 * pi * std::log(pi / mi);
        if (qi > 0.0)
            js += 0.5 * qi * std::log(qi / mi);
    }
    return js;
}

double cosineSimilarity(const std::vector<float>& p, const std::vector<float>& q)
{
    requireSameSize(p, q, "cosine similarity inputs");
    double dot = 0.0;
    double pp = 0.0;
    double qq = 0.0;
    for (size_t i = 0; i < p.size(); ++i) {
        dot += static_cast<double>(p[i]) * q[i];
        pp += static_cast<double>(p[i]) * p[i];
        qq += static_cast<double>(q[i]) * q[i];
    }
    if (!(pp > 0.0) || !(qq > 0.0))
        return kUndefined;
    return dot / (std::sqrt(pp) * std::sqrt(qq));
}

double maxAbsDifference(const std::vector<float>& p, const std::vector<float>& q)
{
    requireSameSize(p, q, "probability difference inputs");
    double worst = 0.0;
    for (size_t i = 0; i < p.size(); ++i) {
        const double d = std::abs(static_cast<double>(p[i]) - q[i]);
        if (std::isnan(d))
            return kUndefined;
        worst = std::max(worst, d);
    }
    return worst;
}

std::vector<int64_t> topKTokens(const std::vector<float>& p, int64_t k)
{
    const size_t count = static_cast<size_t>(std::clamp<int64_t>(k, 0, static_cast<int64_t>(p.size())));
    std::vector<int64_t> ids(p.size());
    std::iota(ids.begin(), ids.end(), int64_t{0});
    // NaN sorts last so it never displaces a real probability.
    auto before = [&](int64_t x, int64_t y) {
        const float px = p[static_cast<size_t>(x)];
        const float py = p[static_cast<size_t>(y)];
        const bool nx = std::isnan(px);
        const bool ny = std::isnan(py);
        if (nx != ny)
            return ny;
        if (!nx && px != py)
            return px > py;
        return x < y;
    };
    std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(count), ids.end(), before);
    ids.resize(count);
    return ids;
}

namespace {

// topKOverlap over tokens already ranked: `rankedA` and `rankedB` are topKTokens(p, K) and
// topKTokens(q, K) for some K >= k. topKTokens orders by a strict total order (probability, then
// id), so its first k entries for K are exactly topKTokens(p, k): one ranking per distribution
// serves every k (compareDistributions ranked the vocabulary ten times per step before).
double overlapOfRanked(const std::vector<int64_t>& rankedA, const std::vector<int64_t>& rankedB, int64_t k)
{
    const size_t countA = std::min(static_cast<size_t>(std::max<int64_t>(k, 0)), rankedA.size());
    const size_t countB = std::min(static_cast<size_t>(std::max<int64_t>(k, 0)), rankedB.size());
    if (countA == 0)
        return kUndefined;
    const std::set<int64_t> inA(rankedA.begin(), rankedA.begin() + static_cast<std::ptrdiff_t>(countA));
    int64_t shared = 0;
    for (size_t i = 0; i < countB; ++i)
        shared += inA.count(rankedB[i]) ? 1 : 0;
    return static_cast<double>(shared) / static_cast<double>(countA);
}

// entropy(p), entropy(q), klDivergence(p, q), klDivergence(q, p) and jensenShannon(p, q) in one
// pass that takes each token's ln p, ln q and ln m once (3 logs per token instead of 6: the logs
// were most of compareDistributions' time over a 4096-token vocabulary). The entropies are bit for
// bit the standalone functions' (same log, same order of sums); KL and JS use ln a - ln b where
// the standalone functions take ln(a / b), which differs in the last float64 bits only
// (distributioncomparison_test compares the two on random distributions).
// Sets those five fields of `d`.
void setDivergencesOfStep(const std::vector<float>& p, const std::vector<float>& q, StepDistributionComparison& d)
{
    requireSameSize(p, q, "divergence inputs");
    const double logFloor = std::log(kKlProbabilityFloor);
    d.entropyA = d.entropyB = d.klAB = d.klBA = d.jensenShannon = 0.0;
    bool nanP = false;
    bool nanQ = false;
    for (size_t i = 0; i < p.size(); ++i) {
        const double pi = p[i];
        const double qi = q[i];
        const bool pNan = std::isnan(pi);
        const bool qNan = std::isnan(qi);
        nanP = nanP || pNan;
        nanQ = nanQ || qNan;
        const double lp = pi > 0.0 ? std::log(pi) : 0.0;
        const double lq = qi == pi ? lp : qi > 0.0 ? std::log(qi) : 0.0;
        if (pi > 0.0)
            d.entropyA -= pi * lp;
        if (qi > 0.0)
            d.entropyB -= qi * lq;
        if (pNan || qNan || !(pi > 0.0 || qi > 0.0))
            continue; // a NaN makes KL and JS NaN (below); a token neither run gives adds nothing
        // KL floors the second distribution: ln max(x, floor).
        const double lpFloored = pi >= kKlProbabilityFloor ? lp : logFloor;
        const double lqFloored = qi >= kKlProbabilityFloor ? lq : logFloor;
        if (pi > 0.0)
            d.klAB += pi * (lp - lqFloored);
        if (qi > 0.0)
            d.klBA += qi * (lq - lpFloored);
        const double lm = pi == qi ? lp : std::log(0.5 * (pi + qi)); // m = p exactly when p = q
        if (pi > 0.0)
            d.jensenShannon += 0.5 * pi * (lp - lm);
        if (qi > 0.0)
            d.jensenShannon += 0.5 * qi * (lq - lm);
    }
    if (nanP)
        d.entropyA = kUndefined;
    if (nanQ)
        d.entropyB = kUndefined;
    if (nanP || nanQ)
        d.klAB = d.klBA = d.jensenShannon = kUndefined;
}

} // namespace

double topKOverlap(const std::vector<float>& p, const std::vector<float>& q, int64_t k)
{
    requireSameSize(p, q, "top-k overlap inputs");
    return overlapOfRanked(topKTokens(p, k), topKTokens(q, k), k);
}

DistributionComparison compareDistributions(const RunDistributions& a, const RunDistributions& b)
{
    const int64_t kLargestTopK = std::max<int64_t>(1, *std::max_element(kTopKOverlapSizes.begin(), kTopKOverlapSizes.end()));
    auto byForward = [](const RunDistributions& run, const std::string& what) {
        std::map<int64_t, const std::vector<float>*> out;
        for (const auto& r : run.readouts)
            if (!out.emplace(r.forward, &r.probabilities).second)
                throw InvalidArgument(expectedFound(what + " readouts", "one readout per forward",
                                                    "two readouts for forward " + std::to_string(r.forward)));
        return out;
    };
    const auto readoutsA = byForward(a, "run A");
    const auto readoutsB = byForward(b, "run B");

    DistributionComparison out;
    out.maxAbsDifference = kUndefined;
    out.minTopKOverlap.fill(kUndefined);
    bool vocabularyKnown = false;
    for (const auto& [forward, pa] : readoutsA) {
        auto it = readoutsB.find(forward);
        if (it == readoutsB.end()) {
            ++out.stepsOnlyInOneRun;
            continue;
        }
        const std::vector<float>& pb = *it->second;
        if (pa->size() != pb.size() || (vocabularyKnown && static_cast<int64_t>(pa->size()) != out.vocabulary))
            throw InvalidArgument(expectedFound("readout of forward " + std::to_string(forward), "the vocabulary of "
                                                + std::to_string(vocabularyKnown ? out.vocabulary : static_cast<int64_t>(pa->size())) + " tokens in both runs",
                                                std::to_string(pa->size()) + " (run A) and " + std::to_string(pb.size()) + " (run B)"));
        out.vocabulary = static_cast<int64_t>(pa->size());
        vocabularyKnown = true;

        StepDistributionComparison s;
        s.step = forward;
        setDivergencesOfStep(*pa, pb, s);
        // Each distribution ranked once, for the largest k; smaller k are its prefixes.
        const auto topA = topKTokens(*pa, kLargestTopK);
        const auto topB = topKTokens(pb, kLargestTopK);
        s.topProbabilityA = topA.empty() ? kUndefined : (*pa)[static_cast<size_t>(topA.front())];
        s.topProbabilityB = topB.empty() ? kUndefined : pb[static_cast<size_t>(topB.front())];
        s.cosine = cosineSimilarity(*pa, pb);
        s.maxAbsDifference = maxAbsDifference(*pa, pb);
        for (size_t k = 0; k < kTopKOverlapSizes.size(); ++k)
            s.topKOverlap[k] = overlapOfRanked(topA, topB, kTopKOverlapSizes[k]);

        // NaN propagates into the summaries on purpose: a non-finite readout must not look identical.
        const bool first = out.steps.empty();
        out.maxAbsDifference = first || std::isnan(s.maxAbsDifference) ? s.maxAbsDifference
            : std::isnan(out.maxAbsDifference)                       ? out.maxAbsDifference
                                                                     : std::max(out.maxAbsDifference, s.maxAbsDifference);
        for (size_t k = 0; k < kTopKOverlapSizes.size(); ++k)
            out.minTopKOverlap[k] = first ? s.topKOverlap[k] : std::min(out.minTopKOverlap[k], s.topKOverlap[k]);
        if (out.firstDifferingDistributionStep < 0
            && !(s.maxAbsDifference < kIdenticalDistributionTolerance)) // NaN counts as differing
            out.firstDifferingDistributionStep = s.step;
        out.steps.push_back(s);
    }
    for (const auto& [forward, pb] : readoutsB)
        if (!readoutsA.count(forward))
            ++out.stepsOnlyInOneRun;

    const size_t commonSteps = std::min(a.sets.size(), b.sets.size());
    for (size_t s = 0; s < commonSteps; ++s) {
        const std::set<int64_t> setA(a.sets[s].begin(), a.sets[s].end());
        const std::set<int64_t> setB(b.sets[s].begin(), b.sets[s].end());
        if (setA != setB) {
            out.firstDifferingSetStep = static_cast<int64_t>(s);
            break;
        }
    }
    if (out.firstDifferingSetStep < 0 && a.sets.size() != b.sets.size())
        out.firstDifferingSetStep = static_cast<int64_t>(commonSteps);
    return out;
}

AnalysisMetrics metrics(const DistributionComparison& c)
{
    AnalysisMetrics out;
    RunningSummary js;
    RunningSummary klAB;
    RunningSummary klBA;
    for (const auto& s : c.steps) {
        const std::string p = "distribution.by_step.";
        out.push_back({p + "entropy_a", s.entropyA, s.step});
        out.push_back({p + "entropy_b", s.entropyB, s.step});
        out.push_back({p + "top_probability_a", s.topProbabilityA, s.step});
        out.push_back({p + "top_probability_b", s.topProbabilityB, s.step});
        out.push_back({p + "kl_ab", s.klAB, s.step});
        out.push_back({p + "kl_ba", s.klBA, s.step});
        out.push_back({p + "js", s.jensenShannon, s.step});
        out.push_back({p + "cosine", s.cosine, s.step});
        out.push_back({p + "max_abs_diff", s.maxAbsDifference, s.step});
        for (size_t k = 0; k < kTopKOverlapSizes.size(); ++k)
            out.push_back({p + "top" + std::to_string(kTopKOverlapSizes[k]) + "_overlap", s.topKOverlap[k], s.step});
        js.add(s.jensenShannon);
        klAB.add(s.klAB);
        klBA.add(s.klBA);
    }
    out.push_back({"distribution.max_abs_diff", c.maxAbsDifference});
    for (size_t k = 0; k < kTopKOverlapSizes.size(); ++k)
        out.push_back({"distribution.min_top" + std::to_string(kTopKOverlapSizes[k]) + "_overlap", c.minTopKOverlap[k]});
    out.push_back({"distribution.mean_js", js.mean()});
    out.push_back({"distribution.mean_kl_ab", klAB.mean()});
    out.push_back({"distribution.mean_kl_ba", klBA.mean()});
    out.push_back({"distribution.first_differing_set_step", static_cast<double>(c.firstDifferingSetStep)});
    out.push_back({"distribution.first_differing_distribution_step", static_cast<double>(c.firstDifferingDistributionStep)});
    out.push_back({"distribution.steps_compared", static_cast<double>(c.steps.size())});
    out.push_back({"distribution.steps_only_in_one_run", static_cast<double>(c.stepsOnlyInOneRun)});
    return out;
}

} // namespace tempo
