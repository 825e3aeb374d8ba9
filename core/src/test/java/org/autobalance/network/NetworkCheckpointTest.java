package org.autobalance.network;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.LongPredicate;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.autobalance.io.internal.RunLock;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.observe.NetworkListener;
import org.autobalance.observe.NetworkRecord;
import org.autobalance.schedule.ConstantSchedule;
import org.autobalance.schedule.SpectralSchedule;
import org.autobalance.schedule.StepSchedule;
import org.autobalance.solve.CancelToken;
import org.autobalance.solve.Checkpoint;
import org.autobalance.solve.Factorizer;
import org.autobalance.solve.StopReason;
import org.autobalance.testing.OldCheckpoints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Checkpoint and resume of the network trainer: a run stopped after k iterations and resumed from its checkpoint ends
 * with the same bits and the same records (the drifts of the conserved quantities included, which are measured from
 * the start's values) as the run that was never stopped; a checkpoint of other data, another configuration or
 * another kind is refused. (Killing a {@code network} process at random points: KillNineTest in src-test.)
 *
 * <p>Checked by mutating the restore: restoring only W1, starting the loop at t = 0, or taking the reference of the
 * unit drifts from the checkpoint's parameters instead of the start's each made {@link #aResumedRunEndsWithTheSameBits}
 * fail; the divergence test's reference taken as ‖Y‖²/(2n) instead of the checkpoint's made
 * {@link #aResumedRunDivergesWhereTheWholeRunDiverges} fail.
 */
class NetworkCheckpointTest {
    @TempDir
    Path dir;

    /** The final parameters' bits, every record and the result's scalars. */
    private record Run(long[] bits, List<NetworkRecord> records, StopReason stopReason, long iterations,
            double unitChange, double startLoss) {
    }

    private record Problem(Architecture arch, DenseMatrix x, DenseMatrix y) implements AutoCloseable {
        static Problem of(String spec, int[] shape, int inputs, int outputs, DType dtype, long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            int n = 12;
            DenseMatrix x = DenseMatrix.of(dtype, Cases.gaussian(n, inputs, 1, r));
            DenseMatrix y = DenseMatrix.of(dtype, Cases.gaussian(n, outputs, 1, r));
            return new Problem(Architecture.parse(spec, inputs, shape), x, y);
        }

        NetworkTrainer.Builder builder() {
            return NetworkTrainer.builder(x, y, arch);
        }

        @Override
        public void close() {
            x.close();
            y.close();
        }
    }

    private static Run run(NetworkTrainer.Builder b, long maxIterations) {
        List<NetworkRecord> records = new ArrayList<>();
        try (NetworkResult r = b.maxIterations(maxIterations).listener(records::add).build().run()) {
            return new Run(bits(r.parameters()), records, r.stopReason(), r.iterations(), r.maxUnitInvariantChange(),
                    r.startLoss());
        }
    }

    /**
     * A run that dies after {@code iterations} iterations, as a kill would end it (a listener throws at that
     * iteration's record, before the checkpoint due after it): what it leaves is the checkpoints due before. A run that
     * the limit ends is checkpointed at its end, so the limit is no stand-in for a crash.
     */
    private static void dieAfter(NetworkTrainer.Builder b, long iterations) {
        NetworkListener die = record -> {
            if (record.iteration() + 1 == iterations) {
                throw new IllegalStateException("died");
            }
        };
        assertEquals("died", assertThrows(IllegalStateException.class, () -> run(b.listener(die), Long.MAX_VALUE))
                .getMessage());
    }

    /** Every weight's and bias's bits, layer by layer. */
    private static long[] bits(Parameters p) {
        List<Long> bits = new ArrayList<>();
        for (int h = 1; h <= p.architecture().depth(); h++) {
            for (DenseMatrix m : p.hasBiases() ? new DenseMatrix[] {p.weights(h), p.biases(h)}
                    : new DenseMatrix[] {p.weights(h)}) {
                for (double[] row : m.toArray()) {
                    for (double e : row) {
                        bits.add(Double.doubleToRawLongBits(e));
                    }
                }
            }
        }
        return bits.stream().mapToLong(Long::longValue).toArray();
    }

    private static void assertSameBits(double a, double b, String what) {
        assertEquals(Double.doubleToRawLongBits(a), Double.doubleToRawLongBits(b), what);
    }

    private static void assertSameBits(double[] a, double[] b, String what) {
        assertEquals(a.length, b.length, what);
        for (int k = 0; k < a.length; k++) {
            assertSameBits(a[k], b[k], what + "[" + k + "]");
        }
    }

    /**
     * 60 iterations against a run that died after 25 with a checkpoint every 7 (the last after iteration 21) resumed
     * to 60, and against one that the limit ended after 25 (checkpointed there) resumed to 60: a linear
     * network (its Q_h drifts need the start's Q_h), ReLU with biases in float32 on 2 threads, a convolution with
     * leaky ReLU, and the default tolerance (the stop test active). The resumed result's start loss is the whole
     * run's first record's; the same checkpoint without it, as written before 2026-12-06, resumes to the same bits
     * with none (NaN).
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "dense:5,dense:4,dense:3||4|3|FLOAT64|auto|small:0.3|false|1|0",
        "dense:6,relu,dense:5,relu,dense:3||4|3|FLOAT32|constant:0.05|xavier|true|2|0",
        "conv1d:3,3,leaky:0.2,conv1d:2,2,dense:2|2,7|14|2|FLOAT64|decay:0.05,0.5|xavier|false|2|0",
        "dense:5,relu,dense:3||4|3|FLOAT64|auto|xavier|true|1|-1"})
    void aResumedRunEndsWithTheSameBits(String spec, String shape, int inputs, int outputs, DType dtype,
            String schedule, String init, boolean biases, int threads, double tolerance) throws IOException {
        int[] inputShape = shape == null ? null
                : java.util.Arrays.stream(shape.split(",")).mapToInt(Integer::parseInt).toArray();
        try (Problem p = Problem.of(spec, inputShape, inputs, outputs, dtype, 7)) {
            UnaryOperator<NetworkTrainer.Builder> settings = b -> {
                b.schedule(StepSchedule.parse(schedule)).initializer(NetworkInitializer.parse(init)).biases(biases)
                        .threads(threads).seed(5);
                return tolerance < 0 ? b : b.tolerance(tolerance);
            };
            Run whole = run(settings.apply(p.builder()), 60);
            assertEquals(60, whole.records().size(), "the premise: the whole run does not converge early");
            // ended by the limit after 25 iterations: checkpointed there, and a resume with a larger limit goes on
            Path limited = dir.resolve("limited");
            run(settings.apply(p.builder()).checkpoint(limited, 7, null), 25);
            Checkpoint atLimit = Checkpoint.load(limited);
            assertEquals(25, atLimit.iteration());
            assertArrayEquals(whole.bits(), run(settings.apply(p.builder()).resumeFrom(atLimit), 60).bits(),
                    "final parameters, resumed from the limit's end");
            // died after 25 iterations (as a kill would end it), with a checkpoint every 7: the last one is after 21
            dieAfter(settings.apply(p.builder()).checkpoint(dir, 7, null), 25);
            Checkpoint saved = Checkpoint.load(dir);
            assertEquals(21, saved.iteration());
            assertEquals("network", saved.kind());
            Run resumed = run(settings.apply(p.builder()).resumeFrom(saved), 60);
            assertArrayEquals(whole.bits(), resumed.bits(), "final parameters");
            assertEquals(60, resumed.iterations());
            assertEquals(whole.stopReason(), resumed.stopReason());
            assertSameBits(whole.unitChange(), resumed.unitChange(), "max unit invariant change");
            assertSameBits(whole.records().getFirst().loss(), whole.startLoss(), "the whole run's start loss");
            assertSameBits(whole.startLoss(), resumed.startLoss(), "the resumed run's start loss");
            Path old = dir.resolve("old");
            OldCheckpoints.withoutExact(dir, old, "start_loss");
            Run fromOld = run(settings.apply(p.builder()).resumeFrom(Checkpoint.load(old)), 60);
            assertArrayEquals(whole.bits(), fromOld.bits(), "final parameters, resumed from the old checkpoint");
            assertTrue(Double.isNaN(fromOld.startLoss()), "no start loss in the old checkpoint: " + fromOld);
            assertEquals(39, resumed.records().size());
            for (int k = 0; k < 39; k++) {
                NetworkRecord a = whole.records().get(21 + k);
                NetworkRecord b = resumed.records().get(k);
                String at = "record " + a.iteration() + ": ";
                assertEquals(a.iteration(), b.iteration(), at);
                assertSameBits(a.loss(), b.loss(), at + "loss");
                assertSameBits(a.eta(), b.eta(), at + "eta");
                assertSameBits(a.gradientNorm(), b.gradientNorm(), at + "gradient norm");
                assertSameBits(a.layerSquaredNorms(), b.layerSquaredNorms(), at + "layer norms");
                assertSameBits(a.layerDifferences(), b.layerDifferences(), at + "layer differences");
                assertSameBits(a.maxUnitInvariantChange(), b.maxUnitInvariantChange(), at + "unit drift");
                assertSameBits(a.matrixInvariantChanges(), b.matrixInvariantChanges(), at + "matrix drift");
                assertTrue(b.seconds() >= saved.seconds(), at + "the clock continues");
            }
        }
    }

    /**
     * auto's back-off is state too (the best iterate so far, its loss, the halvings): a run of auto:3 (η·λ_max = 6
     * at a balanced minimum, so it halves at least twice) checkpointed between its first and its last halving and
     * resumed ends with the same bits, the same records (η included) and the same halvings as the run that was never
     * stopped. Checked by mutation: not restoring the kept iterate, or restoring no halvings, made it fail.
     */
    @Test
    void aResumedAutoRunBacksOffWhereTheWholeRunBacksOff() throws IOException {
        try (Problem p = Problem.of("dense:5,dense:3", null, 4, 3, DType.FLOAT64, 3)) {
            UnaryOperator<NetworkTrainer.Builder> settings = b -> b.initializer(NetworkInitializer.xavier())
                    .schedule(new SpectralSchedule(3)).tolerance(0);
            List<Long> halved;
            try (NetworkResult r = settings.apply(p.builder()).maxIterations(300).build().run()) {
                halved = r.stepHalvedAt();
            }
            assertTrue(halved.size() >= 2, "the premise: at least two halvings, " + halved);
            long k = halved.getFirst() + 1;
            assertTrue(halved.getLast() > k, "the premise: a halving after the checkpoint, " + halved);
            Run whole = run(settings.apply(p.builder()), 300);
            run(settings.apply(p.builder()).checkpoint(dir, k, null), k);
            Checkpoint saved = Checkpoint.load(dir);
            assertEquals(k, saved.iteration());
            List<NetworkRecord> records = new ArrayList<>();
            try (NetworkResult resumed = settings.apply(p.builder()).resumeFrom(saved).maxIterations(300)
                    .listener(records::add).build().run()) {
                assertEquals(halved, resumed.stepHalvedAt());
            }
            Run again = run(settings.apply(p.builder()).resumeFrom(saved), 300);
            assertArrayEquals(whole.bits(), again.bits(), "final parameters");
            assertEquals(300 - k, records.size());
            for (int j = 0; j < records.size(); j++) {
                NetworkRecord a = whole.records().get((int) k + j);
                NetworkRecord b = records.get(j);
                assertEquals(a.iteration(), b.iteration());
                assertSameBits(a.loss(), b.loss(), "loss at " + a.iteration());
                assertSameBits(a.eta(), b.eta(), "eta at " + a.iteration());
            }
        }
    }

    /**
     * A token cancelled during iteration t (here by a listener, as Ctrl-C does from another thread) ends the run after
     * that iteration, with the parameters of a run of exactly t + 1 iterations, bit for bit.
     */
    @Test
    void aCancelledRunStopsAfterItsIterationWithWhatItReached() {
        try (Problem p = Problem.of("dense:5,relu,dense:3", null, 4, 3, DType.FLOAT64, 5)) {
            UnaryOperator<NetworkTrainer.Builder> settings = b -> b.initializer(NetworkInitializer.xavier())
                    .schedule(new ConstantSchedule(0.05)).tolerance(0);
            CancelToken token = new CancelToken();
            Run cancelled = run(settings.apply(p.builder()).cancelToken(token).listener(rec -> {
                if (rec.iteration() == 4) {
                    token.cancel();
                }
            }), 1000);
            assertEquals(StopReason.CANCELLED, cancelled.stopReason());
            assertEquals(5, cancelled.iterations());
            assertEquals(5, cancelled.records().size());
            assertArrayEquals(run(settings.apply(p.builder()), 5).bits(), cancelled.bits(), "final parameters");
        }
    }

    /**
     * A time limit ends the run after the iteration during which it ran out ({@code TIME_LIMIT}), with the parameters
     * of a run of exactly that many iterations, bit for bit. A listener sleeps 20 ms in each iteration, which the
     * clock read by iteration t's test has seen t times: the 100 ms have passed by iteration 5's, so the run stops
     * after at most 6 of its 1000.
     */
    @Test
    void aTimeLimitStopsAfterTheIterationThatReachedIt() {
        try (Problem p = Problem.of("dense:5,relu,dense:3", null, 4, 3, DType.FLOAT64, 5)) {
            UnaryOperator<NetworkTrainer.Builder> settings = b -> b.initializer(NetworkInitializer.xavier())
                    .schedule(new ConstantSchedule(0.05)).tolerance(0);
            Run limited = run(settings.apply(p.builder()).timeLimit(Duration.ofMillis(100))
                    .listener(sleeping(t -> true, 20)), 1000);
            assertEquals(StopReason.TIME_LIMIT, limited.stopReason());
            assertTrue(limited.iterations() <= 6, limited.iterations() + " iterations");
            assertArrayEquals(run(settings.apply(p.builder()), limited.iterations()).bits(), limited.bits(),
                    "final parameters");
            assertThrows(IllegalArgumentException.class, () -> p.builder().timeLimit(Duration.ZERO));
        }
    }

    /**
     * A time limit past a long of nanoseconds (about 292 years) is no limit. Before, {@code Duration.ofMillis(Long
     * .MAX_VALUE)} failed the run with "ArithmeticException: long overflow" and {@code Duration.ofNanos(Long
     * .MAX_VALUE)} put the deadline in the past: TIME_LIMIT after one iteration.
     */
    @Test
    void aTimeLimitBeyondALongOfNanosIsNoLimit() {
        try (Problem p = Problem.of("dense:5,relu,dense:3", null, 4, 3, DType.FLOAT64, 5)) {
            for (Duration forever : List.of(Duration.ofNanos(Long.MAX_VALUE), Duration.ofMillis(Long.MAX_VALUE))) {
                Run run = run(p.builder().schedule(new ConstantSchedule(0.05)).tolerance(0).timeLimit(forever), 20);
                assertEquals(StopReason.MAX_ITERATIONS, run.stopReason(), forever.toString());
                assertEquals(20, run.iterations(), forever.toString());
            }
        }
    }

    /**
     * A cancelled run with a checkpoint directory checkpoints the iterate it returns, so that a resume goes on from
     * there, bit for bit: cancelled during iteration 24 of a run saved every 1000, the checkpoint is after 25 and the
     * resumed run ends as the uninterrupted 60. Before, nothing was due, so nothing was saved (at the command line:
     * Ctrl-C at 595 of a run saved every 100 left the checkpoint of 500). A cancel at an iteration that passes the
     * first-order test and whose plateau check it cuts short (the check at iteration 0 here, which the continuation
     * would not make again) saves nothing; one on a plateau without a check does (aResumedRunLeavesThePlateau…). A run
     * out of time is checkpointed where it stops as well.
     */
    @Test
    void aCancelledRunIsCheckpointedWhereItStopped() throws IOException {
        try (Problem p = Problem.of("dense:5,relu,dense:3", null, 4, 3, DType.FLOAT64, 5)) {
            UnaryOperator<NetworkTrainer.Builder> settings = b -> b.initializer(NetworkInitializer.xavier())
                    .schedule(new ConstantSchedule(0.05)).tolerance(0);
            Run whole = run(settings.apply(p.builder()), 60);
            CancelToken token = new CancelToken();
            Run cancelled = run(settings.apply(p.builder()).checkpoint(dir, 1000, null).cancelToken(token)
                    .listener(rec -> {
                        if (rec.iteration() == 24) {
                            token.cancel();
                        }
                    }), 60);
            assertEquals(StopReason.CANCELLED, cancelled.stopReason());
            Checkpoint saved = Checkpoint.load(dir);
            assertEquals(25, saved.iteration());
            Run resumed = run(settings.apply(p.builder()).resumeFrom(saved), 60);
            assertArrayEquals(whole.bits(), resumed.bits(), "final parameters");
            assertEquals(35, resumed.records().size());

            Path onPlateau = Files.createDirectories(dir.resolve("plateau"));
            CancelToken atOnce = new CancelToken();
            run(settings.apply(p.builder()).tolerance(1e6).checkpoint(onPlateau, 1000, null).cancelToken(atOnce)
                    .listener(rec -> atOnce.cancel()), 60);
            assertFalse(Files.exists(onPlateau.resolve("checkpoint")));

            // a run out of time too, so that runs in time slices go on where each stopped: the record of iteration 24
            // takes longer than the limit, the end of iteration 25 is past it, and the checkpoint is after 26. Before,
            // nothing was due every 1000, and each slice resumed from the same old checkpoint (a new user's finding)
            Path sliced = Files.createDirectories(dir.resolve("sliced"));
            Run slice = run(settings.apply(p.builder()).checkpoint(sliced, 1000, null)
                    .timeLimit(Duration.ofSeconds(2)).listener(sleeping(t -> t == 24, 2100)), 60);
            assertEquals(StopReason.TIME_LIMIT, slice.stopReason());
            Checkpoint outOfTime = Checkpoint.load(sliced);
            assertEquals(26, outOfTime.iteration());
            assertArrayEquals(whole.bits(), run(settings.apply(p.builder()).resumeFrom(outOfTime), 60).bits(),
                    "final parameters");
        }
    }

    /** A listener that sleeps {@code millis} in the records of the iterations {@code at} picks. */
    private static NetworkListener sleeping(LongPredicate at, long millis) {
        return rec -> {
            if (at.test(rec.iteration())) {
                try {
                    Thread.sleep(millis);
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }
        };
    }

    /**
     * A token cancelled at an iteration that passes the first-order test ends the run there without its plateau
     * check (tens of seconds a layer on wide square layers, while Ctrl-C waits 60 s for the outputs: the command
     * exited 130 with nothing written): stop reason cancelled, not the check's converged, and the iterate intact.
     */
    @Test
    void aCancelRequestSkipsThePlateauCheck() {
        try (Problem p = Problem.of("dense:5,relu,dense:3", null, 4, 3, DType.FLOAT64, 5)) {
            UnaryOperator<NetworkTrainer.Builder> settings = b -> b.initializer(NetworkInitializer.xavier())
                    .schedule(new ConstantSchedule(0.05));
            // the first-order test holds at once: the check runs at iteration 0 and finds no way down past Δ
            Run checked = run(settings.apply(p.builder()).tolerance(1e6), 1000);
            assertEquals(StopReason.CONVERGED, checked.stopReason());
            assertEquals(1, checked.iterations());
            CancelToken token = new CancelToken();
            Run cancelled = run(settings.apply(p.builder()).tolerance(1e6).cancelToken(token).listener(rec -> {
                token.cancel();
            }), 1000);
            assertEquals(StopReason.CANCELLED, cancelled.stopReason());
            assertEquals(1, cancelled.iterations());
            assertArrayEquals(run(settings.apply(p.builder()).tolerance(0), 1).bits(), cancelled.bits(),
                    "final parameters");
        }
    }

    /**
     * A run's cancellation as the plateau check sees it: it counts its questions, notes where each was asked (inside
     * a layer's SVD, on a curve, or between layers) and answers true from its {@code from}-th on (0: never).
     */
    private static final class Cancellation implements BooleanSupplier {
        private final int from;
        private final List<String> asked = new ArrayList<>();

        Cancellation(int from) {
            this.from = from;
        }

        @Override
        public boolean getAsBoolean() {
            Set<String> callers = StackWalker.getInstance()
                    .walk(frames -> frames.map(StackWalker.StackFrame::getMethodName).collect(Collectors.toSet()));
            asked.add(callers.contains("unlearned") ? "svd" : callers.contains("escapes") ? "curve" : "layer");
            return from > 0 && asked.size() >= from;
        }
    }

    /**
     * A cancel inside the plateau check's first layer's SVD (a square wide layer's took a minute of CPU at 4000
     * units, through which a cancelled run waited while the check asked only between layers) abandons the check
     * there: it answers false and asks no more, the iterate keeps its bits, and the probe remembers nothing (its next
     * check, not fresh, runs as a new probe's first one: the same questions, the same verdict). Counted, not timed: the
     * cancel turns true halfway between the check's first question and the one before layer 2, which before the
     * fifteenth session was its second (so the question asked there came after layer 1 was done: this test failed).
     */
    @Test
    void aCancelInsideTheFirstLayersSvdAbandonsTheCheckThere() {
        try (Problem p = Problem.of("dense:40,relu,dense:3", null, 50, 3, DType.FLOAT64, 5);
                Parameters params = new Parameters(p.arch(), DType.FLOAT64, true);
                Parameters scratch = new Parameters(p.arch(), DType.FLOAT64, true);
                TrainingStep step = new TrainingStep(p.x(), p.y(), params, 1)) {
            NetworkInitializer.xavier().initialize(params, 5);
            step.lossAndGradients();
            double[] levels = EscapeProbe.levels(params);
            Supplier<EscapeProbe> probe = () -> new EscapeProbe(p.arch(), true, levels, 1e-6, KernelProvider.gemm());
            Cancellation never = new Cancellation(0);
            boolean verdict = probe.get().minimiser(0, params, step, scratch, false, never);
            int layer2 = never.asked.subList(1, never.asked.size()).indexOf("layer") + 2;
            assertTrue(layer2 > 2, "asked before layer 2 at question " + layer2 + ": " + never.asked);
            int from = (1 + layer2) / 2;
            assertEquals("svd", never.asked.get(from - 1), never.asked.toString());
            long[] before = bits(params);
            EscapeProbe cancelled = probe.get();
            Cancellation halfway = new Cancellation(from);
            assertFalse(cancelled.minimiser(0, params, step, scratch, false, halfway));
            assertEquals(from, halfway.asked.size(), "questions after the cancel");
            assertArrayEquals(before, bits(params), "the iterate");
            Cancellation again = new Cancellation(0);
            assertEquals(verdict, cancelled.minimiser(0, params, step, scratch, false, again));
            assertEquals(never.asked, again.asked);
        }
    }

    /** A run that converges: resumed from the middle, it stops at the same iteration with the same bits. */
    @Test
    void aResumedRunConvergesWhereTheWholeRunConverges() throws IOException {
        try (Problem p = Problem.of("dense:4,dense:3", null, 4, 3, DType.FLOAT64, 3)) {
            UnaryOperator<NetworkTrainer.Builder> settings = b -> b.initializer(NetworkInitializer.xavier())
                    .schedule(new ConstantSchedule(0.05)).tolerance(1e-6);
            Run whole = run(settings.apply(p.builder()), 100_000);
            assertEquals(StopReason.CONVERGED, whole.stopReason());
            long half = whole.iterations() / 2;
            run(settings.apply(p.builder()).checkpoint(dir, half, null), half);
            Checkpoint saved = Checkpoint.load(dir);
            assertEquals(half, saved.iteration());
            Run resumed = run(settings.apply(p.builder()).resumeFrom(saved), 100_000);
            assertEquals(StopReason.CONVERGED, resumed.stopReason());
            assertEquals(whole.iterations(), resumed.iterations());
            assertArrayEquals(whole.bits(), resumed.bits(), "final parameters");
        }
    }

    /**
     * The plateau check is state too (when it last looked, what it saw, whether the last iteration was on a plateau):
     * the depth-3 linear network of {@link NetworkPlateauTest} from small:0.001 in float32 passes the gradient test on
     * its plateau from iteration 576 to 757 (and on a second one from 1751 to 3095), where the check looks;
     * checkpointed at 600, between two checks, the resumed run leaves the plateaus and converges at the same iteration
     * (4406) with the same bits; a run limited to 590 iterations, resumed from 580, ends on the plateau as the whole
     * one does, and extended from its own end (checkpointed there, the plateau check made afresh at its limit) it
     * converges as the whole run does; and one resumed at its limit (no iteration left) reports the plateau its
     * checkpoint recorded. Checked
     * by mutation: not restoring {@code on_plateau} made the last part fail; not restoring the check's rationing
     * was not detected here (every check on these plateaus finds a plateau, and the one that converges is due in
     * either case: when they check is all the rationing decides — its rule is tested in PlateauCheckTest).
     *
     * <p>A cancel on the plateau saves the iterate it returns unless the plateau check it cut short was running: the
     * check looks at 576 (and finds a plateau), and the next waits {@link
     * org.autobalance.solve.internal.PlateauCheck#SPACING} iterations. Cancelled at 580 (no check) the run is
     * checkpointed after 581, and a resume to 590 ends on the plateau with the bits of the whole run; cancelled at 576
     * the check is cut short and nothing is saved (the continuation would not make that check again). Before, any
     * iteration that passed the gradient test saved nothing on a cancel.
     */
    @Test
    void aResumedRunLeavesThePlateauWhereTheWholeRunLeavesIt() throws IOException {
        NetworkPlateauTest.Data data = NetworkPlateauTest.Data.affine(NetworkPlateauTest.SEED, 0);
        try (DenseMatrix x = DenseMatrix.of(DType.FLOAT32, data.x());
                DenseMatrix y = DenseMatrix.of(DType.FLOAT32, data.y())) {
            Architecture arch = Architecture.parse(NetworkPlateauTest.LINEAR3, x.cols(), null);
            UnaryOperator<NetworkTrainer.Builder> settings = b -> b.biases(true)
                    .initializer(NetworkInitializer.small(1e-3));
            Run whole = run(settings.apply(NetworkTrainer.builder(x, y, arch)), 10_000);
            assertEquals(StopReason.CONVERGED, whole.stopReason());
            assertTrue(whole.iterations() > 1000, "the premise: the plateau is left, " + whole.iterations());
            dieAfter(settings.apply(NetworkTrainer.builder(x, y, arch)).checkpoint(dir, 600, null), 601);
            Checkpoint saved = Checkpoint.load(dir);
            assertEquals(600, saved.iteration());
            Run resumed = run(settings.apply(NetworkTrainer.builder(x, y, arch)).resumeFrom(saved), 10_000);
            assertEquals(StopReason.CONVERGED, resumed.stopReason());
            assertEquals(whole.iterations(), resumed.iterations());
            assertArrayEquals(whole.bits(), resumed.bits(), "final parameters");

            Run shortWhole = run(settings.apply(NetworkTrainer.builder(x, y, arch)), 590);
            assertEquals(StopReason.PLATEAU, shortWhole.stopReason());
            Path limited = dir.resolve("limited");
            run(settings.apply(NetworkTrainer.builder(x, y, arch)).checkpoint(limited, 1000, null), 590);
            Run extended = run(settings.apply(NetworkTrainer.builder(x, y, arch)).resumeFrom(Checkpoint.load(limited)),
                    10_000);
            assertEquals(StopReason.CONVERGED, extended.stopReason());
            assertEquals(whole.iterations(), extended.iterations());
            assertArrayEquals(whole.bits(), extended.bits(), "final parameters, extended from the plateau's limit");
            dieAfter(settings.apply(NetworkTrainer.builder(x, y, arch)).checkpoint(dir, 580, null), 581);
            Run shortResumed = run(settings.apply(NetworkTrainer.builder(x, y, arch)).resumeFrom(Checkpoint.load(dir)),
                    590);
            assertEquals(StopReason.PLATEAU, shortResumed.stopReason());
            assertArrayEquals(shortWhole.bits(), shortResumed.bits(), "final parameters on the plateau");

            dieAfter(settings.apply(NetworkTrainer.builder(x, y, arch)).checkpoint(dir, 590, null), 591);
            Run atTheLimit = run(settings.apply(NetworkTrainer.builder(x, y, arch)).resumeFrom(Checkpoint.load(dir)),
                    590);
            assertEquals(StopReason.PLATEAU, atTheLimit.stopReason());
            assertArrayEquals(shortWhole.bits(), atTheLimit.bits(), "the checkpoint's parameters");

            for (long at : new long[] {580, 576}) {
                Path ck = Files.createDirectories(dir.resolve("at" + at));
                CancelToken token = new CancelToken();
                Run cancelled = run(settings.apply(NetworkTrainer.builder(x, y, arch)).checkpoint(ck, 1000, null)
                        .cancelToken(token).listener(rec -> {
                            if (rec.iteration() == at) {
                                token.cancel();
                            }
                        }), 590);
                assertEquals(StopReason.CANCELLED, cancelled.stopReason());
                if (at == 576) {
                    assertFalse(Files.exists(ck.resolve(Checkpoint.FILE)), "a checkpoint past the check cut short");
                    continue;
                }
                Checkpoint ofTheCancel = Checkpoint.load(ck);
                assertEquals(at + 1, ofTheCancel.iteration());
                Run resumedAfterCancel = run(settings.apply(NetworkTrainer.builder(x, y, arch))
                        .resumeFrom(ofTheCancel), 590);
                assertEquals(StopReason.PLATEAU, resumedAfterCancel.stopReason());
                assertArrayEquals(shortWhole.bits(), resumedAfterCancel.bits(), "final parameters after a cancel");
            }
        }
    }

    /**
     * A run that diverges: resumed before the divergence, it is declared diverged at the same iteration. From a large
     * start (weights of standard deviation 1.5, so L₀ is far above ‖Y‖²/(2n)) the divergence test's reference is
     * L₀, which a resumed run must take from its checkpoint: with ‖Y‖²/(2n) it stopped earlier (checked by mutation).
     */
    @Test
    void aResumedRunDivergesWhereTheWholeRunDiverges() throws IOException {
        try (Problem p = Problem.of("dense:6,dense:5,dense:3", null, 4, 3, DType.FLOAT64, 3)) {
            UnaryOperator<NetworkTrainer.Builder> settings = b -> b.initializer(NetworkInitializer.small(1.5))
                    .schedule(new ConstantSchedule(ETA_DIVERGING)).tolerance(0);
            NetworkDivergenceException whole = assertThrows(NetworkDivergenceException.class,
                    () -> run(settings.apply(p.builder()), 1000));
            assertTrue(whole.iteration() > 2, "the premise: the divergence comes after the checkpoint, " + whole);
            // the advice in the schedule's own words, as a library caller has them: no command-line option
            assertTrue(whole.getMessage().contains("the schedule auto:C") && !whole.getMessage().contains("--"),
                    whole.getMessage());
            dieAfter(settings.apply(p.builder()).checkpoint(dir, 2, null), 3);
            Checkpoint saved = Checkpoint.load(dir);
            assertEquals(2, saved.iteration());
            NetworkDivergenceException resumed = assertThrows(NetworkDivergenceException.class,
                    () -> run(settings.apply(p.builder()).resumeFrom(saved), 1000));
            assertEquals(whole.iteration(), resumed.iteration(), resumed.getMessage());
        }
    }

    private static final double ETA_DIVERGING = 0.007;

    /**
     * The check of a checkpoint against a front end's options names its null arguments, as
     * {@code Checkpoint.requireSameOptions} does (fifteenth session, review: a null checkpoint or dtype failed with
     * the JVM's "Cannot invoke …", a null initializer was compared as the word null).
     */
    @Test
    void theOptionCheckNamesItsNullArguments() throws IOException {
        try (Problem p = Problem.of("dense:3,dense:2", null, 4, 2, DType.FLOAT64, 7)) {
            run(p.builder().checkpoint(dir, 1, null), 1);
            Checkpoint saved = Checkpoint.load(dir);
            StepSchedule schedule = new ConstantSchedule(0.01);
            assertEquals("checkpoint must not be null", assertThrows(NullPointerException.class,
                    () -> NetworkTrainer.requireSameOptions(null, DType.FLOAT64, false, schedule, "small", 1, 1, 0))
                    .getMessage());
            assertEquals("dtype must not be null", assertThrows(NullPointerException.class,
                    () -> NetworkTrainer.requireSameOptions(saved, null, false, schedule, "small", 1, 1, 0))
                    .getMessage());
            assertEquals("schedule must not be null", assertThrows(NullPointerException.class,
                    () -> NetworkTrainer.requireSameOptions(saved, DType.FLOAT64, false, null, "small", 1, 1, 0))
                    .getMessage());
            assertEquals("initializer must not be null", assertThrows(NullPointerException.class,
                    () -> NetworkTrainer.requireSameOptions(saved, DType.FLOAT64, false, schedule, null, 1, 1, 0))
                    .getMessage());
        }
    }

    @Test
    void otherDataAnotherConfigurationOrAnotherKindIsRefused() throws IOException {
        try (Problem p = Problem.of("dense:5,relu,dense:3", null, 4, 3, DType.FLOAT64, 7)) {
            run(p.builder().tolerance(0).checkpoint(dir, 5, null), 10);
            Checkpoint saved = Checkpoint.load(dir);
            // Y changed by one ulp in one element
            double[][] y = p.y().toArray();
            y[2][1] = Math.nextUp(y[2][1]);
            try (DenseMatrix other = DenseMatrix.of(DType.FLOAT64, y)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> NetworkTrainer.builder(p.x(), other, p.arch()).tolerance(0).resumeFrom(saved).build());
                assertTrue(e.getMessage().contains("another input"), e.getMessage());
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> p.builder().tolerance(0).schedule(new ConstantSchedule(0.1)).resumeFrom(saved).build());
            assertEquals("the checkpoint was written with schedule auto:0.5, this run has constant:0.1: resume with "
                    + "the same configuration", e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> p.builder().tolerance(0).threads(2).resumeFrom(saved).build());
            assertTrue(e.getMessage().contains("threads 1, this run has 2"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> p.builder().tolerance(0).biases(true).resumeFrom(saved).build());
            assertTrue(e.getMessage().contains("biases false, this run has true"), e.getMessage());
            // a network's checkpoint does not resume a factorisation, nor the reverse
            e = assertThrows(IllegalArgumentException.class,
                    () -> Factorizer.builder(p.x(), 2).resumeFrom(saved).build());
            assertEquals("the checkpoint was written by network, not factorize", e.getMessage());
            Path factorization = dir.resolve("factorize");
            Factorizer.builder(p.x(), 2).maxIterations(2).checkpoint(factorization, 1, null).build().run().close();
            Checkpoint other = Checkpoint.load(factorization);
            e = assertThrows(IllegalArgumentException.class, () -> p.builder().resumeFrom(other).build());
            assertEquals("the checkpoint was written by factorize, not network", e.getMessage());
        }
    }

    /**
     * The trainer locks its checkpoint directory for its run, as the factorisation does (CheckpointDirectoryTest): a
     * lock held on another thread (another run of this process) refuses it before it trains, and once that lock is
     * let go the run goes ahead.
     */
    @Test
    void aCheckpointDirectoryInUseIsRefused() throws Exception {
        ExecutorService other = Executors.newSingleThreadExecutor();
        try (Problem p = Problem.of("dense:5,dense:3", null, 4, 3, DType.FLOAT64, 3)) {
            RunLock held = other.submit(() -> RunLock.checkpoints("--checkpoint", dir)).get();
            NetworkTrainer trainer = p.builder().maxIterations(10).checkpoint(dir, 5, null).build();
            try {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, trainer::run);
                assertTrue(e.getMessage().startsWith("checkpoint directory " + dir + ": another run is writing its "
                        + "checkpoints there"), e.getMessage());
            } finally {
                held.close();
            }
            try (NetworkResult r = trainer.run()) {
                assertEquals(10, r.iterations());
            }
            assertEquals(10, Checkpoint.load(dir).iteration());
        } finally {
            other.shutdownNow();
        }
    }

    /**
     * {@link NetworkTrainer#checkpointBytes} against the file a run writes, where its matrices dominate (34 450
     * parameters; 62 500 doubles of Q_h in the linear case): the count is at most the file, and the rest — the scalars,
     * the per-unit sums (350 doubles), the block names, the configuration — under 10 % and 16 KiB more. Leaving out
     * Q_h (500 kB) or the back-off's copy of the weights under auto (276 kB in float64) breaks the upper bound.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"dense:200,dense:150,dense:3|auto|FLOAT64|false",
        "dense:200,relu,dense:150,relu,dense:3|constant:0.01|FLOAT32|true",
        "dense:200,dense:150,relu,dense:3|auto|FLOAT32|true"})
    void checkpointBytesCountsTheMatricesACheckpointHolds(String spec, String schedule, DType dtype, boolean biases)
            throws IOException {
        try (Problem p = Problem.of(spec, null, 20, 3, dtype, 3)) {
            StepSchedule steps = StepSchedule.parse(schedule);
            run(p.builder().schedule(steps).biases(biases).threads(1).checkpoint(dir, 1, null), 2);
            long file = java.nio.file.Files.size(dir.resolve(Checkpoint.FILE));
            long counted = NetworkTrainer.checkpointBytes(p.arch(), biases, dtype, steps);
            assertTrue(counted <= file && file <= 1.1 * counted + 16384, spec + ": counted " + counted + " of a "
                    + file + "-byte checkpoint");
        }
    }
}
