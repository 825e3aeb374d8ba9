package org.autobalance.solve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.autobalance.kernel.FactorKernels;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.observe.IterationRecord;
import org.autobalance.observe.Trajectory;
import org.autobalance.schedule.StepSchedule;
import org.autobalance.solve.internal.MatrixDigest;
import org.autobalance.synthetic.KnownMatrices;
import org.autobalance.testing.Dense;
import org.junit.jupiter.api.Test;

class StopRulesTest {
    private static final double[][] M = KnownMatrices.withSpectrum(40, 30, new double[] {4, 2, 1}, 7);

    @Test
    void timeLimitStopsAfterTheIterationThatCrossedIt() {
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, M);
                Result result = Factorizer.builder(m, 3).timeLimit(Duration.ofNanos(1)).maxIterations(1000)
                        .build().run()) {
            assertEquals(StopReason.TIME_LIMIT, result.stopReason());
            assertEquals(1, result.iterations());
        }
    }

    /**
     * A time limit too long to matter, as a caller meaning "no limit" writes it, is no limit: past about 292 years its
     * nanoseconds do not fit a long. Before, {@code Duration.ofMillis(Long.MAX_VALUE)} and
     * {@code ChronoUnit.FOREVER.getDuration()} failed {@code run()} with "ArithmeticException: long overflow", and
     * {@code Duration.ofNanos(Long.MAX_VALUE)} wrapped the deadline into the past: TIME_LIMIT after one iteration.
     */
    @Test
    void aTimeLimitBeyondALongOfNanosIsNoLimit() {
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, M)) {
            for (Duration forever : List.of(Duration.ofNanos(Long.MAX_VALUE), Duration.ofMillis(Long.MAX_VALUE),
                    ChronoUnit.FOREVER.getDuration())) {
                try (Result result = Factorizer.builder(m, 3).timeLimit(forever).maxIterations(50).tolerance(0)
                        .build().run()) {
                    assertEquals(StopReason.MAX_ITERATIONS, result.stopReason(), forever.toString());
                    assertEquals(50, result.iterations(), forever.toString());
                }
            }
        }
    }

    /**
     * The kernels compile on their first calls, and under cli/jit's options a thread that needs one waits for its code
     * (1–3 s on the command line). Where no σ₁ passes run before the iterations (a given step and start, or a resume)
     * those calls were the first iteration's, on the clock of the time limit and the records: a 2000 × 1500 float32
     * run given --max-seconds 1 stopped after 1–2 iterations at relative error 1, and each resumed 1 s slice made one
     * iteration. Here kernels whose first calls each wait 1.5 s stand for that, beside a limit of 1.2 s: 20 iterations
     * of this 40 × 30 M take milliseconds, with room for a loaded machine; the run's bits are unchanged.
     */
    @Test
    void theKernelsFirstCallsAreNotOnTheIterationsClock() {
        StepSchedule step = StepSchedule.parse("constant:0.05");
        Initializer start = Initializer.small(1e-3);
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, M);
                Result plain = Factorizer.builder(m, 3).schedule(step).initializer(start).maxIterations(20).build()
                        .run();
                Result slow = Factorizer.builder(m, 3).schedule(step).initializer(start).maxIterations(20)
                        .kernels(firstCallsWaiting(1500)).timeLimit(Duration.ofMillis(1200)).build().run()) {
            assertEquals(StopReason.MAX_ITERATIONS, slow.stopReason(), "a time limit of 1.2 s, 20 iterations");
            assertEquals(MatrixDigest.of(plain.u(), plain.v()), MatrixDigest.of(slow.u(), slow.v()));
        }
    }

    /** The default kernels, each of whose methods waits {@code millis} on its first call, as a compile would. */
    private static FactorKernels firstCallsWaiting(long millis) {
        FactorKernels real = KernelProvider.kernels();
        Set<String> called = ConcurrentHashMap.newKeySet();
        Consumer<String> first = method -> {
            if (called.add(method)) {
                try {
                    Thread.sleep(millis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        return new FactorKernels() {
            @Override
            public String name() {
                return real.name();
            }

            @Override
            public void fusedPass(DenseMatrix m, DenseMatrix u, DenseMatrix v, int rowStart, int rowEnd,
                    DenseMatrix mv, DenseMatrix mtu) {
                first.accept("fusedPass");
                real.fusedPass(m, u, v, rowStart, rowEnd, mv, mtu);
            }

            @Override
            public void gram(DenseMatrix x, int rowStart, int rowEnd, double[] gram) {
                first.accept("gram");
                real.gram(x, rowStart, rowEnd, gram);
            }

            @Override
            public double gradientStep(DenseMatrix x, DenseMatrix p, double[] a, double eta, int rowStart,
                    int rowEnd) {
                first.accept("gradientStep");
                return real.gradientStep(x, p, a, eta, rowStart, rowEnd);
            }

            @Override
            public double gradientStepAndGram(DenseMatrix x, DenseMatrix p, double[] a, double eta, int rowStart,
                    int rowEnd, double[] gram) {
                first.accept("gradientStepAndGram");
                return real.gradientStepAndGram(x, p, a, eta, rowStart, rowEnd, gram);
            }

            @Override
            public double dot(DenseMatrix x, DenseMatrix y, int rowStart, int rowEnd) {
                first.accept("dot");
                return real.dot(x, y, rowStart, rowEnd);
            }

            @Override
            public double residualSquared(DenseMatrix m, DenseMatrix u, DenseMatrix v, int rowStart, int rowEnd) {
                first.accept("residualSquared");
                return real.residualSquared(m, u, v, rowStart, rowEnd);
            }
        };
    }

    /**
     * U = V = 0 is a stationary point (the gradient U·VᵀV − MV is zero there), and a start whose steps are below half
     * the dtype's smallest number rounds every change away (on this M, seed 42: 4.9e-324 in float64, entries 0 and
     * ±4.9e-324 — elsewhere some of its steps may round to ±4.9e-324 and it learns; 1e-45 in float32: 0 and ±1.4e-45,
     * whose steps η·(MV)ᵢ are ~10⁻⁴⁶): the first step leaves U and V as they were, and the second
     * step (t = 1, the first the stall test digests) confirms it — stalled after two iterations, whatever the
     * tolerance, with the start returned bit for bit (with the scalar kernels a float32 first step may move an entry:
     * then after two or three). Before, the zero start ran its 10 000 iterations to
     * {@code plateau} and the subnormal float32 one to {@code max_iterations}.
     */
    @Test
    void aStartThatCannotMoveStalls() {
        for (DType dtype : DType.values()) {
            try (DenseMatrix m = DenseMatrix.of(dtype, M); DenseMatrix u0 = DenseMatrix.allocate(dtype, 40, 3);
                    DenseMatrix v0 = DenseMatrix.allocate(dtype, 30, 3)) {
                double tiny = dtype == DType.FLOAT64 ? Double.MIN_VALUE : 1e-45;
                for (Initializer start : new Initializer[] {Initializer.given(u0, v0), Initializer.small(tiny)}) {
                    for (double tolerance : new double[] {Factorizer.defaultTolerance(dtype), 0}) {
                        try (Result unmoved = Factorizer.builder(m, 3).initializer(start).maxIterations(0).build()
                                        .run();
                                Result result = Factorizer.builder(m, 3).initializer(start).tolerance(tolerance)
                                        .build().run()) {
                            String what = dtype + " " + start.describe() + " tol " + tolerance;
                            assertEquals(StopReason.STALLED, result.stopReason(), what);
                            // 2 (the scalar kernels form float32's products in double: their first step may still
                            // move an entry, and the stall is found a step later)
                            assertTrue(result.iterations() == 2
                                    || dtype == DType.FLOAT32 && result.iterations() == 3, what);
                            if (result.iterations() == 2) {
                                assertEquals(0.0, Dense.maxAbsDifference(unmoved.u().toArray(),
                                        result.u().toArray()), what);
                                assertEquals(0.0, Dense.maxAbsDifference(unmoved.v().toArray(),
                                        result.v().toArray()), what);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * Starts whose measures repeat while they move are not stalls: in float64 a start of 10⁻³⁰⁰ has Grams and
     * ⟨U, MV⟩ that underflow to 0 for hundreds of iterations while the factors grow (the digests at t = 1, 2, 4, …
     * differ); float32's 10⁻⁴⁴ moves in subnormals. Both reach the optimum.
     */
    @Test
    void startsThatMoveThroughUnderflowDoNotStall() {
        for (DType dtype : DType.values()) {
            try (DenseMatrix m = DenseMatrix.of(dtype, M);
                    Result result = Factorizer.builder(m, 3)
                            .initializer(Initializer.small(dtype == DType.FLOAT64 ? 1e-300 : 1e-44)).build().run()) {
                assertEquals(StopReason.CONVERGED, result.stopReason(), dtype.label());
            }
        }
    }

    /**
     * The stall rule holds only while the next step is no larger: a schedule whose first steps are too small to change
     * a normal start (10⁻³⁰, growing tenfold) and then normal is not stopped while its steps grow, and converges.
     */
    @Test
    void aGrowingStepIsNotCutShortByTheStallRule() {
        StepSchedule warmUp = new StepSchedule() {
            @Override
            public double eta(long t) {
                return t < 5 ? 1e-30 * Math.pow(10, t) : 0.1;
            }

            @Override
            public String describe() {
                return "warm-up";
            }
        };
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, M);
                Result result = Factorizer.builder(m, 3).schedule(warmUp).build().run()) {
            assertEquals(StopReason.CONVERGED, result.stopReason());
        }
    }

    @Test
    void zeroIterationsReturnTheStartingFactors() {
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, M);
                DenseMatrix u0 = DenseMatrix.of(DType.FLOAT64, KnownMatrices.gaussian(40, 3, 0.1, 1));
                DenseMatrix v0 = DenseMatrix.of(DType.FLOAT64, KnownMatrices.gaussian(30, 3, 0.1, 2));
                Result result = Factorizer.builder(m, 3).initializer(Initializer.given(u0, v0)).maxIterations(0)
                        .build().run()) {
            assertEquals(0, result.iterations());
            assertEquals(0.0, Dense.maxAbsDifference(u0.toArray(), result.u().toArray()));
            assertEquals(Dense.loss(M, u0.toArray(), v0.toArray()), result.loss(), 1e-12);
        }
    }

    /**
     * The run stops at an iterate that meets both halves of the first-order test — the coarse ‖∇f‖ ≤ τ‖M‖_F·
     * √(‖U‖² + ‖V‖²), and the one on the weakest learned direction, ‖∇f‖ ≤ √(2s₃)·max(√3·τ‖M‖_F, √τ‖R‖_F) (all three
     * of σ = 4, 2, 1 learned) — within {@link #FIT_GAP} − 1 iterations of the first that does (the second half is
     * tested at waits doubling to that), and not before it. s₃ comes from a one-sided Jacobi SVD of the iterate's UVᵀ
     * (no Gram), the iterate from a run stopped there by the iteration limit with the test off (the same steps: its
     * loss is checked). On this spectrum the second half is the stricter (√(2·3·1) against √(2·7)), so it decides.
     */
    @Test
    void convergedRunsStopWithTheToleranceMet() {
        double tol = 1e-6;
        double normM = KnownMatrices.frobenius(M);
        Trajectory trajectory = new Trajectory();
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, M);
                Result result = Factorizer.builder(m, 3).tolerance(tol).listener(trajectory).build().run()) {
            assertEquals(StopReason.CONVERGED, result.stopReason());
            List<IterationRecord> records = trajectory.records();
            int last = records.size() - 1;
            assertTrue(meetsTheTest(m, records.get(last), tol, normM), "stopped at " + last + " unmet");
            int firstMet = last;
            while (meetsTheTest(m, records.get(firstMet - 1), tol, normM)) {
                firstMet--;
            }
            assertTrue(last - firstMet < FIT_GAP, "first met at " + firstMet + ", stopped at " + last);
            IterationRecord before = records.get(firstMet - 1);
            assertTrue(before.gradientNorm() <= tol * normM * Math.hypot(before.normU(), before.normV()),
                    "the coarse half alone would have stopped earlier: the case tests the second half");
        }
    }

    /** The longest wait between tests of the weakest direction's fit (EckartYoungCheck.MAX_FIT_GAP). */
    private static final int FIT_GAP = 8;

    /** Whether iterate {@code record.iteration()} meets both halves of the first-order test. */
    private static boolean meetsTheTest(DenseMatrix m, IterationRecord record, double tol, double normM) {
        long t = record.iteration();
        try (Result upTo = Factorizer.builder(m, 3).tolerance(0).maxIterations(t).build().run()) {
            // the record's loss is the identity's, good to a few u·‖M‖², far below one iteration's change
            assertEquals(record.loss(), Dense.loss(M, upTo.u().toArray(), upTo.v().toArray()),
                    100 * 0x1p-53 * normM * normM, "the iterate of record " + t);
            double[] s = Dense.singularValues(Dense.multiply(upTo.u().toArray(), Dense.transpose(upTo.v().toArray())));
            double weakest = s[2];
            double coarse = tol * normM * Math.hypot(record.normU(), record.normV());
            double fine = Math.sqrt(2 * weakest) * Math.max(Math.sqrt(3) * tol * normM,
                    Math.sqrt(tol) * Math.sqrt(2 * record.loss()));
            return record.gradientNorm() <= Math.min(coarse, fine);
        }
    }

    @Test
    void checkpointRecordsCarryTheExactLossAndLeaveTheTrajectoryUnchanged() {
        Trajectory withCheckpoints = new Trajectory();
        Trajectory plain = new Trajectory();
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT32, M);
                Result a = Factorizer.builder(m, 3).exactLossEvery(10).maxIterations(35).tolerance(0)
                        .listener(withCheckpoints).build().run();
                Result b = Factorizer.builder(m, 3).maxIterations(35).tolerance(0).listener(plain).build().run()) {
            assertEquals(0.0, Dense.maxAbsDifference(a.u().toArray(), b.u().toArray()));
            double normM = KnownMatrices.frobenius(M);
            for (int t = 0; t < 35; t++) {
                IterationRecord exact = withCheckpoints.records().get(t);
                IterationRecord identity = plain.records().get(t);
                assertEquals(t % 10 == 0, exact.lossExact(), "iteration " + t);
                // the float32 identity errs by a few u·‖M‖² (u = 2⁻²⁴ ≈ 6e-8); 100·u·‖M‖² bounds it safely
                assertEquals(exact.loss(), identity.loss(), 100 * 0x1p-24 * normM * normM, "iteration " + t);
            }
        }
    }

    @Test
    void aThrowingListenerStopsTheRun() {
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, M)) {
            Factorizer f = Factorizer.builder(m, 2).listener(r -> {
                if (r.iteration() == 5) {
                    throw new IllegalStateException("enough");
                }
            }).build();
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    f::run);
            assertEquals("enough", e.getMessage());
        }
    }
}
