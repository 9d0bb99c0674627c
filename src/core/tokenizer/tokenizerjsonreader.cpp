#include "core/tokenizer/tokenizerjsonreader.h"

#include "core/common/errors.h"

namespace tempo {

namespace {

using nlohmann::json;

// SAX handler: builds the DOM with a stack of open containers, except inside model.vocab and
// model.merges, whose entries go to BpeTables. Any surprise there stops the parse (returns
// false) with `unexpectedTable` set.
class StreamingHandler : public nlohmann::json_sax<json> {
public:
    explicit StreamingHandler(TokenizerJsonDocument& document) : document_(document) {}

    bool unexpectedTable = false;
    std::string syntaxError;

    bool null() override { return scalar(json(nullptr)); }
    bool boolean(bool value) override { return scalar(json(value)); }
    bool number_integer(number_integer_t value) override
    {
        if (mode_ == Mode::Vocab)
            return vocabId(value);
        return scalar(json(value));
    }
    bool number_unsigned(number_unsigned_t value) override
    {
        if (mode_ == Mode::Vocab)
            return value <= static_cast<number_unsigned_t>(INT64_MAX) ? vocabId(static_cast<int64_t>(value)) : surprise();
        return scalar(json(value));
    }
    bool number_float(number_float_t value, const string_t&) override { return scalar(json(value)); }
    bool string(string_t& value) override
    {
        if (mode_ == Mode::Merges) {
            // "left right": split at the first space; entries that do not split are left to the DOM checks.
            const size_t space = value.find(' ');
            if (space == std::string::npos || space == 0 || space + 1 == value.size())
                return surprise();
            document_.tables.merges.emplace_back(value.substr(0, space), value.substr(space + 1));
            return true;
        }
        if (mode_ == Mode::MergePair) {
            if (pairStrings_ == 0)
                document_.tables.merges.emplace_back(std::move(value), std::string());
            else if (pairStrings_ == 1)
                document_.tables.merges.back().second = std::move(value);
            else
                return surprise();
            ++pairStrings_;
            return true;
        }
        return scalar(json(std::move(value)));
    }
    bool binary(binary_t&) override { return surprise(); }
    bool start_object(std::size_t) override
    {
        if (mode_ != Mode::Dom)
            return surprise();
        if (stack_.size() == 2 && insideModel() && key_ == "vocab") {
            open(json::object());
            mode_ = Mode::Vocab;
            return true;
        }
        open(json::object());
        return true;
    }
    bool end_object() override
    {
        if (mode_ == Mode::Vocab)
            mode_ = Mode::Dom;
        stack_.pop_back();
        return true;
    }
    bool start_array(std::size_t) override
    {
        if (mode_ == Mode::Merges) {
            mode_ = Mode::MergePair;
            pairStrings_ = 0;
            return true;
        }
        if (mode_ != Mode::Dom)
            return surprise();
        if (stack_.size() == 2 && insideModel() && key_ == "merges") {
            open(json::array());
            mode_ = Mode::Merges;
            return true;
        }
        open(json::array());
        return true;
    }
    bool end_array() override
    {
        if (mode_ == Mode::MergePair) {
            if (pairStrings_ != 2)
                return surprise();
            mode_ = Mode::Merges;
            return true;
        }
        if (mode_ == Mode::Merges)
            mode_ = Mode::Dom;
        stack_.pop_back();
        return true;
    }
    bool key(string_t& value) override
    {
        if (mode_ == Mode::Vocab)
            vocabKey_ = std::move(value);
        else
            key_ = std::move(value);
        if (stack_.size() == 1)
            topKey_ = key_;
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& error) override
    {
        syntaxError = error.what();
        return false;
    }

private:
    enum class Mode { Dom, Vocab, Merges, MergePair };

    bool insideModel() const { return topKey_ == "model" && stack_.back()->is_object(); }
    bool surprise()
    {
        unexpectedTable = true;
        return false;
    }
    bool vocabId(int64_t id)
    {
        document_.tables.vocab.emplace_back(std::move(vocabKey_), id);
        return true;
    }
    // Places `value` in the innermost open container (or as the root) and returns it.
    json* place(json&& value)
    {
        if (stack_.empty()) {
            document_.root = std::move(value);
            return &document_.root;
        }
        json& parent = *stack_.back();
        if (parent.is_array()) {
            parent.push_back(std::move(value));
            return &parent.back();
        }
        json& slot = parent[key_];
        slot = std::move(value);
        return &slot;
    }
    bool scalar(json&& value)
    {
        if (mode_ != Mode::Dom)
            return surprise();
        place(std::move(value));
        return true;
    }
    void open(json&& container) { stack_.push_back(place(std::move(container))); }

    TokenizerJsonDocument& document_;
    std::vector<json*> stack_; // open containers, outermost first
    Mode mode_ = Mode::Dom;
    std::string key_, topKey_, vocabKey_;
    int pairStrings_ = 0;
};

} // namespace

TokenizerJsonDocument readTokenizerJson(const std::string& text, const std::string& source)
{
    TokenizerJsonDocument document;
    document.tables.vocab.reserve(131072);
    document.tables.merges.reserve(300000);
    StreamingHandler handler(document);
    const bool parsed = json::sax_parse(text, &handler);
    if (parsed) {
        document.tablesStreamed = true;
        return document;
    }
    if (!handler.syntaxError.empty())
        throw TokenizerError(expectedFound(source, "valid JSON", "a syntax error (" + handler.syntaxError + ")"));
    // Something unexpected inside vocab or merges: read the plain DOM so the checks can name it.
    TokenizerJsonDocument complete;
    try {
        complete.root = json::parse(text);
    } catch (const json::parse_error& e) {
        throw TokenizerError(expectedFound(source, "valid JSON", std::string("a syntax error (") + e.what() + ")"));
    }
    return complete;
}

} // namespace tempo
