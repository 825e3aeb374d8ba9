package org.autobalance.bench.baseline;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.json.Json;

/**
 * {@code ./autobalance bench --sequence}: the guard against shape-dependent JIT state. It times the engine's iteration
 * at a sequence of ranks (by default 1, 2, 3, 4, 8, 16, 64 and back to 1), for each dtype and thread count, all in
 * this one JVM, and times every cell once more alone, in a fresh JVM started just for it, right after the sequence
 * cell (so both see the same machine load). A cell of the sequence that runs slower than alone is paying for code
 * that an earlier cell left behind: native-notes/kernels.md, section 9, found kernels compiled 5–17× slower that way.
 *
 * <p>The fresh JVM gets this JVM's flags and class path and runs {@link #aloneCell}; it prints one line,
 * {@code cell MEDIAN BEST}.
 */
final class SequenceBench {
    /** The ranks of the issue that asked for this guard: every small-rank kernel family, both GEMM tile sets, back. */
    static final int[] RANKS = {1, 2, 3, 4, 8, 16, 64, 1};
    /** A sequence cell slower than this multiple of the same cell alone fails the target. */
    static final double TARGET_RATIO = 1.15;
    private static final String CELL_PREFIX = "cell ";

    /** One cell of the sequence with its two timings. */
    record Result(DType dtype, int threads, int step, int r, BenchCommand.Timing sequence,
            BenchCommand.Timing alone) {
        double ratio() {
            return sequence.medianMs() / alone.medianMs();
        }

        double bestRatio() {
            return sequence.bestMs() / alone.bestMs();
        }
    }

    private SequenceBench() {
    }

    /** Runs the sequence in this JVM, each cell also alone in a fresh JVM, and prints the table. */
    static List<Result> run(List<DType> dtypes, int d1, int d2, int[] ranks, int[] threadCounts, double warmupSeconds,
            double measureSeconds, PrintStream out) throws IOException {
        out.printf("autobalance bench --sequence: ranks %s in one JVM, each cell also alone in a fresh JVM; %d x %d, "
                + "median (and best) ms per iteration after %.1f s warm-up, %.1f s measured%n",
                join(ranks), d1, d2, warmupSeconds, measureSeconds);
        out.println("machine: " + Environment.cpuModel() + ", " + Runtime.getRuntime().availableProcessors()
                + " processors; JDK " + Runtime.version() + "; engine kernels: " + KernelProvider.kernels().name());
        out.println("load average at start: " + Environment.loadAverage() + "; busiest processes: "
                + Environment.busiestProcesses());
        out.println();
        String header = String.format("%-7s %7s %4s %4s %13s %13s %7s %12s", "dtype", "threads", "step", "r",
                "sequence ms", "alone ms", "ratio", "best ratio");
        out.println(header);
        out.println("-".repeat(header.length()));
        List<Result> results = new ArrayList<>();
        for (DType dtype : dtypes) {
            try (DenseMatrix m = BenchProblem.data(dtype, d1, d2, 1)) {
                for (int t : threadCounts) {
                    for (int step = 0; step < ranks.length; step++) {
                        int r = ranks[step];
                        BenchCommand.Timing seq = timeCell(m, dtype, d1, d2, r, t, warmupSeconds, measureSeconds);
                        BenchCommand.Timing alone = timeAlone(dtype, d1, d2, r, t, warmupSeconds, measureSeconds);
                        Result res = new Result(dtype, t, step + 1, r, seq, alone);
                        results.add(res);
                        out.printf("%-7s %7d %4d %4d %6.2f (%5.2f) %6.2f (%5.2f) %6.2f%s %11.2f%n", dtype.label(), t,
                                step + 1, r, seq.medianMs(), seq.bestMs(), alone.medianMs(), alone.bestMs(),
                                res.ratio(), res.ratio() > TARGET_RATIO ? "!" : " ", res.bestRatio());
                        out.flush();
                    }
                }
            }
        }
        out.println();
        Result worst = results.stream().max((a, b) -> Double.compare(a.ratio(), b.ratio())).orElseThrow();
        long over = results.stream().filter(x -> x.ratio() > TARGET_RATIO).count();
        out.printf("ratio = sequence median / alone median (best ratio: of the shortest iterations); worst %.2f "
                + "(%s, r = %d, %d thread%s, step %d); %d of %d cells above %.2f (marked !)%n", worst.ratio(),
                worst.dtype().label(), worst.r(), worst.threads(), worst.threads() == 1 ? "" : "s", worst.step(),
                over, results.size(), TARGET_RATIO);
        out.println("load average at end: " + Environment.loadAverage() + "; busiest processes: "
                + Environment.busiestProcesses());
        return results;
    }

    /** The engine's iteration at rank r on M (data of {@link BenchProblem}, seeds as in the main table). */
    private static BenchCommand.Timing timeCell(DenseMatrix m, DType dtype, int d1, int d2, int r, int threads,
            double warmupSeconds, double measureSeconds) {
        try (DenseMatrix u0 = BenchProblem.start(dtype, d1, r, 2);
                DenseMatrix v0 = BenchProblem.start(dtype, d2, r, 3)) {
            return BenchCommand.measure("autobalance", m, u0, v0, threads, warmupSeconds, measureSeconds);
        }
    }

    /** Entry point of the fresh JVM: one cell, printed as {@code cell MEDIAN BEST}. */
    static void aloneCell(DType dtype, int d1, int d2, int r, int threads, double warmupSeconds,
            double measureSeconds, PrintStream out) {
        try (DenseMatrix m = BenchProblem.data(dtype, d1, d2, 1)) {
            BenchCommand.Timing t = timeCell(m, dtype, d1, d2, r, threads, warmupSeconds, measureSeconds);
            out.printf(Locale.ROOT, "%s%s %s%n", CELL_PREFIX, t.medianMs(), t.bestMs());
        }
    }

    private static BenchCommand.Timing timeAlone(DType dtype, int d1, int d2, int r, int threads,
            double warmupSeconds, double measureSeconds) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // a log file of this JVM (-Xlog:...:file=, -XX:LogFile=) must not be overwritten by the child
            if (!arg.startsWith("-Xlog") && !arg.startsWith("-XX:LogFile") && !arg.contains("LogCompilation")) {
                cmd.add(arg);
            }
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), BenchCommand.class.getName(),
                "--alone-cell", dtype.label() + "," + r + "," + threads, "--shape", d1 + "x" + d2,
                "--warmup", Double.toString(warmupSeconds), "--measure", Double.toString(measureSeconds)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (p.waitFor() != 0) {
                throw new IOException("the fresh JVM for " + dtype.label() + " r = " + r + " failed:\n" + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        String line = output.lines().filter(l -> l.startsWith(CELL_PREFIX)).findFirst()
                .orElseThrow(() -> new IOException("no timing from the fresh JVM:\n" + output));
        String[] f = line.substring(CELL_PREFIX.length()).trim().split(" ");
        return new BenchCommand.Timing(Double.parseDouble(f[0]), Double.parseDouble(f[1]));
    }

    /** The results as JSON records (one per cell, in sequence order). */
    static String json(List<Result> results) {
        StringBuilder sb = new StringBuilder("[\n");
        for (int i = 0; i < results.size(); i++) {
            Result x = results.get(i);
            Map<String, Object> rec = new LinkedHashMap<>();
            rec.put("dtype", x.dtype().label());
            rec.put("threads", x.threads());
            rec.put("step", x.step());
            rec.put("r", x.r());
            rec.put("sequence_ms", x.sequence().medianMs());
            rec.put("alone_ms", x.alone().medianMs());
            rec.put("sequence_best_ms", x.sequence().bestMs());
            rec.put("alone_best_ms", x.alone().bestMs());
            rec.put("ratio", x.ratio());
            sb.append("  ").append(Json.object(rec)).append(i + 1 < results.size() ? ",\n" : "\n");
        }
        return sb.append("]\n").toString();
    }

    private static String join(int[] xs) {
        StringBuilder sb = new StringBuilder();
        for (int x : xs) {
            sb.append(sb.isEmpty() ? "" : ",").append(x);
        }
        return sb.toString();
    }
}
