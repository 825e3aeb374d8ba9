package org.autobalance.memory;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.ObjectName;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.autobalance.io.DelimitedText;
import org.autobalance.io.MatrixFormatException;
import org.autobalance.io.MatrixMarket;
import org.autobalance.io.Npy;
import org.autobalance.io.NpyHeader;
import org.autobalance.network.Architecture;
import org.autobalance.network.NetworkDivergenceException;
import org.autobalance.network.NetworkTrainer;
import org.autobalance.schedule.ConstantSchedule;
import org.autobalance.solve.CancelToken;
import org.autobalance.solve.DivergenceException;
import org.autobalance.solve.Factorizer;
import org.autobalance.solve.Objective;
import org.autobalance.solve.Result;
import org.autobalance.solve.StopReason;

/**
 * The child JVM of {@link NativeMemoryLeakTest}: runs allocate/free cycles of everything that holds native memory and
 * prints what Native Memory Tracking saw before and after. Output lines: {@code nmt-off} (and exit 3) when the JVM
 * runs without {@code -XX:NativeMemoryTracking}, else {@code before OTHER_BYTES THREADS},
 * {@code after OTHER_BYTES THREADS} and {@code cycles N}.
 */
public final class LeakProbe {
    private static final Pattern OTHER = Pattern.compile("-\\s+Other \\(reserved=(\\d+), committed=(\\d+)\\)");
    private static final Pattern THREADS = Pattern.compile("\\(threads #(\\d+)\\)");

    private LeakProbe() {
    }

    /** {@code args[0]}: warm-up cycles, {@code args[1]}: measured cycles. */
    public static void main(String[] args) throws Exception {
        int warmUp = Integer.parseInt(args[0]);
        int cycles = Integer.parseInt(args[1]);
        if (nativeMemory() == null) {
            System.out.println("nmt-off");
            System.exit(3);
        }
        for (int c = 0; c < warmUp; c++) {
            cycle(c);
        }
        long[] before = measure();
        for (int c = 0; c < cycles; c++) {
            cycle(c);
        }
        long[] after = measure();
        System.out.println("before " + before[0] + " " + before[1]);
        System.out.println("after " + after[0] + " " + after[1]);
        System.out.println("cycles " + cycles);
    }

    /** Two small CSV files for the delimited-text reader, which reads files (written once, deleted at exit). */
    private static final class TextFiles {
        static final Path GOOD = write("1,2,3\n4,5,6.5\n");
        static final Path RAGGED = write("1,2,3\n4,5\n");

        private static Path write(String text) {
            try {
                Path file = Files.createTempFile("leak", ".csv");
                file.toFile().deleteOnExit();
                return Files.writeString(file, text);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    /** The number of kinds of cycle. */
    static final int KINDS = 12;

    /** One of {@link #KINDS} kinds of cycle, by {@code c} mod KINDS; every one frees all it allocates, or fails to. */
    static void cycle(int c) throws IOException {
        DType dtype = c % 2 == 0 ? DType.FLOAT64 : DType.FLOAT32;
        double[][] values = {{1, 2, 3}, {4, 5, 6.5}, {7, 8, 10}, {1, 0, 1}};
        switch (c % KINDS) {
            case 0, 1 -> {
                try (DenseMatrix m = DenseMatrix.allocate(dtype, 17 + c % 5, 9); DenseMatrix n = m.copy(dtype)) {
                    n.set(0, 0, 1);
                }
            }
            case 2 -> {
                try (DenseMatrix m = DenseMatrix.of(dtype, values);
                        Result r = Factorizer.builder(m, 2).threads(1 + c % 3).maxIterations(3).build().run()) {
                    r.u().get(0, 0);
                }
            }
            case 3 -> {
                // divergence: a step far above 2/σ₁ blows up within a few iterations; the solver frees its factors
                try (DenseMatrix m = DenseMatrix.of(dtype, values)) {
                    Factorizer.builder(m, 2).threads(2).schedule(new ConstantSchedule(50)).maxIterations(500)
                            .build().run().close();
                    throw new IllegalStateException("expected divergence");
                } catch (DivergenceException expected) {
                    // freed by the solver
                }
            }
            case 4 -> {
                // a run stopped from inside (a listener that throws, as a cancelled caller would) and a time limit
                try (DenseMatrix m = DenseMatrix.of(dtype, values)) {
                    try {
                        Factorizer.builder(m, 2).threads(2).maxIterations(100).listener(rec -> {
                            if (rec.iteration() == 2) {
                                throw new IllegalStateException("cancelled");
                            }
                        }).build().run().close();
                    } catch (IllegalStateException expected) {
                        // freed by the solver
                    }
                    Factorizer.builder(m, 2).timeLimit(Duration.ofNanos(1)).build().run().close();
                    // interrupted during the set-up (σ₁) and mid-run, cancelled mid-run: the run returns the factors
                    // it reached, which the caller frees
                    try {
                        Thread.currentThread().interrupt();
                        stopped(Factorizer.builder(m, 2).threads(2).build(), StopReason.INTERRUPTED);
                        stopped(Factorizer.builder(m, 2).threads(2).maxIterations(100).listener(rec -> {
                            if (rec.iteration() == 2) {
                                Thread.currentThread().interrupt();
                            }
                        }).build(), StopReason.INTERRUPTED);
                    } finally {
                        Thread.interrupted();
                    }
                    CancelToken token = new CancelToken();
                    stopped(Factorizer.builder(m, 2).threads(2).maxIterations(100).cancelToken(token).listener(rec -> {
                        if (rec.iteration() == 2) {
                            token.cancel();
                        }
                    }).build(), StopReason.CANCELLED);
                }
            }
            case 5 -> {
                // bad input: refused by the builder (NaN in M) and by the rank check, before anything is allocated
                values[1][1] = Double.NaN;
                try (DenseMatrix m = DenseMatrix.of(dtype, values)) {
                    Factorizer.builder(m, 2).build();
                    throw new IllegalStateException("expected a refusal");
                } catch (IllegalArgumentException expected) {
                    // nothing allocated by the solver
                }
                try {
                    DenseMatrix.of(dtype, new double[][] {{1, 2}, {3}}).close();
                } catch (IllegalArgumentException expected) {
                    // the half-built matrix is freed by DenseMatrix.of
                }
            }
            case 6 -> {
                // reader error paths after the matrix is allocated: truncated body, NaN mid-read, an entry out of range
                for (String text : new String[] {"%%MatrixMarket matrix array real general\n3 3\n1\n2\n3\n4\n",
                    "%%MatrixMarket matrix array real general\n2 2\n1\nNaN\n3\n4\n",
                    "%%MatrixMarket matrix coordinate real general\n3 3 2\n1 1 1\n4 1 2\n"}) {
                    try {
                        MatrixMarket.read(new StringReader(text), "leak", dtype).close();
                        throw new IllegalStateException("expected a format error");
                    } catch (MatrixFormatException expected) {
                        // the reader frees the matrix
                    }
                }
                // delimited text: staged rows freed after a good read and after a ragged row
                try (DenseMatrix m = DelimitedText.read(TextFiles.GOOD, dtype, note -> { })) {
                    m.set(0, 0, 1);
                }
                try {
                    DelimitedText.read(TextFiles.RAGGED, dtype, note -> { }).close();
                    throw new IllegalStateException("expected a format error");
                } catch (MatrixFormatException expected) {
                    // the reader frees its staging
                }
            }
            case 7 -> {
                // sparse storage: the full loss, and the observed loss with a held-out split
                try (SparseMatrix m = SparseMatrix.of(dtype, values)) {
                    Factorizer.builder(m, 2).threads(1 + c % 2).maxIterations(3).build().run().close();
                    SparseMatrix[] parts = m.split(0.25, c);
                    try (SparseMatrix train = parts[0]; SparseMatrix test = parts[1]) {
                        Factorizer.builder(train, 2).objective(Objective.observed(0.01)).heldOut(test).threads(2)
                                .maxIterations(3).build().run().close();
                    }
                }
            }
            case 8 -> {
                // .npy from memory: a body shorter than its header says, a header whose shape no file could hold,
                // and a good one
                byte[] header = NpyHeader.encode(dtype == DType.FLOAT64 ? "<f8" : "<f4", false, new long[] {4, 3});
                byte[] good = new byte[header.length + 12 * dtype.bytes()];
                System.arraycopy(header, 0, good, 0, header.length);
                ByteBuffer body = ByteBuffer.wrap(good, header.length, 12 * dtype.bytes())
                        .order(ByteOrder.LITTLE_ENDIAN);
                for (int k = 0; k < 12; k++) {
                    if (dtype == DType.FLOAT64) {
                        body.putDouble(k);
                    } else {
                        body.putFloat(k);
                    }
                }
                byte[] lying = NpyHeader.encode("<f8", false, new long[] {45_000, 45_000});
                for (MemorySegment bad : new MemorySegment[] {MemorySegment.ofArray(good).asSlice(0, good.length - 1),
                    MemorySegment.ofArray(lying)}) {
                    try {
                        Npy.read(bad, "leak.npy", dtype).close();
                        throw new IllegalStateException("expected a format error");
                    } catch (MatrixFormatException expected) {
                        // refused before or after allocating; nothing kept
                    }
                }
                try (DenseMatrix m = Npy.read(MemorySegment.ofArray(good), "leak.npy", dtype)) {
                    m.get(3, 2);
                }
            }
            case 9 -> {
                // the sparse reader: an entry out of range after the builder has staged others, and a good file
                try {
                    MatrixMarket.readSparse(new StringReader("%%MatrixMarket matrix coordinate real general\n3 3 3\n"
                            + "1 1 1\n2 2 2\n4 1 2\n"), "leak", dtype).close();
                    throw new IllegalStateException("expected a format error");
                } catch (MatrixFormatException expected) {
                    // the reader frees what it staged
                }
                try (SparseMatrix m = MatrixMarket.readSparse(new StringReader(
                        "%%MatrixMarket matrix coordinate real general\n3 3 2\n1 1 1\n3 2 2\n"), "leak", dtype)) {
                    m.get(2, 1);
                }
            }
            case 10 -> {
                // a deep network: a short training, and one that diverges (the trainer frees its parameters)
                double[][] xs = {{1, 0, 2}, {0, 1, 1}, {2, 1, 0}, {1, 1, 1}, {0, 2, 1}};
                double[][] ys = {{1, 0}, {0, 1}, {2, 1}, {1, 1}, {0, 2}};
                try (DenseMatrix x = DenseMatrix.of(dtype, xs); DenseMatrix y = DenseMatrix.of(dtype, ys)) {
                    Architecture arch = Architecture.parse("dense:4,relu,dense:2", 3, null);
                    NetworkTrainer.builder(x, y, arch).threads(1 + c % 2).maxIterations(3).build().run().close();
                    try {
                        // linear layers: a ReLU net could instead die (all units off, zero gradient) and stop
                        NetworkTrainer.builder(x, y, Architecture.parse("dense:4,dense:2", 3, null))
                                .schedule(new ConstantSchedule(1e3)).tolerance(0).maxIterations(500).build().run()
                                .close();
                        throw new IllegalStateException("expected divergence");
                    } catch (NetworkDivergenceException expected) {
                        // freed by the trainer
                    }
                }
            }
            default -> {
                try (DenseMatrix m = MatrixMarket.read(new StringReader(
                        "%%MatrixMarket matrix coordinate real symmetric\n4 4 2\n1 1 1.5\n4 2 -2\n"), "leak", dtype)) {
                    m.get(3, 1);
                }
            }
        }
    }

    /** Runs {@code factorizer}, requires it to stop for {@code reason} and frees its result. */
    private static void stopped(Factorizer factorizer, StopReason reason) {
        try (Result r = factorizer.run()) {
            if (r.stopReason() != reason) {
                throw new IllegalStateException("expected " + reason + ", the run stopped " + r.stopReason());
            }
        }
    }

    /** {Other committed bytes, threads} from NMT, after a full GC (freed arenas of unreachable matrices go too). */
    static long[] measure() throws Exception {
        System.gc();
        String summary = nativeMemory();
        Matcher other = OTHER.matcher(summary);
        Matcher threads = THREADS.matcher(summary);
        if (!threads.find()) {
            throw new IllegalStateException("unexpected NMT summary:\n" + summary);
        }
        // the category appears only once something is allocated in it (Unsafe.allocateMemory, hence Arena memory)
        long committed = other.find() ? Long.parseLong(other.group(2)) : 0;
        return new long[] {committed, Long.parseLong(threads.group(1))};
    }

    /** The NMT summary in bytes, read in-process through the DiagnosticCommand MBean; null when NMT is off. */
    static String nativeMemory() throws Exception {
        String out = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                new ObjectName("com.sun.management:type=DiagnosticCommand"), "vmNativeMemory",
                new Object[] {new String[] {"summary", "scale=b"}}, new String[] {String[].class.getName()});
        return out.contains("not enabled") ? null : out;
    }
}
