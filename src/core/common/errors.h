#pragma once
// Typed errors of the core. Every message names the item, what was expected and what was found,
// and where it helps, a hint. Library code throws these; it never calls exit() or abort().
// The CLI maps them to exit codes, the run worker turns them into a `failed` signal.

#include <stdexcept>
#include <cstdint>
#include <string>
#include <vector>

namespace tempo {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A value given by the user or the caller is out of range or malformed (CLI flags, run config).
class InvalidArgument : public Error {
public:
    using Error::Error;
};

// config.json is missing, malformed, or describes something we do not support.
class ConfigError : public Error {
public:
    using Error::Error;
};

// A weights file (safetensors, shard index) is missing, corrupt or inconsistent with the config.
class CheckpointError : public Error {
public:
    using Error::Error;
};

// tokenizer.json is missing or malformed, or text/ids cannot be converted.
class TokenizerError : public Error {
public:
    using Error::Error;
};

// The notebook file cannot be opened, migrated or written.
class NotebookError : public Error {
public:
    using Error::Error;
};

// The machine cannot provide what a run needs (memory for the KV cache, weights or a forward):
// a one-line message with the size asked for, instead of LibTorch's allocator trace.
class ResourceError : public Error {
public:
    using Error::Error;
};

// "<what>: expected <expected>, found <found>" — the one shape every error message follows.
std::string expectedFound(const std::string& what, const std::string& expected, const std::string& found);

// "[2, 3, 64]": a tensor shape as error messages show it.
std::string shapeText(const std::vector<int64_t>& shape);

} // namespace tempo
