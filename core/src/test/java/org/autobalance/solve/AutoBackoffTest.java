package org.autobalance.solve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.autobalance.memory.DType;
import org.autobalance.memory.SparseMatrix;
import org.autobalance.schedule.ConstantSchedule;
import org.autobalance.schedule.StepSchedule;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code auto}'s back-off: a completion whose popular columns are stored in full is far more curved along them than
 * σ₁ of the stored entries says (a walk's 20 000 × 5000 M diverged at iteration 65 with the default step). Here a
 * 2000 × 1000 rank-4 M, 3 columns in full and 3 % of the rest, where auto:0.5's step runs away.
 */
class AutoBackoffTest {
    private static final int RANK = 4;
    private static SparseMatrix m;
    /** Entries of the same rank-4 matrix that M does not store, 1 % of the rest. */
    private static SparseMatrix heldOut;

    @TempDir
    Path dir;

    @BeforeAll
    static void matrix() {
        SplittableRandom random = new SplittableRandom(3);
        int d1 = 2000;
        int d2 = 1000;
        double[][] a = gaussian(random, d1);
        double[][] b = gaussian(random, d2);
        double[][] values = new double[d1][d2];
        double[][] others = new double[d1][d2];
        for (int i = 0; i < d1; i++) {
            for (int j = 0; j < d2; j++) {
                double x = 0;
                for (int c = 0; c < RANK; c++) {
                    x += a[i][c] * b[j][c];
                }
                if (j < 3 || random.nextDouble() < 0.03) {
                    values[i][j] = x;
                } else if (random.nextDouble() < 0.01) {
                    others[i][j] = x;
                }
            }
        }
        m = SparseMatrix.of(DType.FLOAT64, values);
        heldOut = SparseMatrix.of(DType.FLOAT64, others);
    }

    @AfterAll
    static void free() {
        m.close();
        heldOut.close();
    }

    /**
     * The default step diverges given as a constant; under auto the run goes back to its start with half the step and
     * converges to an exact fit, and the factors it ends with are those of a run made with the halved step from the
     * start, bit for bit (the restart is the start made again, and nothing else carries over to the factors).
     */
    @Test
    void aRunAwayGoesBackToTheStartWithHalfTheStep() {
        List<Long> halvedAt;
        double eta0;
        try (Result r = run(b -> b.maxIterations(5000))) {
            assertEquals(StopReason.CONVERGED, r.stopReason());
            assertTrue(r.relativeError() < 1e-6, "relative error " + r.relativeError());
            halvedAt = r.stepHalvedAt();
            assertFalse(halvedAt.isEmpty(), "no run away: the test's M no longer needs the back-off");
            assertEquals(halvedAt, r.summary().get("step_halved_at"));
            eta0 = StepSchedule.parse(r.schedule()).eta(0);
        }
        // the resolved step itself, run as given, diverges: the back-off is what saved the run
        assertThrows(DivergenceException.class, () -> run(b -> b.schedule(new ConstantSchedule(eta0))).close());
        long restartedAt = halvedAt.get(halvedAt.size() - 1);
        double last = Math.scalb(eta0, -halvedAt.size());
        try (Result auto = run(b -> b.tolerance(0).maxIterations(restartedAt + 300));
                Result given = run(b -> b.tolerance(0).maxIterations(300).schedule(new ConstantSchedule(last)))) {
            assertEquals(halvedAt, auto.stepHalvedAt());
            assertTrue(given.stepHalvedAt().isEmpty());
            assertTrue(Arrays.deepEquals(given.u().toArray(), auto.u().toArray()));
            assertTrue(Arrays.deepEquals(given.v().toArray(), auto.v().toArray()));
        }
    }

    /**
     * With held-out entries and early stopping, a run that restarted is the run with the halved step from the start
     * there too: the best held-out iterate of the iterates it abandoned is forgotten (kept, its patience ran out while
     * the new start was still growing, and the run returned an iterate from before the run-away).
     */
    @Test
    void aRestartForgetsTheHeldOutBestOfTheIteratesItAbandons() {
        long patience = 20;
        try (Result auto = run(b -> b.heldOut(heldOut).earlyStopping(patience).maxIterations(3000))) {
            List<Long> halvedAt = auto.stepHalvedAt();
            assertFalse(halvedAt.isEmpty(), "no run away: the test's M no longer needs the back-off");
            long restartedAt = halvedAt.get(halvedAt.size() - 1);
            double last = Math.scalb(StepSchedule.parse(auto.schedule()).eta(0), -halvedAt.size());
            try (Result given = run(b -> b.heldOut(heldOut).earlyStopping(patience).maxIterations(3000 - restartedAt)
                    .schedule(new ConstantSchedule(last)))) {
                assertEquals(given.stopReason(), auto.stopReason());
                assertEquals(given.iterations() + restartedAt, auto.iterations());
                assertEquals(given.factorsIteration() + restartedAt, auto.factorsIteration());
                assertTrue(Arrays.deepEquals(given.u().toArray(), auto.u().toArray()));
                assertTrue(Arrays.deepEquals(given.v().toArray(), auto.v().toArray()));
            }
        }
    }

    /** A run resumed before, and after, a restart ends with the bits and the halvings of the uninterrupted run. */
    @Test
    void aResumedRunBacksOffWhereTheWholeRunDoes() throws IOException {
        long whole = 600;
        try (Result uninterrupted = run(b -> b.tolerance(0).maxIterations(whole))) {
            List<Long> halvedAt = uninterrupted.stepHalvedAt();
            assertFalse(halvedAt.isEmpty());
            for (long stop : new long[] {halvedAt.get(0) - 20, halvedAt.get(0) + 20}) {
                Path ck = dir.resolve("ck" + stop);
                run(b -> b.tolerance(0).maxIterations(stop).checkpoint(ck, 1_000_000, null)).close();
                Checkpoint saved = Checkpoint.load(ck);
                try (Result resumed = run(b -> b.tolerance(0).maxIterations(whole).resumeFrom(saved))) {
                    assertEquals(halvedAt, resumed.stepHalvedAt(), "resumed at " + stop);
                    assertTrue(Arrays.deepEquals(uninterrupted.u().toArray(), resumed.u().toArray()));
                    assertTrue(Arrays.deepEquals(uninterrupted.v().toArray(), resumed.v().toArray()));
                }
            }
        }
    }

    private static Result run(java.util.function.UnaryOperator<Factorizer.Builder> settings) {
        return settings.apply(Factorizer.builder(m, RANK).objective(Objective.observed(0))).build().run();
    }

    private static double[][] gaussian(SplittableRandom random, int rows) {
        double[][] x = new double[rows][RANK];
        for (double[] row : x) {
            for (int c = 0; c < RANK; c++) {
                row[c] = random.nextGaussian();
            }
        }
        return x;
    }
}
