package org.autobalance.solve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Flushable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;
import org.autobalance.observe.IterationListener;
import org.autobalance.observe.IterationRecord;
import org.autobalance.observe.JsonLinesLog;
import org.autobalance.observe.Trajectory;
import org.autobalance.schedule.ConstantSchedule;
import org.autobalance.schedule.StepSchedule;
import org.autobalance.solve.internal.CheckpointReader;
import org.autobalance.solve.internal.CheckpointWriter;
import org.autobalance.solve.internal.FactorCheckpoint;
import org.autobalance.synthetic.KnownMatrices;
import org.autobalance.testing.Dense;
import org.autobalance.testing.OldCheckpoints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Checkpoint and resume in the library: a run stopped after k iterations and resumed from its checkpoint ends with
 * the same bits, and the same records, as the run that was never stopped; a checkpoint of another matrix or
 * configuration, or a damaged one, is refused. (Killing a process at random points: KillNineTest in src-test.)
 */
class CheckpointTest {
    private static final double[][] M = KnownMatrices.withSpectrum(37, 29, new double[] {3, 2, 1, 0.5}, 5);

    @TempDir
    Path dir;

    /** The final factors' bits, every record, and the summary's start_balance, start_norm_u, start_norm_v (or null). */
    private record Run(long[] bits, List<IterationRecord> records, StopReason stopReason, double[] start) {
    }

    /** Counts the checkpoints written: each write flushes the {@link Flushable} listeners first. */
    private static final class FlushCount implements IterationListener, Flushable {
        int count;

        @Override
        public void onIteration(IterationRecord record) {
        }

        @Override
        public void flush() {
            count++;
        }
    }

    private static Run run(DenseMatrix m, UnaryOperator<Factorizer.Builder> settings, long maxIterations,
            UnaryOperator<Factorizer.Builder> extra) {
        return run(m, 3, settings, maxIterations, extra);
    }

    /**
     * A run that dies after {@code iterations} iterations, as a kill would end it (a listener throws at that
     * iteration's record, before the checkpoint due after it): what it leaves is the checkpoints due before. A run that
     * the limit ends is checkpointed at its end, so the limit is no stand-in for a crash.
     */
    private static void dieAfter(DenseMatrix m, UnaryOperator<Factorizer.Builder> settings, long iterations,
            UnaryOperator<Factorizer.Builder> extra) {
        dieAfter(m, 3, settings, iterations, extra);
    }

    private static void dieAfter(DenseMatrix m, int rank, UnaryOperator<Factorizer.Builder> settings, long iterations,
            UnaryOperator<Factorizer.Builder> extra) {
        dieAfter(Factorizer.builder(m, rank), settings, iterations, extra);
    }

    private static void dieAfter(Factorizer.Builder builder, UnaryOperator<Factorizer.Builder> settings,
            long iterations, UnaryOperator<Factorizer.Builder> extra) {
        IterationListener die = record -> {
            if (record.iteration() + 1 == iterations) {
                throw new IllegalStateException("died");
            }
        };
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> run(builder, settings, Long.MAX_VALUE, b -> extra.apply(b).listener(die)));
        assertEquals("died", e.getMessage());
    }

    private static Run run(DenseMatrix m, int rank, UnaryOperator<Factorizer.Builder> settings, long maxIterations,
            UnaryOperator<Factorizer.Builder> extra) {
        return run(Factorizer.builder(m, rank), settings, maxIterations, extra);
    }

    private static Run run(Factorizer.Builder builder, UnaryOperator<Factorizer.Builder> settings, long maxIterations,
            UnaryOperator<Factorizer.Builder> extra) {
        Trajectory trajectory = new Trajectory();
        try (Result r = extra.apply(settings.apply(builder).maxIterations(maxIterations).listener(trajectory))
                .build().run()) {
            double[][] u = r.u().toArray();
            double[][] v = r.v().toArray();
            long[] bits = new long[(u.length + v.length) * u[0].length];
            int k = 0;
            for (double[][] x : new double[][][] {u, v}) {
                for (double[] row : x) {
                    for (double e : row) {
                        bits[k++] = Double.doubleToRawLongBits(e);
                    }
                }
            }
            Map<String, Object> summary = r.summary();
            double[] start = summary.containsKey("start_balance") ? new double[] {(Double) summary.get("start_balance"),
                (Double) summary.get("start_norm_u"), (Double) summary.get("start_norm_v")} : null;
            return new Run(bits, List.copyOf(trajectory.records()), r.stopReason(), start);
        }
    }

    /**
     * A run resumed between the first-order test's halves — the coarse half met, the weakest direction's fit not yet,
     * its test rationed at doubling waits — stops where the uninterrupted run stops, with the same bits: the rationing
     * is in the checkpoint. float32, σ = 1, 0.01, 0.003 (PlateauTest's case): hundreds of iterations in that window;
     * checkpoints at three offsets into it, so that the waits pending there differ.
     */
    @ParameterizedTest
    @CsvSource({"1", "6", "40"})
    void aResumeBetweenTheHalvesOfTheTestStopsAsTheWholeRun(int into) throws IOException {
        double[][] spread = Dense.addScaled(KnownMatrices.withSpectrum(200, 150, new double[] {1, 0.01, 0.003}, 1),
                1.0, KnownMatrices.gaussian(200, 150, 4e-7, 3));
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT32, spread)) {
            UnaryOperator<Factorizer.Builder> plain = b -> b;
            Run whole = run(m, 3, plain, 20_000, plain);
            assertEquals(StopReason.CONVERGED, whole.stopReason());
            double tol = Factorizer.defaultTolerance(DType.FLOAT32);
            double normM = KnownMatrices.frobenius(spread);
            // where the coarse half holds from on to the stop (it held on the saddle plateaus before, too)
            int coarse = whole.records().size() - 1;
            while (meetsCoarse(whole.records().get(coarse - 1), tol, normM)) {
                coarse--;
            }
            long at = coarse + into;
            assertTrue(at + 1 < whole.records().size(), "the window: coarse half met at " + coarse + ", stopped at "
                    + whole.records().size());
            Path saves = dir.resolve("at" + into);
            run(m, 3, plain, at, b -> b.checkpoint(saves, at, null));
            Checkpoint saved = Checkpoint.load(saves);
            assertEquals(at, saved.iteration());
            Run resumed = run(m, 3, plain, 20_000, b -> b.resumeFrom(saved));
            assertEquals(StopReason.CONVERGED, resumed.stopReason());
            assertEquals(whole.records().getLast().iteration(), resumed.records().getLast().iteration());
            assertArrayEquals(whole.bits(), resumed.bits(), "final factors");
        }
    }

    private static boolean meetsCoarse(IterationRecord r, double tol, double normM) {
        return r.gradientNorm() <= tol * normM * Math.hypot(r.normU(), r.normV());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "FLOAT64|auto|simultaneous|small|1|0",
        "FLOAT32|constant:0.05|alternating|balanced:0.01|2|0",
        "FLOAT64|decay:0.3,0.25|regularized:0.5|ward-kolda|2|3"})
    void aResumedRunEndsWithTheSameBitsAndRecords(DType dtype, String schedule, String variant, String init,
            int threads, long exactEvery) throws IOException {
        UnaryOperator<Factorizer.Builder> settings = b -> b.schedule(StepSchedule.parse(schedule))
                .variant(Variant.parse(variant)).initializer(Initializer.parse(init)).threads(threads).tolerance(0)
                .exactLossEvery(exactEvery).seed(11);
        try (DenseMatrix m = DenseMatrix.of(dtype, M)) {
            Run whole = run(m, settings, 60, b -> b);
            // ended by the limit after 25 iterations: checkpointed there, and a resume with a larger limit goes on
            Path limited = dir.resolve("limited");
            run(m, settings, 25, b -> b.checkpoint(limited, 7, null));
            Checkpoint atLimit = Checkpoint.load(limited);
            assertEquals(25, atLimit.iteration());
            assertArrayEquals(whole.bits(), run(m, settings, 60, b -> b.resumeFrom(atLimit)).bits(),
                    "final factors, resumed from the limit's end");
            // died after 25 iterations (as a kill would end it), with a checkpoint every 7: the last one is after 21
            dieAfter(m, settings, 25, b -> b.checkpoint(dir, 7, null));
            Checkpoint saved = Checkpoint.load(dir);
            assertEquals(21, saved.iteration());
            Run resumed = run(m, settings, 60, b -> b.resumeFrom(saved));
            assertArrayEquals(whole.bits(), resumed.bits(), "final factors");
            // the start's balance and norms, which the summary compares the end's with, are iterate 0's in both
            IterationRecord first = whole.records().getFirst();
            assertArrayEquals(new double[] {first.balance(), first.normU(), first.normV()}, whole.start(), 0.0);
            assertArrayEquals(whole.start(), resumed.start(), 0.0, "the resumed run's start");
            // a checkpoint from before they were kept resumes to the same factors, its summary without them
            Path old = dir.resolve("old");
            OldCheckpoints.withoutExact(dir, old, "start_balance");
            OldCheckpoints.withoutExact(old, old, "start_norm_u");
            OldCheckpoints.withoutExact(old, old, "start_norm_v");
            Run fromOld = run(m, settings, 60, b -> b.resumeFrom(load(old)));
            assertArrayEquals(whole.bits(), fromOld.bits(), "final factors, resumed from the old checkpoint");
            assertNull(fromOld.start(), "no start in the old checkpoint's continuation");
            // tolerance 0: no gradient test, so a resume with the checkpoint's limit ends on max_iterations
            assertEquals(StopReason.MAX_ITERATIONS, run(m, settings, 21, b -> b.resumeFrom(saved)).stopReason());
            assertEquals(39, resumed.records().size());
            for (int k = 0; k < 39; k++) {
                IterationRecord a = whole.records().get(21 + k);
                IterationRecord b = resumed.records().get(k);
                assertEquals(a.iteration(), b.iteration());
                assertEquals(Double.doubleToRawLongBits(a.loss()), Double.doubleToRawLongBits(b.loss()), "loss");
                assertEquals(Double.doubleToRawLongBits(a.eta()), Double.doubleToRawLongBits(b.eta()), "eta");
                assertEquals(Double.doubleToRawLongBits(a.gradientNorm()),
                        Double.doubleToRawLongBits(b.gradientNorm()), "gradient norm");
                assertEquals(a.lossExact(), b.lossExact());
            }
        }
    }

    /**
     * A cancelled run with a checkpoint directory checkpoints the iterate it returns, so that a resume goes on from
     * there, bit for bit: cancelled during iteration 24 of a run saved every 1000 iterations, the checkpoint is after
     * 25 and the resumed run ends as the uninterrupted 60, with the same records. Before, nothing was due, so nothing
     * was saved (at the command line: Ctrl-C at 595 of a run saved every 100 left the checkpoint of 500, and --resume
     * did 95 iterations again). Cancelled during the 21st iteration of a run saved every 7, where a checkpoint is due
     * anyway, the checkpoint is that one, written once: the writes are counted (each flushes the listeners first),
     * 3 (after 7, 14, 21) and not 4, so that a second write of the same iterate fails the test.
     */
    @ParameterizedTest
    @CsvSource({"1000, 24, 25, 1", "7, 20, 21, 3"})
    void aCancelledRunIsCheckpointedWhereItStopped(long every, long cancelAt, long expected, int writes)
            throws IOException {
        UnaryOperator<Factorizer.Builder> settings = b -> b.schedule(StepSchedule.parse("auto")).tolerance(0).seed(11);
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, M)) {
            Run whole = run(m, settings, 60, b -> b);
            CancelToken token = new CancelToken();
            FlushCount flushes = new FlushCount();
            Run cancelled = run(m, settings, 60, b -> b.checkpoint(dir, every, null).cancelToken(token)
                    .listener(flushes).listener(rec -> {
                        if (rec.iteration() == cancelAt) {
                            token.cancel();
                        }
                    }));
            assertEquals(StopReason.CANCELLED, cancelled.stopReason());
            assertEquals(writes, flushes.count, "checkpoints written");
            Checkpoint saved = Checkpoint.load(dir);
            assertEquals(expected, saved.iteration());
            Run resumed = run(m, settings, 60, b -> b.resumeFrom(saved));
            assertArrayEquals(whole.bits(), resumed.bits(), "final factors");
            assertEquals(60 - expected, resumed.records().size());
            for (IterationRecord b : resumed.records()) {
                IterationRecord a = whole.records().get((int) b.iteration());
                assertEquals(Double.doubleToRawLongBits(a.loss()), Double.doubleToRawLongBits(b.loss()), "loss");
            }
        }
    }

    /**
     * A time interval that is not positive is none, as an iteration interval that is not positive is (and as the
     * command line's {@code --checkpoint-seconds 0}), and one past a long of nanoseconds is as good as none: each
     * writes the checkpoints of the iteration interval alone. Before, {@code Duration.ZERO} or a negative duration
     * beside {@code everyIterations} 25 wrote a checkpoint after every iteration (60 instead of 3), and
     * {@code Duration.ofMillis(Long.MAX_VALUE)} failed the run with "ArithmeticException: long overflow".
     */
    @Test
    void aTimeIntervalThatIsNotPositiveOrBeyondALongOfNanosAddsNoCheckpoints() throws IOException {
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, M)) {
            FlushCount alone = new FlushCount();
            run(m, b -> b.tolerance(0), 60, b -> b.checkpoint(dir.resolve("alone"), 25, null).listener(alone));
            for (Duration every : List.of(Duration.ZERO, Duration.ofSeconds(-1), Duration.ofMillis(Long.MAX_VALUE),
                    java.time.temporal.ChronoUnit.FOREVER.getDuration())) {
                FlushCount writes = new FlushCount();
                Path to = dir.resolve("every" + writes.hashCode());
                Run run = run(m, b -> b.tolerance(0), 60, b -> b.checkpoint(to, 25, every).listener(writes));
                assertEquals(StopReason.MAX_ITERATIONS, run.stopReason(), every.toString());
                assertEquals(alone.count, writes.count, every + ": checkpoints written");
                assertEquals(60, Checkpoint.load(to).iteration(), every.toString());
            }
        }
    }

    /**
     * A run out of time is checkpointed where it stops, as a cancelled one is, so that runs in time slices (a time
     * limit, then a resume) go on where each slice stopped, bit for bit: here the record of iteration 24 takes longer
     * than the limit (a listener sleeps past it), so the end of iteration 25, the next one measured, is past it and the
     * run stops after 26 iterations, with nothing due every 1000.
     * Before, nothing was saved: at the command line the checkpoint directory was removed, and a network resumed each
     * slice from the same old checkpoint (a new user's finding).
     */
    @Test
    void aRunOutOfTimeIsCheckpointedWhereItStopped() throws IOException {
        UnaryOperator<Factorizer.Builder> settings = b -> b.schedule(StepSchedule.parse("auto")).tolerance(0).seed(11);
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, M)) {
            Run whole = run(m, settings, 60, b -> b);
            Run slice = run(m, settings, 60, b -> b.checkpoint(dir, 1000, null).timeLimit(Duration.ofSeconds(2))
                    .listener(rec -> {
                        if (rec.iteration() == 24) {
                            try {
                                Thread.sleep(2100);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                    }));
            assertEquals(StopReason.TIME_LIMIT, slice.stopReason());
            Checkpoint saved = Checkpoint.load(dir);
            assertEquals(26, saved.iteration());
            Run resumed = run(m, settings, 60, b -> b.resumeFrom(saved));
            assertArrayEquals(whole.bits(), resumed.bits(), "final factors");
        }
    }

    /**
     * A run that stalls ({@link StopReason#STALLED}) stops at the same iteration, with the same bits, whether it was
     * resumed on the way or not: StopRulesTest's M (exactly rank 3) at rank 3 in float32 with tolerance 0 runs to a
     * fixed point of the rounded step near the optimum. Before, the stall test's rationing (a wait that doubled after
     * each test that found a change, and a test only where the last iteration's measures repeated) was not in the
     * checkpoint and restarted at a resume: the whole run stalled after 169 iterations, resumed from 168 after 170
     * (and in float64 with 128-bit SIMD: after 360, resumed from 350 or 357 after 359).
     *
     * <p>A cancel, or a due checkpoint, at the iteration where the run stalls: the stall test of that iteration runs
     * before either saves, and the run stalls there as the whole run does. Before, both saved the iterate after it
     * first: the cancel returned CANCELLED with a checkpoint of 257 (the whole run stalled after 257 iterations, the
     * test of t = 256), and a resume from that never ran the test of 256 and stalled after 513; a checkpoint due at
     * 257 was written, and a resume from it did the same.
     */
    @Test
    void aResumedRunStallsWhereTheWholeRunStalls() throws IOException {
        double[][] a = KnownMatrices.withSpectrum(40, 30, new double[] {4, 2, 1}, 7);
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT32, a)) {
            UnaryOperator<Factorizer.Builder> settings = b -> b.tolerance(0);
            Run whole = run(m, settings, 100_000, b -> b);
            assertEquals(StopReason.STALLED, whole.stopReason());
            int stalled = whole.records().size();
            for (int k : new int[] {stalled / 4, stalled / 2, stalled - stalled / 8, stalled - 3, stalled - 1}) {
                Path at = Files.createDirectories(dir.resolve("at" + k));
                run(m, settings, k, b -> b.checkpoint(at, k, null));
                Checkpoint saved = Checkpoint.load(at);
                assertEquals(k, saved.iteration());
                Run resumed = run(m, settings, 100_000, b -> b.resumeFrom(saved));
                assertEquals(StopReason.STALLED, resumed.stopReason(), "resumed at " + k);
                assertEquals(stalled - k, resumed.records().size(), "iterations after a resume at " + k);
                assertArrayEquals(whole.bits(), resumed.bits(), "final factors, resumed at " + k);
            }
            long last = stalled - 1;
            CancelToken token = new CancelToken();
            Path cancelled = Files.createDirectories(dir.resolve("cancelled"));
            Run stopped = run(m, settings, 100_000, b -> b.checkpoint(cancelled, 1_000_000, null).cancelToken(token)
                    .listener(rec -> {
                        if (rec.iteration() == last) {
                            token.cancel();
                        }
                    }));
            assertEquals(StopReason.STALLED, stopped.stopReason());
            assertArrayEquals(whole.bits(), stopped.bits(), "final factors, cancelled at the stall");
            assertThrows(NoSuchFileException.class, () -> Checkpoint.load(cancelled), "a checkpoint of the stop");
            Path due = Files.createDirectories(dir.resolve("due"));
            Run saving = run(m, settings, 100_000, b -> b.checkpoint(due, stalled, null));
            assertEquals(StopReason.STALLED, saving.stopReason());
            assertThrows(NoSuchFileException.class, () -> Checkpoint.load(due), "a checkpoint of the stop");
        }
    }

    /**
     * Rank 3 plus a weak fourth direction (σ₄ = 0.03) and 10⁻⁴ noise, at rank 4 in float32 from the default small
     * start: the gradient test holds at iterations 58–913, on the plateau before the fourth direction is learned, and
     * the plateau test rejects them (rationing its σ₁(R) checks); the run converges at iteration 2098 (measured when
     * this test was written). A resume from iteration 500, inside the plateau, must restore the plateau test's level
     * and last verdict, or it stops elsewhere: with the restore removed, or with the verdict of the last check
     * forgotten, the resumed run declared convergence at its first iteration (checked by mutating the restore).
     */
    @Test
    void aRunResumedOnAPlateauStopsWhereTheWholeRunStops() throws IOException {
        double[][] a = KnownMatrices.withSpectrum(60, 40, new double[] {3, 2, 1.5, 0.03}, 5);
        double[][] noise = KnownMatrices.gaussian(60, 40, 1e-4, 9);
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                a[i][j] += noise[i][j];
            }
        }
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT32, a)) {
            UnaryOperator<Factorizer.Builder> settings = b -> b;
            Run whole = run(m, 4, settings, 20_000, b -> b);
            assertEquals(StopReason.CONVERGED, whole.stopReason());
            double normM = KnownMatrices.frobenius(m);
            long stationaryAfter = whole.records().stream().filter(r -> r.iteration() > 500
                    && r.iteration() < whole.records().size() - 1 && r.gradientNorm()
                    <= Factorizer.defaultTolerance(DType.FLOAT32) * normM * Math.hypot(r.normU(), r.normV())).count();
            // the premise: after iteration 500 the gradient test held at iterations the plateau test rejected
            assertTrue(stationaryAfter > 0, "no plateau after the checkpoint");
            dieAfter(m, 4, settings, 600, b -> b.checkpoint(dir, 250, null));
            Checkpoint saved = Checkpoint.load(dir);
            assertEquals(500, saved.iteration());
            Run resumed = run(m, 4, settings, 20_000, b -> b.resumeFrom(saved));
            assertEquals(StopReason.CONVERGED, resumed.stopReason());
            assertEquals(whole.records().size() - 500, resumed.records().size(), "iterations after the resume");
            assertArrayEquals(whole.bits(), resumed.bits(), "final factors");
            assertTrue(resumed.records().get(0).seconds() >= saved.seconds(), "the clock continues");
            // a run whose limit is the checkpoint's iteration ends at once, with the verdict of the iteration before
            // it (plateau when its gradient test held, not max_iterations): as the whole run with that limit
            Run stopped = run(m, 4, settings, 500, b -> b);
            Run stoppedAtOnce = run(m, 4, settings, 500, b -> b.resumeFrom(saved));
            assertEquals(0, stoppedAtOnce.records().size());
            assertEquals(stopped.stopReason(), stoppedAtOnce.stopReason());
            assertArrayEquals(stopped.bits(), stoppedAtOnce.bits(), "the checkpoint's factors");
        }
    }

    /**
     * The observed loss's plateau test resumes alike: a matrix like the one above (σ₄ = 0.01, no noise) with a third
     * of its entries unobserved. The gradient test holds on the plateau before the fourth direction is fitted
     * (checked), the plateau test rejects those iterates (before it, the run stopped there, at the rank-3 error), and
     * a resume from inside the plateau stops where the whole run stops, with its bits.
     */
    @Test
    void anObservedRunResumedOnAPlateauStopsWhereTheWholeRunStops() throws IOException {
        double[][] a = KnownMatrices.withSpectrum(60, 40, new double[] {3, 2, 1.5, 0.01}, 5);
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                a[i][j] = (i + j) % 3 == 0 ? 0 : a[i][j];
            }
        }
        try (SparseMatrix m = SparseMatrix.of(DType.FLOAT32, a)) {
            UnaryOperator<Factorizer.Builder> settings = b -> b.objective(Objective.observed(0));
            Run whole = run(Factorizer.builder(m, 4), settings, 20_000, b -> b);
            assertEquals(StopReason.CONVERGED, whole.stopReason());
            double normM = Math.sqrt(m.normSquared());
            long stationaryAfter = whole.records().stream().filter(r -> r.iteration() > 500
                    && r.iteration() < whole.records().size() - 1 && r.gradientNorm()
                    <= Factorizer.defaultTolerance(DType.FLOAT32) * normM * Math.hypot(r.normU(), r.normV())).count();
            assertTrue(stationaryAfter > 0, "no plateau after the checkpoint");
            dieAfter(Factorizer.builder(m, 4), settings, 600, b -> b.checkpoint(dir, 250, null));
            Checkpoint saved = Checkpoint.load(dir);
            assertEquals(500, saved.iteration());
            Run resumed = run(Factorizer.builder(m, 4), settings, 20_000, b -> b.resumeFrom(saved));
            assertEquals(StopReason.CONVERGED, resumed.stopReason());
            assertEquals(whole.records().size() - 500, resumed.records().size(), "iterations after the resume");
            assertArrayEquals(whole.bits(), resumed.bits(), "final factors");

            // the same checkpoint as written before the observed loss had a plateau test (no state for it) resumes
            // as it was written: the gradient test alone stops at the first iterate that passes it, on the plateau
            withoutPlateauState(saved, DType.FLOAT32, 60, 40, 4, dir);
            Run old = run(Factorizer.builder(m, 4), settings, 20_000, b -> b.resumeFrom(load(dir)));
            assertEquals(StopReason.CONVERGED, old.stopReason());
            IterationRecord last = old.records().getLast();
            assertTrue(last.gradientNorm() <= Factorizer.defaultTolerance(DType.FLOAT32) * normM
                    * Math.hypot(last.normU(), last.normV()), "stopped by the gradient test");
            assertTrue(old.records().size() < resumed.records().size(), "stopped on the plateau: " + last);
        }
    }

    private static Checkpoint load(Path dir) {
        try {
            return Checkpoint.load(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes {@code saved}, a factorisation's at rank {@code rank} of a {@code rows × cols} M, again to {@code dir}
     * without the plateau test's state, as the observed loss's were written before it had one.
     */
    private static void withoutPlateauState(Checkpoint saved, DType dtype, int rows, int cols, int rank, Path dir)
            throws IOException {
        try (DenseMatrix u = DenseMatrix.allocate(dtype, rows, rank);
                DenseMatrix v = DenseMatrix.allocate(dtype, cols, rank)) {
            saved.restore(u, v);
            double[] every = saved.policy();
            CheckpointWriter.start(FactorCheckpoint.KIND, saved.iteration(), saved.seconds(), saved.inputHash(),
                    saved.configuration(), every[0], every[1]).exact("sigma1", saved.sigma1())
                    .exact("reference_loss", CheckpointReader.exact(saved, "reference_loss"))
                    .field("dtype", dtype.label()).field("on_plateau", CheckpointReader.field(saved, "on_plateau"))
                    .matrix("U", u).matrix("V", v).writeTo(dir);
        }
    }

    /** Sparse storage, for the full loss and for the observed-entries loss: the same bit-for-bit continuation. */
    @ParameterizedTest
    @CsvSource({"full", "observed"})
    void aSparseRunResumesBitForBit(String objective) throws IOException {
        double[][] a = M.clone();
        for (int i = 0; i < a.length; i++) {
            a[i] = a[i].clone();
            for (int j = (i % 3); j < a[i].length; j += 3) {
                a[i][j] = 0; // a third of the entries not stored (unobserved, for the observed loss)
            }
        }
        try (SparseMatrix m = SparseMatrix.of(DType.FLOAT64, a)) {
            UnaryOperator<Factorizer.Builder> settings = b -> b.objective(Objective.parse(objective)).tolerance(0)
                    .threads(2);
            Run whole = run(Factorizer.builder(m, 3), settings, 40, b -> b);
            dieAfter(Factorizer.builder(m, 3), settings, 25, b -> b.checkpoint(dir, 10, null));
            Checkpoint saved = Checkpoint.load(dir);
            assertEquals(20, saved.iteration());
            Run resumed = run(Factorizer.builder(m, 3), settings, 40, b -> b.resumeFrom(saved));
            assertEquals(20, resumed.records().size());
            assertArrayEquals(whole.bits(), resumed.bits(), "final factors");
            // one value one ulp away, or one entry fewer, is another input (the hash covers the values and the pattern)
            for (double[][] other : new double[][][] {changed(a, 4, 0, Math.nextUp(a[4][0])), changed(a, 4, 0, 0.0)}) {
                try (SparseMatrix o = SparseMatrix.of(DType.FLOAT64, other)) {
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> settings.apply(Factorizer.builder(o, 3)).resumeFrom(saved).build());
                    assertTrue(e.getMessage().contains("another input matrix"), e.getMessage());
                }
            }
            // the same entries stored densely are another input for a resume (storage differs)
            try (DenseMatrix dense = m.toDense()) {
                assertThrows(IllegalArgumentException.class, () -> settings.apply(Factorizer.builder(dense, 3))
                        .resumeFrom(saved).build());
            }
        }
    }

    private static double[][] changed(double[][] a, int i, int j, double value) {
        double[][] b = a.clone();
        b[i] = a[i].clone();
        b[i][j] = value;
        return b;
    }

    @Test
    void anotherMatrixOrConfigurationIsRefused() {
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, M)) {
            run(m, b -> b.tolerance(0), 10, b -> b.checkpoint(dir, 5, null));
        }
        Checkpoint saved;
        try {
            saved = Checkpoint.load(dir);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        double[][] changed = M.clone();
        changed[3] = M[3].clone();
        changed[3][4] = Math.nextUp(changed[3][4]);
        try (DenseMatrix other = DenseMatrix.of(DType.FLOAT64, changed)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Factorizer.builder(other, 3).tolerance(0).resumeFrom(saved).build());
            assertTrue(e.getMessage().contains("another input matrix"), e.getMessage());
        }
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, M)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Factorizer.builder(m, 3).tolerance(0).schedule(new ConstantSchedule(0.1)).resumeFrom(saved)
                            .build());
            assertEquals("the checkpoint was written with schedule auto:0.5, this run has constant:0.1: resume with "
                    + "the same configuration", e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> Factorizer.builder(m, 3).tolerance(0).threads(2).resumeFrom(saved).build());
            assertTrue(e.getMessage().contains("threads 1, this run has 2"), e.getMessage());
            // another rank is named as the user chose it, not by the sizes of the factors
            e = assertThrows(IllegalArgumentException.class,
                    () -> Factorizer.builder(m, 2).tolerance(0).resumeFrom(saved).build());
            assertEquals("the checkpoint is of a " + M.length + " x " + M[0].length + " matrix at rank 3, this run is "
                    + "of a " + M.length + " x " + M[0].length + " matrix at rank 2", e.getMessage());
        }
        try (DenseMatrix m32 = DenseMatrix.of(DType.FLOAT32, M)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Factorizer.builder(m32, 3).tolerance(0).resumeFrom(saved).build());
            assertEquals("the checkpoint is of a float64 run, this run is float32", e.getMessage());
        }
        // resumed on the Spark engine (whose configuration names it, with partitions for threads): said so, not
        // "written with engine null, this run has spark"
        Map<String, Object> onSpark = new java.util.LinkedHashMap<>(saved.configuration());
        onSpark.put("engine", "spark");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CheckpointReader.requireSameRun(saved, FactorCheckpoint.KIND, saved.inputHash(), onSpark));
        assertEquals("the checkpoint was written by the single-machine engine, this run is on the spark engine: "
                + "resume it on the engine that wrote it", e.getMessage());
        // other kernels (another build, CPU or autobalance.simd width): no option of the run could make them the same
        Map<String, Object> otherKernels = new java.util.LinkedHashMap<>(saved.configuration());
        otherKernels.put("kernels", "simd-64");
        e = assertThrows(IllegalArgumentException.class,
                () -> CheckpointReader.requireSameRun(saved, FactorCheckpoint.KIND, saved.inputHash(), otherKernels));
        assertEquals("the checkpoint was written with kernels " + saved.configuration().get("kernels")
                + ", this run has simd-64: resume with the same build, machine and autobalance.simd.* settings as the "
                + "run that wrote it", e.getMessage());
    }

    @Test
    void aSeedBeyondTheDoublesIsComparedExactly() throws IOException {
        long seed = (1L << 53) + 1; // a double rounds it to 2^53, which the seed one below is exactly
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, M)) {
            run(m, b -> b.tolerance(0).seed(seed), 10, b -> b.checkpoint(dir, 5, null));
        }
        Checkpoint saved = Checkpoint.load(dir);
        assertEquals(seed, saved.configuration().get("seed"));
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, M)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Factorizer.builder(m, 3).tolerance(0).seed(seed - 1).resumeFrom(saved).build());
            assertEquals("the checkpoint was written with seed 9007199254740993, this run has 9007199254740992: "
                    + "resume with the same configuration", e.getMessage());
            Factorizer.builder(m, 3).tolerance(0).seed(seed).resumeFrom(saved).build();
        }
    }

    /**
     * A library caller reads the configuration's whole-number settings as whole numbers: the rank came back as the
     * double 4.0 ({@code (Long) get("rank")} threw, {@code get("rank").equals(4L)} was false); the tolerance as
     * written.
     */
    @Test
    void theConfigurationGivesWholeNumbersAsLongs() throws IOException {
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, M)) {
            run(m, b -> b.tolerance(1.0).seed(7).threads(2), 4, b -> b.checkpoint(dir, 2, null));
        }
        Map<String, Object> config = Checkpoint.load(dir).configuration();
        assertEquals(3L, config.get("rank"));
        assertEquals(7L, config.get("seed"));
        assertEquals(2L, config.get("threads"));
        assertEquals((long) M.length, config.get("rows"));
        assertEquals(1.0, config.get("tolerance"), config.toString());
    }

    @Test
    void aDamagedOrMissingCheckpointIsRefused() throws IOException {
        assertThrows(NoSuchFileException.class, () -> Checkpoint.load(dir));
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, M)) {
            run(m, b -> b.tolerance(0), 4, b -> b.checkpoint(dir, 2, null));
        }
        Path file = dir.resolve(Checkpoint.FILE);
        byte[] good = Files.readAllBytes(file);
        for (int at : new int[] {good.length / 2, good.length - 1, 40}) {
            byte[] bad = good.clone();
            bad[at] ^= 0x10;
            Files.write(file, bad);
            IOException e = assertThrows(IOException.class, () -> Checkpoint.load(dir));
            assertTrue(e.getMessage().contains("checksum mismatch"), e.getMessage());
        }
        // an empty file or one cut short said "not an autobalance checkpoint (version 2)" or "checksum mismatch"
        Map<Integer, String> cut = Map.of(good.length - 100, ": cut short: " + (good.length - 100) + " bytes of the "
                + good.length + " its header declares; ", 100, ": cut short: 100 bytes, ending inside its header; ",
                10, ": cut short: 10 bytes, ending inside its header; ", 0, ": empty (0 bytes), not a checkpoint");
        for (Map.Entry<Integer, String> c : cut.entrySet()) {
            Files.write(file, java.util.Arrays.copyOf(good, c.getKey()));
            IOException e = assertThrows(IOException.class, () -> Checkpoint.load(dir));
            assertTrue(e.getMessage().startsWith("checkpoint " + file + c.getValue()), e.getMessage());
        }
        Files.write(file, "not a checkpoint".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        IOException e = assertThrows(IOException.class, () -> Checkpoint.load(dir));
        assertTrue(e.getMessage().contains("not an autobalance checkpoint"), e.getMessage());
    }

    /**
     * A load on an interrupted thread (a library user who interrupts a resume) read the whole file and checked its
     * digest first ({@code Files.readAllBytes} ignores interrupts); it stops, as the readers of {@code io} do, with an
     * {@link InterruptedIOException} naming the file and the interrupt status kept.
     */
    @Test
    void anInterruptedLoadSaysSoNamingTheFile() throws IOException {
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, M)) {
            run(m, b -> b.tolerance(0), 4, b -> b.checkpoint(dir, 2, null));
        }
        Thread.currentThread().interrupt();
        try {
            InterruptedIOException e = assertThrows(InterruptedIOException.class, () -> Checkpoint.load(dir));
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status stays set");
            assertEquals(dir.resolve(Checkpoint.FILE) + ": reading was interrupted (Thread.interrupt(); the thread's "
                    + "interrupt status stays set)", e.getMessage());
        } finally {
            Thread.interrupted();
        }
        assertEquals(4, Checkpoint.load(dir).iteration());
    }

    /**
     * An interrupt during the load stops it at the next block, of the read and of the digest alike: in blocks of 256
     * bytes, interrupted after the first block read (or the first digested), no block after it is read (digested).
     */
    @Test
    void aLoadInterruptedMidwayStopsAtTheNextBlock() throws IOException {
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, M)) {
            run(m, b -> b.tolerance(0), 4, b -> b.checkpoint(dir, 2, null));
        }
        int block = 256;
        long size = Files.size(dir.resolve(Checkpoint.FILE));
        int readBlocks = (int) Math.ceilDiv(size, block);
        assertTrue(readBlocks > 2, "a checkpoint of " + size + " bytes is too small for the test");
        // after the first block read; after the first block digested, all read by then
        for (int interruptAt : new int[] {1, readBlocks + 1}) {
            int[] blocks = new int[1];
            Thread caller = Thread.currentThread();
            try {
                assertThrows(InterruptedIOException.class, () -> Checkpoint.load(dir, block, () -> {
                    if (++blocks[0] == interruptAt) {
                        caller.interrupt();
                    }
                }));
                assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status stays set");
            } finally {
                Thread.interrupted();
            }
            assertEquals(interruptAt, blocks[0], "no block after the interrupt");
        }
        assertEquals(4, Checkpoint.load(dir, block, () -> { }).iteration());
    }

    @Test
    void theLogContinuesWithoutGapsOrDuplicates() throws IOException {
        Path log = dir.resolve("log.jsonl");
        try (JsonLinesLog w = new JsonLinesLog(log)) {
            for (long t = 0; t < 6; t++) {
                w.onIteration(record(t, 1.0));
            }
        }
        // a crash cut the last record short
        Files.writeString(log, Files.readString(log) + "{\"t\":6,\"eta\":0.", java.nio.file.StandardOpenOption.APPEND);
        try (JsonLinesLog w = JsonLinesLog.continueAt(log, 4)) {
            w.onIteration(record(4, 2.0));
        }
        List<String> lines = Files.readAllLines(log);
        assertEquals(5, lines.size());
        List<Long> ts = new ArrayList<>();
        for (String l : lines) {
            ts.add(Long.parseLong(l.substring(5, l.indexOf(','))));
        }
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L), ts);
        assertTrue(lines.get(4).contains("\"loss\":2.0"), lines.get(4));
        IOException e = assertThrows(IOException.class, () -> JsonLinesLog.continueAt(log, 9));
        assertTrue(e.getMessage().contains("holds only 5 complete records"), e.getMessage());
    }

    /**
     * A log larger than any array (2 GiB is some 8 million records of a long run) is continued without being read
     * whole: two records, then a hole up to 3 GiB (a sparse file: no disk used). Read whole, it ended the resume with
     * an OutOfMemoryError ("Required array size too large"). A line longer than any record is refused by name, the
     * file left as it was.
     */
    @Test
    void aLogLargerThanAnyArrayIsContinuedAndALineLongerThanAnyRecordRefused() throws IOException {
        Path log = dir.resolve("long.jsonl");
        try (JsonLinesLog w = new JsonLinesLog(log)) {
            w.onIteration(record(0, 1.0));
            w.onIteration(record(1, 1.0));
        }
        long threeGiB = 3L << 30;
        try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "rw")) {
            file.setLength(threeGiB);
        }
        try (JsonLinesLog w = JsonLinesLog.continueAt(log, 2)) {
            w.onIteration(record(2, 2.0));
        }
        List<String> lines = Files.readAllLines(log);
        assertEquals(3, lines.size());
        assertTrue(lines.get(2).startsWith("{\"t\":2,") && lines.get(2).contains("\"loss\":2.0"), lines.get(2));
        // the fourth line: zero bytes to 3 GiB, no line end
        try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "rw")) {
            file.setLength(threeGiB);
        }
        IOException e = assertThrows(IOException.class, () -> JsonLinesLog.continueAt(log, 4));
        assertTrue(e.getMessage().contains("record 4 is longer than any record a log holds"), e.getMessage());
        assertEquals(threeGiB, Files.size(log));
    }

    private static IterationRecord record(long t, double loss) {
        return IterationRecord.builder().iteration(t).eta(0.1).loss(loss, false).relativeError(0.5).balance(0)
                .norms(1, 1).gradientNorm(1).seconds(t).heldOutRmse(Double.NaN).build();
    }
}
