package org.autobalance.bench.baseline;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;

/**
 * The shared inputs of every benchmark of the iteration: M with i.i.d. uniform entries in [−1, 1]/√d2 (σ₁ ≈ 1.15 for a
 * square M, so the step {@link #ETA} is stable and the iterates stay finite and far from denormal for any number of
 * iterations) and a small random start U₀, V₀. Fixed seeds: every implementation sees the same bits.
 */
public final class BenchProblem {
    /** Constant step: 0.2/σ₁(M) with σ₁ ≈ 1, well inside the stable range. */
    public static final double ETA = 0.2;

    private BenchProblem() {
    }

    /** A d1 × d2 data matrix (seeded; rows generated straight into native memory). */
    public static DenseMatrix data(DType dtype, int d1, int d2, long seed) {
        return random(dtype, d1, d2, 1.0 / Math.sqrt(d2), seed);
    }

    /** A rows × r starting factor with entries uniform in ±0.01. */
    public static DenseMatrix start(DType dtype, int rows, int r, long seed) {
        return random(dtype, rows, r, 0.01, seed);
    }

    private static DenseMatrix random(DType dtype, int rows, int cols, double scale, long seed) {
        DenseMatrix x = DenseMatrix.allocate(dtype, rows, cols);
        MemorySegment s = x.segment();
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < rows; i++) {
            long base = (long) i * x.stride();
            for (int j = 0; j < cols; j++) {
                double value = scale * (2 * random.nextDouble() - 1);
                if (dtype == DType.FLOAT32) {
                    s.setAtIndex(ValueLayout.JAVA_FLOAT, base + j, (float) value);
                } else {
                    s.setAtIndex(ValueLayout.JAVA_DOUBLE, base + j, value);
                }
            }
        }
        return x;
    }
}
