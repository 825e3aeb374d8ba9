package org.autobalance.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.autobalance.io.DelimitedText;
import org.autobalance.io.MatrixMarket;
import org.autobalance.io.Npz;
import org.autobalance.io.internal.RunLock;
import org.autobalance.memory.DType;
import org.autobalance.memory.NativeMemory;
import org.autobalance.memory.SparseMatrix;
import org.autobalance.solve.ExactLoss;
import org.autobalance.solve.Factorizer;
import org.autobalance.solve.Objective;
import org.autobalance.solve.internal.IterationMonitor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code autobalance factorize}: factorise a Matrix Market, NumPy .npy or scipy sparse .npz file. */
@Command(name = "factorize", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Find U (d1 x r) and V (d2 x r) minimising 1/2 |UV' - M|_F^2 (or, with --objective observed, "
                + "the loss over the stored entries of a sparse M) by gradient descent.",
            "Writes U and V (.mtx or .npy, --out-format) and summary.json to --out (all or nothing) and one JSON "
                + "object per iteration to --log."})
final class FactorizeCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--input", required = true, paramLabel = "M.mtx|M.npy|M.npz|M.csv",
            description = {"The matrix M: a NumPy .npy file (2-D, float32 or float64, integers and booleans "
                    + "converted; C or Fortran order; dense) if the name ends in .npy, a scipy.sparse.save_npz file "
                    + "(csr, csc or coo) if it ends in .npz, delimited text (dense, one row per line, as np.savetxt "
                    + "writes it) if it ends in .csv (commas), .tsv (tabs), .txt or .dat (spaces or tabs), each also "
                    + ".gz; "
                    + "otherwise a Matrix Market file (array or coordinate; real, integer or pattern; general, "
                    + "symmetric, skew-symmetric or hermitian; duplicates summed, as scipy reads them)."})
    private Path input;

    @Option(names = "--rank", required = true, paramLabel = "R", description = "The rank r, 1 <= r <= min(d1, d2).")
    private int rank;

    @Option(names = "--storage", paramLabel = "auto|sparse|dense", defaultValue = "auto",
            description = {"How M is held: sparse (CSR, one pass over the stored entries per iteration; never "
                    + "densified), dense, or auto (sparse when the density is below 10 %% or the dense matrix would "
                    + "not fit in half the memory; an array file is dense). The choice is printed. auto refuses a "
                    + "table of 3 or 4 columns whose first two are distinct pairs of whole numbers (a list of entries "
                    + "such as ratings: "
                    + "give it as a coordinate .mtx or .npz); dense reads it as a table. "
                    + "Default: ${DEFAULT-VALUE}."})
    private String storage;

    @Option(names = "--objective", paramLabel = "full|observed[:LAMBDA]", defaultValue = "full",
            description = {"full: 1/2 |UV' - M|_F^2 over all entries (zeros count). observed: matrix completion, "
                    + "1/2 sum over the stored entries of (u_i'v_j - M_ij)^2 + LAMBDA/2 (|U|_F^2 + |V|_F^2) "
                    + "(LAMBDA default 0); explicitly stored zeros are observations. Default: ${DEFAULT-VALUE}."})
    private String objective;

    @Option(names = "--holdout", paramLabel = "FRACTION",
            description = {"With --objective observed: hold out each stored entry with this probability (drawn "
                    + "with --seed: about this fraction of them) and report their RMSE in every record and in the "
                    + "summary (test_rmse)."})
    private Double holdout;

    @Option(names = "--test", paramLabel = "FILE",
            description = {"With --objective observed: held-out entries (a coordinate .mtx or .npz of M's shape) "
                    + "whose RMSE is reported in every record and in the summary (test_rmse)."})
    private Path test;

    @Option(names = "--early-stop", paramLabel = "PATIENCE",
            description = {"With --holdout or --test: stop when the held-out RMSE has not improved for PATIENCE "
                    + "iterations (stop_reason early_stopped), and write the factors of the iterate with the lowest "
                    + "held-out RMSE of the run (best_test_iteration in the summary), whatever ends it. Default: "
                    + "off (the last iterate is written; the summary still names the best one)."})
    private Long earlyStop;

    @Option(names = "--exact-loss", paramLabel = "auto|always|never", defaultValue = "auto",
            description = {"For the full loss of a sparse M: whether the summary's loss and relative error are exact "
                    + "(every one of the d1 x d2 entries formed, O(d1*d2*r), about one dense iteration) or from the "
                    + "one-pass identity (free, but with an absolute error of a few u*|M|_F^2: meaningless near a "
                    + "good fit). auto: exact when d1*d2 <= 2*nnz*iterations (at most about half of the run's time) "
                    + "or d1*d2 <= 2^24. The summary's loss_exact says which. A dense M's and the observed loss's "
                    + "final loss is always exact. Default: ${DEFAULT-VALUE}."})
    private String exactLoss;

    @Mixin
    private SolverOptions options;

    @Option(names = "--out", paramLabel = "DIR", description = "Directory for U, V and summary.json.")
    private Path out;

    @Mixin
    private OutFormatOption outFormat;

    @Option(names = "--log", paramLabel = "FILE.jsonl", description = "Write one JSON object per iteration here.")
    private Path log;

    @Mixin
    private Checkpointing checkpointing;

    @Override
    public Integer call() throws Exception {
        Interruption.preparingRun();
        Objective goal = SolverOptions.option("--objective", () -> Objective.parse(objective));
        ExactLoss finalLoss = SolverOptions.option("--exact-loss", () -> ExactLoss.parse(exactLoss));
        boolean observed = goal instanceof Objective.Observed;
        boolean exactLossGiven = spec.commandLine().getParseResult().hasMatchedOption("--exact-loss");
        if (exactLossGiven && observed) {
            // accepted and ignored before: a user who asked for an exact summary could not tell it changed nothing
            throw new UsageException("--exact-loss is for the full loss of a sparse M: the observed loss and its "
                    + "relative error are exact at every iteration", null);
        }
        if ((holdout != null || test != null) && !observed) {
            throw new UsageException((holdout != null ? "--holdout" : "--test") + " needs --objective observed "
                    + "(held-out entries of the full loss would still count as zeros)", null);
        }
        if (holdout != null && test != null) {
            throw new UsageException("--holdout and --test are alternatives: give one", null);
        }
        if (test != null && sameFile(input, test)) {
            // found by a user's slip: accepted, every held-out entry was a training entry, and the held-out RMSE
            // (and --early-stop on it) measured the fit, not the error on entries the run had not seen
            throw new UsageException("--test " + test + " is the input M (" + input + "): its entries would be "
                    + "trained on, so their RMSE would not be a held-out error; give entries kept out of M, or "
                    + "--holdout FRACTION", null);
        }
        if (test != null) {
            SolverOptions.requireFile("--test: ", test);
        }
        if (earlyStop != null && holdout == null && test == null) {
            throw new UsageException("--early-stop needs held-out entries (--holdout FRACTION or --test FILE), whose "
                    + "RMSE it watches", null);
        }
        if (earlyStop != null && earlyStop < 1) {
            throw new UsageException("--early-stop: PATIENCE must be at least 1 iteration, got " + earlyStop, null);
        }
        if (holdout != null && !(holdout > 0 && holdout < 1)) {
            throw new UsageException("--holdout: FRACTION must be strictly between 0 and 1, got " + plain(holdout),
                    null);
        }
        SolverOptions.checkRank(rank);
        DType dtype = options.validate().dtype();
        InputMatrix.Storage requested = InputMatrix.parseStorage(storage);
        RunOutputs.Format format = outFormat.format(out);
        Map<String, Object> known = options.configuration(rank, dtype);
        if (earlyStop != null) {
            known.put("early_stop", earlyStop);
        }
        checkpointing.validate().requireSameOptions(dtype, known);
        if (earlyStop == null && checkpointing.resumedConfiguration().get("early_stop") instanceof Number patience) {
            // a key only when set, so the options' check cannot see it missing: refused here, before M is read, not
            // by the whole check after
            throw new UsageException("the checkpoint was written with early_stop " + patience.longValue()
                    + ", this run has none: resume with --early-stop " + patience.longValue(), null);
        }
        try (Destinations destinations = Destinations.claim(out, format.factorFiles()::contains, log, checkpointing,
                options.startFiles(), input, test)) {
            return factorize(dtype, requested, format, goal, finalLoss, observed, exactLossGiven, destinations);
        }
    }

    private int factorize(DType dtype, InputMatrix.Storage requested, RunOutputs.Format format, Objective goal,
            ExactLoss finalLoss, boolean observed, boolean exactLossGiven, Destinations destinations)
            throws IOException {
        PrintWriter printer = spec.commandLine().getOut();
        SolverOptions.noteThreads(options.threads(), printer::println);
        RunClock clock = new RunClock();
        clock.mark("load_start");
        options.notesTo(printer::println);
        refuseByDeclaredShape(dtype);
        Heartbeat.current().phase("reading M from " + input);
        try (InputMatrix m = InputMatrix.read(input, dtype, requested, observed, "M", printer::println)) {
            clock.mark("loaded");
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("input", input.toString());
            // with the configuration the summary names, what reproduces the run: the start, σ₁'s estimate and the
            // --holdout draw depend on it
            extra.put("seed", options.seed);
            extra.putAll(options.limits(dtype));
            extra.put("load_seconds", clock.between("load_start", "loaded"));
            int rows = m.dense() != null ? m.dense().rows() : m.sparse().rows();
            int cols = m.dense() != null ? m.dense().cols() : m.sparse().cols();
            // a .npy, delimited text or a piped file is not checked first: refused before the storage line
            IterationMonitor.Limits.requireRank(rank, rows, cols);
            printer.println("storage: " + m.reason());
            SolverRun.noteRoom(printer::println, destinations, format, rows, cols, rank, dtype);
            if (m.dense() != null) {
                if (exactLossGiven) {
                    // a note, not a refusal: --storage auto may have chosen dense after the option was written
                    printer.println("note: --exact-loss has no effect on a dense M: its final loss is always exact");
                }
                extra.put("storage", "dense");
                SolverRun.execute(printer, input.toString(), m.dense(), rank, options, checkpointing, destinations,
                        format, clock, extra);
                return 0;
            }
            SparseMatrix[] parts = holdout == null ? new SparseMatrix[] {m.sparse(), heldOutFile(dtype, m.sparse())}
                    : SolverOptions.option("--holdout", () -> m.sparse().split(holdout, options.seed));
            try {
                SparseMatrix train = parts[0];
                SparseMatrix heldOut = parts[1];
                if (holdout != null && m.sparse().nonZeros() > 0
                        && (train.nonZeros() == 0 || heldOut.nonZeros() == 0)) {
                    // each entry is held out with that chance: none trained on was "matrix M is all zeros", none
                    // held out a run reporting the RMSE of nothing; an M without entries is refused as such, no
                    // fraction would help, and neither would one for a single entry, which no fraction splits (its
                    // advice was a larger fraction, which holds it out and leaves none to train on)
                    String advice = m.sparse().nonZeros() == 1
                            ? "; no fraction splits a single stored entry: give held-out entries with --test FILE"
                            : train.nonZeros() == 0 ? "; give a smaller fraction" : "; give a larger fraction";
                    throw new UsageException("--holdout " + plain(holdout) + ": held out " + heldOut.nonZeros()
                            + " of the " + m.sparse().nonZeros() + " stored entries, leaving " + (train.nonZeros() == 0
                            ? "none" : "all") + " to train on" + advice, null);
                }
                extra.put("storage", "sparse");
                extra.put("nnz", train.nonZeros());
                if (heldOut != null) {
                    extra.put("test_entries", heldOut.nonZeros());
                    if (holdout != null) {
                        extra.put("holdout", holdout);
                    } else {
                        extra.put("test", test.toString());
                    }
                    printer.println("held out: " + heldOut.nonZeros() + " entries" + (holdout == null ? " from "
                            // a draw per entry, not an exact count: the share is said as it came out
                            + test : String.format(Locale.ROOT, " (%.2f %% of the %d stored, each with probability %s, "
                                    + "seed %d)", 100.0 * heldOut.nonZeros() / Math.max(1, m.sparse().nonZeros()),
                                    m.sparse().nonZeros(), plain(holdout), options.seed))
                            + "; training on " + train.nonZeros());
                    long shared = holdout == null ? sharedEntries(heldOut, train) : 0;
                    if (shared > 0) {
                        // a note, not a refusal: another file may overlap M by design (positions observed again,
                        // with other values), and the count says how far the RMSE is held out
                        printer.println("note: " + shared + " of the " + heldOut.nonZeros() + " entries of --test "
                                + test + " are also stored in M and trained on: the held-out RMSE is not an error on "
                                + "unseen entries" + (shared == heldOut.nonZeros() ? " at all (a copy of M?)" : ""));
                    }
                }
                SolverRun.execute(printer, input.toString(),
                        owned -> options.configure(Factorizer.builder(train, rank).objective(goal).heldOut(heldOut)
                                .exactFinalLoss(finalLoss).earlyStopping(earlyStop == null ? 0 : earlyStop),
                                dtype, owned), rank, options, checkpointing, destinations, format, clock, extra);
            } finally {
                if (parts[0] != m.sparse()) {
                    parts[0].close();
                }
                if (parts[1] != null) {
                    parts[1].close();
                }
            }
        }
        return 0;
    }

    /** A fraction as the user would write it: 0.0001, not Java's 1.0E-4. */
    private static String plain(double fraction) {
        return BigDecimal.valueOf(fraction).stripTrailingZeros().toPlainString();
    }

    /**
     * What the shape a Matrix Market size line or a {@code .npz}'s shape member declares rules out before the matrix is
     * read: a rank above min(d1, d2), factors that do not fit the memory, and the solver's r × r arrays that do not
     * fit the Java heap. A 66-byte coordinate file declaring 10⁸ × 10⁸ with one entry was read sparse first (its row
     * pointers and their transpose: 17 s and 3.2 GB here), then refused for U and V; a 13 KB coo {@code .npz} of
     * 3·10⁸ × 10 with 1000 entries, 25 s and 4.8 GB resident.
     */
    private void refuseByDeclaredShape(DType dtype) {
        if (!Files.isRegularFile(input) || SolverOptions.isNpy(input) || DelimitedText.separatorOf(input) != null) {
            return; // a pipe is read once; the other formats check their shapes against their sizes
        }
        int rows;
        int cols;
        try {
            if (SolverOptions.isNpz(input)) {
                int[] shape = Npz.readShape(input);
                rows = shape[0];
                cols = shape[1];
            } else {
                MatrixMarket.Header header = MatrixMarket.readHeader(input);
                rows = header.rows();
                cols = header.cols();
            }
        } catch (IOException e) {
            return; // the reading says what is wrong, and where
        }
        IterationMonitor.Limits.requireRank(rank, rows, cols);
        // U, V and the engine's products MV, MᵀU, the least a run holds (the solver counts its copies and scratch on
        // top); a long holds the count, as the sides are ints and the rank at most Limits.MAX_RANK (a rank of 10⁹ once
        // made it 3.2·10¹⁹, shown saturated as 9223372036854775807 bytes)
        long bytes = (long) IterationMonitor.Limits.factorBytes(dtype, rows, cols, rank, 2);
        NativeMemory.requireRoom(bytes, () -> "hold U, V and the products MV, MᵀU of the " + rows + " x " + cols
                + " matrix " + input + " declares, at rank " + rank + " in " + dtype.label());
        IterationMonitor.Limits.requireHeap(rank, options.threads() == null ? Runtime.getRuntime().availableProcessors()
                : options.threads());
    }

    /**
     * Whether {@code a} and {@code b} name one existing file, by whatever names (a link, another directory's path).
     * Not by comparing the names: {@code x/../m.npz} is not {@code m.npz} when x is a link to another directory, and a
     * missing file is reported as missing when it is read, not as the input M.
     */
    static boolean sameFile(Path a, Path b) {
        try {
            return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
        } catch (IOException e) {
            // reading either file says why it cannot be compared
            return false;
        }
    }

    /** How many positions of {@code test} are stored in {@code m} too (both have M's shape). */
    static long sharedEntries(SparseMatrix test, SparseMatrix m) {
        long shared = 0;
        for (int i = 0; i < test.rows(); i++) {
            for (long k = test.rowStart(i); k < test.rowStart(i + 1); k++) {
                if (m.isStored(i, test.column(k))) {
                    shared++;
                }
            }
        }
        return shared;
    }

    /** The --test entries (checked against M's shape), or null without --test. */
    private SparseMatrix heldOutFile(DType dtype, SparseMatrix m) {
        if (test == null) {
            return null;
        }
        SparseMatrix t;
        try {
            t = InputMatrix.readSparse(test, dtype, "--test");
        } catch (IOException e) {
            throw UsageException.cannotRead("--test", test, e);
        }
        if (t.nonZeros() == 0) {
            // it ran, reporting the RMSE of nothing
            t.close();
            throw new UsageException("--test " + test + " holds no entries: there is nothing to measure the held-out "
                    + "RMSE on", null);
        }
        if (t.rows() != m.rows() || t.cols() != m.cols()) {
            t.close();
            throw new UsageException("--test " + test + " is " + t.rows() + " x " + t.cols() + ", but M is "
                    + m.rows() + " x " + m.cols(), null);
        }
        return t;
    }
}
