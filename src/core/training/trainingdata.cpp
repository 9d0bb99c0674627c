#include "core/training/trainingdata.h"

#include <cmath>

#include <ATen/ATen.h>

#include "core/common/errors.h"
#include "core/tokenizer/tokenizer.h"
#include "core/training/trainablellama.h"

namespace tempo {

TokenSplit splitAndEncode(const Tokenizer& tokenizer, const std::string& text, int64_t validationEvery)
{
    if (validationEvery < 2)
        throw InvalidArgument(expectedFound("validation interval", "at least 2 lines", std::to_string(validationEvery)));
    TokenSplit split;
    size_t start = 0;
    int64_t line = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        end = end == std::string::npos ? text.size() : end + 1;
        const std::vector<int64_t> ids = tokenizer.encode(text.substr(start, end - start), /*addSpecialTokens=*/false);
        if (line % validationEvery == validationEvery - 1) {
            split.validation.insert(split.validation.end(), ids.begin(), ids.end());
            ++split.validationLines;
        } else {
            split.trainLineStarts.push_back(static_cast<int64_t>(split.train.size()));
            split.train.insert(split.train.end(), ids.begin(), ids.end());
            ++split.trainLines;
        }
        ++line;
        start = end;
    }
    return split;
}

BatchSampler::BatchSampler(const TokenSplit& split, int64_t beginOfTextId, int64_t batchSize, int64_t length,
                           uint64_t seed)
    : split_(split), beginOfTextId_(beginOfTextId), batchSize_(batchSize), length_(length), random_(seed)
{
    const int64_t size = static_cast<int64_t>(split.train.size());
    for (int64_t start : split.trainLineStarts)
        if (start + length <= size)
            usableStarts_.push_back(start);
    if (usableStarts_.empty())
        throw InvalidArgument(expectedFound("training tokens", "at least one window of " + std::to_string(length),
                                            std::to_string(size) + " tokens"));
}

TokenBatch BatchSampler::next()
{
    at::Tensor inputs = at::empty({batchSize_, length_}, at::kLong);  // [B, T]
    at::Tensor targets = at::empty({batchSize_, length_}, at::kLong); // [B, T]
    int64_t* in = inputs.data_ptr<int64_t>();
    int64_t* out = targets.data_ptr<int64_t>();
    std::uniform_int_distribution<size_t> pick(0, usableStarts_.size() - 1);
    for (int64_t b = 0; b < batchSize_; ++b) {
        const int64_t start = usableStarts_[pick(random_)];
        in[b * length_] = beginOfTextId_;
        for (int64_t t = 0; t < length_; ++t) {
            out[b * length_ + t] = split_.train[static_cast<size_t>(start + t)];
            if (t + 1 < length_)
                in[b * length_ + t + 1] = split_.train[static_cast<size_t>(start + t)];
        }
    }
    return {inputs, targets};
}

TokenBatch validationWindows(const TokenSplit& split, int64_t beginOfTextId, int64_t length, int64_t maxWindows)
{
    int64_t windows = static_cast<int64_t>(split.validation.size()) / length;
    if (maxWindows > 0)
        windows = std::min(windows, maxWindows);
    if (windows == 0)
        throw InvalidArgument(expectedFound("validation tokens", "at least one window of " + std::to_string(length),
                                            std::to_string(split.validation.size()) + " tokens"));
    at::Tensor targets = at::from_blob(const_cast<int64_t*>(split.validation.data()), {windows, length}, at::kLong)
                             .clone();                                                 // [N, T]
    at::Tensor inputs = at::empty({windows, length}, at::kLong);                       // [N, T]
    inputs.select(1, 0).fill_(beginOfTextId);
    inputs.narrow(1, 1, length - 1).copy_(targets.narrow(1, 0, length - 1));
    return {inputs, targets};
}

double meanLoss(const TrainableLlama& model, const TokenBatch& windows, int64_t batchSize)
{
    at::NoGradGuard noGrad;
    const int64_t rows = windows.inputs.size(0);
    double total = 0.0;
    for (int64_t first = 0; first < rows; first += batchSize) {
        const int64_t count = std::min(batchSize, rows - first);
        const at::Tensor loss = model.loss(windows.inputs.narrow(0, first, count), windows.targets.narrow(0, first, count));
        total += loss.item<double>() * static_cast<double>(count);
    }
    return total / static_cast<double>(rows);
}

double unigramLoss(const TokenSplit& split, const TokenBatch& windows, int64_t vocabSize)
{
    std::vector<double> counts(static_cast<size_t>(vocabSize), 1.0); // add-one smoothing
    for (int64_t id : split.train)
        counts[static_cast<size_t>(id)] += 1.0;
    const double total = static_cast<double>(split.train.size()) + static_cast<double>(vocabSize);
    const at::Tensor targets = windows.targets.contiguous();
    const int64_t* ids = targets.data_ptr<int64_t>();
    double loss = 0.0;
    for (int64_t i = 0; i < targets.numel(); ++i)
        loss -= std::log(counts[static_cast<size_t>(ids[i])] / total);
    return loss / static_cast<double>(targets.numel());
}

} // namespace tempo
