// The GGUF writer read back by a reader written here from gguf.md (not from the writer), the
// query/key row permutation checked against RoPE itself, and a test checkpoint exported with the
// names and keys llama.cpp expects. llama.cpp itself loading the files is tests/parity.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <ATen/ATen.h>

#include "core/common/errors.h"
#include "core/gguf/ggufexport.h"
#include "core/gguf/ggufvocabulary.h"
#include "core/gguf/ggufwriter.h"
#include "core/model/checkpoint.h"
#include "core/model/llamamodel.h"
#include "core/testmodel/testmodel.h"
#include "support/testsupport.h"

namespace tempo {
namespace {

// A GGUF file as gguf.md describes it, parsed from its bytes with bounds checks.
struct ParsedGguf {
    uint32_t version = 0;
    std::map<std::string, uint32_t> keyTypes;
    std::map<std::string, uint64_t> integers;   // u32/i32/u64/bool values
    std::map<std::string, float> floats;
    std::map<std::string, std::string> strings;
    std::map<std::string, std::vector<std::string>> stringArrays;
    std::map<std::string, std::vector<int64_t>> integerArrays;
    std::map<std::string, std::vector<float>> floatArrays;
    struct Tensor {
        std::vector<uint64_t> ne;
        uint32_t type = 0;
        uint64_t offset = 0;
    };
    std::map<std::string, Tensor> tensors;
    std::vector<std::string> tensorOrder;
    uint64_t dataStart = 0;
    std::string bytes;

    // Values of an F32, F16 or BF16 tensor as floats, decoded here from the bit layouts.
    std::vector<float> tensorData(const std::string& name) const
    {
        const Tensor& tensor = tensors.at(name);
        uint64_t count = 1;
        for (uint64_t n : tensor.ne)
            count *= n;
        std::vector<float> out(count);
        const char* data = bytes.data() + dataStart + tensor.offset;
        if (tensor.type == 0) {
            std::memcpy(out.data(), data, count * 4);
            return out;
        }
        for (uint64_t i = 0; i < count; ++i) {
            uint16_t half = 0;
            std::memcpy(&half, data + 2 * i, 2);
            if (tensor.type == 30) { // bf16: the upper 16 bits of a float32
                const uint32_t bits = static_cast<uint32_t>(half) << 16;
                std::memcpy(&out[i], &bits, 4);
            } else { // f16: sign, 5 exponent bits (bias 15), 10 mantissa bits; no inf/NaN here
                const int exponent = (half >> 10) & 0x1f, mantissa = half & 0x3ff;
                const float magnitude = exponent == 0 ? std::ldexp(static_cast<float>(mantissa), -24)
                                                      : std::ldexp(static_cast<float>(mantissa + 1024), exponent - 25);
                out[i] = (half & 0x8000) ? -magnitude : magnitude;
            }
        }
        return out;
    }
};

class ByteCursor {
public:
    explicit ByteCursor(const std::string& bytes) : bytes_(bytes) {}
    uint64_t unsignedValue(int size)
    {
        if (position_ + static_cast<size_t>(size) > bytes_.size())
            throw std::runtime_error("read past the end at " + std::to_string(position_));
        uint64_t value = 0;
        for (int i = 0; i < size; ++i)
            value |= static_cast<uint64_t>(static_cast<unsigned char>(bytes_[position_ + static_cast<size_t>(i)])) << (8 * i);
        position_ += static_cast<size_t>(size);
        return value;
    }
    float floatValue()
    {
        const auto bits = static_cast<uint32_t>(unsignedValue(4));
        float value = 0;
        std::memcpy(&value, &bits, 4);
        return value;
    }
    std::string text()
    {
        const uint64_t length = unsignedValue(8);
        if (position_ + length > bytes_.size())
            throw std::runtime_error("string past the end");
        std::string out = bytes_.substr(position_, length);
        position_ += length;
        return out;
    }
    size_t position() const { return position_; }

private:
    const std::string& bytes_;
    size_t position_ = 0;
};

ParsedGguf parseGguf(const std::string& bytes)
{
    ParsedGguf file;
    file.bytes = bytes;
    ByteCursor cursor(file.bytes);
    if (file.bytes.compare(0, 4, "GGUF") != 0)
        throw std::runtime_error("no GGUF magic");
    cursor.unsignedValue(4);
    file.version = static_cast<uint32_t>(cursor.unsignedValue(4));
    const uint64_t tensorCount = cursor.unsignedValue(8), keyCount = cursor.unsignedValue(8);
    for (uint64_t k = 0; k < keyCount; ++k) {
        const std::string key = cursor.text();
        const auto type = static_cast<uint32_t>(cursor.unsignedValue(4));
        file.keyTypes[key] = type;
        switch (type) {
        case 4: case 5: file.integers[key] = cursor.unsignedValue(4); break;   // u32, i32
        case 7: file.integers[key] = cursor.unsignedValue(1); break;           // bool
        case 10: case 11: file.integers[key] = cursor.unsignedValue(8); break; // u64, i64
        case 6: file.floats[key] = cursor.floatValue(); break;
        case 8: file.strings[key] = cursor.text(); break;
        case 9: {
            const auto itemType = static_cast<uint32_t>(cursor.unsignedValue(4));
            const uint64_t count = cursor.unsignedValue(8);
            for (uint64_t i = 0; i < count; ++i) {
                if (itemType == 8)
                    file.stringArrays[key].push_back(cursor.text());
                else if (itemType == 5)
                    file.integerArrays[key].push_back(static_cast<int32_t>(cursor.unsignedValue(4)));
                else if (itemType == 6)
                    file.floatArrays[key].push_back(cursor.floatValue());
                else
                    throw std::runtime_error("array type " + std::to_string(itemType) + " not expected here");
            }
            break;
        }
        default: throw std::runtime_error("value type " + std::to_string(type) + " not expected here");
        }
    }
    for (uint64_t t = 0; t < tensorCount; ++t) {
        const std::string name = cursor.text();
        ParsedGguf::Tensor tensor;
        const uint64_t dims = cursor.unsignedValue(4);
        for (uint64_t d = 0; d < dims; ++d)
            tensor.ne.push_back(cursor.unsignedValue(8));
        tensor.type = static_cast<uint32_t>(cursor.unsignedValue(4));
        tensor.offset = cursor.unsignedValue(8);
        file.tensors[name] = tensor;
        file.tensorOrder.push_back(name);
    }
    file.dataStart = (cursor.position() + 31) / 32 * 32;
    for (const auto& [name, tensor] : file.tensors) {
        uint64_t count = 1;
        for (uint64_t n : tensor.ne)
            count *= n;
        if (file.dataStart + tensor.offset + count * (tensor.type == 0 ? 4 : 2) > file.bytes.size())
            throw std::runtime_error("tensor " + name + " past the end of the file");
    }
    return file;
}

TEST(GgufWriterTest, WritesHeaderTypedMetadataAndAlignedTensorsThatReadBack)
{
    test::TempDir dir("tempo-gguf");
    GgufWriter writer;
    writer.addString("general.architecture", "llama");
    writer.addUint32("llama.block_count", 3);
    writer.addInt32("some.signed", -7);
    writer.addFloat32("llama.rope.freq_base", 500000.0f);
    writer.addBool("tokenizer.ggml.add_bos_token", true);
    writer.addStringArray("tokenizer.ggml.tokens", {"a", "Ġb", ""});
    writer.addInt32Array("tokenizer.ggml.token_type", {1, 3, -2});
    writer.addFloat32Array("tokenizer.ggml.scores", {0.5f, -1.25f});
    const at::Tensor matrix = at::arange(15, at::kFloat).reshape({3, 5}) * 0.5;  // [3, 5]
    const at::Tensor vector = at::arange(7, at::kDouble) - 3;                     // [7] float64 -> float32
    writer.addTensor("blk.0.attn_q.weight", matrix);
    writer.addTensor("output_norm.weight", vector);
    writer.addTensor("half.weight", at::ones({2, 2}, at::kHalf));
    writer.write(dir / "out.gguf");

    const ParsedGguf file = parseGguf(test::readFileBytes(dir / "out.gguf"));
    EXPECT_EQ(file.version, 3u);
    EXPECT_EQ(file.strings.at("general.architecture"), "llama");
    EXPECT_EQ(file.keyTypes.at("llama.block_count"), 4u); // u32
    EXPECT_EQ(file.integers.at("llama.block_count"), 3u);
    EXPECT_EQ(file.keyTypes.at("some.signed"), 5u);       // i32
    EXPECT_EQ(static_cast<int32_t>(file.integers.at("some.signed")), -7);
    EXPECT_EQ(file.keyTypes.at("llama.rope.freq_base"), 6u);
    EXPECT_EQ(file.floats.at("llama.rope.freq_base"), 500000.0f);
    EXPECT_EQ(file.integers.at("tokenizer.ggml.add_bos_token"), 1u);
    EXPECT_EQ(file.stringArrays.at("tokenizer.ggml.tokens"), (std::vector<std::string>{"a", "Ġb", ""}));
    EXPECT_EQ(file.integerArrays.at("tokenizer.ggml.token_type"), (std::vector<int64_t>{1, 3, -2}));
    EXPECT_EQ(file.floatArrays.at("tokenizer.ggml.scores"), (std::vector<float>{0.5f, -1.25f}));

    // ggml order: innermost dimension first; every offset a multiple of 32; f32 everywhere.
    ASSERT_EQ(file.tensorOrder, (std::vector<std::string>{"blk.0.attn_q.weight", "output_norm.weight", "half.weight"}));
    EXPECT_EQ(file.tensors.at("blk.0.attn_q.weight").ne, (std::vector<uint64_t>{5, 3}));
    EXPECT_EQ(file.tensors.at("output_norm.weight").ne, (std::vector<uint64_t>{7}));
    for (const auto& [name, tensor] : file.tensors) {
        EXPECT_EQ(tensor.type, 0u) << name;
        EXPECT_EQ(tensor.offset % 32, 0u) << name;
    }
    EXPECT_EQ(file.dataStart % 32, 0u);
    const std::vector<float> matrixBack = file.tensorData("blk.0.attn_q.weight");
    for (int64_t i = 0; i < 15; ++i)
        EXPECT_EQ(matrixBack[static_cast<size_t>(i)], 0.5f * static_cast<float>(i)); // row-major, unchanged
    EXPECT_EQ(file.tensorData("output_norm.weight")[0], -3.0f);
    EXPECT_EQ(file.tensorData("half.weight")[3], 1.0f);
    EXPECT_EQ(file.bytes.size() % 32, 0u);
}

TEST(GgufWriterTest, RefusesDuplicateKeysAndTensorsAndBadTensors)
{
    GgufWriter writer;
    writer.addUint32("a.key", 1);
    EXPECT_THROW(writer.addString("a.key", "again"), InvalidArgument);
    writer.addTensor("t.weight", at::ones({2}));
    EXPECT_THROW(writer.addTensor("t.weight", at::ones({2})), InvalidArgument);
    EXPECT_THROW(writer.addTensor(std::string(64, 'x'), at::ones({2})), InvalidArgument);
    EXPECT_THROW(writer.addTensor("five.dims", at::ones({1, 1, 1, 1, 2})), InvalidArgument);
    EXPECT_THROW(writer.addTensor("ints", at::ones({2}, at::kLong)), InvalidArgument);
}

// llama.cpp's LLAMA_ROPE_TYPE_NORM: dimension pair (2i, 2i+1) rotated by position * frequency i.
at::Tensor interleavedRope(const at::Tensor& x, int64_t position, const at::Tensor& inverseFrequencies) // x [H, D]
{
    const at::Tensor angles = inverseFrequencies.to(at::kDouble) * static_cast<double>(position); // [D/2]
    const at::Tensor even = x.index({at::indexing::Slice(), at::indexing::Slice(0, at::indexing::None, 2)});
    const at::Tensor odd = x.index({at::indexing::Slice(), at::indexing::Slice(1, at::indexing::None, 2)});
    const at::Tensor rotatedEven = even * angles.cos() - odd * angles.sin();
    const at::Tensor rotatedOdd = even * angles.sin() + odd * angles.cos();
    return at::stack({rotatedEven, rotatedOdd}, -1).reshape(x.sizes()); // [H, D]
}

TEST(GgufExportTest, PermutedProjectionsUnderInterleavedRopeGiveTheSameAttentionScores)
{
    LlamaConfig config;
    config.headDim = 8;
    config.ropeTheta = 10000.0;
    const int64_t heads = 3, hidden = 5;
    at::manual_seed(3);
    const at::Tensor wq = at::randn({heads * config.headDim, hidden}, at::kDouble); // [H*D, hidden]
    const at::Tensor wk = at::randn({heads * config.headDim, hidden}, at::kDouble);
    const at::Tensor x = at::randn({hidden}, at::kDouble), y = at::randn({hidden}, at::kDouble);
    const at::Tensor inverse = ropeInverseFrequencies(config).to(at::kDouble); // [D/2]
    const int64_t qPosition = 37, kPosition = 11;

    // Hugging Face: rotate-half RoPE on the original rows.
    auto hf = [&](const at::Tensor& w, const at::Tensor& input, int64_t position) {
        const at::Tensor rows = at::matmul(w, input).reshape({heads, 1, config.headDim}); // [H, 1, D]
        return applyRope(rows, at::tensor(std::vector<int64_t>{position}, at::kLong), inverse).reshape({heads, config.headDim});
    };
    // llama.cpp: interleaved RoPE on the permuted rows.
    auto gguf = [&](const at::Tensor& w, const at::Tensor& input, int64_t position) {
        const at::Tensor rows = at::matmul(permuteRowsForInterleavedRope(w, heads), input).reshape({heads, config.headDim});
        return interleavedRope(rows, position, inverse);
    };
    const at::Tensor scoresHf = (hf(wq, x, qPosition) * hf(wk, y, kPosition)).sum(-1);       // [H]
    const at::Tensor scoresGguf = (gguf(wq, x, qPosition) * gguf(wk, y, kPosition)).sum(-1); // [H]
    // applyRope takes its angles in float32 (as transformers does): agreement to float32 precision.
    EXPECT_TRUE(at::allclose(scoresHf, scoresGguf, 1e-5, 1e-5)) << scoresHf << scoresGguf;
    // And without the permutation the scores differ: the test can tell.
    const at::Tensor unpermuted =
        (interleavedRope(at::matmul(wq, x).reshape({heads, config.headDim}), qPosition, inverse)
         * interleavedRope(at::matmul(wk, y).reshape({heads, config.headDim}), kPosition, inverse)).sum(-1);
    EXPECT_FALSE(at::allclose(scoresHf, unpermuted, 1e-3, 1e-3));

    // Row h*D + 2i (+1) of the result is row h*D + i (+ D/2) of the input.
    const at::Tensor rows = at::arange(2 * 8, at::kFloat).reshape({16, 1});
    const at::Tensor permuted = permuteRowsForInterleavedRope(rows, 2).flatten();
    EXPECT_EQ(permuted[0].item<float>(), 0.0f);
    EXPECT_EQ(permuted[1].item<float>(), 4.0f);
    EXPECT_EQ(permuted[2].item<float>(), 1.0f);
    EXPECT_EQ(permuted[9].item<float>(), 12.0f);
    EXPECT_THROW(permuteRowsForInterleavedRope(at::ones({9, 2}), 2), InvalidArgument);
}

TEST(GgufExportTest, TestCheckpointGetsLlamaCppNamesKeysAndVocabulary)
{
    test::TempDir dir("tempo-gguf-export");
    TestModelSpec spec;
    spec.tied = false;
    spec.llama3RopeScaling = true;
    spec.headDim = 24;
    writeTestModel(dir / "model", spec);
    const GgufExportSummary summary = writeGgufFromFolder(dir / "model", dir / "model.gguf");
    EXPECT_EQ(summary.architecture, "llama");
    const ParsedGguf file = parseGguf(test::readFileBytes(dir / "model.gguf"));
    const LlamaConfig config = testModelConfig(spec);

    EXPECT_EQ(file.strings.at("general.architecture"), "llama");
    EXPECT_EQ(file.integers.at("llama.block_count"), static_cast<uint64_t>(config.numHiddenLayers));
    EXPECT_EQ(file.integers.at("llama.embedding_length"), static_cast<uint64_t>(config.hiddenSize));
    EXPECT_EQ(file.integers.at("llama.attention.head_count_kv"), static_cast<uint64_t>(config.numKeyValueHeads));
    EXPECT_EQ(file.integers.at("llama.attention.key_length"), 24u);
    EXPECT_EQ(file.integers.at("llama.rope.dimension_count"), 24u);
    EXPECT_FLOAT_EQ(file.floats.at("llama.attention.layer_norm_rms_epsilon"), static_cast<float>(config.rmsNormEps));

    // Names: llama.cpp's, with the layer number; the untied head is output.weight.
    for (const char* name : {"token_embd.weight", "output_norm.weight", "output.weight", "blk.0.attn_norm.weight",
                             "blk.1.attn_q.weight", "blk.1.attn_k.weight", "blk.1.attn_v.weight", "blk.1.attn_output.weight",
                             "blk.1.ffn_norm.weight", "blk.1.ffn_gate.weight", "blk.1.ffn_up.weight", "blk.1.ffn_down.weight"})
        EXPECT_TRUE(file.tensors.count(name)) << name;
    EXPECT_EQ(file.tensors.size(), static_cast<size_t>(3 + 9 * config.numHiddenLayers + 1)); // + rope_freqs
    EXPECT_EQ(file.tensors.at("blk.0.attn_k.weight").ne,
              (std::vector<uint64_t>{static_cast<uint64_t>(config.hiddenSize), static_cast<uint64_t>(config.numKeyValueHeads * 24)}));

    // llama3 scaling as angle divisors: 1 for the fastest frequency, `factor` for the slowest.
    const std::vector<float> divisors = file.tensorData("rope_freqs.weight");
    ASSERT_EQ(divisors.size(), 12u);
    EXPECT_FLOAT_EQ(divisors.front(), 1.0f);
    EXPECT_FLOAT_EQ(divisors.back(), static_cast<float>(config.ropeScaling.factor));
    // They agree with our forward's own scaled frequencies.
    const at::Tensor scaled = ropeInverseFrequencies(config).to(at::kDouble); // [D/2]
    for (size_t i = 0; i < divisors.size(); ++i) {
        const double base = 1.0 / std::pow(config.ropeTheta, 2.0 * static_cast<double>(i) / 24.0);
        EXPECT_NEAR(base / divisors[i], scaled[static_cast<int64_t>(i)].item<double>(), 1e-6 * base) << i;
    }

    // The query rows are the checkpoint's, permuted; a value projection is copied as is.
    const Checkpoint checkpoint = loadCheckpoint(dir / "model");
    const at::Tensor q = checkpoint.tensors.at("model.layers.1.self_attn.q_proj.weight").to(at::kFloat);
    const std::vector<float> qBack = file.tensorData("blk.1.attn_q.weight");
    const at::Tensor expected = permuteRowsForInterleavedRope(q, config.numAttentionHeads).flatten();
    for (int64_t i = 0; i < expected.numel(); i += 97)
        EXPECT_EQ(qBack[static_cast<size_t>(i)], expected[i].item<float>()) << i;
    EXPECT_EQ(file.tensorData("blk.1.attn_v.weight")[5],
              checkpoint.tensors.at("model.layers.1.self_attn.v_proj.weight").flatten()[5].item<float>());

    // The byte-level vocabulary: every id, the specials as control tokens, merges, Llama 3 split.
    EXPECT_EQ(file.strings.at("tokenizer.ggml.model"), "gpt2");
    EXPECT_EQ(file.strings.at("tokenizer.ggml.pre"), "llama-bpe");
    const auto& tokens = file.stringArrays.at("tokenizer.ggml.tokens");
    ASSERT_EQ(tokens.size(), static_cast<size_t>(kTestVocabSize));
    EXPECT_EQ(tokens[kTestBeginOfTextId], "<|begin_of_text|>");
    EXPECT_EQ(tokens[static_cast<size_t>(' ')], "Ġ");
    EXPECT_EQ(file.integerArrays.at("tokenizer.ggml.token_type")[kTestEndOfTextId], 3);
    EXPECT_EQ(file.integerArrays.at("tokenizer.ggml.token_type")[100], 1);
    EXPECT_EQ(file.stringArrays.at("tokenizer.ggml.merges").size(), 254u);
    EXPECT_EQ(file.integers.at("tokenizer.ggml.bos_token_id"), static_cast<uint64_t>(kTestBeginOfTextId));
    EXPECT_EQ(file.integers.at("tokenizer.ggml.eos_token_id"), static_cast<uint64_t>(kTestEndOfTextId));
    EXPECT_EQ(file.integers.at("tokenizer.ggml.add_bos_token"), 1u);
}

// Every family's file: llama.cpp's architecture, its names, and what changes on the way (no
// permutation for NEOX RoPE, gemma2's norms as 1 + w, gpt2's Conv1D transposed).
TEST(GgufExportTest, EachFamilyGetsLlamaCppArchitectureNamesAndConventions)
{
    const std::map<ModelFamily, std::string> architectures = {
        {ModelFamily::Llama, "llama"}, {ModelFamily::Mistral, "llama"}, {ModelFamily::Qwen2, "qwen2"},
        {ModelFamily::Phi3, "phi3"},   {ModelFamily::Gemma2, "gemma2"}, {ModelFamily::Gpt2, "gpt2"},
    };
    for (ModelFamily family : allModelFamilies()) {
        SCOPED_TRACE(familyName(family));
        test::TempDir dir("tempo-gguf-family");
        TestModelSpec spec;
        spec.family = family;
        spec.slidingWindow = family == ModelFamily::Gemma2 ? 16 : 0;
        writeTestModel(dir / "model", spec);
        writeGgufFromFolder(dir / "model", dir / "model.gguf");
        const ParsedGguf file = parseGguf(test::readFileBytes(dir / "model.gguf"));
        const Checkpoint checkpoint = loadCheckpoint(dir / "model");
        const LlamaConfig& config = checkpoint.config;
        const std::string arch = architectures.at(family);
        ASSERT_EQ(file.strings.at("general.architecture"), arch);
        EXPECT_EQ(file.integers.at(arch + ".block_count"), static_cast<uint64_t>(config.numHiddenLayers));
        EXPECT_TRUE(file.tensors.count("token_embd.weight"));
        EXPECT_TRUE(file.tensors.count("output_norm.weight"));
        auto tensorOf = [&](const std::string& name) { return checkpoint.tensors.at(name).to(at::kFloat).contiguous(); };
        auto same = [&](const std::string& gguf, const at::Tensor& expected) {
            const std::vector<float> data = file.tensorData(gguf);
            const at::Tensor flat = expected.contiguous().flatten();
            if (static_cast<int64_t>(data.size()) != flat.numel())
                return false;
            for (int64_t i = 0; i < flat.numel(); ++i)
                if (data[static_cast<size_t>(i)] != flat[i].item<float>())
                    return false;
            return true;
        };
        switch (family) {
        case ModelFamily::Llama:
        case ModelFamily::Mistral:
            EXPECT_TRUE(same("blk.0.attn_q.weight",
                             permuteRowsForInterleavedRope(tensorOf("model.layers.0.self_attn.q_proj.weight"),
                                                           config.numAttentionHeads)));
            break;
        case ModelFamily::Qwen2:
            EXPECT_TRUE(same("blk.0.attn_q.weight", tensorOf("model.layers.0.self_attn.q_proj.weight"))); // NEOX: as is
            EXPECT_TRUE(same("blk.1.attn_k.bias", tensorOf("model.layers.1.self_attn.k_proj.bias")));
            break;
        case ModelFamily::Phi3:
            EXPECT_EQ(file.tensors.at("blk.0.attn_qkv.weight").ne,
                      (std::vector<uint64_t>{static_cast<uint64_t>(config.hiddenSize),
                                             static_cast<uint64_t>((config.numAttentionHeads + 2 * config.numKeyValueHeads) * config.headDim)}));
            EXPECT_TRUE(same("blk.1.ffn_up.weight", tensorOf("model.layers.1.mlp.gate_up_proj.weight")));
            break;
        case ModelFamily::Gemma2:
            EXPECT_TRUE(same("blk.0.attn_norm.weight", tensorOf("model.layers.0.input_layernorm.weight") + 1.0f));
            EXPECT_TRUE(same("blk.1.post_ffw_norm.weight", tensorOf("model.layers.1.post_feedforward_layernorm.weight") + 1.0f));
            EXPECT_TRUE(same("output_norm.weight", tensorOf("model.norm.weight") + 1.0f));
            EXPECT_FALSE(file.tensors.count("output.weight"));
            EXPECT_EQ(file.integers.at("gemma2.attention.sliding_window"), 16u);
            EXPECT_FLOAT_EQ(file.floats.at("gemma2.attn_logit_softcapping"), static_cast<float>(config.attnLogitSoftcap));
            EXPECT_FLOAT_EQ(file.floats.at("gemma2.final_logit_softcapping"), static_cast<float>(config.finalLogitSoftcap));
            break;
        case ModelFamily::Gpt2:
            EXPECT_TRUE(same("blk.0.attn_qkv.weight", tensorOf("transformer.h.0.attn.c_attn.weight").t()));
            EXPECT_TRUE(same("blk.1.ffn_down.bias", tensorOf("transformer.h.1.mlp.c_proj.bias")));
            EXPECT_TRUE(same("position_embd.weight", tensorOf("transformer.wpe.weight")));
            EXPECT_TRUE(same("output.weight", tensorOf("transformer.wte.weight"))); // tied: written as llama.cpp's converter does
            EXPECT_TRUE(file.floats.count("gpt2.attention.layer_norm_epsilon"));
            break;
        }
    }
}

TEST(GgufVocabularyTest, SentencePieceStyleTokenizerBecomesLlamaModelWithByteTokensAndScores)
{
    const std::filesystem::path file = std::filesystem::path(TEMPO_TEST_DATA_DIR) / "tokenizer-families" / "llama2" / "tokenizer.json";
    const GgufVocabulary vocabulary = ggufVocabularyFromTokenizer(file, 800, 1, 2);
    EXPECT_EQ(vocabulary.model, "llama");
    ASSERT_EQ(vocabulary.tokens.size(), 800u);
    EXPECT_EQ(vocabulary.tokens[0], "<unk>");
    EXPECT_EQ(vocabulary.tokenTypes[0], static_cast<int32_t>(GgufTokenType::Unknown));
    EXPECT_EQ(vocabulary.tokenTypes[1], static_cast<int32_t>(GgufTokenType::Control)); // <s>
    ASSERT_EQ(vocabulary.unknownId, 0);
    EXPECT_TRUE(vocabulary.addBos);
    size_t bytes = 0;
    for (size_t id = 0; id < vocabulary.tokens.size(); ++id)
        if (vocabulary.tokenTypes[id] == static_cast<int32_t>(GgufTokenType::Byte)) {
            ++bytes;
            EXPECT_EQ(vocabulary.tokens[id].substr(0, 3), "<0x");
        }
    EXPECT_EQ(bytes, 256u);
    // Ids past the tokenizer are padding rows; a token made by an earlier merge scores higher.
    EXPECT_EQ(vocabulary.tokens[799], "[PAD799]");
    EXPECT_EQ(vocabulary.tokenTypes[799], static_cast<int32_t>(GgufTokenType::Unused));
    ASSERT_EQ(vocabulary.scores.size(), 800u);
    ASSERT_GE(vocabulary.merges.size(), 2u);
    auto idOf = [&](const std::string& merge) {
        const std::string token = merge.substr(0, merge.find(' ')) + merge.substr(merge.find(' ') + 1);
        for (size_t id = 0; id < vocabulary.tokens.size(); ++id)
            if (vocabulary.tokens[id] == token)
                return id;
        return vocabulary.tokens.size();
    };
    EXPECT_GT(vocabulary.scores[idOf(vocabulary.merges[0])], vocabulary.scores[idOf(vocabulary.merges.back())]);
    // More tokenizer ids than embedding rows is refused.
    EXPECT_THROW(ggufVocabularyFromTokenizer(file, 10, 1, 2), InvalidArgument);
}


// bfloat16 by round-to-nearest-even of a float32's bits (ggml_compute_fp32_to_bf16), done here.
float roundedToBf16(float value)
{
    uint32_t bits = 0;
    std::memcpy(&bits, &value, 4);
    bits = (bits + 0x7fff + ((bits >> 16) & 1)) & 0xffff0000u;
    float out = 0;
    std::memcpy(&out, &bits, 4);
    return out;
}

TEST(GgufExportTest, MatricesGoInTheAskedTypeAndNormsStayFloat32)
{
    test::TempDir dir("tempo-gguf-dtype");
    TestModelSpec spec;
    spec.tied = false;
    spec.llama3RopeScaling = true;
    writeTestModel(dir / "model", spec);
    const Checkpoint checkpoint = loadCheckpoint(dir / "model");
    const std::vector<float> down = [&] {
        const at::Tensor t = checkpoint.tensors.at("model.layers.1.mlp.down_proj.weight").to(at::kFloat).contiguous();
        return std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
    }();
    const std::vector<float> norm = [&] {
        const at::Tensor t = checkpoint.tensors.at("model.layers.1.input_layernorm.weight").to(at::kFloat).contiguous();
        return std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
    }();

    for (const auto& [type, code, fileType] : {std::tuple{GgmlType::BF16, 30u, 32u}, std::tuple{GgmlType::F16, 1u, 1u}}) {
        const std::string name = ggmlTypeName(type);
        writeGgufFromFolder(dir / "model", dir / (name + ".gguf"), type);
        const ParsedGguf file = parseGguf(test::readFileBytes(dir / (name + ".gguf")));
        EXPECT_EQ(file.integers.at("general.file_type"), fileType) << name;
        for (const auto& [tensorName, tensor] : file.tensors) {
            EXPECT_EQ(tensor.type, tensor.ne.size() == 2 ? code : 0u) << name << " " << tensorName;
            EXPECT_EQ(tensor.offset % 32, 0u) << name << " " << tensorName;
        }
        EXPECT_EQ(file.tensors.at("rope_freqs.weight").type, 0u) << name;
        EXPECT_EQ(file.tensorData("blk.1.attn_norm.weight"), norm) << name; // float32, unchanged
        const std::vector<float> back = file.tensorData("blk.1.ffn_down.weight");
        ASSERT_EQ(back.size(), down.size());
        // Half an ulp: 2^-8 relative for bf16, 2^-11 for f16 (2^-25 absolute among f16's subnormals).
        const double relative = type == GgmlType::BF16 ? 1.0 / 256 : 1.0 / 2048;
        double worstError = 0;
        for (size_t i = 0; i < down.size(); ++i) {
            if (type == GgmlType::BF16) {
                ASSERT_EQ(back[i], roundedToBf16(down[i])) << "element " << i;
            }
            const double error = std::abs(double(back[i]) - down[i]);
            EXPECT_LE(error, std::max(relative * std::abs(double(down[i])), std::ldexp(1.0, -25))) << name << " element " << i;
            worstError = std::max(worstError, error);
        }
        EXPECT_GT(worstError, 0.0) << name << ": the values were not rounded at all";
    }
    EXPECT_EQ(parseGguf(test::readFileBytes(dir / "bf16.gguf")).tensors.at("token_embd.weight").type, 30u);
}

TEST(GgufExportTest, TypeNamesAreParsedAndBadOnesNamed)
{
    EXPECT_EQ(ggmlTypeFromName("BF16", "--dtype"), GgmlType::BF16);
    EXPECT_EQ(ggmlTypeFromName("f16", "--dtype"), GgmlType::F16);
    EXPECT_EQ(ggmlTypeFromName("f32", "--dtype"), GgmlType::F32);
    try {
        ggmlTypeFromName("q4_0", "--dtype");
        FAIL() << "q4_0 accepted";
    } catch (const InvalidArgument& error) {
        EXPECT_NE(std::string(error.what()).find("f32, f16 or bf16"), std::string::npos) << error.what();
        EXPECT_NE(std::string(error.what()).find("q4_0"), std::string::npos) << error.what();
    }
}

// Benchmarks write real shapes (a 1B model's 128256 rows) with the 512-token test tokenizer: the
// rows past the tokenizer become llama.cpp's unused padding tokens; fewer rows than tokens is refused.
TEST(GgufExportTest, TestModelsWithMoreEmbeddingRowsThanTokensGetPaddingTokens)
{
    test::TempDir dir("tempo-gguf-vocab");
    TestModelSpec spec;
    spec.vocab = 600;
    writeTestModel(dir / "model", spec);
    EXPECT_EQ(loadCheckpoint(dir / "model").tensors.at("model.embed_tokens.weight").size(0), 600);
    writeGgufFromFolder(dir / "model", dir / "model.gguf");
    const ParsedGguf file = parseGguf(test::readFileBytes(dir / "model.gguf"));
    const std::vector<std::string>& tokens = file.stringArrays.at("tokenizer.ggml.tokens");
    ASSERT_EQ(tokens.size(), 600u);
    EXPECT_EQ(tokens[599], "[PAD599]");
    EXPECT_EQ(file.integerArrays.at("tokenizer.ggml.token_type")[599], static_cast<int64_t>(GgufTokenType::Unused));
    EXPECT_EQ(file.tensors.at("token_embd.weight").ne, (std::vector<uint64_t>{static_cast<uint64_t>(spec.hidden), 600u}));

    spec.vocab = 100;
    try {
        testModelConfig(spec);
        FAIL() << "a vocab smaller than the tokenizer was accepted";
    } catch (const InvalidArgument& error) {
        EXPECT_NE(std::string(error.what()).find("at least 512"), std::string::npos) << error.what();
        EXPECT_NE(std::string(error.what()).find("100"), std::string::npos) << error.what();
    }
}

} // namespace
} // namespace tempo
