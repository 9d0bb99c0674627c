// TensorStore: adding and reading captured tensors; the tensor rows every store writes.

#include "core/notebook/tensorstore.h"

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/notebook/database.h"
#include "core/notebook/notebookrows.h"

namespace tempo::notebook {

namespace {

// The shape text TensorStore writes ("[4096]", "[2,4,3,9]": what nlohmann's dump() of the sizes
// gives) read without a JSON parser; nullopt for any other text, which parseShape hands to the
// parser. Reading a run's tensor infos parsed every shape with nlohmann (issue 18 point 4).
std::optional<std::vector<std::int64_t>> plainShape(const std::string& text)
{
    if (text.size() < 2 || text.front() != '[' || text.back() != ']')
        return std::nullopt;
    std::vector<std::int64_t> shape;
    std::size_t i = 1;
    const std::size_t end = text.size() - 1;
    if (i == end)
        return shape; // "[]"
    while (true) {
        std::int64_t size = 0;
        std::size_t digits = 0;
        for (; i < end && text[i] >= '0' && text[i] <= '9' && digits < 18; ++i, ++digits)
            size = size * 10 + (text[i] - '0');
        if (digits == 0 || (digits > 1 && text[i - digits] == '0'))
            return std::nullopt; // not a plain size (or a leading zero, which JSON refuses)
        shape.push_back(size);
        if (i == end)
            return shape;
        if (text[i] != ',')
            return std::nullopt; // spaces, signs, fractions, 18+ digits: the parser decides
        ++i;
    }
}

std::string shapeJsonText(const std::vector<std::int64_t>& shape)
{
    std::string text = "[";
    for (std::size_t d = 0; d < shape.size(); ++d) {
        if (d)
            text += ',';
        text += std::to_string(shape[d]);
    }
    text += ']';
    return text;
}

} // namespace

std::vector<std::int64_t> parseShape(const std::string& json, const std::string& notebookPath,
                                     const std::string& tensorName)
{
    if (auto plain = plainShape(json))
        return std::move(*plain);
    try {
        auto parsed = nlohmann::json::parse(json);
        std::vector<std::int64_t> shape;
        for (const auto& d : parsed)
            shape.push_back(d.get<std::int64_t>());
        return shape;
    } catch (const nlohmann::json::exception&) {
        throw NotebookError("notebook '" + notebookPath + "': " +
                            expectedFound("tensor '" + tensorName + "' shape", "a JSON array of sizes", "'" + json + "'"));
    }
}

void insertTensorRows(Database& database, std::int64_t runId, const std::vector<TensorBlob>& tensors,
                      std::optional<int> defaultStep, std::vector<std::int64_t>* ids)
{
    if (tensors.empty())
        return;
    Statement insert = database.prepare(
        "INSERT INTO tensors (run_id, name, step, dtype, shape_json, byte_order, compression, byte_size, data)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    for (const TensorBlob& blob : tensors) {
        insert.reset();
        insert.bind(1, runId)
            .bind(2, blob.name)
            .bind(3, blob.step ? blob.step : defaultStep)
            .bind(4, blob.dtype)
            .bind(5, shapeJsonText(blob.shape))
            .bind(6, blob.byteOrder)
            .bind(7, blob.compression)
            .bind(8, static_cast<std::int64_t>(blob.data.size()))
            .bindBlob(9, blob.data.data(), blob.data.size());
        insert.run();
        if (ids)
            ids->push_back(database.lastInsertId());
    }
}

std::vector<std::int64_t> TensorStore::add(std::int64_t runId, const std::vector<TensorBlob>& tensors)
{
    requireWritable("adding tensors");
    for (const TensorBlob& blob : tensors)
        blob.validate();
    std::vector<std::int64_t> ids;
    Transaction transaction(database());
    requireRunExists(runId);
    insertTensorRows(database(), runId, tensors, std::nullopt, &ids);
    transaction.commit();
    return ids;
}

std::vector<TensorInfo> TensorStore::infosOfRun(std::int64_t runId) const
{
    Statement query = database().prepare(
        "SELECT id, name, step, dtype, shape_json, byte_size FROM tensors WHERE run_id = ?1 ORDER BY id");
    query.bind(1, runId);
    std::vector<TensorInfo> infos;
    while (query.step()) {
        TensorInfo info;
        info.id = query.int64(0);
        info.name = query.text(1);
        if (!query.isNull(2))
            info.step = query.integer(2);
        info.dtype = query.text(3);
        info.shape = parseShape(query.text(4), notebookPath(), info.name);
        info.byteSize = query.int64(5);
        infos.push_back(std::move(info));
    }
    return infos;
}

TensorBlob TensorStore::load(std::int64_t tensorId) const
{
    Statement query = database().prepare(
        "SELECT id, name, step, dtype, shape_json, byte_order, compression, data FROM tensors WHERE id = ?1");
    query.bind(1, tensorId);
    if (!query.step())
        throw InvalidArgument("notebook '" + notebookPath() + "': " +
                              expectedFound("tensor id", "an existing tensor", std::to_string(tensorId)));
    TensorBlob blob;
    blob.id = query.int64(0);
    blob.name = query.text(1);
    if (!query.isNull(2))
        blob.step = query.integer(2);
    blob.dtype = query.text(3);
    blob.shape = parseShape(query.text(4), notebookPath(), blob.name);
    blob.byteOrder = query.text(5);
    blob.compression = query.text(6);
    blob.data = query.blob(7);
    try {
        blob.validate();
    } catch (const InvalidArgument& e) {
        throw NotebookError("notebook '" + notebookPath() + "': stored " + e.what());
    }
    return blob;
}

std::int64_t TensorStore::removeOfRun(std::int64_t runId)
{
    requireWritable("removing a run's tensors");
    Transaction transaction(database());
    Statement size = database().prepare("SELECT coalesce(sum(byte_size), 0) FROM tensors WHERE run_id = ?1");
    size.bind(1, runId);
    const std::int64_t bytes = size.step() ? size.int64(0) : 0;
    Statement remove = database().prepare("DELETE FROM tensors WHERE run_id = ?1");
    remove.bind(1, runId);
    remove.run();
    transaction.commit();
    return bytes;
}

void TensorStore::releaseFreePages()
{
    requireWritable("releasing free pages");
    database().exec("PRAGMA incremental_vacuum");
    database().exec("PRAGMA wal_checkpoint(PASSIVE)");
}

} // namespace tempo::notebook
