package org.autobalance.bench.baseline;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.network.Architecture;
import org.autobalance.network.Parameters;
import org.autobalance.network.TrainingStep;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The OpenBLAS composition of {@link NetworkStepBenchmark} computes what the engine computes: after five steps from
 * the same weights (awkward sizes: n = 103, 20–37–29–5) the weights agree to rounding. Bound: each entry is a sum
 * of at most n products; both implementations are within n·u·Σ|terms| ≲ n·u·max|W| of the exact step per step, so
 * 5·2·n·u·max|W|·(1 + ηmax|G|) — with η = 0.1 far below the distance the weights travel (checked).
 */
class NetworkBaselineAgreementTest {

    @ParameterizedTest(name = "{0} threads={1}")
    @CsvSource({"float64,1", "float64,2", "float32,1", "float32,2"})
    void openBlasCompositionMatchesTheEngine(String dtype, int threads) {
        assumeTrue(OpenBlas.available(), () -> "OpenBLAS unavailable: " + OpenBlas.unavailableReason());
        DType t = DType.parse(dtype);
        Architecture arch = Architecture.parse("dense:37,relu,dense:29,leaky:0.1,dense:5", 20, null);
        int n = 103;
        try (DenseMatrix x = NetworkStepBenchmark.gaussian(t, n, 20, 1, 1.0);
                DenseMatrix y = NetworkStepBenchmark.gaussian(t, n, 5, 2, 1.0);
                Parameters a = new Parameters(arch, t, false);
                Parameters b = new Parameters(arch, t, false)) {
            for (int h = 1; h <= arch.depth(); h++) {
                try (DenseMatrix w = NetworkStepBenchmark.gaussian(t, a.weights(h).rows(), a.weights(h).cols(),
                        10 + h, 0.3)) {
                    a.weights(h).copyFrom(w);
                    b.weights(h).copyFrom(w);
                }
            }
            double[][] start = a.weights(2).toArray();
            OpenBlas.setThreads(threads);
            try (TrainingStep engine = new TrainingStep(x, y, a, threads);
                    OpenBlasNetwork blas = new OpenBlasNetwork(x, y, b)) {
                for (int s = 0; s < 5; s++) {
                    engine.lossAndGradients();
                    engine.update(0.1);
                    blas.step(0.1);
                }
            }
            double u = t.unitRoundoff();
            double moved = 0;
            for (int h = 1; h <= arch.depth(); h++) {
                double[][] wa = a.weights(h).toArray();
                double[][] wb = b.weights(h).toArray();
                double max = 0;
                double diff = 0;
                for (int i = 0; i < wa.length; i++) {
                    for (int j = 0; j < wa[0].length; j++) {
                        max = Math.max(max, Math.abs(wa[i][j]));
                        diff = Math.max(diff, Math.abs(wa[i][j] - wb[i][j]));
                        if (h == 2) {
                            moved = Math.max(moved, Math.abs(wa[i][j] - start[i][j]));
                        }
                    }
                }
                double bound = 5 * 2 * n * u * max * 2;
                assertTrue(diff <= bound, "W" + h + ": differ by " + diff + " > " + bound);
            }
            assertTrue(moved > 1e3 * 5 * 2 * n * u, "the weights barely moved: " + moved);
        }
    }
}
