package org.autobalance.io;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.lang.foreign.MemorySegment;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;

/**
 * Any bytes given to the {@code .npy} reader give a finite matrix no larger than its data, or a
 * {@link MatrixFormatException} — never another exception, a hang or an allocation the file cannot back. Seeds: the
 * numpy-written fixtures of every supported and unsupported kind ({@code NpyFuzzTestInputs/anyBytes/}).
 */
class NpyFuzzTest {
    @FuzzTest(maxDuration = "10s")
    void anyBytes(byte[] data) {
        // the last byte picks the dtype: the first ones are the magic string the fuzzer should keep
        DType dtype = data.length > 0 && (data[data.length - 1] & 1) == 1 ? DType.FLOAT32 : DType.FLOAT64;
        DenseMatrix read;
        try {
            read = Npy.read(MemorySegment.ofArray(data), "fuzz", dtype);
        } catch (MatrixFormatException expected) {
            return;
        }
        try (DenseMatrix m = read) {
            assertNull(m.firstNonFinite(), "a non-finite value was accepted");
            // every element comes from at least one byte of data (an int8 or bool array): the matrix is at most
            // 8 bytes per input byte, never an allocation that the input's header alone asked for
            assertTrue((long) m.rows() * m.cols() <= data.length, "more elements than input bytes");
        }
    }
}
