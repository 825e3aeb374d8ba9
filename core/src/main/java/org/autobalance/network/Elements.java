package org.autobalance.network;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.autobalance.memory.DType;

/**
 * Element access on the native segments of the engine, widened to double: the O(n·width) element-wise work around
 * the GEMMs (bias, activation, residual, im2col) and the O(parameters) observation, written once for both dtypes.
 */
final class Elements {
    private Elements() {
    }

    /*
     * The unaligned layouts skip a per-access alignment check that C2 did not hoist (measured: 5–10 % of a training
     * step); every segment here is 64-byte aligned anyway (DenseMatrix).
     */
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfDouble D = ValueLayout.JAVA_DOUBLE_UNALIGNED;

    static double get(MemorySegment s, DType t, long i) {
        return t == DType.FLOAT32 ? s.getAtIndex(F, i) : s.getAtIndex(D, i);
    }

    static void set(MemorySegment s, DType t, long i, double v) {
        if (t == DType.FLOAT32) {
            s.setAtIndex(F, i, (float) v);
        } else {
            s.setAtIndex(D, i, v);
        }
    }

    /** Zeroes {@code count} elements from element {@code from}. */
    static void zero(MemorySegment s, DType t, long from, long count) {
        s.asSlice(from * t.bytes(), count * t.bytes()).fill((byte) 0);
    }
}
