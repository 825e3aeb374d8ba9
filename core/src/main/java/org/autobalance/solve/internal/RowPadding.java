package org.autobalance.solve.internal;

import java.lang.foreign.MemorySegment;
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
        int cols = x.cols();
        int pad = x.stride() - cols;
        if (pad == 0) {
            return;
        }
        MemorySegment s = x.segment();
        long rowBytes = (long) x.stride() * x.dtype().bytes();
        long padOffset = (long) cols * x.dtype().bytes();
        // a row's padding copied to a heap array and scanned there, one loop a dtype, as firstNonFinite does: this
        // runs before the JIT has compiled anything
        if (x.dtype() == DType.FLOAT32) {
            float[] padding = new float[pad];
            for (int i = 0; i < x.rows(); i++) {
                MemorySegment.copy(s, ValueLayout.JAVA_FLOAT, i * rowBytes + padOffset, padding, 0, pad);
                for (int k = 0; k < pad; k++) {
                    if (padding[k] != 0) {
                        throw notZero(x, name, i, cols + k, padding[k]);
                    }
                }
            }
        } else {
            double[] padding = new double[pad];
            for (int i = 0; i < x.rows(); i++) {
                MemorySegment.copy(s, ValueLayout.JAVA_DOUBLE, i * rowBytes + padOffset, padding, 0, pad);
                for (int k = 0; k < pad; k++) {
                    if (padding[k] != 0) {
                        throw notZero(x, name, i, cols + k, padding[k]);
                    }
                }
            }
        }
    }

    private static IllegalArgumentException notZero(DenseMatrix x, String name, int row, int element, double value) {
        return new IllegalArgumentException(name + "'s padding element " + element + " of row " + row + " (0-based) is "
                + value + "; elements " + x.cols() + " to " + (x.stride() - 1) + " of every row must be zero (the "
                + "kernels read them as part of " + name + "; was a whole stride written through segment() or the "
                + "wrapped memory?)");
    }
}
