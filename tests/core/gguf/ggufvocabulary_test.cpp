// The SentencePiece-style tokenizer block's add_space_prefix: llama.cpp puts "▁" before a text
// unless tokenizer.ggml.add_space_prefix is false, so it must be false exactly for the tokenizers
// that do not (Gemma's Replace normalizer alone, add_prefix_space false in tokenizer_config.json).
// tests/parity/llamacpp_tokenizer.mjs checks llama.cpp's ids on these files.

#include <gtest/gtest.h>

#include <filesystem>

#include "core/gguf/ggufvocabulary.h"

namespace tempo {
namespace {

GgufVocabulary familyVocabulary(const std::string& family)
{
    const std::filesystem::path file =
        std::filesystem::path(TEMPO_TEST_DATA_DIR) / "tokenizer-families" / family / "tokenizer.json";
    return ggufVocabularyFromTokenizer(file, 800, 1, 2);
}

TEST(GgufVocabularyTest, SpacePrefixOnlyWhereTheTokenizerPrependsOne)
{
    for (const std::string family : {"llama2", "mistral", "mistral-metaspace-split"}) {
        const GgufVocabulary vocabulary = familyVocabulary(family);
        EXPECT_EQ(vocabulary.model, "llama") << family;
        EXPECT_TRUE(vocabulary.addSpacePrefix) << family;
    }
    for (const std::string family : {"gemma", "llama2-config"}) {
        const GgufVocabulary vocabulary = familyVocabulary(family);
        EXPECT_EQ(vocabulary.model, "llama") << family;
        EXPECT_FALSE(vocabulary.addSpacePrefix) << family;
    }
}

// What llama.cpp's tokenizer cannot follow is said in the notes tempo_make_gguf prints; a
// tokenizer it follows exactly has none.
TEST(GgufVocabularyTest, NotesNameWhatLlamaCppTokenizesDifferently)
{
    auto notesOf = [](const std::string& family) {
        std::string all;
        for (const std::string& note : familyVocabulary(family).notes)
            all += note + "\n";
        return all;
    };
    EXPECT_EQ(notesOf("llama2"), "");
    EXPECT_EQ(notesOf("gemma"), "");
    EXPECT_NE(notesOf("llama2-bytes-unk-fused").find("251 of the 256 <0xNN> tokens"), std::string::npos)
        << notesOf("llama2-bytes-unk-fused");
    EXPECT_NE(notesOf("llama2-unk-fused").find("byte_fallback false"), std::string::npos) << notesOf("llama2-unk-fused");
    EXPECT_NE(notesOf("mistral").find("prepend_scheme \"first\""), std::string::npos) << notesOf("mistral");
    EXPECT_NE(notesOf("mistral-metaspace-split").find("prepend_scheme \"always\""), std::string::npos);
}

} // namespace
} // namespace tempo
