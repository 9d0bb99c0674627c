// The model picker lists the Hugging Face cache (the fixture's HF_HUB_CACHE, filled here): a usable
// snapshot with its family, size and dtype, an unsupported one disabled with its reason as text and
// tooltip. The scan runs off the UI thread: right after the picker is built the cache is not listed
// yet, and it arrives with cacheScanned.

#include <QComboBox>
#include <QSignalSpy>
#include <QStandardItemModel>
#include <QtTest>

#include <fstream>

#include <nlohmann/json.hpp>

#include "core/model/allocation.h"
#include "core/model/modelcatalog.h"
#include "core/testmodel/testmodel.h"
#include "gui/widgets/modelpicker.h"
#include "guifixture.h"

using namespace tempo;
using namespace tempo::gui;

namespace {

QString writeSnapshot(const QString& hub, const QString& repo, const QString& revision, const TestModelSpec& spec)
{
    const QString folder = QDir(hub).filePath(QStringLiteral("models--%1/snapshots/%2").arg(repo, revision));
    QDir().mkpath(folder);
    writeTestModel(folder.toStdString(), spec);
    return folder;
}

} // namespace

class ModelPickerTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        fixture_.setUp();
        const QString hub = qEnvironmentVariable("HF_HUB_CACHE");
        QVERIFY(!hub.isEmpty());
        spec_.family = ModelFamily::Qwen2;
        spec_.diskDtype = "BF16";
        usable_ = writeSnapshot(hub, QStringLiteral("tiny--qwen2"), QStringLiteral("1234abcd5678"), spec_);
        unsupported_ = writeSnapshot(hub, QStringLiteral("google--bert"), QStringLiteral("9876fedc"), TestModelSpec{});
        const std::string configPath = QDir(unsupported_).filePath(QStringLiteral("config.json")).toStdString();
        nlohmann::json config = nlohmann::json::parse(std::ifstream(configPath));
        config["model_type"] = "bert";
        config["architectures"] = nlohmann::json::array({"BertForMaskedLM"});
        std::ofstream(configPath) << config.dump(2);
    }

    void listsTheCacheWithUnsupportedEntriesDisabled()
    {
        ModelPicker picker(ModelPickerSettings{});
        QSignalSpy scanned(&picker, &ModelPicker::cacheScanned);
        QComboBox* box = picker.modelBox();
        // Not listed before the scan's result comes back through the event loop.
        QCOMPARE(box->findData(usable_), -1);
        QCOMPARE(box->findData(unsupported_), -1);
        const QString before = picker.modelFolder();
        QTRY_COMPARE_WITH_TIMEOUT(scanned.count(), 1, 60000);
        QCOMPARE(scanned.first().first().toInt(), 2);
        QCOMPARE(picker.modelFolder(), before); // the scan does not change what was chosen

        auto* items = qobject_cast<QStandardItemModel*>(box->model());
        QVERIFY(items);
        const int usableRow = box->findData(usable_);
        QVERIFY(usableRow >= 0);
        QVERIFY(items->item(usableRow)->isEnabled());
        const QString usableText = box->itemText(usableRow);
        QVERIFY2(usableText.startsWith(QStringLiteral("tiny/qwen2 @ 1234abcd")), qPrintable(usableText));
        const std::vector<ModelCatalogEntry> entries = scanHuggingFaceCache(huggingFaceHubCache());
        QCOMPARE(int(entries.size()), 2);
        const ModelCatalogEntry& qwen = entries[1];
        QVERIFY(qwen.usable());
        for (const std::string& part : {std::string("qwen2"), parameterCountText(qwen.parameters),
                                        byteSizeText(qwen.weightBytes), std::string("BF16")})
            QVERIFY2(usableText.contains(QString::fromStdString(part)), qPrintable(usableText + " lacks " + QString::fromStdString(part)));

        const int unsupportedRow = box->findData(unsupported_);
        QVERIFY(unsupportedRow >= 0);
        QVERIFY(!items->item(unsupportedRow)->isEnabled());
        const QString text = box->itemText(unsupportedRow);
        QVERIFY2(text.contains(QStringLiteral("google/bert")) && text.contains(QStringLiteral("unsupported architecture bert")),
                 qPrintable(text));
        const QString tip = box->itemData(unsupportedRow, Qt::ToolTipRole).toString();
        QVERIFY2(tip.contains(unsupported_) && tip.contains(QStringLiteral("\"bert\"")) &&
                     tip.contains(QStringLiteral("supported: llama")),
                 qPrintable(tip));

        // A cache model chosen stays chosen through a rescan (it comes back with the scan).
        QSignalSpy changed(&picker, &ModelPicker::modelChanged);
        box->setCurrentIndex(usableRow);
        QCOMPARE(picker.modelFolder(), usable_);
        QCOMPARE(changed.count(), 1);
        picker.rescan();
        QTRY_COMPARE_WITH_TIMEOUT(scanned.count(), 2, 60000);
        QCOMPARE(picker.modelFolder(), usable_);
        QVERIFY(!items->item(box->findData(unsupported_))->isEnabled());
    }

    void destroyingThePickerDuringAScanWaitsForIt()
    {
        auto picker = std::make_unique<ModelPicker>(ModelPickerSettings{});
        picker->rescan(); // two scans in flight, the first cancelled
        picker.reset();   // must neither crash nor deliver into a deleted picker
        QCoreApplication::processEvents(); // any queued delivery is dropped with the picker
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    }

private:
    test::GuiFixture fixture_;
    TestModelSpec spec_;
    QString usable_;
    QString unsupported_;
};

QTEST_MAIN(ModelPickerTest)
#include "modelpicker_test.moc"
