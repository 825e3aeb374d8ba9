package org.autobalance.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.autobalance.io.DelimitedText.Separator;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;

/**
 * Any bytes given to the delimited-text reader give a finite matrix no larger than the text can hold, or a
 * {@link MatrixFormatException} — never another exception, a hang or an allocation the text cannot back — and the same
 * outcome (matrix or message) whether the bytes arrive at once into the usual buffer or a few at a time, as from a
 * pipe, into a buffer of a few bytes (refilled, grown and the line re-read at every place). The first byte picks the
 * separator (its value mod 3), the dtype (bit 2) and the small buffer (the rest); the rest is the text. Seeds: the
 * numpy-written fixtures and hostile lines ({@code DelimitedTextFuzzTestInputs/anyBytes/}); {@code JAZZER_FUZZ=1}
 * fuzzes (native-notes/reliability.md).
 */
class DelimitedTextFuzzTest {
    /** Small enough that no execution is slow; the real limit is the machine's memory. */
    private static final long MAX_MATRIX_BYTES = 1 << 24;

    @FuzzTest(maxDuration = "10s")
    void anyBytes(byte[] data) throws IOException {
        if (data.length == 0) {
            return;
        }
        Separator separator = Separator.values()[(data[0] & 0xFF) % 3];
        DType dtype = (data[0] & 4) == 0 ? DType.FLOAT64 : DType.FLOAT32;
        Object whole = outcome(new ByteArrayInputStream(data, 1, data.length - 1), separator, dtype, 1 << 16);
        // a buffer of 1 to 32 bytes at first, picked by the first byte's high bits
        Object trickled = outcome(new Trickle(data, 1, data.length), separator, dtype, 1 + ((data[0] & 0xF8) >> 3));
        if (whole instanceof double[][] values) {
            // n values need n digits and n - 1 separators or line ends
            long elements = (long) values.length * values[0].length;
            assertTrue(elements <= data.length / 2, "more values than the text can hold");
            assertTrue(trickled instanceof double[][], "read at once, not a few bytes at a time: " + trickled);
            assertArrayEquals(values, (double[][]) trickled);
        } else {
            assertEquals(whole, trickled);
        }
    }

    /** The matrix's values, or the message of the format error. */
    private static Object outcome(InputStream in, Separator separator, DType dtype, int bufferBytes)
            throws IOException {
        DenseMatrix read;
        try {
            read = DelimitedText.read(in, "fuzz", separator, dtype, note -> { }, MAX_MATRIX_BYTES, bufferBytes);
        } catch (MatrixFormatException e) {
            return e.getMessage();
        }
        try (DenseMatrix m = read) {
            assertNull(m.firstNonFinite(), "a non-finite value was accepted");
            return m.toArray();
        }
    }
}
