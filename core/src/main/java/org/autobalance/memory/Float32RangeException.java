package org.autobalance.memory;

/**
 * A finite value that float32 cannot hold: its magnitude rounds to infinity (|x| &gt; 3.4028235·10³⁸ plus half an
 * ulp). Thrown when such a value would be stored in a {@link DType#FLOAT32} matrix or exported into a {@code float}
 * target, instead of silently becoming infinity. Carries the 0-based position, so a reader can report it in its own
 * terms (a file's 1-based row and column, say).
 */
public final class Float32RangeException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** The 0-based row of the value. */
    private final long row;
    /** The 0-based column of the value. */
    private final long column;
    /** The value, as given. */
    private final double value;

    /**
     * A value at (row, column) that float32 cannot hold.
     *
     * @param row 0-based row of the value
     * @param column 0-based column of the value
     * @param value the value, as given
     */
    public Float32RangeException(long row, long column, double value) {
        super("value " + value + " at row " + row + ", column " + column + " (0-based) is outside the float32 range "
                + "(largest magnitude " + Float.MAX_VALUE + "); use float64");
        this.row = row;
        this.column = column;
        this.value = value;
    }

    /**
     * {@code value} rounded to float, where a finite value beyond the float32 range is this exception rather than
     * infinity (an infinite value stays infinite: it is not a range error).
     *
     * @param value the value to round
     * @param row 0-based row of the value, for the message
     * @param column 0-based column of the value, for the message
     * @return the nearest float
     * @throws Float32RangeException if {@code value} is finite and its magnitude rounds to infinity
     */
    public static float round(double value, long row, long column) {
        float f = (float) value;
        if (Float.isInfinite(f) && !Double.isInfinite(value)) {
            throw new Float32RangeException(row, column, value);
        }
        return f;
    }

    /**
     * The row of the value.
     *
     * @return the 0-based row
     */
    public long row() {
        return row;
    }

    /**
     * The column of the value.
     *
     * @return the 0-based column
     */
    public long column() {
        return column;
    }

    /**
     * The value that does not fit.
     *
     * @return the value, as given
     */
    public double value() {
        return value;
    }
}
