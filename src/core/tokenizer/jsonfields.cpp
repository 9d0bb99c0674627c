#include "core/tokenizer/jsonfields.h"

#include "core/common/errors.h"

namespace tempo::jsonfields {

using nlohmann::json;

std::string describeValue(const json& value)
{
    switch (value.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return value.get<bool>() ? "true" : "false";
    case json::value_t::string: {
        std::string text = value.get<std::string>();
        if (text.size() > 60)
            text = text.substr(0, 57) + "...";
        return "the string " + json(text).dump(-1, ' ', false, json::error_handler_t::replace);
    }
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return "the number " + value.dump();
    case json::value_t::array: return "an array of " + std::to_string(value.size());
    case json::value_t::object: {
        std::string keys;
        size_t shown = 0;
        for (auto it = value.begin(); it != value.end() && shown < 8; ++it, ++shown)
            keys += (keys.empty() ? "" : ", ") + it.key();
        if (value.size() > shown)
            keys += ", ...";
        return value.empty() ? "an empty object" : "an object with keys " + keys;
    }
    default: return "a value of an unexpected kind";
    }
}

void fail(const Place& place, const std::string& expected, const std::string& found)
{
    throw TokenizerError(expectedFound(place.describe(), expected, found));
}

const json& member(const json& object, const Place& place, const std::string& key)
{
    if (!object.is_object())
        fail(place, "an object", describeValue(object));
    auto it = object.find(key);
    if (it == object.end())
        fail(place, "a key \"" + key + "\"", describeValue(object));
    return *it;
}

const json* optionalMember(const json& object, const Place& place, const std::string& key)
{
    if (!object.is_object())
        fail(place, "an object", describeValue(object));
    auto it = object.find(key);
    if (it == object.end() || it->is_null())
        return nullptr;
    return &*it;
}

std::string stringValue(const json& value, const Place& place)
{
    if (!value.is_string())
        fail(place, "a string", describeValue(value));
    return value.get<std::string>();
}

bool boolMember(const json& object, const Place& place, const std::string& key, bool fallback)
{
    const json* value = optionalMember(object, place, key);
    if (!value)
        return fallback;
    if (!value->is_boolean())
        fail(place.child(key), "true or false", describeValue(*value));
    return value->get<bool>();
}

int64_t idValue(const json& value, const Place& place)
{
    if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() > INT32_MAX)
        fail(place, "a token id (an integer from 0 to 2^31-1)", describeValue(value));
    return value.get<int64_t>();
}

} // namespace tempo::jsonfields
