#pragma once
// AdamW (Loshchilov & Hutter, decoupled weight decay) over plain ATen leaf tensors, the update
// torch.optim.AdamW makes, written out so the project needs no torch/torch.h.

#include <map>
#include <string>

#include <ATen/Tensor.h>

namespace tempo {

struct AdamWOptions {
    double beta1 = 0.9;
    double beta2 = 0.95;
    double epsilon = 1e-8;
    double weightDecay = 0.1; // applied to parameters marked for decay only
};

class AdamW {
public:
    // `parameters`: name -> leaf tensor that requires grad; `decayed`: names that get weight decay.
    AdamW(std::map<std::string, at::Tensor> parameters, std::map<std::string, bool> decayed, AdamWOptions options);

    // One update with learning rate `learningRate` from the gradients autograd left in .grad();
    // parameters without a gradient are skipped. Clears the gradients afterwards.
    void step(double learningRate);
    // Scales every gradient so their global L2 norm is at most maxNorm; returns the norm before.
    double clipGradientNorm(double maxNorm);
    void zeroGradients();

private:
    struct Moments {
        at::Tensor first;  // same shape as the parameter
        at::Tensor second; // same shape as the parameter
    };
    std::map<std::string, at::Tensor> parameters_;
    std::map<std::string, bool> decayed_;
    std::map<std::string, Moments> moments_;
    AdamWOptions options_;
    int64_t steps_ = 0;
};

} // namespace tempo
