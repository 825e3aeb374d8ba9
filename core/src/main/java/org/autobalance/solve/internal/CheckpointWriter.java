package org.autobalance.solve.internal;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.autobalance.io.internal.AtomicFile;
import org.autobalance.json.Json;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.solve.Checkpoint;

/**
 * Writes the file {@link Checkpoint} reads (its format: {@link Checkpoint}'s class documentation): the common fields
 * at {@link #start}, the state's exact scalars and payload blocks by the methods, then {@link #writeTo}. The solvers'
 * own (the factorisation, the network trainer and its step back-off and escape probe, the Spark driver through
 * core's): a library user resumes from a checkpoint, the solver writes it.
 */
public final class CheckpointWriter {
    /** The file's first line: the format and its version. */
    public static final String MAGIC = "autobalance-checkpoint 2\n";
    /** The bytes of the SHA-256 that ends the file. */
    public static final int DIGEST_BYTES = 32;

    private final Map<String, Object> header = new LinkedHashMap<>();
    private final List<Map<String, Object>> descriptions = new ArrayList<>();
    private final List<DenseMatrix> matrices = new ArrayList<>();
    private final List<double[]> arrays = new ArrayList<>();
    private long payloadBytes;

    private CheckpointWriter() {
    }

    /**
     * A checkpoint to write, with the fields every checkpoint has.
     *
     * @param inputHash the input's {@link MatrixDigest}
     * @param configuration what {@link CheckpointReader#requireSameRun} compares on resume
     * @param everyIterations the policy's interval in iterations (0 if unused), for {@link Checkpoint#policy()}
     * @param everySeconds the policy's interval in seconds (0 if unused)
     */
    public static CheckpointWriter start(String kind, long iteration, double seconds, String inputHash,
            Map<String, Object> configuration, double everyIterations, double everySeconds) {
        CheckpointWriter w = new CheckpointWriter();
        w.header.put("kind", kind);
        w.header.put("iteration", iteration);
        w.header.put("seconds", seconds);
        w.header.put("input_sha256", inputHash);
        w.header.put("every_iterations", everyIterations);
        w.header.put("every_seconds", everySeconds);
        w.header.put("config", configuration);
        return w;
    }

    /** A double of the state, saved exactly (read back by {@link CheckpointReader#exact}). */
    public CheckpointWriter exact(String key, double value) {
        header.put(key, bits(value));
        return this;
    }

    /** A field of the header as JSON writes it (a kind's own fields: the factorisation's dtype and plateau state). */
    public CheckpointWriter field(String key, Object value) {
        header.put(key, value);
        return this;
    }

    /** A matrix of the state, saved row by row in its dtype (read back by {@link CheckpointReader#restore}). */
    public CheckpointWriter matrix(String name, DenseMatrix m) {
        describe(name, m.dtype(), m.rows(), m.cols());
        matrices.add(m);
        arrays.add(null);
        return this;
    }

    /** An array of the state (read back by {@link CheckpointReader#doubles}). */
    public CheckpointWriter doubles(String name, double[] values) {
        describe(name, DType.FLOAT64, 1, values.length);
        matrices.add(null);
        arrays.add(values.clone());
        return this;
    }

    private void describe(String name, DType dtype, int rows, int cols) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("name", name);
        d.put("dtype", dtype.label());
        d.put("rows", (long) rows);
        d.put("cols", (long) cols);
        descriptions.add(d);
        payloadBytes += (long) rows * cols * dtype.bytes();
    }

    /**
     * Writes the checkpoint to {@code dir} atomically, replacing the one there. The solvers hold the directory's
     * lock while they write (a second writer of one directory is refused when its run starts).
     */
    public void writeTo(Path dir) throws IOException {
        header.put("payload", descriptions);
        byte[] head = (MAGIC + Json.object(header) + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[Math.toIntExact(head.length + payloadBytes + DIGEST_BYTES)];
        System.arraycopy(head, 0, all, 0, head.length);
        MemorySegment segment = MemorySegment.ofArray(all);
        long at = head.length;
        for (int k = 0; k < matrices.size(); k++) {
            DenseMatrix m = matrices.get(k);
            if (m != null) {
                long bytes = (long) m.rows() * m.cols() * m.dtype().bytes();
                m.copyTo(segment.asSlice(at, bytes), layout(m.dtype()), DenseMatrix.Order.ROW_MAJOR);
                at += bytes;
            } else {
                double[] a = arrays.get(k);
                MemorySegment.copy(a, 0, segment, layout(DType.FLOAT64), at, a.length);
                at += (long) a.length * Double.BYTES;
            }
        }
        MessageDigest sha = sha256();
        sha.update(all, 0, all.length - DIGEST_BYTES);
        System.arraycopy(sha.digest(), 0, all, all.length - DIGEST_BYTES, DIGEST_BYTES);

        Files.createDirectories(dir);
        // a temporary file of its own, so that two writers never share one; one left by a run killed while
        // writing is removed by the next run to lock the directory (RunLock)
        AtomicFile.replace(dir.resolve(Checkpoint.FILE), all);
    }

    /** A double as the file keeps it: the hexadecimal of its bits, so that it comes back exactly. */
    public static String bits(double x) {
        return Long.toHexString(Double.doubleToRawLongBits(x));
    }

    /** The double that {@link #bits} wrote as {@code hex}. */
    public static double fromBits(String hex) {
        return Double.longBitsToDouble(Long.parseUnsignedLong(hex, 16));
    }

    /** The layout of a payload block's elements: little-endian, unaligned. */
    public static ValueLayout layout(DType dtype) {
        return (dtype == DType.FLOAT32 ? ValueLayout.JAVA_FLOAT_UNALIGNED : ValueLayout.JAVA_DOUBLE_UNALIGNED)
                .withOrder(ByteOrder.LITTLE_ENDIAN);
    }

    /** A SHA-256 digest: the file's checksum and the input's hash. */
    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
