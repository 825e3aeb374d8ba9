package org.autobalance.solve.internal;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
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
     * SHA-256 (hex) of the elements of {@code ms}, one after the other, each row by row, in the machine's byte order
     * (the shapes are part of a run's configuration).
     */
    public static String of(DenseMatrix... ms) {
        MessageDigest sha = CheckpointWriter.sha256();
        for (DenseMatrix m : ms) {
            long rowBytes = (long) m.cols() * m.dtype().bytes();
            long strideBytes = (long) m.stride() * m.dtype().bytes();
            for (int i = 0; i < m.rows(); i++) {
                sha.update(m.segment().asSlice(i * strideBytes, rowBytes).asByteBuffer());
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** SHA-256 (hex) of a sparse {@code m}: its shape, row starts, column indices and values, in machine order. */
    public static String of(SparseMatrix m) {
        MessageDigest sha = CheckpointWriter.sha256();
        sha.update(ByteBuffer.allocate(8).putInt(m.rows()).putInt(m.cols()).flip());
        for (MemorySegment part : new MemorySegment[] {m.rowStarts(), m.columnIndices(), m.values()}) {
            // a ByteBuffer view holds at most 2³¹ − 1 bytes
            for (long at = 0; at < part.byteSize(); at += 1L << 30) {
                sha.update(part.asSlice(at, Math.min(1L << 30, part.byteSize() - at)).asByteBuffer());
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}
