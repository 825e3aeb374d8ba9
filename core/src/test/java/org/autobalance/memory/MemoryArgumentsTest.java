package org.autobalance.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * Bad arguments of the memory package's public statics and sparse accessors, found by trying the API as a new user
 * (sixteenth session): each one exception that names the problem. Before: the JVM's "Cannot invoke
 * "String.trim()" because "text" is null", a negative byte count taken as room, the FFM API's "Out of bound access on
 * segment MemorySegment{ kind: native, … }", and byte counts that wrapped (-12 bytes for -1 rows and entries; 2⁶³ − 1
 * entries were 17 179 869 172 bytes).
 */
class MemoryArgumentsTest {
    @Test
    void staticsNameTheirBadArguments() {
        assertEquals("dtype text must not be null", assertThrows(NullPointerException.class,
                () -> DType.parse(null)).getMessage());
        assertEquals("what must not be null", assertThrows(NullPointerException.class,
                () -> NativeMemory.requireRoom(1, null)).getMessage());
        assertEquals("bytes must be at least 0, got -1", assertThrows(IllegalArgumentException.class,
                () -> NativeMemory.requireRoom(-1, () -> "x")).getMessage());
        // a negative count was taken as room on the heap: no refusal, whatever the sum it came from
        assertEquals("bytes must be at least 0, got -1", assertThrows(IllegalArgumentException.class,
                () -> NativeMemory.requireHeap(-1, () -> "x")).getMessage());
        assertEquals("what must not be null", assertThrows(NullPointerException.class,
                () -> NativeMemory.requireHeap(1, null)).getMessage());
        assertEquals("bytes must be at least 0, got -1", assertThrows(IllegalArgumentException.class,
                () -> NativeMemory.requireOldGeneration(-1, () -> "x")).getMessage());
        assertEquals("what must not be null", assertThrows(NullPointerException.class,
                () -> NativeMemory.requireOldGeneration(1, null)).getMessage());
        // the sizes of the messages, and a heap of twice a count in whole GiB, at least 1
        assertEquals("1.5 MiB", NativeMemory.size(3L << 19));
        assertEquals("2.5 GiB", NativeMemory.size(5L << 29));
        assertEquals("JDK_JAVA_OPTIONS=-Xmx1g", NativeMemory.heapOption(0));
        assertEquals("JDK_JAVA_OPTIONS=-Xmx2g", NativeMemory.heapOption(1L << 30));
        assertEquals("JDK_JAVA_OPTIONS=-Xmx3g", NativeMemory.heapOption((1L << 30) + 1, Long.MAX_VALUE));
        // no more than the machine's whole GiB where those still hold the floor, twice it otherwise
        assertEquals("JDK_JAVA_OPTIONS=-Xmx22g", NativeMemory.heapOption(16_000_000_000L, 24_000_000_000L));
        assertEquals("JDK_JAVA_OPTIONS=-Xmx30g", NativeMemory.heapOption(15L << 30, 60L << 30));
        // and where no whole GiB of the machine exceeds the floor, no option: the machine is named instead
        assertEquals("; give it more with JDK_JAVA_OPTIONS=-Xmx22g", NativeMemory.heapAdvice(16_000_000_000L,
                24_000_000_000L));
        assertEquals(", and this machine's 23.5 GiB of memory holds no heap that large",
                NativeMemory.heapAdvice(23L << 30, 23L * (1L << 30) + (1L << 29)));
        assertEquals(", and this machine's 23.0 GiB of memory holds no heap that large",
                NativeMemory.heapAdvice(48L << 30, 23L << 30));
        assertEquals("dtype must not be null", assertThrows(NullPointerException.class,
                () -> SparseMatrix.bytes(null, 1, 1)).getMessage());
        assertEquals("rows and stored entries must be at least 0, got -1 and -1", assertThrows(
                IllegalArgumentException.class, () -> SparseMatrix.bytes(DType.FLOAT64, -1, -1)).getMessage());
        assertEquals(Long.MAX_VALUE, SparseMatrix.bytes(DType.FLOAT64, Integer.MAX_VALUE, Long.MAX_VALUE));
        assertEquals(Long.MAX_VALUE, SparseMatrix.bytes(DType.FLOAT32, 0, Long.MAX_VALUE / 8));
        // the exact count below the limit: row pointers of 8 bytes, 4-byte columns and the values
        assertEquals(3 * 8 + 5 * (4 + 8), SparseMatrix.bytes(DType.FLOAT64, 2, 5));
        long most = (Long.MAX_VALUE - 8) / 8;
        assertEquals(8 + most * 8, SparseMatrix.bytes(DType.FLOAT32, 0, most));
    }

    @Test
    void sparseAccessorsNameTheIndex() {
        try (SparseMatrix s = SparseMatrix.of(DType.FLOAT64, new double[][] {{1, 0}, {0, 2}})) {
            assertEquals("row 3 outside 0..2 (rowStart(2) is the count of stored entries)", assertThrows(
                    IndexOutOfBoundsException.class, () -> s.rowStart(3)).getMessage());
            assertEquals("row -1 outside 0..2 (rowStart(2) is the count of stored entries)", assertThrows(
                    IndexOutOfBoundsException.class, () -> s.rowStart(-1)).getMessage());
            assertEquals(2, s.rowStart(2));
            assertEquals("stored entry 2 outside 0..1 (the 2 stored entries)", assertThrows(
                    IndexOutOfBoundsException.class, () -> s.value(2)).getMessage());
            assertEquals("stored entry -1 outside 0..1 (the 2 stored entries)", assertThrows(
                    IndexOutOfBoundsException.class, () -> s.column(-1)).getMessage());
            assertEquals("index (5, 0) outside 2 x 2", assertThrows(IndexOutOfBoundsException.class,
                    () -> s.isStored(5, 0)).getMessage());
            assertEquals("index (0, 2) outside 2 x 2", assertThrows(IndexOutOfBoundsException.class,
                    () -> s.isStored(0, 2)).getMessage());
            assertEquals(2, s.value(1));
            assertEquals(1, s.column(1));
        }
    }
}
