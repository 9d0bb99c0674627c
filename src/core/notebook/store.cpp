#include "core/notebook/store.h"

#include "core/common/errors.h"
#include "core/notebook/database.h"

namespace tempo::notebook {

void Store::requireWritable(const char* operation) const
{
    if (!context_.writable)
        throw NotebookError("notebook '" + context_.path + "': " +
                            expectedFound(operation, "a notebook opened read-write", "one opened read-only"));
}

void Store::requireRunExists(std::int64_t runId) const
{
    Statement query = context_.database.prepare("SELECT 1 FROM runs WHERE id = ?1");
    query.bind(1, runId);
    if (!query.step())
        throw InvalidArgument("notebook '" + context_.path + "': " +
                              expectedFound("run id", "an existing run", std::to_string(runId)));
}

} // namespace tempo::notebook
