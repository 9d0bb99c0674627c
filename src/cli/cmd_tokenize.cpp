// tempo-lab-cli tokenize / decode: the model folder's tokenizer.json from the command line, so
// other tools (and people) can check ids against Hugging Face without writing code.

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/command.h"
#include "core/common/errors.h"
#include "core/tokenizer/tokenizer.h"

namespace tempo::cli {

namespace {

using nlohmann::json;

Tokenizer loadModelTokenizer(const std::string& modelDir)
{
    const std::filesystem::path dir(modelDir);
    std::error_code error;
    if (!std::filesystem::is_directory(dir, error))
        throw TokenizerError(expectedFound("model folder " + modelDir, "a folder holding tokenizer.json",
                                           std::filesystem::exists(dir, error) ? "something that is not a folder"
                                                                               : "no such folder"));
    return Tokenizer::fromFile(dir / "tokenizer.json");
}

// One output line; invalid UTF-8 cannot reach here, but a dump must never throw on it.
void printJsonLine(const json& value)
{
    std::cout << value.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
}

int runTokenize(const std::vector<std::string>& words)
{
    const Args args(words, {"--model", "--text", "--jsonl"}, {"--no-special"});
    if (!args.positional().empty())
        throw InvalidArgument(expectedFound("tokenize arguments", "only flags", "'" + args.positional().front() + "'"));
    const bool hasText = args.value("--text").has_value(), hasJsonl = args.value("--jsonl").has_value();
    if (hasText == hasJsonl)
        throw InvalidArgument(expectedFound("tokenize input", "exactly one of --text or --jsonl",
                                            hasText ? "both" : "neither"));
    const Tokenizer tokenizer = loadModelTokenizer(args.required("--model"));
    const bool addSpecialTokens = !args.has("--no-special");
    if (hasText) {
        printJsonLine(json{{"ids", tokenizer.encode(*args.value("--text"), addSpecialTokens)}});
        return kExitOk;
    }
    const std::string path = *args.value("--jsonl");
    std::ifstream stream(path, std::ios::binary);
    if (!stream)
        throw Error(expectedFound("--jsonl file " + path, "a readable file", "no such file or no permission"));
    std::string line;
    for (int lineNumber = 1; std::getline(stream, line); ++lineNumber) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos)
            continue; // blank lines (a final newline) carry no input
        json entry;
        try {
            entry = json::parse(line);
        } catch (const json::parse_error& e) {
            throw Error(expectedFound(path + " line " + std::to_string(lineNumber), "a JSON object {\"text\": ...}",
                                      std::string("invalid JSON (") + e.what() + ")"));
        }
        if (!entry.is_object() || !entry.contains("text") || !entry["text"].is_string())
            throw Error(expectedFound(path + " line " + std::to_string(lineNumber),
                                      "a JSON object with a string \"text\"", entry.dump(-1, ' ', false, json::error_handler_t::replace)));
        printJsonLine(json{{"ids", tokenizer.encode(entry["text"].get<std::string>(), addSpecialTokens)}});
    }
    std::cout.flush();
    return kExitOk;
}

int runDecode(const std::vector<std::string>& words)
{
    const Args args(words, {"--model", "--ids"}, {"--skip-special"});
    if (!args.positional().empty())
        throw InvalidArgument(expectedFound("decode arguments", "only flags", "'" + args.positional().front() + "'"));
    const std::string idText = args.required("--ids");
    std::vector<int64_t> ids;
    if (!idText.empty())
        for (long long id : parseIdList(idText, "--ids"))
            ids.push_back(id);
    const Tokenizer tokenizer = loadModelTokenizer(args.required("--model"));
    printJsonLine(json{{"text", tokenizer.decode(ids, args.has("--skip-special"))}});
    return kExitOk;
}

const CommandRegistration tokenizeRegistration{{
    "tokenize",
    "print the token ids of text with a model folder's tokenizer.json",
    "Usage: tempo-lab-cli tokenize --model DIR (--text T | --jsonl FILE) [--no-special]\n"
    "  --model DIR     model folder holding tokenizer.json\n"
    "  --text T        text to encode; prints {\"ids\":[...]}\n"
    "  --jsonl FILE    lines {\"text\":\"...\"}; prints one {\"ids\":[...]} line per input line, in order\n"
    "  --no-special    skip the post-processor tokens (e.g. <|begin_of_text|>)",
    false,
    &runTokenize,
}};

const CommandRegistration decodeRegistration{{
    "decode",
    "print the text of token ids with a model folder's tokenizer.json",
    "Usage: tempo-lab-cli decode --model DIR --ids 1,2,3 [--skip-special]\n"
    "  --model DIR       model folder holding tokenizer.json\n"
    "  --ids LIST        comma-separated token ids; prints {\"text\":\"...\"} (broken UTF-8 as U+FFFD)\n"
    "  --skip-special    leave out special tokens",
    false,
    &runDecode,
}};

} // namespace

} // namespace tempo::cli
