#include "core/gguf/ggufvocabulary.h"

#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/gguf/ggufwriter.h"
#include "core/tokenizer/tokenizer.h"
#include "core/tokenizer/tokenizerjsonreader.h"

namespace tempo {

namespace {

using nlohmann::json;

// The split patterns of the tokenizer.json files we read, and llama.cpp's name for each
// (llama-vocab.cpp's pre-tokenizer types).
const std::map<std::string, std::string>& knownSplitPatterns()
{
    static const std::map<std::string, std::string> patterns = {
        {R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
         "llama-bpe"},
        {R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
         "qwen2"},
    };
    return patterns;
}

// Every pre-tokenizer of a (possibly Sequence) pre_tokenizer object, in order.
void collectPreTokenizers(const json& node, std::vector<const json*>& out)
{
    if (!node.is_object())
        return;
    if (node.value("type", "") == "Sequence" && node.contains("pretokenizers")) {
        for (const json& child : node.at("pretokenizers"))
            collectPreTokenizers(child, out);
        return;
    }
    out.push_back(&node);
}

bool mentionsType(const json& node, const std::string& type)
{
    if (node.is_object()) {
        if (node.value("type", "") == type)
            return true;
        for (const auto& item : node.items())
            if (mentionsType(item.value(), type))
                return true;
    } else if (node.is_array()) {
        for (const json& item : node)
            if (mentionsType(item, type))
                return true;
    }
    return false;
}

bool isByteToken(const std::string& token)
{
    auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); };
    return token.size() == 6 && token.compare(0, 3, "<0x") == 0 && hex(token[3]) && hex(token[4]) && token[5] == '>';
}

std::string readText(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw TokenizerError(expectedFound(path.string(), "a readable file", "unreadable or missing"));
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Vocabulary and merges of model.vocab / model.merges, streamed or (when the reader fell back to
// a DOM) taken from the document. The app's tokenizer has already validated the file.
BpeTables bpeTablesOf(TokenizerJsonDocument& document)
{
    if (document.tablesStreamed)
        return std::move(document.tables);
    BpeTables tables;
    const json& model = document.root.at("model");
    for (const auto& item : model.at("vocab").items())
        tables.vocab.emplace_back(item.key(), item.value().get<int64_t>());
    for (const json& merge : model.at("merges")) {
        if (merge.is_string()) {
            const std::string text = merge.get<std::string>();
            const size_t space = text.find(' ');
            tables.merges.emplace_back(text.substr(0, space), text.substr(space + 1));
        } else {
            tables.merges.emplace_back(merge.at(0).get<std::string>(), merge.at(1).get<std::string>());
        }
    }
    return tables;
}

} // namespace

GgufVocabulary ggufVocabularyFromTokenizer(const std::filesystem::path& tokenizerJson, int64_t vocabSize,
                                           int64_t bosId, int64_t eosId)
{
    // The app's own reader validates the file first (and gives its error messages).
    const Tokenizer tokenizer = Tokenizer::fromFile(tokenizerJson);
    if (tokenizer.vocabSize() > vocabSize)
        throw InvalidArgument(expectedFound(tokenizerJson.string() + ": highest token id + 1",
                                            "at most the embedding's " + std::to_string(vocabSize) + " rows",
                                            std::to_string(tokenizer.vocabSize())));
    const std::string source = tokenizerJson.string();
    TokenizerJsonDocument document = readTokenizerJson(readText(tokenizerJson), source);
    const json& root = document.root;
    const json& model = root.at("model");
    BpeTables tables = bpeTablesOf(document);

    GgufVocabulary vocabulary;
    const bool sentencePiece = model.value("byte_fallback", false) || mentionsType(root.value("normalizer", json()), "Prepend")
                               || mentionsType(root.value("pre_tokenizer", json()), "Metaspace")
                               || mentionsType(root.value("normalizer", json()), "Replace");
    vocabulary.model = sentencePiece ? "llama" : "gpt2";

    const size_t rows = static_cast<size_t>(vocabSize);
    vocabulary.tokens.assign(rows, std::string());
    vocabulary.tokenTypes.assign(rows, static_cast<int32_t>(GgufTokenType::Unused));
    std::vector<bool> present(rows, false);
    for (const auto& [token, id] : tables.vocab) {
        vocabulary.tokens[static_cast<size_t>(id)] = token;
        vocabulary.tokenTypes[static_cast<size_t>(id)] = static_cast<int32_t>(
            sentencePiece && isByteToken(token) ? GgufTokenType::Byte : GgufTokenType::Normal);
        present[static_cast<size_t>(id)] = true;
    }
    for (const json& added : root.value("added_tokens", json::array())) {
        const auto id = static_cast<size_t>(added.at("id").get<int64_t>());
        vocabulary.tokens[id] = added.at("content").get<std::string>();
        vocabulary.tokenTypes[id] = static_cast<int32_t>(added.value("special", false) ? GgufTokenType::Control
                                                                                       : GgufTokenType::UserDefined);
        present[id] = true;
    }
    for (size_t id = 0; id < rows; ++id)
        if (!present[id])
            vocabulary.tokens[id] = "[PAD" + std::to_string(id) + "]";
    if (model.contains("unk_token") && model.at("unk_token").is_string())
        if (const auto unknown = tokenizer.tokenId(model.at("unk_token").get<std::string>())) {
            vocabulary.unknownId = *unknown;
            vocabulary.tokenTypes[static_cast<size_t>(*unknown)] = static_cast<int32_t>(GgufTokenType::Unknown);
        }

    vocabulary.merges.reserve(tables.merges.size());
    for (const auto& [left, right] : tables.merges)
        vocabulary.merges.push_back(left + " " + right);
    if (sentencePiece) {
        // What llama.cpp's SentencePiece tokenizer cannot follow (tests/parity/llamacpp_tokenizer.mjs):
        // it falls back to <0xNN> tokens whenever they exist, and aborts when one is missing.
        size_t byteTokens = 0;
        for (const auto& [token, id] : tables.vocab)
            byteTokens += isByteToken(token) ? 1 : 0;
        const bool byteFallback = model.value("byte_fallback", false);
        if (byteFallback && byteTokens < 256)
            vocabulary.notes.push_back("byte_fallback with " + std::to_string(byteTokens) +
                                       " of the 256 <0xNN> tokens: llama.cpp aborts on text that needs a missing one");
        if (!byteFallback && byteTokens > 0)
            vocabulary.notes.push_back("byte_fallback false, but llama.cpp falls back to the " + std::to_string(byteTokens) +
                                       " <0xNN> tokens where Hugging Face gives the unknown token");
        const json preTokenizer = root.value("pre_tokenizer", json());
        std::vector<const json*> preTokenizers;
        collectPreTokenizers(preTokenizer, preTokenizers);
        for (const json* pre : preTokenizers)
            if (pre->value("type", "") == "Metaspace" && pre->value("prepend_scheme", "always") != "never")
                vocabulary.notes.push_back("Metaspace prepend_scheme \"" + pre->value("prepend_scheme", "always") +
                                           "\": llama.cpp also puts \"▁\" before a text that starts with a space and "
                                           "after a special token");
        // llama.cpp's SentencePiece tokenizer merges the pair whose result scores highest: the
        // token made by merge rank r scores -r, tokens no merge makes score below every merge.
        const float unmerged = -static_cast<float>(tables.merges.size()) - 1.0f;
        vocabulary.scores.assign(rows, unmerged);
        std::map<std::string, size_t> idOf;
        for (size_t id = 0; id < rows; ++id)
            idOf.emplace(vocabulary.tokens[id], id);
        for (size_t rank = tables.merges.size(); rank-- > 0;) {
            const auto it = idOf.find(tables.merges[rank].first + tables.merges[rank].second);
            if (it != idOf.end())
                vocabulary.scores[it->second] = -static_cast<float>(rank); // the lowest rank wins
        }
    } else {
        const json preTokenizer = root.value("pre_tokenizer", json()); // the pointers below point into it
        std::vector<const json*> preTokenizers;
        collectPreTokenizers(preTokenizer, preTokenizers);
        for (const json* pre : preTokenizers) {
            const std::string type = pre->value("type", "");
            if (type == "Split" && pre->contains("pattern") && pre->at("pattern").contains("Regex")) {
                const std::string pattern = pre->at("pattern").at("Regex").get<std::string>();
                const auto known = knownSplitPatterns().find(pattern);
                if (known != knownSplitPatterns().end()) {
                    vocabulary.pre = known->second;
                } else {
                    vocabulary.pre = "default";
                    vocabulary.notes.push_back("split pattern not known to llama.cpp by name; tokenizer.ggml.pre "
                                               "\"default\" (llama.cpp may split text differently; ids are unaffected)");
                }
            } else if (type == "ByteLevel" && pre->value("use_regex", true) && vocabulary.pre.empty()) {
                vocabulary.pre = "gpt-2";
            }
        }
        if (vocabulary.pre.empty())
            vocabulary.pre = "default";
    }

    if (bosId >= 0)
        vocabulary.bosId = bosId;
    if (eosId >= 0)
        vocabulary.eosId = eosId;
    for (const char* padding : {"<pad>", "<|pad|>", "[PAD]"})
        if (const auto id = tokenizer.tokenId(padding); id && !vocabulary.paddingId)
            vocabulary.paddingId = *id;
    // What the post-processor adds around a text: compare "a" with and without special tokens.
    const std::vector<int64_t> plain = tokenizer.encode("a", false), framed = tokenizer.encode("a", true);
    vocabulary.addBos = vocabulary.bosId && framed.size() > plain.size() && framed.front() == *vocabulary.bosId;
    vocabulary.addEos = vocabulary.eosId && framed.size() > plain.size() && framed.back() == *vocabulary.eosId;
    // Whether a text gets a leading "▁": the first token of "a" then decodes with a space
    // (Prepend normalizer, Metaspace prepend_scheme always/first; not Gemma's Replace alone).
    const std::vector<int64_t> letter = tokenizer.encode("a", false);
    vocabulary.addSpacePrefix = !letter.empty() && tokenizer.tokenText(letter.front()).compare(0, 1, " ") == 0;
    return vocabulary;
}

void addGgufVocabulary(GgufWriter& writer, const GgufVocabulary& vocabulary)
{
    writer.addString("tokenizer.ggml.model", vocabulary.model);
    if (!vocabulary.pre.empty())
        writer.addString("tokenizer.ggml.pre", vocabulary.pre);
    writer.addStringArray("tokenizer.ggml.tokens", vocabulary.tokens);
    writer.addInt32Array("tokenizer.ggml.token_type", vocabulary.tokenTypes);
    if (!vocabulary.scores.empty())
        writer.addFloat32Array("tokenizer.ggml.scores", vocabulary.scores);
    if (!vocabulary.merges.empty())
        writer.addStringArray("tokenizer.ggml.merges", vocabulary.merges);
    auto addId = [&](const char* key, const std::optional<int64_t>& id) {
        if (id)
            writer.addUint32(key, static_cast<uint32_t>(*id));
    };
    addId("tokenizer.ggml.bos_token_id", vocabulary.bosId);
    addId("tokenizer.ggml.eos_token_id", vocabulary.eosId);
    addId("tokenizer.ggml.unknown_token_id", vocabulary.unknownId);
    addId("tokenizer.ggml.padding_token_id", vocabulary.paddingId);
    writer.addBool("tokenizer.ggml.add_bos_token", vocabulary.addBos);
    writer.addBool("tokenizer.ggml.add_eos_token", vocabulary.addEos);
    if (vocabulary.model == "llama")
        writer.addBool("tokenizer.ggml.add_space_prefix", vocabulary.addSpacePrefix);
}

} // namespace tempo
