#include "cli/args.h"

#include <cerrno>
#include <cstdlib>

#include "core/common/errors.h"
#include "core/model/computeoptions.h"

namespace tempo::cli {

namespace {
std::string joinFlags(const std::set<std::string>& a, const std::set<std::string>& b)
{
    std::string out;
    for (const auto* set : {&a, &b})
        for (const auto& f : *set)
            out += (out.empty() ? "" : ", ") + f;
    return out.empty() ? "none" : out;
}
} // namespace

Args::Args(const std::vector<std::string>& words, const std::set<std::string>& valueFlags,
           const std::set<std::string>& boolFlags)
{
    for (size_t i = 0; i < words.size(); ++i) {
        const std::string& word = words[i];
        if (word.size() < 3 || word.compare(0, 2, "--") != 0) {
            positional_.push_back(word);
            continue;
        }
        std::string flag = word;
        std::optional<std::string> inlineValue;
        if (auto eq = word.find('='); eq != std::string::npos) {
            flag = word.substr(0, eq);
            inlineValue = word.substr(eq + 1);
        }
        if (valueFlags.count(flag)) {
            if (inlineValue) {
                values_[flag] = *inlineValue;
            } else {
                if (i + 1 >= words.size())
                    throw InvalidArgument(expectedFound("flag " + flag, "a value after it", "end of arguments"));
                values_[flag] = words[++i];
            }
        } else if (boolFlags.count(flag)) {
            if (inlineValue)
                throw InvalidArgument(expectedFound("flag " + flag, "no value", "'" + *inlineValue + "'"));
            bools_.insert(flag);
        } else {
            throw InvalidArgument(expectedFound("flag", "one of " + joinFlags(valueFlags, boolFlags), "'" + flag + "'"));
        }
    }
}

bool Args::has(const std::string& flag) const { return bools_.count(flag) || values_.count(flag); }

std::optional<std::string> Args::value(const std::string& flag) const
{
    auto it = values_.find(flag);
    if (it == values_.end())
        return std::nullopt;
    return it->second;
}

std::string Args::required(const std::string& flag) const
{
    auto v = value(flag);
    if (!v)
        throw InvalidArgument(expectedFound("flag " + flag, "to be given", "nothing"));
    return *v;
}

std::string Args::valueOr(const std::string& flag, const std::string& fallback) const
{
    return value(flag).value_or(fallback);
}

long long Args::integer(const std::string& flag, long long fallback) const
{
    auto v = value(flag);
    if (!v)
        return fallback;
    errno = 0;
    char* end = nullptr;
    long long parsed = std::strtoll(v->c_str(), &end, 10);
    if (v->empty() || *end != '\0' || errno == ERANGE)
        throw InvalidArgument(expectedFound("flag " + flag, "an integer", "'" + *v + "'"));
    return parsed;
}

double Args::number(const std::string& flag, double fallback) const
{
    auto v = value(flag);
    if (!v)
        return fallback;
    errno = 0;
    char* end = nullptr;
    double parsed = std::strtod(v->c_str(), &end);
    if (v->empty() || *end != '\0' || errno == ERANGE)
        throw InvalidArgument(expectedFound("flag " + flag, "a number", "'" + *v + "'"));
    return parsed;
}

std::vector<long long> parseIdList(const std::string& text, const std::string& flag)
{
    std::vector<long long> ids;
    size_t start = 0;
    while (start <= text.size()) {
        size_t comma = text.find(',', start);
        std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        errno = 0;
        char* end = nullptr;
        long long id = std::strtoll(item.c_str(), &end, 10);
        if (item.empty() || *end != '\0' || errno == ERANGE || id < 0)
            throw InvalidArgument(expectedFound("flag " + flag + " item " + std::to_string(ids.size() + 1),
                                                "a non-negative integer id", "'" + item + "'"));
        ids.push_back(id);
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    return ids;
}

int threadsFlag(const Args& args)
{
    const long long threads = args.integer("--threads", 0);
    const int most = ComputeOptions::maxThreads();
    if (threads < 0 || threads > most)
        throw InvalidArgument(expectedFound("flag --threads",
                                            "0 (every core) or a count in 1.." + std::to_string(most) +
                                                " (the cores of this machine)",
                                            std::to_string(threads)));
    return static_cast<int>(threads);
}

} // namespace tempo::cli
