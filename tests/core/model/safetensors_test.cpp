// safetensors reader/writer and SHA-256. Corrupt files are built by hand from a valid small file
// (header text and bytes edited here), and each must give a CheckpointError with a clear message.

#include <cstring>
#include <string>

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/common/sha256.h"
#include "core/model/safetensors.h"
#include "core/model/safetensorswriter.h"
#include "support/testsupport.h"

namespace tempo {
namespace {

using test::TempDir;

// The bytes of a safetensors file with the given header text and data area, built by hand
// (independently of the writer): u64 little-endian length, header, data.
std::string handBuiltFile(const std::string& header, const std::string& data)
{
    std::string bytes;
    uint64_t length = header.size();
    for (int i = 0; i < 8; ++i)
        bytes.push_back(static_cast<char>((length >> (8 * i)) & 0xff));
    return bytes + header + data;
}

// Two F32 tensors: "a" [2] = {1, 2} and "b" [1, 2] = {3, 4}, 16 data bytes.
std::string validData()
{
    const float values[4] = {1.0f, 2.0f, 3.0f, 4.0f};
    return std::string(reinterpret_cast<const char*>(values), sizeof(values));
}
const char* kValidHeader =
    R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
    R"("b":{"dtype":"F32","shape":[1,2],"data_offsets":[8,16]}})";

// Writes `bytes` to a file and reads it back; returns the error message (empty when it loaded).
std::string loadError(const std::string& bytes)
{
    TempDir dir;
    test::writeFileBytes(dir / "model.safetensors", bytes);
    try {
        auto tensors = readSafetensors(MappedFile::open(dir / "model.safetensors"));
        return "";
    } catch (const CheckpointError& error) {
        return error.what();
    }
}

std::string replaced(std::string text, const std::string& from, const std::string& to)
{
    size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << "test setup: '" << from << "' not in the header";
    return at == std::string::npos ? text : text.replace(at, from.size(), to);
}

TEST(Sha256, KnownVectors)
{
    // FIPS 180-4 examples and the empty string.
    EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    // One million 'a' (FIPS 180-2 appendix B.3), fed in uneven pieces to exercise buffering.
    Sha256 hash;
    const std::string chunk(997, 'a');
    size_t fed = 0;
    while (fed + chunk.size() <= 1000000) {
        hash.update(chunk);
        fed += chunk.size();
    }
    hash.update(std::string(1000000 - fed, 'a'));
    EXPECT_EQ(hash.hexDigest(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, FileMatchesInMemoryAndMissingFileThrows)
{
    TempDir dir;
    std::string bytes;
    for (int i = 0; i < 3000000; ++i) // crosses the 1 MiB read chunks
        bytes.push_back(static_cast<char>(i * 7 + 3));
    test::writeFileBytes(dir / "blob", bytes);
    EXPECT_EQ(sha256File(dir / "blob"), sha256Hex(bytes));
    EXPECT_THROW(sha256File(dir / "absent"), Error);
}

TEST(Safetensors, HandBuiltFileReadsBack)
{
    TempDir dir;
    test::writeFileBytes(dir / "x.safetensors", handBuiltFile(kValidHeader, validData()));
    auto file = MappedFile::open(dir / "x.safetensors");
    auto tensors = readSafetensors(file);
    ASSERT_EQ(tensors.size(), 2u);
    EXPECT_TRUE(at::equal(tensors.at("a"), at::tensor({1.0f, 2.0f})));
    EXPECT_TRUE(at::equal(tensors.at("b"), at::tensor({3.0f, 4.0f}).reshape({1, 2})));
    SafetensorsHeader header = parseSafetensorsHeader(file->data(), file->size(), "x");
    EXPECT_EQ(header.metadata.at("format"), "pt");
    // The views keep the mapping alive after the caller's reference is gone.
    file.reset();
    EXPECT_FLOAT_EQ(tensors.at("b")[0][1].item<float>(), 4.0f);
}

TEST(Safetensors, WriterRoundTripsEveryDtypeAndAlignsData)
{
    TempDir dir;
    std::map<std::string, at::Tensor> tensors = {
        {"f32", at::arange(12, at::kFloat).reshape({3, 4}) / 7},
        {"f16", (at::arange(5, at::kFloat) / 3).to(at::kHalf)},            // 10 bytes: odd count of halves
        {"bf16", (at::arange(6, at::kFloat) - 2.5).reshape({2, 3}).to(at::kBFloat16)},
        {"empty", at::empty({0, 4}, at::kFloat)},
        {"strided", at::arange(8, at::kFloat).reshape({2, 4}).t()},       // non-contiguous input
    };
    writeSafetensors(dir / "w.safetensors", tensors, {{"format", "pt"}});
    const std::string bytes = test::readFileBytes(dir / "w.safetensors");
    uint64_t headerLength = 0;
    std::memcpy(&headerLength, bytes.data(), 8);
    EXPECT_EQ((8 + headerLength) % 8, 0u) << "data area must start 8-byte aligned";
    auto header = nlohmann::json::parse(bytes.substr(8, headerLength));
    EXPECT_EQ(header["__metadata__"]["format"], "pt");
    EXPECT_EQ(header["f16"]["dtype"], "F16");
    EXPECT_EQ(header["bf16"]["shape"], nlohmann::json::array({2, 3}));

    auto loaded = readSafetensors(MappedFile::open(dir / "w.safetensors"));
    ASSERT_EQ(loaded.size(), tensors.size());
    for (const auto& [name, tensor] : tensors) {
        SCOPED_TRACE(name);
        EXPECT_EQ(loaded.at(name).scalar_type(), tensor.scalar_type());
        EXPECT_EQ(loaded.at(name).sizes(), tensor.sizes());
        EXPECT_TRUE(at::equal(loaded.at(name), tensor));
        // Element-size alignment: F32 tensors come before the 2-byte ones, so every view is aligned.
        if (loaded.at(name).numel() > 0) {
            EXPECT_EQ(reinterpret_cast<uintptr_t>(loaded.at(name).data_ptr()) % loaded.at(name).element_size(), 0u);
        }
    }
    EXPECT_THROW(safetensorsBytes({{"i64", at::arange(3, at::kLong)}}), CheckpointError);
}

TEST(Safetensors, MisalignedOffsetsAreCopiedNotViewed)
{
    // F16 "a" of 1 element (2 bytes) followed by F32 "b" at offset 2: legal but misaligned.
    std::string data(6, '\0');
    const at::Half half(1.5f);
    const float single = -2.25f;
    std::memcpy(&data[0], &half, 2);
    std::memcpy(&data[2], &single, 4);
    std::string header = R"({"a":{"dtype":"F16","shape":[1],"data_offsets":[0,2]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}})";
    header.append((8 - header.size() % 8) % 8, ' ');
    TempDir dir;
    test::writeFileBytes(dir / "m.safetensors", handBuiltFile(header, data));
    auto tensors = readSafetensors(MappedFile::open(dir / "m.safetensors"));
    EXPECT_FLOAT_EQ(tensors.at("a").item<float>(), 1.5f);
    EXPECT_FLOAT_EQ(tensors.at("b").item<float>(), -2.25f);
}

TEST(SafetensorsCorrupt, ValidBaselineLoads)
{
    EXPECT_EQ(loadError(handBuiltFile(kValidHeader, validData())), "");
}

TEST(SafetensorsCorrupt, TooShortForHeaderLength)
{
    for (size_t size : {0, 1, 7}) {
        std::string message = loadError(std::string(size, '\0'));
        EXPECT_NE(message.find("at least 8 bytes"), std::string::npos) << message;
    }
}

TEST(SafetensorsCorrupt, HeaderLengthBeyondFile)
{
    std::string bytes = handBuiltFile(kValidHeader, validData());
    const uint64_t tooLong = bytes.size(); // more than the bytes after the length field
    std::memcpy(&bytes[0], &tooLong, 8);
    std::string message = loadError(bytes);
    EXPECT_NE(message.find("header length"), std::string::npos) << message;
    EXPECT_NE(message.find(std::to_string(tooLong)), std::string::npos) << message;

    const uint64_t huge = ~uint64_t(0); // must not overflow 8 + length
    std::memcpy(&bytes[0], &huge, 8);
    EXPECT_NE(loadError(bytes).find("header length"), std::string::npos);
}

TEST(SafetensorsCorrupt, TruncatedFile)
{
    // The last tensor's bytes are cut off: its end offset lies beyond the data area.
    std::string bytes = handBuiltFile(kValidHeader, validData());
    std::string message = loadError(bytes.substr(0, bytes.size() - 3));
    EXPECT_NE(message.find("tensor 'b'"), std::string::npos) << message;
    EXPECT_NE(message.find("data area (13 bytes)"), std::string::npos) << message;
    // Cut inside the header.
    message = loadError(bytes.substr(0, 20));
    EXPECT_NE(message.find("header length"), std::string::npos) << message;
}

TEST(SafetensorsCorrupt, MalformedHeaderJson)
{
    std::string header = kValidHeader;
    header[header.size() - 1] = ' '; // drop the closing brace
    std::string message = loadError(handBuiltFile(header, validData()));
    EXPECT_NE(message.find("well-formed JSON"), std::string::npos) << message;

    message = loadError(handBuiltFile("[1,2,3]", validData()));
    EXPECT_NE(message.find("JSON object"), std::string::npos) << message;
}

TEST(SafetensorsCorrupt, OffsetsBeyondFile)
{
    std::string header = replaced(kValidHeader, "[8,16]", "[8,1000016]");
    header = replaced(header, "\"shape\":[1,2]", "\"shape\":[1,250002]");
    std::string message = loadError(handBuiltFile(header, validData()));
    EXPECT_NE(message.find("tensor 'b' data_offsets"), std::string::npos) << message;
    EXPECT_NE(message.find("within the data area"), std::string::npos) << message;

    // begin > end
    message = loadError(handBuiltFile(replaced(kValidHeader, "[8,16]", "[16,8]"), validData()));
    EXPECT_NE(message.find("begin <= end"), std::string::npos) << message;
    // offsets near 2^64 must not wrap around
    message = loadError(handBuiltFile(replaced(kValidHeader, "[8,16]", "[18446744073709551608,18446744073709551615]"),
                                      validData()));
    EXPECT_NE(message.find("tensor 'b'"), std::string::npos) << message;
    message = loadError(handBuiltFile(replaced(kValidHeader, "[8,16]", "[8,-16]"), validData()));
    EXPECT_NE(message.find("non-negative"), std::string::npos) << message;
}

TEST(SafetensorsCorrupt, OverlappingTensors)
{
    // "b" claims bytes [4, 12), overlapping "a" [0, 8).
    std::string message = loadError(handBuiltFile(replaced(kValidHeader, "[8,16]", "[4,12]"), validData()));
    EXPECT_NE(message.find("tensor 'b'"), std::string::npos) << message;
    EXPECT_NE(message.find("overlapping tensor 'a'"), std::string::npos) << message;
}

TEST(SafetensorsCorrupt, UnsupportedDtypes)
{
    for (const char* dtype : {"I8", "F64", "BOOL", "F8_E4M3", "i32"}) {
        std::string header = replaced(kValidHeader, R"("dtype":"F32","shape":[2])",
                                      std::string(R"("dtype":")") + dtype + R"(","shape":[2])");
        std::string message = loadError(handBuiltFile(header, validData()));
        EXPECT_NE(message.find("tensor 'a' dtype"), std::string::npos) << message;
        EXPECT_NE(message.find(std::string("\"") + dtype + "\""), std::string::npos) << message;
        EXPECT_NE(message.find("F32, F16 or BF16"), std::string::npos) << message;
    }
}

TEST(SafetensorsCorrupt, ByteLengthInconsistentWithShape)
{
    // Shape [3] of F32 needs 12 bytes; the offsets give 8.
    std::string message = loadError(handBuiltFile(replaced(kValidHeader, "\"shape\":[2]", "\"shape\":[3]"), validData()));
    EXPECT_NE(message.find("tensor 'a'"), std::string::npos) << message;
    EXPECT_NE(message.find("expected 12 bytes for shape [3] F32"), std::string::npos) << message;
    EXPECT_NE(message.find("found 8 bytes"), std::string::npos) << message;

    // Element counts whose byte size overflows 64 bits must be refused, not wrapped.
    message = loadError(handBuiltFile(
        replaced(kValidHeader, "\"shape\":[2]", "\"shape\":[4294967296,4294967296]"), validData()));
    EXPECT_NE(message.find("tensor 'a' shape"), std::string::npos) << message;
    message = loadError(handBuiltFile(replaced(kValidHeader, "\"shape\":[2]", "\"shape\":[2,-1]"), validData()));
    EXPECT_NE(message.find("non-negative"), std::string::npos) << message;
}

TEST(SafetensorsCorrupt, MissingFieldsAndDuplicateNames)
{
    std::string message =
        loadError(handBuiltFile(replaced(kValidHeader, R"("dtype":"F32","shape":[2],)", ""), validData()));
    EXPECT_NE(message.find("'dtype'"), std::string::npos) << message;

    std::string duplicate = replaced(kValidHeader, "\"b\":", "\"a\":");
    message = loadError(handBuiltFile(duplicate, validData()));
    EXPECT_NE(message.find("tensor 'a'"), std::string::npos) << message;
    EXPECT_NE(message.find("one entry"), std::string::npos) << message;

    message = loadError(handBuiltFile(replaced(kValidHeader, R"({"format":"pt"})", "[1]"), validData()));
    EXPECT_NE(message.find("__metadata__"), std::string::npos) << message;
}

TEST(SafetensorsCorrupt, MissingFileNamesThePath)
{
    TempDir dir;
    try {
        MappedFile::open(dir / "nope.safetensors");
        FAIL() << "no exception";
    } catch (const CheckpointError& error) {
        EXPECT_NE(std::string(error.what()).find("nope.safetensors"), std::string::npos) << error.what();
    }
}

} // namespace
} // namespace tempo
