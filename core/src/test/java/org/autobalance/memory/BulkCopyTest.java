package org.autobalance.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import org.autobalance.memory.DenseMatrix.Order;
import org.autobalance.solve.Factorizer;
import org.autobalance.solve.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bulk copies between matrices and flat storage, against the definition: element (i, j) of a row-major array is at
 * i·cols + j, of a column-major one at j·rows + i, and lands rounded to the matrix's precision (float to double
 * exactly, double to float by Java's cast). Exact equality throughout: every copy is exact or one correctly rounded
 * cast. Shapes hit one element, rows shorter and longer than a cache line, and the edges of the 64-square tiles.
 */
class BulkCopyTest {

    static java.util.stream.Stream<Arguments> cases() {
        int[][] shapes = {{1, 1}, {3, 17}, {67, 5}, {130, 70}};
        java.util.stream.Stream.Builder<Arguments> b = java.util.stream.Stream.builder();
        for (DType dtype : DType.values()) {
            for (Order order : Order.values()) {
                for (int[] s : shapes) {
                    b.add(Arguments.of(dtype, order, s[0], s[1]));
                }
            }
        }
        return b.build();
    }

    private static double[] values(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] v = new double[n];
        for (int k = 0; k < n; k++) {
            v[k] = random.nextGaussian() * Math.pow(10, random.nextInt(-5, 6));
        }
        return v;
    }

    private static long flatIndex(Order order, int rows, int cols, int i, int j) {
        return order == Order.ROW_MAJOR ? (long) i * cols + j : (long) j * rows + i;
    }

    private static double rounded(DType dtype, double x) {
        return dtype == DType.FLOAT32 ? (float) x : x;
    }

    private static void assertPaddingZero(DenseMatrix m) {
        for (int i = 0; i < m.rows(); i++) {
            for (int j = m.cols(); j < m.stride(); j++) {
                long index = (long) i * m.stride() + j;
                double x = m.dtype() == DType.FLOAT32 ? m.segment().getAtIndex(ValueLayout.JAVA_FLOAT, index)
                        : m.segment().getAtIndex(ValueLayout.JAVA_DOUBLE, index);
                assertEquals(0.0, x, "padding (" + i + ", " + j + ")");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void doubleArraysInAndOut(DType dtype, Order order, int rows, int cols) {
        double[] v = values(rows * cols, rows * 31L + cols);
        try (DenseMatrix m = DenseMatrix.copyOf(dtype, rows, cols, v, order)) {
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    assertEquals(rounded(dtype, v[(int) flatIndex(order, rows, cols, i, j)]), m.get(i, j));
                }
            }
            assertPaddingZero(m);
            double[] back = new double[rows * cols];
            m.copyTo(back, order);
            for (int k = 0; k < v.length; k++) {
                assertEquals(rounded(dtype, v[k]), back[k]);
            }
            float[] narrow = new float[rows * cols];
            m.copyTo(narrow, order);
            for (int k = 0; k < v.length; k++) {
                assertEquals((float) v[k], narrow[k]);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void floatArraysInAndOut(DType dtype, Order order, int rows, int cols) {
        double[] d = values(rows * cols, rows * 37L + cols);
        float[] v = new float[d.length];
        for (int k = 0; k < v.length; k++) {
            v[k] = (float) d[k];
        }
        try (DenseMatrix m = DenseMatrix.copyOf(dtype, rows, cols, v, order)) {
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    assertEquals(v[(int) flatIndex(order, rows, cols, i, j)], m.get(i, j));
                }
            }
            float[] back = new float[v.length];
            m.copyTo(back, order);
            assertArrayEquals(v, back);
            // into an existing matrix: the previous contents are replaced, the padding stays zero
            m.fill(7);
            m.copyFrom(v, order);
            m.copyTo(back, order);
            assertArrayEquals(v, back);
            assertPaddingZero(m);
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void bigEndianBufferAtAnOffsetInAndOut(DType dtype, Order order, int rows, int cols) {
        double[] v = values(rows * cols, rows * 41L + cols);
        // float64 elements, big-endian, starting 3 bytes into the buffer (unaligned)
        ByteBuffer buffer = ByteBuffer.allocate(3 + 8 * v.length).order(ByteOrder.BIG_ENDIAN);
        for (int k = 0; k < v.length; k++) {
            buffer.putDouble(3 + 8 * k, v[k]);
        }
        buffer.position(3);
        try (DenseMatrix m = DenseMatrix.copyOf(dtype, rows, cols, buffer, ValueLayout.JAVA_DOUBLE, order)) {
            assertEquals(3, buffer.position(), "position unchanged");
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    assertEquals(rounded(dtype, v[(int) flatIndex(order, rows, cols, i, j)]), m.get(i, j));
                }
            }
            ByteBuffer out = ByteBuffer.allocateDirect(5 + 4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
            out.position(5);
            m.copyTo(out, ValueLayout.JAVA_FLOAT, order);
            for (int k = 0; k < v.length; k++) {
                assertEquals((float) v[k], out.getFloat(5 + 4 * k));
            }
        }
    }

    @Test
    void badFlatStorageIsRejectedWithWhatWasExpected() {
        String msg = assertThrows(IllegalArgumentException.class,
                () -> DenseMatrix.copyOf(DType.FLOAT32, 3, 4, new float[11], Order.ROW_MAJOR)).getMessage();
        assertTrue(msg.contains("11 elements") && msg.contains("3 x 4") && msg.contains("12"), msg);
        try (DenseMatrix m = DenseMatrix.allocate(DType.FLOAT64, 3, 4)) {
            msg = assertThrows(IllegalArgumentException.class, () -> m.copyFrom(MemorySegment.ofArray(new double[11]),
                    ValueLayout.JAVA_DOUBLE, Order.ROW_MAJOR)).getMessage();
            assertTrue(msg.contains("holds 88 bytes") && msg.contains("needs 96"), msg);
            msg = assertThrows(IllegalArgumentException.class, () -> m.copyTo(MemorySegment.ofArray(new int[12]),
                    ValueLayout.JAVA_INT, Order.ROW_MAJOR)).getMessage();
            assertTrue(msg.contains("neither float nor double"), msg);
            assertThrows(IllegalArgumentException.class, () -> m.copyTo(new double[13], Order.COLUMN_MAJOR));
        }
    }

    @Test
    void outOfFloat32RangeIsReportedAtTheFirstRowMajorPositionWhateverTheOrder() {
        // two bad values: (1, 0) comes first in column-major order, (0, 2) in row-major order
        double[] rowMajor = new double[2 * 3];
        rowMajor[1 * 3 + 0] = -5e38;
        rowMajor[0 * 3 + 2] = 1e39;
        double[] colMajor = new double[2 * 3];
        colMajor[0 * 2 + 1] = -5e38;
        colMajor[2 * 2 + 0] = 1e39;
        for (double[] v : new double[][] {rowMajor, colMajor}) {
            Order order = v == rowMajor ? Order.ROW_MAJOR : Order.COLUMN_MAJOR;
            Float32RangeException e = assertThrows(Float32RangeException.class,
                    () -> DenseMatrix.copyOf(DType.FLOAT32, 2, 3, v, order));
            assertEquals(0, e.row());
            assertEquals(2, e.column());
            assertEquals(1e39, e.value());
            assertTrue(e.getMessage().contains("row 0, column 2") && e.getMessage().contains("float32 range"));
            try (DenseMatrix wide = DenseMatrix.copyOf(DType.FLOAT64, 2, 3, v, order)) {
                Float32RangeException out = assertThrows(Float32RangeException.class,
                        () -> wide.copyTo(new float[6], order));
                assertEquals(0, out.row());
                assertEquals(2, out.column());
            }
        }
        // infinities are representable in float32: copied as they are
        try (DenseMatrix m = DenseMatrix.copyOf(DType.FLOAT32, 1, 2,
                new double[] {Double.POSITIVE_INFINITY, 1}, Order.ROW_MAJOR)) {
            assertEquals(Double.POSITIVE_INFINITY, m.get(0, 0));
        }
    }

    /**
     * A mapped file's segment is another class than an allocated one (a subclass): the kernels type every segment as
     * native for C2 (kernel.simd.NativeSegments), and must accept it — the same factors, bit for bit, as from a copy.
     */
    @Test
    void wrapOverAMappedFileRunsTheKernels(@TempDir Path dir) throws IOException {
        int rows = 33;
        int cols = 20;
        int stride = DenseMatrix.strideOf(DType.FLOAT64, cols);
        double[] v = values(rows * cols, 9);
        Path file = dir.resolve("m.bin");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE); Arena arena = Arena.ofShared()) {
            MemorySegment memory = channel.map(FileChannel.MapMode.READ_WRITE, 0, (long) rows * stride * 8, arena);
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    memory.setAtIndex(ValueLayout.JAVA_DOUBLE, (long) i * stride + j, v[i * cols + j]);
                }
            }
            double[] fromMapped = new double[rows * 4];
            double[] fromCopy = new double[rows * 4];
            try (DenseMatrix mapped = DenseMatrix.wrap(DType.FLOAT64, rows, cols, memory);
                    DenseMatrix copied = DenseMatrix.copyOf(DType.FLOAT64, rows, cols, v, Order.ROW_MAJOR);
                    Result a = Factorizer.builder(mapped, 4).maxIterations(20).tolerance(0).build().run();
                    Result b = Factorizer.builder(copied, 4).maxIterations(20).tolerance(0).build().run()) {
                a.u().copyTo(fromMapped, Order.ROW_MAJOR);
                b.u().copyTo(fromCopy, Order.ROW_MAJOR);
            }
            assertArrayEquals(fromCopy, fromMapped);
        }
    }

    @Test
    void wrapIsZeroCopyAndTheSolverRunsOnIt() {
        int rows = 40;
        int cols = 24;
        int stride = DenseMatrix.strideOf(DType.FLOAT32, cols);
        assertEquals(32, stride, "24 floats padded to two 64-byte lines");
        double[] v = values(rows * cols, 5);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment memory = arena.allocate((long) rows * stride * 4, DenseMatrix.ALIGNMENT);
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    memory.setAtIndex(ValueLayout.JAVA_FLOAT, (long) i * stride + j, (float) v[i * cols + j]);
                }
            }
            DenseMatrix wrapped = DenseMatrix.wrap(DType.FLOAT32, rows, cols, memory);
            try (DenseMatrix copied = DenseMatrix.copyOf(DType.FLOAT32, rows, cols, v, Order.ROW_MAJOR)) {
                assertEquals(memory.address(), wrapped.segment().address(), "no copy");
                wrapped.set(1, 2, 0.5);
                assertEquals(0.5f, memory.getAtIndex(ValueLayout.JAVA_FLOAT, stride + 2), "writes go through");
                copied.set(1, 2, 0.5);
                // the kernels stream the caller's memory: same factors, bit for bit, as from a copy
                float[] fromWrapped = new float[rows * 3];
                float[] fromCopy = new float[rows * 3];
                try (Result a = Factorizer.builder(wrapped, 3).maxIterations(20).tolerance(0).build().run();
                        Result b = Factorizer.builder(copied, 3).maxIterations(20).tolerance(0).build().run()) {
                    a.u().copyTo(fromWrapped, Order.ROW_MAJOR);
                    b.u().copyTo(fromCopy, Order.ROW_MAJOR);
                }
                assertArrayEquals(fromCopy, fromWrapped);
            }
            wrapped.close();
            assertThrows(IllegalStateException.class, () -> wrapped.get(0, 0));
            assertEquals(0.5f, memory.getAtIndex(ValueLayout.JAVA_FLOAT, stride + 2), "close leaves the memory");

            memory.setAtIndex(ValueLayout.JAVA_FLOAT, 5L * stride + cols, 1f);
            String msg = assertThrows(IllegalArgumentException.class,
                    () -> DenseMatrix.wrap(DType.FLOAT32, rows, cols, memory)).getMessage();
            assertTrue(msg.contains("padding element 24 of row 5"), msg);
            msg = assertThrows(IllegalArgumentException.class,
                    () -> DenseMatrix.wrap(DType.FLOAT32, rows + 1, cols, memory)).getMessage();
            assertTrue(msg.contains("needs " + (rows + 1L) * stride * 4), msg);
            msg = assertThrows(IllegalArgumentException.class,
                    () -> DenseMatrix.wrap(DType.FLOAT32, 1, cols, memory.asSlice(4))).getMessage();
            assertTrue(msg.contains("64-byte boundary"), msg);
        }
        String msg = assertThrows(IllegalArgumentException.class,
                () -> DenseMatrix.wrap(DType.FLOAT64, 1, 8, MemorySegment.ofArray(new double[8]))).getMessage();
        assertTrue(msg.contains("heap segment"), msg);
        try (Arena confined = Arena.ofConfined()) {
            MemorySegment memory = confined.allocate(64, 64);
            msg = assertThrows(IllegalArgumentException.class,
                    () -> DenseMatrix.wrap(DType.FLOAT64, 1, 8, memory)).getMessage();
            assertTrue(msg.contains("confined to one thread"), msg);
        }
    }

    /**
     * A library user's mistakes, each one exception that names the argument (fourteenth session, found by trying the
     * library as a new user): a null order was read as row-major and the copy went ahead; null arrays, buffers and
     * segments failed with the JVM's "Cannot read the array length because "values" is null"; a negative shape was
     * reported as an array of the wrong length ("expected rows * cols = -4").
     */
    @Test
    void eachBadArgumentIsNamed() {
        float[] four = new float[4];
        assertEquals("order must not be null", assertThrows(NullPointerException.class,
                () -> DenseMatrix.copyOf(DType.FLOAT32, 2, 2, four, null)).getMessage());
        assertEquals("values must not be null", assertThrows(NullPointerException.class,
                () -> DenseMatrix.copyOf(DType.FLOAT32, 2, 2, (float[]) null, Order.ROW_MAJOR)).getMessage());
        assertEquals("values must not be null", assertThrows(NullPointerException.class,
                () -> DenseMatrix.of(DType.FLOAT64, null)).getMessage());
        assertEquals("row 1 of values is null", assertThrows(NullPointerException.class,
                () -> DenseMatrix.of(DType.FLOAT64, new double[][] {{1, 2}, null})).getMessage());
        assertEquals("matrix shape must be at least 1 x 1, got -2 x 2", assertThrows(IllegalArgumentException.class,
                () -> DenseMatrix.copyOf(DType.FLOAT32, -2, 2, four, Order.ROW_MAJOR)).getMessage());
        assertEquals("source must not be null", assertThrows(NullPointerException.class,
                () -> DenseMatrix.copyOf(DType.FLOAT64, 2, 2, (ByteBuffer) null, ValueLayout.JAVA_DOUBLE,
                        Order.ROW_MAJOR)).getMessage());
        assertEquals("memory must not be null", assertThrows(NullPointerException.class,
                () -> DenseMatrix.wrap(DType.FLOAT32, 2, 16, null)).getMessage());
        MemorySegment freed;
        try (Arena arena = Arena.ofShared()) {
            freed = arena.allocate(128, DenseMatrix.ALIGNMENT);
        }
        assertEquals("cannot wrap memory whose arena is closed", assertThrows(IllegalArgumentException.class,
                () -> DenseMatrix.wrap(DType.FLOAT32, 2, 16, freed)).getMessage());
        try (DenseMatrix m = DenseMatrix.allocate(DType.FLOAT32, 2, 2)) {
            assertEquals("target must not be null", assertThrows(NullPointerException.class,
                    () -> m.copyTo((double[]) null, Order.ROW_MAJOR)).getMessage());
            assertEquals("target must not be null", assertThrows(NullPointerException.class,
                    () -> m.copyTo((MemorySegment) null, ValueLayout.JAVA_FLOAT, Order.ROW_MAJOR)).getMessage());
            assertEquals("element layout must not be null", assertThrows(NullPointerException.class,
                    () -> m.copyFrom(MemorySegment.ofArray(four), null, Order.ROW_MAJOR)).getMessage());
            assertEquals("order must not be null", assertThrows(NullPointerException.class,
                    () -> m.copyTo(new float[4], null)).getMessage());
        }
    }

    /**
     * A copy into read-only memory, or a row copy past either end of its segment, names the problem: the FFM API's
     * own words were "Attempt to write a read-only segment" (no matrix, no target named) and "Out of bound access on
     * segment MemorySegment{ kind: heap, … }; new offset = -8" (fifteenth session's new user, not fixed then).
     */
    @Test
    void readOnlyDestinationsAndRowRangesAreNamed() {
        String readOnlyTarget = "the target is read-only: a copy out of a matrix writes into it";
        String readOnlyMatrix = "this 2 x 16 float32 matrix wraps read-only memory: it can be read and factorised, "
                + "not written";
        try (DenseMatrix m = DenseMatrix.copyOf(DType.FLOAT32, 2, 16, new float[32], Order.ROW_MAJOR);
                Arena arena = Arena.ofShared()) {
            ByteBuffer buffer = ByteBuffer.allocate(128).asReadOnlyBuffer();
            MemorySegment segment = MemorySegment.ofArray(new float[32]).asReadOnly();
            for (Order order : Order.values()) {
                assertEquals(readOnlyTarget, assertThrows(IllegalArgumentException.class,
                        () -> m.copyTo(buffer, ValueLayout.JAVA_FLOAT, order)).getMessage());
                assertEquals(readOnlyTarget, assertThrows(IllegalArgumentException.class,
                        () -> m.copyTo(segment, ValueLayout.JAVA_DOUBLE, order)).getMessage());
            }
            assertEquals(readOnlyTarget, assertThrows(IllegalArgumentException.class,
                    () -> m.copyRowTo(1, segment, 0, ValueLayout.JAVA_FLOAT)).getMessage());
            assertEquals("a row of 16 4-byte elements (64 bytes) from byte offset -8 does not fit in the target of "
                    + "128 bytes", assertThrows(IndexOutOfBoundsException.class,
                            () -> m.copyRowTo(0, MemorySegment.ofArray(new float[32]), -8, ValueLayout.JAVA_FLOAT))
                    .getMessage());
            assertEquals("a row of 16 4-byte elements (64 bytes) from byte offset 65 does not fit in the source of "
                    + "128 bytes", assertThrows(IndexOutOfBoundsException.class,
                            () -> m.copyRowFrom(0, MemorySegment.ofArray(new float[32]), 65, ValueLayout.JAVA_FLOAT))
                    .getMessage());
            // the last offset that fits is taken
            m.copyRowFrom(1, MemorySegment.ofArray(new float[32]), 64, ValueLayout.JAVA_FLOAT);
            MemorySegment memory = arena.allocate(128, DenseMatrix.ALIGNMENT);
            memory.setAtIndex(ValueLayout.JAVA_FLOAT, 3, 7f);
            DenseMatrix view = DenseMatrix.wrap(DType.FLOAT32, 2, 16, memory.asReadOnly());
            assertEquals(7, view.get(0, 3), "a read-only view is read");
            for (org.junit.jupiter.api.function.Executable write : new org.junit.jupiter.api.function.Executable[] {
                () -> view.set(0, 0, 1),
                () -> view.fill(1),
                () -> view.copyFrom(m),
                () -> view.copyFrom(new float[32], Order.ROW_MAJOR),
                () -> view.copyFrom(new double[32], Order.COLUMN_MAJOR),
                () -> view.copyFrom(ByteBuffer.allocate(128), ValueLayout.JAVA_FLOAT, Order.ROW_MAJOR),
                () -> view.copyRowFrom(0, MemorySegment.ofArray(new float[16]), 0, ValueLayout.JAVA_FLOAT)}) {
                assertEquals(readOnlyMatrix, assertThrows(IllegalArgumentException.class, write).getMessage());
            }
            DenseMatrix transposed = DenseMatrix.wrap(DType.FLOAT32, 16, 2, arena.allocate(16 * 64,
                    DenseMatrix.ALIGNMENT).asReadOnly());
            assertEquals("this 16 x 2 float32 matrix wraps read-only memory: it can be read and factorised, not "
                    + "written", assertThrows(IllegalArgumentException.class, () -> m.transposeInto(transposed))
                    .getMessage());
            assertEquals(7, view.get(0, 3), "nothing was written");
        }
        assertEquals("dtype must not be null", assertThrows(NullPointerException.class,
                () -> DenseMatrix.allocate(null, 1, 1)).getMessage());
        assertEquals("dtype must not be null", assertThrows(NullPointerException.class,
                () -> DenseMatrix.strideOf(null, 1)).getMessage());
        assertEquals("a row needs at least 1 column, got -5", assertThrows(IllegalArgumentException.class,
                () -> DenseMatrix.strideOf(DType.FLOAT64, -5)).getMessage());
    }

    /**
     * A copy between a matrix and its own memory — the matrix itself, its segment(), another view of it — read
     * elements it had already overwritten and returned a wrong matrix silently: m.transposeInto(m) of [[1, 2], [3, 4]]
     * gave [[1, 2], [2, 4]], m.copyTo(m.segment(), …, COLUMN_MAJOR) of [[1, 2, 3], [4, 5, 6]] left [[1, 4, 2],
     * [4, 5, 6]]. Refused now, nothing changed.
     */
    @Test
    void copiesBetweenAMatrixAndItsOwnMemoryAreRefused() {
        try (DenseMatrix square = DenseMatrix.of(DType.FLOAT64, new double[][] {{1, 2}, {3, 4}});
                DenseMatrix wide = DenseMatrix.of(DType.FLOAT64, new double[][] {{1, 2, 3}, {4, 5, 6}});
                Arena arena = Arena.ofShared()) {
            assertEquals("the target of the transpose shares memory with this 2 x 2 float64 matrix: a copy between "
                    + "them would overwrite elements before reading them", assertThrows(
                            IllegalArgumentException.class, () -> square.transposeInto(square)).getMessage());
            assertEquals("the target shares memory with this 2 x 3 float64 matrix: a copy between them would "
                    + "overwrite elements before reading them", assertThrows(IllegalArgumentException.class,
                            () -> wide.copyTo(wide.segment(), ValueLayout.JAVA_DOUBLE, Order.COLUMN_MAJOR))
                    .getMessage());
            assertEquals("the source shares memory with this 2 x 3 float64 matrix: a copy between them would "
                    + "overwrite elements before reading them", assertThrows(IllegalArgumentException.class,
                            () -> wide.copyFrom(wide.segment().asSlice(8), ValueLayout.JAVA_FLOAT, Order.ROW_MAJOR))
                    .getMessage());
            MemorySegment memory = arena.allocate(2 * 64, DenseMatrix.ALIGNMENT);
            DenseMatrix view = DenseMatrix.wrap(DType.FLOAT64, 2, 2, memory);
            DenseMatrix other = DenseMatrix.wrap(DType.FLOAT64, 2, 2, memory);
            view.set(0, 1, 2);
            assertEquals("the target of the transpose shares memory with this 2 x 2 float64 matrix: a copy between "
                    + "them would overwrite elements before reading them", assertThrows(
                            IllegalArgumentException.class, () -> view.transposeInto(other)).getMessage());
            assertArrayEquals(new double[][] {{1, 2}, {3, 4}}, square.toArray());
            assertArrayEquals(new double[][] {{1, 2, 3}, {4, 5, 6}}, wide.toArray());
            assertArrayEquals(new double[][] {{0, 2}, {0, 0}}, view.toArray());
            // a transpose into another matrix, and a copy into a heap array, are what they were
            try (DenseMatrix t = DenseMatrix.allocate(DType.FLOAT64, 2, 2)) {
                square.transposeInto(t);
                assertArrayEquals(new double[][] {{1, 3}, {2, 4}}, t.toArray());
            }
        }
    }

    /**
     * Only the bytes a copy uses are compared with the matrix: a segment holding the matrix further along (the matrix
     * a slice of it) was refused as sharing memory, though the rows · cols elements copied lay before the matrix.
     */
    @Test
    void aSegmentHoldingTheMatrixBeyondTheBytesCopiedIsAccepted() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment big = arena.allocate(256, DenseMatrix.ALIGNMENT);
            DenseMatrix m = DenseMatrix.wrap(DType.FLOAT64, 2, 8, big.asSlice(128, 128));
            for (int k = 0; k < 16; k++) {
                big.setAtIndex(ValueLayout.JAVA_DOUBLE, k, k + 1);
            }
            // big itself (its first 128 bytes used) and the slice of them ending where the matrix starts
            for (MemorySegment source : new MemorySegment[] {big, big.asSlice(0, 128)}) {
                m.fill(0);
                m.copyFrom(source, ValueLayout.JAVA_DOUBLE, Order.ROW_MAJOR);
                assertArrayEquals(new double[][] {{1, 2, 3, 4, 5, 6, 7, 8}, {9, 10, 11, 12, 13, 14, 15, 16}},
                        m.toArray());
            }
            m.copyTo(big, ValueLayout.JAVA_DOUBLE, Order.COLUMN_MAJOR);
            assertArrayEquals(new double[] {1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15, 8, 16},
                    big.asSlice(0, 128).toArray(ValueLayout.JAVA_DOUBLE));
            for (int k = 0; k < 16; k++) {
                big.setAtIndex(ValueLayout.JAVA_FLOAT, k, -k);
            }
            m.copyFrom(big, ValueLayout.JAVA_FLOAT, Order.COLUMN_MAJOR);
            assertArrayEquals(new double[][] {{0, -2, -4, -6, -8, -10, -12, -14}, {-1, -3, -5, -7, -9, -11, -13, -15}},
                    m.toArray());
            // the 128 bytes used from byte 8 reach 8 bytes into the matrix
            assertEquals("the source shares memory with this 2 x 8 float64 matrix: a copy between them would "
                    + "overwrite elements before reading them", assertThrows(IllegalArgumentException.class,
                            () -> m.copyFrom(big.asSlice(8), ValueLayout.JAVA_DOUBLE, Order.ROW_MAJOR)).getMessage());
            assertEquals("the target shares memory with this 2 x 8 float64 matrix: a copy between them would "
                    + "overwrite elements before reading them", assertThrows(IllegalArgumentException.class,
                            () -> m.copyTo(big.asSlice(72), ValueLayout.JAVA_FLOAT, Order.COLUMN_MAJOR)).getMessage());
            assertEquals(-15, m.get(1, 7), "nothing was written");
        }
    }

    /**
     * A float32 and a float64 view of one memory: copyFrom between them converted element by element, overwriting
     * elements it had yet to read, and gave a wrong matrix silently. Refused now; two views of one dtype are a move,
     * exact, and still copied.
     */
    @Test
    void aConvertingCopyBetweenViewsOfOneMemoryIsRefused() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment memory = arena.allocate(128, DenseMatrix.ALIGNMENT);
            DenseMatrix f32 = DenseMatrix.wrap(DType.FLOAT32, 2, 8, memory);
            DenseMatrix f64 = DenseMatrix.wrap(DType.FLOAT64, 2, 8, memory);
            for (int j = 0; j < 8; j++) {
                f32.set(0, j, j + 1);
                f32.set(1, j, -j - 1);
            }
            double[][] before = f32.toArray();
            assertEquals("the source shares memory with this 2 x 8 float64 matrix: a copy between them would "
                    + "overwrite elements before reading them", assertThrows(IllegalArgumentException.class,
                            () -> f64.copyFrom(f32)).getMessage());
            assertEquals("the source shares memory with this 2 x 8 float32 matrix: a copy between them would "
                    + "overwrite elements before reading them", assertThrows(IllegalArgumentException.class,
                            () -> f32.copyFrom(f64)).getMessage());
            assertArrayEquals(before, f32.toArray(), "nothing was written");
            DenseMatrix again = DenseMatrix.wrap(DType.FLOAT32, 2, 8, memory);
            again.copyFrom(f32);
            assertArrayEquals(before, again.toArray());
        }
    }
}
