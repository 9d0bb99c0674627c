#pragma once
// The tokenizer block of a GGUF file (tokenizer.ggml.*), built from a Hugging Face tokenizer.json:
//  - byte-level BPE (GPT-2, Llama 3, Qwen2): tokenizer.ggml.model "gpt2", the vocabulary strings
//    as they are (byte-level alphabet, "Ġthe"), merges as "left right", and tokenizer.ggml.pre
//    naming llama.cpp's pre-tokenizer for the file's split pattern ("llama-bpe", "qwen2", "gpt-2");
//  - SentencePiece-style BPE (Llama 2, Mistral, Gemma: byte_fallback, "▁"): model "llama", scores
//    from the merge ranks (a token made by an earlier merge scores higher), <0xNN> tokens typed as
//    bytes, merges kept too, and tokenizer.ggml.add_space_prefix (llama.cpp puts "▁" before a
//    text unless it is false).
// Ids with no token (embedding rows past the tokenizer) become "[PAD<id>]" tokens of type unused,
// as llama.cpp's converter writes them. Parity tests feed ids directly, so the tokenizer block only
// has to load; it is still written as faithfully as we can so that llama.cpp tokenizes like we do.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tempo {

class GgufWriter;

// llama.cpp's token types (llama_token_type).
enum class GgufTokenType : int32_t { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 };

struct GgufVocabulary {
    std::string model;                 // tokenizer.ggml.model: "gpt2" or "llama"
    std::string pre;                   // tokenizer.ggml.pre ("" for model "llama")
    std::vector<std::string> tokens;   // by id
    std::vector<int32_t> tokenTypes;   // GgufTokenType by id
    std::vector<float> scores;         // by id (model "llama" only; empty otherwise)
    std::vector<std::string> merges;   // "left right", by rank
    std::optional<int64_t> bosId, eosId, unknownId, paddingId;
    bool addBos = false;               // the tokenizer puts BOS before a text (post-processor)
    bool addEos = false;
    bool addSpacePrefix = true;        // model "llama": the tokenizer puts "▁" before a text (false for
                                       // Gemma, add_prefix_space false, Metaspace prepend_scheme never)
    std::vector<std::string> notes;    // what could not be matched exactly (printed by the tool): an
                                       // unknown split pattern; for model "llama" missing <0xNN> tokens,
                                       // byte_fallback false, Metaspace's prepend rules
};

// Reads `tokenizerJson` (and tokenizer_config.json beside it) for a model whose embedding has
// `vocabSize` rows. bos/eos come from config.json (`bosId`, `eosId`, -1 when absent). Throws
// TokenizerError for files the app's tokenizer refuses, and InvalidArgument when the tokenizer
// has ids past `vocabSize`.
GgufVocabulary ggufVocabularyFromTokenizer(const std::filesystem::path& tokenizerJson, int64_t vocabSize,
                                           int64_t bosId, int64_t eosId);

// Adds the tokenizer.ggml.* keys.
void addGgufVocabulary(GgufWriter& writer, const GgufVocabulary& vocabulary);

} // namespace tempo
