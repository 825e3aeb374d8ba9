package org.autobalance.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.function.Supplier;
import org.autobalance.kernel.FactorKernels;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.kernel.SparseKernels;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;
import org.autobalance.synthetic.KnownMatrices;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The engine's step adds up the Grams of the factors it steps and the next pass takes them instead of sweeping the
 * factors again ({@link IterationEngine#step}): every pass after a step must give the bits that a new engine's sweep
 * over the same factors gives — simultaneous, U alone, V alone, after the caller wrote a factor — for a dense M, a
 * sparse M's full loss (the panel layout at float32 r = 16) and its observed loss, at 1 to 3 threads.
 */
class SteppedGramsTest {
    private static final int D1 = 900;
    private static final int D2 = 700;
    private static final double ETA = 1e-3;

    @ParameterizedTest(name = "{0} {1} r={2} {3} threads")
    @CsvSource({"dense, FLOAT32, 16, 1", "dense, FLOAT64, 5, 3", "dense, FLOAT32, 7, 2", "full, FLOAT32, 16, 1",
        "full, FLOAT32, 16, 2", "full, FLOAT64, 5, 3", "observed, FLOAT32, 16, 2", "observed, FLOAT32, 16, 3",
        "observed, FLOAT64, 3, 1"})
    void passesAfterAStepGiveTheSweepsBits(String target, DType dtype, int r, int threads) {
        FactorKernels kernels = KernelProvider.kernels();
        SparseKernels sparseKernels = KernelProvider.sparseKernels();
        try (DenseMatrix dense = target.equals("dense") ? KnownMatrices.gaussian(dtype, D1, D2, 0.1, 1) : null;
                SparseMatrix sparse = target.equals("dense") ? null : sparse(dtype);
                DenseMatrix u = KnownMatrices.gaussian(dtype, D1, r, 0.3, 2);
                DenseMatrix v = KnownMatrices.gaussian(dtype, D2, r, 0.3, 3);
                ParallelPass pass = new ParallelPass(threads)) {
            boolean observed = target.equals("observed");
            Supplier<IterationEngine> over = () -> dense != null ? new IterationEngine(kernels, pass, dense, u, v)
                    : new IterationEngine(kernels, sparseKernels, pass, sparse, observed, null, u, v);
            try (IterationEngine engine = over.get()) {
                String where = target + " " + dtype + " r=" + r + " " + threads + " threads";
                engine.fusedPass();
                double[] aU = engine.gramV.clone();
                double[] aV = engine.gramU.clone();
                engine.step(aU, aV, ETA);
                sameAsASweep(engine, over, where + ", both stepped");
                engine.step(aU, null, ETA);
                sameAsASweep(engine, over, where + ", U stepped");
                engine.step(null, aV, ETA);
                sameAsASweep(engine, over, where + ", V stepped");
                // written after a pass (a restored best iterate): the next pass sweeps
                scale(u, 0.5);
                sameAsASweep(engine, over, where + ", U written after a pass");
                // written between a step and the next pass: the contract asks for grams() first
                engine.step(aU, aV, ETA);
                scale(v, 0.5);
                engine.grams();
                sameAsASweep(engine, over, where + ", V written after a step, then grams()");
            }
        }
    }

    /** The engine's next pass against a new engine's over the same factors: its value and both Grams, bit for bit. */
    private static void sameAsASweep(IterationEngine engine, Supplier<IterationEngine> over, String where) {
        double value = engine.fusedPass();
        try (IterationEngine fresh = over.get()) {
            assertEquals(Double.doubleToRawLongBits(fresh.fusedPass()), Double.doubleToRawLongBits(value), where);
            for (int k = 0; k < fresh.gramU.length; k++) {
                assertEquals(Double.doubleToRawLongBits(fresh.gramU[k]), Double.doubleToRawLongBits(engine.gramU[k]),
                        where + ": UᵀU[" + k + "]");
                assertEquals(Double.doubleToRawLongBits(fresh.gramV[k]), Double.doubleToRawLongBits(engine.gramV[k]),
                        where + ": VᵀV[" + k + "]");
            }
        }
    }

    /** X ← s·X, exactly (s a power of two). */
    private static void scale(DenseMatrix x, double s) {
        for (int i = 0; i < x.rows(); i++) {
            for (int k = 0; k < x.cols(); k++) {
                x.set(i, k, s * x.get(i, k));
            }
        }
    }

    /**
     * ~30–80 entries a row, enough for the panel layout at float32 r = 16 (the rule's 1/4), the first third of the rows
     * four times as long as the rest on average, so that the chunks of equal work differ from chunks of equal rows at
     * 2 and 3 threads (a step of U in the wrong chunks gives other bits).
     */
    private static SparseMatrix sparse(DType dtype) {
        try (SparseMatrix.Builder b = SparseMatrix.builder(D1, D2, D1 * 80L)) {
            for (int i = 0; i < D1; i++) {
                for (int t = 0; t < (i < D1 / 3 ? 80 : 20 + i % 21); t++) {
                    b.add(i, (int) ((i * 37L + t * 101L) % D2), ((i + 3 * t) % 11 - 5) / 4.0);
                }
            }
            return b.build(dtype);
        }
    }
}
