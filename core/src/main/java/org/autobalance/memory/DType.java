package org.autobalance.memory;

import java.lang.foreign.ValueLayout;
import java.util.Locale;
import java.util.Objects;

/** Element type of a {@link DenseMatrix}: IEEE single or double precision. */
public enum DType {
    /** IEEE 754 binary32: 4 bytes, unit roundoff 2⁻²⁴. */
    FLOAT32(Float.BYTES, ValueLayout.JAVA_FLOAT, 0x1p-24),
    /** IEEE 754 binary64: 8 bytes, unit roundoff 2⁻⁵³. */
    FLOAT64(Double.BYTES, ValueLayout.JAVA_DOUBLE, 0x1p-53);

    private final int bytes;
    private final ValueLayout layout;
    private final double unitRoundoff;

    DType(int bytes, ValueLayout layout, double unitRoundoff) {
        this.bytes = bytes;
        this.layout = layout;
        this.unitRoundoff = unitRoundoff;
    }

    /** Size of one element in bytes. */
    public int bytes() {
        return bytes;
    }

    /** The memory layout of one element (native byte order, as the kernels read it). */
    public ValueLayout layout() {
        return layout;
    }

    /** Unit roundoff u = ε/2 of this precision (2⁻²⁴ or 2⁻⁵³): the scale of every error bound. */
    public double unitRoundoff() {
        return unitRoundoff;
    }

    /** The command-line spelling: {@code float32} or {@code float64}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code float32} or {@code float64} (case-insensitive). */
    public static DType parse(String text) {
        Objects.requireNonNull(text, "dtype text must not be null");
        for (DType t : values()) {
            if (t.label().equalsIgnoreCase(text.trim())) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown dtype '" + text + "': expected float32 or float64");
    }
}
