package org.autobalance.solve;

import java.util.SplittableRandom;
import org.autobalance.kernel.FactorKernels;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.parallel.IterationEngine;
import org.autobalance.parallel.ParallelPass;

/**
 * σ₁(M), the largest singular value, by power iteration on the engine's own fused pass with r = 1.
 *
 * <p>One fused pass with unit vectors x (as V) and y (as U) gives both Mx and Mᵀy. Setting x ← Mᵀy/‖·‖ and
 * y ← Mx/‖·‖ runs two interleaved power iterations (x₀, y₁, x₂, … and y₀, x₁, y₂, …), each advancing one half-step
 * per pass, so every pass is used in full. Every ‖Mx‖ and ‖Mᵀy‖ with unit x, y is a lower bound on σ₁, and the largest
 * one seen converges to σ₁.
 */
final class SpectralNorm {
    /** Passes over M at most; the estimate's relative error then is below (σ₂/σ₁)^(passes) anyway. */
    static final int MAX_PASSES = 300;
    /** Stop when one pass improves the estimate by less than this, relatively. */
    static final double RELATIVE_TOLERANCE = 1e-9;

    private SpectralNorm() {
    }

    static double estimate(FactorKernels kernels, ParallelPass pass, DenseMatrix m, long seed) {
        try (DenseMatrix x = DenseMatrix.allocate(m.dtype(), m.cols(), 1);
                DenseMatrix y = DenseMatrix.allocate(m.dtype(), m.rows(), 1);
                IterationEngine engine = new IterationEngine(kernels, pass, m, y, x)) {
            SplittableRandom random = new SplittableRandom(seed ^ 0x5DEECE66DL);
            fillUnit(x, random);
            fillUnit(y, random);
            double best = 0.0;
            for (int k = 0; k < MAX_PASSES; k++) {
                engine.fusedPass();
                double mx = columnNorm(engine.mv());
                double mty = columnNorm(engine.mtu());
                double estimate = Math.max(mx, mty);
                if (estimate == 0.0) {
                    return 0.0;
                }
                boolean done = estimate <= best * (1 + RELATIVE_TOLERANCE);
                best = Math.max(best, estimate);
                if (done) {
                    break;
                }
                // a zero image means the vector lies in a null space: keep it, the other chain carries on
                if (mty > 0) {
                    copyScaled(engine.mtu(), x, 1.0 / mty);
                }
                if (mx > 0) {
                    copyScaled(engine.mv(), y, 1.0 / mx);
                }
            }
            return best;
        }
    }

    private static double columnNorm(DenseMatrix z) {
        double s = 0.0;
        for (int i = 0; i < z.rows(); i++) {
            double zi = z.get(i, 0);
            s += zi * zi;
        }
        return Math.sqrt(s);
    }

    private static void copyScaled(DenseMatrix from, DenseMatrix to, double scale) {
        for (int i = 0; i < from.rows(); i++) {
            to.set(i, 0, from.get(i, 0) * scale);
        }
    }

    private static void fillUnit(DenseMatrix z, SplittableRandom random) {
        double norm = 0.0;
        double[] g = new double[z.rows()];
        for (int i = 0; i < g.length; i++) {
            g[i] = random.nextGaussian();
            norm += g[i] * g[i];
        }
        norm = Math.sqrt(norm);
        for (int i = 0; i < g.length; i++) {
            z.set(i, 0, g[i] / norm);
        }
    }
}
