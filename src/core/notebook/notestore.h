#pragma once
// A run's notes: Markdown with the times it was written and last edited.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/notebook/records.h"
#include "core/notebook/store.h"

namespace tempo::notebook {

class NoteStore : public Store {
public:
    explicit NoteStore(const StoreContext& context) : Store(context) {}

    std::int64_t add(std::int64_t runId, const std::string& markdown);
    // Keeps the note's times when given (import and merge); empty times mean now.
    std::int64_t add(std::int64_t runId, const NoteRecord& note);
    // Throws InvalidArgument for an unknown note id.
    void edit(std::int64_t noteId, const std::string& markdown);
    void remove(std::int64_t noteId);
    std::vector<NoteRecord> ofRun(std::int64_t runId) const; // oldest first
};

} // namespace tempo::notebook
