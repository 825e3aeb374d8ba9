package org.autobalance.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.internal.chartpart.AxesChart;
import org.knowm.xchart.style.lines.SeriesLines;

/**
 * The x axis of {@code reproduce}'s PNG panels (a new user's twenty-fourth-session finding): over iterations 0, 1, …
 * XChart put a tick at every 59th, 67th, … value and their labels ran together ("177236295354…", "112168224280…").
 * The ticks are read back from the chart XChart laid out (its x axis's tick calculator, internal, so reached by
 * reflection): round numbers, k·10^e apart for k in {1, 2, 5} (2.5 too, XChart's other step), and no more than
 * fit the 560-pixel panel at about one per 60 pixels.
 */
class ExperimentChartTest {
    @ParameterizedTest(name = "iterations 0..{0}")
    @ValueSource(ints = {120, 420, 999, 5000})
    void aLinearAxisOverIterationsHasRoundTicks(int last) throws Exception {
        double[] x = new double[last + 1];
        double[] y = new double[last + 1];
        for (int t = 0; t <= last; t++) {
            x[t] = t;
            y[t] = Math.exp(-30.0 * t / last) + 1e-15;
        }
        XYChart chart = ExperimentReport.chart(new ExperimentReport.Panel("relative error", "iteration", "|UV'-M|/|M|",
                true, List.of(new ExperimentReport.Series("eta = 0.05", x, y),
                        new ExperimentReport.Series("eta = 0.2", x, y))));
        BitmapEncoder.getBufferedImage(chart); // lays the axes out

        List<Double> ticks = xTicks(chart);
        assertTrue(ticks.size() >= 3 && ticks.size() <= 9, ticks.toString());
        double step = ticks.get(1) - ticks.get(0);
        double decade = Math.pow(10, Math.floor(Math.log10(step)));
        double mantissa = step / decade;
        assertTrue(List.of(1.0, 2.0, 2.5, 5.0).stream().anyMatch(k -> Math.abs(mantissa - k) < 1e-9),
                "step " + step + " of " + ticks);
        for (int i = 0; i < ticks.size(); i++) {
            assertEquals(0, Math.IEEEremainder(ticks.get(i), step), 1e-9 * step, ticks.toString());
            if (i > 0) {
                assertEquals(step, ticks.get(i) - ticks.get(i - 1), 1e-9 * step, ticks.toString());
            }
        }
    }

    /**
     * A series given a colour and a line pattern is drawn so, whatever its place in the panel (fig2's panels list
     * different curves of the same variants: one variant must keep one colour), and one given none takes the next
     * colour of the palette and a solid line.
     */
    @Test
    void aSeriesKeepsTheColourAndPatternItWasGiven() {
        double[] x = {0, 1, 2};
        double[] y = {3, 2, 1};
        XYChart chart = ExperimentReport.chart(new ExperimentReport.Panel("ratios", "iteration", "ratio", true,
                List.of(new ExperimentReport.Series("b, h=1", x, y, 3, 0),
                        new ExperimentReport.Series("b, h=2", x, y, 3, 1),
                        new ExperimentReport.Series("a", x, y, 1, 0),
                        new ExperimentReport.Series("free", x, y))));
        Color[] palette = chart.getStyler().getSeriesColors();
        assertEquals(palette[3], chart.getSeries("b, h=1").getLineColor());
        assertEquals(palette[3], chart.getSeries("b, h=2").getLineColor());
        assertEquals(palette[1], chart.getSeries("a").getLineColor());
        assertEquals(SeriesLines.SOLID, chart.getSeries("b, h=1").getLineStyle());
        assertEquals(SeriesLines.DASH_DASH, chart.getSeries("b, h=2").getLineStyle());
        BitmapEncoder.getBufferedImage(chart); // XChart gives the free series its colour and line when it draws
        assertNotEquals(SeriesLines.DASH_DASH, chart.getSeries("free").getLineStyle());
    }

    /** The tick values of the chart's x axis, from the labels XChart drew. */
    private static List<Double> xTicks(XYChart chart) throws Exception {
        Field pair = AxesChart.class.getDeclaredField("axisPair");
        pair.setAccessible(true);
        Object xAxis = call(pair.get(chart), "getXAxis");
        Object calculator = call(xAxis, "getAxisTickCalculator");
        List<Double> ticks = new ArrayList<>();
        for (Object label : (List<?>) call(calculator, "getTickLabels")) {
            ticks.add(Double.parseDouble(label.toString().replace(",", "")));
        }
        return ticks;
    }

    private static Object call(Object target, String name) throws Exception {
        for (Class<?> c = target.getClass(); c != null; c = c.getSuperclass()) {
            for (Method m : c.getDeclaredMethods()) {
                if (m.getName().equals(name) && m.getParameterCount() == 0) {
                    m.setAccessible(true);
                    return m.invoke(target);
                }
            }
        }
        throw new NoSuchMethodException(name);
    }
}
