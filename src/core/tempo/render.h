#pragma once
// Step 6 of DESIGN.md section 1: the prompt, then each step's set — a single token as itself,
// several as [a/b/c]. runText() is the one rendering of a run: the CLI prints it and the notebook
// stores it, so the two always agree.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tempo {

class Tokenizer;

// `decode` turns ids into text. Runs of single-token sets are decoded together, so a character
// split over several byte-level tokens comes out whole; each member of a larger set is decoded alone.
std::string renderTempoText(const std::string& prompt, const std::vector<std::vector<int64_t>>& sets,
                            const std::function<std::string(const std::vector<int64_t>&)>& decode);

// The text of a run: renderTempoText with the tokenizer's decode of a continuation (each piece
// follows the prompt, so a SentencePiece-style "▁world" keeps its space), special tokens kept (an
// <|end_of_text|> that ended the run or sat in a set is shown, so every member of every set is
// visible; docs/tempo-semantics.md "The run's text").
std::string runText(const std::string& prompt, const std::vector<std::vector<int64_t>>& sets, const Tokenizer& tokenizer);

} // namespace tempo
