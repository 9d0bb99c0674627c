// tempo_plot_loss: draws the loss curve of a tempo_train_model run (its loss.csv) as a PNG,
// training and validation loss per step with the unigram baseline as a dashed line.
//   QT_QPA_PLATFORM=offscreen tempo_plot_loss --csv loss.csv --baseline 6.07 --out loss-curve.png
// Built only with Qt (TEMPO_WITH_QT) and QCustomPlot.

#include <QApplication>
#include <QFile>
#include <QTextStream>

#include <qcustomplot.h>

#include <cstdio>

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QString csvPath, outPath, title = "tempo-kjv-small training";
    double baseline = -1.0;
    const QStringList args = app.arguments();
    for (int i = 1; i + 1 < args.size(); i += 2) {
        if (args[i] == "--csv")
            csvPath = args[i + 1];
        else if (args[i] == "--out")
            outPath = args[i + 1];
        else if (args[i] == "--baseline")
            baseline = args[i + 1].toDouble();
        else if (args[i] == "--title")
            title = args[i + 1];
    }
    if (csvPath.isEmpty() || outPath.isEmpty()) {
        std::fprintf(stderr, "usage: tempo_plot_loss --csv loss.csv --out loss-curve.png [--baseline NATS] [--title T]\n");
        return 2;
    }
    QFile file(csvPath);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) {
        std::fprintf(stderr, "error: cannot read %s\n", qPrintable(csvPath));
        return 3;
    }
    // step,seconds,learning_rate,train_loss,validation_loss
    QVector<double> steps, train, validation;
    QTextStream in(&file);
    in.readLine();
    while (!in.atEnd()) {
        const QStringList fields = in.readLine().split(',');
        if (fields.size() < 5)
            continue;
        steps << fields[0].toDouble();
        train << fields[3].toDouble();
        validation << fields[4].toDouble();
    }
    if (steps.isEmpty()) {
        std::fprintf(stderr, "error: %s has no rows\n", qPrintable(csvPath));
        return 3;
    }

    QCustomPlot plot;
    plot.resize(800, 500);
    plot.plotLayout()->insertRow(0);
    plot.plotLayout()->addElement(0, 0, new QCPTextElement(&plot, title, QFont("sans", 12, QFont::Bold)));
    QCPGraph* trainGraph = plot.addGraph();
    trainGraph->setData(steps, train);
    trainGraph->setName("train loss (mean since previous point)");
    trainGraph->setPen(QPen(QColor(31, 119, 180), 2));
    QCPGraph* validationGraph = plot.addGraph();
    validationGraph->setData(steps, validation);
    validationGraph->setName("validation loss (held-out subset)");
    validationGraph->setPen(QPen(QColor(214, 39, 40), 2));
    validationGraph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 5));
    double top = 0.0;
    for (double v : train + validation)
        top = std::max(top, v);
    if (baseline > 0) {
        QCPGraph* baselineGraph = plot.addGraph();
        baselineGraph->setData(QVector<double>{0.0, steps.last()}, QVector<double>{baseline, baseline});
        baselineGraph->setName(QString("unigram baseline (validation) %1").arg(baseline, 0, 'f', 3));
        baselineGraph->setPen(QPen(Qt::gray, 2, Qt::DashLine));
        top = std::max(top, baseline);
    }
    plot.xAxis->setLabel("step");
    plot.yAxis->setLabel("cross-entropy (nats per token)");
    plot.xAxis->setRange(0, steps.last());
    plot.yAxis->setRange(0, top * 1.05);
    plot.legend->setVisible(true);
    plot.axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    if (!plot.savePng(outPath, 800, 500)) {
        std::fprintf(stderr, "error: cannot write %s\n", qPrintable(outPath));
        return 3;
    }
    std::printf("wrote %s (%d points)\n", qPrintable(outPath), static_cast<int>(steps.size()));
    return 0;
}
