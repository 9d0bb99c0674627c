// tempo_train_tokenizer: trains the byte-level BPE tokenizer of the bundled model.
//   tempo_train_tokenizer --corpus kjv.txt --vocab 4096 --out tokenizer.json
// Deterministic: the same corpus and vocabulary size give a byte-identical tokenizer.json.

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "core/common/errors.h"
#include "core/training/bpetrainer.h"

namespace {

std::string readFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw tempo::InvalidArgument(tempo::expectedFound("--corpus", "a readable file", "'" + path + "'"));
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

int usage()
{
    std::cerr << "usage: tempo_train_tokenizer --corpus FILE --vocab N --out tokenizer.json\n";
    return 2;
}

} // namespace

int main(int argc, char** argv)
{
    std::string corpus, out;
    long vocab = 4096;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (i + 1 >= argc)
            return usage();
        const std::string value = argv[++i];
        if (flag == "--corpus")
            corpus = value;
        else if (flag == "--vocab")
            vocab = std::stol(value);
        else if (flag == "--out")
            out = value;
        else
            return usage();
    }
    if (corpus.empty() || out.empty())
        return usage();
    try {
        const auto started = std::chrono::steady_clock::now();
        const std::string text = readFile(corpus);
        const tempo::BpeTrainingResult bpe = tempo::trainBpe(text, vocab);
        std::ofstream file(out, std::ios::binary | std::ios::trunc);
        file << tempo::bpeTokenizerJson(bpe);
        if (!file)
            throw tempo::InvalidArgument(tempo::expectedFound("--out", "a writable file", "'" + out + "'"));
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        std::cout << "tokenizer: " << bpe.vocabulary.size() << " tokens + 2 specials, " << bpe.merges.size()
                  << " merges, from " << text.size() << " bytes in " << seconds << " s -> " << out << "\n";
    } catch (const std::exception& error) {
        std::cerr << "error: " << error.what() << "\n";
        return 3;
    }
    return 0;
}
