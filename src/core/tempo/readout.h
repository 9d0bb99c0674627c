#pragma once
// Reading the next distribution out of one forward's logits, in float64.
//
// A float32 softmax over a 128k vocabulary sums its normaliser in float32: the distribution is
// off by up to ~4e-5 in total, and single probabilities by ~5e-5 at p ~ 0.9 against a float64
// reference (`tempo-lab-cli next`, which matches llama.cpp). Here each row's softmax and the mean
// over the members run in float64, so a run's probabilities agree with `next` to the float32
// rounding of the stored value (< 1e-7) and sum to 1 within ~1e-12.

#include <cstdint>
#include <vector>

#include <ATen/Tensor.h>

#include "core/runrecord/tempoconfig.h"
#include "core/tempo/selection.h"

namespace tempo {

struct ReadoutDistributions {
    at::Tensor rows;         // [r, V] float64: softmax of each row read
    at::Tensor distribution; // [V] float64: their mean (Readout::Mean) or the last row (Readout::Last)
};

// rowLogits: [r, V] logits of the rows a readout reads (the members of a set, or the prompt's last
// row), any floating dtype. Throws InvalidArgument on an empty or non-2-D tensor.
ReadoutDistributions readOutDistribution(const at::Tensor& rowLogits, Readout readout);

// What the decoder keeps of one forward's readout.
struct StepReadout {
    at::Tensor distribution;      // [V] float32, on the logits' device: the float64 distribution rounded
    double distributionSum = 0.0; // the float64 distribution's sum (what the finite check sees)
    // Per row read, its `rowTopK` most probable tokens by the row's float32-rounded probability
    // (topCandidates' order); empty when rowTopK is 0.
    std::vector<std::vector<Candidate>> rowTop;
};

// Which code computes a row's float64 softmax: the fastest the CPU has (our AVX-512 loop where the
// CPU has AVX-512, else LibTorch's), or LibTorch's at::softmax (tests compare the two).
enum class SoftmaxKernel { Fastest, LibTorch };

// readOutDistribution, then its sum, its float32 rounding and each row's top-k. CPU float32
// contiguous logits (every run on CPU) take one plain pass per row (softmaxRowFloat64, the mean,
// the float32 rounding fused): LibTorch's operators cost more in dispatch and temporaries than in
// arithmetic on a few thousand entries. Any other device or dtype goes through
// readOutDistribution's operators. All paths agree to the last bits of float64 (the exponential
// differs by ~1 ulp). Throws as readOutDistribution.
StepReadout readOutStep(const at::Tensor& rowLogits, Readout readout, int64_t rowTopK,
                        SoftmaxKernel kernel = SoftmaxKernel::Fastest);

// probabilities[v] = exp(logits[v] - max) / sum_u exp(logits[u] - max), in float64, for one row
// of `vocab` >= 1 float32 logits. As at::softmax: a NaN logit, a +inf logit or a row of -inf
// gives a row of NaN; -inf logits get probability 0. The exponential is accurate to ~1 ulp.
void softmaxRowFloat64(const float* logits, int64_t vocab, double* probabilities,
                       SoftmaxKernel kernel = SoftmaxKernel::Fastest);

} // namespace tempo
