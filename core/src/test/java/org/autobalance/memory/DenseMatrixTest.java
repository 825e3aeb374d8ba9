package org.autobalance.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.autobalance.testing.RandomMatrices;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class DenseMatrixTest {

    @ParameterizedTest
    @CsvSource({"FLOAT32, 1, 1, 16", "FLOAT32, 3, 17, 32", "FLOAT32, 2, 16, 16", "FLOAT64, 5, 8, 8",
        "FLOAT64, 4, 9, 16", "FLOAT64, 1, 1, 8"})
    void rowsArePaddedToCacheLinesAndAligned(DType dtype, int rows, int cols, int stride) {
        try (DenseMatrix m = DenseMatrix.allocate(dtype, rows, cols)) {
            assertEquals(stride, m.stride());
            assertEquals(0, m.segment().address() % DenseMatrix.ALIGNMENT);
            assertEquals((long) rows * stride * dtype.bytes(), m.segment().byteSize());
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void valuesRoundTripThroughBufferAndSegment(DType dtype) {
        try (DenseMatrix m = DenseMatrix.allocate(dtype, 5, 3)) {
            m.set(4, 2, 1.5);
            m.set(0, 0, -2.25);
            assertEquals(1.5, m.get(4, 2));
            long index = 4L * m.stride() + 2;
            double viaSegment = dtype == DType.FLOAT32 ? m.segment().getAtIndex(ValueLayout.JAVA_FLOAT, index)
                    : m.segment().getAtIndex(ValueLayout.JAVA_DOUBLE, index);
            assertEquals(1.5, viaSegment);
            assertEquals(0.0, m.get(2, 1));
        }
    }

    @org.junit.jupiter.api.Test
    void float32RangeIsEnforcedWithPosition() {
        try (DenseMatrix m = DenseMatrix.allocate(DType.FLOAT32, 4, 5)) {
            for (double bad : new double[] {1e39, -1e39, Double.MAX_VALUE}) {
                String msg = assertThrows(IllegalArgumentException.class, () -> m.set(2, 3, bad)).getMessage();
                assertTrue(msg.contains("row 2, column 3") && msg.contains(Double.toString(bad))
                        && msg.contains("float32 range"), msg);
                assertEquals(0.0, m.get(2, 3), "nothing stored");
            }
            // the largest float itself, and a value just above it that still rounds to it (within half an ulp)
            double roundsDown = Float.MAX_VALUE + 0.25 * Math.ulp(Float.MAX_VALUE);
            m.set(0, 0, roundsDown);
            assertEquals(Float.MAX_VALUE, m.get(0, 0));
            // infinities and NaN are representable: stored as given (the solver rejects them in its inputs)
            m.set(0, 1, Double.NEGATIVE_INFINITY);
            m.set(0, 2, Double.NaN);
            assertEquals(Double.NEGATIVE_INFINITY, m.get(0, 1));
            assertTrue(Double.isNaN(m.get(0, 2)));
        }
        try (DenseMatrix wide = DenseMatrix.allocate(DType.FLOAT64, 1, 1)) {
            wide.set(0, 0, 1e39);
            assertEquals(1e39, wide.get(0, 0), "float64 holds it");
            String msg = assertThrows(IllegalArgumentException.class, () -> wide.copy(DType.FLOAT32)).getMessage();
            assertTrue(msg.contains("row 0, column 0") && msg.contains("1.0E39"), msg);
        }
        String msg = assertThrows(IllegalArgumentException.class,
                () -> DenseMatrix.of(DType.FLOAT32, new double[][] {{1, 2}, {3, 4e38}})).getMessage();
        assertTrue(msg.contains("row 1, column 1") && msg.contains("4.0E38"), msg);
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void accessAfterCloseIsAnErrorNotACrash(DType dtype) {
        DenseMatrix m = DenseMatrix.allocate(dtype, 3, 3);
        m.close();
        m.close();
        assertTrue(m.isClosed());
        assertThrows(IllegalStateException.class, () -> m.get(0, 0));
        assertThrows(IllegalStateException.class, () -> m.set(0, 0, 1));
        assertThrows(IllegalStateException.class, m::segment);
    }

    @ParameterizedTest
    @CsvSource({"0, 3", "3, 0", "-1, 5"})
    void rejectsEmptyShapes(int rows, int cols) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DenseMatrix.allocate(DType.FLOAT64, rows, cols));
        assertTrue(e.getMessage().contains("at least 1 x 1"), e.getMessage());
    }

    /**
     * A column count whose padded row passes 2³¹ − 1 elements wrapped the int stride to a negative number: allocate
     * said "-8589934592 bytes … The provided allocation size is negative", wrap threw an IndexOutOfBoundsException,
     * strideOf returned -2147483648; and rows · stride · bytes of two near-2³¹ sides wrapped the long byte count.
     */
    @Test
    void shapesWhoseRowOrBytesOverflowAreRefusedByName() {
        assertEquals(2147483632, DenseMatrix.strideOf(DType.FLOAT32, 2147483632));
        assertEquals(2147483640, DenseMatrix.strideOf(DType.FLOAT64, 2147483633));
        for (DType dtype : DType.values()) {
            int tooWide = dtype == DType.FLOAT32 ? 2147483633 : 2147483641;
            IllegalArgumentException stride = assertThrows(IllegalArgumentException.class,
                    () -> DenseMatrix.strideOf(dtype, tooWide));
            assertTrue(stride.getMessage().contains("at most 2147483647 are possible"), stride.getMessage());
            IllegalArgumentException allocate = assertThrows(IllegalArgumentException.class,
                    () -> DenseMatrix.allocate(dtype, 1, Integer.MAX_VALUE));
            assertTrue(allocate.getMessage().contains("a row of 2147483647 " + dtype.label() + " columns"),
                    allocate.getMessage());
            try (Arena arena = Arena.ofShared()) {
                MemorySegment small = arena.allocate(64, DenseMatrix.ALIGNMENT);
                IllegalArgumentException wrap = assertThrows(IllegalArgumentException.class,
                        () -> DenseMatrix.wrap(dtype, 2, Integer.MAX_VALUE, small));
                assertTrue(wrap.getMessage().contains("at most 2147483647 are possible"), wrap.getMessage());
            }
        }
        IllegalArgumentException bytes = assertThrows(IllegalArgumentException.class,
                () -> DenseMatrix.allocate(DType.FLOAT64, Integer.MAX_VALUE, 2147483640));
        assertTrue(bytes.getMessage().contains("2147483647 x 2147483640 float64 matrix would take more than "
                + Long.MAX_VALUE + " bytes"), bytes.getMessage());
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void outOfRangeIndexIsRejected(DType dtype) {
        try (DenseMatrix m = DenseMatrix.allocate(dtype, 2, 3)) {
            assertThrows(IndexOutOfBoundsException.class, () -> m.get(2, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> m.get(0, 3));
            assertThrows(IndexOutOfBoundsException.class, () -> m.set(-1, 0, 1));
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void findsTheFirstNonFiniteValue(DType dtype) {
        try (DenseMatrix m = DenseMatrix.allocate(dtype, 4, 4)) {
            assertNull(m.firstNonFinite());
            m.set(2, 1, Double.POSITIVE_INFINITY);
            m.set(3, 0, Double.NaN);
            assertArrayEquals(new int[] {2, 1}, m.firstNonFinite());
        }
    }

    /** Every position, every kind of non-finite value, among the extreme finite ones (which must not count). */
    @ParameterizedTest
    @EnumSource(DType.class)
    void findsANonFiniteValueAnywhereAndOnlyThere(DType dtype) {
        double big = dtype == DType.FLOAT32 ? Float.MAX_VALUE : Double.MAX_VALUE;
        double tiny = dtype == DType.FLOAT32 ? Float.MIN_VALUE : Double.MIN_VALUE;
        try (DenseMatrix m = DenseMatrix.allocate(dtype, 3, 17)) {
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 17; j++) {
                    m.set(i, j, (i + j) % 3 == 0 ? big : (i + j) % 3 == 1 ? -big : -tiny);
                }
            }
            assertNull(m.firstNonFinite());
            for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
                for (int i = 0; i < 3; i++) {
                    for (int j = 0; j < 17; j++) {
                        double keep = m.get(i, j);
                        m.set(i, j, bad);
                        assertArrayEquals(new int[] {i, j}, m.firstNonFinite(), bad + " at " + i + ", " + j);
                        m.set(i, j, keep);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void copiesAcrossPrecisions(DType dtype) {
        double[][] values = {{1, 2.5, -3}, {0.125, 7, 1e-3}};
        try (DenseMatrix a = DenseMatrix.of(DType.FLOAT64, values); DenseMatrix b = a.copy(dtype)) {
            // float64 keeps 1e-3 exactly as given; float32 holds the nearest float, read back widened to double
            double expected = dtype == DType.FLOAT64 ? 1e-3 : (double) 1e-3f;
            assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(b.get(1, 2)));
            assertEquals(2.5, b.get(0, 1));
            assertThrows(IllegalArgumentException.class, () -> {
                try (DenseMatrix c = DenseMatrix.allocate(dtype, 3, 2)) {
                    c.copyFrom(a);
                }
            });
        }
    }

    @Test
    void copiesRowsInAnyByteOrderWithoutTouchingThePadding() {
        // Row values 1..cols in big-endian float32, preceded by 3 bytes so the source is misaligned on purpose.
        int cols = 17;
        ByteBuffer bytes = ByteBuffer.allocate(3 + 4 * cols).order(ByteOrder.BIG_ENDIAN);
        bytes.position(3);
        for (int j = 0; j < cols; j++) {
            bytes.putFloat(j + 1);
        }
        MemorySegment source = MemorySegment.ofArray(bytes.array());
        ValueLayout big = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
        try (DenseMatrix m = DenseMatrix.allocate(DType.FLOAT32, 2, cols)) {
            m.copyRowFrom(1, source, 3, big);
            for (int j = 0; j < cols; j++) {
                assertEquals(0.0, m.get(0, j));
                assertEquals(j + 1.0, m.get(1, j));
            }
            assertNull(RandomMatrices.firstNonZeroPadding(m));
            byte[] back = new byte[3 + 4 * cols];
            m.copyRowTo(1, MemorySegment.ofArray(back), 3, big);
            assertArrayEquals(bytes.array(), back);
            assertThrows(IllegalArgumentException.class,
                    () -> m.copyRowFrom(0, source, 0, ValueLayout.JAVA_DOUBLE_UNALIGNED));
            assertThrows(IndexOutOfBoundsException.class, () -> m.copyRowFrom(2, source, 0, big));
            assertThrows(IndexOutOfBoundsException.class, () -> m.copyRowFrom(0, source, 4, big));
        }
    }

    @Test
    void ofRefusesRaggedAndEmptyRows() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DenseMatrix.of(DType.FLOAT64, new double[][] {{1, 2, 3}, {4, 5}}));
        assertEquals("row 1 has 2 entries, expected 3", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> DenseMatrix.of(DType.FLOAT32, new double[][] {{1}, {2}, {3, 4}}));
        assertEquals("row 2 has 2 entries, expected 1", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DenseMatrix.of(DType.FLOAT64, new double[0][]));
        assertThrows(IllegalArgumentException.class, () -> DenseMatrix.of(DType.FLOAT64, new double[][] {{}}));
    }

    /** fill sets every element and leaves the padding alone (the kernels rely on zero padding). */
    @ParameterizedTest
    @EnumSource(DType.class)
    void fillSetsEveryElementAndNotThePadding(DType dtype) {
        try (DenseMatrix m = DenseMatrix.allocate(dtype, 3, 5)) {
            m.fill(-0.75);
            for (double[] row : m.toArray()) {
                assertArrayEquals(new double[] {-0.75, -0.75, -0.75, -0.75, -0.75}, row);
            }
            ValueLayout element = dtype.layout();
            for (int i = 0; i < 3; i++) {
                for (int j = 5; j < m.stride(); j++) {
                    double pad = dtype == DType.FLOAT32
                            ? m.segment().getAtIndex((ValueLayout.OfFloat) element, (long) i * m.stride() + j)
                            : m.segment().getAtIndex((ValueLayout.OfDouble) element, (long) i * m.stride() + j);
                    assertEquals(0.0, pad, "padding at " + i + ", " + j);
                }
            }
        }
    }

    /** Every element lands at its transposed place, bits unchanged, and the target's padding stays zero. */
    @ParameterizedTest
    @EnumSource(DType.class)
    void transposeIntoMovesEveryElement(DType dtype) {
        try (DenseMatrix a = DenseMatrix.allocate(dtype, 3, 21); DenseMatrix t = DenseMatrix.allocate(dtype, 21, 3);
                DenseMatrix wrong = DenseMatrix.allocate(dtype, 3, 21)) {
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 21; j++) {
                    a.set(i, j, 1 + i + 0.125 * j);
                }
            }
            a.transposeInto(t);
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 21; j++) {
                    assertEquals(a.get(i, j), t.get(j, i));
                }
            }
            for (int j = 0; j < 21; j++) {
                for (int p = 3; p < t.stride(); p++) {
                    assertEquals(0.0, dtype == DType.FLOAT32 ? t.segment().getAtIndex(ValueLayout.JAVA_FLOAT,
                            (long) j * t.stride() + p) : t.segment().getAtIndex(ValueLayout.JAVA_DOUBLE,
                            (long) j * t.stride() + p));
                }
            }
            assertThrows(IllegalArgumentException.class, () -> a.transposeInto(wrong));
        }
    }

    /**
     * An index one past the end is refused, by row and by column: a column index in [cols, stride) lies inside the
     * allocation (the padding), so only the check stands between it and a silent read of the padding.
     */
    @Test
    void indicesOnePastTheEndAreRefused() {
        try (DenseMatrix m = DenseMatrix.allocate(DType.FLOAT64, 3, 5)) {
            assertTrue(m.stride() > 5, "the premise: the rows are padded");
            assertThrows(IndexOutOfBoundsException.class, () -> m.get(0, 5));
            assertThrows(IndexOutOfBoundsException.class, () -> m.set(2, 5, 1.0));
            assertThrows(IndexOutOfBoundsException.class, () -> m.get(3, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> m.get(0, -1));
            assertThrows(IndexOutOfBoundsException.class, () -> m.get(-1, 0));
            MemorySegment row = MemorySegment.ofArray(new double[5]);
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                    () -> m.copyRowFrom(3, row, 0, ValueLayout.JAVA_DOUBLE));
            assertEquals("row 3 outside 0..2", e.getMessage());
            e = assertThrows(IndexOutOfBoundsException.class, () -> m.copyRowTo(3, row, 0, ValueLayout.JAVA_DOUBLE));
            assertEquals("row 3 outside 0..2", e.getMessage());
            assertThrows(IndexOutOfBoundsException.class, () -> m.copyRowTo(-1, row, 0, ValueLayout.JAVA_DOUBLE));
            assertThrows(IllegalArgumentException.class, () -> m.copyRowTo(0, row, 0, ValueLayout.JAVA_FLOAT));
        }
    }

    /** Every array copy checks the array's length against rows × cols before it touches anything. */
    @Test
    void arraysOfTheWrongLengthAreRefused() {
        try (DenseMatrix m = DenseMatrix.allocate(DType.FLOAT64, 2, 3)) {
            m.fill(4.0);
            for (int length : new int[] {5, 7}) {
                String expected = "an array of " + length + " elements for a 2 x 3 matrix: expected rows * cols = 6";
                for (org.junit.jupiter.api.function.Executable copy
                        : java.util.List.<org.junit.jupiter.api.function.Executable>of(
                        () -> m.copyFrom(new float[length], DenseMatrix.Order.ROW_MAJOR),
                        () -> m.copyFrom(new double[length], DenseMatrix.Order.ROW_MAJOR),
                        () -> m.copyTo(new float[length], DenseMatrix.Order.ROW_MAJOR),
                        () -> m.copyTo(new double[length], DenseMatrix.Order.COLUMN_MAJOR),
                        () -> DenseMatrix.copyOf(DType.FLOAT64, 2, 3, new float[length], DenseMatrix.Order.ROW_MAJOR)
                                .close(),
                        () -> DenseMatrix.copyOf(DType.FLOAT64, 2, 3, new double[length],
                                DenseMatrix.Order.ROW_MAJOR).close())) {
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, copy);
                    assertEquals(expected, e.getMessage());
                }
            }
            // nothing was written by a refused copy
            assertArrayEquals(new double[] {4, 4, 4}, m.toArray()[1]);
        }
    }

    /** A big-endian buffer (a file's bytes) is read element by element with its bytes swapped: exact values. */
    @Test
    void aBigEndianBufferIsReadExactly() {
        double[] values = {1.5, -0.0, Math.PI, Double.MIN_VALUE, -1e300, 7};
        ByteBuffer big = ByteBuffer.allocate(values.length * Double.BYTES).order(ByteOrder.BIG_ENDIAN);
        for (double v : values) {
            big.putDouble(v);
        }
        big.flip();
        try (DenseMatrix m = DenseMatrix.allocate(DType.FLOAT64, 2, 3)) {
            m.copyFrom(big, ValueLayout.JAVA_DOUBLE, DenseMatrix.Order.ROW_MAJOR);
            double[][] a = m.toArray();
            for (int k = 0; k < values.length; k++) {
                assertEquals(Double.doubleToRawLongBits(values[k]), Double.doubleToRawLongBits(a[k / 3][k % 3]),
                        "element " + k);
            }
        }
    }
}
