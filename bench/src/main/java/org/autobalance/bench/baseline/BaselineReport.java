package org.autobalance.bench.baseline;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.autobalance.io.internal.AtomicFile;
import org.autobalance.io.internal.FileChecks;
import org.autobalance.json.Json;
import org.autobalance.memory.DType;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.style.Styler;

/**
 * {@code ./autobalance bench report JMH.json... [--out DIR] [--name NAME] [--command TEXT]}: turns the JSON of JMH
 * runs of {@link BaselineIterationBenchmark} ({@code -rf json}) into {@code DIR/NAME.md} (default
 * {@code native-notes/baselines.md}), a table of medians with GFLOP/s, the fraction of the roofline floor and the
 * engine's speed-up over each baseline, and {@code DIR/NAME.png}, a chart of the same. The floors come from
 * {@link RooflineProbe}, run by this command right after the benchmark on the same machine; the report states the
 * machine (lscpu), JDK, OpenBLAS build, date and command.
 */
public final class BaselineReport {
    /** The longest input read: a JMH result file of this benchmark is a few kilobytes. */
    private static final int MAX_INPUT_BYTES = 64 << 20;
    /** Table order: dtype, size, rank, threads, then the implementations in {@link GdIteration#NAMES} order. */
    private static final Comparator<Result> ORDER = Comparator.comparing((Result x) -> x.dtype())
            .thenComparingInt(Result::d).thenComparingInt(Result::r).thenComparingInt(Result::threads)
            .thenComparingInt(x -> GdIteration.NAMES.indexOf(x.impl()));

    private BaselineReport() {
    }

    /** One JMH result of the benchmark. */
    record Result(String impl, DType dtype, int d, int r, int threads, double medianMs, double meanMs,
            double errorMs, long samples) {
        double gflops() {
            return 4.0 * d * d * r / (medianMs * 1e-3) / 1e9;
        }
    }

    /**
     * The ceilings per thread count, and the floor's read of M per dtype, size and thread count (a matrix of M's size
     * read again and again: {@link RooflineProbe#readMatrix}), keyed by {@link #key}.
     */
    record Floors(Map<Integer, RooflineProbe.Ceilings> ceilings, Map<String, RooflineProbe.Read> reads) {
        static String key(DType dtype, int d, int threads) {
            return dtype.label() + " " + d + " " + threads;
        }

        /** Measures what the floors of {@code results} need. */
        static Floors measure(List<Result> results) {
            Map<Integer, RooflineProbe.Ceilings> ceilings = new LinkedHashMap<>();
            for (int t : results.stream().map(Result::threads).collect(Collectors.toCollection(TreeSet::new))) {
                ceilings.put(t, RooflineProbe.measure(t));
            }
            Map<String, RooflineProbe.Read> reads = new LinkedHashMap<>();
            for (Result x : results) {
                reads.computeIfAbsent(key(x.dtype(), x.d(), x.threads()),
                        k -> RooflineProbe.readMatrix(x.dtype(), x.d(), x.d(), x.threads()));
            }
            return new Floors(ceilings, reads);
        }

        double ms(Result x) {
            return ceilings.get(x.threads()).floorSeconds(x.dtype(), x.d(), x.d(), x.r(),
                    reads.get(key(x.dtype(), x.d(), x.threads()))) * 1e3;
        }
    }

    /**
     * Runs {@code bench report} with {@code args}; returns the exit code (see {@link BenchCommand#execute}): a missing
     * or unreadable input, or one that is not a JMH result file, is named before the probes run.
     */
    static int execute(String... args) throws IOException {
        System.setProperty("java.awt.headless", "true"); // no display on build and benchmark machines
        List<Path> inputs = new ArrayList<>();
        Path outDir = Path.of("native-notes");
        String name = "baselines";
        String command = null;
        Set<String> given = new HashSet<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--help", "-h" -> {
                    System.out.println(USAGE);
                    return 0;
                }
                case "--out" -> outDir = BenchCommand.path(args, ++i, a);
                case "--name" -> name = fileName(BenchCommand.value(args, ++i, a), a);
                case "--command" -> command = BenchCommand.value(args, ++i, a);
                default -> {
                    // the options may come before the files: "--out DIR X.json" printed the usage, naming nothing
                    if (a.startsWith("-")) {
                        throw BenchCommand.unknown(a);
                    }
                    Path input = FileChecks.path(a);
                    if (inputs.stream().anyMatch(x -> x.toAbsolutePath().normalize()
                            .equals(input.toAbsolutePath().normalize()))) {
                        // its results would have been counted twice, each cell two rows of the table
                        throw new IllegalArgumentException(a + ": given twice");
                    }
                    inputs.add(input);
                    continue;
                }
            }
            BenchCommand.once(given, a);
        }
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("no JMH result file given: bench report JMH.json... [--out DIR] "
                    + "[--name NAME] [--command TEXT] (try --help)");
        }
        if (command == null) {
            command = "java -jar bench/target/benchmarks.jar BaselineIterationBenchmark -rf json -rff "
                    + inputs.getFirst().getFileName();
        }
        // several JMH files (e.g. one run per dtype) make one report
        List<Result> results = new ArrayList<>();
        String json = null;
        for (Path input : inputs) {
            String text = read(input);
            json = json == null ? text : json;
            try {
                results.addAll(parse(text));
            } catch (RuntimeException e) {
                // a JSON of another shape (bench --json's object, say) failed a cast, whose words name Java classes
                throw new IllegalArgumentException(input + ": not a JMH result file (-rf json): " + (e instanceof
                        ClassCastException ? "not the list of results JMH writes" : e.getMessage()), e);
            }
        }
        results.sort(ORDER);
        if (results.isEmpty()) {
            throw new IllegalArgumentException("no BaselineIterationBenchmark results in " + inputs);
        }
        Path md = outDir.resolve(name + ".md");
        Path png = outDir.resolve(name + ".png");
        BenchCommand.requireWritable(md, "--out");
        Floors floors = Floors.measure(results);
        BenchCommand.writeAtomically(md, withKept(markdown(results, floors, command, jmhSettings(json),
                png.getFileName().toString()), md));
        chart(results, floors, png);
        System.out.println("wrote " + md + " and " + png);
        return 0;
    }

    /**
     * The line from which the report's Markdown file is the notes' own: what follows it (the analysis of the tables,
     * written by hand) is kept when the report is written again, which replaced the file whole and lost it.
     */
    static final String KEPT = "<!-- hand-written below: kept by bench report -->";

    /** {@code generated}, then {@link #KEPT} and what follows it in {@code md} where md has that line. */
    static String withKept(String generated, Path md) throws IOException {
        if (!Files.isRegularFile(md)) {
            return generated;
        }
        String old = Files.readString(md);
        int at = old.indexOf(KEPT);
        return at < 0 ? generated : generated.stripTrailing() + "\n\n" + old.substring(at);
    }

    private static final String USAGE = "usage: ./autobalance bench report JMH.json... [--out DIR] [--name NAME] "
            + "[--command TEXT]\nThe Markdown table and PNG chart of a JMH run of BaselineIterationBenchmark (-rf "
            + "json), with the roofline ceilings measured now; writes DIR/NAME.md and DIR/NAME.png (default "
            + "native-notes/baselines).";

    /** {@code --name}'s value: the name of the two files in --out's directory, not a path. */
    private static String fileName(String text, String option) {
        if (text.isEmpty() || text.equals(".") || text.equals("..") || text.contains("/")) {
            // "" wrote DIR/.md, and a/b or ../x wrote elsewhere than --out
            throw new IllegalArgumentException(option + " '" + text + "': a file name without a directory (the "
                    + "files are DIR/NAME.md and DIR/NAME.png, DIR from --out)");
        }
        return text;
    }

    /**
     * The text of an input, or a message naming it. A JMH result file is kilobytes; what is longer than
     * {@value #MAX_INPUT_BYTES} bytes is refused once that much is read (/dev/zero filled the heap: an
     * OutOfMemoryError's stack trace).
     */
    private static String read(Path input) {
        if (Files.isDirectory(input)) {
            // opened, it failed at the first read: "cannot read it (java.io.IOException: Is a directory)"
            throw new IllegalArgumentException(input + ": is a directory, not a JMH result file (-rf json)");
        }
        try (InputStream in = Files.newInputStream(input)) {
            byte[] text = in.readNBytes(MAX_INPUT_BYTES + 1);
            if (text.length > MAX_INPUT_BYTES) {
                throw new IllegalArgumentException(input + ": not a JMH result file (-rf json): longer than "
                        + MAX_INPUT_BYTES + " bytes");
            }
            return new String(text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException(input + ": cannot read it ("
                    + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : FileChecks.reason(e)) + ")",
                    e);
        }
    }

    @SuppressWarnings("unchecked")
    static List<Result> parse(String json) {
        List<Result> out = new ArrayList<>();
        for (Object o : (List<Object>) Json.parse(json)) {
            Map<String, Object> e = (Map<String, Object>) o;
            if (!String.valueOf(e.get("benchmark")).endsWith("BaselineIterationBenchmark.iterate")) {
                continue;
            }
            Map<String, Object> params = (Map<String, Object>) e.get("params");
            Map<String, Object> metric = (Map<String, Object>) e.get("primaryMetric");
            double scale = toMs(String.valueOf(metric.get("scoreUnit")));
            Map<String, Object> percentiles = (Map<String, Object>) metric.get("scorePercentiles");
            double median = percentiles != null && percentiles.get("50.0") instanceof Double p50 ? p50
                    : (Double) metric.get("score");
            double error = metric.get("scoreError") instanceof Double err ? err : Double.NaN;
            long samples = 0;
            if (metric.get("rawDataHistogram") instanceof List<?> forks) {
                for (Object fork : forks) {
                    for (Object iteration : (List<Object>) fork) {
                        for (Object bin : (List<Object>) iteration) {
                            samples += ((Double) ((List<Object>) bin).get(1)).longValue();
                        }
                    }
                }
            }
            out.add(new Result(String.valueOf(params.get("impl")), DType.parse(String.valueOf(params.get("dtype"))),
                    Integer.parseInt(String.valueOf(params.get("d"))),
                    Integer.parseInt(String.valueOf(params.get("r"))),
                    Integer.parseInt(String.valueOf(params.get("threads"))), median * scale,
                    (Double) metric.get("score") * scale, error * scale, samples));
        }
        out.sort(ORDER);
        return out;
    }

    private static double toMs(String unit) {
        return switch (unit) {
            case "s/op" -> 1e3;
            case "ms/op" -> 1;
            case "us/op" -> 1e-3;
            case "ns/op" -> 1e-6;
            default -> throw new IllegalArgumentException("unexpected JMH unit " + unit + " (expected a time per op)");
        };
    }

    @SuppressWarnings("unchecked")
    private static String jmhSettings(String json) {
        List<Object> all = (List<Object>) Json.parse(json);
        for (Object o : all) {
            Map<String, Object> e = (Map<String, Object>) o;
            if (String.valueOf(e.get("benchmark")).endsWith("BaselineIterationBenchmark.iterate")) {
                return String.format(Locale.ROOT, "JMH %s, mode %s, %s fork(s), %s warm-up × %s, %s measurement × %s;"
                        + " JVM %s %s; JVM args %s", e.get("jmhVersion"), e.get("mode"), num(e.get("forks")),
                        num(e.get("warmupIterations")), e.get("warmupTime"), num(e.get("measurementIterations")),
                        e.get("measurementTime"), e.get("vmName"), e.get("vmVersion"), e.get("jvmArgs"));
            }
        }
        return "";
    }

    private static String num(Object o) {
        return o instanceof Double d ? Long.toString(d.longValue()) : String.valueOf(o);
    }

    static String markdown(List<Result> results, Floors floors, String command, String jmh, String pngName) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Baselines: one gradient-descent iteration, the engine against BLAS and EJML\n\n");
        sb.append("Generated by `./autobalance bench report` on ").append(LocalDate.now()).append(" from a JMH run of ")
                .append("`BaselineIterationBenchmark`. Every implementation runs the same simultaneous step ")
                .append("U ← U − η(UVᵀ − M)V, V ← V − η(UVᵀ − M)ᵀU on the same inputs (`BenchProblem`: M uniform ")
                .append("in ±1/√d, seeds 1–3, η = ").append(BenchProblem.ETA).append(").\n\n");
        sb.append("- **autobalance**: the solver's iteration (`EngineIteration`: fused pass + step), kernels ")
                .append("chosen by `KernelProvider`.\n");
        sb.append("- **openblas-textbook**: R = UVᵀ − M materialised (copy of M + sgemm with β = −1), RV and RᵀU by ")
                .append("gemm, axpy updates — OpenBLAS through `java.lang.foreign`, on the native segments.\n");
        sb.append("- **openblas-gram**: MV and MᵀU as two skinny gemms, UᵀU and VᵀV by gemm, U·VᵀV − MV by gemm with ")
                .append("β = −1, axpy updates — the best a BLAS user can do without writing kernels.\n");
        sb.append("- **ejml-gram**: the Gram form with EJML 0.46.1 (`CommonOps_FDRM`/`_DDRM`, `_MT_` variants for ")
                .append("more than one thread).\n\n");
        sb.append("Columns: median ms per iteration (JMH sample mode; mean ± 99.9 % error beside it); GFLOP/s counts ")
                .append("4·d1·d2·r flops per iteration for every form (the textbook form does 6·d1·d2·r); the floor ")
                .append("is max(d1·d2·bytes / the read of M, 4·d1·d2·r / peak FMA) with the ceilings below (the read ")
                .append("of a matrix of M's size again and again, from whichever cache level holds it); 'of floor' = ")
                .append("floor / median; 'engine ×' = baseline median / engine median (> 1: the engine is ")
                .append("faster).\n\n");
        Set<DType> dtypes = new LinkedHashSet<>();
        results.forEach(x -> dtypes.add(x.dtype()));
        for (DType dtype : dtypes) {
            sb.append("## ").append(dtype.label()).append("\n\n");
            sb.append("| d | r | threads | impl | median ms | mean ± err ms | GFLOP/s | floor ms | of floor ")
                    .append("| engine × |\n");
            sb.append("|---|---|---|---|---|---|---|---|---|---|\n");
            for (Result x : results) {
                if (x.dtype() != dtype) {
                    continue;
                }
                double floor = floors.ms(x);
                Result engine = results.stream().filter(y -> y.impl().equals("autobalance") && y.dtype() == dtype
                        && y.d() == x.d() && y.r() == x.r() && y.threads() == x.threads()).findFirst().orElse(null);
                String speedUp = engine == null || engine == x ? "—"
                        : String.format(Locale.ROOT, "%.2f", x.medianMs() / engine.medianMs());
                sb.append(String.format(Locale.ROOT,
                        "| %d | %d | %d | %s | %.2f | %.2f ± %.2f | %.1f | %.2f | %.0f %% | %s |%n",
                        x.d(), x.r(), x.threads(), x.impl(), x.medianMs(), x.meanMs(), x.errorMs(), x.gflops(), floor,
                        100 * floor / x.medianMs(), speedUp));
            }
            sb.append('\n');
        }
        sb.append("![median ms per iteration](").append(pngName).append(")\n\n");
        sb.append("## Ceilings (RooflineProbe, run by the report command right after the benchmark)\n\n");
        sb.append("| threads | read of 256 MiB GB/s (median) | read spread (IQR / median) | sweeps "
                + "| float32 FMA GFLOP/s | float64 FMA GFLOP/s |\n|---|---|---|---|---|---|\n");
        for (RooflineProbe.Ceilings c : floors.ceilings().values()) {
            sb.append(String.format(Locale.ROOT, "| %d | %.1f | %.1f %% | %d | %.1f | %.1f |%n", c.threads(),
                    c.bytesPerSecond() / 1e9, 100 * c.readSpread(), c.readSweeps(), c.float32FlopsPerSecond() / 1e9,
                    c.float64FlopsPerSecond() / 1e9));
        }
        sb.append("\nThe floors' read: a matrix of M's size read again and again (as the iterations read M)\n\n")
                .append("| dtype, d, threads | GB/s (median) | spread (IQR / median) | sweeps |\n|---|---|---|---|\n");
        floors.reads().forEach((key, read) -> sb.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f %% | %d |%n",
                key, read.bytesPerSecond() / 1e9, 100 * read.spread(), read.sweeps())));
        sb.append("\n## How it was run\n\n");
        sb.append("```sh\n").append(command).append("\n./autobalance bench report <that JSON>\n```\n\n");
        sb.append("- ").append(jmh).append('\n');
        sb.append("- report JVM: ").append(System.getProperty("java.vm.name")).append(' ')
                .append(Runtime.version()).append('\n');
        sb.append("- OpenBLAS: ").append(OpenBlas.available() ? OpenBlas.describe() : "not available: "
                + OpenBlas.unavailableReason()).append('\n');
        sb.append("- load average when the report ran: ").append(Environment.loadAverage())
                .append("; busiest processes: ").append(Environment.busiestProcesses()).append('\n');
        sb.append("\nMachine (`lscpu`):\n\n```\n").append(Environment.command(List.of("lscpu"))).append("\n```\n");
        return sb.toString();
    }

    /** Grouped bars of the medians per configuration, one series per implementation, log scale, floors as a line. */
    static void chart(List<Result> results, Floors floorsOf, Path png) throws IOException {
        List<String> configs = new ArrayList<>();
        Map<String, Double> floors = new LinkedHashMap<>();
        for (Result x : results) {
            String key = key(x);
            if (!configs.contains(key)) {
                configs.add(key);
                floors.put(key, floorsOf.ms(x));
            }
        }
        CategoryChart chart = new CategoryChartBuilder().width(1200).height(650)
                .title("One gradient-descent iteration, d = " + results.getFirst().d() + " (median ms, log scale)")
                .xAxisTitle("dtype, rank r, threads t").yAxisTitle("ms per iteration").build();
        chart.getStyler().setYAxisLogarithmic(true);
        // bars start from the axis minimum: a log axis needs an explicit positive one (xchart would use 0)
        double lowest = Math.min(results.stream().mapToDouble(Result::medianMs).min().orElse(1),
                floors.values().stream().mapToDouble(Double::doubleValue).min().orElse(1));
        chart.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(lowest))));
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setXAxisLabelRotation(30);
        for (String impl : GdIteration.NAMES) {
            List<Double> ys = new ArrayList<>();
            boolean any = false;
            for (String key : configs) {
                Double y = results.stream().filter(x -> x.impl().equals(impl) && key(x).equals(key))
                        .map(Result::medianMs).findFirst().orElse(null);
                any |= y != null;
                ys.add(y);
            }
            if (any) {
                chart.addSeries(impl, configs, ys);
            }
        }
        CategorySeries floor = chart.addSeries("roofline floor", configs, new ArrayList<>(floors.values()));
        floor.setChartCategorySeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Line);
        // getBufferedImage + ImageIO: xchart 4.0.3 deprecates its single-chart save methods; the stream is not
        // closed, which would close the channel before AtomicFile forces it to disk
        AtomicFile.replace(png, channel -> ImageIO.write(BitmapEncoder.getBufferedImage(chart), "png",
                Channels.newOutputStream(channel)));
    }

    private static String key(Result x) {
        return (x.dtype() == DType.FLOAT32 ? "f32" : "f64") + " r=" + x.r() + " t=" + x.threads();
    }
}
