package org.autobalance.bench.baseline;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.autobalance.bench.sparse.SparseProblem;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;
import org.autobalance.json.Json;
import org.autobalance.parallel.EngineIteration;

/**
 * {@code ./autobalance bench sparse}: one iteration of the engine on a sparse M (full loss and observed-entries loss)
 * next to the same iteration in scipy + numpy ({@code bench/sparse/reference.py}, run as a child process when
 * python3 with numpy and scipy is found), with the memory-traffic floor from the read bandwidth measured in the same
 * run. Medians of single-iteration wall times after a timed warm-up, and with one thread the median thread CPU time
 * (the steadier number on a shared machine: it leaves out the time the thread waited for a core).
 *
 * <pre>
 * ./autobalance bench sparse [--shape 100000x50000] [--nnz 5000000] [--pattern uniform,powerlaw] [--rank 16,64]
 *                            [--threads 1,2] [--objective full,observed] [--dtype float32] [--no-python]
 *                            [--json FILE]
 * </pre>
 */
public final class SparseBenchCommand {
    /** Iterations of warm-up at least, whatever the time: the kernels must be compiled by C2 before timing. */
    private static final int WARM_ITERATIONS = 30;
    /** Whether python3 can run the reference: it imports what {@code bench/sparse/reference.py} imports. */
    static final List<String> PYTHON_CHECK = List.of("python3", "-c", "import numpy, scipy.sparse");
    /** How long the import check may run before it is ended (and the reference left out). */
    static final Duration CHECK_LIMIT = Duration.ofMinutes(5);
    /** How long one cell's scipy reference may run before it is ended. */
    private static final Duration REFERENCE_LIMIT = Duration.ofMinutes(30);
    private int d1 = 100_000;
    private int d2 = 50_000;
    private long nnz = 5_000_000;
    private List<String> patterns = List.of("uniform", "powerlaw");
    private int[] ranks = {16, 64};
    private int[] threadCounts = {1, 2};
    private List<String> objectives = List.of("full", "observed");
    private DType dtype = DType.FLOAT32;
    private boolean python = true;
    /** Warm-up and measurement windows, in seconds of the timing thread's CPU time. */
    private double warmupSeconds = 2.0;
    private double measureSeconds = 2.0;
    private Path json;
    private boolean help;
    /** The options given, each at most once. */
    private final Set<String> given = new HashSet<>();

    /** Runs {@code bench sparse} with {@code args}; returns the exit code (see {@link BenchCommand#execute}). */
    static int execute(String... args) throws IOException, InterruptedException {
        SparseBenchCommand c = parsed(args);
        if (c.help) {
            System.out.println("usage: ./autobalance bench sparse [--shape D1xD2] [--nnz N] "
                    + "[--pattern uniform,powerlaw] [--rank 16,64] [--threads 1,2] [--objective full,observed]"
                    + " [--dtype float32] [--no-python] [--warmup S] [--measure S] [--json FILE]\n"
                    + "One iteration of the sparse engine (full and observed objectives) against scipy.sparse "
                    + "(bench/sparse/reference.py, skipped with --no-python), on nnz drawn (row, column) pairs; "
                    + "defaults: 100000x50000, 5000000 pairs, 2 s warm-up and measurement. The README's section \"The "
                    + "sparse engine against scipy\" has the details.");
            return 0;
        }
        c.run(System.out);
        return 0;
    }

    /** The options of {@code args}, checked as far as they can be before anything runs. */
    static SparseBenchCommand parsed(String... args) {
        SparseBenchCommand c = new SparseBenchCommand();
        c.parse(args);
        if (!c.help) {
            c.check();
        }
        return c;
    }

    private void parse(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--shape" -> {
                    int[] shape = BenchCommand.shape(BenchCommand.value(args, ++i, a), a);
                    d1 = shape[0];
                    d2 = shape[1];
                }
                case "--nnz" -> nnz = BenchCommand.positive(BenchCommand.value(args, ++i, a), a, Long.MAX_VALUE);
                case "--pattern" -> patterns = BenchCommand.items(BenchCommand.value(args, ++i, a), a);
                case "--rank" -> ranks = BenchCommand.ints(BenchCommand.value(args, ++i, a), a);
                case "--threads" -> threadCounts = BenchCommand.ints(BenchCommand.value(args, ++i, a), a);
                case "--objective" -> objectives = BenchCommand.items(BenchCommand.value(args, ++i, a), a);
                case "--dtype" -> {
                    List<DType> one = BenchCommand.dtypes(BenchCommand.value(args, ++i, a), a);
                    if (one.size() != 1) {
                        throw new IllegalArgumentException(a + " takes one dtype, float32 or float64");
                    }
                    dtype = one.getFirst();
                }
                case "--no-python" -> python = false;
                case "--warmup" -> warmupSeconds = BenchCommand.seconds(BenchCommand.value(args, ++i, a), a);
                case "--measure" -> measureSeconds = BenchCommand.seconds(BenchCommand.value(args, ++i, a), a);
                case "--json" -> json = BenchCommand.path(args, ++i, a);
                case "--help", "-h" -> help = true;
                default -> throw BenchCommand.unknown(a);
            }
            BenchCommand.once(given, a);
        }
    }

    /** What the options ask for, against each other and the machine. */
    private void check() {
        BenchCommand.distinct(patterns, "--pattern");
        BenchCommand.distinct(objectives, "--objective");
        BenchCommand.distinct(Arrays.stream(ranks).boxed().toList(), "--rank");
        BenchCommand.requireThreads(threadCounts);
        for (String o : objectives) {
            if (!o.equals("full") && !o.equals("observed")) {
                throw new IllegalArgumentException("unknown objective " + o + ": expected full or observed");
            }
        }
        for (String p : patterns) {
            if (!SparseProblem.PATTERNS.contains(p)) {
                throw new IllegalArgumentException("unknown pattern '" + p + "': expected one of "
                        + SparseProblem.PATTERNS);
            }
        }
        for (int r : ranks) {
            if (r > Math.min(d1, d2)) {
                throw new IllegalArgumentException("--rank " + r + " outside [1, min(d1, d2)] = [1, "
                        + Math.min(d1, d2) + "]");
            }
        }
        // the builder stages every drawn pair before the matrix is built: refused when made, before any probe
        SparseMatrix.builder(d1, d2, nnz).close();
        if (json != null) {
            BenchCommand.requireWritable(json, "--json");
        }
    }

    private void run(PrintStream out) throws IOException, InterruptedException {
        Path script = script();
        String unable = script == null ? null : pythonProblem(PYTHON_CHECK, CHECK_LIMIT);
        out.printf("autobalance bench sparse: one iteration, %d x %d, %d drawn entries, %s, η = %s%n", d1, d2, nnz,
                dtype.label(), SparseProblem.ETA);
        out.println("machine: " + Environment.cpuModel() + ", " + Runtime.getRuntime().availableProcessors()
                + " processors; JDK " + Runtime.version() + "; sparse kernels: "
                + KernelProvider.sparseKernels().name());
        out.println("scipy reference: " + (script == null ? "skipped (" + (python ? "bench/sparse/reference.py not "
                + "found" : "--no-python") + ")" : unable != null ? "skipped (" + unable + ")" : script));
        if (unable != null) {
            script = null;
        }
        out.println("load average at start: " + Environment.loadAverage() + "; busiest processes: "
                + Environment.busiestProcesses());
        Map<Integer, RooflineProbe.Ceilings> ceilings = new LinkedHashMap<>();
        for (int t : threadCounts) {
            ceilings.put(t, RooflineProbe.measure(t));
            out.printf("read bandwidth, %d thread%s: %.1f GB/s%n", t, t == 1 ? "" : "s",
                    ceilings.get(t).bytesPerSecond() / 1e9);
        }
        out.println();
        String header = String.format("%-9s %-9s %4s %3s %-10s %9s %9s %9s %8s %8s %9s %9s", "pattern", "objective",
                "r", "thr", "impl", "ms wall", "ms cpu", "floor ms", "of floor", "of strm", "ms scipy", "scipy ×");
        out.println(header);
        out.println("-".repeat(header.length()));
        List<Map<String, Object>> records = new ArrayList<>();
        for (String pattern : patterns) {
            try (SparseMatrix m = SparseProblem.matrix(pattern, dtype, d1, d2, nnz, 1)) {
                for (int r : ranks) {
                    for (String objective : objectives) {
                        for (int t : threadCounts) {
                            double bandwidth = ceilings.get(t).bytesPerSecond();
                            double floorMs = SparseProblem.trafficBytes(m, r) / bandwidth * 1e3;
                            double streamedMs = SparseProblem.streamedBytes(m, r) / bandwidth * 1e3;
                            double[] engine = measure(m, r, t, objective.equals("observed"));
                            Map<String, Object> ref = script == null ? null : reference(script, pattern, r, t,
                                    objective);
                            // compare like with like: CPU time with one thread, wall time with two
                            double ours = t == 1 ? engine[1] : engine[0];
                            double theirs = ref == null ? Double.NaN
                                    : ((Number) ref.get(t == 1 ? "cpu_ms_median" : "ms_median")).doubleValue();
                            out.printf("%-9s %-9s %4d %3d %-10s %9.2f %9s %9.2f %7.0f%% %7.0f%% %9s %9s%n",
                                    pattern, objective, r, t, "engine", engine[0],
                                    t == 1 ? String.format("%.2f", engine[1]) : "-", floorMs, 100 * floorMs / ours,
                                    100 * streamedMs / ours,
                                    ref == null ? "-" : String.format("%.1f", theirs),
                                    ref == null ? "-" : String.format("%.1f", theirs / ours));
                            out.flush();
                            Map<String, Object> rec = new LinkedHashMap<>();
                            rec.put("pattern", pattern);
                            rec.put("objective", objective);
                            rec.put("r", r);
                            rec.put("threads", t);
                            rec.put("nnz", m.nonZeros());
                            rec.put("engine_ms_wall", engine[0]);
                            rec.put("engine_ms_cpu", t == 1 ? engine[1] : Double.NaN);
                            rec.put("floor_ms", floorMs);
                            rec.put("floor_streamed_ms", streamedMs);
                            rec.put("scipy", ref);
                            records.add(rec);
                        }
                    }
                }
            }
        }
        out.println();
        out.println("floor = (nnz·(value + index) + the two factor rows each stored entry gathers + row pointers + "
                + "every d×r array once per use) / read bandwidth; 'of strm': the same without the gathered rows, as "
                + "if they stayed in cache; 'of floor', 'of strm' and 'scipy ×' compare CPU time with 1 thread and "
                + "wall time with 2.");
        out.println("load average at end: " + Environment.loadAverage());
        RooflineProbe.measuredAgain(ceilings, true).forEach(out::println);
        if (json != null) {
            StringBuilder sb = new StringBuilder("[\n");
            for (int i = 0; i < records.size(); i++) {
                sb.append("  ").append(Json.object(records.get(i))).append(i + 1 < records.size() ? ",\n" : "\n");
            }
            Files.writeString(json, sb.append("]\n"), StandardCharsets.UTF_8);
            out.println("wrote " + json);
        }
    }

    /** {median wall ms, median thread CPU ms} of single iterations after the warm-up, from a fresh start. */
    private double[] measure(SparseMatrix m, int r, int threads, boolean observed) {
        var bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (DenseMatrix u = SparseProblem.start(dtype, d1, r, 2);
                DenseMatrix v = SparseProblem.start(dtype, d2, r, 3);
                EngineIteration it = new EngineIteration(KernelProvider.kernels(), KernelProvider.sparseKernels(), m,
                        u, v, threads, observed)) {
            // warm up by this thread's CPU time, not wall time: on a loaded machine a wall-time window may hold so
            // few iterations that C2 has not compiled the kernels yet (and at least WARM_ITERATIONS of them)
            long warmEnd = bean.getCurrentThreadCpuTime() + (long) (warmupSeconds * 1e9);
            int warm = 0;
            while (warm < WARM_ITERATIONS || bean.getCurrentThreadCpuTime() < warmEnd) {
                it.iterate(SparseProblem.ETA);
                warm++;
            }
            List<Double> wall = new ArrayList<>();
            List<Double> cpu = new ArrayList<>();
            long end = bean.getCurrentThreadCpuTime() + (long) (measureSeconds * 1e9);
            while (wall.size() < 10 || (bean.getCurrentThreadCpuTime() < end && wall.size() < 500)) {
                long c0 = bean.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                it.iterate(SparseProblem.ETA);
                wall.add((System.nanoTime() - t0) * 1e-6);
                cpu.add((bean.getCurrentThreadCpuTime() - c0) * 1e-6);
            }
            if (u.firstNonFinite() != null || v.firstNonFinite() != null) {
                throw new IllegalStateException("non-finite factors: the timing is meaningless");
            }
            return new double[] {BenchCommand.median(wall), BenchCommand.median(cpu)};
        }
    }

    /**
     * Why {@code command} (by default {@link #PYTHON_CHECK}) fails, with how to install what is missing; null when it
     * succeeds. Asked once before the cells: each cell started python3 again and printed "scipy reference failed:
     * ModuleNotFoundError: …" (16 times in the default run), and without python3 on the PATH the first cell's
     * "Cannot run program" ended the command, exit code 1, after the engine's first measurement.
     */
    static String pythonProblem(List<String> command, Duration limit) throws InterruptedException {
        String install = "; install them, e.g. 'python3 -m pip install numpy scipy' or 'apt-get install python3-numpy "
                + "python3-scipy', or give --no-python";
        Finished check;
        try {
            check = runFor(new ProcessBuilder(command), limit);
        } catch (IOException e) {
            return command.getFirst() + " was not found (" + e.getMessage().strip() + "); install python3 with numpy "
                    + "and scipy, e.g. 'apt-get install python3-numpy python3-scipy', or give --no-python";
        }
        if (check.exitCode() == null) {
            return command.getFirst() + " did not finish importing numpy and scipy in " + (limit.toSeconds() >= 60
                    ? limit.toMinutes() + " minutes" : limit.toMillis() / 1000.0 + " s") + install;
        }
        if (check.exitCode() == 0) {
            return null;
        }
        return command.getFirst() + " cannot import numpy and scipy (" + check.lastLine("exit code "
                + check.exitCode()) + ")" + install;
    }

    /** A child's output (standard output and error together, stripped) and exit code, null if it ran past its limit. */
    record Finished(String output, Integer exitCode) {
        /** The output's last line (what python prints last: the error, or the reference's JSON), or {@code none}. */
        String lastLine(String none) {
            return output.lines().reduce((a, b) -> b).orElse(none);
        }
    }

    /**
     * Runs {@code pb} for at most {@code limit}, ended by force past it. The output goes to a temporary file, read
     * once the child is gone: read from the pipe, it blocked until the child exited, so the limit could never fire.
     *
     * @throws IOException if the child cannot be started (the program is not found) or its output cannot be read
     */
    static Finished runFor(ProcessBuilder pb, Duration limit) throws IOException, InterruptedException {
        Path log = Files.createTempFile("autobalance-bench-child", ".log");
        try {
            Process p = Children.BENCH.start(pb.redirectErrorStream(true).redirectOutput(log.toFile()));
            Integer exitCode = null;
            if (p.waitFor(limit.toNanos(), TimeUnit.NANOSECONDS)) {
                exitCode = p.exitValue();
            } else {
                p.destroyForcibly().waitFor();
            }
            return new Finished(Files.readString(log, StandardCharsets.UTF_8).strip(), exitCode);
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /** The scipy reference's JSON as a map (numbers as Double), or null when it failed (the reason is printed). */
    private Map<String, Object> reference(Path script, String pattern, int r, int threads, String objective)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("python3", script.toString(), "--pattern", pattern, "--d1",
                String.valueOf(d1), "--d2", String.valueOf(d2), "--nnz", String.valueOf(nnz), "--rank",
                String.valueOf(r), "--objective", objective, "--dtype", dtype.label(), "--reps",
                objective.equals("observed") ? "5" : "15");
        pb.environment().put("OMP_NUM_THREADS", String.valueOf(threads));
        pb.environment().put("OPENBLAS_NUM_THREADS", String.valueOf(threads));
        Finished run = runFor(pb, REFERENCE_LIMIT);
        if (run.exitCode() == null || run.exitCode() != 0) {
            if (Children.BENCH.shuttingDown()) {
                return null; // ended by the command's own signal, not failed
            }
            System.out.println("  scipy reference failed: " + (run.exitCode() == null ? "did not finish in "
                    + REFERENCE_LIMIT.toMinutes() + " minutes" : run.lastLine("")));
            return null;
        }
        String last = run.lastLine("{}");
        @SuppressWarnings("unchecked")
        Map<String, Object> parsed = (Map<String, Object>) Json.parse(last);
        return parsed;
    }

    /** bench/sparse/reference.py beside the benchmarks jar's module, or under the working directory; null if absent. */
    private Path script() {
        if (!python) {
            return null;
        }
        List<Path> candidates = new ArrayList<>();
        try {
            Path jar = Path.of(SparseBenchCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            // bench/target/benchmarks.jar (or bench/target/classes) → bench/sparse/reference.py
            candidates.add(jar.getParent().getParent().resolve("sparse").resolve("reference.py"));
        } catch (java.net.URISyntaxException | RuntimeException e) {
            // no code source location: fall back to the working directory
        }
        candidates.add(Path.of("bench", "sparse", "reference.py"));
        return candidates.stream().filter(Files::isRegularFile).findFirst().orElse(null);
    }
}
