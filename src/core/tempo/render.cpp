#include "core/tempo/render.h"

#include "core/tokenizer/tokenizer.h"

namespace tempo {

std::string renderTempoText(const std::string& prompt, const std::vector<std::vector<int64_t>>& sets,
                            const std::function<std::string(const std::vector<int64_t>&)>& decode)
{
    std::string text = prompt;
    std::vector<int64_t> singles; // pending run of one-token sets
    auto flushSingles = [&] {
        if (!singles.empty())
            text += decode(singles);
        singles.clear();
    };
    for (const auto& set : sets) {
        if (set.size() == 1) {
            singles.push_back(set.front());
            continue;
        }
        flushSingles();
        text += "[";
        for (size_t i = 0; i < set.size(); ++i)
            text += (i ? "/" : "") + decode({set[i]});
        text += "]";
    }
    flushSingles();
    return text;
}

std::string runText(const std::string& prompt, const std::vector<std::vector<int64_t>>& sets, const Tokenizer& tokenizer)
{
    // Every piece follows the prompt: decoded as a continuation, so a SentencePiece-style token
    // "▁world" keeps its space (decode() alone would drop it as the start of a text).
    return renderTempoText(prompt, sets, [&](const std::vector<int64_t>& ids) { return tokenizer.decodeContinuation(ids); });
}

} // namespace tempo
