package org.autobalance.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.observe.NetworkRecord;
import org.autobalance.schedule.ConstantSchedule;
import org.autobalance.schedule.SpectralSchedule;
import org.autobalance.solve.Factorizer;
import org.autobalance.solve.StopReason;
import org.autobalance.synthetic.KnownMatrices;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code --schedule auto} on networks where its σ is not enough: the bias floor, and the back-off that turns what
 * would have been a divergence into a halved step from the best iterate.
 *
 * <p>The data are built from one orthonormal basis q_0 = 1/√n, q_1, …, q_{n−1} of R^n: X = √n·[q_1 … q_d] (zero mean,
 * XᵀX/n = I), Y = [q_1 … q_d]·B + [q_{d+1} … q_{d+m}]·C. The best affine fit of Y from X is then the first part
 * exactly, so its loss is ‖C‖²_F/(2n) with no solve, and YᵀX/n = Bᵀ/√n sets auto's σ.
 */
class NetworkAutoStepTest {
    private static final int N = 200;
    private static final int D = 10;
    private static final int P = 3;

    private record Data(DenseMatrix x, DenseMatrix y, double affineLoss) implements AutoCloseable {
        static Data of(DType dtype, double scaleB, int orthogonal, long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            double[][] a = Cases.gaussian(N, 1 + D + orthogonal, 1, r);
            for (double[] row : a) {
                row[0] = 1;
            }
            double[][] q = KnownMatrices.orthonormalColumns(a);
            double[][] b = Cases.gaussian(D, P, scaleB, r);
            double[][] c = Cases.gaussian(orthogonal, P, 1, r);
            double[][] x = new double[N][D];
            double[][] y = new double[N][P];
            double affine = 0;
            for (int i = 0; i < N; i++) {
                for (int k = 0; k < D; k++) {
                    x[i][k] = Math.sqrt(N) * q[i][1 + k];
                    for (int j = 0; j < P; j++) {
                        y[i][j] += q[i][1 + k] * b[k][j];
                    }
                }
                for (int k = 0; k < orthogonal; k++) {
                    for (int j = 0; j < P; j++) {
                        y[i][j] += q[i][1 + D + k] * c[k][j];
                    }
                }
            }
            for (double[] row : c) {
                for (double e : row) {
                    affine += e * e / (2 * N);
                }
            }
            return new Data(DenseMatrix.of(dtype, x), DenseMatrix.of(dtype, y), affine);
        }

        double meanSquaredY() {
            return Invariants.squaredNorm(y) / N;
        }

        @Override
        public void close() {
            x.close();
            y.close();
        }
    }

    /**
     * The new user's case: a ReLU network with biases on targets nearly uncorrelated with the inputs. σ without the
     * floor is tiny, so the old auto step 0.5/σ exceeded 2, beyond the stability limit 2/1 of the last bias
     * (∂²L/∂b_N² = I), and the run diverged within a few dozen steps (checked here as the premise: that constant
     * step still diverges). With the defaults it now trains, and fits more than any affine map can: its loss ends
     * below the best affine fit's ‖C‖²/(2n) (measured: 1–4 % of it after 2,000 steps, no halving needed), in both
     * precisions.
     */
    @ParameterizedTest
    @EnumSource(DType.class)
    void reluWithBiasesOnUncorrelatedTargetsTrainsWithTheDefaults(DType dtype) {
        try (Data data = Data.of(dtype, 0.05, N - D - 1, 3)) {
            Architecture arch = Architecture.parse("dense:64,relu,dense:64,relu,dense:" + P, D, null);
            double oldEta = SpectralSchedule.DEFAULT_C / NetworkScale.sigma(data.x(), data.y(), 3, false, 42);
            assertTrue(oldEta > 2, "the premise: the old auto step exceeds 2/1, it was " + oldEta);
            assertThrows(NetworkDivergenceException.class, () -> NetworkTrainer.builder(data.x(), data.y(), arch)
                    .biases(true).schedule(new ConstantSchedule(oldEta)).maxIterations(2000).build().run().close());
            try (NetworkResult r = NetworkTrainer.builder(data.x(), data.y(), arch).biases(true).maxIterations(2000)
                    .build().run()) {
                assertEquals(NetworkScale.BIAS_FLOOR, r.sigma(), "the floor decides sigma here");
                assertTrue(r.loss() < data.affineLoss(), r.stopReason() + " after " + r.iterations() + ": loss "
                        + r.loss() + " against the best affine fit's " + data.affineLoss() + " (" + r.schedule()
                        + ")");
            }
        }
    }

    /**
     * auto:4 on a linear network: η·λ_max = 8 at the balanced minimum, four times the stability limit, so the
     * constant step C/σ diverges (premise). With auto the run goes back to its best iterate and halves η at each
     * would-be divergence, at least twice (C/2 = 2 still gives η·λ_max = 4), and converges to the exact fit
     * (Y = XBᵀ-like, minimum 0): its loss ends below the stop rule's resolution tol·‖Y‖²/n (the rule compares
     * ‖∇L‖·‖W‖, which has the units of L, with it). The records tell the story exactly: η_t = η₀·2^{−k} with k the
     * halvings up to t, and at a halving the loss recorded is the best loss recorded before (the same bits: the
     * iterate is restored and its loss recomputed).
     */
    @Test
    void autoBacksOffWhereItsConstantStepWouldDiverge() {
        try (Data data = Data.of(DType.FLOAT64, 3, 0, 8)) {
            Architecture arch = Architecture.parse("dense:4,dense:" + P, D, null);
            double sigma = NetworkScale.sigma(data.x(), data.y(), 2, false, 42);
            assertThrows(NetworkDivergenceException.class, () -> NetworkTrainer.builder(data.x(), data.y(), arch)
                    .schedule(new ConstantSchedule(3 / sigma)).maxIterations(10_000).build().run().close());
            List<NetworkRecord> records = new ArrayList<>();
            try (NetworkResult r = NetworkTrainer.builder(data.x(), data.y(), arch).schedule(new SpectralSchedule(3))
                    .maxIterations(10_000).listener(records::add).build().run()) {
                assertEquals(StopReason.CONVERGED, r.stopReason(), r.schedule());
                assertTrue(r.stepHalvedAt().size() >= 2, "halvings " + r.stepHalvedAt());
                double resolution = Factorizer.defaultTolerance(DType.FLOAT64) * data.meanSquaredY();
                assertTrue(r.loss() <= resolution, "loss " + r.loss() + " against " + resolution);
                double best = Double.POSITIVE_INFINITY;
                int k = 0;
                for (NetworkRecord rec : records) {
                    if (r.stepHalvedAt().contains(rec.iteration())) {
                        k++;
                        assertEquals(best, rec.loss(), "the loss recorded at halving " + k);
                    }
                    assertEquals(Math.scalb(3 / sigma, -k), rec.eta(), "eta at " + rec.iteration());
                    best = Math.min(best, rec.loss());
                }
                assertEquals(r.stepHalvedAt().size(), k);
                assertFalse(r.summary().get("step_halved_at").toString().isEmpty());
            }
        }
    }

    /** Other schedules are what the user asked for: no back-off (a constant step that diverges still diverges). */
    @Test
    void constantStepsAreNotBackedOff() {
        try (Data data = Data.of(DType.FLOAT64, 3, 0, 8)) {
            Architecture arch = Architecture.parse("dense:4,dense:" + P, D, null);
            try (NetworkResult r = NetworkTrainer.builder(data.x(), data.y(), arch).schedule(new ConstantSchedule(0.01))
                    .maxIterations(50).build().run()) {
                assertEquals(List.of(), r.stepHalvedAt());
                assertEquals("constant:0.01", r.schedule());
            }
        }
    }
}
