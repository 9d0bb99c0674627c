#include "gui/widgets/modellimits.h"

#include <QDir>
#include <QFileInfo>

namespace tempo::gui {

std::shared_ptr<const ModelLimits> readModelLimits(const QString& folder)
{
    auto limits = std::make_shared<ModelLimits>();
    const std::filesystem::path root = folder.toStdString();
    limits->modelName = QFileInfo(QDir::cleanPath(folder)).fileName();
    limits->config = LlamaConfig::fromFile(root / "config.json");
    limits->tokenizer = std::make_shared<const Tokenizer>(Tokenizer::fromFile(root / "tokenizer.json"));
    return limits;
}

} // namespace tempo::gui
