#pragma once
// Byte-level BPE training for the bundled model's tokenizer. The text is cut into pre-tokens by
// the project's own Llama 3 pre-tokenizer (Split with the Llama 3 regex, then ByteLevel), so the
// trained merges meet exactly the pieces that tempo::Tokenizer will later encode. The result is a
// Hugging Face tokenizer.json laid out like Llama 3's: 256 byte tokens, the learned merges,
// then <|begin_of_text|> and <|end_of_text|> as added special tokens, a TemplateProcessing
// post-processor that prepends <|begin_of_text|>, and the ByteLevel decoder.

#include <cstdint>
#include <string>
#include <vector>

namespace tempo {

struct BpeTrainingResult {
    std::vector<std::string> vocabulary;                         // id -> token in the byte-level alphabet
    std::vector<std::pair<std::string, std::string>> merges;      // in rank order
    int64_t beginOfTextId = -1;
    int64_t endOfTextId = -1;
};

// The Llama 3 pre-tokenizer split pattern (as in Llama 3's tokenizer.json).
const std::string& llama3SplitPattern();

// Learns merges until the vocabulary (256 bytes + merged tokens + 2 specials) has `vocabSize`
// entries, or no pair is left to merge. Repeatedly merges the adjacent pair with the highest
// count, weighted by how often each pre-token occurs; ties go to the pair whose (left, right)
// strings compare smallest, so the result depends on the text only.
// Throws InvalidArgument when vocabSize < 258 or the text is not valid UTF-8.
BpeTrainingResult trainBpe(const std::string& text, int64_t vocabSize);

// The tokenizer.json text of a trained BPE (deterministic: same result, same bytes).
std::string bpeTokenizerJson(const BpeTrainingResult& bpe);

} // namespace tempo
