#include "gui/widgets/tokenchips.h"

#include <QFrame>
#include <QHBoxLayout>
#include <QHash>
#include <QLabel>

#include "gui/widgets/flowlayout.h"

namespace tempo::gui {

namespace {

// Inverse of the byte-level BPE alphabet (GPT-2 bytes_to_unicode): printable Latin-1 bytes map
// to themselves, the other 68 bytes to U+0100.. in byte order.
const QHash<uint, unsigned char>& byteOfCodepoint()
{
    static const QHash<uint, unsigned char> table = [] {
        QHash<uint, unsigned char> map;
        int next = 0;
        for (int byte = 0; byte < 256; ++byte) {
            const bool printable = (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || byte >= 0xae;
            const uint codepoint = printable ? uint(byte) : uint(0x100 + next++);
            map.insert(codepoint, static_cast<unsigned char>(byte));
        }
        return map;
    }();
    return table;
}

QString visibleWhitespace(QString text)
{
    text.replace('\n', QStringLiteral("↵"));
    text.replace('\t', QStringLiteral("⇥"));
    return text;
}

QString memberTip(const tempo::notebook::StepRecord& step, std::size_t i)
{
    const QString token = i < step.tokens.size() ? readableToken(step.tokens[i]) : QString();
    const double p = i < step.probabilities.size() ? step.probabilities[i] : 0.0;
    return QStringLiteral("id %1  “%2”  p = %3").arg(step.tokenIds[i]).arg(visibleWhitespace(token).toHtmlEscaped())
        .arg(p, 0, 'f', 4);
}

} // namespace

QString readableToken(const std::string& tokenText)
{
    const QString text = QString::fromStdString(tokenText);
    QByteArray bytes;
    const auto& table = byteOfCodepoint();
    for (uint codepoint : text.toUcs4()) {
        auto found = table.find(codepoint);
        if (found == table.end())
            return text; // not byte-level text (added or special token): show as stored
        bytes.append(static_cast<char>(found.value()));
    }
    return QString::fromUtf8(bytes);
}

TokenChips::TokenChips(QWidget* parent) : QWidget(parent), flow_(new FlowLayout(this, 3, 6))
{
    setObjectName(QStringLiteral("tokenChips"));
}

void TokenChips::clear()
{
    flow_->clear();
    steps_ = 0;
    parallelSets_ = 0;
}

void TokenChips::setPrompt(const QString& prompt)
{
    auto* label = new QLabel(prompt.toHtmlEscaped(), this);
    label->setObjectName(QStringLiteral("promptText"));
    label->setToolTip(tr("The prompt"));
    flow_->addWidget(label);
}

void TokenChips::appendStep(const tempo::notebook::StepRecord& step)
{
    QString tip = tr("<b>Step %1</b> · logical position %2").arg(step.step).arg(step.logicalPosition);
    for (std::size_t i = 0; i < step.tokenIds.size(); ++i)
        tip += QStringLiteral("<br>") + memberTip(step, i);
    auto chipText = [&](std::size_t i) {
        QString text = i < step.tokens.size() ? readableToken(step.tokens[i]) : QString::number(step.tokenIds[i]);
        return visibleWhitespace(text).replace(' ', QStringLiteral("·"));
    };
    if (step.tokenIds.size() == 1) {
        auto* chip = new QLabel(chipText(0).toHtmlEscaped(), this);
        chip->setObjectName(QStringLiteral("tokenChip"));
        chip->setTextFormat(Qt::PlainText);
        chip->setText(chipText(0));
        chip->setToolTip(tip);
        flow_->addWidget(chip);
    } else {
        auto* set = new QFrame(this);
        set->setObjectName(QStringLiteral("parallelSet"));
        set->setProperty("step", step.step);
        set->setToolTip(tip);
        auto* row = new QHBoxLayout(set);
        row->setContentsMargins(3, 2, 3, 2);
        row->setSpacing(3);
        for (std::size_t i = 0; i < step.tokenIds.size(); ++i) {
            auto* member = new QLabel(set);
            member->setObjectName(QStringLiteral("memberChip"));
            member->setTextFormat(Qt::PlainText);
            member->setText(chipText(i));
            member->setToolTip(tip + QStringLiteral("<br><i>this chip:</i> ") + memberTip(step, i));
            row->addWidget(member);
        }
        flow_->addWidget(set);
        ++parallelSets_;
    }
    ++steps_;
    updateGeometry();
}

} // namespace tempo::gui
