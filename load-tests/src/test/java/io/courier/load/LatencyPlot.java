package io.courier.load;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.LogarithmicAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Draws latency percentiles against throughput from the CSV {@code order-sweep.sh} writes (columns
 * {@code offered_per_s}, {@code throughput_ok_per_s}, {@code p50_ms}, {@code p90_ms}, {@code
 * p99_ms}, one line per offered rate) into a PNG, with the order flow's targets (2,000 orders/s,
 * p99 50 ms) as markers. Headless: {@code java -Djava.awt.headless=true}.
 *
 * <pre>{@code
 * mvn -B -q -pl load-tests exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.courier.load.LatencyPlot -Dexec.args="order-flow.csv order-flow.png 'title'"
 * }</pre>
 */
public final class LatencyPlot {

  private static final double TARGET_RATE = 2_000;
  private static final double TARGET_P99_MS = 50;

  private LatencyPlot() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 2) {
      System.err.println("usage: LatencyPlot <csv> <png> [title] [x column]");
      System.exit(2);
    }
    System.setProperty("java.awt.headless", "true");
    Path csv = Path.of(args[0]);
    Path png = Path.of(args[1]);
    String title = args.length > 2 ? args[2] : "Order flow: latency against throughput";
    List<String> lines = Files.readAllLines(csv);
    List<String> header = Arrays.asList(lines.get(0).split(","));
    int offered = column(header, "offered_per_s");
    // The x axis: the answered rate by default, or another column (the offered rate of a sweep).
    String xColumn = args.length > 3 ? args[3] : "throughput_ok_per_s";
    int rate = column(header, xColumn);
    int[] percentiles = {
      column(header, "p50_ms"), column(header, "p90_ms"), column(header, "p99_ms")
    };
    XYSeries[] series = {
      new XYSeries("p50", false), new XYSeries("p90", false), new XYSeries("p99", false)
    };
    XYSeriesCollection data = new XYSeriesCollection();
    for (XYSeries s : series) {
      data.addSeries(s);
    }
    JFreeChart chart =
        ChartFactory.createXYLineChart(
            title,
            xColumn.equals("throughput_ok_per_s")
                ? "orders/s answered 202 (mean over the step)"
                : "orders/s offered (open model)",
            "latency (ms)",
            data,
            PlotOrientation.VERTICAL,
            true,
            false,
            false);
    XYPlot plot = chart.getXYPlot();
    LogarithmicAxis latency = new LogarithmicAxis("latency, ms (log scale)");
    latency.setStrictValuesFlag(false);
    plot.setRangeAxis(latency);
    double highest = TARGET_P99_MS;
    double fastest = 0;
    for (String line : lines.subList(1, lines.size())) {
      if (line.isBlank()) {
        continue;
      }
      String[] cells = line.split(",");
      double x = Double.parseDouble(cells[rate]);
      fastest = Math.max(fastest, x);
      for (int i = 0; i < series.length; i++) {
        double ms = Math.max(1, Double.parseDouble(cells[percentiles[i]]));
        series[i].add(x, ms);
        highest = Math.max(highest, ms);
      }
      XYTextAnnotation label =
          new XYTextAnnotation(
              "offered " + cells[offered] + "/s",
              x,
              Math.max(1, Double.parseDouble(cells[percentiles[2]])) * 1.3);
      label.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
      label.setTextAnchor(TextAnchor.BOTTOM_LEFT);
      plot.addAnnotation(label);
    }
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
    Color[] colors = {new Color(0x1b9e77), new Color(0x7570b3), new Color(0xd95f02)};
    for (int i = 0; i < colors.length; i++) {
      renderer.setSeriesPaint(i, colors[i]);
      renderer.setSeriesStroke(i, new BasicStroke(2f));
    }
    plot.setRenderer(renderer);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    plot.addRangeMarker(marker(TARGET_P99_MS, "target p99 <= 50 ms", true));
    latency.setRange(1, highest * 3);
    plot.getDomainAxis().setRange(0, Math.max(10, fastest * 1.25));
    if (fastest * 1.25 >= TARGET_RATE) {
      plot.addDomainMarker(marker(TARGET_RATE, "target 2,000 orders/s", false));
    } else {
      // The target would squash the measured points into the left edge: name it instead.
      chart.addSubtitle(
          new TextTitle(
              String.format(
                  Locale.ROOT,
                  "target: 2,000 orders/s with p99 <= 50 ms, off the chart (fastest step: %.0f/s)",
                  fastest)));
    }
    ChartUtils.saveChartAsPNG(png.toFile(), chart, 1000, 600);
    System.out.printf(Locale.ROOT, "plotted %d rates into %s%n", lines.size() - 1, png);
  }

  private static ValueMarker marker(double value, String label, boolean horizontal) {
    ValueMarker marker = new ValueMarker(value);
    marker.setPaint(Color.RED);
    marker.setStroke(
        new BasicStroke(
            1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
    marker.setLabel(label);
    marker.setLabelPaint(Color.RED);
    marker.setLabelAnchor(horizontal ? RectangleAnchor.TOP_LEFT : RectangleAnchor.TOP_RIGHT);
    marker.setLabelTextAnchor(horizontal ? TextAnchor.BOTTOM_LEFT : TextAnchor.TOP_LEFT);
    return marker;
  }

  private static int column(List<String> header, String name) {
    int index = header.indexOf(name);
    if (index < 0) {
      throw new IllegalArgumentException("no column '" + name + "' in " + header);
    }
    return index;
  }
}
