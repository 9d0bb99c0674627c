#pragma once
// Step 2 of DESIGN.md section 1: the parallel set S_s = { v : p_s(v) >= threshold }, sorted by
// probability (descending, ties by token id), cut to max_width; empty -> { argmax p_s }.

#include <cstdint>
#include <vector>

#include <ATen/Tensor.h>

namespace tempo {

struct Candidate {
    int64_t tokenId = 0;
    double probability = 0.0;
};

// `probabilities` [V] float on CPU (any floating dtype). NaN entries never qualify. Returns at
// least one candidate (the argmax, lowest id on ties) when V > 0.
std::vector<Candidate> selectParallelSet(const at::Tensor& probabilities, double threshold, int64_t maxWidth);
// The same on a plain vector (the loop above runs on this).
std::vector<Candidate> selectParallelSet(const float* probabilities, int64_t vocab, double threshold, int64_t maxWidth);

// The k most probable tokens of `probabilities` [V], ties by id (member top-20 of the logits capture).
std::vector<Candidate> topCandidates(const at::Tensor& probabilities, int64_t k);
// The same on a plain vector of `vocab` float32 probabilities (the decoder's readout runs on this).
std::vector<Candidate> topCandidates(const float* probabilities, int64_t vocab, int64_t k);

} // namespace tempo
