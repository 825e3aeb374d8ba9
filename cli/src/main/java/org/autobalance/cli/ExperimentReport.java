package org.autobalance.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;
import org.autobalance.io.internal.AtomicFile;
import org.autobalance.json.Json;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * What one reproduction experiment measured, and its three outputs: {@code NAME.json} (parameters, measurements,
 * the prediction, the verdict), {@code NAME.csv} (every plotted point, long format: panel, series, x, y) and
 * {@code NAME.png} (the panels side by side).
 */
final class ExperimentReport {
    /**
     * One curve of a panel. {@code colour} and {@code dash} (≥ 0) fix its colour in the chart's palette and its dash
     * pattern, so that one thing keeps one colour across panels; −1 takes the next colour and a solid line.
     */
    record Series(String name, double[] x, double[] y, int colour, int dash) {
        Series(String name, double[] x, double[] y) {
            this(name, x, y, -1, -1);
        }
    }

    /** Line patterns by {@link Series#dash}. */
    private static final BasicStroke[] LINES = {SeriesLines.SOLID, SeriesLines.DASH_DASH, SeriesLines.DOT_DOT,
        SeriesLines.DASH_DOT};

    /**
     * One chart; a log-scale y axis drops the points that are not positive and finite (the CSV keeps them). A
     * log-scale x axis plots x + 1, so that iteration 0 has a place.
     */
    record Panel(String title, String xLabel, String yLabel, boolean logY, boolean logX, List<Series> series) {
        Panel(String title, String xLabel, String yLabel, boolean logY, List<Series> series) {
            this(title, xLabel, yLabel, logY, false, series);
        }
    }

    final String name;
    final String prediction;
    final Map<String, Object> parameters = new LinkedHashMap<>();
    final Map<String, Object> measured = new LinkedHashMap<>();
    final List<Panel> panels = new ArrayList<>();
    boolean pass;
    String summary = "";

    ExperimentReport(String name, String prediction) {
        this.name = name;
        this.prediction = prediction;
    }

    /** The one-line verdict printed by the command. */
    String verdictLine() {
        return name + ": " + (pass ? "PASS" : "FAIL") + " - " + summaryText();
    }

    /** The summary without the separator its builder leaves after the last measurement. */
    private String summaryText() {
        return summary.strip().replaceFirst(";$", "");
    }

    /**
     * The three files, rendered in memory so that {@link Rendered#write} is file I/O alone. The chart is encoded
     * without ImageIO's file cache: with it, ImageIO.write goes through a temporary file whose stream registers a
     * shutdown hook (its StreamCloser), an in-memory target or not, and that registration throws
     * IllegalStateException once the JVM shuts down: a chart encoded during a Ctrl-C lost the whole set.
     */
    Rendered render() throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("experiment", name);
        json.put("prediction", prediction);
        json.put("parameters", parameters);
        json.put("measured", measured);
        json.put("verdict", pass ? "pass" : "fail");
        json.put("summary", summaryText());
        StringBuilder csv = new StringBuilder("panel,series,x,y\n");
        for (Panel panel : panels) {
            for (Series s : panel.series()) {
                for (int i = 0; i < s.x().length; i++) {
                    csv.append(quote(panel.title())).append(',').append(quote(s.name())).append(',')
                            .append(s.x()[i]).append(',').append(s.y()[i]).append('\n');
                }
            }
        }
        List<XYChart> charts = panels.stream().map(ExperimentReport::chart).toList();
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.setUseCache(false); // the process's setting, and no file is needed for a chart held in memory
        BitmapEncoder.saveBitmap(charts, 1, charts.size(), png, BitmapEncoder.BitmapFormat.PNG);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(name + ".json", (Json.object(json) + "\n").getBytes(StandardCharsets.UTF_8));
        files.put(name + ".csv", csv.toString().getBytes(StandardCharsets.UTF_8));
        files.put(name + ".png", png.toByteArray());
        return new Rendered(name, files);
    }

    /** An experiment's files by name, in the order they are written. */
    record Rendered(String name, Map<String, byte[]> files) {
        /**
         * Writes the files into {@code dir} (created if needed) as a set, and returns their paths: each is written
         * whole into a hidden staging directory there, and only when all are written are they renamed into place, so
         * that a failure to write (a full disk after the JSON left the new JSON beside the earlier run's CSV and PNG,
         * or alone) leaves none of them and an earlier run's set as it was. The renames are one by one: one that
         * fails (a directory under a file's name) leaves the files renamed before it in place.
         */
        List<Path> write(Path dir) throws IOException {
            Files.createDirectories(dir);
            // locked while it lives: one a kill -9 leaves is removed by the next command writing here
            try (Staging staging = Staging.create(dir)) {
                List<Path> staged = new ArrayList<>();
                for (Map.Entry<String, byte[]> file : files.entrySet()) {
                    // each written whole or not at all: a full disk left an empty EXPERIMENT.json under its name
                    Path path = staging.path().resolve(file.getKey());
                    AtomicFile.replace(path, file.getValue());
                    staged.add(path);
                }
                List<Path> written = new ArrayList<>();
                for (Path file : staged) {
                    written.add(Files.move(file, dir.resolve(file.getFileName()), StandardCopyOption.ATOMIC_MOVE,
                            StandardCopyOption.REPLACE_EXISTING));
                }
                return written;
            }
        }
    }

    private static String quote(String s) {
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    static XYChart chart(Panel panel) {
        XYChart chart = new XYChartBuilder().width(560).height(420).title(panel.title())
                .xAxisTitle(panel.logX() ? panel.xLabel() + " + 1" : panel.xLabel()).yAxisTitle(panel.yLabel()).build();
        chart.getStyler().setYAxisLogarithmic(panel.logY());
        chart.getStyler().setXAxisLogarithmic(panel.logX());
        double shift = panel.logX() ? 1 : 0;
        chart.getStyler().setMarkerSize(0);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        XYSeries first = null;
        for (Series s : panel.series()) {
            List<Double> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            for (int i = 0; i < s.x().length; i++) {
                double y = s.y()[i];
                if (Double.isFinite(y) && Double.isFinite(s.x()[i]) && (!panel.logY() || y > 0)) {
                    xs.add(s.x()[i] + shift);
                    ys.add(y);
                }
            }
            if (xs.isEmpty()) {
                continue;
            }
            XYSeries series = chart.addSeries(s.name(), xs, ys);
            series.setMarker(SeriesMarkers.NONE);
            if (s.colour() >= 0) {
                Color[] palette = chart.getStyler().getSeriesColors();
                series.setLineColor(palette[s.colour() % palette.length]);
            }
            if (s.dash() >= 0) {
                series.setLineStyle(LINES[s.dash() % LINES.length]);
            }
            if (first == null && xs.size() > 1) {
                first = series;
            }
        }
        if (!panel.logX() && first != null) {
            // XChart 4 puts a linear axis's ticks at every k-th of equally spaced x values (iterations 0, 1, …),
            // k = span/15, and their labels overlapped ("0 67 134201268…", knowm/XChart#731): one more x value,
            // halfway between a curve's first two, makes the values unequally spaced, and the ticks go to round
            // numbers (0, 200, …). A one-point series, drawn as nothing and not in the legend, added last so that the
            // curves keep their colours.
            double[] x = first.getXData();
            XYSeries spacing = chart.addSeries(" ", new double[] {(x[0] + x[1]) / 2},
                    new double[] {first.getYData()[0]});
            spacing.setMarker(SeriesMarkers.NONE);
            spacing.setShowInLegend(false);
        }
        return chart;
    }

    /** {@code %.4g} in the root locale, for summaries. */
    static String g(double x) {
        return String.format(Locale.ROOT, "%.4g", x);
    }
}
