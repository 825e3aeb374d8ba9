package org.autobalance.memory.internal;

import java.util.Objects;
import org.autobalance.memory.DenseMatrix;

/**
 * Views of a block of a {@link DenseMatrix}, for the engine's 2-D grid of the fused pass (a thread's rows of U, V and
 * the partial sums, and its block of M's columns). {@code DenseMatrix} hands its {@link Access} over when its class is
 * initialised, as the JDK's {@code SharedSecrets} do: a view breaks the class's promise that a row's padding is zero
 * (a block of columns has M's stride, so its rows' "padding" is M's next columns), which no caller of the public API
 * may be handed. A view owns nothing; it is valid while its matrix is open.
 */
public final class MatrixViews {
    private static volatile Access access;

    private MatrixViews() {
    }

    /** What {@code DenseMatrix} implements for this class. */
    @FunctionalInterface
    public interface Access {
        /** Rows {@code [rowFrom, rowTo)} and columns {@code [colFrom, colTo)} of {@code m}, with m's stride. */
        DenseMatrix view(DenseMatrix m, int rowFrom, int rowTo, int colFrom, int colTo);
    }

    /**
     * Called once, by {@code DenseMatrix}'s class initialiser.
     *
     * @throws IllegalStateException on a second call
     */
    public static synchronized void grant(Access granted) {
        if (access != null) {
            throw new IllegalStateException("the matrix views are already granted");
        }
        access = Objects.requireNonNull(granted);
    }

    /**
     * Rows {@code [from, to)} of {@code m}, every column: an ordinary matrix of those rows (its padding is m's).
     *
     * @throws IndexOutOfBoundsException if the rows are not a non-empty range of m's
     */
    public static DenseMatrix rows(DenseMatrix m, int from, int to) {
        Objects.checkFromToIndex(from, to, m.rows());
        return view(m, from, to, 0, m.cols());
    }

    /**
     * Columns {@code [from, to)} of {@code m}, every row, m's stride: its rows' padding is m's columns from
     * {@code to} on (zero only for the last block), so only a kernel that reads no element of a row at or beyond
     * {@code to − from} rounded up to a vector may be given it
     * ({@link org.autobalance.kernel.FactorKernels#columnBlock} says which).
     *
     * @throws IndexOutOfBoundsException if the columns are not a non-empty range of m's
     */
    public static DenseMatrix columns(DenseMatrix m, int from, int to) {
        Objects.checkFromToIndex(from, to, m.cols());
        return view(m, 0, m.rows(), from, to);
    }

    private static DenseMatrix view(DenseMatrix m, int rowFrom, int rowTo, int colFrom, int colTo) {
        if (rowFrom == rowTo || colFrom == colTo) {
            throw new IndexOutOfBoundsException("an empty view of a " + m.rows() + " x " + m.cols() + " matrix");
        }
        return access.view(m, rowFrom, rowTo, colFrom, colTo);
    }
}
