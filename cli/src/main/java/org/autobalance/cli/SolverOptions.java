package org.autobalance.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.autobalance.io.DelimitedText;
import org.autobalance.io.MatrixMarket;
import org.autobalance.io.Npy;
import org.autobalance.io.Npz;
import org.autobalance.io.internal.FileChecks;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.parallel.ParallelPass;
import org.autobalance.schedule.StepSchedule;
import org.autobalance.solve.Factorizer;
import org.autobalance.solve.Initializer;
import org.autobalance.solve.Variant;
import org.autobalance.solve.internal.IterationMonitor;
import picocli.CommandLine.Option;

/**
 * The options that configure a solver run, shared by {@code factorize}, {@code demo} and the Spark module's
 * {@code spark-factorize} (a picocli mixin; the accessors parse, and throw {@link UsageException} naming the option).
 */
public final class SolverOptions {
    @Option(names = "--dtype", paramLabel = "float32|float64", defaultValue = "float64",
            description = "Precision of the computation (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--schedule", paramLabel = "SPEC", defaultValue = "auto",
            description = {"Step sizes: auto[:C] (eta = C/sigma1(M), C default 0.5), constant:ETA, "
                    + "decay:ETA0,DELTA (eta_t = ETA0/(t+1)^(1/2+DELTA), 0 < DELTA <= 1/2), or theory:EPS,DELTA "
                    + "(the decay whose summed balance drift is at most EPS/2: ETA0 = c/sigma1 with "
                    + "c = sqrt(EPS/(4r(1+sqrt r)(1+1/(2 DELTA)) sigma1))). Default: ${DEFAULT-VALUE}.",
                "auto backs off: when the loss becomes non-finite or exceeds twice max(|M|^2/2, L_0), or has not "
                    + "come within twice its lowest for max(1000, half the run) iterations, the factors go back to "
                    + "the start and eta halves (summary: step_halved_at; 30 halvings at most, then the run fails as "
                    + "diverged). The others run as given."})
    String schedule;

    @Option(names = "--variant", paramLabel = "SPEC", defaultValue = "simultaneous",
            description = {"Gradient method: simultaneous (Du, Hu & Lee), alternating (Ward & Kolda: V's step uses "
                    + "the new U; two passes over M per iteration), or regularized[:LAMBDA] (GD on "
                    + "f + LAMBDA/4 |U'U - V'V|_F^2, LAMBDA default 0.5; the logged loss stays f; with LAMBDA "
                    + "> 0.5 the auto and theory steps take 2*LAMBDA*sigma1 for sigma1, the regulariser's curvature: "
                    + "auto's step is divided by 2*LAMBDA, theory's ETA0 by (2*LAMBDA)^1.5). "
                    + "Default: ${DEFAULT-VALUE}."})
    String variant;

    @Option(names = "--init", paramLabel = "SPEC", defaultValue = "small",
            description = {"Starting factors: small[:SCALE] (i.i.d. Gaussian, standard deviation SCALE, default "
                    + "1e-3*sqrt(sigma1/max(d1,d2))), balanced[:SCALE] (U0'U0 = V0'V0 exactly), ward-kolda[:C,D] "
                    + "(U0 = M Phi/(sqrt(eta) C sigma1), V0 = sqrt(eta) D sigma1 Psi; C = 4, D = C/9), "
                    + "or file:U0.mtx,V0.mtx (Matrix Market, .npy, or .csv/.tsv/.txt/.dat delimited text files, by "
                    + "extension). "
                    + "Default: ${DEFAULT-VALUE}."})
    String init;

    @Option(names = "--max-iter", paramLabel = "N", defaultValue = "10000",
            description = "Iteration limit (default: ${DEFAULT-VALUE}).")
    long maxIterations;

    @Option(names = "--tol", paramLabel = "EPS",
            description = {"Stop when |grad f| <= EPS*|M|*sqrt(|U|^2+|V|^2) (Frobenius norms) and, for a full "
                    + "M, the weakest learned singular value s of UV' is fitted as well: |grad f| <= sqrt(2s)*"
                    + "max(sqrt(k)*EPS*|M|, sqrt(EPS)*|M - UV'|) (k learned directions), at a minimiser "
                    + "(not a saddle plateau). 0 turns the test off: the run ends at --max-iter, or earlier where a "
                    + "step no longer changes U and V (stalled). Default: 1.0536712127723509e-8 (the square root of "
                    + "float64's unit roundoff 2^-53; in full, as a --resume compares it exactly) in float64, 1e-5 in "
                    + "float32."})
    Double tolerance;

    @Option(names = "--max-seconds", paramLabel = "S",
            description = "Stop after S seconds of iterations (checked after every iteration). Default: no limit "
                    + "(inf says so too).")
    String maxSeconds;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42",
            description = "Seed of the random start and of the sigma1 estimate (and of factorize's --holdout draw; "
                    + "default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", paramLabel = "T",
            description = "Worker threads (default: the number of processors). Results are bit-for-bit "
                    + "reproducible for a fixed seed, dtype and thread count.")
    Integer threads;

    /**
     * Where the notes of reading the {@code --init} files go (a skipped header line): standard error unless the
     * command sends them to its output with {@link #notesTo}.
     */
    private Consumer<String> notes = System.err::println;

    public DType dtype() {
        try {
            return DType.parse(dtype);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--dtype: " + e.getMessage(), e);
        }
    }

    /**
     * A path inside an option's value ({@code --init file:U0,V0}, {@code --data X,Y}): picocli converts only whole
     * values, so an unexpanded ~ there is refused here, as {@link Main#path} refuses it in a path option.
     */
    static Path path(String option, String text) {
        try {
            return FileChecks.path(text);
        } catch (IllegalArgumentException e) {
            throw new UsageException(option + ": " + e.getMessage(), null);
        }
    }

    /**
     * Checks every option that does not depend on M (its spellings and ranges, by the same checks the builder makes),
     * so that a mistyped option is reported before M is read, not after minutes of reading it. Returns this.
     */
    public SolverOptions validate() {
        dtype();
        schedule();
        variant();
        if (init.startsWith("file:")) {
            // the factors are read after M (their shapes are checked against it), but a name that cannot be read
            // should not cost the time of a long load
            List<Path> files = startFiles();
            requireFile("--init: U0 ", files.get(0));
            requireFile("--init: V0 ", files.get(1));
            refuseNpz(files.get(0), "U0");
            refuseNpz(files.get(1), "V0");
        } else {
            requireRepresentableStart(option("--init", () -> Initializer.parse(init)), dtype());
        }
        checkLimits(maxIterations, tolerance, threads);
        timeLimit();
        return this;
    }

    /**
     * Refuses a file read after M ({@code --init} factors, {@code --test} entries) that is missing or a directory,
     * before M is read: such a name should not cost the time of a long load. {@code named} begins the message.
     */
    static void requireFile(String named, Path file) {
        if (Files.isDirectory(file)) {
            throw new UsageException(named + file + " is a directory, not a file", null);
        }
        // notExists, not !exists: where it cannot be told (a parent that cannot be searched), the reader names the
        // real error; a link that leads nowhere (a loop cannot be told either) is named here
        if (Files.notExists(file) || Files.isSymbolicLink(file) && !Files.exists(file)) {
            throw new UsageException(named + file + " " + FileChecks.missing(file), null);
        }
    }

    /**
     * The largest {@code --init} SCALE ({@code small:SCALE}, {@code balanced:SCALE}) from which a run in
     * {@code dtype} can start on some M, whatever the kernels: beyond it the start or its gradient is not finite for
     * every M. The smallest problem is the worst case: on a 1 x 1 M (rank 1) the balanced start is u = v = ±SCALE
     * exactly and each factor's gradient is SCALE³ − m·SCALE. In float64 the gradient norm squares that, in double:
     * 2·SCALE⁶ up to 1.8e308. In float32 the start's entries must be float32 numbers (up to 3.4e38); the SIMD kernels
     * also form the gradient in float32 and overflow from SCALE³ > 3.4e38 on, the scalar ones form it in double and
     * do not (measured: iteration 0 finite up to 6.98e12 and up to 3.0e38 respectively). What a larger M or the
     * kernels overflow sooner (the balanced start's Gram matrices are SCALE²·max(d1, d2), the Gaussian one's of that
     * order) the run finds at iteration 0 ({@link #startOutOfRange}).
     */
    static double largestInitScale(DType dtype) {
        return dtype == DType.FLOAT32 ? Float.MAX_VALUE : Math.pow(Double.MAX_VALUE / 2, 1.0 / 6);
    }

    /** Refuses an {@code --init} scale above {@link #largestInitScale}, before the input is read. */
    private void requireRepresentableStart(Initializer start, DType dtype) {
        double scale = switch (start) {
            case Initializer.SmallGaussian g -> g.scale();
            case Initializer.Balanced b -> b.scale();
            default -> Double.NaN;
        };
        if (scale > largestInitScale(dtype)) {
            throw new UsageException(String.format(Locale.ROOT,
                    "--init %s: SCALE is too large for %s whatever M is: above %.3g "
                    + "the start%s overflows; leave SCALE out for the default, 1e-3*sqrt(sigma1/max(d1,d2)), "
                    + "which is scaled to M", init, dtype.label(), largestInitScale(dtype), dtype == DType.FLOAT32
                    ? " itself" : "'s gradient (of order SCALE^3, its squared norm SCALE^6)"), null);
        }
    }

    /**
     * A run ({@code factorize}, {@code network}) that diverged before its first step, from an {@code --init} the
     * user set (a scale, files, Ward–Kolda's constants): its start was out of the dtype's range on this input, an
     * option mistake (exit code 2) rather than the step's divergence (the input itself was checked: finite, and M's
     * squares within range). Null when the divergence is not that (a later iteration, or the default start, which is
     * scaled to the input).
     */
    static UsageException startOutOfRange(String init, long iteration, String message, DType dtype) {
        if (iteration != 0 || !init.contains(":")) {
            return null;
        }
        // "gradient descent diverged at iteration 0: WHAT (no finite iteration before it); try …"
        int from = message.indexOf(": ") + 2;
        int to = message.indexOf(" (", from);
        String what = from >= 2 && to > from ? message.substring(from, to) : message;
        return new UsageException("--init " + init + ": the start is out of " + dtype.label() + "'s range on this "
                + "input: before the first step, " + what + "; give a smaller scale (or leave --init out for the "
                + "default start)", null);
    }

    /**
     * Says so when {@code --threads} (null when not given) is more than the processors: allowed, and the results are
     * those of that many threads anywhere (the work is split into that many chunks, which no more threads than
     * processors run, ParallelPass), but the extra chunks only add their partial sums to the work.
     */
    static void noteThreads(Integer threads, Consumer<String> notes) {
        int processors = Runtime.getRuntime().availableProcessors();
        if (threads != null && threads > processors) {
            notes.accept("note: --threads " + threads + " is more than the " + processors + " processors here: its "
                    + threads + " chunks of work run on " + processors + " threads, giving the results of "
                    + threads + " threads on any machine; --threads " + processors + " is as fast or faster");
        }
    }

    /**
     * Refuses a rank below 1 before anything is read (the upper bound, min(d1, d2), needs M's shape), in the words of
     * every command that takes {@code --rank}.
     */
    public static void checkRank(int rank) {
        if (rank < 1) {
            throw new UsageException("--rank: must be at least 1, got " + rank, null);
        }
    }

    /**
     * Checks {@code --max-iter}, {@code --tol} and {@code --threads} (the last two null when not given) by the
     * builders' own checks, for every command that takes them, before its input is read.
     */
    static void checkLimits(long maxIterations, Double tolerance, Integer threads) {
        option("--max-iter", () -> IterationMonitor.Limits.requireMaxIterations(maxIterations));
        if (tolerance != null) {
            option("--tol", () -> IterationMonitor.Limits.requireTolerance(tolerance));
        }
        if (threads != null) {
            option("--threads", () -> ParallelPass.requireThreads(threads));
        }
    }

    /**
     * A builder for factorising {@code m}. Factors read for {@code --init file:…} are added to {@code owned}, to be
     * closed by the caller after the run.
     */
    Factorizer.Builder builder(DenseMatrix m, int rank, List<DenseMatrix> owned) {
        return configure(Factorizer.builder(m, rank), m.dtype(), owned);
    }

    /** Applies these options to {@code b}, a builder for a matrix of {@code dtype}; see {@link #builder}. */
    Factorizer.Builder configure(Factorizer.Builder b, DType dtype, List<DenseMatrix> owned) {
        b.schedule(schedule());
        b.initializer(initializer(dtype, owned));
        b.variant(variant());
        option("--max-iter", () -> b.maxIterations(maxIterations));
        if (tolerance != null) {
            option("--tol", () -> b.tolerance(tolerance));
        }
        option("--threads", () -> b.threads(threads == null ? Runtime.getRuntime().availableProcessors() : threads));
        b.timeLimit(timeLimit());
        b.seed(seed);
        b.cancelToken(Interruption.token());
        return b;
    }

    /**
     * The entries of a factorisation's configuration (keys as in {@code summary.json}) these options set before M is
     * read, for {@link Checkpointing#requireSameOptions}: the start of {@code --init file:} is known only once read.
     */
    public Map<String, Object> configuration(int rank, DType dtype) {
        Map<String, Object> known = new LinkedHashMap<>();
        known.put("rank", (long) rank);
        known.put("schedule", schedule().describe());
        known.put("variant", variant().describe());
        if (!init.startsWith("file:")) {
            known.put("init", option("--init", () -> Initializer.parse(init)).describe());
        }
        known.put("seed", seed);
        known.put("threads", (long) (threads == null ? Runtime.getRuntime().availableProcessors() : threads));
        known.put("tolerance", IterationMonitor.Limits.effectiveTolerance(tolerance == null ? Double.NaN : tolerance,
                dtype));
        return known;
    }

    /** {@code --schedule}. */
    public StepSchedule schedule() {
        return option("--schedule", () -> StepSchedule.parse(schedule));
    }

    /** {@code --variant}. */
    public Variant variant() {
        return option("--variant", () -> Variant.parse(variant));
    }

    /** {@code --max-iter}. */
    public long maxIterations() {
        return maxIterations;
    }

    /**
     * The stop rule's limits as {@code summary.json} records them: {@code tol}, the tolerance in force (the dtype's
     * default when {@code --tol} is not given), {@code max_iter}, and {@code max_seconds} where a limit is given.
     */
    public Map<String, Object> limits(DType dtype) {
        return limits(tolerance, maxIterations, maxSeconds, dtype);
    }

    /**
     * {@link #limits(DType)} of options as given ({@code tolerance} and {@code maxSeconds} null where not), for
     * factorize's and network's summaries alike: {@code inf} seconds is no limit, recorded as none.
     */
    static Map<String, Object> limits(Double tolerance, long maxIterations, String maxSeconds, DType dtype) {
        Map<String, Object> limits = new LinkedHashMap<>();
        limits.put("tol", IterationMonitor.Limits.effectiveTolerance(tolerance == null ? Double.NaN : tolerance,
                dtype));
        limits.put("max_iter", maxIterations);
        Duration limit = timeLimit(maxSeconds);
        if (limit != null) {
            limits.put("max_seconds", limit.toNanos() / 1e9);
        }
        return limits;
    }

    /** {@code --tol}, or null for the solver's default. */
    public Double tolerance() {
        return tolerance;
    }

    /** {@code --seed}. */
    public long seed() {
        return seed;
    }

    /** {@code --threads}, or null when not given. */
    public Integer threads() {
        return threads;
    }

    /** {@code --max-seconds} as a duration, or null for no limit. */
    public Duration timeLimit() {
        return timeLimit(maxSeconds);
    }

    /**
     * A {@code --max-seconds} value (factorize's, network's) as a duration, or null for none: not given, or
     * {@code inf} ({@code Infinity}, any case), which picocli's reading as a Double refused as "not a double".
     */
    static Duration timeLimit(String text) {
        if (text == null || text.strip().matches("(?i)\\+?inf(inity)?")) {
            return null;
        }
        double maxSeconds;
        try {
            maxSeconds = Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new UsageException("--max-seconds: '" + text + "' is not a number of seconds (a positive number up "
                    + "to 9.2e9, or inf for no limit)", null);
        }
        if (!(maxSeconds > 0) || maxSeconds > Long.MAX_VALUE / 1e9) {
            // the bound is what a Duration of nanoseconds holds
            // as written: 1e400 was echoed as "Infinity", which reads as the accepted inf
            throw new UsageException("--max-seconds: must be positive and at most 9.2e9 (292 years), or inf, got "
                    + text.strip(), null);
        }
        return Duration.ofNanos((long) Math.ceil(maxSeconds * 1e9));
    }

    /**
     * {@code --init}. Factors read for {@code --init file:…} (in {@code dtype}) are added to {@code owned}, to be
     * closed by the caller after the run.
     */
    public Initializer initializer(DType dtype, List<DenseMatrix> owned) {
        if (!init.startsWith("file:")) {
            return option("--init", () -> Initializer.parse(init));
        }
        List<Path> files = startFiles();
        DenseMatrix u0 = read(files.get(0), dtype, "U0", notes);
        owned.add(u0);
        DenseMatrix v0 = read(files.get(1), dtype, "V0", notes);
        owned.add(v0);
        return Initializer.given(u0, v0);
    }

    /** Sends the notes of reading the {@code --init} files (a skipped header line) to {@code notes}. */
    public void notesTo(Consumer<String> notes) {
        this.notes = notes;
    }

    /** The files of {@code --init file:U0,V0}, U0 first; none for another start. */
    List<Path> startFiles() {
        if (!init.startsWith("file:")) {
            return List.of();
        }
        String[] files = initFiles();
        return List.of(path("--init", files[0].trim()), path("--init", files[1].trim()));
    }

    /** The two file names of {@code --init file:U0,V0}. */
    private String[] initFiles() {
        String[] files = init.substring("file:".length()).split(",", -1);
        if (files.length != 2 || files[0].isBlank() || files[1].isBlank()) {
            throw new UsageException("--init: expected file:U0.mtx,V0.mtx or file:U0.npy,V0.npy, got '" + init
                    + "'", null);
        }
        return files;
    }

    /**
     * Reads a dense matrix file by its name: NumPy {@code .npy}, delimited text ({@code .csv}, {@code .tsv},
     * {@code .txt}, {@code .dat}, each also {@code .gz}; a header line it skips is told to {@code notes} as a
     * {@code note:} line), Matrix Market otherwise. A missing or malformed file is a usage error naming {@code what},
     * and so is a scipy {@code .npz} (sparse: read by {@link InputMatrix} only), with the line that converts it.
     */
    static DenseMatrix read(Path path, DType dtype, String what, Consumer<String> notes) {
        refuseNpz(path, what);
        try {
            if (isNpy(path)) {
                return Npy.read(path, dtype);
            }
            if (DelimitedText.separatorOf(path) != null) {
                return DelimitedText.read(path, dtype, note -> notes.accept("note: " + note));
            }
            return MatrixMarket.read(path, dtype);
        } catch (IOException e) {
            throw UsageException.cannotRead(what, path, e);
        }
    }

    /**
     * Refuses a {@code .npz} where {@code what} is read as a dense matrix, with the conversion that fits what its entry
     * names say it is: a scipy sparse matrix (a {@code format} member), or numpy.savez's arrays (the line
     * {@link Npz#notSparse} gives). Read as Matrix Market, its error ended "give it a name ending in .npz" of a name
     * that ends so. A file that is missing or not a zip archive is named by the reader's own line.
     */
    static void refuseNpz(Path path, String what) {
        if (!isNpz(path)) {
            return;
        }
        requireFile("cannot read " + what + ": ", path);
        String notSparse;
        try {
            notSparse = Npz.notSparse(path);
        } catch (IOException e) {
            throw UsageException.cannotRead(what, path, e);
        }
        String file = FileChecks.printable(path.getFileName().toString());
        throw new UsageException("cannot read " + what + " from " + path + ": " + (notSparse != null ? notSparse
                + " (" + what + " is read as a dense matrix: .npy, delimited text or Matrix Market)"
                : "a scipy sparse .npz, and " + what + " is read as a dense matrix (.npy, delimited text or Matrix "
                + "Market); save it as .npy: numpy.save('" + what + ".npy', scipy.sparse.load_npz('" + file
                + "').toarray())"), null);
    }

    static boolean isNpy(Path path) {
        return hasExtension(path, ".npy");
    }

    static boolean isNpz(Path path) {
        return hasExtension(path, ".npz");
    }

    private static boolean hasExtension(Path path, String extension) {
        return path.getFileName() != null
                && path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(extension);
    }

    /** Parses an option with {@code parse}; an IllegalArgumentException becomes a usage error naming the option. */
    public static <T> T option(String name, Supplier<T> parse) {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) {
            throw new UsageException(name + ": " + e.getMessage(), e);
        }
    }
}
