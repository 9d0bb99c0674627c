#pragma once
// Sweeps page: launch a sweep (a preset over a prompt suite times a list of thresholds) on a
// SweepWorker thread with a progress bar and ETA, and read a stored sweep's aggregate: a table of
// every scalar metric per threshold (mean and 95% confidence interval), and two confidence-interval
// charts for the metric picked in the table: by threshold (all categories) and by category.

#include <QWidget>

#include <nlohmann/json.hpp>

#include "app/sweepworker.h"

class QComboBox;
class QCustomPlot;
class QDoubleSpinBox;
class QFormLayout;
class QFrame;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;
class QVBoxLayout;

namespace tempo::notebook {
class PresetStore;
class SweepStore;
}

namespace tempo::gui {

class LabContext;

class SweepsPage : public QWidget {
    Q_OBJECT
public:
    explicit SweepsPage(LabContext& context, QWidget* parent = nullptr);
    ~SweepsPage() override;

    void showSweep(qint64 sweepId);
    qint64 shownSweep() const { return sweepId_; }

    // Form access for tests and the window's shortcuts.
    QComboBox* presetPicker() const { return presetPicker_; }
    QComboBox* suitePicker() const { return suitePicker_; }
    QLineEdit* thresholdsField() const { return thresholdsField_; }
    QSpinBox* maxStepsField() const { return maxStepsField_; }
    QLineEdit* modelField() const { return modelField_; }
    QPushButton* runButton() const { return runButton_; }
    QPushButton* cancelButton() const { return cancelButton_; }
    QTableWidget* aggregateTable() const { return table_; }
    // Use a suite file instead of the shipped suite (what "From file…" does after its dialog).
    void useSuiteFile(const QString& path);
    SweepWorker& worker() { return *worker_; }

signals:
    void sweepFinished(qint64 sweepId);

public slots:
    void launch();
    void cancel();
    void reloadSweeps();

private:
    QFrame* buildLaunchForm();
    QFormLayout* buildLaunchFields(QFrame* form);
    QVBoxLayout* buildResults();
    QWidget* buildCharts(QWidget* parent);
    void connectWorker();
    void fillAggregate();
    void fillCharts();
    void setRunning(bool running);
    void reloadPresets();
    void fetchStores(); // from the context's notebook, again after every switch

    LabContext& context_;
    tempo::notebook::SweepStore* sweeps_ = nullptr;
    tempo::notebook::PresetStore* presets_ = nullptr;
    SweepWorker* worker_ = nullptr;
    QComboBox* presetPicker_ = nullptr;
    QComboBox* suitePicker_ = nullptr;
    QString suiteFile_;
    QLineEdit* thresholdsField_ = nullptr;
    QSpinBox* maxStepsField_ = nullptr;
    QLineEdit* modelField_ = nullptr;
    QPushButton* runButton_ = nullptr;
    QPushButton* cancelButton_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QLabel* progressText_ = nullptr;
    QComboBox* sweepPicker_ = nullptr;
    QLabel* sweepInfo_ = nullptr;
    QTableWidget* table_ = nullptr;
    QLabel* chartTitle_ = nullptr;
    QCustomPlot* thresholdPlot_ = nullptr;
    QCustomPlot* categoryPlot_ = nullptr;

    qint64 sweepId_ = 0;
    nlohmann::json aggregate_;
    QString metric_; // the metric the charts show
    bool updating_ = false;
};

} // namespace tempo::gui
