// IncrementalDecoder (declared in tokenizer.h): keeps the bytes of an unfinished UTF-8 character
// until the ids that complete it arrive. Bytes that can never become valid are emitted as U+FFFD
// at once, by the same rule as Tokenizer::decode, so the pushed pieces plus flush() always equal
// decode() of all ids.

#include "core/tokenizer/tokenizer.h"
#include "core/tokenizer/utf8.h"

namespace tempo {

IncrementalDecoder::IncrementalDecoder(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}

std::string IncrementalDecoder::push(int64_t id)
{
    pending_ += tokenizer_.tokenBytes(id);
    std::string out;
    const size_t consumed = utf8::appendValidLossy(pending_, out, false);
    pending_.erase(0, consumed);
    return out;
}

std::string IncrementalDecoder::flush()
{
    std::string out = utf8::toValidLossy(pending_);
    pending_.clear();
    return out;
}

} // namespace tempo
