#pragma once
// The study panel at the top of the Launch page: "Run the whole study" (presets 1a, 1b, 2, 3, 4, 5
// and the artifact control, each a sweep over a prompt suite times a list of thresholds) on the
// model chosen in the page's picker, with the suite, thresholds, steps and presets editable; Cancel
// (within one forward pass) and Resume (the picked stored study, reusing every finished run); a
// progress bar over the study's points with the current run's steps and an ETA; and, for a stored
// study, Open report (the Report page, which exports it as Markdown, HTML or PDF).
//
// The study runs on a StudyWorker thread: the suite is parsed and every run made there. Input the
// panel can check at once (thresholds, presets, a readable suite file) is refused in words before
// anything starts; what the core refuses (a bad suite line, by number) comes back the same way.

#include <QFrame>
#include <QList>
#include <QStringList>

#include "app/studyworker.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace tempo::gui {

class LabContext;
class ModelPicker;

class StudyPanel : public QFrame {
    Q_OBJECT
public:
    StudyPanel(LabContext& context, ModelPicker& picker, QWidget* parent = nullptr);
    ~StudyPanel() override;

    // Form access for tests and the window.
    QComboBox* suitePicker() const { return suitePicker_; }
    QLineEdit* thresholdsField() const { return thresholdsField_; }
    QSpinBox* stepsField() const { return stepsField_; }
    QLineEdit* presetsField() const { return presetsField_; }
    QCheckBox* controlBox() const { return controlBox_; }
    QPushButton* runButton() const { return runButton_; }
    QPushButton* cancelButton() const { return cancelButton_; }
    QPushButton* resumeButton() const { return resumeButton_; }
    QPushButton* reportButton() const { return reportButton_; }
    QProgressBar* progressBar() const { return progress_; }
    QLabel* statusLabel() const { return status_; }
    QComboBox* studyPicker() const { return studyPicker_; }
    StudyWorker& worker() { return *worker_; }
    bool isRunning() const { return running_; }
    qint64 pickedStudy() const;
    // Use a suite file instead of a shipped suite (what "From file…" does after its dialog).
    void useSuiteFile(const QString& path);


signals:
    void studyStarted(qint64 studyId);
    // status: "finished", "cancelled" or "partial".
    void studyFinished(qint64 studyId, const QString& status);
    void studyFailed(const QString& message);
    void reportRequested(qint64 studyId);

public slots:
    void runStudy();
    void cancelStudy();
    void resumeStudy();
    void reloadStudies();

private:
    void buildFields();
    void buildControls();
    void connectWorker();
    void setRunning(bool running);
    void updateButtons();
    void showError(const QString& text);
    void showStatus(const QString& text);
    QStringList parsePresets(QString* error) const;

    LabContext& context_;
    ModelPicker& picker_;
    StudyWorker* worker_ = nullptr;
    QComboBox* suitePicker_ = nullptr;
    QLineEdit* thresholdsField_ = nullptr;
    QSpinBox* stepsField_ = nullptr;
    QLineEdit* presetsField_ = nullptr;
    QCheckBox* controlBox_ = nullptr;
    QPushButton* runButton_ = nullptr;
    QPushButton* cancelButton_ = nullptr;
    QPushButton* resumeButton_ = nullptr;
    QPushButton* reportButton_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QLabel* status_ = nullptr;
    QComboBox* studyPicker_ = nullptr;

    bool running_ = false;
    bool suitePicked_ = false; // picked by hand: no longer follows the model
    qint64 runningStudy_ = 0;
};

} // namespace tempo::gui
