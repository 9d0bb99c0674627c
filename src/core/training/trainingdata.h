#pragma once
// The training text as token ids: a held-out split by line (every Nth line of the corpus goes to
// validation), random training windows that start at a line start after <|begin_of_text|> (as
// prompts do), fixed validation windows, and the unigram baseline on the same split.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <ATen/Tensor.h>

namespace tempo {

class Tokenizer;
class TrainableLlama;

struct TokenSplit {
    std::vector<int64_t> train;             // training lines' tokens, in corpus order
    std::vector<int64_t> trainLineStarts;   // offsets into `train` where a line begins
    std::vector<int64_t> validation;        // held-out lines' tokens, in corpus order
    int64_t trainLines = 0;
    int64_t validationLines = 0;
};

// Encodes `text` line by line (each line with its "\n", no special tokens). Line i (0-based) is
// held out when i % validationEvery == validationEvery - 1.
TokenSplit splitAndEncode(const Tokenizer& tokenizer, const std::string& text, int64_t validationEvery);

struct TokenBatch {
    at::Tensor inputs;  // [B, T] int64: <|begin_of_text|> then T-1 corpus tokens
    at::Tensor targets; // [B, T] int64: the T corpus tokens that follow each input position
};

// Random training windows from a fixed seed (std::mt19937_64, so the same seed gives the same
// batches everywhere).
class BatchSampler {
public:
    BatchSampler(const TokenSplit& split, int64_t beginOfTextId, int64_t batchSize, int64_t length, uint64_t seed);
    TokenBatch next();

private:
    const TokenSplit& split_;
    std::vector<int64_t> usableStarts_; // line starts with a whole window after them
    int64_t beginOfTextId_;
    int64_t batchSize_;
    int64_t length_;
    std::mt19937_64 random_;
};

// Validation stream cut into consecutive windows of `length` target tokens (the tail shorter
// than a window is dropped), each input starting with <|begin_of_text|>. At most maxWindows
// (0: all), taken from the start.
TokenBatch validationWindows(const TokenSplit& split, int64_t beginOfTextId, int64_t length, int64_t maxWindows = 0);

// Mean cross-entropy (nats per token) of `model` on all rows of `windows`, `batchSize` rows at a time.
double meanLoss(const TrainableLlama& model, const TokenBatch& windows, int64_t batchSize);

// Cross-entropy (nats per token) on the validation targets of `windows` of a unigram model
// estimated from the training tokens with add-one smoothing over `vocabSize` ids.
double unigramLoss(const TokenSplit& split, const TokenBatch& windows, int64_t vocabSize);

} // namespace tempo
