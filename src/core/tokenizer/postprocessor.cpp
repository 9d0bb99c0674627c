#include "core/tokenizer/postprocessor.h"

namespace tempo {

using nlohmann::json;
using jsonfields::Place;

PostProcessor PostProcessor::fromJson(const json& value, const Place& place)
{
    PostProcessor processor;
    if (!value.is_null())
        processor.addProcessors(value, place);
    return processor;
}

void PostProcessor::addProcessors(const json& value, const Place& place)
{
    const std::string type = jsonfields::stringValue(jsonfields::member(value, place, "type"), place.child("type"));
    if (type == "ByteLevel")
        return; // trims offsets only; ids are unchanged
    if (type == "Sequence") {
        const json& list = jsonfields::member(value, place, "processors");
        if (!list.is_array())
            jsonfields::fail(place.child("processors"), "an array", jsonfields::describeValue(list));
        for (size_t i = 0; i < list.size(); ++i)
            addProcessors(list[i], place.child("processors").item(i));
        return;
    }
    if (type != "TemplateProcessing")
        jsonfields::fail(place.child("type"), "a supported post-processor (TemplateProcessing, ByteLevel, Sequence)",
                         "\"" + type + "\"");

    const json& specialTokens = jsonfields::member(value, place, "special_tokens");
    const Place specialPlace = place.child("special_tokens");
    const json& single = jsonfields::member(value, place, "single");
    const Place singlePlace = place.child("single");
    if (!single.is_array())
        jsonfields::fail(singlePlace, "an array of template items", jsonfields::describeValue(single));
    Template processorTemplate;
    for (size_t i = 0; i < single.size(); ++i) {
        const json& item = single[i];
        const Place at = singlePlace.item(i);
        Template::Item parsed;
        if (item.is_object() && item.contains("Sequence")) {
            const json& sequence = item["Sequence"];
            const std::string id = jsonfields::stringValue(jsonfields::member(sequence, at.child("Sequence"), "id"),
                                                           at.child("Sequence").child("id"));
            if (id != "A")
                jsonfields::fail(at.child("Sequence").child("id"), "\"A\" (the single template has one sequence)",
                                 "\"" + id + "\"");
            parsed.isSequence = true;
        } else if (item.is_object() && item.contains("SpecialToken")) {
            const Place tokenPlace = at.child("SpecialToken");
            const std::string name =
                jsonfields::stringValue(jsonfields::member(item["SpecialToken"], tokenPlace, "id"), tokenPlace.child("id"));
            const json& entry = jsonfields::member(specialTokens, specialPlace, name);
            const json& ids = jsonfields::member(entry, specialPlace.child(name), "ids");
            if (!ids.is_array() || ids.empty())
                jsonfields::fail(specialPlace.child(name).child("ids"), "a non-empty array of ids", jsonfields::describeValue(ids));
            for (size_t k = 0; k < ids.size(); ++k)
                parsed.specialIds.push_back(jsonfields::idValue(ids[k], specialPlace.child(name).child("ids").item(k)));
        } else {
            jsonfields::fail(at, "{\"Sequence\": ...} or {\"SpecialToken\": ...}", jsonfields::describeValue(item));
        }
        processorTemplate.items.push_back(std::move(parsed));
    }
    templates_.push_back(std::move(processorTemplate));
}

PostProcessor PostProcessor::bosEos(std::optional<int64_t> bos, std::optional<int64_t> eos)
{
    Template processorTemplate;
    if (bos)
        processorTemplate.items.push_back(Template::Item{false, {*bos}});
    processorTemplate.items.push_back(Template::Item{true, {}});
    if (eos)
        processorTemplate.items.push_back(Template::Item{false, {*eos}});
    PostProcessor processor;
    processor.templates_.push_back(std::move(processorTemplate));
    return processor;
}

std::vector<int64_t> PostProcessor::apply(std::vector<int64_t> ids) const
{
    for (const Template& processorTemplate : templates_) {
        std::vector<int64_t> out;
        out.reserve(ids.size() + 4);
        for (const Template::Item& item : processorTemplate.items) {
            if (item.isSequence)
                out.insert(out.end(), ids.begin(), ids.end());
            else
                out.insert(out.end(), item.specialIds.begin(), item.specialIds.end());
        }
        ids = std::move(out);
    }
    return ids;
}

} // namespace tempo
