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

    static double get(MemorySegment s, DType t, long i) {
        return t == DType.FLOAT32 ? s.getAtIndex(ValueLayout.JAVA_FLOAT, i) : s.getAtIndex(ValueLayout.JAVA_DOUBLE, i);
    }

    static void set(MemorySegment s, DType t, long i, double v) {
        if (t == DType.FLOAT32) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) v);
        } else {
            s.setAtIndex(ValueLayout.JAVA_DOUBLE, i, v);
        }
    }

    /** Zeroes {@code count} elements from element {@code from}. */
    static void zero(MemorySegment s, DType t, long from, long count) {
        s.asSlice(from * t.bytes(), count * t.bytes()).fill((byte) 0);
    }
}
