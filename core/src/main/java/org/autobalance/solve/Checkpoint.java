package org.autobalance.solve;

import static org.autobalance.solve.internal.CheckpointWriter.DIGEST_BYTES;
import static org.autobalance.solve.internal.CheckpointWriter.MAGIC;
import static org.autobalance.solve.internal.CheckpointWriter.fromBits;
import static org.autobalance.solve.internal.CheckpointWriter.layout;
import static org.autobalance.solve.internal.CheckpointWriter.sha256;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.autobalance.io.internal.Interrupts;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.NativeMemory;
import org.autobalance.json.Json;
import org.autobalance.solve.internal.CheckpointReader;
import org.autobalance.solve.internal.FactorCheckpoint;

/**
 * The state of a run between two iterations, enough to continue it bit for bit; one format for the factorisation
 * ({@link Factorizer}, kind {@code factorize}) and the network trainer ({@code NetworkTrainer}, kind {@code network}).
 * Every checkpoint holds its kind, the iterations done, the elapsed time, the SHA-256 of the input, the
 * configuration (everything that changes the iterates), the checkpoint policy, exact scalars of the run's state and a
 * payload of named matrices and arrays (for the factorisation U and V).
 *
 * <p>For the factorisation: U and V, the σ₁ estimate the schedule was resolved with, the reference loss of the
 * divergence test, the state of the stop rule's plateau test, iterate 0's balance and norms (the start a resumed
 * run's summary reports, absent from checkpoints written before 2026-12-06), and the configuration (shape, rank,
 * dtype, storage, objective, schedule, variant, initialiser, seed, threads, tolerance, exact-loss interval, kernels).
 * The schedule's state is its iteration, and the random generator is used only before the first iteration and by
 * the plateau test, seeded by the iteration, so nothing else is needed.
 *
 * <p><b>File.</b> One file, {@code DIR/checkpoint}: the line {@code autobalance-checkpoint 2}, one line of JSON (the
 * scalars, doubles of the state as the hexadecimal of their bits so that they come back exactly, and the list of
 * payload blocks: name, dtype, rows, columns), the blocks row by row as little-endian float32 or float64, and the
 * SHA-256 of all the bytes before it. It is written to a temporary file in DIR (a name of its own per write), forced
 * to disk and renamed over the old one ({@code ATOMIC_MOVE}): a crash at any point leaves the old checkpoint or the
 * new one, never a mixture, and a checkpoint whose bytes the disk changed fails to load on its checksum. A solver
 * locks DIR for its run (a second one writing there is refused: {@code IllegalArgumentException} naming the holder),
 * and removes the temporary files of runs killed while writing.
 */
public final class Checkpoint {
    /** The file name inside the checkpoint directory. */
    public static final String FILE = "checkpoint";
    /**
     * Bytes read, and digested, between two looks at the interrupt status while a checkpoint loads: 4 MiB, a few
     * milliseconds of either.
     */
    private static final int BLOCK_BYTES = 1 << 22;

    private final Map<String, Object> header;
    private final byte[] payload;
    /** Per block name: {dtype bytes, rows, cols, offset in payload}. */
    private final Map<String, long[]> blocks;

    static {
        // the solvers' state (the divergence reference, the plateau test, a held-out best, the network trainer's) is
        // read by solve.internal's CheckpointReader through these, not by public members
        CheckpointReader.grant(new CheckpointReader.Access() {
            @Override
            public Object field(Checkpoint c, String key) {
                return c.header.get(key);
            }

            @Override
            public double exact(Checkpoint c, String key) {
                return c.exact(key);
            }

            @Override
            public double[] doubles(Checkpoint c, String name) {
                return c.doubles(name);
            }

            @Override
            public boolean has(Checkpoint c, String name) {
                return c.blocks.containsKey(name);
            }

            @Override
            public void restore(Checkpoint c, String name, DenseMatrix into) {
                c.restore(name, into);
            }

            @Override
            public void requireSameRun(Checkpoint c, String kind, String inputHash,
                    Map<String, Object> configuration) {
                c.requireSameRun(kind, inputHash, configuration);
            }

            @Override
            public void requireSameOptions(Checkpoint c, String kind, Map<String, Object> options) {
                c.requireSameConfiguration(kind, options, false);
            }

            @Override
            public void requireSameRun(Checkpoint c, DType dtype, int d1, int d2, int rank, String inputHash,
                    Map<String, Object> configuration) {
                c.requireShape(dtype, d1, d2, rank);
                c.requireSameRun(FactorCheckpoint.KIND, inputHash, configuration);
            }
        });
    }

    private Checkpoint(Map<String, Object> header, byte[] payload, Map<String, long[]> blocks) {
        this.header = header;
        this.payload = payload;
        this.blocks = blocks;
    }

    /** What wrote it: {@code factorize} or {@code network}. */
    public String kind() {
        return (String) header.get("kind");
    }

    /** Iterations done: the run continues with iteration t = {@code iteration()}. */
    public long iteration() {
        return ((Number) header.get("iteration")).longValue();
    }

    /**
     * The configuration the checkpoint was written with (keys as in {@code summary.json}): whole-number settings (the
     * shape, rank, seed, threads, …) as {@link Long}s, the others as {@link Double}s, strings and booleans, as written.
     */
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

    /**
     * The run's input digest, a SHA-256 (hex) that a resumed run must reproduce from the input it reads: for a
     * single-machine M, of M's elements row by row (a sparse M's: its shape, row starts, column indices and values);
     * for a network, of X's elements and then Y's; for the Spark engine, of the lines "digest of partition p" for
     * p = 0, 1, …, each the SHA-256 of that partition's rows (so it depends on the partitioning as well).
     */
    public String inputHash() {
        return (String) header.get("input_sha256");
    }

    /** Seconds the run had taken when the checkpoint was written (a resumed run's clock continues from here). */
    public double seconds() {
        return ((Number) header.get("seconds")).doubleValue();
    }

    private double exact(String key) {
        Object hex = header.get(key);
        if (!(hex instanceof String s)) {
            throw new IllegalArgumentException("the checkpoint holds no value " + key);
        }
        return fromBits(s);
    }

    private void restore(String name, DenseMatrix into) {
        long[] b = block(name);
        if (b[0] != into.dtype().bytes() || b[1] != into.rows() || b[2] != into.cols()) {
            throw new IllegalArgumentException("checkpoint block " + name + " is " + b[1] + " x " + b[2] + " of "
                    + b[0] + "-byte elements, the run needs " + into.rows() + " x " + into.cols() + " "
                    + into.dtype().label());
        }
        into.copyFrom(MemorySegment.ofArray(payload).asSlice(b[3], b[0] * b[1] * b[2]), layout(into.dtype()),
                DenseMatrix.Order.ROW_MAJOR);
    }

    private double[] doubles(String name) {
        long[] b = block(name);
        if (b[0] != Double.BYTES || b[1] != 1) {
            throw new IllegalArgumentException("checkpoint block " + name + " is not an array of doubles");
        }
        double[] a = new double[Math.toIntExact(b[2])];
        MemorySegment.copy(MemorySegment.ofArray(payload), layout(DType.FLOAT64), b[3], a, 0, a.length);
        return a;
    }

    private long[] block(String name) {
        long[] b = blocks.get(name);
        if (b == null) {
            throw new IllegalArgumentException("the checkpoint holds no block " + name);
        }
        return b;
    }

    private void requireSameRun(String kind, String inputHash, Map<String, Object> configuration) {
        requireSameConfiguration(kind, configuration, true);
        // after the configuration: an input hash may depend on it (the Spark module's, on the partitioning)
        if (!inputHash.equals(inputHash())) {
            throw new IllegalArgumentException("the checkpoint was written for another input "
                    + (FactorCheckpoint.KIND.equals(kind) ? "matrix (its SHA-256 differs): resume with the same M"
                            : "(the SHA-256 of its data differs): resume with the same data"));
        }
    }

    /**
     * The part of the check on resume ({@link Factorizer.Builder#resumeFrom}) that needs no input: refuses to continue
     * this factorisation in another {@code dtype} or with other {@code options}, entries of the configuration a front
     * end knows before it reads M (the rank, seed, threads, …; keys as in {@code summary.json}), so that a mistaken
     * option is refused at once rather than after a long load (a new user's finding).
     *
     * @throws IllegalArgumentException naming the first difference, in the words of the check on resume
     * @throws NullPointerException if an argument is null
     */
    public void requireSameOptions(DType dtype, Map<String, Object> options) {
        Objects.requireNonNull(dtype, "dtype must not be null");
        Objects.requireNonNull(options, "options must not be null");
        requireKind(FactorCheckpoint.KIND);
        requireDtype(dtype);
        requireSameConfiguration(FactorCheckpoint.KIND, options, false);
    }

    /**
     * The kind, the engine and every entry of {@code configuration} against the saved ones; when it is the
     * {@code whole} configuration, also the saved entries it lacks (a setting present only when set, as the early
     * stopping patience, was otherwise dropped without a word by a resume that left it out).
     */
    private void requireSameConfiguration(String kind, Map<String, Object> configuration, boolean whole) {
        requireKind(kind);
        Map<String, Object> then = configuration();
        // the engine first: the two engines' configurations have different keys (threads, partitions), so the first
        // key compared would otherwise be reported as "null"
        Object engine = configuration.get("engine");
        if (!Objects.equals(then.get("engine"), engine)) {
            throw new IllegalArgumentException("the checkpoint was written by " + engine(then.get("engine"))
                    + ", this run is on " + engine(engine) + ": resume it on the engine that wrote it");
        }
        for (Map.Entry<String, Object> e : configuration.entrySet()) {
            Object saved = then.get(e.getKey());
            boolean same = saved instanceof Number a && e.getValue() instanceof Number b
                    ? sameNumber(a, b) : Objects.equals(saved, e.getValue());
            if (!same && e.getKey().equals(Factorizer.HELD_OUT) && saved == null
                    && header.get("best_test_rmse") != null) {
                // a run with held-out entries, checkpointed before their digest was part of the configuration
                // (before 2026-12-05): they cannot be compared, and refusing would strand the checkpoint
                continue;
            }
            if (!same && e.getKey().equals(Factorizer.HELD_OUT)) {
                throw new IllegalArgumentException("the checkpoint was written " + (saved == null
                        ? "without held-out entries, this run has some: resume without them"
                        : "with other held-out entries (their SHA-256 differs): resume with the same ones "
                                + "(Builder.heldOut; on the command line the same --holdout FRACTION and --seed, or "
                                + "--test FILE)"));
            }
            if (!same) {
                throw new IllegalArgumentException("the checkpoint was written with " + e.getKey() + " " + show(saved)
                        + ", this run has " + show(e.getValue()) + ": resume with the same "
                        + (e.getKey().equals("kernels")
                                // no option of the run names them: the build, the CPU and autobalance.simd.* do
                                ? "build, machine and autobalance.simd.* settings as the run that wrote it"
                                : "configuration"));
            }
        }
        if (whole) {
            for (Map.Entry<String, Object> e : then.entrySet()) {
                if (!configuration.containsKey(e.getKey())) {
                    throw new IllegalArgumentException("the checkpoint was written with " + (e.getKey().equals(
                            Factorizer.HELD_OUT) ? "held-out entries" : e.getKey() + " " + show(e.getValue()))
                            + ", this run has none: resume with the same configuration");
                }
            }
        }
    }

    /**
     * Whether a saved number is the run's: JSON gives whole numbers back as doubles, except beyond 2⁵³ where a double
     * cannot hold them; there two seeds one apart are equal as doubles, so longs are compared as longs.
     */
    private static boolean sameNumber(Number saved, Number now) {
        return saved instanceof Long a && (now instanceof Long || now instanceof Integer)
                ? a == now.longValue() : saved.doubleValue() == now.doubleValue();
    }

    /** An engine as configurations name it ({@code engine}: none for the single-machine one), in a message. */
    private static String engine(Object name) {
        return name == null ? "the single-machine engine" : "the " + name + " engine";
    }

    private void requireKind(String kind) {
        if (!kind.equals(kind())) {
            throw new IllegalArgumentException("the checkpoint was written by " + kind() + ", not " + kind);
        }
    }

    /** A configuration value as written: whole numbers (which come back from JSON as doubles) without ".0". */
    private static String show(Object value) {
        return value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
                && Math.abs(n.doubleValue()) < 1e15 ? Long.toString(n.longValue()) : String.valueOf(value);
    }

    /** The σ₁ estimate the run's schedule was resolved with (NaN if it needed none). */
    public double sigma1() {
        return exact("sigma1");
    }

    /** Copies the saved factors into {@code u} and {@code v} (shapes and dtype as saved). */
    public void restore(DenseMatrix u, DenseMatrix v) {
        restore("U", u);
        restore("V", v);
    }

    /**
     * Loads the checkpoint in {@code dir}.
     *
     * @throws NoSuchFileException if {@code dir} holds no checkpoint
     * @throws java.io.InterruptedIOException if the calling thread is interrupted (before or during the load: it
     *         stops at its next block, naming the file, and the interrupt status stays set)
     * @throws IOException if the file is not a complete, intact checkpoint (the message says what is wrong)
     */
    public static Checkpoint load(Path dir) throws IOException {
        return load(dir, BLOCK_BYTES, () -> { });
    }

    /**
     * As {@link #load(Path)}, read and digested {@code blockBytes} at a time, {@code afterBlock} run after each block
     * (where a test interrupts the load midway).
     */
    static Checkpoint load(Path dir, int blockBytes, Runnable afterBlock) throws IOException {
        Path file = Objects.requireNonNull(dir, "checkpoint directory must not be null").resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no checkpoint in " + dir);
        }
        String where = "checkpoint " + file + ": ";
        byte[] all = readAll(file, where, blockBytes, afterBlock);
        if (all.length == 0) {
            // a disk that filled, or a copy that failed, before the first byte
            throw new IOException(where + "empty (0 bytes), not a checkpoint");
        }
        int prefix = Math.min(all.length, MAGIC.length());
        if (!new String(all, 0, prefix, StandardCharsets.ISO_8859_1).equals(MAGIC.substring(0, prefix))) {
            throw new IOException(where + "not an autobalance checkpoint (version 2)");
        }
        int headerEnd = MAGIC.length();
        while (headerEnd < all.length && all[headerEnd] != '\n') {
            headerEnd++;
        }
        long declared = headerEnd >= all.length ? -1 : declaredLength(all, headerEnd);
        if (headerEnd >= all.length || all.length < Math.max(declared, headerEnd + 1L + DIGEST_BYTES)) {
            // a checkpoint's beginning, then less than it declares: a copy that stopped, or a full disk ("checksum
            // mismatch" said only that the bytes differ)
            throw new IOException(where + "cut short: " + all.length + " bytes" + (declared > 0 ? " of the "
                    + declared + " its header declares" : headerEnd >= all.length ? ", ending inside its header" : "")
                    + "; copy it again, or resume from another checkpoint");
        }
        byte[] digest = digest(all, all.length - DIGEST_BYTES, file, blockBytes, afterBlock);
        if (!Arrays.equals(digest, Arrays.copyOfRange(all, all.length - DIGEST_BYTES, all.length))) {
            throw new IOException(where + "checksum mismatch: the file was changed or damaged after it was written");
        }
        Map<String, Object> header;
        Map<String, long[]> blocks = new LinkedHashMap<>();
        byte[] payload = Arrays.copyOfRange(all, Math.min(headerEnd + 1, all.length - DIGEST_BYTES),
                all.length - DIGEST_BYTES);
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> h = (Map<String, Object>) Json.parse(new String(all, MAGIC.length(),
                    headerEnd - MAGIC.length(), StandardCharsets.UTF_8), true);
            header = h;
            long offset = readBlocks(header, blocks);
            if (offset != payload.length) {
                throw new IllegalArgumentException("the blocks need " + offset + " bytes, the file holds "
                        + payload.length);
            }
            Checkpoint loaded = new Checkpoint(header, payload, blocks);
            // every scalar an accessor reads is there and of its type, so no accessor fails later
            loaded.kind().length();
            if (loaded.iteration() < 0 || !(loaded.seconds() >= 0)) {
                throw new IllegalArgumentException("iteration " + loaded.iteration() + ", seconds "
                        + loaded.seconds());
            }
            loaded.configuration();
            loaded.policy();
            loaded.inputHash().length();
            return loaded;
        } catch (IllegalArgumentException | ClassCastException | NullPointerException | ArithmeticException e) {
            // the checksum matched, so only a writer of another format gets here
            throw new IOException(where + "malformed header: " + e.getMessage(), e);
        }
    }

    /**
     * The bytes of {@code file}, read {@code blockBytes} at a time from a file channel, whose read on an interrupted
     * thread fails ({@link ClosedByInterruptException}): {@code Files.readAllBytes} reads the whole file in one call,
     * and a resume of a large checkpoint that a library user interrupted went on to the end of the read (the I/O
     * package's rule, {@code io.internal.Interrupts}, applies). {@code afterBlock} runs after each block.
     */
    private static byte[] readAll(Path file, String where, int blockBytes, Runnable afterBlock) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size > NativeMemory.MAX_ARRAY_LENGTH) {
                // more than an array holds (readAllBytes: OutOfMemoryError "Required array size too large")
                throw new IOException(where + size + " bytes, more than a checkpoint of this version can be");
            }
            byte[] all = new byte[(int) size];
            ByteBuffer buffer = ByteBuffer.wrap(all);
            // not hasRemaining(): the limit below ends each block, and a checkpoint over one block loaded as its first
            // block and zeros ("checksum mismatch")
            while (buffer.position() < all.length) {
                // an interrupted thread's read closes the channel and throws ClosedByInterruptException, caught below
                buffer.limit((int) Math.min(all.length, (long) buffer.position() + blockBytes));
                if (channel.read(buffer) < 0) {
                    // shorter than when it was opened: the checks below say it is cut short
                    return Arrays.copyOf(all, buffer.position());
                }
                afterBlock.run();
            }
            return all;
        } catch (ClosedByInterruptException e) {
            throw Interrupts.reading(file.toString(), e);
        }
    }

    /** The SHA-256 of the first {@code length} bytes of {@code all}, with a look at the interrupt status per block. */
    private static byte[] digest(byte[] all, int length, Path file, int blockBytes, Runnable afterBlock)
            throws IOException {
        MessageDigest sha = sha256();
        // long: a last block that ends past Integer.MAX_VALUE would wrap around
        for (long at = 0; at < length; at += blockBytes) {
            Interrupts.checkReading(file.toString());
            sha.update(all, (int) at, (int) Math.min(blockBytes, length - at));
            afterBlock.run();
        }
        return sha.digest();
    }

    /** Reads the header's list of payload blocks into {@code blocks} (name → {@link #blocks}); returns their bytes. */
    private static long readBlocks(Map<String, Object> header, Map<String, long[]> blocks) {
        long offset = 0;
        for (Object o : (List<?>) header.get("payload")) {
            Map<?, ?> b = (Map<?, ?>) o;
            long bytes = DType.parse((String) b.get("dtype")).bytes();
            long rows = ((Number) b.get("rows")).longValue();
            long cols = ((Number) b.get("cols")).longValue();
            if (rows < 0 || cols < 0) {
                throw new IllegalArgumentException("block " + b.get("name") + " is " + rows + " x " + cols);
            }
            blocks.put((String) b.get("name"), new long[] {bytes, rows, cols, offset});
            offset = Math.addExact(offset, Math.multiplyExact(bytes, Math.multiplyExact(rows, cols)));
        }
        return offset;
    }

    /**
     * The length of the whole file as its header line (ending at {@code headerEnd}) declares it, or −1 when the
     * header cannot say (damaged: the checksum then tells).
     */
    private static long declaredLength(byte[] all, int headerEnd) {
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> header = (Map<String, Object>) Json.parse(new String(all, MAGIC.length(),
                    headerEnd - MAGIC.length(), StandardCharsets.UTF_8), true);
            return Math.addExact(headerEnd + 1L + DIGEST_BYTES, readBlocks(header, new LinkedHashMap<>()));
        } catch (RuntimeException e) {
            return -1;
        }
    }

    /** Shapes and dtype of the saved factors, checked against the run that resumes. */
    private void requireShape(DType dtype, int d1, int d2, int rank) {
        requireKind(FactorCheckpoint.KIND);
        requireDtype(dtype);
        long[] u = block("U");
        long[] v = block("V");
        if (u[1] != d1 || v[1] != d2 || u[2] != rank || v[2] != rank) {
            // named by M's shape and the rank, what the user chose, rather than by the factors' sizes
            throw new IllegalArgumentException("the checkpoint is of a " + u[1] + " x " + v[1] + " matrix at rank "
                    + u[2] + ", this run is of a " + d1 + " x " + d2 + " matrix at rank " + rank);
        }
    }

    private void requireDtype(DType dtype) {
        if (!dtype.label().equals(header.get("dtype")) || block("U")[0] != dtype.bytes()
                || block("V")[0] != dtype.bytes()) {
            throw new IllegalArgumentException("the checkpoint is of a " + header.get("dtype") + " run, this run is "
                    + dtype.label());
        }
    }
}
