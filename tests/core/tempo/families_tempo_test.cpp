// TEMPO on every model family: a peaked tiny checkpoint of each family (sliding windows small
// enough that runs cross them) runs whole sets at one logical position in both sibling modes and
// passes every applicable check; gpt2's rope_rotation says "not applicable" and its position check
// compares the position-embedding rows the members received; breaking a property still fails its check.

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "core/model/llamamodel.h"
#include "core/tempo/checks.h"
#include "core/tempo/tempodecoder.h"
#include "peakedmodel.h"

namespace tempo {
namespace {

TestModelSpec peakedFamilySpec(ModelFamily family)
{
    TestModelSpec spec = test::peakedSpec();
    spec.family = family;
    spec.slidingWindow = familyTraits(family).slidingWindowAllowed ? 6 : 0; // the prompt alone is 12 tokens
    return spec;
}

const LlamaModel& familyModel(ModelFamily family)
{
    static std::map<ModelFamily, test::LoadedModel> loaded;
    auto found = loaded.find(family);
    if (found == loaded.end())
        found = loaded.emplace(family, test::loadModel(peakedFamilySpec(family))).first;
    return *found->second.model;
}

class FamilyTempo : public ::testing::TestWithParam<ModelFamily> {};

TEST_P(FamilyTempo, CorrectRunsPassEveryApplicableCheckInBothModes)
{
    const ModelFamily family = GetParam();
    for (auto mode : {SiblingMode::Isolated, SiblingMode::Visible}) {
        TempoConfig config = test::peakedConfig(mode, 12);
        config.threshold = 0.05;
        const TempoRun run = TempoDecoder(familyModel(family)).run(test::peakedPrompt(), config);
        for (const auto& c : run.checks)
            std::printf("  [%s %s] %-18s %s  %s\n", familyName(family).c_str(), siblingModeName(mode).c_str(),
                        c.name.c_str(), c.passed ? "pass" : "FAIL", c.detail.c_str());
        ASSERT_GE(test::firstMultiMemberStep(run), 0) << "no set of 2+ members: the run would not test TEMPO";
        EXPECT_TRUE(run.allChecksPassed());
        const CheckResult* rope = run.check(checkname::kRopeRotation);
        const CheckResult* positions = run.check(checkname::kSharedPositions);
        ASSERT_NE(rope, nullptr);
        ASSERT_NE(positions, nullptr);
        if (family == ModelFamily::Gpt2) {
            EXPECT_EQ(rope->detail.rfind("not applicable: gpt2", 0), 0u) << rope->detail;
            EXPECT_NE(positions->detail.find("same position-embedding row"), std::string::npos) << positions->detail;
        } else {
            EXPECT_EQ(rope->detail.find("indistinguishable"), std::string::npos); // slots != positions were checked
        }
    }
}

TEST_P(FamilyTempo, SpreadSiblingPositionsFailTheSharedPositionsCheck)
{
    TempoConfig config = test::peakedConfig(SiblingMode::Isolated, 12);
    config.threshold = 0.05;
    config.faultsForTesting.spreadSiblingPositions = true;
    const TempoRun run = TempoDecoder(familyModel(GetParam())).run(test::peakedPrompt(), config);
    ASSERT_GE(test::firstMultiMemberStep(run), 0);
    EXPECT_FALSE(run.check(checkname::kSharedPositions)->passed);
}

INSTANTIATE_TEST_SUITE_P(AllFamilies, FamilyTempo,
                         ::testing::Values(ModelFamily::Llama, ModelFamily::Mistral, ModelFamily::Qwen2, ModelFamily::Phi3,
                                           ModelFamily::Gemma2, ModelFamily::Gpt2),
                         [](const ::testing::TestParamInfo<ModelFamily>& info) { return familyName(info.param); });

// The position-embedding half of shared_positions on hand-made records: ids right, rows wrong.
TEST(SharedPositionsCheck, LearnedPositionRowsMustBeIdenticalAcrossSiblingsAndEqualTheTable)
{
    const at::Tensor table = at::randn({8, 4}, at::kFloat); // [P, H]
    const auto rowsAt = [&](std::vector<int64_t> positions) {
        return table.index_select(0, at::tensor(positions, at::kLong)); // [n, H]
    };
    const std::vector<FedPositions> ids{{1, 0, {5, 5, 5}, {5, 5, 5}}};
    EXPECT_TRUE(checkSharedPositions(ids, {{1, 0, rowsAt({5, 5, 5}), rowsAt({5, 5, 5})}}).passed);

    at::Tensor differing = rowsAt({5, 5, 5}).clone();
    differing[2] = table[6];
    const CheckResult r = checkSharedPositions(ids, {{1, 0, differing, rowsAt({5, 5, 5})}});
    EXPECT_FALSE(r.passed);
    EXPECT_NE(r.detail.find("members received different position-embedding rows"), std::string::npos) << r.detail;

    const CheckResult w = checkSharedPositions(ids, {{1, 0, rowsAt({4, 4, 4}), rowsAt({5, 5, 5})}});
    EXPECT_FALSE(w.passed);
    EXPECT_NE(w.detail.find("differ from the table's rows"), std::string::npos) << w.detail;
}

} // namespace
} // namespace tempo
