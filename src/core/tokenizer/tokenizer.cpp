#include "core/tokenizer/tokenizer.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/tokenizer/addedvocabulary.h"
#include "core/tokenizer/bpe.h"
#include "core/tokenizer/bytelevel.h"
#include "core/tokenizer/jsonfields.h"
#include "core/tokenizer/postprocessor.h"
#include "core/tokenizer/pretokenizer.h"
#include "core/tokenizer/tokenizerjsonreader.h"
#include "core/tokenizer/utf8.h"

namespace tempo {

using nlohmann::json;
using jsonfields::Place;

struct Tokenizer::Impl {
    std::string source;
    AddedVocabulary added;
    PreTokenizer preTokenizer;
    BpeModel model;
    PostProcessor postProcessor;
    int64_t vocabSize = 0;
    std::vector<std::string> bytesOfId; // what the ByteLevel decoder makes of each id
    std::vector<bool> idExists;
    std::vector<bool> special;
};

namespace {

// Refuses a normalizer: Llama 3 has none, and silently skipping one would change the ids.
void checkNormalizer(const json& root, const Place& place)
{
    const json* normalizer = jsonfields::optionalMember(root, place, "normalizer");
    if (!normalizer)
        return;
    const bool emptySequence = normalizer->is_object() && normalizer->value("type", "") == "Sequence" &&
                               normalizer->contains("normalizers") && (*normalizer)["normalizers"].empty();
    if (!emptySequence)
        jsonfields::fail(place.child("normalizer"), "null (normalizers are not supported)",
                         jsonfields::describeValue(*normalizer));
}

void checkDecoder(const json& root, const Place& place)
{
    const json& decoder = jsonfields::member(root, place, "decoder");
    const Place at = place.child("decoder");
    if (decoder.is_null())
        jsonfields::fail(at, "a ByteLevel decoder", "null");
    const std::string type = jsonfields::stringValue(jsonfields::member(decoder, at, "type"), at.child("type"));
    if (type != "ByteLevel")
        jsonfields::fail(at.child("type"), "\"ByteLevel\" (the only decoder supported)", "\"" + type + "\"");
}

} // namespace

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
    return fromJsonText(text.str(), source);
}

Tokenizer Tokenizer::fromJsonText(const std::string& text, const std::string& source)
{
    TokenizerJsonDocument document = readTokenizerJson(text, source);
    const json& root = document.root;
    const Place top{source, ""};
    if (!root.is_object())
        jsonfields::fail(top, "a JSON object", jsonfields::describeValue(root));
    if (const json* truncation = jsonfields::optionalMember(root, top, "truncation"))
        jsonfields::fail(top.child("truncation"), "null (truncation is not supported)", jsonfields::describeValue(*truncation));
    checkNormalizer(root, top);
    checkDecoder(root, top);

    auto impl = std::make_shared<Impl>();
    impl->source = source;
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
    int64_t vocabSize = impl->model.idLimit();
    for (const AddedToken& token : impl->added.tokens())
        vocabSize = std::max(vocabSize, token.id + 1);
    impl->vocabSize = vocabSize;
    impl->bytesOfId.resize(static_cast<size_t>(vocabSize));
    impl->idExists.assign(static_cast<size_t>(vocabSize), false);
    impl->special.assign(static_cast<size_t>(vocabSize), false);
    auto setContent = [&](int64_t id, const std::string& content) {
        std::string& bytes = impl->bytesOfId[static_cast<size_t>(id)];
        bytes.clear();
        if (!bytelevel::appendDecoded(content, bytes))
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
    return Tokenizer(std::move(impl));
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
    std::vector<std::string> pieces;
    for (const AddedVocabulary::Segment& segment : impl_->added.split(text)) {
        if (segment.id) {
            ids.push_back(*segment.id);
            continue;
        }
        pieces.clear();
        impl_->preTokenizer.split(std::string_view(text).substr(segment.begin, segment.end - segment.begin), pieces);
        for (const std::string& piece : pieces)
            impl_->model.encodeWord(piece, ids);
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

std::string Tokenizer::decode(const std::vector<int64_t>& ids, bool skipSpecialTokens) const
{
    std::string bytes;
    for (int64_t id : ids) {
        const std::string& tokenBytesOfId = tokenBytes(id);
        if (skipSpecialTokens && impl_->special[static_cast<size_t>(id)])
            continue;
        bytes += tokenBytesOfId;
    }
    return utf8::toValidLossy(bytes);
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
