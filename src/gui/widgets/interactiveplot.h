#pragma once
// Makes a QCustomPlot interactive the way the window's charts are: drag to pan, wheel to zoom,
// double-click to reset the view, and a tooltip with the values under the mouse (graphs, bars,
// heatmaps).

class QCustomPlot;

namespace tempo::gui {

void makeInteractive(QCustomPlot& plot);

} // namespace tempo::gui
