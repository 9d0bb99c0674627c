#pragma once
// The model, device and dtype a run uses: the bundled model, Hugging Face cache snapshots, the
// settings' default, and any folder opened with "Open folder…". Cache snapshots are described
// (core/model/modelcatalog.h: family, size, dtype, tokenizer) on a thread of their own and join the
// list when the scan ends; one that cannot be used is listed disabled, its reasons as tooltip.

#include <QList>
#include <QPointer>
#include <QWidget>

#include <atomic>
#include <memory>

#include "core/model/computeoptions.h"
#include "core/model/modelcatalog.h"

class QComboBox;
class QThread;
class QLabel;
class QPushButton;

namespace tempo::gui {

// What the picker takes from the window's settings (the shell reads them, LabSettings::modelPicker).
struct ModelPickerSettings {
    QString defaultModel;         // "" = none chosen (the bundled model comes first anyway)
    QString device = "cpu";       // shown first: "cpu" | "cuda"
    QString dtype = "f32";        // shown first: "f32" | "bf16" | "f16"
    int threads = 0;              // of every run's ComputeOptions; 0 = every core
};

class ModelPicker : public QWidget {
    Q_OBJECT
public:
    explicit ModelPicker(const ModelPickerSettings& settings, QWidget* parent = nullptr);
    ~ModelPicker() override; // stops a cache scan still going and waits for it (between snapshots)

    // New settings (after the settings dialog): the default model and threads change, the list is
    // scanned again; the device and dtype shown stay as the user left them.
    void applySettings(const ModelPickerSettings& settings);

    QString modelFolder() const; // "" when none is available
    // Adds `folder` (when not listed yet) and selects it.
    void selectFolder(const QString& folder, const QString& label = {});
    tempo::ComputeOptions computeOptions() const;
    QComboBox* modelBox() const { return model_; }
    QComboBox* deviceBox() const { return device_; }
    QComboBox* dtypeBox() const { return dtype_; }

public slots:
    void rescan(); // bundled model and settings default at once; the cache scan starts
    void openFolder();

signals:
    void modelChanged(const QString& folder);
    void cacheScanned(int snapshots); // the cache's snapshots were added to the list (usable or not)

private:
    void scanCache(const QString& wanted);
    void addCacheEntries(const std::vector<tempo::ModelCatalogEntry>& entries, const QString& wanted);

    ModelPickerSettings settings_;
    int scanGeneration_ = 0;
    QList<QPointer<QThread>> scans_; // running scans (normally one); waited for on destruction
    std::shared_ptr<std::atomic<bool>> scanCancelled_;
    QComboBox* model_;
    QComboBox* device_;
    QComboBox* dtype_;
    QPushButton* open_;
};

} // namespace tempo::gui
