package org.autobalance.testing;

import java.lang.foreign.MemorySegment;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;

/** Seeded random and constant {@link DenseMatrix} instances for tests and benchmarks. */
public final class RandomMatrices {
    private RandomMatrices() {
    }

    /** A {@code rows × cols} matrix with every element equal to {@code value}. */
    public static DenseMatrix constant(DType dtype, int rows, int cols, double value) {
        DenseMatrix m = DenseMatrix.allocate(dtype, rows, cols);
        m.fill(value);
        return m;
    }

    /**
     * The first element of the padding of {@code m} whose bits are not all zero, as {@code {row, col}}, or null if the
     * padding (columns [cols, stride) of every row) is all +0.0.
     */
    public static int[] firstNonZeroPadding(DenseMatrix m) {
        MemorySegment s = m.segment();
        int bytes = m.dtype().bytes();
        for (int i = 0; i < m.rows(); i++) {
            long row = (long) i * m.stride() * bytes;
            for (int j = m.cols(); j < m.stride(); j++) {
                long o = row + (long) j * bytes;
                boolean zero = bytes == 4 ? s.get(java.lang.foreign.ValueLayout.JAVA_INT, o) == 0
                        : s.get(java.lang.foreign.ValueLayout.JAVA_LONG, o) == 0L;
                if (!zero) {
                    return new int[] {i, j};
                }
            }
        }
        return null;
    }
}
