package org.autobalance.solve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.schedule.ConstantSchedule;
import org.autobalance.schedule.SpectralSchedule;
import org.autobalance.schedule.StepSchedule;
import org.autobalance.solve.internal.IterationMonitor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code auto}'s back-off for a step that neither runs away nor settles. The rank-1 M = abᵀ with a = (1, 1.5, 0.5),
 * b = (2, 4): at the balanced optimum the loss's curvature is ‖u‖² + ‖v‖² = 2σ₁, so a step above 1/σ₁ is unstable
 * there, and auto:1.1's (η = 1.1/σ₁) wanders around the optimum without ever climbing past the runaway threshold.
 */
class OscillationBackoffTest {
    private static final double[][] M = {{2, 4}, {3, 6}, {1, 2}};
    private static final StepSchedule TOO_LONG = new SpectralSchedule(1.1);

    @TempDir
    Path dir;

    /**
     * The step of auto:1.1 run as a constant never converges; under auto the run goes back to its start with half
     * the step once the loss has stayed far above its lowest for the oscillation test's span, and then converges;
     * its factors are those of a run made with the halved step from the start, bit for bit.
     */
    @Test
    void aStepThatOscillatesGoesBackToTheStartWithHalfTheStep() {
        List<Long> halvedAt;
        double eta0;
        try (Result r = run(b -> b.schedule(TOO_LONG).maxIterations(5000))) {
            assertEquals(StopReason.CONVERGED, r.stopReason());
            assertTrue(r.relativeError() < 1e-6, "relative error " + r.relativeError());
            halvedAt = r.stepHalvedAt();
            assertEquals(1, halvedAt.size(), "halved at " + halvedAt);
            assertTrue(halvedAt.get(0) >= IterationMonitor.OSCILLATION_ITERATIONS, "halved at " + halvedAt);
            eta0 = StepSchedule.parse(r.schedule()).eta(0);
        }
        try (Result constant = run(b -> b.schedule(new ConstantSchedule(eta0)).maxIterations(5000))) {
            assertEquals(StopReason.MAX_ITERATIONS, constant.stopReason());
            assertTrue(constant.relativeError() > 0.01, "relative error " + constant.relativeError());
        }
        long restartedAt = halvedAt.get(0);
        try (Result auto = run(b -> b.schedule(TOO_LONG).tolerance(0).maxIterations(restartedAt + 50));
                Result given = run(b -> b.schedule(new ConstantSchedule(eta0 / 2)).tolerance(0).maxIterations(50))) {
            assertEquals(halvedAt, auto.stepHalvedAt());
            assertTrue(Arrays.deepEquals(given.u().toArray(), auto.u().toArray()));
            assertTrue(Arrays.deepEquals(given.v().toArray(), auto.v().toArray()));
        }
    }

    /**
     * Resumed before the halving, a run halves where the whole run does: the test's lowest loss and the last
     * iteration near it travel in the checkpoint (counted from the resume instead, the halving comes 20 iterations
     * after the whole run's at least).
     */
    @Test
    void aResumedRunOscillatesWhereTheWholeRunDoes() throws IOException {
        long whole = 1500;
        try (Result uninterrupted = run(b -> b.schedule(TOO_LONG).tolerance(0).maxIterations(whole))) {
            List<Long> halvedAt = uninterrupted.stepHalvedAt();
            assertEquals(1, halvedAt.size());
            for (long stop : new long[] {halvedAt.get(0) - 20, halvedAt.get(0) + 20}) {
                Path ck = dir.resolve("ck" + stop);
                run(b -> b.schedule(TOO_LONG).tolerance(0).maxIterations(stop).checkpoint(ck, 1_000_000, null))
                        .close();
                Checkpoint saved = Checkpoint.load(ck);
                try (Result resumed = run(b -> b.schedule(TOO_LONG).tolerance(0).maxIterations(whole)
                        .resumeFrom(saved))) {
                    assertEquals(halvedAt, resumed.stepHalvedAt(), "resumed at " + stop);
                    assertTrue(Arrays.deepEquals(uninterrupted.u().toArray(), resumed.u().toArray()));
                    assertTrue(Arrays.deepEquals(uninterrupted.v().toArray(), resumed.v().toArray()));
                }
            }
        }
    }

    /**
     * A run at its rounding floor, left going with {@code tolerance(0)}, is not taken for oscillating, although its
     * loss there (the one-pass identity's, a few u·‖M‖² from the true one) stays above twice its lowest for far longer
     * than the test's span: the loss is near its lowest below 10⁻⁶·½‖M‖².
     */
    @Test
    void aConvergedRunLeftGoingIsNotTakenForOscillating() {
        SplittableRandom random = new SplittableRandom(7);
        double[][] values = new double[60][40];
        double[][] a = new double[60][3];
        double[][] b = new double[40][3];
        for (double[] row : a) {
            Arrays.setAll(row, c -> random.nextGaussian());
        }
        for (double[] row : b) {
            Arrays.setAll(row, c -> random.nextGaussian());
        }
        for (int i = 0; i < 60; i++) {
            for (int j = 0; j < 40; j++) {
                for (int c = 0; c < 3; c++) {
                    values[i][j] += a[i][c] * b[j][c];
                }
            }
        }
        List<Double> losses = new ArrayList<>();
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, values);
                Result r = Factorizer.builder(m, 3).tolerance(0).maxIterations(4000)
                        .listener(record -> losses.add(record.loss())).build().run()) {
            assertTrue(r.stepHalvedAt().isEmpty(), "halved at " + r.stepHalvedAt());
            assertTrue(r.relativeError() < 1e-12, "relative error " + r.relativeError());
        }
        // the premise: after some lowest, a stretch of the test's span with every loss above twice that lowest
        double lowest = Double.POSITIVE_INFINITY;
        long above = 0;
        long longest = 0;
        for (double loss : losses) {
            lowest = Math.min(lowest, loss);
            above = loss > 2 * lowest ? above + 1 : 0;
            longest = Math.max(longest, above);
        }
        assertTrue(longest >= IterationMonitor.OSCILLATION_ITERATIONS, "longest stretch above twice the lowest: "
                + longest);
    }

    private static Result run(UnaryOperator<Factorizer.Builder> settings) {
        DenseMatrix m = DenseMatrix.of(DType.FLOAT64, M);
        try (m) {
            return settings.apply(Factorizer.builder(m, 1)).build().run();
        }
    }
}
