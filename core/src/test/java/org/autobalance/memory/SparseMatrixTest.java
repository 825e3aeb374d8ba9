package org.autobalance.memory;

import static org.autobalance.testing.RandomSparse.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CancellationException;
import org.autobalance.memory.SparseMatrix.Builder;
import org.autobalance.testing.RandomSparse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SparseMatrixTest {

    /**
     * M's column counts are counted once and kept: each engine over M on the panel layouts (σ₁'s, the iterations',
     * each plateau check's) asked for them, a pass over M's column indices each time. A column index changed behind
     * the matrix's back (its segments are writable) is not seen by a later call, which a recount would see; each call
     * returns its own copy, so a caller's change to one does not reach the next.
     */
    @Test
    void columnStartsAreCountedOnceAndEachCallerGetsACopy() {
        try (SparseMatrix m = SparseMatrix.of(DType.FLOAT64, new double[][] {{1, 0, 2}, {0, 3, 0}})) {
            long[] first = m.columnStarts();
            assertArrayEquals(new long[] {0, 1, 2, 3}, first);
            first[3] = 99;
            m.columnIndices().setAtIndex(java.lang.foreign.ValueLayout.JAVA_INT, 0, 2);
            assertArrayEquals(new long[] {0, 1, 2, 3}, m.columnStarts());
        }
    }

    @Test
    void builderSortsAndSumsDuplicatesInDoubleThenRoundsOnce() {
        try (SparseMatrix.Builder b = SparseMatrix.builder(3, 4, 1)) { // grows from 16 entries
            b.add(2, 3, 1.0);
            b.add(0, 2, 0x1p-30);
            b.add(0, 1, 5.0);
            b.add(0, 2, 1.0); // 1 + 2^-30 is exact in double, rounds to 1 in float only after the sum
            b.add(1, 0, 0.0); // an explicit zero stays stored
            b.add(2, 3, -1.0); // sums to 0: stays stored
            for (int k = 0; k < 40; k++) {
                b.add(2, 0, 0.25);
            }
            try (SparseMatrix d = b.build(DType.FLOAT64); SparseMatrix f = b.build(DType.FLOAT32)) {
                assertEquals(5, d.nonZeros());
                assertArrayEquals(new long[] {0, 2, 3, 5}, new long[] {d.rowStart(0), d.rowStart(1), d.rowStart(2),
                    d.rowStart(3)});
                assertArrayEquals(new int[] {1, 2, 0, 0, 3}, new int[] {d.column(0), d.column(1), d.column(2),
                    d.column(3), d.column(4)});
                assertEquals(1.0 + 0x1p-30, d.get(0, 2));
                assertEquals((float) (1.0 + 0x1p-30), f.get(0, 2));
                assertEquals(10.0, d.get(2, 0));
                assertTrue(d.isStored(1, 0));
                assertTrue(d.isStored(2, 3));
                assertFalse(d.isStored(1, 1));
                assertEquals(0.0, d.get(1, 1));
                assertEquals(25 + (1 + 0x1p-30) * (1 + 0x1p-30) + 100, d.normSquared());
                assertEquals(5L * 12 + 4 * 8, d.bytes());
            }
        }
    }

    /** Mᵀ holds exactly the stored entries of M, mirrored (explicit zeros included), each row sorted by column. */
    @ParameterizedTest
    @EnumSource(RandomSparse.Pattern.class)
    void transposeMirrorsEveryStoredEntry(RandomSparse.Pattern pattern) {
        RandomSparse.Sample s = RandomSparse.sample(pattern, 40, 70, 4);
        for (DType t : DType.values()) {
            try (SparseMatrix m = s.matrix(t)) {
                SparseMatrix mt = m.transposed();
                assertSame(mt, m.transposed(), "built once, then shared");
                assertEquals(m.cols(), mt.rows());
                assertEquals(m.rows(), mt.cols());
                assertEquals(m.nonZeros(), mt.nonZeros());
                assertEquals(t, mt.dtype());
                assertEquals(SparseMatrix.bytes(t, m.cols(), m.nonZeros()), mt.bytes());
                for (int j = 0; j < mt.rows(); j++) {
                    for (long k = mt.rowStart(j) + 1; k < mt.rowStart(j + 1); k++) {
                        assertTrue(mt.column(k - 1) < mt.column(k), pattern + " row " + j + " of Mt is not sorted");
                    }
                }
                long[] columnStarts = new long[m.cols() + 1];
                for (int i = 0; i < m.rows(); i++) {
                    for (int j = 0; j < m.cols(); j++) {
                        assertEquals(m.isStored(i, j), mt.isStored(j, i), pattern + " (" + i + "," + j + ")");
                        assertEquals(m.get(i, j), mt.get(j, i), pattern + " (" + i + "," + j + ")");
                        columnStarts[j + 1] += m.isStored(i, j) ? 1 : 0;
                    }
                }
                for (int j = 0; j < m.cols(); j++) {
                    columnStarts[j + 1] += columnStarts[j];
                }
                assertArrayEquals(columnStarts, m.columnStarts(), pattern + ": Mt's row pointers, counted without Mt");
            }
        }
        // an explicit zero is an entry of the transpose too
        try (SparseMatrix.Builder b = SparseMatrix.builder(2, 3, 2)) {
            b.add(1, 2, 0.0);
            b.add(0, 2, 4.0);
            SparseMatrix mt;
            try (SparseMatrix m = b.build(DType.FLOAT32)) {
                assertArrayEquals(new long[] {0, 0, 0, 2}, m.columnStarts());
                mt = m.transposed();
                assertArrayEquals(new long[] {0, 0, 0, 2}, new long[] {mt.rowStart(0), mt.rowStart(1), mt.rowStart(2),
                    mt.rowStart(3)});
                assertArrayEquals(new int[] {0, 1}, new int[] {mt.column(0), mt.column(1)});
                assertEquals(4.0, mt.value(0));
                assertTrue(mt.isStored(2, 1));
            }
            assertTrue(mt.isClosed(), "closing M frees its transpose");
        }
    }

    /**
     * A matrix of more columns than a Java array holds cannot be transposed (a long per column on the heap): refused in
     * a line by columnStarts and the transpose, and from the column count alone (what a csc reader asks before
     * reading its entries): the first count refused, not the one below it.
     */
    @Test
    void aMatrixOfMoreColumnsThanAJavaArrayHoldsIsRefusedATranspose() {
        int cols = NativeMemory.MAX_ARRAY_LENGTH;
        String refusal = "cannot transpose a matrix of " + cols + " columns: at most " + (cols - 1)
                + " are sorted (the length limit of a Java array)";
        // the bound first: were it off by one, the calls below would ask for a long[2³¹ − 8]
        assertEquals(refusal, assertThrows(IllegalArgumentException.class,
                () -> SparseMatrix.requireTransposable(cols)).getMessage());
        SparseMatrix.requireTransposable(cols - 1);
        try (SparseMatrix.Builder b = SparseMatrix.builder(1, cols, 1)) {
            b.add(0, cols - 1, 1.0);
            try (SparseMatrix m = b.build(DType.FLOAT32)) {
                assertEquals(refusal, assertThrows(IllegalArgumentException.class, m::columnStarts).getMessage());
                assertEquals(refusal, assertThrows(IllegalArgumentException.class, m::transposed).getMessage());
            }
        }
    }

    @Test
    void splitIsADeterministicPartitionOfTheStoredEntries() {
        RandomSparse.Sample s = RandomSparse.sample(RandomSparse.Pattern.UNIFORM, 60, 50, 5);
        try (SparseMatrix m = s.matrix(DType.FLOAT32)) {
            SparseMatrix[] a = m.split(0.25, 9);
            SparseMatrix[] b = m.split(0.25, 9);
            try (SparseMatrix kept = a[0]; SparseMatrix held = a[1]; SparseMatrix kept2 = b[0];
                    SparseMatrix held2 = b[1]) {
                assertEquals(m.nonZeros(), kept.nonZeros() + held.nonZeros());
                assertEquals(held.nonZeros(), held2.nonZeros());
                assertEquals(kept.nonZeros(), kept2.nonZeros());
                // about a quarter: 4 standard deviations of the binomial
                double expected = 0.25 * m.nonZeros();
                assertTrue(Math.abs(held.nonZeros() - expected) < 4 * Math.sqrt(expected * 0.75));
                for (int i = 0; i < m.rows(); i++) {
                    for (int j = 0; j < m.cols(); j++) {
                        boolean inKept = kept.isStored(i, j);
                        boolean inHeld = held.isStored(i, j);
                        assertEquals(m.isStored(i, j), inKept || inHeld);
                        assertFalse(inKept && inHeld);
                        assertEquals(m.get(i, j), kept.get(i, j) + held.get(i, j));
                        assertEquals(inHeld, held2.isStored(i, j));
                    }
                }
            }
            assertThrows(IllegalArgumentException.class, () -> m.split(1.0, 1));
        }
    }

    @Test
    void closedMatrixRefusesAccessAndToDenseCopies() {
        RandomSparse.Sample s = RandomSparse.sample(RandomSparse.Pattern.DENSE_ROW, 7, 9, 6);
        SparseMatrix m = s.matrix(DType.FLOAT64);
        try (DenseMatrix d = m.toDense()) {
            assertArrayEquals(s.values(), d.toArray());
            assertNull(m.firstNonFinite());
        }
        m.close();
        m.close();
        assertTrue(m.isClosed());
        assertThrows(IllegalStateException.class, () -> m.rowStart(0));
        try (SparseMatrix.Builder b = SparseMatrix.builder(2, 2, 1)) {
            assertThrows(IndexOutOfBoundsException.class, () -> b.add(2, 0, 1));
        }
    }

    /** After close every accessor refuses, not only rowStart (each has its own check). */
    @Test
    void everyAccessorOfAClosedMatrixRefuses() {
        SparseMatrix m = SparseMatrix.of(DType.FLOAT64, new double[][] {{1, 0}, {0, 2}});
        m.close();
        for (org.junit.jupiter.api.function.Executable access
                : java.util.List.<org.junit.jupiter.api.function.Executable>of(
                m::rowStarts, m::columnIndices, m::values, () -> m.rowStart(1), () -> m.column(0), () -> m.value(0),
                () -> m.get(0, 0), m::toDense)) {
            assertThrows(IllegalStateException.class, access);
        }
    }

    /**
     * Bounds, each at its edge: a 1 × 1 matrix is allowed and a 0-row or 0-column one is not; indices one past the
     * end are refused by get and by the builder; the held-out fraction must be strictly inside (0, 1).
     */
    @Test
    void boundsAreCheckedAtTheirEdges() {
        try (SparseMatrix one = SparseMatrix.of(DType.FLOAT64, new double[][] {{3}})) {
            assertEquals(3.0, one.get(0, 0));
        }
        assertThrows(IllegalArgumentException.class, () -> SparseMatrix.builder(0, 2, 1));
        assertThrows(IllegalArgumentException.class, () -> SparseMatrix.builder(2, 0, 1));
        try (SparseMatrix.Builder b = SparseMatrix.builder(1, 1, 1)) {
            b.add(0, 0, 1);
        }
        try (SparseMatrix m = SparseMatrix.of(DType.FLOAT64, new double[][] {{1, 0, 2}, {0, 0, 3}})) {
            assertEquals(0.0, m.get(1, 1), "an entry not stored is 0");
            assertEquals(3.0, m.get(1, 2));
            assertThrows(IndexOutOfBoundsException.class, () -> m.get(2, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> m.get(0, 3));
            assertThrows(IndexOutOfBoundsException.class, () -> m.get(-1, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> m.get(0, -1));
            for (double fraction : new double[] {0.0, 1.0, Double.NaN}) {
                assertThrows(IllegalArgumentException.class, () -> m.split(fraction, 1));
            }
        }
        try (SparseMatrix.Builder b = SparseMatrix.builder(2, 3, 1)) {
            assertThrows(IndexOutOfBoundsException.class, () -> b.add(2, 0, 1));
            assertThrows(IndexOutOfBoundsException.class, () -> b.add(0, 3, 1));
            assertThrows(IndexOutOfBoundsException.class, () -> b.add(-1, 0, 1));
            assertThrows(IndexOutOfBoundsException.class, () -> b.add(0, -1, 1));
        }
    }

    /** A builder told to expect one entry grows to hold 500, keeping every one (in row-major order once built). */
    @Test
    void theBuilderGrowsPastItsExpectedSize() {
        int rows = 25;
        int cols = 20;
        try (SparseMatrix.Builder b = SparseMatrix.builder(rows, cols, 1)) {
            // added in reverse order, so that the build has to sort them
            for (int k = rows * cols - 1; k >= 0; k--) {
                b.add(k / cols, k % cols, k + 1);
            }
            assertEquals(rows * cols, b.size());
            try (SparseMatrix m = b.build(DType.FLOAT64)) {
                assertEquals(rows * cols, m.nonZeros());
                for (int k = 0; k < rows * cols; k++) {
                    assertEquals(k + 1, m.value(k), "entry " + k);
                    assertEquals(k % cols, m.column(k));
                }
            }
        }
    }

    /** The first non-finite value is found where it is, NaN or infinite, in the last row too. */
    @Test
    void theFirstNonFiniteValueIsFound() {
        for (double bad : new double[] {Double.NaN, Double.NEGATIVE_INFINITY}) {
            try (SparseMatrix.Builder b = SparseMatrix.builder(3, 4, 4)) {
                b.add(0, 1, 1);
                b.add(2, 3, bad);
                b.add(2, 0, 5);
                try (SparseMatrix m = b.build(DType.FLOAT64)) {
                    assertArrayEquals(new int[] {2, 3}, m.firstNonFinite());
                }
            }
        }
    }

    /**
     * Building sorts the entries by row with three longs per row on the Java heap: a shape whose sort cannot fit the
     * heap (2³¹ − 9 rows: 48 GiB) is refused when the builder is made, in a line, not by an OutOfMemoryError later;
     * and one beyond the longest Java array by its own line, whatever the heap.
     */
    @Test
    void aBuilderRefusesMoreRowsThanTheHeapCanSort() {
        int rows = Integer.MAX_VALUE - 8;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SparseMatrix.builder(rows, 3, 1).close());
        long need = 24L * (rows + 1L);
        // the advice (a heap option, or none where the machine cannot hold 48 GiB): MemoryArgumentsTest
        assertEquals("cannot sort the entries of " + rows + " rows by row: that takes at least "
                + NativeMemory.size(need) + " of Java heap, more than the " + NativeMemory.size(Runtime.getRuntime()
                        .maxMemory()) + " this JVM's heap may take" + NativeMemory.heapAdvice(need,
                        NativeMemory.physicalBytes()), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SparseMatrix.builder(rows + 1, 3, 1).close());
        assertEquals((rows + 1) + " rows: at most " + rows + " are sorted (the length limit of a Java array)",
                e.getMessage());
    }
    /**
     * An expected size whose bytes pass 2⁶³ is refused in words: the count wrapped, and the message said "cannot hold
     * 9223372036854775807 sparse entries in memory (-16 bytes): The provided allocation size is negative: -4".
     */
    @Test
    void anImpossibleExpectedSizeIsRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SparseMatrix.builder(3, 3, Long.MAX_VALUE).close());
        assertEquals("cannot hold " + Long.MAX_VALUE + " sparse entries: they would take more than " + Long.MAX_VALUE
                + " bytes", e.getMessage());
    }

    /**
     * The dense matrices' rule at the boundary holds for sparse ones (fourteenth session, a new user's trial): a value,
     * or a sum of duplicates, beyond float32's range is refused with its position, where it was stored as infinity
     * and refused later as "a non-finite value" without a word about float32; nothing stays allocated.
     */
    @Test
    void float32RangeIsCheckedAsForDenseMatrices() {
        long live = NativeMemory.liveBytes();
        try (SparseMatrix.Builder b = SparseMatrix.builder(3, 4, 4)) {
            b.add(0, 0, 1);
            b.add(2, 3, 1e39);
            Float32RangeException e = assertThrows(Float32RangeException.class, () -> b.build(DType.FLOAT32));
            assertEquals(2, e.row());
            assertEquals(3, e.column());
            assertEquals(1e39, e.value());
            try (SparseMatrix exact = b.build(DType.FLOAT64)) {
                assertEquals(1e39, exact.get(2, 3));
            }
        }
        try (SparseMatrix.Builder b = SparseMatrix.builder(2, 2, 4)) {
            b.add(1, 0, 3e38);
            b.add(1, 0, 3e38); // each fits float32, their sum does not
            Float32RangeException e = assertThrows(Float32RangeException.class, () -> b.build(DType.FLOAT32));
            assertEquals(6e38, e.value());
            assertEquals(1, e.row());
        }
        assertEquals(live, NativeMemory.liveBytes(), "nothing left allocated");
    }

    /**
     * Null arguments, ragged rows and a closed builder are named (they failed with the JVM's or the FFM API's
     * words, or a ragged array was taken as it came).
     */
    @Test
    void badArgumentsAreNamed() {
        assertEquals("values must not be null", assertThrows(NullPointerException.class,
                () -> SparseMatrix.of(DType.FLOAT64, null)).getMessage());
        assertEquals("row 0 of values is null", assertThrows(NullPointerException.class,
                () -> SparseMatrix.of(DType.FLOAT64, new double[][] {null})).getMessage());
        // ragged rows, as DenseMatrix.of says: a short row was read as zeros, a long one as an entry out of range
        assertEquals("row 1 has 1 entries, expected 2", assertThrows(IllegalArgumentException.class,
                () -> SparseMatrix.of(DType.FLOAT64, new double[][] {{1, 2}, {3}})).getMessage());
        assertEquals("row 1 has 2 entries, expected 1", assertThrows(IllegalArgumentException.class,
                () -> SparseMatrix.of(DType.FLOAT64, new double[][] {{1}, {3, 4}})).getMessage());
        SparseMatrix.Builder b = SparseMatrix.builder(2, 2, 4);
        b.add(0, 0, 1);
        assertEquals("dtype must not be null", assertThrows(NullPointerException.class,
                () -> b.build(null)).getMessage());
        b.close();
        assertEquals("sparse matrix builder is closed", assertThrows(IllegalStateException.class,
                () -> b.add(1, 1, 1)).getMessage());
        assertEquals("sparse matrix builder is closed", assertThrows(IllegalStateException.class,
                () -> b.build(DType.FLOAT64)).getMessage());
    }

    /**
     * The dense copy looks at the interrupt as the build does (every 65536 rows and entries): on an interrupted thread
     * a copy of 100 000 rows (200 000 rows and entries, so a look is certain) is a CancellationException, with the
     * copy freed and the status kept; it ran to its end without a look (reliability.md, eighteenth session).
     */
    @Test
    void anInterruptedDenseCopyStopsAndFreesTheCopy() {
        int rows = 100_000;
        try (Builder b = SparseMatrix.builder(rows, 2, rows)) {
            for (int i = 0; i < rows; i++) {
                b.add(i, i % 2, i + 1);
            }
            try (SparseMatrix s = b.build(DType.FLOAT32)) {
                long live = NativeMemory.liveBytes();
                Thread.currentThread().interrupt();
                CancellationException e;
                try {
                    e = assertThrows(CancellationException.class, s::toDense);
                } finally {
                    assertTrue(Thread.interrupted(), "the interrupt status stays set");
                }
                assertEquals(live, NativeMemory.liveBytes(), "the copy is freed");
                assertEquals("the dense copy of a 100000 x 2 sparse matrix was interrupted (Thread.interrupt(); the "
                        + "thread's interrupt status stays set)", e.getMessage());
                try (DenseMatrix d = s.toDense()) {
                    for (int i = 0; i < rows; i++) {
                        assertEquals(i + 1, d.get(i, i % 2));
                        assertEquals(0, d.get(i, 1 - i % 2));
                    }
                }
            }
        }
    }

    /**
     * An interrupt during a build stops it at the next look (every 65536 entries of each pass over them, and every
     * 65536 rows and entries of each pass over the rows): a CancellationException, nothing left allocated, the
     * interrupt status kept, the builder's entries kept. Interrupted at each look in turn, the build must stop there:
     * a look missing from one of the four loops leaves that loop running on (looks counted past the one interrupted).
     */
    @Test
    void anInterruptedBuildStopsAtTheNextLookAndKeepsTheEntries() {
        int rows = 1000;
        int entries = 200_000;
        try (Builder b = SparseMatrix.builder(rows, 50, entries)) {
            for (int k = 0; k < entries; k++) {
                b.add(k * 7919 % rows, k % 50, k);
            }
            int[] looks = new int[1];
            try (SparseMatrix whole = b.build(DType.FLOAT64, () -> looks[0]++)) {
                // 3 in each pass over the 200 000 entries, 3 in each over the 1000 rows and their entries
                assertEquals(12, looks[0]);
                long live = NativeMemory.liveBytes();
                Thread self = Thread.currentThread();
                for (int at = 1; at <= 12; at++) {
                    int stopAt = at;
                    looks[0] = 0;
                    CancellationException e = assertThrows(CancellationException.class,
                            () -> b.build(DType.FLOAT64, () -> {
                                if (++looks[0] == stopAt) {
                                    self.interrupt();
                                }
                            }));
                    assertTrue(Thread.interrupted(), "the interrupt status stays set");
                    assertEquals(stopAt, looks[0], "stopped at the look that saw the interrupt");
                    assertEquals(live, NativeMemory.liveBytes(), "nothing left allocated");
                    assertEquals("the build of a 1000 x 50 sparse matrix from 200000 entries was interrupted "
                            + "(Thread.interrupt(); the thread's interrupt status stays set)", e.getMessage());
                }
                try (SparseMatrix again = b.build(DType.FLOAT64)) {
                    assertEquals(whole.nonZeros(), again.nonZeros());
                    for (long k = 0; k < whole.nonZeros(); k++) {
                        assertEquals(whole.column(k), again.column(k));
                        assertEquals(whole.value(k), again.value(k));
                    }
                }
            }
        }
    }

    /**
     * The row builder (the .npz csr/csc reading, which streams rows into the matrix) against the staging builder on
     * the same entries: rows of up to 40 entries over a few columns, so that columns repeat next to each other and
     * apart, in any order, with float64 values whose sums depend on the order they are added in. Every row pointer,
     * column and value bit must be equal, in both dtypes, and the transposed build must equal the staging build of
     * the mirrored entries (a csc file). A first version summed a repeat of the last column into its own run after
     * the row's columns had decreased: columns 1, 2, 1, 1, 1 summed as a + (b + c + d), not ((a + b) + c) + d.
     */
    @ParameterizedTest
    @EnumSource(DType.class)
    void theRowBuilderEqualsTheStagingBuilderBitForBit(DType dtype) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(22);
        for (int trial = 0; trial < 2_000; trial++) {
            int rows = 1 + random.nextInt(6);
            int cols = 1 + random.nextInt(trial % 2 == 0 ? 3 : 40);
            int n = random.nextInt(rows * 20 + 1);
            int[] owner = random.ints(n, 0, rows).sorted().toArray();
            int[] column = random.ints(n, 0, cols).toArray();
            double[] value = random.doubles(n, -1, 1).toArray();
            try (Builder staged = SparseMatrix.builder(rows, cols, n);
                    Builder mirrored = SparseMatrix.builder(cols, rows, n);
                    SparseMatrix.RowBuilder direct = SparseMatrix.rowBuilder(dtype, rows, cols, n);
                    SparseMatrix.RowBuilder columns = SparseMatrix.rowBuilder(dtype, rows, cols, n)) {
                int k = 0;
                for (int i = 0; i < rows; i++) {
                    for (; k < n && owner[k] == i; k++) {
                        staged.add(i, column[k], value[k]);
                        mirrored.add(column[k], i, value[k]);
                        direct.add(column[k], value[k]);
                        columns.add(column[k], value[k]);
                    }
                    direct.endRow();
                    columns.endRow();
                }
                try (SparseMatrix expected = staged.build(dtype); SparseMatrix got = direct.build();
                        SparseMatrix expectedT = mirrored.build(dtype); SparseMatrix gotT = columns.buildTransposed()) {
                    assertSameBits(expected, got, "trial " + trial);
                    assertSameBits(expectedT, gotT, "trial " + trial + ", transposed");
                }
            }
        }
    }

    @Test
    void theRowBuilderRefusesMisuseByName() {
        try (SparseMatrix.RowBuilder b = SparseMatrix.rowBuilder(DType.FLOAT32, 2, 3, 1)) {
            b.add(2, 1.0);
            assertEquals("more than the 1 entries reserved",
                    assertThrows(IllegalStateException.class, () -> b.add(0, 1.0)).getMessage());
            assertThrows(IndexOutOfBoundsException.class, () -> b.add(3, 1.0));
            b.endRow();
            assertEquals("1 of the 2 rows were ended", assertThrows(IllegalStateException.class, b::build)
                    .getMessage());
            b.endRow();
            assertThrows(IllegalStateException.class, b::endRow);
            try (SparseMatrix m = b.build()) {
                assertEquals(1, m.nonZeros());
                assertEquals(1.0, m.get(0, 2));
            }
            assertThrows(IllegalStateException.class, b::build);
        }
        // duplicates beyond float32: named at their 0-based place, as the staging builder names them
        try (SparseMatrix.RowBuilder b = SparseMatrix.rowBuilder(DType.FLOAT32, 1, 2, 2)) {
            b.add(1, 3e38);
            b.add(1, 3e38);
            Float32RangeException e = assertThrows(Float32RangeException.class, b::endRow);
            assertEquals(0, e.row());
            assertEquals(1, e.column());
        }
        long before = NativeMemory.liveBytes();
        SparseMatrix.RowBuilder unbuilt = SparseMatrix.rowBuilder(DType.FLOAT64, 1, 2, 1000);
        assertTrue(NativeMemory.liveBytes() - before >= 1000 * 12, "the matrix is allocated at once");
        unbuilt.close();
        assertEquals(before, NativeMemory.liveBytes(), "closed unbuilt, the matrix is freed");
    }

    /**
     * The counted builder (the .npz coo reading, each entry written into its row's place) against the staging builder
     * on the same entries in any order: rows of up to 40 entries over a few columns, so that columns repeat next to
     * each other and apart, and rows come back again and again. Every row pointer, column and value bit must be equal,
     * in both dtypes; the native memory is all given back.
     */
    @ParameterizedTest
    @EnumSource(DType.class)
    void theCountedBuilderEqualsTheStagingBuilderBitForBit(DType dtype) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(25);
        long live = NativeMemory.liveBytes();
        for (int trial = 0; trial < 2_000; trial++) {
            int rows = 1 + random.nextInt(6);
            int cols = 1 + random.nextInt(trial % 2 == 0 ? 3 : 40);
            int n = random.nextInt(rows * 20 + 1);
            int[] row = random.ints(n, 0, rows).toArray();
            int[] column = random.ints(n, 0, cols).toArray();
            double[] value = random.doubles(n, -1, 1).toArray();
            try (Builder staged = SparseMatrix.builder(rows, cols, n);
                    SparseMatrix.CountedBuilder counted = SparseMatrix.countedBuilder(dtype, rows, cols, n)) {
                for (int k = 0; k < n; k++) {
                    staged.add(row[k], column[k], value[k]);
                    counted.count(row[k]);
                }
                for (int k = 0; k < n; k++) {
                    counted.add(row[k], column[k], value[k]);
                }
                try (SparseMatrix expected = staged.build(dtype); SparseMatrix got = counted.build()) {
                    assertSameBits(expected, got, "trial " + trial);
                }
            }
        }
        assertEquals(live, NativeMemory.liveBytes(), "nothing left allocated");
    }

    /**
     * Each misuse of the counted builder is refused in a line naming it: a row or column outside the shape, more
     * entries counted than reserved, a count once entries are added, more entries added to a row than were counted
     * in it, fewer added than counted, any call once built or closed; closing twice does nothing, and closing an
     * unbuilt builder frees its memory (the float32 one's values in double too).
     */
    @Test
    void theCountedBuilderRefusesMisuseByName() {
        long live = NativeMemory.liveBytes();
        try (SparseMatrix.CountedBuilder b = SparseMatrix.countedBuilder(DType.FLOAT32, 2, 3, 2)) {
            assertEquals("row 2 outside 2 x 3", assertThrows(IndexOutOfBoundsException.class, () -> b.count(2))
                    .getMessage());
            assertEquals("row -1 outside 2 x 3", assertThrows(IndexOutOfBoundsException.class, () -> b.count(-1))
                    .getMessage());
            b.count(1);
            b.count(0);
            assertEquals("more than the 2 entries reserved", assertThrows(IllegalStateException.class,
                    () -> b.count(0)).getMessage());
            assertEquals("entry (1, 3) outside 2 x 3", assertThrows(IndexOutOfBoundsException.class,
                    () -> b.add(1, 3, 1.0)).getMessage());
            b.add(1, 2, 1.0);
            assertEquals("entries are being added: counting is over", assertThrows(IllegalStateException.class,
                    () -> b.count(1)).getMessage());
            assertEquals("more entries in row 1 than were counted", assertThrows(IllegalStateException.class,
                    () -> b.add(1, 0, 1.0)).getMessage());
            assertEquals("0 entries added in row 0 of the 1 counted", assertThrows(IllegalStateException.class,
                    b::build).getMessage());
        }
        // at most the entries reserved, as countedBuilder's contract says (and the row builder's): fewer counted and
        // added are a matrix of those, copied to their size (the build refused them: "1 of the 3 entries reserved
        // were added")
        try (SparseMatrix.CountedBuilder b = SparseMatrix.countedBuilder(DType.FLOAT64, 2, 3, 3)) {
            b.count(1);
            b.add(1, 2, 4.0);
            try (SparseMatrix m = b.build()) {
                assertEquals(1, m.nonZeros());
                assertEquals(SparseMatrix.bytes(DType.FLOAT64, 2, 1), m.bytes());
                assertEquals(4.0, m.get(1, 2));
            }
        }
        try (SparseMatrix.CountedBuilder b = SparseMatrix.countedBuilder(DType.FLOAT32, 2, 3, 3)) {
            b.count(1);
            assertEquals("0 entries added in row 1 of the 1 counted", assertThrows(IllegalStateException.class,
                    b::build).getMessage());
        }
        try (SparseMatrix.CountedBuilder b = SparseMatrix.countedBuilder(DType.FLOAT32, 2, 3, 3);
                SparseMatrix m = b.build()) {
            assertEquals(0, m.nonZeros());
            assertEquals(0, m.rowStart(2));
        }
        SparseMatrix.CountedBuilder b = SparseMatrix.countedBuilder(DType.FLOAT32, 2, 3, 1);
        b.count(0);
        b.add(0, 1, 2.0);
        try (SparseMatrix m = b.build()) {
            assertEquals(2.0, m.get(0, 1));
        }
        String closed = "sparse counted builder is closed or was built";
        assertEquals(closed, assertThrows(IllegalStateException.class, () -> b.count(0)).getMessage());
        assertEquals(closed, assertThrows(IllegalStateException.class, () -> b.add(0, 1, 2.0)).getMessage());
        assertEquals(closed, assertThrows(IllegalStateException.class, b::build).getMessage());
        b.close();
        b.close();
        assertEquals(live, NativeMemory.liveBytes(), "nothing left allocated");
        SparseMatrix.CountedBuilder unbuilt = SparseMatrix.countedBuilder(DType.FLOAT32, 1, 2, 1000);
        assertTrue(NativeMemory.liveBytes() - live >= 1000 * (8 + 8), "the matrix and the values in double at once");
        unbuilt.close();
        unbuilt.close();
        assertEquals(live, NativeMemory.liveBytes(), "closed unbuilt, the matrix and the values are freed");
    }

    /**
     * A shape the counted builder cannot hold is named as the staging builder names it: an empty or negative one
     * (-1 rows asked the heap for -8 bytes: "bytes must be at least 0, got -8"), more rows than a Java array holds,
     * or a negative count of entries.
     */
    @Test
    void theCountedBuilderRefusesABadShapeByName() {
        for (int[] shape : new int[][] {{-1, 3}, {0, 3}, {3, 0}, {3, -2}}) {
            assertEquals("matrix shape must be at least 1 x 1, got " + shape[0] + " x " + shape[1],
                    assertThrows(IllegalArgumentException.class, () -> SparseMatrix.countedBuilder(DType.FLOAT64,
                            shape[0], shape[1], 1).close()).getMessage());
        }
        int rows = NativeMemory.MAX_ARRAY_LENGTH + 1;
        assertEquals(rows + " rows: at most " + (rows - 1) + " are counted (the length limit of a Java array)",
                assertThrows(IllegalArgumentException.class, () -> SparseMatrix.countedBuilder(DType.FLOAT64, rows, 3,
                        1).close()).getMessage());
        assertEquals("entries must be at least 0, got -1", assertThrows(IllegalArgumentException.class,
                () -> SparseMatrix.countedBuilder(DType.FLOAT64, 2, 3, -1).close()).getMessage());
    }

    /**
     * The counted builder's build looks at the interrupt as the staging builder's does (every 65536 rows and
     * entries): on an interrupted thread a build of 70 000 entries is a CancellationException, the status kept, and
     * the builder, closed, gives all its memory back.
     */
    @Test
    void anInterruptedCountedBuildStops() {
        long live = NativeMemory.liveBytes();
        int n = 70_000;
        try (SparseMatrix.CountedBuilder b = SparseMatrix.countedBuilder(DType.FLOAT32, 3, 5, n)) {
            for (int k = 0; k < n; k++) {
                b.count(k % 3);
            }
            for (int k = 0; k < n; k++) {
                b.add(k % 3, k % 5, k);
            }
            Thread.currentThread().interrupt();
            CancellationException e = assertThrows(CancellationException.class, b::build);
            assertTrue(Thread.interrupted(), "the interrupt status stays set");
            assertEquals("the build of a 3 x 5 sparse matrix from 70000 entries was interrupted (Thread.interrupt(); "
                    + "the thread's interrupt status stays set)", e.getMessage());
        }
        assertEquals(live, NativeMemory.liveBytes(), "nothing left allocated");
    }
}
