package org.autobalance.solve.internal;

import org.autobalance.memory.DenseMatrix;

/**
 * The solvers' refusal of a non-finite input (M, held-out entries, a given start, a network's data and start), in one
 * wording: the value and its 0-based position, as {@code DenseMatrix.get} and {@code set} number them (the readers
 * name a file's positions in the file's own numbering before a matrix reaches a solver).
 */
public final class Finite {
    private Finite() {
    }

    /** An element of a matrix by 0-based row and column. */
    @FunctionalInterface
    public interface Element {
        double get(int i, int j);
    }

    /**
     * @throws IllegalArgumentException if {@code x} holds a NaN or an infinity, naming it {@code name}
     */
    public static void require(DenseMatrix x, String name) {
        require(x.firstNonFinite(), x::get, name);
    }

    /**
     * @param at the 0-based {row, column} of the first non-finite element, or null if there is none
     * @throws IllegalArgumentException if {@code at} is not null, naming the matrix {@code name}
     */
    public static void require(int[] at, Element x, String name) {
        if (at != null) {
            throw new IllegalArgumentException(name + " contains a non-finite value (" + x.get(at[0], at[1])
                    + ") at row " + at[0] + ", column " + at[1] + " (0-based)");
        }
    }
}
