#pragma once
// Typed reads of one JSON field for the record readers of this folder (run config, group
// comparison). A missing key (or null where the field allows it) gives the fallback; a key of the
// wrong type is refused with InvalidArgument: "<record> field <path>: expected <type>, found <value>".

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tempo::recordjson {

// Where a field sits: the record ("run config") and the dotted path of the field ("tempo.mode").
struct FieldPath {
    std::string record;
    std::string path; // "" for the record itself

    FieldPath operator/(const std::string& key) const { return {record, path.empty() ? key : path + "." + key}; }
    std::string text() const { return path.empty() ? record : record + " field " + path; }
};

// The value as an error message shows it: compact JSON, long values cut.
std::string shownValue(const nlohmann::json& value);
[[noreturn]] void refuse(const FieldPath& field, const std::string& expected, const nlohmann::json& found);

// nullptr when `object` has no `key`.
const nlohmann::json* member(const nlohmann::json& object, const std::string& key);
// The object under `key` (or `fallback` when missing): refused when present and not an object.
const nlohmann::json& objectAt(const nlohmann::json& object, const FieldPath& field, const std::string& key);

double numberAt(const nlohmann::json& object, const FieldPath& field, const std::string& key, double fallback);
// null reads as NaN (non-finite values are stored as null).
double numberOrNullAt(const nlohmann::json& object, const FieldPath& field, const std::string& key, double fallback);
std::int64_t integerAt(const nlohmann::json& object, const FieldPath& field, const std::string& key, std::int64_t fallback);
bool booleanAt(const nlohmann::json& object, const FieldPath& field, const std::string& key, bool fallback);
std::string textAt(const nlohmann::json& object, const FieldPath& field, const std::string& key,
                   const std::string& fallback = "");
std::vector<std::int64_t> integersAt(const nlohmann::json& object, const FieldPath& field, const std::string& key);

// The text parsed as JSON; refused (naming the record) when it is not.
nlohmann::json parseText(const std::string& text, const std::string& record);

// A JSON number for a double: null when not finite (JSON has no NaN).
nlohmann::json finiteOrNull(double value);

} // namespace tempo::recordjson
