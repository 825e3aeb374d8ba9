package org.autobalance.solve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.observe.IterationRecord;
import org.autobalance.observe.Trajectory;
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

    @Test
    void convergedRunsStopWithTheToleranceMet() {
        Trajectory trajectory = new Trajectory();
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, M);
                Result result = Factorizer.builder(m, 3).tolerance(1e-6).listener(trajectory).build().run()) {
            assertEquals(StopReason.CONVERGED, result.stopReason());
            IterationRecord last = trajectory.records().getLast();
            double normM = KnownMatrices.frobenius(M);
            assertTrue(last.gradientNorm() <= 1e-6 * normM * Math.hypot(last.normU(), last.normV()));
            IterationRecord before = trajectory.records().get(trajectory.records().size() - 2);
            assertFalse(before.gradientNorm() <= 1e-6 * normM * Math.hypot(before.normU(), before.normV()),
                    "should have stopped one iteration earlier");
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
