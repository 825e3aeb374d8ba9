package org.autobalance.bench.baseline;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.autobalance.io.internal.AtomicFile;
import org.autobalance.io.internal.FileChecks;
import org.autobalance.kernel.EngineProperties;
import org.autobalance.kernel.JitQueue;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.NativeMemory;
import org.autobalance.parallel.ParallelPass;
import org.autobalance.json.Json;

/**
 * {@code ./autobalance bench}: the engine's iteration and the BLAS/EJML baselines side by side, on the same inputs,
 * with the roofline floor measured in the same run. A plain main rather than JMH so that it answers in minutes:
 * every implementation is warmed up for a fixed time, then each iteration is timed on its own and the median is
 * reported (the median shrugs off the spikes a shared machine adds). For publishable numbers use the JMH benchmark
 * {@link BaselineIterationBenchmark} and {@code bench report}.
 *
 * <pre>
 * ./autobalance bench [--quick] [--json FILE] [--dtype float32,float64] [--size D | --shape D1xD2]
 *                     [--rank 1,16,64] [--threads 1,2] [--impl autobalance,openblas-gram,...]
 *                     [--warmup S] [--measure S]
 * ./autobalance bench --sequence [--quick] [--rank 1,2,3,4,8,16,64,1] [--dtype ...] [--threads ...] [--size D] ...
 * ./autobalance bench report JMH.json... [--out DIR] [--command TEXT]
 * ./autobalance bench sparse [options]     (see {@link SparseBenchCommand})
 * </pre>
 */
public final class BenchCommand {
    private List<DType> dtypes = List.of(DType.FLOAT32, DType.FLOAT64);
    private int d1 = 4096;
    private int d2 = 4096;
    private int[] ranks = {1, 16, 64};
    private int[] threadCounts = {1, 2};
    private List<String> impls = new ArrayList<>(GdIteration.NAMES);
    private double warmupSeconds = 2.0;
    private double measureSeconds = 3.0;
    private Path json;
    /** {@code --sequence}: {@link SequenceBench} instead of the baseline table. */
    private boolean sequence;
    /**
     * {@code --quick}: float32 and shorter windows, where {@code --dtype}, {@code --warmup}, {@code --measure} are not
     * given.
     */
    private boolean quick;
    /** {@code --alone-cell DTYPE,R,THREADS}: the fresh JVM of one {@link SequenceBench} cell (internal). */
    private AloneCell aloneCell;
    private boolean help;
    /** The options given, each at most once. */
    private final Set<String> given = new HashSet<>();

    /** One cell of {@link SequenceBench}, run alone in this JVM. */
    private record AloneCell(DType dtype, int r, int threads) {
    }

    /**
     * One measured line of the table; {@code cpuMsPerIter} is NaN where the calling thread does not do all the work
     * (more than one thread) or the JVM does not measure thread CPU time.
     */
    record Row(String impl, DType dtype, int d1, int d2, int r, int threads, double msPerIter, double cpuMsPerIter,
            double floorMs, FloorBasis basis) {
        double gflops() {
            return 4.0 * d1 * d2 * r / (msPerIter * 1e-3) / 1e9;
        }
    }

    /**
     * What a cell's floor was computed from: the read rate of a matrix of M's size swept again and again
     * ({@link RooflineProbe#readMatrix}), whether that read (rather than the FMAs) bounds the cell, and the rate of
     * the 256 MiB sweep beside it (DRAM's where the cache holds less; not necessarily DRAM's: kernels.md §31.2), all
     * in bytes per second.
     */
    record FloorBasis(double readBytesPerSecond, boolean readBound, double read256MiBBytesPerSecond) {
    }

    public static void main(String[] args) {
        // numbers in the results are read by scripts: 1.5e-03, never the locale's 1,5e-03 (a German LANG gave
        // "relative error 9,999999e-01"); all categories, as PrintWriter.printf formats in Locale.getDefault()
        Locale.setDefault(Locale.ROOT);
        // a SIGTERM to this process alone (timeout(1), kill PID) left the fresh JVMs of --sequence and the scipy
        // reference of bench sparse running (see Children)
        Runtime.getRuntime().addShutdownHook(new Thread(Children.BENCH::endAll, "bench-children"));
        int code = execute(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    /**
     * Runs {@code bench} (or {@code bench report}, {@code bench sparse}) with {@code args}: a mistake in the options
     * or the inputs is one line "autobalance: error: bench: …" on standard error and exit code 2, as the command line's
     * are (its prefix, which scripts match, was missing), and is found
     * before anything is measured (the probes alone take seconds, a run minutes). Returns the exit code.
     */
    static int execute(String... args) {
        String name = args.length > 0 && (args[0].equals("report") || args[0].equals("sparse"))
                ? "bench " + args[0] : "bench";
        try {
            if (name.equals("bench report")) {
                return BaselineReport.execute(Arrays.copyOfRange(args, 1, args.length));
            }
            if (name.equals("bench sparse")) {
                try {
                    return SparseBenchCommand.execute(Arrays.copyOfRange(args, 1, args.length));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return 130;
                }
            }
            BenchCommand command = parsed(args);
            if (command.help) {
                System.out.println(USAGE);
                return 0;
            }
            // the engine's -D properties before the header line and the probes: a bad one was the line after them
            EngineProperties.check();
            command.execute();
            return 0;
        } catch (IllegalArgumentException e) {
            // one line whatever a file name in it holds (control characters escaped, as the command line does)
            System.err.println(FileChecks.printable(ERROR + name + ": " + e.getMessage()));
            return 2;
        } catch (IOException e) {
            if (Children.BENCH.shuttingDown()) {
                // a fresh JVM or a probe ended by the signal that ends this JVM: not a failure of its own
                return 1;
            }
            // a file that could not be written after the run (a full disk): one line, as for a mistake, not a stack
            // trace; the tables printed before it hold the measurements
            System.err.println(FileChecks.printable(ERROR + name + ": " + (e instanceof FileSystemException f
                    && f.getFile() != null ? f.getFile() + ": " : "") + FileChecks.reason(e)));
            return 1;
        }
    }

    private void execute() throws IOException {
        if (aloneCell != null) {
            SequenceBench.aloneCell(aloneCell.dtype(), d1, d2, aloneCell.r(), aloneCell.threads(), warmupSeconds,
                    measureSeconds, new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)),
                    System.out);
        } else if (sequence) {
            List<SequenceBench.Result> results = SequenceBench.run(dtypes, d1, d2,
                    given.contains("--rank") ? ranks : SequenceBench.RANKS, threadCounts, warmupSeconds,
                    measureSeconds, System.out);
            if (json != null) {
                writeAtomically(json, SequenceBench.json(results));
                System.out.println("wrote " + json);
            }
        } else {
            run(System.out);
        }
    }

    /** The first words of every error line of the command line's commands, {@code bench} among them. */
    private static final String ERROR = "autobalance: error: ";
    private static final String USAGE = """
            usage: ./autobalance bench [--quick] [--json FILE] [--dtype float32,float64] [--size D | --shape D1xD2] \
            [--rank 1,16,64] [--threads 1,2] [--impl %s] [--warmup S] [--measure S]
                   ./autobalance bench --sequence [--quick] [--rank 1,2,3,4,8,16,64,1] [--dtype ...] [--threads ...] \
            [--size D | --shape D1xD2] [--warmup S] [--measure S] [--json FILE]
                   ./autobalance bench report JMH.json... [--out DIR] [--name NAME] [--command TEXT]
                   ./autobalance bench sparse [--help]
                   ./autobalance bench e2e [--help]

            bench: one gradient-descent iteration of the engine and of the same step done with OpenBLAS and EJML, \
            median ms per iteration against the roofline floor measured in the same run, and at one thread the \
            CPU time per iteration (--quick: float32 only, \
            1.5 s warm-up and 2 s measured per cell instead of 2 and 3, about 2 minutes; a --dtype, --warmup or \
            --measure given with it takes precedence, in any order).
            bench --sequence: one JVM through a sequence of ranks against each cell alone in a fresh JVM (--quick: \
            the float32 cells, with the shorter windows).
            bench report: the Markdown report and chart of a JMH run of BaselineIterationBenchmark (-rf json).
            bench sparse: the sparse engine's iteration against scipy.sparse.
            bench e2e: whole processes, .npy in to .npy out, against the same algorithm in numpy.
            Each option at most once; a list is comma-separated, each item once. The README's "Against BLAS" \
            section has the details.""".formatted(String.join(",", GdIteration.NAMES));

    /** The options of {@code args}, checked as far as they can be before anything runs. */
    static BenchCommand parsed(String... args) {
        BenchCommand command = new BenchCommand();
        command.parse(args);
        if (!command.help) {
            command.check();
        }
        return command;
    }

    private void parse(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--quick" -> quick = true;
                case "--json" -> json = path(args, ++i, a);
                case "--dtype" -> dtypes = dtypes(value(args, ++i, a), a);
                case "--size" -> d1 = d2 = positive(value(args, ++i, a), a);
                case "--shape" -> {
                    int[] shape = shape(value(args, ++i, a), a);
                    d1 = shape[0];
                    d2 = shape[1];
                }
                case "--rank" -> ranks = ints(value(args, ++i, a), a);
                case "--sequence" -> sequence = true;
                case "--alone-cell" -> aloneCell = aloneCell(value(args, ++i, a), a);
                case "--warmup" -> warmupSeconds = seconds(value(args, ++i, a), a);
                case "--measure" -> measureSeconds = seconds(value(args, ++i, a), a);
                case "--threads" -> threadCounts = ints(value(args, ++i, a), a);
                case "--impl" -> {
                    impls = items(value(args, ++i, a), a);
                    for (String impl : impls) {
                        if (!GdIteration.NAMES.contains(impl)) {
                            throw new IllegalArgumentException("unknown --impl " + impl + ", expected "
                                    + GdIteration.NAMES);
                        }
                    }
                }
                case "--help", "-h" -> help = true;
                default -> throw unknown(a);
            }
            once(given, a);
        }
        if (quick) {
            // a preset of defaults: what the user spelt out wins, whichever comes first ("--dtype float64 --quick"
            // was an empty list of dtypes, a run that measured nothing)
            dtypes = given.contains("--dtype") ? dtypes : List.of(DType.FLOAT32);
            warmupSeconds = given.contains("--warmup") ? warmupSeconds : 1.5;
            measureSeconds = given.contains("--measure") ? measureSeconds : 2.0;
        }
    }

    /** What the options ask for, against each other and the machine. */
    private void check() {
        if (given.contains("--size") && given.contains("--shape")) {
            // one of them was taken without a word
            throw new IllegalArgumentException("--size and --shape exclude each other (--size D is --shape DxD)");
        }
        // --impl autobalance names what the sequence times anyway: taken, as before the refusal
        if (sequence && given.contains("--impl") && !impls.equals(List.of("autobalance"))) {
            throw new IllegalArgumentException("--impl: --sequence times the engine alone (autobalance), not the "
                    + "baselines");
        }
        distinct(impls, "--impl");
        requireThreads(threadCounts);
        if (!sequence) {
            // the sequence goes back to a rank on purpose (1,…,64,1: the first shape after the others); the table
            // would only measure the same cell twice
            distinct(Arrays.stream(ranks).boxed().toList(), "--rank");
        }
        for (int r : ranks) {
            if (r > Math.min(d1, d2)) {
                throw new IllegalArgumentException("--rank " + r + " outside [1, min(d1, d2)] = [1, "
                        + Math.min(d1, d2) + "]");
            }
        }
        // M in the widest dtype asked for; the factors and the baselines' scratch are a few d × r more
        DType widest = dtypes.contains(DType.FLOAT64) ? DType.FLOAT64 : DType.FLOAT32;
        NativeMemory.requireRoom((long) d1 * DenseMatrix.strideOf(widest, d2) * widest.bytes(),
                () -> "benchmark a " + d1 + " x " + d2 + " " + widest.label() + " matrix");
        if (json != null) {
            requireWritable(json, "--json");
        }
    }

    /** The dtypes to measure, {@code --quick} applied. */
    List<DType> dtypes() {
        return dtypes;
    }

    /** The ranks as given (or the default). */
    int[] ranks() {
        return ranks;
    }

    /** The warm-up and measurement windows in seconds, {@code --quick} applied. */
    double[] windows() {
        return new double[] {warmupSeconds, measureSeconds};
    }

    /**
     * {@code --threads}' list: each count once and one the engine takes (--threads 1025 ran the ceiling probe with
     * 1025 threads, minutes on two cores, before the engine refused the count).
     */
    static void requireThreads(int[] counts) {
        distinct(Arrays.stream(counts).boxed().toList(), "--threads");
        for (int t : counts) {
            if (t > ParallelPass.MAX_THREADS) {
                throw new IllegalArgumentException("--threads " + t + ": the engine runs at most "
                        + ParallelPass.MAX_THREADS + " threads");
            }
        }
    }

    /** Records {@code option} as given, or fails if it was: one of two values would be dropped without a word. */
    static void once(Set<String> given, String option) {
        if (!given.add(option)) {
            throw new IllegalArgumentException(option + " given twice");
        }
    }

    /** The refusal of a word that is not an option of the command. */
    static IllegalArgumentException unknown(String word) {
        String property = EngineProperties.systemPropertyHint(List.of(word));
        return new IllegalArgumentException((word.startsWith("-") ? "unknown option '" + word + "'"
                : "unexpected argument '" + word + "': a value follows its option's name")
                + (property == null ? "" : "; " + property) + " (try --help)");
    }

    /**
     * The items of a comma-separated list, trimmed; an empty item ({@code float32,}: a stray comma, which was dropped)
     * is refused, naming {@code option}.
     */
    static List<String> items(String csv, String option) {
        List<String> items = Arrays.stream(csv.split(",", -1)).map(String::trim).toList();
        if (items.contains("")) {
            throw new IllegalArgumentException(option + " '" + csv + "': an empty item (a stray comma?)");
        }
        return items;
    }

    /** Fails, naming {@code option}, if a list names an item twice. */
    static void distinct(List<?> items, String option) {
        if (new HashSet<>(items).size() < items.size()) {
            throw new IllegalArgumentException(option + " " + items.stream().map(String::valueOf)
                    .collect(Collectors.joining(",")) + ": an item given twice");
        }
    }

    /** {@code --dtype}'s list: float32, float64 or both, each once. */
    static List<DType> dtypes(String csv, String option) {
        List<DType> dtypes = new ArrayList<>();
        for (String item : items(csv, option)) {
            try {
                dtypes.add(DType.parse(item));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
            }
        }
        distinct(dtypes.stream().map(DType::label).toList(), option);
        return List.copyOf(dtypes);
    }

    /** {@code --alone-cell DTYPE,R,THREADS}, as {@link SequenceBench} writes it. */
    private static AloneCell aloneCell(String text, String option) {
        List<String> f = items(text, option);
        if (f.size() != 3) {
            throw new IllegalArgumentException(option + " needs DTYPE,R,THREADS, got '" + text + "'");
        }
        return new AloneCell(dtypes(f.get(0), option).getFirst(), positive(f.get(1), option),
                positive(f.get(2), option));
    }

    /**
     * Fails, naming {@code option}, unless a file can be written at {@code target} (its directory, made by the write
     * if missing, checked as the command line checks its outputs): the results would otherwise be lost at the end of
     * a run of minutes.
     */
    static void requireWritable(Path target, String option) {
        if (Files.isDirectory(target)) {
            throw new IllegalArgumentException(option + " " + target + ": is a directory");
        }
        if (Files.exists(target) && !Files.isRegularFile(target)) {
            // the results are written beside the target and renamed over it: as root, --json /dev/full replaced the
            // device node with a regular file for every process of the machine (and /dev/null would have gone too)
            throw new IllegalArgumentException(option + " " + target + ": is not a regular file (a device, a pipe or "
                    + "a socket): the results, written beside it and renamed over it, would replace it; give a file "
                    + "name");
        }
        FileChecks.requireWritableDirectory(option + " " + target + ": its directory",
                target.toAbsolutePath().getParent());
    }

    static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    /** {@code option}'s value as a path, refused as {@link FileChecks#path} refuses one, naming the option. */
    static Path path(String[] args, int i, String option) {
        String text = value(args, i, option);
        try {
            return FileChecks.path(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + " " + e.getMessage(), e);
        }
    }

    static double seconds(String text, String option) {
        double x;
        try {
            x = Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " needs a number of seconds, got '" + text + "'");
        }
        if (!(x > 0) || Double.isInfinite(x)) {
            throw new IllegalArgumentException(option + " must be a positive number of seconds, got " + text);
        }
        return x;
    }

    /** A positive int, or a message naming {@code option}. */
    static int positive(String text, String option) {
        return (int) positive(text, option, Integer.MAX_VALUE);
    }

    /** A positive integer up to {@code max}, or a message naming {@code option}. */
    static long positive(String text, String option, long max) {
        long x;
        try {
            x = Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            x = 0;
        }
        if (x < 1 || x > max) {
            throw new IllegalArgumentException(option + " needs a positive integer up to " + max + ", got '" + text
                    + "'");
        }
        return x;
    }

    /** Comma-separated positive ints. */
    static int[] ints(String csv, String option) {
        return items(csv, option).stream().mapToInt(x -> positive(x, option)).toArray();
    }

    /** {@code D1xD2}. */
    static int[] shape(String text, String option) {
        String[] p = text.toLowerCase(Locale.ROOT).split("x", -1);
        if (p.length != 2) {
            throw new IllegalArgumentException(option + " needs D1xD2, e.g. 4096x2048, got '" + text + "'");
        }
        return new int[] {positive(p[0], option), positive(p[1], option)};
    }

    private void run(PrintStream out) throws IOException {
        out.printf("autobalance bench: one gradient-descent iteration, %d x %d, η = %s, median of single-iteration "
                + "times after %.1f s warm-up%n", d1, d2, BenchProblem.ETA, warmupSeconds);
        out.println("machine: " + Environment.cpuModel() + ", " + Runtime.getRuntime().availableProcessors()
                + " processors; JDK " + Runtime.version() + "; engine kernels: " + KernelProvider.kernels().name());
        out.println("OpenBLAS: " + (OpenBlas.available() ? OpenBlas.describe() : "NOT AVAILABLE — "
                + OpenBlas.unavailableReason() + "; its rows are skipped"));
        out.println("load average at start: " + Environment.loadAverage() + "; busiest processes: "
                + Environment.busiestProcesses());

        Map<Integer, RooflineProbe.Ceilings> ceilings = new LinkedHashMap<>();
        for (int t : threadCounts) {
            RooflineProbe.Ceilings c = RooflineProbe.measure(t);
            ceilings.put(t, c);
            out.printf("ceilings, %d thread%s: read 256 MiB %.1f GB/s (%s; IQR %.1f %% of it), "
                    + "float32 FMA %.1f GFLOP/s, float64 FMA %.1f GFLOP/s%n", t, t == 1 ? "" : "s",
                    c.bytesPerSecond() / 1e9, sweeps(c.readSweeps()), 100 * c.readSpread(),
                    c.float32FlopsPerSecond() / 1e9, c.float64FlopsPerSecond() / 1e9);
        }
        // the floor's read: a matrix of M's size read again and again, as the iterations read M; where M fits a
        // cache (64 MiB on the Intel host, whose cache holds ~64 MiB: measured, kernels.md §31.2) that is faster than
        // the 256 MiB sweep's DRAM rate, and a floor from the DRAM rate was below the iteration's reach
        Map<DType, Map<Integer, RooflineProbe.Read>> reads = new LinkedHashMap<>();
        for (DType dtype : dtypes) {
            Map<Integer, RooflineProbe.Read> byThreads = new LinkedHashMap<>();
            StringBuilder line = new StringBuilder(String.format("read of M (%s, %.1f MiB) again and again, the "
                    + "floor's bandwidth:", dtype.label(), (double) d1 * d2 * dtype.bytes() / (1 << 20)));
            for (int t : threadCounts) {
                RooflineProbe.Read read = RooflineProbe.readMatrix(dtype, d1, d2, t);
                byThreads.put(t, read);
                line.append(String.format("%s %d thread%s %.1f GB/s (%s; IQR %.1f %%; %.2f× the 256 MiB read)",
                        t == threadCounts[0] ? "" : ";", t, t == 1 ? "" : "s", read.bytesPerSecond() / 1e9,
                        sweeps(read.sweeps()), 100 * read.spread(),
                        read.bytesPerSecond() / ceilings.get(t).bytesPerSecond()));
            }
            reads.put(dtype, byThreads);
            out.println(line);
        }
        RooflineProbe.Ceilings one = ceilings.get(1);
        for (RooflineProbe.Ceilings c : ceilings.values()) {
            String note = one == null ? null
                    : RooflineProbe.unscaledPeakNote(one, c, Runtime.getRuntime().availableProcessors());
            if (note != null) {
                out.println(note);
            }
        }
        out.println();

        List<Row> rows = new ArrayList<>();
        String header = String.format("%-18s %-7s %4s %7s %12s %9s %9s %8s %9s %10s", "impl", "dtype", "r",
                "threads", "ms/iter", "cpu ms", "GFLOP/s", "floor ms", "of floor", "engine ×");
        out.println(header);
        out.println("-".repeat(header.length()));
        for (DType dtype : dtypes) {
            try (DenseMatrix m = BenchProblem.data(dtype, d1, d2, 1)) {
                for (int r : ranks) {
                    try (DenseMatrix u0 = BenchProblem.start(dtype, d1, r, 2);
                            DenseMatrix v0 = BenchProblem.start(dtype, d2, r, 3)) {
                        for (int t : threadCounts) {
                            RooflineProbe.Ceilings c = ceilings.get(t);
                            RooflineProbe.Read read = reads.get(dtype).get(t);
                            double floorMs = c.floorSeconds(dtype, d1, d2, r, read) * 1e3;
                            FloorBasis basis = new FloorBasis(read.bytesPerSecond(),
                                    c.readBound(dtype, d1, d2, r, read), c.bytesPerSecond());
                            List<Row> group = new ArrayList<>();
                            for (String impl : impls) {
                                String why = GdIteration.unavailableReason(impl);
                                if (why != null) {
                                    out.printf("%-18s %-7s %4d %7d   skipped: %s%n", impl, dtype.label(), r, t, why);
                                    continue;
                                }
                                Timing timing = measure(impl, m, u0, v0, t, warmupSeconds, measureSeconds);
                                group.add(new Row(impl, dtype, d1, d2, r, t, timing.medianMs(), timing.cpuMedianMs(),
                                        floorMs, basis));
                            }
                            Row engine = group.stream().filter(x -> x.impl().equals("autobalance")).findFirst()
                                    .orElse(null);
                            for (Row row : group) {
                                String speedUp = engine == null || row == engine ? ""
                                        : String.format("%.2f", row.msPerIter() / engine.msPerIter());
                                String cpu = Double.isNaN(row.cpuMsPerIter()) ? ""
                                        : String.format("%.2f", row.cpuMsPerIter());
                                out.printf("%-18s %-7s %4d %7d %12.2f %9s %9.1f %8.2f %8.0f%% %10s%n", row.impl(),
                                        dtype.label(), r, t, row.msPerIter(), cpu, row.gflops(), floorMs,
                                        100 * floorMs / row.msPerIter(), speedUp);
                            }
                            out.flush();
                            rows.addAll(group);
                        }
                    }
                }
            }
        }
        out.println();
        out.println("GFLOP/s counts 4·d1·d2·r flops per iteration for every form (the textbook form does 6·d1·d2·r);"
                + " 'of floor' = floor / time; 'engine ×' = baseline time / engine time (> 1: the engine is faster).");
        out.println("floor ms = max(d1·d2·bytes / the read of M again and again, 4·d1·d2·r / FMA peak): the read of a "
                + "matrix of M's size is what bounds iterations that read M again and again, from whichever cache "
                + "level holds it; the 256 MiB read is DRAM's where the last-level cache is smaller.");
        out.println("ms/iter is the median wall time; 'cpu ms' (one thread only) the median of the timing thread's "
                + "CPU time per iteration over the same iterations: on a busy machine the wall time also counts the "
                + "time the thread waited for a core.");
        out.println("load average at end: " + Environment.loadAverage() + "; busiest processes: "
                + Environment.busiestProcesses());
        RooflineProbe.measuredAgain(ceilings, false).forEach(out::println);
        if (json != null) {
            writeJson(rows, json);
            out.println("wrote " + json);
        }
    }

    /** How a read rate was timed (see {@link RooflineProbe.Read#sweeps}). */
    private static String sweeps(int n) {
        return n > 0 ? "median of " + n + " sweeps" : "threads seldom on cores together: per-thread CPU times, an "
                + "upper bound";
    }

    /**
     * Median and shortest wall time of one iteration, in ms, and the median CPU time of the calling thread per
     * iteration over the same iterations (NaN where not measured).
     */
    record Timing(double medianMs, double bestMs, double cpuMedianMs) {
        static Timing of(List<Double> samplesMs) {
            return of(samplesMs, Double.NaN);
        }

        static Timing of(List<Double> samplesMs, double cpuMedianMs) {
            return new Timing(median(samplesMs), samplesMs.stream().mapToDouble(Double::doubleValue).min()
                    .orElseThrow(), cpuMedianMs);
        }
    }

    /**
     * Times one iteration of {@code impl} after a warm-up ({@link #warmUp}), then single iterations for
     * {@code measureSeconds} (at least 3, at most {@value #MAX_SAMPLES}); U and V start from U₀, V₀ every time.
     * The CPU median is NaN above one thread (the other threads' work is not the calling thread's CPU time) and where
     * the JVM does not measure thread CPU time.
     */
    static Timing measure(String impl, DenseMatrix m, DenseMatrix u0, DenseMatrix v0, int threads,
            double warmupSeconds, double measureSeconds) {
        try (DenseMatrix u = u0.copy(u0.dtype());
                DenseMatrix v = v0.copy(v0.dtype());
                GdIteration it = GdIteration.create(impl, m, u, v, threads)) {
            warmUp(it, warmupSeconds);
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            // a JVM with thread CPU time switched off reads -1 each time: zero deltas, not a measurement
            boolean cpuTimed = threads == 1 && mx.isCurrentThreadCpuTimeSupported() && mx.isThreadCpuTimeEnabled();
            List<Double> cpuMs = cpuTimed ? new ArrayList<>() : null;
            List<Double> samples = sample(it, measureSeconds, MAX_SAMPLES, cpuMs);
            requireFinite(it, u, v);
            return Timing.of(samples, cpuTimed ? median(cpuMs) : Double.NaN);
        }
    }

    /**
     * Runs iterations for {@code warmupSeconds} and then until the JIT has settled ({@link JitQueue#busyWithKernels()}
     * false for {@value #SETTLE_ITERATIONS} iterations in a row and for a quarter of {@code warmupSeconds}: at small
     * sizes 8 iterations fit between two compilations), at most {@value #WARMUP_CAP}× as long: in a fresh JVM on a busy
     * machine the compiled kernels can take many seconds to arrive, and a fixed warm-up would time the interpreter.
     */
    static void warmUp(GdIteration it, double warmupSeconds) {
        long start = System.nanoTime();
        long warmEnd = start + (long) (warmupSeconds * 1e9);
        long capEnd = start + (long) (WARMUP_CAP * warmupSeconds * 1e9);
        long quietNanos = (long) (warmupSeconds / 4 * 1e9);
        int quiet = 0;
        long quietSince = start;
        while (System.nanoTime() < capEnd && (System.nanoTime() < warmEnd || quiet < SETTLE_ITERATIONS
                || System.nanoTime() - quietSince < quietNanos)) {
            it.iterate(BenchProblem.ETA);
            if (JitQueue.busyWithKernels()) {
                quiet = 0;
                quietSince = System.nanoTime();
            } else {
                quiet++;
            }
        }
    }

    /** The wall time, in ms, of single iterations for {@code seconds}: at least 3, at most {@code maxSamples}. */
    static List<Double> sample(GdIteration it, double seconds, int maxSamples) {
        return sample(it, seconds, maxSamples, null);
    }

    /**
     * {@link #sample(GdIteration, double, int)}, and where {@code cpuMs} is not null the calling thread's CPU time of
     * each of the same iterations appended to it, in ms. The CPU clock is read outside the wall clock's reads, so the
     * wall time does not carry the CPU clock's cost (a system call, about a microsecond).
     */
    static List<Double> sample(GdIteration it, double seconds, int maxSamples, List<Double> cpuMs) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        List<Double> samples = new ArrayList<>();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (samples.size() < 3 || (System.nanoTime() < end && samples.size() < maxSamples)) {
            long c0 = cpuMs == null ? 0 : mx.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            it.iterate(BenchProblem.ETA);
            long t1 = System.nanoTime();
            if (cpuMs != null) {
                cpuMs.add((mx.getCurrentThreadCpuTime() - c0) * 1e-6);
            }
            samples.add((t1 - t0) * 1e-6);
        }
        return samples;
    }

    /** The self-check of a timing: a run that produced NaN or Inf timed something else (and NaN arithmetic is slow). */
    static void requireFinite(GdIteration it, DenseMatrix u, DenseMatrix v) {
        it.syncFactors();
        if (u.firstNonFinite() != null || v.firstNonFinite() != null) {
            throw new IllegalStateException(it.name() + " produced non-finite factors: its timing is meaningless");
        }
    }

    /** The most timed iterations of one measurement. */
    static final int MAX_SAMPLES = 500;

    /** The longest warm-up, as a multiple of the requested one. */
    private static final int WARMUP_CAP = 10;
    /** Iterations in a row without a kernel in the JIT's queue before the warm-up may end. */
    private static final int SETTLE_ITERATIONS = 8;

    static double median(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = a.length;
        return n % 2 == 1 ? a[n / 2] : 0.5 * (a[n / 2 - 1] + a[n / 2]);
    }

    /** The records as a JSON list, written beside the target and renamed over it (never a torn file). */
    static void writeJson(List<Row> rows, Path target) throws IOException {
        StringBuilder sb = new StringBuilder("[\n");
        for (int i = 0; i < rows.size(); i++) {
            Row row = rows.get(i);
            Map<String, Object> rec = new LinkedHashMap<>();
            rec.put("impl", row.impl());
            rec.put("dtype", row.dtype().label());
            rec.put("d1", row.d1());
            rec.put("d2", row.d2());
            rec.put("r", row.r());
            rec.put("threads", row.threads());
            rec.put("ms_per_iter", row.msPerIter());
            rec.put("cpu_ms_per_iter", row.cpuMsPerIter()); // null (NaN) where not measured
            rec.put("floor_ms", row.floorMs());
            rec.put("floor_bound", row.basis().readBound() ? "read" : "fma");
            rec.put("floor_read_gb_per_s", row.basis().readBytesPerSecond() / 1e9);
            rec.put("read_256mib_gb_per_s", row.basis().read256MiBBytesPerSecond() / 1e9);
            rec.put("gflops", row.gflops());
            sb.append("  ").append(Json.object(rec)).append(i + 1 < rows.size() ? ",\n" : "\n");
        }
        sb.append("]\n");
        writeAtomically(target, sb.toString());
    }

    /** Writes {@code text} beside the target and renames it over the target (never a torn file). */
    static void writeAtomically(Path target, String text) throws IOException {
        Path abs = target.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        AtomicFile.replace(abs, text.getBytes(StandardCharsets.UTF_8));
    }
}
