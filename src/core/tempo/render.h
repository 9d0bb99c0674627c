#pragma once
// Step 6 of DESIGN.md section 1: the prompt, then each step's set — a single token as itself,
// several as [a/b/c]. Callers pass the tokenizer's decode (keeps this free of tokenizer state).

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tempo {

// `decode` turns ids into text. Runs of single-token sets are decoded together, so a character
// split over several byte-level tokens comes out whole; each member of a larger set is decoded alone.
std::string renderTempoText(const std::string& prompt, const std::vector<std::vector<int64_t>>& sets,
                            const std::function<std::string(const std::vector<int64_t>&)>& decode);

} // namespace tempo
