package org.autobalance.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.autobalance.memory.DType;
import org.autobalance.memory.SparseMatrix;

/**
 * Seeded sparse test matrices with awkward structure, as dense {@code double[][]} plus a stored-entry mask (a stored
 * entry may hold 0: an observation of 0), and their {@link SparseMatrix} form.
 */
public final class RandomSparse {
    private RandomSparse() {
    }

    /** The sparsity structures of the kernel tests. */
    public enum Pattern {
        /** Each entry stored with probability 0.2. */
        UNIFORM,
        /** Uniform, but every third row and every fourth column empty. */
        EMPTY_ROWS_AND_COLUMNS,
        /** One row fully stored, the others with probability 0.05. */
        DENSE_ROW,
        /** Row i has about d2/(i+1) entries (Zipf), columns drawn with probability ∝ 1/(j+1): power-law degrees. */
        POWER_LAW,
        /** No stored entry at all. */
        EMPTY,
        /** A single stored entry, in the last row and column. */
        SINGLE
    }

    /** A sparse matrix: values (0 where not stored) and which entries are stored. */
    public record Sample(double[][] values, boolean[][] stored) {
        public int rows() {
            return values.length;
        }

        public int cols() {
            return values[0].length;
        }

        public long nonZeros() {
            long n = 0;
            for (boolean[] row : stored) {
                for (boolean s : row) {
                    n += s ? 1 : 0;
                }
            }
            return n;
        }

        /** The stored entries as a {@link SparseMatrix} of {@code dtype} (values rounded to it). */
        public SparseMatrix matrix(DType dtype) {
            try (SparseMatrix.Builder b = SparseMatrix.builder(rows(), cols(), nonZeros())) {
                for (int i = 0; i < rows(); i++) {
                    for (int j = 0; j < cols(); j++) {
                        if (stored[i][j]) {
                            b.add(i, j, values[i][j]);
                        }
                    }
                }
                return b.build(dtype);
            }
        }

        /** The values rounded to {@code dtype}, as a new array. */
        public double[][] rounded(DType dtype) {
            double[][] out = new double[rows()][cols()];
            for (int i = 0; i < rows(); i++) {
                for (int j = 0; j < cols(); j++) {
                    out[i][j] = dtype == DType.FLOAT32 ? (float) values[i][j] : values[i][j];
                }
            }
            return out;
        }
    }

    /** A {@code rows × cols} sample of {@code pattern}; stored values N(0, 1), every seventh one exactly 0. */
    public static Sample sample(Pattern pattern, int rows, int cols, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[][] values = new double[rows][cols];
        boolean[][] stored = new boolean[rows][cols];
        int count = 0;
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                boolean s = switch (pattern) {
                    case UNIFORM -> random.nextDouble() < 0.2;
                    case EMPTY_ROWS_AND_COLUMNS -> i % 3 != 0 && j % 4 != 0 && random.nextDouble() < 0.3;
                    case DENSE_ROW -> i == rows / 2 || random.nextDouble() < 0.05;
                    case POWER_LAW -> random.nextDouble() < Math.min(1.0, 2.0 / ((i + 1.0) * Math.sqrt(j + 1.0)));
                    case EMPTY -> false;
                    case SINGLE -> i == rows - 1 && j == cols - 1;
                };
                if (s) {
                    stored[i][j] = true;
                    values[i][j] = count++ % 7 == 3 ? 0.0 : random.nextGaussian();
                }
            }
        }
        return new Sample(values, stored);
    }

    /**
     * Asserts that {@code got} is {@code expected} bit for bit: shape, stored entries, bytes, every row pointer, column
     * and value bit ({@code what} names the case in a failure).
     */
    public static void assertSameBits(SparseMatrix expected, SparseMatrix got, String what) {
        assertEquals(expected.rows(), got.rows(), what);
        assertEquals(expected.cols(), got.cols(), what);
        assertEquals(expected.nonZeros(), got.nonZeros(), what);
        assertEquals(expected.bytes(), got.bytes(), what);
        for (int i = 0; i <= expected.rows(); i++) {
            assertEquals(expected.rowStart(i), got.rowStart(i), what);
        }
        for (long k = 0; k < expected.nonZeros(); k++) {
            assertEquals(expected.column(k), got.column(k), what);
            assertEquals(Double.doubleToRawLongBits(expected.value(k)), Double.doubleToRawLongBits(got.value(k)),
                    what + ", entry " + k);
        }
    }
}
