package org.autobalance.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;

/**
 * Any bytes given to the Matrix Market reader give a finite matrix or a {@link MatrixFormatException} — never another
 * exception, an allocation the input cannot back, a leaked matrix or a hang. Under plain {@code mvn test} this runs
 * the seed corpus in {@code MatrixMarketFuzzTestInputs/anyBytes/} (real files of every supported kind plus the
 * findings of earlier runs) as a regression test; {@code JAZZER_FUZZ=1} fuzzes (native-notes/reliability.md).
 */
class MatrixMarketFuzzTest {
    /** Small enough that a fuzzed header cannot make one execution slow; the real limit is physical memory. */
    private static final long MAX_MATRIX_BYTES = 1 << 24;

    /**
     * Any bytes after gzip's magic, read from a file (the only way the reader meets gzip) into a sparse matrix (whose
     * memory the input bounds, unlike a dense coordinate reading): the matrix or a {@link MatrixFormatException}.
     * Seeds: the gzip fixtures, and findings.
     */
    @FuzzTest(maxDuration = "10s")
    void gzipBytes(byte[] data) throws IOException {
        java.nio.file.Path file = java.nio.file.Files.createTempFile("fuzz", ".mtx.gz");
        try {
            byte[] gzip = new byte[data.length + 2];
            gzip[0] = 0x1F;
            gzip[1] = (byte) 0x8B;
            System.arraycopy(data, 0, gzip, 2, data.length);
            java.nio.file.Files.write(file, gzip);
            try (SparseMatrix m = MatrixMarket.readSparse(file, DType.FLOAT64)) {
                assertTrue(m.rows() > 0 && m.cols() > 0);
            } catch (MatrixFormatException expected) {
                // the documented outcome for malformed input
            }
        } finally {
            java.nio.file.Files.delete(file);
        }
    }

    /**
     * Any bytes as a file: the mapped, chunked reading gives what the streaming parser gives, matrix or message
     * ({@link MappedMatrixMarketTest#compare}); the dense readings only where the header declares a small matrix.
     * Seeds: those of anyBytes, and findings.
     */
    @FuzzTest(maxDuration = "10s")
    void mappedBytes(byte[] data) throws IOException {
        java.nio.file.Path file = java.nio.file.Files.createTempFile("fuzz", ".mtx");
        try {
            java.nio.file.Files.write(file, data);
            boolean small;
            try {
                MatrixMarket.Header h = MatrixMarket.readHeader(file);
                small = (long) h.rows() * h.cols() <= 1 << 16;
            } catch (MatrixFormatException malformed) {
                small = true;
            }
            MappedMatrixMarketTest.compare(file, "fuzz", small, 1, 2, 7);
        } finally {
            java.nio.file.Files.delete(file);
        }
    }

    @FuzzTest(maxDuration = "10s")
    void anyBytes(byte[] data) throws IOException {
        // the first byte picks the dtype, so that both parsers' rounding paths are fuzzed
        DType dtype = data.length > 0 && (data[0] & 1) == 1 ? DType.FLOAT32 : DType.FLOAT64;
        String text = new String(data, StandardCharsets.ISO_8859_1);
        List<DenseMatrix> allocated = new ArrayList<>();
        DenseMatrix read;
        try {
            read = MatrixMarket.read(new StringReader(text), "fuzz", dtype, allocated::add, text.length(),
                    MAX_MATRIX_BYTES);
        } catch (MatrixFormatException expected) {
            // the documented outcome for malformed input; it must not leave the matrix allocated
            for (DenseMatrix a : allocated) {
                assertTrue(a.isClosed(), "a failed read left its matrix open");
            }
            return;
        }
        try (DenseMatrix m = read) {
            assertEquals(List.of(m), allocated);
            assertNull(m.firstNonFinite(), "a non-finite value was accepted");
            assertTrue((long) m.rows() * m.cols() * dtype.bytes() <= MAX_MATRIX_BYTES);
            // an array value needs at least a digit and a separator, so the size check admits no array larger than
            // the input (a coordinate file may declare any size with few entries: only the memory limit applies)
            String banner = text.lines().findFirst().orElse("").toLowerCase(java.util.Locale.ROOT);
            if (banner.contains(" array ")) {
                assertTrue((long) m.rows() * m.cols() <= 2L * text.length(), "array larger than its input");
            }
        }
    }
}
