#pragma once
// Reads tokenizer.json fast. Llama 3's file is 9 MB, almost all of it model.vocab (128,000
// entries) and model.merges (280,147); a full nlohmann DOM of those costs far more to build and
// free than the tables themselves. This reader parses with nlohmann's SAX interface: vocab and
// merges go straight into flat vectors, everything else becomes an ordinary DOM.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace tempo {

struct BpeTables {
    std::vector<std::pair<std::string, int64_t>> vocab;         // token -> id, file order
    std::vector<std::pair<std::string, std::string>> merges;    // (left, right), rank = index
};

struct TokenizerJsonDocument {
    nlohmann::json root;        // the file, with model.vocab and model.merges left empty
    bool tablesStreamed = false; // false: `root` is the complete DOM and `tables` is unused
    BpeTables tables;
};

// Throws TokenizerError naming `source` on a JSON syntax error. Where vocab or merges hold
// something unexpected, the whole file is parsed into `root` instead (tablesStreamed false), so
// that the DOM checks name the offending entry.
TokenizerJsonDocument readTokenizerJson(const std::string& text, const std::string& source);

} // namespace tempo
