package org.autobalance.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Inputs crafted to break a reader, found by trying the public API as a new user (sixteenth session). */
class HostileInputTest {
    @TempDir
    Path dir;

    /** A version 1.0 {@code .npy} file of {@code header} (its dict, unpadded) and {@code dataBytes} zero bytes. */
    private Path npy(String header, int dataBytes) throws IOException {
        int total = (10 + header.length() + 1 + 63) / 64 * 64;
        byte[] file = new byte[total + dataBytes];
        byte[] magic = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) (total - 10), (byte) ((total - 10) >> 8)};
        System.arraycopy(magic, 0, file, 0, magic.length);
        byte[] text = header.getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(text, 0, file, 10, text.length);
        java.util.Arrays.fill(file, 10 + text.length, total - 1, (byte) ' ');
        file[total - 1] = '\n';
        return Files.write(dir.resolve("m.npy"), file);
    }

    /**
     * A header of thousands of nested parentheses (it fits the 65535 bytes of a version 1.0 header) ended the
     * recursive parse in a {@link StackOverflowError}; it is a malformed header, and 32 levels are read.
     */
    @Test
    void aDeeplyNestedNpyHeaderIsMalformed() throws IOException {
        Path deep = npy("{'descr': '<f8', 'fortran_order': False, 'shape': " + "(".repeat(5000) + ")".repeat(5000)
                + ", }", 8);
        MatrixFormatException e = assertThrows(MatrixFormatException.class, () -> Npy.read(deep, DType.FLOAT64));
        // character 82 is the 32nd parenthesis, level 33 under the dict
        assertEquals("malformed .npy header: nested more than 32 levels deep at character 82 of '{'descr': '<f8', "
                + "'fortran_order': False, 'shape': ((((((((((...'", e.problem());
        // 32 levels (the dict and 31 tuples) are parsed, and the shape then refused as not a tuple of integers
        Path deepest = npy("{'descr': '<f8', 'fortran_order': False, 'shape': " + "(".repeat(31) + ")".repeat(31)
                + ", }", 8);
        String problem = assertThrows(MatrixFormatException.class, () -> Npy.read(deepest, DType.FLOAT64)).problem();
        assertTrue(problem.startsWith("malformed .npy header: 'shape' must be a tuple of non-negative integers, "
                + "found ((((((((((((((((((((((((((((((("), problem);
    }

    /** {@code readRows} with a first row near 2⁶³: first + count wrapped, passed the range check and read row 0. */
    @Test
    void aRowRangeBeyondTheLongsIsRefused() throws IOException {
        Path m = Files.writeString(dir.resolve("m.mtx"), "%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n");
        for (long first : new long[] {Long.MAX_VALUE, Long.MAX_VALUE - 1, 2}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> MatrixMarket.readRows(m, DType.FLOAT64, first, 2));
            assertEquals(m + ": 2 rows from row " + first + " (0-based) are not a range of its 2 rows",
                    e.getMessage());
        }
        try (DenseMatrix last = MatrixMarket.readRows(m, DType.FLOAT64, 1, 1)) {
            assertEquals(2, last.get(0, 0));
            assertEquals(4, last.get(0, 1));
        }
    }

    /** The bytes of a freed arena: the FFM API's "Already closed", naming nothing. */
    @Test
    void bytesWhoseMemoryWasFreedAreNamed() {
        java.lang.foreign.MemorySegment freed;
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            freed = arena.allocate(128);
        }
        assertEquals("cannot read x.npy: the memory of its bytes was freed (the segment's arena is closed)",
                assertThrows(IllegalArgumentException.class, () -> Npy.read(freed, "x.npy", DType.FLOAT64))
                        .getMessage());
    }
}
