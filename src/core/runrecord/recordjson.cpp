#include "core/runrecord/recordjson.h"

#include <cmath>
#include <limits>

#include "core/common/errors.h"

namespace tempo::recordjson {

namespace {

const nlohmann::json& emptyRecordObject()
{
    static const nlohmann::json empty = nlohmann::json::object();
    return empty;
}

} // namespace

std::string shownValue(const nlohmann::json& value)
{
    std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (text.size() > 80)
        text = text.substr(0, 77) + "...";
    return text;
}

void refuse(const FieldPath& field, const std::string& expected, const nlohmann::json& found)
{
    throw InvalidArgument(expectedFound(field.text(), expected, shownValue(found)));
}

const nlohmann::json* member(const nlohmann::json& object, const std::string& key)
{
    if (!object.is_object())
        return nullptr;
    const auto it = object.find(key);
    return it == object.end() ? nullptr : &*it;
}

const nlohmann::json& objectAt(const nlohmann::json& object, const FieldPath& field, const std::string& key)
{
    const nlohmann::json* value = member(object, key);
    if (!value)
        return emptyRecordObject();
    if (!value->is_object())
        refuse(field / key, "a JSON object", *value);
    return *value;
}

double numberAt(const nlohmann::json& object, const FieldPath& field, const std::string& key, double fallback)
{
    const nlohmann::json* value = member(object, key);
    if (!value)
        return fallback;
    if (!value->is_number())
        refuse(field / key, "a number", *value);
    return value->get<double>();
}

double numberOrNullAt(const nlohmann::json& object, const FieldPath& field, const std::string& key, double fallback)
{
    const nlohmann::json* value = member(object, key);
    if (!value)
        return fallback;
    if (value->is_null())
        return std::numeric_limits<double>::quiet_NaN();
    if (!value->is_number())
        refuse(field / key, "a number or null", *value);
    return value->get<double>();
}

std::int64_t integerAt(const nlohmann::json& object, const FieldPath& field, const std::string& key, std::int64_t fallback)
{
    const nlohmann::json* value = member(object, key);
    if (!value)
        return fallback;
    if (value->is_number_unsigned() && value->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
        refuse(field / key, "an integer", *value);
    if (!value->is_number_integer())
        refuse(field / key, "an integer", *value);
    return value->get<std::int64_t>();
}

bool booleanAt(const nlohmann::json& object, const FieldPath& field, const std::string& key, bool fallback)
{
    const nlohmann::json* value = member(object, key);
    if (!value)
        return fallback;
    if (!value->is_boolean())
        refuse(field / key, "true or false", *value);
    return value->get<bool>();
}

std::string textAt(const nlohmann::json& object, const FieldPath& field, const std::string& key, const std::string& fallback)
{
    const nlohmann::json* value = member(object, key);
    if (!value)
        return fallback;
    if (!value->is_string())
        refuse(field / key, "a string", *value);
    return value->get<std::string>();
}

std::vector<std::int64_t> integersAt(const nlohmann::json& object, const FieldPath& field, const std::string& key)
{
    std::vector<std::int64_t> out;
    const nlohmann::json* value = member(object, key);
    if (!value)
        return out;
    if (!value->is_array())
        refuse(field / key, "an array of integers", *value);
    out.reserve(value->size());
    for (size_t i = 0; i < value->size(); ++i) {
        const nlohmann::json& item = (*value)[i];
        if (!item.is_number_integer() || (item.is_number_unsigned() && item.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)))
            refuse(field / (key + "[" + std::to_string(i) + "]"), "an integer", item);
        out.push_back(item.get<std::int64_t>());
    }
    return out;
}

nlohmann::json parseText(const std::string& text, const std::string& record)
{
    nlohmann::json value = nlohmann::json::parse(text, nullptr, false);
    if (value.is_discarded())
        throw InvalidArgument(expectedFound(record, "JSON text", "'" + (text.size() > 80 ? text.substr(0, 77) + "..." : text) + "'"));
    return value;
}

nlohmann::json finiteOrNull(double value) { return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr); }

} // namespace tempo::recordjson
