#pragma once
// The generated text as chips: the prompt, then each step — a single token as a plain chip, a
// parallel set as one outlined group of member chips. Every chip's tooltip gives the step, the
// logical position and each member's token id and probability.

#include <vector>

#include <QWidget>

#include "core/notebook/records.h"

namespace tempo::gui {

class FlowLayout;

// A stored token (byte-level BPE text such as "Ġcat") as a reader sees it (" cat"); bytes that
// do not form whole UTF-8 characters come out as U+FFFD.
QString readableToken(const std::string& tokenText);

class TokenChips : public QWidget {
    Q_OBJECT
public:
    explicit TokenChips(QWidget* parent = nullptr);

    void clear();
    void setPrompt(const QString& prompt);
    void appendStep(const tempo::notebook::StepRecord& step);
    int stepCount() const { return steps_; }
    int parallelSetCount() const { return parallelSets_; }

private:
    FlowLayout* flow_;
    int steps_ = 0;
    int parallelSets_ = 0;
};

} // namespace tempo::gui
