package org.autobalance.solve.internal;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;

/**
 * The SHA-256 of matrices' elements: a run's input identity in its checkpoints (compared on resume), and the
 * factorisation's test that a step left U and V unchanged. The solvers' (and the Spark executors'), not the API's: a
 * checkpoint carries the digest it was written with ({@code Checkpoint.inputHash()}).
 */
public final class MatrixDigest {
    private MatrixDigest() {
    }

    /**
     * Bytes gathered from short rows before each update of the digest: an update per row (a buffer view and a call)
     * cost 25–125 ns a row, 53–255 ms a digest of a 2 000 000 × 1 float32 U, where gathered it takes 13–61 ms (one JVM,
     * alternated, a busy 2-core Zen 5; the digest itself runs at about 1 GB/s).
     */
    private static final int STAGING_BYTES = 1 << 16;

    /** The largest slice given to the digest at once: a ByteBuffer view holds at most 2³¹ − 1 bytes. */
    private static final long MAX_UPDATE = 1L << 30;

    /**
     * SHA-256 (hex) of the elements of {@code ms}, one after the other, each row by row, in the machine's byte order
     * (the shapes are part of a run's configuration). Rows without padding are digested as one run of bytes, short
     * rows gathered into a buffer first: the same bytes in the same order, so the same digest as row by row.
     */
    public static String of(DenseMatrix... ms) {
        MessageDigest sha = CheckpointWriter.sha256();
        MemorySegment staging = null;
        for (DenseMatrix m : ms) {
            long rowBytes = (long) m.cols() * m.dtype().bytes();
            long strideBytes = (long) m.stride() * m.dtype().bytes();
            MemorySegment s = m.segment();
            if (rowBytes == strideBytes) {
                update(sha, s.asSlice(0, m.rows() * rowBytes));
                continue;
            }
            if (rowBytes >= STAGING_BYTES) {
                for (int i = 0; i < m.rows(); i++) {
                    update(sha, s.asSlice(i * strideBytes, rowBytes));
                }
                continue;
            }
            staging = staging != null ? staging : MemorySegment.ofArray(new byte[STAGING_BYTES]);
            long filled = 0;
            for (int i = 0; i < m.rows(); i++) {
                if (filled + rowBytes > STAGING_BYTES) {
                    update(sha, staging.asSlice(0, filled));
                    filled = 0;
                }
                copyRow(s, i * strideBytes, staging, filled, m.cols(), m.dtype());
                filled += rowBytes;
            }
            update(sha, staging.asSlice(0, filled));
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /**
     * Copies a short row's elements as raw bits (NaN payloads too), in the machine's order, element by element: a
     * MemorySegment.copy per row of a few bytes took 4 times as long.
     */
    private static void copyRow(MemorySegment from, long at, MemorySegment to, long into, int cols, DType dtype) {
        if (dtype == DType.FLOAT32) {
            for (int c = 0; c < cols; c++) {
                to.set(ValueLayout.JAVA_INT_UNALIGNED, into + 4L * c, from.get(ValueLayout.JAVA_INT, at + 4L * c));
            }
        } else {
            for (int c = 0; c < cols; c++) {
                to.set(ValueLayout.JAVA_LONG_UNALIGNED, into + 8L * c, from.get(ValueLayout.JAVA_LONG, at + 8L * c));
            }
        }
    }

    /** Adds the bytes of {@code part} to the digest, in slices a ByteBuffer view can hold. */
    private static void update(MessageDigest sha, MemorySegment part) {
        for (long at = 0; at < part.byteSize(); at += MAX_UPDATE) {
            sha.update(part.asSlice(at, Math.min(MAX_UPDATE, part.byteSize() - at)).asByteBuffer());
        }
    }

    /** SHA-256 (hex) of a sparse {@code m}: its shape, row starts, column indices and values, in machine order. */
    public static String of(SparseMatrix m) {
        MessageDigest sha = CheckpointWriter.sha256();
        sha.update(ByteBuffer.allocate(8).putInt(m.rows()).putInt(m.cols()).flip());
        for (MemorySegment part : new MemorySegment[] {m.rowStarts(), m.columnIndices(), m.values()}) {
            update(sha, part);
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}
