#include "core/training/adamw.h"

#include <cmath>

#include <ATen/ATen.h>

namespace tempo {

AdamW::AdamW(std::map<std::string, at::Tensor> parameters, std::map<std::string, bool> decayed, AdamWOptions options)
    : parameters_(std::move(parameters)), decayed_(std::move(decayed)), options_(options)
{
    for (const auto& [name, parameter] : parameters_)
        moments_[name] = {at::zeros_like(parameter), at::zeros_like(parameter)};
}

void AdamW::step(double learningRate)
{
    at::NoGradGuard noGrad;
    ++steps_;
    const double correction1 = 1.0 - std::pow(options_.beta1, static_cast<double>(steps_));
    const double correction2 = 1.0 - std::pow(options_.beta2, static_cast<double>(steps_));
    for (auto& [name, parameter] : parameters_) {
        const at::Tensor& gradient = parameter.grad();
        if (!gradient.defined())
            continue;
        if (decayed_[name])
            parameter.mul_(1.0 - learningRate * options_.weightDecay);
        Moments& m = moments_[name];
        m.first.mul_(options_.beta1).add_(gradient, 1.0 - options_.beta1);
        m.second.mul_(options_.beta2).addcmul_(gradient, gradient, 1.0 - options_.beta2);
        const at::Tensor denominator = (m.second / correction2).sqrt_().add_(options_.epsilon);
        parameter.addcdiv_(m.first, denominator, -learningRate / correction1);
    }
    zeroGradients();
}

double AdamW::clipGradientNorm(double maxNorm)
{
    at::NoGradGuard noGrad;
    double squared = 0.0;
    for (auto& [name, parameter] : parameters_)
        if (parameter.grad().defined())
            squared += parameter.grad().pow(2).sum().item<double>();
    const double norm = std::sqrt(squared);
    if (norm > maxNorm && norm > 0.0)
        for (auto& [name, parameter] : parameters_)
            if (parameter.grad().defined())
                parameter.mutable_grad().mul_(maxNorm / norm);
    return norm;
}

void AdamW::zeroGradients()
{
    for (auto& [name, parameter] : parameters_)
        if (parameter.grad().defined())
            parameter.mutable_grad() = at::Tensor();
}

} // namespace tempo
