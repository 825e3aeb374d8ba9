package org.autobalance.bench.sparse;

import java.util.List;
import java.util.SplittableRandom;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;

/**
 * The sparse benchmark problems: nnz (row, column) pairs drawn independently, values N(0, 1), duplicates summed.
 * {@code uniform}: rows and columns uniform. {@code powerlaw}: row i with probability ∝ (i + 1)^(−1/2), column j
 * ∝ (j + 1)^(−1/2) (inverse CDF of the continuous density x^(−1/2) on [1, n + 1]), so degrees follow a power law
 * (at 100 000 × 50 000 with 5 M pairs: the longest row 5 909 entries, the median row 36). bench/sparse/reference.py
 * draws from the same recipe with numpy's generator.
 */
public final class SparseProblem {
    /** The step of the timed iterations, as the dense benchmarks use: small enough to stay finite for many calls. */
    public static final double ETA = 1e-3;

    private SparseProblem() {
    }

    /** The patterns {@link #matrix} draws. */
    public static final List<String> PATTERNS = List.of("uniform", "powerlaw");

    /** {@code uniform} or {@code powerlaw}, d1 × d2 from nnz drawn pairs, in {@code dtype}. */
    public static SparseMatrix matrix(String pattern, DType dtype, int d1, int d2, long nnz, long seed) {
        if (!PATTERNS.contains(pattern)) {
            throw new IllegalArgumentException("unknown pattern '" + pattern + "': expected one of " + PATTERNS);
        }
        boolean power = pattern.equals("powerlaw");
        SplittableRandom random = new SplittableRandom(seed);
        try (SparseMatrix.Builder b = SparseMatrix.builder(d1, d2, nnz)) {
            for (long k = 0; k < nnz; k++) {
                int i = draw(random, d1, power);
                int j = draw(random, d2, power);
                b.add(i, j, random.nextGaussian());
            }
            return b.build(dtype);
        }
    }

    private static int draw(SplittableRandom random, int n, boolean power) {
        if (!power) {
            return random.nextInt(n);
        }
        double x = (Math.sqrt(n + 1.0) - 1.0) * random.nextDouble() + 1.0;
        return (int) Math.min(Math.floor(x * x) - 1, n - 1);
    }

    /** A small random start, entries N(0, 0.01²). */
    public static DenseMatrix start(DType dtype, int rows, int r, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        DenseMatrix x = DenseMatrix.allocate(dtype, rows, r);
        for (int i = 0; i < rows; i++) {
            for (int a = 0; a < r; a++) {
                x.set(i, a, 0.01 * random.nextGaussian());
            }
        }
        return x;
    }

    /**
     * The memory-traffic floor of one iteration in bytes, as issue 10 defines it: the stored entries once
     * (nnz·(value + 4-byte index)) plus the gathered rows, plus what {@link #streamedBytes} counts besides the entries.
     * Each stored entry brings in two factor rows of r·b bytes, whichever form the pass takes: the gather form reads a
     * row of V (for MV) and a row of U (for MᵀU, over Mᵀ); the scatter form reads a row of V and reads and writes a row
     * of MᵀU (counted once here). At the benchmark's sizes these rows (d·r·b = 3.2–25.6 MB) do not fit a core's L2,
     * and uniform columns leave nothing to reuse between neighbouring entries, so every one is a cache-line transfer
     * the kernel cannot avoid: nnz·(b + 4 + 2·r·b) + 8·(d1 + 1) + r·b·(5·d1 + 6·d2).
     */
    public static double trafficBytes(SparseMatrix m, int r) {
        return streamedBytes(m, r) + 2.0 * m.nonZeros() * r * m.dtype().bytes();
    }

    /**
     * The traffic of {@link #trafficBytes} without the gathered rows, as if every gathered row stayed in cache (the
     * reading native-notes/sparse.md used first): the CSR arrays once (nnz·(value + 4-byte index) + 8·(d1 + 1) row
     * pointers), each dense d×r array once per use (pass: U read, MV written, V read, MᵀU read and written; step: U
     * and V read and written, MV and MᵀU read), i.e. nnz·(b + 4) + 8·(d1 + 1) + r·b·(5·d1 + 6·d2), b the bytes of an
     * element.
     */
    public static double streamedBytes(SparseMatrix m, int r) {
        int b = m.dtype().bytes();
        return m.nonZeros() * (b + 4.0) + 8.0 * (m.rows() + 1) + (double) r * b * (5.0 * m.rows() + 6.0 * m.cols());
    }
}
