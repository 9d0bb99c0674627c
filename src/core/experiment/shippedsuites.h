#pragma once
// The prompt suites shipped in resources/suites/*.jsonl, compiled into the binary (like the
// presets), so an installed program finds a study's default suite without a source tree.
//   default.jsonl  the bundled model's own domain (tempo-kjv-small)
//   general.jsonl  any model

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tempo {

namespace detail {
struct EmbeddedSuite {
    const char* fileName; // "default.jsonl"
    const char* text;
};
extern const EmbeddedSuite kEmbeddedSuites[];
extern const std::size_t kEmbeddedSuiteCount;
} // namespace detail

// The file names of the shipped suites, sorted.
std::vector<std::string> shippedSuiteNames();
// The text of the shipped suite `fileName` ("default.jsonl"); nullopt when none has that name.
std::optional<std::string> shippedSuiteText(const std::string& fileName);

// The suite a study uses when none is named: default.jsonl for the bundled model (its folder is
// bundledModelFolder()), general.jsonl for any other model.
std::string defaultStudySuiteName(const std::filesystem::path& modelFolder);

} // namespace tempo
