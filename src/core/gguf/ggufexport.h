#pragma once
// A Hugging Face checkpoint folder (config.json, model.safetensors, tokenizer.json) as a GGUF v3
// file that llama.cpp loads: tensors under llama.cpp's names (matrices in float32, float16 or
// bfloat16; norms, biases and RoPE factors always float32, as llama.cpp's converter writes them), the architecture's
// hyperparameters under llama.cpp's keys, and the tokenizer block (ggufvocabulary.h).
//
// What differs between families (llama.cpp's architecture, tensor names, what changes on the way:
// the query/key row order for Llama-style RoPE, gemma2's norms as 1 + w, gpt2's Conv1D transposed)
// is one GgufFamilyLayout each, in ggufexport.cpp; the hyperparameter keys are one function there.
// Names and conventions follow llama.cpp's converter (convert_hf_to_gguf.py) and loader
// (llama-arch.cpp, llama-model.cpp), read for understanding only.
//
// Llama-style RoPE: Hugging Face rotates the two halves of each head (rotate-half: dimension i
// pairs with i + D/2), llama.cpp's LLAMA_ROPE_TYPE_NORM rotates adjacent pairs (2i with 2i+1).
// The query and key projection rows of every head are therefore reordered: GGUF row 2i is HF row
// i and GGUF row 2i+1 is HF row i + D/2. Attention scores are unchanged (the same permutation of
// both q and k), so the model computes the same function.

#include <filesystem>
#include <string>
#include <vector>

#include <ATen/Tensor.h>

#include "core/gguf/ggufwriter.h"

namespace tempo {

struct Checkpoint;
class GgufWriter;
struct GgufVocabulary;

struct GgufExportSummary {
    std::string architecture;          // general.architecture ("llama")
    size_t tensors = 0;
    size_t metadata = 0;
    std::vector<std::string> notes;    // approximations worth printing (tokenizer pre-tokenizer...)
};

// Reorders the rows of a [heads * D, ...] projection from rotate-half to interleaved pairs, per
// head (see above). Throws InvalidArgument when the rows are not heads * an even D.
at::Tensor permuteRowsForInterleavedRope(const at::Tensor& weight, int64_t heads); // same shape

// The GGUF contents of `checkpoint` with `vocabulary`: metadata and tensors, added to `writer`.
// Throws CheckpointError naming a tensor the family's layout does not know.
// `matrixType`: the type of every 2-D weight (embeddings, projections, the LM head); general.file_type
// says it (llama.cpp's LLAMA_FTYPE_ALL_F32, MOSTLY_F16 or MOSTLY_BF16).
GgufExportSummary addCheckpointToGguf(GgufWriter& writer, const Checkpoint& checkpoint, const GgufVocabulary& vocabulary,
                                      GgmlType matrixType = GgmlType::F32);

// Loads `modelFolder` (config.json, weights, tokenizer.json) and writes `out`.
GgufExportSummary writeGgufFromFolder(const std::filesystem::path& modelFolder, const std::filesystem::path& out,
                                      GgmlType matrixType = GgmlType::F32);

} // namespace tempo
