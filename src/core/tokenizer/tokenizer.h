#pragma once
// Hugging Face tokenizer.json with a BPE model, in the variants the supported model families ship:
//  - byte-level BPE (GPT-2, Llama 3, Qwen2, SmolLM): pre-tokenizer ByteLevel (GPT-2's pattern) or
//    Split(the file's own pattern) + ByteLevel; NFC normalizer (Qwen2); ByteLevel decoder;
//  - SentencePiece-style BPE (Llama 2, TinyLlama, Mistral, Gemma): normalizer Prepend("▁") +
//    Replace(" ", "▁"), or Replace alone, or a Metaspace pre-tokenizer; byte_fallback with <0xNN>
//    tokens; decoder Replace/Metaspace + ByteFallback + Fuse (+ Strip).
// Added tokens are matched in the text first; TemplateProcessing post-processor. Anything else
// in the file (WordPiece, Unigram, other normalizers...) is refused with a TokenizerError that
// names what was found and what is supported. fromFile also reads tokenizer_config.json beside
// the file when there is one: add_bos_token/add_eos_token (the post-processor becomes
// [bos] text [eos]) and add_prefix_space (ByteLevel's and Metaspace's prefix, Prepend normalizer).
//
// Tokenizer is cheap to copy (copies share the loaded tables) and safe to use from several
// threads at once.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace tempo {

class TokenDecoder;

class Tokenizer {
public:
    static Tokenizer fromFile(const std::filesystem::path& tokenizerJson); // throws TokenizerError
    static Tokenizer fromJsonText(const std::string& text, const std::string& source);

    // Text must be valid UTF-8 (TokenizerError names the first bad byte otherwise).
    // addSpecialTokens: apply the post-processor (e.g. TemplateProcessing adding <|begin_of_text|>).
    std::vector<int64_t> encode(const std::string& text, bool addSpecialTokens = true) const;
    // Invalid UTF-8 in the decoded bytes becomes U+FFFD. Unknown ids throw TokenizerError.
    std::string decode(const std::vector<int64_t>& ids, bool skipSpecialTokens = false) const;
    // decode() of ids that follow other text (generated tokens after a prompt): the first-token
    // rules of SentencePiece-style decoders (Metaspace's dropped "▁", Llama 2's stripped leading
    // space) do not apply, so "▁world" is " world" as it is inside decode() of the whole text.
    // Special tokens are kept. For byte-level tokenizers it equals decode().
    std::string decodeContinuation(const std::vector<int64_t>& ids) const;
    std::string tokenText(int64_t id) const;   // the decoded bytes of one token (may be a partial UTF-8 sequence)
    std::optional<int64_t> tokenId(const std::string& tokenContent) const; // vocab or added token
    int64_t vocabSize() const;                  // highest id + 1, added tokens included
    bool isSpecial(int64_t id) const;

private:
    struct Impl;
    explicit Tokenizer(std::shared_ptr<const Impl> impl);
    static Tokenizer build(const std::string& text, const std::string& source, const nlohmann::json* config,
                           const std::string& configSource);
    static void applyConfig(Impl& impl, const nlohmann::json& config, const std::string& configSource);
    const std::string& tokenBytes(int64_t id) const;
    const std::string& tokenContent(int64_t id) const; // the token string (checks the id)
    const TokenDecoder& tokenDecoder() const;

    std::shared_ptr<const Impl> impl_;
    friend class IncrementalDecoder;
};

// Streams text from ids without ever emitting half a UTF-8 character: the pieces pushed plus
// flush() equal decode() of all ids (special tokens kept), first-token rules included (a
// SentencePiece-style tokenizer drops the leading space of the text's first token only). To
// stream a continuation (generated ids after a prompt), give the prompt's ids as `context`:
// they are decoded first and their text dropped, so the first generated token keeps its space.
class IncrementalDecoder {
public:
    explicit IncrementalDecoder(const Tokenizer& tokenizer, const std::vector<int64_t>& context = {});
    ~IncrementalDecoder();
    IncrementalDecoder(IncrementalDecoder&&) noexcept;
    IncrementalDecoder& operator=(IncrementalDecoder&&) noexcept;
    std::string push(int64_t id);  // text that became final with this id (maybe "")
    std::string flush();           // whatever is left (invalid bytes as U+FFFD)

private:
    struct State;
    Tokenizer tokenizer_;
    std::unique_ptr<State> state_; // the decoder's stream (held tokens, an unfinished character)
};

} // namespace tempo
