// IncrementalDecoder (declared in tokenizer.h): feeds the token strings to the decoder's stream
// (TokenDecoder::streamPush), which holds what later ids can still change: an unfinished UTF-8
// character, a run of <0xNN> tokens, trailing characters a Strip may remove. So the pushed pieces
// plus flush() always equal decode() of all ids.

#include <algorithm>

#include "core/tokenizer/tokendecoder.h"
#include "core/tokenizer/tokenizer.h"

namespace tempo {

struct IncrementalDecoder::State {
    TokenDecoder::Stream stream;
    // Text of the context the stream still holds (e.g. the end of a run of <0xNN> tokens): it
    // belongs to the context, so it is dropped when it comes out.
    std::string contextOwed;

    std::string withoutContext(std::string text)
    {
        if (contextOwed.empty())
            return text;
        const size_t common = std::min(text.size(), contextOwed.size());
        if (text.compare(0, common, contextOwed, 0, common) != 0) {
            contextOwed.clear(); // later ids changed how the context decodes: emit all of it
            return text;
        }
        contextOwed.erase(0, common);
        return text.substr(common);
    }
};

IncrementalDecoder::IncrementalDecoder(const Tokenizer& tokenizer, const std::vector<int64_t>& context)
    : tokenizer_(tokenizer), state_(std::make_unique<State>())
{
    if (context.empty())
        return;
    std::string emitted;
    for (int64_t id : context)
        emitted += push(id);
    const std::string whole = tokenizer_.decode(context, false);
    if (whole.compare(0, emitted.size(), emitted) == 0)
        state_->contextOwed = whole.substr(emitted.size());
}

IncrementalDecoder::~IncrementalDecoder() = default;
IncrementalDecoder::IncrementalDecoder(IncrementalDecoder&&) noexcept = default;
IncrementalDecoder& IncrementalDecoder::operator=(IncrementalDecoder&&) noexcept = default;

std::string IncrementalDecoder::push(int64_t id)
{
    return state_->withoutContext(tokenizer_.tokenDecoder().streamPush(state_->stream, tokenizer_.tokenContent(id)));
}

std::string IncrementalDecoder::flush()
{
    return state_->withoutContext(tokenizer_.tokenDecoder().streamFlush(state_->stream));
}

} // namespace tempo
