package org.autobalance.solve;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.json.Json;
import org.autobalance.memory.SparseMatrix;

/**
 * The state of a run between two iterations, enough to continue it bit for bit: U and V, the number of iterations
 * done, the σ₁ estimate the schedule was resolved with, the reference loss of the divergence test, the state of the
 * stop rule's plateau test, the elapsed time, the SHA-256 of the input matrix (dense or sparse) and the configuration
 * (everything that changes the iterates: shape, rank, dtype, storage, objective, schedule, variant, initialiser, seed,
 * threads, tolerance, exact-loss interval, kernels). The schedule's state is its iteration, and the random generator
 * is used only before the first iteration and by the plateau test, seeded by the iteration, so nothing else is
 * needed.
 *
 * <p><b>File.</b> One file, {@code DIR/checkpoint}: the line {@code autobalance-checkpoint 1}, one line of JSON (the
 * scalars; doubles as the hexadecimal of their bits, so they come back exactly), U and V row by row as little-endian
 * float32 or float64, and the SHA-256 of all the bytes before it. It is written to a temporary file in DIR, forced to
 * disk and renamed over the old one ({@code ATOMIC_MOVE}): a crash at any point leaves the old checkpoint or the new
 * one, never a mixture, and a checkpoint whose bytes the disk changed fails to load on its checksum.
 */
public final class Checkpoint {
    /** The file name inside the checkpoint directory. */
    public static final String FILE = "checkpoint";
    private static final String MAGIC = "autobalance-checkpoint 1\n";
    private static final int DIGEST_BYTES = 32;

    private final Map<String, Object> header;
    private final byte[] factors;

    /**
     * The loop's state after {@code iteration} iterations.
     *
     * @param plateau the plateau test's state, null for an objective without one
     */
    record Progress(long iteration, double sigma1, double referenceLoss, double seconds, boolean onPlateau,
            PlateauCheck.State plateau) {
    }

    private Checkpoint(Map<String, Object> header, byte[] factors) {
        this.header = header;
        this.factors = factors;
    }

    /** Iterations done: the run continues with iteration t = {@code iteration()}. */
    public long iteration() {
        return ((Number) header.get("iteration")).longValue();
    }

    /** The configuration the checkpoint was written with (keys as in {@code summary.json}). */
    public Map<String, Object> configuration() {
        @SuppressWarnings("unchecked")
        Map<String, Object> config = (Map<String, Object>) header.get("config");
        return Map.copyOf(config);
    }

    /** The checkpoint policy it was written with: {every iterations, every seconds} (0 where unused). */
    public double[] policy() {
        return new double[] {((Number) header.get("every_iterations")).doubleValue(),
            ((Number) header.get("every_seconds")).doubleValue()};
    }

    /** The SHA-256 (hex) of the input matrix's elements, row by row. */
    public String inputHash() {
        return (String) header.get("input_sha256");
    }

    /** The σ₁ estimate the run's schedule was resolved with (NaN if it needed none). */
    public double sigma1() {
        return bits("sigma1");
    }

    double referenceLoss() {
        return bits("reference_loss");
    }

    double seconds() {
        return ((Number) header.get("seconds")).doubleValue();
    }

    /** Whether the last iteration before the checkpoint passed the first-order test (the verdict of a run ending). */
    boolean onPlateau() {
        return Boolean.TRUE.equals(header.get("on_plateau"));
    }

    /** The plateau test's state (level ϑ and the rationing of its checks). */
    PlateauCheck.State plateauState() {
        @SuppressWarnings("unchecked")
        Map<String, Object> p = (Map<String, Object>) header.get("plateau");
        return new PlateauCheck.State(fromBits((String) p.get("level")), ((Number) p.get("last_check")).longValue(),
                ((Number) p.get("last_unlearned")).intValue(), Boolean.TRUE.equals(p.get("last_plateau")));
    }

    private double bits(String key) {
        return fromBits((String) header.get(key));
    }

    private static double fromBits(String hex) {
        return Double.longBitsToDouble(Long.parseUnsignedLong(hex, 16));
    }

    private static String bits(double x) {
        return Long.toHexString(Double.doubleToRawLongBits(x));
    }

    /** Copies the saved factors into {@code u} and {@code v} (shapes and dtype as saved). */
    public void restore(DenseMatrix u, DenseMatrix v) {
        ValueLayout element = layout(u.dtype());
        MemorySegment all = MemorySegment.ofArray(factors);
        long uBytes = (long) u.rows() * u.cols() * u.dtype().bytes();
        u.copyFrom(all.asSlice(0, uBytes), element, DenseMatrix.Order.ROW_MAJOR);
        v.copyFrom(all.asSlice(uBytes), element, DenseMatrix.Order.ROW_MAJOR);
    }

    private static ValueLayout layout(DType dtype) {
        return (dtype == DType.FLOAT32 ? ValueLayout.JAVA_FLOAT_UNALIGNED : ValueLayout.JAVA_DOUBLE_UNALIGNED)
                .withOrder(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Loads the checkpoint in {@code dir}.
     *
     * @throws NoSuchFileException if {@code dir} holds no checkpoint
     * @throws IOException if the file is not a complete, intact checkpoint (the message says what is wrong)
     */
    public static Checkpoint load(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no checkpoint in " + dir);
        }
        byte[] all = Files.readAllBytes(file);
        String where = "checkpoint " + file + ": ";
        if (all.length < MAGIC.length() + DIGEST_BYTES
                || !new String(all, 0, MAGIC.length(), StandardCharsets.ISO_8859_1).equals(MAGIC)) {
            throw new IOException(where + "not an autobalance checkpoint (version 1)");
        }
        byte[] digest = sha256().digest(Arrays.copyOf(all, all.length - DIGEST_BYTES));
        if (!Arrays.equals(digest, Arrays.copyOfRange(all, all.length - DIGEST_BYTES, all.length))) {
            throw new IOException(where + "checksum mismatch: the file was changed or damaged after it was written");
        }
        int headerEnd = MAGIC.length();
        while (headerEnd < all.length && all[headerEnd] != '\n') {
            headerEnd++;
        }
        Map<String, Object> header;
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> h = (Map<String, Object>) Json.parse(new String(all, MAGIC.length(),
                    headerEnd - MAGIC.length(), StandardCharsets.UTF_8));
            header = h;
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new IOException(where + "malformed header: " + e.getMessage(), e);
        }
        byte[] factors = Arrays.copyOfRange(all, headerEnd + 1, all.length - DIGEST_BYTES);
        return new Checkpoint(header, factors);
    }

    /**
     * Refuses to continue another run: other shapes or precision, another input matrix (by {@code inputHash}), or
     * another configuration (every entry of {@code configuration}, as written by the run; the limits of time and
     * iterations are not in it and may differ).
     *
     * @throws IllegalArgumentException saying what differs
     */
    public void requireSameRun(DType dtype, int d1, int d2, int rank, String inputHash,
            Map<String, Object> configuration) {
        requireShape(dtype, d1, d2, rank);
        Map<String, Object> then = configuration();
        for (Map.Entry<String, Object> e : configuration.entrySet()) {
            Object saved = then.get(e.getKey());
            boolean same = saved instanceof Number a && e.getValue() instanceof Number b
                    ? a.doubleValue() == b.doubleValue() : Objects.equals(saved, e.getValue());
            if (!same) {
                throw new IllegalArgumentException("the checkpoint was written with " + e.getKey() + " "
                        + show(saved) + ", this run has " + show(e.getValue())
                        + ": resume with the same configuration");
            }
        }
        // after the configuration: an input hash may depend on it (the Spark module's, on the partitioning)
        if (!inputHash().equals(inputHash)) {
            throw new IllegalArgumentException("the checkpoint was written for another input matrix (its "
                    + "SHA-256 differs): resume with the same M");
        }
    }

    /** A configuration value as written: whole numbers (which come back from JSON as doubles) without ".0". */
    private static String show(Object value) {
        return value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
                && Math.abs(n.doubleValue()) < 1e15 ? Long.toString(n.longValue()) : String.valueOf(value);
    }

    /** Shapes and dtype of the saved factors, checked against the run that resumes. */
    void requireShape(DType dtype, int d1, int d2, int rank) {
        long expected = (long) (d1 + d2) * rank * dtype.bytes();
        if (!dtype.label().equals(header.get("dtype")) || factors.length != expected) {
            throw new IllegalArgumentException("checkpoint holds " + header.get("dtype") + " factors of "
                    + factors.length + " bytes, this run needs " + dtype.label() + " factors of " + expected
                    + " bytes (" + d1 + " x " + rank + " and " + d2 + " x " + rank + ")");
        }
    }

    /**
     * Writes a checkpoint to {@code dir} atomically (see the class documentation).
     *
     * @param every {every iterations, every seconds} of the policy, for {@link #policy()}
     */
    static void write(Path dir, DenseMatrix u, DenseMatrix v, Progress progress, String inputHash,
            Map<String, Object> config, double[] every) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("iteration", progress.iteration());
        header.put("dtype", u.dtype().label());
        header.put("sigma1", bits(progress.sigma1()));
        header.put("reference_loss", bits(progress.referenceLoss()));
        header.put("seconds", progress.seconds());
        header.put("on_plateau", progress.onPlateau());
        if (progress.plateau() != null) {
            PlateauCheck.State p = progress.plateau();
            Map<String, Object> plateau = new LinkedHashMap<>();
            plateau.put("level", bits(p.level()));
            plateau.put("last_check", p.lastCheck());
            plateau.put("last_unlearned", (long) p.lastUnlearned());
            plateau.put("last_plateau", p.lastPlateau());
            header.put("plateau", plateau);
        }
        header.put("input_sha256", inputHash);
        header.put("every_iterations", every[0]);
        header.put("every_seconds", every[1]);
        header.put("config", config);
        byte[] head = (MAGIC + Json.object(header) + "\n").getBytes(StandardCharsets.UTF_8);
        int bytes = u.dtype().bytes();
        long uBytes = (long) u.rows() * u.cols() * bytes;
        long vBytes = (long) v.rows() * v.cols() * bytes;
        byte[] all = new byte[Math.toIntExact(head.length + uBytes + vBytes + DIGEST_BYTES)];
        System.arraycopy(head, 0, all, 0, head.length);
        MemorySegment segment = MemorySegment.ofArray(all);
        ValueLayout element = layout(u.dtype());
        u.copyTo(segment.asSlice(head.length, uBytes), element, DenseMatrix.Order.ROW_MAJOR);
        v.copyTo(segment.asSlice(head.length + uBytes, vBytes), element, DenseMatrix.Order.ROW_MAJOR);
        MessageDigest sha = sha256();
        sha.update(all, 0, all.length - DIGEST_BYTES);
        System.arraycopy(sha.digest(), 0, all, all.length - DIGEST_BYTES, DIGEST_BYTES);

        Files.createDirectories(dir);
        Path target = dir.resolve(FILE);
        Path temp = dir.resolve("." + FILE + ".tmp");
        // a temporary file left by a run killed while writing is simply overwritten
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buffer = ByteBuffer.wrap(all);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            // without this a crash soon after the rename could leave the name pointing at unwritten data
            channel.force(true);
        }
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** SHA-256 (hex) of {@code m}'s elements, row by row, in the machine's byte order (the input's identity). */
    public static String hash(DenseMatrix m) {
        MessageDigest sha = sha256();
        long rowBytes = (long) m.cols() * m.dtype().bytes();
        long strideBytes = (long) m.stride() * m.dtype().bytes();
        for (int i = 0; i < m.rows(); i++) {
            sha.update(m.segment().asSlice(i * strideBytes, rowBytes).asByteBuffer());
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** SHA-256 of a sparse {@code m}: its shape, row starts, column indices and values, in the machine's order. */
    static String hash(SparseMatrix m) {
        MessageDigest sha = sha256();
        sha.update(ByteBuffer.allocate(8).putInt(m.rows()).putInt(m.cols()).flip());
        for (MemorySegment part : new MemorySegment[] {m.rowStarts(), m.columnIndices(), m.values()}) {
            // a ByteBuffer view holds at most 2³¹ − 1 bytes
            for (long at = 0; at < part.byteSize(); at += 1L << 30) {
                sha.update(part.asSlice(at, Math.min(1L << 30, part.byteSize() - at)).asByteBuffer());
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
