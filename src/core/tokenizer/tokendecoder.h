#pragma once
// The decoder of tokenizer.json: turns the token strings of the ids back into text. ByteLevel
// (GPT-2, Llama 3, Qwen2) maps byte-level characters back to bytes; the SentencePiece-style
// families chain Replace("▁" -> " "; a Regex pattern too, see UnicodeRegex::forReplace) or
// Metaspace, ByteFallback (<0xNN> tokens to bytes), Fuse and Strip in a Sequence. Each step maps
// the list of token strings to a new list, as Hugging Face's decode_chain does; the result is
// their concatenation.
//
// Streaming (Stream, streamPush, streamFlush) gives exactly the text of decode() over every token
// pushed, piece by piece: the first-token rules (Metaspace drops the "▁" of the first token, a
// Strip after Fuse removes the leading space of the whole text) apply to the first token of the
// stream only, a run of <0xNN> tokens is held until it ends (ByteFallback judges the whole run:
// one invalid byte turns each of its bytes into U+FFFD), ByteLevel holds an unfinished UTF-8
// character and a Strip's `stop` holds the trailing characters it may remove.

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/tokenizer/jsonfields.h"
#include "core/tokenizer/unicoderegex.h"

namespace tempo {

class TokenDecoder {
public:
    static TokenDecoder fromJson(const nlohmann::json& value, const jsonfields::Place& place);

    // True when the decoder is ByteLevel alone (each id then decodes to fixed bytes).
    bool isByteLevelOnly() const { return steps_.size() == 1 && steps_[0].kind == Step::Kind::ByteLevel; }
    std::string decode(std::vector<std::string> tokens) const;
    // What one token stands for on its own (Replace/Metaspace spaces, a <0xNN> byte), for
    // streaming: the bytes of the token without the context-dependent steps (Strip, first-token rules).
    std::string tokenBytes(const std::string& token) const;

    // The state of one stream (IncrementalDecoder holds one per stream).
    struct Stream {
        std::vector<std::string> heldTokens; // the open chunk: a run of <0xNN> tokens (or all, see streamable_)
        bool firstChunk = true;              // nothing has been decoded yet: first-token rules apply
        std::string unfinishedBytes;         // ByteLevel: bytes of a character not yet complete
        size_t strippedAtStart = 0;          // Strip after Fuse: leading characters removed so far
        bool pastStart = false;              //   and whether text other than those has been seen
        std::string heldTrailing;            // Strip after Fuse with stop > 0: a trailing run of its character
    };
    // Text that became final with `token` (a token string, as decode() takes), maybe "".
    std::string streamPush(Stream& stream, std::string token) const;
    // The rest: held tokens decoded as the end of the text.
    std::string streamFlush(Stream& stream) const;

private:
    struct Step {
        enum class Kind { ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace } kind = Kind::ByteLevel;
        std::string pattern, content; // Replace; Strip: content; Metaspace: pattern = replacement
        std::shared_ptr<const UnicodeRegex> regex; // Replace with a Regex pattern
        size_t start = 0, stop = 0;   // Strip
        bool prepend = true;          // Metaspace: prepend_scheme is not "never"
    };
    void addSteps(const nlohmann::json& value, const jsonfields::Place& place);
    // Runs steps [begin, end) over the token list; `listStartsText`: the list's first token is
    // the first of the whole text (Metaspace's first-token rule).
    void applySteps(std::vector<std::string>& tokens, size_t begin, size_t end, bool listStartsText) const;
    void planStreaming();
    std::string streamChunk(Stream& stream, bool final) const;
    std::string streamStrip(Stream& stream, std::string text, bool final) const;

    std::vector<Step> steps_;
    // Streaming plan (planStreaming): steps before fuseStep_ work token by token (a chunk at a
    // time); fuseStep_ (Fuse or ByteLevel, or steps_.size() when none) joins them; after it at
    // most one Strip. Any other chain is not streamable: every token is held until the flush.
    size_t fuseStep_ = 0;
    size_t byteFallbackStep_ = 0; // the ByteFallback before fuseStep_, or steps_.size()
    bool streamable_ = true;
};

} // namespace tempo
