#pragma once
// Minimal flag parser for tempo-lab-cli: `--name value`, `--name=value` and boolean `--flag`.
// Unknown flags are refused with the list of accepted ones.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace tempo::cli {

class Args {
public:
    // `valueFlags` take a value, `boolFlags` do not. Positional words are kept in order.
    Args(const std::vector<std::string>& words, const std::set<std::string>& valueFlags,
         const std::set<std::string>& boolFlags);

    bool has(const std::string& flag) const;
    std::optional<std::string> value(const std::string& flag) const;
    std::string required(const std::string& flag) const;
    std::string valueOr(const std::string& flag, const std::string& fallback) const;
    // Parse as integer / number, throwing InvalidArgument naming the flag and the value.
    long long integer(const std::string& flag, long long fallback) const;
    double number(const std::string& flag, double fallback) const;
    const std::vector<std::string>& positional() const { return positional_; }

private:
    std::map<std::string, std::string> values_;
    std::set<std::string> bools_;
    std::vector<std::string> positional_;
};

// Parse "1,2,3" into ids, naming the offending item on error.
std::vector<long long> parseIdList(const std::string& text, const std::string& flag);

// --threads N (default 0 = every core): 0 or 1..this machine's cores, checked on the full value
// before it becomes an int (4294967297 must not wrap to 1).
int threadsFlag(const Args& args);

} // namespace tempo::cli
