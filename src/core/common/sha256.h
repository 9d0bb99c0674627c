#pragma once
// SHA-256 (FIPS 180-4), streaming, for provenance hashes of weights and tokenizer files.

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace tempo {

class Sha256 {
public:
    Sha256();
    void update(const void* data, size_t length);
    void update(const std::string& bytes) { update(bytes.data(), bytes.size()); }
    // Finishes the hash; the object must not be updated afterwards.
    std::array<uint8_t, 32> digest();
    std::string hexDigest(); // 64 lower-case hex characters

private:
    void compressBlock(const uint8_t* block); // one 64-byte block
    std::array<uint32_t, 8> state_;
    std::array<uint8_t, 64> buffer_;
    size_t buffered_ = 0;
    uint64_t totalBytes_ = 0;
    bool finished_ = false;
};

std::string sha256Hex(const std::string& bytes);
// Reads the file in chunks. Throws tempo::Error naming the path when it cannot be read.
std::string sha256File(const std::filesystem::path& path);

} // namespace tempo
