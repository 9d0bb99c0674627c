#include "gui/widgets/modellimits.h"

#include <QDir>
#include <QFileInfo>

#include "core/experiment/modelcache.h"

namespace tempo::gui {

std::shared_ptr<const ModelLimits> readModelLimits(const QString& folder)
{
    auto limits = std::make_shared<ModelLimits>();
    // The core's model loader reads the files, without the weights.
    ModelDescription description = describeModel(folder.toStdString());
    limits->modelName = QFileInfo(QDir::cleanPath(folder)).fileName();
    limits->config = description.config;
    limits->tokenizer = std::move(description.tokenizer);
    return limits;
}

} // namespace tempo::gui
