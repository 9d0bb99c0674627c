#include "core/tokenizer/tokenizer.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/tokenizer/addedvocabulary.h"
#include "core/tokenizer/bpe.h"
#include "core/tokenizer/bytelevel.h"
#include "core/tokenizer/jsonfields.h"
#include "core/tokenizer/normalizer.h"
#include "core/tokenizer/postprocessor.h"
#include "core/tokenizer/pretokenizer.h"
#include "core/tokenizer/tokendecoder.h"
#include "core/tokenizer/tokenizerjsonreader.h"
#include "core/tokenizer/utf8.h"

namespace tempo {

using nlohmann::json;
using jsonfields::Place;

struct Tokenizer::Impl {
    std::string source;
    AddedVocabulary added;
    Normalizer normalizer;
    PreTokenizer preTokenizer;
    TokenDecoder decoder;
    BpeModel model;
    PostProcessor postProcessor;
    int64_t vocabSize = 0;
    std::vector<std::string> bytesOfId; // what the decoder makes of each id on its own
    std::vector<std::string> contentOfId; // the token strings (for decoders other than ByteLevel alone)
    std::vector<bool> idExists;
    std::vector<bool> special;
};

Tokenizer::Tokenizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

Tokenizer Tokenizer::fromFile(const std::filesystem::path& tokenizerJson)
{
    const std::string source = tokenizerJson.string();
    std::error_code error;
    if (!std::filesystem::is_regular_file(tokenizerJson, error))
        throw TokenizerError(expectedFound("tokenizer file " + source, "an existing tokenizer.json file",
                                           std::filesystem::exists(tokenizerJson, error) ? "something that is not a file"
                                                                                         : "no such file"));
    std::ifstream stream(tokenizerJson, std::ios::binary);
    std::ostringstream text;
    text << stream.rdbuf();
    if (!stream.good() && !stream.eof())
        throw TokenizerError(expectedFound("tokenizer file " + source, "a readable file", "a read error"));
    const std::filesystem::path configPath = tokenizerJson.parent_path() / "tokenizer_config.json";
    if (!std::filesystem::is_regular_file(configPath, error))
        return fromJsonText(text.str(), source);
    std::ifstream configStream(configPath, std::ios::binary);
    json config;
    try {
        config = json::parse(configStream);
    } catch (const json::parse_error& e) {
        throw TokenizerError(expectedFound(configPath.string(), "valid JSON", std::string("a syntax error (") + e.what() + ")"));
    }
    return build(text.str(), source, &config, configPath.string());
}

Tokenizer Tokenizer::fromJsonText(const std::string& text, const std::string& source)
{
    return build(text, source, nullptr, "");
}

Tokenizer Tokenizer::build(const std::string& text, const std::string& source, const nlohmann::json* config,
                           const std::string& configSource)
{
    TokenizerJsonDocument document = readTokenizerJson(text, source);
    const json& root = document.root;
    const Place top{source, ""};
    if (!root.is_object())
        jsonfields::fail(top, "a JSON object", jsonfields::describeValue(root));
    if (const json* truncation = jsonfields::optionalMember(root, top, "truncation"))
        jsonfields::fail(top.child("truncation"), "null (truncation is not supported)", jsonfields::describeValue(*truncation));
    auto impl = std::make_shared<Impl>();
    impl->source = source;
    const json* normalizer = jsonfields::optionalMember(root, top, "normalizer");
    impl->normalizer = Normalizer::fromJson(normalizer ? *normalizer : json(nullptr), top.child("normalizer"));
    impl->decoder = TokenDecoder::fromJson(jsonfields::member(root, top, "decoder"), top.child("decoder"));
    impl->model = BpeModel::fromJson(jsonfields::member(root, top, "model"), top.child("model"),
                                      document.tablesStreamed ? &document.tables : nullptr);
    const json* addedTokens = jsonfields::optionalMember(root, top, "added_tokens");
    impl->added = AddedVocabulary::fromJson(addedTokens ? *addedTokens : json(nullptr), top.child("added_tokens"));
    const json* preTokenizer = jsonfields::optionalMember(root, top, "pre_tokenizer");
    impl->preTokenizer = PreTokenizer::fromJson(preTokenizer ? *preTokenizer : json(nullptr), top.child("pre_tokenizer"));
    const json* postProcessor = jsonfields::optionalMember(root, top, "post_processor");
    impl->postProcessor =
        PostProcessor::fromJson(postProcessor ? *postProcessor : json(nullptr), top.child("post_processor"));

    // Decoded bytes of every id. Added tokens take precedence over the model's entry of the same
    // id (Hugging Face looks them up first). The ByteLevel decoder maps a token's characters back
    // to bytes; a token with a character outside the byte alphabet keeps its own UTF-8 bytes.
    // Other decoders: the token's own bytes (spaces for "▁", the byte of <0xNN>).
    int64_t vocabSize = impl->model.idLimit();
    for (const AddedToken& token : impl->added.tokens())
        vocabSize = std::max(vocabSize, token.id + 1);
    impl->vocabSize = vocabSize;
    impl->bytesOfId.resize(static_cast<size_t>(vocabSize));
    impl->contentOfId.resize(static_cast<size_t>(vocabSize));
    impl->idExists.assign(static_cast<size_t>(vocabSize), false);
    impl->special.assign(static_cast<size_t>(vocabSize), false);
    auto setContent = [&](int64_t id, const std::string& content) {
        std::string& bytes = impl->bytesOfId[static_cast<size_t>(id)];
        bytes.clear();
        impl->contentOfId[static_cast<size_t>(id)] = content;
        if (!impl->decoder.isByteLevelOnly())
            bytes = impl->decoder.tokenBytes(content);
        else if (!bytelevel::appendDecoded(content, bytes))
            bytes = content;
        impl->idExists[static_cast<size_t>(id)] = true;
    };
    for (int64_t id = 0; id < impl->model.idLimit(); ++id)
        if (const std::string* content = impl->model.tokenContent(id))
            setContent(id, *content);
    for (const AddedToken& token : impl->added.tokens()) {
        setContent(token.id, token.content);
        impl->special[static_cast<size_t>(token.id)] = token.special;
    }
    if (config)
        applyConfig(*impl, *config, configSource);
    return Tokenizer(std::move(impl));
}

void Tokenizer::applyConfig(Impl& impl, const json& config, const std::string& configSource)
{
    const Place top{configSource, ""};
    if (!config.is_object())
        jsonfields::fail(top, "a JSON object", jsonfields::describeValue(config));
    // A special token's id from the config's "bos_token"/"eos_token" (a string or {"content"}).
    auto specialId = [&](const std::string& key) -> int64_t {
        const json* value = jsonfields::optionalMember(config, top, key);
        if (!value)
            jsonfields::fail(top, "a key \"" + key + "\" (add_" + key.substr(0, 3) + "_token is true)", "none");
        const Place at = top.child(key);
        const std::string content = value->is_object()
                                        ? jsonfields::stringValue(jsonfields::member(*value, at, "content"), at.child("content"))
                                        : jsonfields::stringValue(*value, at);
        std::optional<int64_t> id = impl.added.tokenId(content);
        if (!id)
            id = impl.model.tokenId(content);
        if (!id)
            jsonfields::fail(at, "a token of " + impl.source, "\"" + content + "\"");
        return *id;
    };
    const json* addBos = jsonfields::optionalMember(config, top, "add_bos_token");
    const json* addEos = jsonfields::optionalMember(config, top, "add_eos_token");
    if (addBos || addEos) {
        const bool bos = jsonfields::boolMember(config, top, "add_bos_token", false);
        const bool eos = jsonfields::boolMember(config, top, "add_eos_token", false);
        impl.postProcessor = PostProcessor::bosEos(bos ? std::optional<int64_t>(specialId("bos_token")) : std::nullopt,
                                                   eos ? std::optional<int64_t>(specialId("eos_token")) : std::nullopt);
    }
    if (jsonfields::optionalMember(config, top, "add_prefix_space")) {
        const bool add = jsonfields::boolMember(config, top, "add_prefix_space", false);
        impl.preTokenizer.setAddPrefixSpace(add);
        if (!add)
            impl.normalizer.removePrepend();
    }
}

std::vector<int64_t> Tokenizer::encode(const std::string& text, bool addSpecialTokens) const
{
    if (auto bad = utf8::firstInvalidOffset(text)) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned char>(text[*bad]));
        throw TokenizerError(expectedFound("text to encode", "valid UTF-8",
                                           std::string("the byte ") + hex + " at offset " + std::to_string(*bad)));
    }
    std::vector<int64_t> ids;
    ids.reserve(text.size() / 3 + 4);
    // As Hugging Face's AddedVocabulary: the tokens with normalized=false are found in the raw
    // text; the text between them is normalized, and the tokens with normalized=true are found
    // in that; what is left goes through the pre-tokenizer and the model.
    std::vector<std::string> pieces;
    for (const AddedVocabulary::Segment& segment : impl_->added.splitGroup(text, false)) {
        if (segment.id) {
            ids.push_back(*segment.id);
            continue;
        }
        const std::string normalized =
            impl_->normalizer.apply(text.substr(segment.begin, segment.end - segment.begin));
        for (const AddedVocabulary::Segment& part : impl_->added.splitGroup(normalized, true)) {
            if (part.id) {
                ids.push_back(*part.id);
                continue;
            }
            pieces.clear();
            impl_->preTokenizer.split(std::string_view(normalized).substr(part.begin, part.end - part.begin), pieces,
                                      segment.begin == 0 && part.begin == 0);
            for (const std::string& piece : pieces)
                impl_->model.encodeWord(piece, ids);
        }
    }
    if (addSpecialTokens)
        ids = impl_->postProcessor.apply(std::move(ids));
    return ids;
}

const std::string& Tokenizer::tokenBytes(int64_t id) const
{
    if (id < 0 || id >= impl_->vocabSize || !impl_->idExists[static_cast<size_t>(id)])
        throw TokenizerError(expectedFound("token id", "an id of " + impl_->source + " (0 to " +
                                                           std::to_string(impl_->vocabSize - 1) + ")",
                                           std::to_string(id)));
    return impl_->bytesOfId[static_cast<size_t>(id)];
}

const std::string& Tokenizer::tokenContent(int64_t id) const
{
    tokenBytes(id); // checks the id
    return impl_->contentOfId[static_cast<size_t>(id)];
}

const TokenDecoder& Tokenizer::tokenDecoder() const { return impl_->decoder; }

std::string Tokenizer::decode(const std::vector<int64_t>& ids, bool skipSpecialTokens) const
{
    if (!impl_->decoder.isByteLevelOnly()) {
        std::vector<std::string> tokens;
        tokens.reserve(ids.size());
        for (int64_t id : ids) {
            tokenBytes(id); // checks the id
            if (skipSpecialTokens && impl_->special[static_cast<size_t>(id)])
                continue;
            tokens.push_back(impl_->contentOfId[static_cast<size_t>(id)]);
        }
        return utf8::toValidLossy(impl_->decoder.decode(std::move(tokens)));
    }
    std::string bytes;
    for (int64_t id : ids) {
        const std::string& tokenBytesOfId = tokenBytes(id);
        if (skipSpecialTokens && impl_->special[static_cast<size_t>(id)])
            continue;
        bytes += tokenBytesOfId;
    }
    return utf8::toValidLossy(bytes);
}

std::string Tokenizer::decodeContinuation(const std::vector<int64_t>& ids) const
{
    TokenDecoder::Stream stream;
    stream.firstChunk = false; // some text came before
    stream.pastStart = true;
    std::string text;
    for (int64_t id : ids)
        text += impl_->decoder.streamPush(stream, tokenContent(id));
    return text + impl_->decoder.streamFlush(stream);
}

std::string Tokenizer::tokenText(int64_t id) const { return tokenBytes(id); }

std::optional<int64_t> Tokenizer::tokenId(const std::string& tokenContent) const
{
    if (auto id = impl_->added.tokenId(tokenContent))
        return id;
    return impl_->model.tokenId(tokenContent);
}

int64_t Tokenizer::vocabSize() const { return impl_->vocabSize; }

bool Tokenizer::isSpecial(int64_t id) const
{
    return id >= 0 && id < impl_->vocabSize && impl_->special[static_cast<size_t>(id)];
}

} // namespace tempo
