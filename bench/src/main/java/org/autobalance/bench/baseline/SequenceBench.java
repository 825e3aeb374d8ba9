package org.autobalance.bench.baseline;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.json.Json;

/**
 * {@code ./autobalance bench --sequence}: the guard against shape-dependent JIT state. It times the engine's iteration
 * at a sequence of ranks (by default 1, 2, 3, 4, 8, 16, 64 and back to 1), for each dtype and thread count, all in
 * this one JVM, and times every cell once more alone, in a fresh JVM started just for it. A cell of the sequence that
 * runs slower than alone is paying for code that an earlier cell left behind: native-notes/kernels.md, section 9,
 * found kernels compiled 5–17× slower that way.
 *
 * <p>Both JVMs warm the cell up first (this one, then the fresh one while this one waits); then the measurement
 * alternates between them in {@value #ROUNDS} blocks each, in the order sequence, alone, alone, sequence, …, one JVM
 * idle while the other times. So both sides sample the same stretch of machine state: at 2048² a float32 iteration
 * lasts 0.3–1 ms and reads M from the shared last-level cache, and one block of each, a few seconds apart, differed
 * by up to ±40 % with identical compiled code (§9.7).
 *
 * <p>The fresh JVM gets this JVM's flags and class path and runs {@link #aloneCell}: it prints {@code ready} after its
 * warm-up, then for each line {@code block} on its standard input times one block and prints {@code block} and the
 * iteration times in ms; {@code end} ends it.
 */
final class SequenceBench {
    /** The ranks of the issue that asked for this guard: every small-rank kernel family, both GEMM tile sets, back. */
    static final int[] RANKS = {1, 2, 3, 4, 8, 16, 64, 1};
    /** A sequence cell slower than this multiple of the same cell alone fails the target. */
    static final double TARGET_RATIO = 1.15;
    /** Measurement blocks per side and cell, alternating between the two JVMs. */
    static final int ROUNDS = 4;
    private static final String READY = "ready";
    private static final String BLOCK = "block";
    private static final String END = "end";

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
                + "median (and best) ms per iteration after %.1f s warm-up, %.1f s measured per side in %d blocks "
                + "alternating between the two JVMs%n", join(ranks), d1, d2, warmupSeconds, measureSeconds, ROUNDS);
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
                        Result res = timeCell(m, dtype, d1, d2, r, t, step + 1, warmupSeconds, measureSeconds);
                        results.add(res);
                        out.printf("%-7s %7d %4d %4d %6.2f (%5.2f) %6.2f (%5.2f) %6.2f%s %11.2f%n", dtype.label(), t,
                                step + 1, r, res.sequence().medianMs(), res.sequence().bestMs(), res.alone().medianMs(),
                                res.alone().bestMs(),
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

    /**
     * Times the engine's iteration at rank r on M (data of {@link BenchProblem}, seeds as in the main table) here and
     * in a fresh JVM, alternating blocks of {@code measureSeconds / ROUNDS}.
     */
    private static Result timeCell(DenseMatrix m, DType dtype, int d1, int d2, int r, int threads, int step,
            double warmupSeconds, double measureSeconds) throws IOException {
        double blockSeconds = measureSeconds / ROUNDS;
        List<Double> seq = new ArrayList<>();
        List<Double> alone = new ArrayList<>();
        try (Cell cell = new Cell(m, dtype, d1, r, threads)) {
            BenchCommand.warmUp(cell.it, warmupSeconds);
            try (AloneJvm fresh = new AloneJvm(dtype, d1, d2, r, threads, warmupSeconds, blockSeconds)) {
                for (int round = 0; round < ROUNDS; round++) {
                    // sequence first in even rounds, alone first in odd ones: a drift in the machine's state
                    // during the cell weighs on both sides alike
                    if (round % 2 == 0) {
                        seq.addAll(cell.block(blockSeconds));
                        alone.addAll(fresh.block());
                    } else {
                        alone.addAll(fresh.block());
                        seq.addAll(cell.block(blockSeconds));
                    }
                }
            }
            cell.requireFinite();
        }
        return new Result(dtype, threads, step, r, BenchCommand.Timing.of(seq), BenchCommand.Timing.of(alone));
    }

    /** One cell's engine iteration over M with its own U and V, warmed up by the caller. */
    private static final class Cell implements AutoCloseable {
        final DenseMatrix u;
        final DenseMatrix v;
        final GdIteration it;

        Cell(DenseMatrix m, DType dtype, int d1, int r, int threads) {
            this.u = BenchProblem.start(dtype, d1, r, 2);
            this.v = BenchProblem.start(dtype, m.cols(), r, 3);
            try {
                this.it = GdIteration.create("autobalance", m, u, v, threads);
            } catch (RuntimeException | Error e) {
                u.close();
                v.close();
                throw e;
            }
        }

        List<Double> block(double seconds) {
            return BenchCommand.sample(it, seconds, BenchCommand.MAX_SAMPLES / ROUNDS);
        }

        void requireFinite() {
            BenchCommand.requireFinite(it, u, v);
        }

        @Override
        public void close() {
            try (u; v) {
                it.close();
            }
        }
    }

    /**
     * Entry point of the fresh JVM: warms one cell up, prints {@code ready}, then times a block of
     * {@code blockSeconds} for each {@code block} read from {@code in} (printed as {@code block MS MS …}) until
     * {@code end} or the end of the input.
     */
    static void aloneCell(DType dtype, int d1, int d2, int r, int threads, double warmupSeconds, double blockSeconds,
            BufferedReader in, PrintStream out) throws IOException {
        try (DenseMatrix m = BenchProblem.data(dtype, d1, d2, 1); Cell cell = new Cell(m, dtype, d1, r, threads)) {
            BenchCommand.warmUp(cell.it, warmupSeconds);
            out.println(READY);
            out.flush();
            for (String line = in.readLine(); line != null && !line.equals(END); line = in.readLine()) {
                StringBuilder sb = new StringBuilder(BLOCK);
                for (double ms : cell.block(blockSeconds)) {
                    sb.append(' ').append(ms);
                }
                out.println(sb);
                out.flush();
            }
            cell.requireFinite();
        }
    }

    /** The fresh JVM of one cell ({@link #aloneCell}), driven through its standard input and output. */
    private static final class AloneJvm implements AutoCloseable {
        private final Process process;
        private final BufferedReader from;
        private final PrintStream to;
        /** Everything the JVM printed that is not part of the protocol (warnings), for an error message. */
        private final StringBuilder other = new StringBuilder();
        private final String what;

        AloneJvm(DType dtype, int d1, int d2, int r, int threads, double warmupSeconds, double blockSeconds)
                throws IOException {
            this.what = "the fresh JVM for " + dtype.label() + " r = " + r + ", " + threads + " thread"
                    + (threads == 1 ? "" : "s");
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
                // a log file of this JVM (-Xlog:...:file=, -XX:LogFile=) must not be overwritten by the child
                if (!arg.startsWith("-Xlog") && !arg.startsWith("-XX:LogFile") && !arg.contains("LogCompilation")) {
                    cmd.add(arg);
                }
            }
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), BenchCommand.class.getName(),
                    // --rank too: the command checks its ranks against the shape, and the default ones reach 64
                    "--alone-cell", dtype.label() + "," + r + "," + threads, "--rank", Integer.toString(r),
                    "--shape", d1 + "x" + d2,
                    "--warmup", Double.toString(warmupSeconds), "--measure", Double.toString(blockSeconds)));
            this.process = Children.BENCH.start(new ProcessBuilder(cmd).redirectErrorStream(true));
            this.from = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            this.to = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
            expect(READY);
        }

        List<Double> block() throws IOException {
            to.println(BLOCK);
            String line = expect(BLOCK);
            List<Double> ms = new ArrayList<>();
            for (String f : line.substring(BLOCK.length()).trim().split(" ")) {
                ms.add(Double.parseDouble(f));
            }
            return ms;
        }

        /** The next line that starts with {@code word}, or an IOException with what the JVM printed. */
        private String expect(String word) throws IOException {
            for (String line = from.readLine(); line != null; line = from.readLine()) {
                if (line.startsWith(word)) {
                    return line;
                }
                other.append(line).append('\n');
            }
            throw new IOException(what + " ended early:\n" + other);
        }

        @Override
        public void close() throws IOException {
            to.println(END);
            to.close();
            try {
                if (process.waitFor() != 0) {
                    throw new IOException(what + " failed:\n" + other + new String(
                            process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
                }
            } catch (InterruptedException e) {
                process.destroy();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
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
