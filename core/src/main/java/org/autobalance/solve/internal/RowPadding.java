package org.autobalance.solve.internal;

import java.lang.foreign.ValueLayout;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;

/**
 * The solver's refusal of a dense M whose row padding (elements {@code cols} to {@code stride − 1} of each row) is not
 * zero. {@link DenseMatrix#wrap} checks it once, and {@link DenseMatrix#allocate} zeroes it, but both leave the memory
 * writable through {@link DenseMatrix#segment()} or the wrapped segment: a row copied in whole, stride elements with
 * the caller's own data behind its columns, put values there. The SIMD kernels read the padding as part of M (its
 * ‖M‖ among others), so such an M ran to CONVERGED with a relative error of 0.99999 and the scalar kernels ignored
 * it: a silent difference, found by a new user's trial.
 */
public final class RowPadding {
    private RowPadding() {
    }

    /**
     * @throws IllegalArgumentException if a padding element of {@code x} is not zero, naming {@code name}, the row and
     *     the element
     */
    public static void requireZero(DenseMatrix x, String name) {
        int[] at = x.firstNonZeroPadding();
        if (at == null) {
            return;
        }
        long index = (long) at[0] * x.stride() + at[1];
        double value = x.dtype() == DType.FLOAT32 ? x.segment().getAtIndex(ValueLayout.JAVA_FLOAT, index)
                : x.segment().getAtIndex(ValueLayout.JAVA_DOUBLE, index);
        throw new IllegalArgumentException(name + "'s padding element " + at[1] + " of row " + at[0] + " (0-based) is "
                + value + "; elements " + x.cols() + " to " + (x.stride() - 1) + " of every row must be zero (the "
                + "kernels read them as part of " + name + "; was a whole stride written through segment() or the "
                + "wrapped memory?)");
    }
}
