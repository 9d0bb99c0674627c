#pragma once
// A peaked tiny model written once per test process (writeTestModel) and a fresh notebook per test.

#include <filesystem>
#include <memory>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "core/experiment/modelcache.h"
#include "core/notebook/notebook.h"
#include "core/testmodel/testmodel.h"
#include "support/testsupport.h"

namespace tempo::test {

inline const std::filesystem::path& peakedModelFolder()
{
    static TempDir dir("tempo-experiment-model");
    static bool written = [] {
        TestModelSpec spec;
        spec.seed = 42;
        spec.peaked = true;
        writeTestModel(dir.path(), spec);
        return true;
    }();
    (void)written;
    return dir.path();
}

class ExperimentTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        dir_ = std::make_unique<TempDir>("tempo-experiment");
        book_ = std::make_unique<notebook::Notebook>((dir_->path() / "notebook.sqlite").string());
    }
    notebook::Notebook& book() { return *book_; }
    const std::filesystem::path& dir() const { return dir_->path(); }

    // Names of the tensors stored for a run.
    std::multiset<std::string> tensorNames(int64_t runId)
    {
        std::multiset<std::string> names;
        for (const auto& info : book_->tensors().infosOfRun(runId))
            names.insert(info.name);
        return names;
    }
    bool hasMetric(int64_t runId, const std::string& prefix)
    {
        for (const auto& m : book_->metrics().ofRun(runId))
            if (m.name.rfind(prefix, 0) == 0)
                return true;
        return false;
    }

    ModelCache cache_{2};

private:
    std::unique_ptr<TempDir> dir_;
    std::unique_ptr<notebook::Notebook> book_;
};

} // namespace tempo::test
