#pragma once
// What the Launch cards need to show a run's limits as the user types: the chosen model's
// config (positions, vocabulary) and its tokenizer (the prompt's token count). Read off the UI
// thread when the model changes; shared by every card.

#include <memory>

#include <QString>

#include "core/model/llamaconfig.h"
#include "core/tokenizer/tokenizer.h"

namespace tempo::gui {

struct ModelLimits {
    QString modelName; // the folder's name, for the card's text
    LlamaConfig config;
    std::shared_ptr<const Tokenizer> tokenizer;
};

// Reads config.json and tokenizer.json of `folder` (throws the core's typed errors). Slow for a
// large vocabulary: call it off the UI thread.
std::shared_ptr<const ModelLimits> readModelLimits(const QString& folder);

} // namespace tempo::gui
