package org.autobalance.io;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.autobalance.memory.DType;
import org.autobalance.memory.SparseMatrix;
import org.autobalance.testing.Fixtures;

/**
 * Any bytes given to the {@code .npz} reader (as a file: it reads zip archives by path) give a finite sparse matrix,
 * or a {@link MatrixFormatException} — never another exception, a hang or an allocation the archive cannot back.
 * Seeds: the scipy-written fixtures (csr, csc, coo, float32 with int64 indices) in
 * {@code NpzFuzzTestInputs/anyBytes/}.
 */
class NpzFuzzTest {
    private static final Path FILE = Fixtures.scratchFile("npz-fuzz", ".npz");

    @FuzzTest(maxDuration = "10s")
    void anyBytes(byte[] data) throws IOException {
        Files.write(FILE, data);
        DType dtype = data.length > 0 && (data[data.length - 1] & 1) == 1 ? DType.FLOAT32 : DType.FLOAT64;
        SparseMatrix read;
        try {
            read = Npz.read(FILE, dtype);
        } catch (MatrixFormatException expected) {
            return;
        }
        try (SparseMatrix m = read) {
            assertNull(m.firstNonFinite(), "a non-finite value was accepted");
            // a deflated member can expand, but every stored entry needs its value and index in the archive's
            // uncompressed members, which zip's limit on the expansion ratio (1032:1 for deflate) bounds
            assertTrue(m.nonZeros() <= 1032L * data.length, "more entries than the archive can hold");
        }
    }
}
