#pragma once
// Reading tokenizer.json fields with error messages that name the file, the field path
// ("model.merges[12]"), what was expected and what was found.

#include <string>

#include <nlohmann/json.hpp>

namespace tempo::jsonfields {

// A field's place: the file (or other source) and the path inside it.
struct Place {
    std::string source;
    std::string path;

    Place child(const std::string& key) const { return {source, path.empty() ? key : path + "." + key}; }
    Place item(size_t index) const { return {source, path + "[" + std::to_string(index) + "]"}; }
    std::string describe() const { return source + ": " + (path.empty() ? "top level" : path); }
};

// Short description of a JSON value for "found ..." texts: `the string "x"`, `null`, `an array of 3`.
std::string describeValue(const nlohmann::json& value);

// Throws TokenizerError "<source>: <path>: expected <expected>, found <value>".
[[noreturn]] void fail(const Place& place, const std::string& expected, const std::string& found);

// `object[key]`, which must exist (object must be an object).
const nlohmann::json& member(const nlohmann::json& object, const Place& place, const std::string& key);
// `object[key]` or nullptr when absent or null.
const nlohmann::json* optionalMember(const nlohmann::json& object, const Place& place, const std::string& key);

std::string stringValue(const nlohmann::json& value, const Place& place);
bool boolMember(const nlohmann::json& object, const Place& place, const std::string& key, bool fallback);
int64_t idValue(const nlohmann::json& value, const Place& place); // a non-negative integer

} // namespace tempo::jsonfields
