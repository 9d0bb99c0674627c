// ModelStore: the models runs were made with, one row per folder and weights/tokenizer hashes.

#include "core/notebook/modelstore.h"

#include "core/notebook/database.h"

namespace tempo::notebook {

std::int64_t ModelStore::upsert(const ModelRecord& model)
{
    requireWritable("storing a model");
    Transaction transaction(database());
    Statement insert = database().prepare(
        "INSERT INTO models (folder, name, weights_sha256, tokenizer_sha256, config_json) VALUES (?1, ?2, ?3, ?4, ?5)"
        " ON CONFLICT (folder, weights_sha256, tokenizer_sha256) DO NOTHING");
    insert.bind(1, model.folder).bind(2, model.name).bind(3, model.weightsSha256).bind(4, model.tokenizerSha256)
        .bind(5, model.configJson);
    insert.run();
    Statement query = database().prepare(
        "SELECT id FROM models WHERE folder = ?1 AND weights_sha256 = ?2 AND tokenizer_sha256 = ?3");
    query.bind(1, model.folder).bind(2, model.weightsSha256).bind(3, model.tokenizerSha256);
    query.step();
    std::int64_t id = query.int64(0);
    transaction.commit();
    return id;
}

std::optional<ModelRecord> ModelStore::find(std::int64_t modelId) const
{
    Statement query = database().prepare(
        "SELECT id, folder, name, weights_sha256, tokenizer_sha256, config_json FROM models WHERE id = ?1");
    query.bind(1, modelId);
    if (!query.step())
        return std::nullopt;
    return ModelRecord{query.int64(0), query.text(1), query.text(2), query.text(3), query.text(4), query.text(5)};
}

} // namespace tempo::notebook
