#pragma once
// Reading the next distribution out of one forward's logits, in float64.
//
// A float32 softmax over a 128k vocabulary sums its normaliser in float32: the distribution is
// off by up to ~4e-5 in total, and single probabilities by ~5e-5 at p ~ 0.9 against a float64
// reference (`tempo-lab-cli next`, which matches llama.cpp). Here each row's softmax and the mean
// over the members run in float64, so a run's probabilities agree with `next` to the float32
// rounding of the stored value (< 1e-7) and sum to 1 within ~1e-12.

#include <ATen/Tensor.h>

#include "core/runrecord/tempoconfig.h"

namespace tempo {

struct ReadoutDistributions {
    at::Tensor rows;         // [r, V] float64: softmax of each row read
    at::Tensor distribution; // [V] float64: their mean (Readout::Mean) or the last row (Readout::Last)
};

// rowLogits: [r, V] logits of the rows a readout reads (the members of a set, or the prompt's last
// row), any floating dtype. Throws InvalidArgument on an empty or non-2-D tensor.
ReadoutDistributions readOutDistribution(const at::Tensor& rowLogits, Readout readout);

} // namespace tempo
