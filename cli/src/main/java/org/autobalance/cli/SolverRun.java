package org.autobalance.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.autobalance.io.internal.FileChecks;
import org.autobalance.io.internal.RunLock;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.observe.IterationListener;
import org.autobalance.observe.IterationRecord;
import org.autobalance.observe.JsonLinesLog;
import org.autobalance.schedule.StepSchedule;
import org.autobalance.solve.Checkpoint;
import org.autobalance.solve.DivergenceException;
import org.autobalance.solve.Factorizer;
import org.autobalance.solve.Result;
import org.autobalance.solve.StopReason;
import org.autobalance.solve.Variant;
import org.autobalance.solve.internal.IterationMonitor;

/**
 * Runs a solver for a command: progress, the iteration log, the outputs and the printed summary. The solver is the
 * single-machine {@link Factorizer} for {@code factorize} and {@code demo}; other front ends (the Spark module's
 * {@code spark-factorize}) pass their own {@link Solver}.
 */
public final class SolverRun {
    private SolverRun() {
    }

    /** A solver run to report on: it sends every iteration record to the listeners it is given. */
    @FunctionalInterface
    public interface Solver {
        Finished run(IterationListener... listeners);
    }

    /**
     * A finished run: its summary (the keys of {@link Result#summary()}, {@code d1}, {@code d2}, {@code dtype} among
     * them) and the factors it writes to {@code --out}.
     */
    public interface Finished extends AutoCloseable {
        Map<String, Object> summary();

        /** The names of the factor files (or directories) it writes in {@code format}. */
        List<String> files(RunOutputs.Format format);

        /** Writes the factors into {@code directory}, under the names of {@link #files}. */
        void writeInto(Path directory, RunOutputs.Format format) throws IOException;

        @Override
        void close();
    }

    /** What prepares a run once the output directory is known to be writable (so a bad one fails first). */
    @FunctionalInterface
    public interface Preparation {
        Solver prepare();
    }

    /** A single-machine result: U and V in the requested format. */
    static Finished finished(Result result) {
        return new Finished() {
            @Override
            public Map<String, Object> summary() {
                return result.summary();
            }

            @Override
            public List<String> files(RunOutputs.Format format) {
                return format.factorFiles();
            }

            @Override
            public void writeInto(Path directory, RunOutputs.Format format) throws IOException {
                format.writeFactors(directory, result.u(), result.v());
            }

            @Override
            public void close() {
                result.close();
            }
        };
    }

    /**
     * Factorises {@code m} and reports.
     *
     * @param label what M is, for the printed summary (a file name or "demo problem")
     * @param destinations the output directory and log (either may be null), claimed before M was read
     * @param outFormat the file format of the factors written to the output directory
     * @param clock the phases so far (loading M); the first iteration and the end are added, and all go to the
     *        summary as {@code "clock"}
     */
    static void execute(PrintWriter printer, String label, DenseMatrix m, int rank, SolverOptions options,
            Checkpointing checkpointing, Destinations destinations, RunOutputs.Format outFormat, RunClock clock,
            Map<String, Object> extraSummary) throws IOException {
        execute(printer, label, owned -> options.builder(m, rank, owned), rank, options, checkpointing, destinations,
                outFormat, clock, extraSummary);
    }

    /**
     * As the other {@code execute}, for a builder made by {@code builder} (which adds the factors it reads for
     * {@code --init file:…} to the list it is given, to be closed after the run).
     */
    static void execute(PrintWriter printer, String label, Function<List<DenseMatrix>, Factorizer.Builder> builder,
            int rank, SolverOptions options, Checkpointing checkpointing, Destinations destinations,
            RunOutputs.Format outFormat, RunClock clock, Map<String, Object> extraSummary) throws IOException {
        List<DenseMatrix> owned = new ArrayList<>();
        try {
            long resumedAt = checkpointing == null ? -1 : checkpointing.resumedAt();
            execute(printer, label, rank, options.maxIterations(), destinations, outFormat, resumedAt, clock,
                    extraSummary, () -> {
                        Factorizer.Builder b = builder.apply(owned);
                        if (checkpointing != null) {
                            checkpointing.applyTo(b::resumeFrom, b::checkpoint);
                        }
                        Factorizer factorizer = b.build();
                        Interruption.runStarted();
                        return listeners -> finished(factorizer.run(listeners));
                    });
        } catch (DivergenceException e) {
            UsageException start = SolverOptions.startOutOfRange(options.init, e.iteration(), e.getMessage(),
                    options.dtype());
            throw start != null ? start : e;
        } finally {
            owned.forEach(DenseMatrix::close);
        }
    }

    /**
     * Runs a solver and reports: a progress bar, the log, the outputs (all or nothing) and a printed summary.
     *
     * @param label what M is, for the printed summary
     * @param out the output directory, or null for none
     * @param outFormat the file format of the factors written to {@code out}
     * @param log the JSON-lines iteration log, or null for none
     * @param clock the phases so far; the first iteration and the end are added, and all go to the summary
     */
    public static void execute(PrintWriter printer, String label, int rank, long maxIterations, Path out,
            RunOutputs.Format outFormat, Path log, RunClock clock, Map<String, Object> extraSummary,
            Preparation preparation) throws IOException {
        try (Destinations destinations = Destinations.claim(out, outFormat.factorFiles()::contains, log, null)) {
            execute(printer, label, rank, maxIterations, destinations, outFormat, -1, clock, extraSummary,
                    preparation);
        }
    }

    /** As the other {@code execute}, into destinations claimed by the caller (before it read its input). */
    public static void execute(PrintWriter printer, String label, int rank, long maxIterations,
            Destinations destinations, RunOutputs.Format outFormat, long resumedAt, RunClock clock,
            Map<String, Object> extraSummary, Preparation preparation) throws IOException {
        sayingWhatWasKept(destinations, () -> run(printer, label, rank, maxIterations, destinations, outFormat,
                resumedAt, clock, extraSummary, preparation));
    }

    /** A command's run and report, which may fail writing. */
    @FunctionalInterface
    interface Writing {
        void run() throws IOException;
    }

    /**
     * Runs {@code run}; if it could not write what it was asked to (an {@link IOException}, or an
     * {@link UncheckedIOException} from the solver), its message says what the run left ({@link #stopped}).
     */
    static void sayingWhatWasKept(Destinations destinations, Writing run) throws IOException {
        try {
            run.run();
        } catch (IOException e) {
            throw new IOException(stopped(e, destinations), e);
        } catch (UncheckedIOException e) {
            throw new UncheckedIOException(stopped(e, destinations), e.getCause());
        }
    }

    /**
     * Says that nothing will be iterated when the checkpoint resumed ({@code resumedAt}, −1 for none) is at or past
     * {@code --max-iter}: the run then reported the checkpoint's iterations ("stopped: max_iterations") as if it had
     * made them.
     */
    static void noteResumeAtLimit(PrintWriter printer, long resumedAt, long maxIterations) {
        if (resumedAt >= maxIterations) {
            printer.printf("note: the checkpoint resumed is at iteration %d, and --max-iter is %d: no iteration is "
                    + "run, the result is the checkpoint's%n", resumedAt, maxIterations);
        }
    }

    private static void run(PrintWriter printer, String label, int rank, long maxIterations,
            Destinations destinations, RunOutputs.Format outFormat, long resumedAt, RunClock clock,
            Map<String, Object> extraSummary, Preparation preparation) throws IOException {
        Path out = destinations.out();
        Path log = destinations.log();
        Path logStaging = destinations.logStaging();
        Heartbeat beat = Heartbeat.current();
        RunLog inPlace = openInPlace(log, logStaging, resumedAt);
        beat.phase(label + ", rank " + rank + ": preparing the run");
        Solver solver;
        try {
            // before --out's staging directory is made: a signal while the run is prepared (its --init files read)
            // ends the command at once, and left the directory behind
            solver = preparation.prepare();
        } catch (Throwable e) {
            // also an Error (out of memory while --init is read) closes the log opened in place
            RunLog.closing(e, inPlace);
            throw e;
        }
        // inPlace is closed here on every way out, also before the run took it over (a second close does nothing)
        try (RunLog _ = inPlace; RunOutputs outputs = out == null ? null : new RunOutputs(out)) {
            Finished finished = null;
            boolean setUpCancelled = false;
            // the first record, and the one where the last tenth of the iterations --max-iter allows begins, for
            // limitReached
            IterationRecord[] kept = new IterationRecord[2];
            long lastTenth = maxIterations - Math.max(1, maxIterations / 10);
            IterationListener keep = rec -> {
                if (kept[0] == null) {
                    kept[0] = rec;
                    clock.mark("first_iteration");
                }
                if (rec.iteration() == lastTenth) {
                    kept[1] = rec;
                }
            };
            RunLog logWriter = inPlace != null || logStaging == null ? inPlace
                    : RunLog.open(log, logStaging, resumedAt);
            try (logWriter; ProgressDisplay progress = ProgressDisplay.create("rank " + rank, maxIterations)) {
                finished = logWriter == null ? solver.run(progress, keep)
                        : solver.run(progress, keep, logWriter);
                setUpCancelled = cancelledInSetUp(finished, kept[0]);
            } catch (Throwable e) {
                // the run's own failure is the one reported; the log's, at its end, goes with it
                if (logWriter != null) {
                    try {
                        logWriter.finish(setUpCancelled, resumedAt >= 0);
                    } catch (Throwable logFailure) {
                        e.addSuppressed(logFailure);
                    }
                }
                RunLog.closing(e, finished);
                throw e;
            }
            if (logWriter != null) {
                try {
                    logWriter.finish(setUpCancelled, resumedAt >= 0);
                } catch (IOException | RuntimeException e) {
                    // the log lost (its staging file removed during the run): the result is not reported, but closed
                    RunLog.closing(e, finished);
                    throw e;
                }
            }
            beat.phase(out == null || setUpCancelled ? label + ", rank " + rank + ": finishing the run"
                    : label + ", rank " + rank + ": writing the results to " + out);
            boolean learnedNothing;
            try (Finished result = finished) {
                clock.mark("done");
                Map<String, Object> summary = result.summary();
                learnedNothing = !setUpCancelled && StopReason.STALLED.label().equals(summary.get("stop_reason"))
                        && learnedNothing(summary);
                summary.putAll(extraSummary);
                summary.put("clock", clock.marks());
                Object reason = summary.get("stop_reason");
                if (setUpCancelled) {
                    // Ctrl-C before the first iteration (during σ₁ or the start): the factors would be the start or
                    // zeros, so neither their metrics nor files are reported, and an earlier run's results in --out
                    // are not replaced with nothing of value
                    printer.printf("%s (%s x %s, %s), rank %d: %s before the first iteration: nothing written%s%n",
                            label, summary.get("d1"), summary.get("d2"), summary.get("dtype"), rank, reason,
                            outputs == null ? "" : " to " + out);
                } else {
                    // with the result, not before the run: a resume refused later (spark-factorize checks M's hash
                    // once it has read M) printed that it would give the checkpoint's result, then its error
                    noteResumeAtLimit(printer, resumedAt, maxIterations);
                    report(printer, label, rank, summary, kept, result, outputs, outFormat);
                }
            }
            if (log != null && !setUpCancelled) {
                printer.println("iteration log " + log);
            }
            if (learnedNothing) {
                throw new LearnedNothing();
            }
        }
    }

    /**
     * The message of a run that could not write what it was asked to — a checkpoint or its log during the run (an
     * {@link UncheckedIOException} from the solver, which stopped there), its results at the end — with what it left:
     * nothing in {@code --out}, and the last checkpoint, from which {@code --resume} continues (the work up to it is
     * not lost; after a failure of {@code --out}, it computes the same results again).
     */
    private static String stopped(Exception e, Destinations destinations) {
        StringBuilder message = new StringBuilder(e.getMessage());
        if (e instanceof UncheckedIOException) {
            if (!(e instanceof RunLog.Failure)) {
                message.append(": the run stopped there");
            }
            if (destinations.out() != null) {
                message.append("; nothing was written to ").append(destinations.out());
            }
        }
        Path checkpoints = destinations.checkpoints();
        if (checkpoints != null && Files.exists(checkpoints.resolve(Checkpoint.FILE))) {
            message.append("; ").append(checkpoints).append(" keeps the run's last checkpoint: --resume ")
                    .append(checkpoints).append(" continues from it");
        }
        return message.toString();
    }

    /** The most bytes a value of U or V takes in a Matrix Market file: C's %.17e, "-d.(17 digits)e-XXX", a newline. */
    private static final long MTX_BYTES_PER_VALUE = 26;

    /**
     * The log written in place (a pipe, a device, the command's own output: its staging path is the log itself),
     * opened now, saying so; null for a log staged beside its target (opened with the run) or none. Called before
     * anything is written and before the run starts: a named pipe opens only once something reads it, and while it
     * waits a signal ends the command at once, leaving nothing (opened with the run started, it waited without a word,
     * and a Ctrl-C waited a minute for the run to stop, then ended the JVM).
     */
    static RunLog openInPlace(Path log, Path staging, long resumedAt) throws IOException {
        if (staging == null || !staging.equals(log)) {
            return null;
        }
        Heartbeat.current().phase("opening --log " + log + " (a named pipe opens when something reads it)");
        return RunLog.open(log, staging, resumedAt);
    }

    /**
     * Says before the run when the file system of a destination has less room than a factorisation will write there
     * ({@code factorize}, {@code spark-factorize}): a checkpoint holds U and V; U and V in {@code --out} take up to
     * {@value #MTX_BYTES_PER_VALUE} bytes a value as text (see {@link #noteRoom(Consumer, Destinations, long, long,
     * String)}).
     */
    public static void noteRoom(Consumer<String> notes, Destinations destinations, RunOutputs.Format format, long d1,
            long d2, int rank, DType dtype) {
        long values = (d1 + d2) * rank;
        noteRoom(notes, destinations, values * dtype.bytes(),
                format == RunOutputs.Format.NPY ? values * dtype.bytes() : values * MTX_BYTES_PER_VALUE, "U and V");
    }

    /**
     * Says before the run when the file system of a destination has less room than the run will write there: a
     * checkpoint of {@code checkpointBytes}, twice while it replaces the last; {@code outBytes} of {@code outWhat} in
     * {@code --out}. A note, not a refusal: room may be made meanwhile. Without it a full disk was found at the first
     * checkpoint, or after the last iteration. The one home of the note for every command that trains.
     */
    static void noteRoom(Consumer<String> notes, Destinations destinations, long checkpointBytes,
            long outBytes, String outWhat) {
        Path checkpoints = destinations.checkpoints();
        if (checkpoints != null) {
            long free = usableSpace(checkpoints);
            if (free < 2 * checkpointBytes) {
                notes.accept(String.format(Locale.ROOT, "note: --checkpoint %s: %s free there; a checkpoint takes %s, "
                        + "and two while one replaces the last: the run will stop at the first that does not fit "
                        + "(make room, or give another directory)", checkpoints, megabytes(free),
                        megabytes(checkpointBytes)));
            }
        }
        Path out = destinations.out();
        if (out != null) {
            long free = usableSpace(out);
            if (free < outBytes) {
                notes.accept(String.format(Locale.ROOT, "note: --out %s: %s free there; %s take up to %s: they "
                        + "will not be written unless room is made before the run ends", out, megabytes(free),
                        outWhat, megabytes(outBytes)));
            }
        }
    }

    /** The room for a file in {@code dir}, or in the nearest directory above it that exists (it is made later). */
    private static long usableSpace(Path dir) {
        try {
            return Files.getFileStore(FileChecks.nearestExisting(dir)).getUsableSpace();
        } catch (IOException e) {
            // a file system that does not say: no note
            return Long.MAX_VALUE;
        }
    }

    private static String megabytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }

    /**
     * Whether the run was cancelled or interrupted (Ctrl-C, SIGTERM, a library caller's token) before its first
     * iteration: then nothing is written, neither outputs nor log.
     */
    private static boolean cancelledInSetUp(Finished finished, Object firstRecord) {
        if (finished == null || firstRecord != null) {
            return false;
        }
        Object reason = finished.summary().get("stop_reason");
        return StopReason.CANCELLED.label().equals(reason) || StopReason.INTERRUPTED.label().equals(reason);
    }

    /**
     * Where a run's first record (the one its conserved quantities are compared with) was taken: "at the start", or,
     * for a run resumed from a checkpoint written before the start's values were kept (its first record is the
     * checkpoint's), "at iteration N (resumed)". Factorize's balance line and network's differences line both say it.
     */
    static String firstRecord(long iteration) {
        return iteration == 0 ? "at the start" : "at iteration " + iteration + " (resumed)";
    }

    /**
     * What a stalled run's summary says ({@link StopReason#STALLED}): the fact, and — when nothing of M was learned, a
     * start at or near U = V = 0 — what to do about it: scale M where its scale puts the iterates below the dtype's
     * normal range (then the default start, scaled to M, stalls too, and "a larger --init" was advice to a user who
     * gave none), else start larger.
     */
    static String stalled(Map<String, Object> summary) {
        String fact = "the step leaves U and V unchanged (each change rounds away in " + summary.get("dtype")
                + "): no further iteration can move them";
        if (!learnedNothing(summary)) {
            return fact;
        }
        String scale = scaleCause(summary);
        if (scale != null) {
            return fact + "; " + scale;
        }
        String step = stepCause(summary);
        if (step != null) {
            return fact + "; " + step;
        }
        String saddle = fact
                + "; U = V = 0 is a saddle point of the loss, and a start this small (or zero) stays there: ";
        // a file's factors have no SCALE to enlarge
        return saddle + ("given".equals(summary.get("init")) ? "give --init file: factors of M's scale"
                : "give a larger --init SCALE") + ", or leave --init out for the default start, scaled to M";
    }

    /**
     * A run that stalled where it started, at U = V = 0 or within rounding of it: a failure (exit code 1) although it
     * ended normally — its factors, written as asked, fit nothing, and a script reading exit code 0 took them for a
     * result. Thrown after the summary, which says why.
     */
    static final class LearnedNothing extends RuntimeException {
        private static final long serialVersionUID = 1L;

        LearnedNothing() {
            this("the run learned nothing of M (relative error 1): see the stalled line above");
        }

        /** With {@code message}, the command's own words for what was not learned. */
        LearnedNothing(String message) {
            super(message);
        }
    }

    /**
     * The step as the reason a run learned nothing, or null. Near U = V = 0 a step changes U by about η·MV and V by
     * η·MᵀU: relative to U and V, η·|M|_F·|V|_F/|U|_F and η·|M|_F·|U|_F/|V|_F at most, whatever the start's scale.
     * Where the larger is below the dtype's rounding unit the step is what rounds away, and a larger start (the advice
     * for a start that stalls) changes nothing: a given {@code constant:1e-320} stalled from the default start.
     * |M|_F is √(2·loss)/relative error (over the stored entries for the observed loss: those the gradient sees).
     */
    private static String stepCause(Map<String, Object> summary) {
        if (!(summary.get("schedule") instanceof String spec && summary.get("iterations") instanceof Number t
                && summary.get("loss") instanceof Double loss && summary.get("relative_error") instanceof Double error
                && summary.get("norm_u") instanceof Double normU && summary.get("norm_v") instanceof Double normV
                && normU > 0 && normV > 0)) {
            return null;
        }
        StepSchedule schedule;
        try {
            schedule = StepSchedule.parse(spec);
        } catch (IllegalArgumentException notARunnableStep) {
            return null;
        }
        if (schedule.needsSpectralNorm()) {
            return null;
        }
        DType dtype = DType.parse((String) summary.get("dtype"));
        double eta = schedule.eta(t.longValue());
        double relative = eta * Math.sqrt(2 * loss) / error * Math.max(normU / normV, normV / normU);
        if (!(relative < dtype.unitRoundoff())) {
            return null;
        }
        return String.format(Locale.ROOT, "the step is too small for this M: η = %.3g changes U and V by about "
                + "%.2g of their size, below %s's rounding unit %.2g, however large the start; give a larger step "
                + "(leave --schedule out for the default, scaled to M)", eta, relative, dtype.label(),
                dtype.unitRoundoff());
    }

    /** Whether the run ended where U = V = 0 is: relative error 1 exactly, or within the rounding of a tiny start. */
    private static boolean learnedNothing(Map<String, Object> summary) {
        return summary.get("relative_error") instanceof Double e && nothingLearned(e);
    }

    /**
     * Whether a run whose fit is {@code relativeError} (its residual's norm over the start's: ‖UVᵀ − M‖_F/‖M‖_F from
     * U = V = 0, √(L/L₀) for a network) learned nothing: 1 to six digits, what a start within rounding of a saddle
     * at the zero point leaves after any number of iterations that has not yet grown it (a 5-layer network from
     * small:0.01: 1 − 8e-9 after 10 000 iterations, 1 − 5e-7 after 50 000, 0.81 after 56 000).
     */
    static boolean nothingLearned(double relativeError) {
        return relativeError > 1 - 1e-6;
    }

    /**
     * M's scale as the reason a run learned nothing ({@link IterationMonitor#scaleProblem}), or null. Read from the
     * summary's σ₁ and dtype; a run without σ₁ (a given start and step) gives null.
     */
    private static String scaleCause(Map<String, Object> summary) {
        return summary.get("sigma1") instanceof Double sigma1
                ? IterationMonitor.scaleProblem(sigma1, DType.parse((String) summary.get("dtype"))) : null;
    }

    /**
     * What a run that a limit ended on a saddle plateau says: more iterations would lower the error — unless it learned
     * nothing because of M's scale (float32 products below the normal range: the scalar kernels' steps, formed in
     * double, shrank such a start for 200 000 iterations without learning), which is said instead.
     */
    static String plateau(Map<String, Object> summary) {
        String scale = learnedNothing(summary) ? scaleCause(summary) : null;
        return "the limit ended the run on a saddle plateau (some directions not yet learned): " + (scale != null
                ? "more iterations would not help, as " + scale
                : "more iterations (--max-iter, --max-seconds) would lower the error");
    }

    /**
     * What a run that {@code --max-iter} ended says (stop reason {@code max_iterations}): the gradient test did not
     * hold, and how far the relative error still moved over the last tenth of the iterations — from {@code before},
     * the record there, or the first of a run resumed past it (null for neither) — so that the user sees whether the
     * fit is still improving in the digits they care about. A noisy M at a rank inside its noise spectrum takes GD
     * tens of thousands of iterations to meet float64's tolerance while its relative error already agrees with the
     * optimum to 5 digits (issue 8's case: 0.092838 at 10 000 iterations, 0.0928334 converged at 100 071). The
     * record's relative error is the one-pass identity's unless exact, resolved to about √u (2.4e-4 in float32): below
     * ten times that, its change is not measured (float32 printed "from 0.000000 to 1.230421e-05 (-1.0 of it)"). A run
     * still at relative error 1 learned nothing, and says so.
     */
    static String limitReached(Map<String, Object> summary, IterationRecord before) {
        String fact = "the gradient test (--tol) did not hold by --max-iter";
        if (learnedNothing(summary)) {
            Object variant = summary.get("variant");
            boolean regularized = variant instanceof String v && v.startsWith("regularized");
            return fact + ": the relative error is still 1, nothing of M learned; with the step " + summary.get(
                    "schedule") + " the start may need many more iterations to grow: more iterations (--max-iter)"
                    + (autoStep(summary) ? "" : ", or a larger step (leave --schedule out for the auto step)")
                    + (regularized ? ", or a smaller LAMBDA (--variant " + variant + ")" : "");
        }
        if (before == null || !(summary.get("relative_error") instanceof Double now)
                || !(summary.get("iterations") instanceof Number n)
                || !(summary.get("dtype") instanceof String dtype)) {
            return fact + ": more iterations (--max-iter) would continue the descent";
        }
        long over = n.longValue() - before.iteration();
        String since = String.format(Locale.ROOT, "over its last %d iteration%s", over, over == 1 ? "" : "s");
        double resolution = 10 * Math.sqrt(DType.parse(dtype).unitRoundoff());
        if (!before.lossExact() && Math.min(before.relativeError(), now) < resolution) {
            return String.format(Locale.ROOT, "%s: the relative error, %.7g, is below what the per-iteration loss "
                    + "resolves in %s (about %.1g), so its change %s is not measured; more iterations (--max-iter) "
                    + "continue the descent", fact, now, dtype, resolution / 10, since);
        }
        if (now - before.relativeError() > Math.sqrt(DType.parse(dtype).unitRoundoff())) {
            // a rise beyond what the records resolve is no descent to continue: a power-law sampled completion at
            // --schedule auto:0.25 oscillated, 0.48 to 0.51 over its last 300 of 3000 iterations, and was told
            // "(-0.055 of it); more iterations (--max-iter) continue the descent"
            boolean penalty = summary.get("objective") instanceof String o && o.contains(":")
                    || summary.get("variant") instanceof String v && v.startsWith("regularized");
            return String.format(Locale.ROOT, "%s: %s the relative error rose from %.7g to %.7g, so more iterations "
                    + "need not lower it: a step too large for this M makes the iterates oscillate (give a smaller "
                    + "one, --schedule)%s", fact, since, before.relativeError(), now,
                    penalty ? ", or the penalty traded fit for smaller factors" : "");
        }
        return String.format(Locale.ROOT, "%s: %s the relative error went from %.7g to %.7g (%.2g of it); more "
                + "iterations (--max-iter) continue the descent", fact, since, before.relativeError(), now,
                (before.relativeError() - now) / now);
    }

    /**
     * Whether the run's step is the one the default schedule gives, resolved from the summary's σ₁ as the solver
     * resolves it: then "leave --schedule out" is no advice (a new user's finding: the line said it to a run without
     * --schedule).
     */
    private static boolean autoStep(Map<String, Object> summary) {
        if (!(summary.get("sigma1") instanceof Double sigma1) || !(summary.get("rank") instanceof Number rank)
                || !(summary.get("variant") instanceof String variant)) {
            return false;
        }
        String auto = StepSchedule.parse("auto").resolve(sigma1 * Variant.parse(variant).curvatureScale(),
                rank.intValue()).describe();
        return auto.equals(summary.get("schedule"));
    }

    /** The printed summary of a run that reached its first iteration, and its outputs committed. */
    private static void report(PrintWriter printer, String label, int rank, Map<String, Object> summary,
            IterationRecord[] records, Finished result, RunOutputs outputs, RunOutputs.Format outFormat)
            throws IOException {
        IterationRecord first = records[0];
        boolean one = summary.get("iterations") instanceof Number n && n.longValue() == 1;
        printer.printf("%s (%s x %s, %s), rank %d: %s iteration%s, stopped: %s, %.2f s%n", label,
                summary.get("d1"), summary.get("d2"), summary.get("dtype"), rank, summary.get("iterations"),
                one ? "" : "s", summary.get("stop_reason"), (Double) summary.get("seconds"));
        if (summary.containsKey("early_stop") && summary.get("factors_iteration") instanceof Long at) {
            // before the metrics, which are of this iterate: "95 iterations" then the metrics read as the 95th's
            printer.printf("written, and measured below: the factors after %d iteration%s, the lowest held-out RMSE "
                    + "of the run (--early-stop %s; summary.json: factors_iteration)%n", at, at == 1 ? "" : "s",
                    summary.get("early_stop"));
        }
        if (StopReason.PLATEAU.label().equals(summary.get("stop_reason"))) {
            printer.println(plateau(summary));
        }
        if (StopReason.STALLED.label().equals(summary.get("stop_reason"))) {
            printer.println(stalled(summary));
        }
        // no line where no test ran: --tol 0, or --max-iter 0
        if (StopReason.MAX_ITERATIONS.label().equals(summary.get("stop_reason"))
                && !(summary.get("tol") instanceof Double tol && tol == 0)
                && !(summary.get("iterations") instanceof Number n && n.longValue() == 0)) {
            IterationRecord lastTenth = records[1] != null ? records[1]
                    : first != null && first.iteration() > 0 ? first : null;
            printer.println(limitReached(summary, lastTenth));
        }
        printer.printf("relative error %.6e   loss %.6e   balance |U'U - V'V|_F %.3e   |U|_F %.4g"
                + "   |V|_F %.4g%n", summary.get("relative_error"), summary.get("loss"),
                summary.get("balance"), summary.get("norm_u"), summary.get("norm_v"));
        if (Boolean.FALSE.equals(summary.get("loss_exact"))) {
            // after Ctrl-C the exact pass was skipped or cut short, whatever --exact-loss said
            printer.println("loss and relative error from the one-pass identity (absolute error a few "
                    + "u*|M|_F^2); " + (Interruption.token().isCancelled() ? "the exact residual was not formed: "
                            + "interrupted" : "--exact-loss always forms the exact residual"));
        }
        Object objective = summary.get("objective");
        if (objective != null && !objective.equals("full")) {
            printer.printf("objective %s: loss and relative error over the observed entries%s%s%n", objective,
                    summary.get("test_rmse") instanceof Double rmse
                            ? String.format(Locale.ROOT, ", held-out RMSE %.6e", rmse) : "",
                    summary.get("penalty") instanceof Double penalty
                            && summary.get("objective_value") instanceof Double value
                            ? String.format(Locale.ROOT, "; penalty LAMBDA/2*(|U|_F^2 + |V|_F^2) %.6e, loss + penalty "
                                    + "(the objective minimised) %.6e", penalty, value) : "");
        }
        if (summary.get("best_test_iteration") instanceof Long bestAt && summary.get("test_rmse") instanceof Double now
                && summary.get("best_test_rmse") instanceof Double lowest) {
            if (!summary.containsKey("early_stop") && now > lowest * 1.01) {
                // with λ = 0 the held-out error falls to about the noise level, then rises as the noise is fitted
                printer.printf("note: the held-out RMSE was lowest, %.6e, after %d iterations (now %.1f %% higher): "
                        + "--early-stop PATIENCE writes the factors of that iterate%n", lowest, bestAt,
                        100 * (now / lowest - 1));
            }
        }
        // the paper's point: |U'U - V'V| is (nearly) conserved while the factors grow; a resumed run's start is its
        // checkpoint's, and only one written before the start was kept gives the first record of the resume
        Object[] start = summary.get("start_balance") instanceof Double balance
                && summary.get("start_norm_u") instanceof Double u && summary.get("start_norm_v") instanceof Double v
                ? new Object[] {firstRecord(0), balance, u, v} : first != null
                ? new Object[] {firstRecord(first.iteration()), first.balance(), first.normU(), first.normV()} : null;
        if (start != null) {
            printer.printf("%s: balance %.3e, |U|_F %.4g, |V|_F %.4g%n", start);
        }
        printer.printf("schedule %s, %s kernels, %s thread(s)%n", summary.get("schedule"),
                summary.get("kernels"), summary.get("threads"));
        if (summary.get("step_halved_at") instanceof List<?> halved && !halved.isEmpty()) {
            printer.printf("note: the loss ran away or oscillated at iteration%s %s: the run went back to its start "
                    + "with half the step each time (the step that ran to the end: the schedule's / %d)%n",
                    halved.size() == 1 ? ""
                    : "s", halved.stream().map(String::valueOf).collect(Collectors.joining(", ")),
                    1L << halved.size());
        }
        if (outputs != null) {
            List<Path> written = outputs.commit(result.files(outFormat),
                    dir -> result.writeInto(dir, outFormat), summary);
            outputs.report(printer, written);
        }
    }

    /**
     * A new log, or for a resumed run the interrupted run's log (still under its staging name) continued at the
     * checkpoint's iteration. A log written in place (see {@link #stagingFor}) is appended to: a resumed run's records
     * from the checkpoint on follow those the interrupted run had written.
     */
    static JsonLinesLog openLog(Path log, Path staging, long resumedAt) throws IOException {
        if (staging.equals(log)) {
            return new JsonLinesLog(new OutputStreamWriter(inPlace(log), StandardCharsets.UTF_8));
        }
        if (resumedAt < 0) {
            try {
                Files.createDirectories(staging.getParent());
                return new JsonLinesLog(staging);
            } catch (IOException e) {
                // what Destinations.claim could not foresee (a file system that refuses what access(2) allowed, as
                // /proc does for root; a directory removed since): still one line naming the option
                throw new UsageException("--log " + log + ": cannot write " + staging + " (" + FileChecks.reason(e)
                        + ")", e);
            }
        }
        Path target = target(log);
        if (!Files.exists(staging) && Files.exists(target)) {
            // the interrupted run had finished its log (killed after its last iteration): continue that one
            Files.move(target, staging, StandardCopyOption.ATOMIC_MOVE);
        }
        if (!Files.exists(staging)) {
            // also a run that had no --log, whose resume added one: "the interrupted run's log is missing" sent
            // its user looking for a file that never was
            throw new UsageException("--log " + log + ": no log of the interrupted run to continue (neither " + staging
                    + " nor " + target + " exists: it ran without --log, logged elsewhere, or its log was removed): "
                    + "resume with its --log, or without --log", null);
        }
        try {
            return JsonLinesLog.continueAt(staging, resumedAt);
        } catch (IOException e) {
            throw new UsageException("--log " + log + ": " + e.getMessage(), e);
        }
    }

    /**
     * This process's own standard output or error, if {@code log} is one of them (/dev/stdout leads there, also to a
     * file the shell redirected output to), else null.
     */
    private static FileDescriptor ownDescriptor(Path log) throws IOException {
        FileDescriptor[] own = {FileDescriptor.out, FileDescriptor.err};
        for (int fd = 1; fd <= 2; fd++) {
            Path descriptor = Path.of("/proc/self/fd/" + fd);
            if (Files.exists(descriptor) && Files.exists(log) && Files.isSameFile(log, descriptor)) {
                return own[fd - 1];
            }
        }
        return null;
    }

    /**
     * A log written in place: appended to, never truncated; this process's own standard output or error through that
     * descriptor, at its offset, and left open (a second opening of the file has an offset of its own, and what the
     * command printed overwrote the records).
     */
    private static OutputStream inPlace(Path log) throws IOException {
        FileDescriptor own = ownDescriptor(log);
        if (own != null) {
            return flushedOnClose(new FileOutputStream(own));
        }
        return Files.newOutputStream(log, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    }

    /** {@code out}, whose {@code close()} flushes it and leaves it open (its owner closes it). */
    static OutputStream flushedOnClose(OutputStream out) {
        return new FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                // FilterOutputStream's own writes byte by byte: a system call per byte on a channel or descriptor
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                flush();
            }
        };
    }

    /**
     * The file a log is finally written to: {@code log}, or the file a link there leads to (the link stays a link;
     * also a link that leads nowhere yet).
     */
    private static Path target(Path log) throws IOException {
        if (!Files.isSymbolicLink(log)) {
            return log;
        }
        try {
            return log.toRealPath();
        } catch (NoSuchFileException dangling) {
            return log.toAbsolutePath().getParent().resolve(Files.readSymbolicLink(log)).normalize();
        }
    }

    /**
     * Moves the log from where it was written during the run ({@code staging}, from {@link #stagingFor}) to its
     * target; the log of a diverged run is complete too (it shows how the run diverged). Nothing to do for a log
     * written in place, or none.
     */
    static void finishLog(Path log, Path staging) throws IOException {
        if (staging == null || staging.equals(log)) {
            return;
        }
        if (!Files.exists(staging)) {
            // removed with its directory by another program while the records went on into the unlinked file: the
            // run said "iteration log X" of a log that was nowhere
            throw new RunLog.Failure("--log " + log + ": " + staging + ", where its records were written, was "
                    + "removed during the run: the log is lost", new NoSuchFileException(staging.toString()));
        }
        Files.move(staging, target(log), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Where the log is written during the run (moved to its target at the end: {@code log}, or the file a link there
     * leads to); its directory must exist or be one that can be made, and {@code log} must not be a directory (the
     * move at the end would fail, after the whole run). An existing {@code log} that is not a regular file — a
     * device, a pipe, this process's own standard output ({@code /dev/stdout}, even redirected to a file) — is written
     * in place, appended to, as the run goes, and {@code log} itself is returned: renaming a staged file over
     * {@code /dev/stdout} replaced the link with a file (as root), and the records never reached the terminal.
     */
    static Path stagingFor(Path log) {
        try {
            if (Files.isDirectory(log)) {
                throw new UsageException("--log " + log + ": is a directory; give a file name", null);
            }
            if (Files.exists(log) && (!Files.isRegularFile(log) || ownDescriptor(log) != null)) {
                return log;
            }
            Path target = target(log);
            Path parent = target.toAbsolutePath().getParent();
            // made when the log is opened, as --out is (the README's --out result/ --log result/run.jsonl)
            FileChecks.requireWritableDirectory("--log " + log + ": its directory", parent);
            return parent.resolve("." + target.getFileName() + RunLock.LOG_STAGING_SUFFIX);
        } catch (IOException e) {
            throw new UsageException("--log " + log + ": " + FileChecks.reason(e), e);
        }
    }

    /** The name a staged log ({@link #stagingFor}, not written in place) is renamed to at the end, beside it. */
    static String targetName(Path staging) {
        String staged = staging.getFileName().toString();
        return staged.substring(1, staged.length() - RunLock.LOG_STAGING_SUFFIX.length());
    }
}
