package org.autobalance.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.Reader;
import java.io.StringReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.autobalance.io.internal.AtomicFile;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;
import org.autobalance.testing.Fixtures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The readers and writers on an interrupted thread (the package's rule, in {@code package-info}): an
 * {@link InterruptedIOException} naming the file, no matrix left, no file changed, the interrupt status still set.
 * Before, the mapping readers threw a bare {@code ClosedByInterruptException} (no message), the writers
 * {@code FileSystemException: FILE: ClosedByInterruptException}, and the streaming readers read on.
 */
class InterruptedIoTest {
    @TempDir
    Path dir;

    /** Every test leaves the thread as it found it: the status must not leak into the next test. */
    @AfterEach
    void clearInterrupt() {
        Thread.interrupted();
    }

    private interface Call {
        Object run() throws IOException;
    }

    /** Runs {@code call} on this thread, interrupted first; the exception, checked to name {@code file}. */
    private static InterruptedIOException interruptedBefore(Path file, String doing, Call call) {
        Thread.currentThread().interrupt();
        InterruptedIOException e = assertThrows(InterruptedIOException.class, call::run, file.toString());
        assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status stays set: " + file);
        Thread.interrupted();
        assertTrue(e.getMessage().startsWith(file + ": " + doing + " was interrupted"), e.getMessage());
        return e;
    }

    @Test
    void everyReaderOnAnInterruptedThreadSaysSoAndNamesTheFile() throws IOException {
        Path array = Fixtures.fixture("mm_array_general.mtx");
        Path coordinate = Fixtures.fixture("mm_coordinate_general.mtx");
        Path gzip = Fixtures.fixture("mm_array_general.mtx.gz");
        Path csv = Fixtures.fixture("text_values.csv");
        Path npy = Fixtures.fixture("npy_f8_c.npy");
        Path npz = Fixtures.fixture("npz_csr.npz");
        interruptedBefore(array, "reading", () -> MatrixMarket.read(array, DType.FLOAT64));
        interruptedBefore(coordinate, "reading", () -> MatrixMarket.read(coordinate, DType.FLOAT32));
        interruptedBefore(coordinate, "reading", () -> MatrixMarket.readSparse(coordinate, DType.FLOAT64));
        interruptedBefore(gzip, "reading", () -> MatrixMarket.read(gzip, DType.FLOAT64));
        interruptedBefore(array, "reading", () -> MatrixMarket.readHeader(array));
        interruptedBefore(array, "reading", () -> MatrixMarket.readRows(array, DType.FLOAT64, 0, 1));
        interruptedBefore(csv, "reading", () -> DelimitedText.read(csv, DType.FLOAT64, s -> { }));
        interruptedBefore(npy, "reading", () -> Npy.read(npy, DType.FLOAT64));
        interruptedBefore(npz, "reading", () -> Npz.read(npz, DType.FLOAT64));
        // the mapping itself, past the public methods' first check: the channel the interrupt closes
        interruptedBefore(array, "reading", () -> MatrixMarket.readMapped(array, DType.FLOAT64, 2, 1));
        interruptedBefore(coordinate, "reading", () -> MatrixMarket.readSparseMapped(coordinate, DType.FLOAT64, 2,
                1));
        // and the same calls read on an uninterrupted thread
        try (DenseMatrix m = MatrixMarket.read(array, DType.FLOAT64);
                SparseMatrix s = Npz.read(npz, DType.FLOAT64);
                DenseMatrix n = Npy.read(npy, DType.FLOAT64)) {
            assertNotNull(m);
            assertTrue(s.nonZeros() > 0);
            assertEquals(5, n.rows());
        }
    }

    @Test
    void theWritersOnAnInterruptedThreadLeaveTheTargetAsItWas() throws IOException {
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, new double[][] {{1, 2}, {3, 4}})) {
            Path npy = dir.resolve("m.npy");
            Path mtx = dir.resolve("m.mtx");
            Files.writeString(npy, "old");
            Files.writeString(mtx, "old");
            interruptedBefore(npy.toAbsolutePath(), "writing", () -> {
                Npy.write(npy, m);
                return null;
            });
            interruptedBefore(mtx.toAbsolutePath(), "writing", () -> {
                MatrixMarket.write(mtx, m, null);
                return null;
            });
            assertEquals("old", Files.readString(npy));
            assertEquals("old", Files.readString(mtx));
            assertEquals(List.of("m.mtx", "m.npy"), names());
        }
    }

    /** An interrupt while the content is written closes the channel under the writer: the same failure. */
    @Test
    void aWriteInterruptedMidwayLeavesTheTargetAndNoTemporaryFile() throws IOException {
        Path target = dir.resolve("t.bin");
        Files.writeString(target, "old");
        InterruptedIOException e = assertThrows(InterruptedIOException.class, () -> AtomicFile.replace(target,
                channel -> {
                    channel.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
                    Thread.currentThread().interrupt();
                    channel.write(ByteBuffer.wrap(new byte[] {4, 5, 6}));
                }));
        assertTrue(Thread.interrupted());
        assertEquals(target.toAbsolutePath() + ": writing was interrupted, the file is unchanged (Thread.interrupt(); "
                + "the thread's interrupt status stays set)", e.getMessage());
        assertEquals("old", Files.readString(target));
        assertEquals(List.of("t.bin"), names());
    }

    /** The streaming Matrix Market parser stops at the next line, and frees the matrix it had allocated. */
    @Test
    void theStreamingParserStopsAtTheNextLineAndFreesTheMatrix() {
        StringBuilder text = new StringBuilder("%%MatrixMarket matrix array real general\n20 10\n");
        for (int k = 0; k < 200; k++) {
            text.append(k).append(".5\n");
        }
        List<DenseMatrix> allocated = new ArrayList<>();
        // the interrupt comes with the bytes after the size line: the matrix exists by then
        Reader reader = new InterruptingReader(new StringReader(text.toString()), 80);
        InterruptedIOException e = assertThrows(InterruptedIOException.class, () -> MatrixMarket.read(reader,
                "slow.mtx", DType.FLOAT64, allocated::add, -1, Long.MAX_VALUE));
        assertTrue(Thread.interrupted());
        assertEquals("slow.mtx: reading was interrupted (Thread.interrupt(); the thread's interrupt status stays set)",
                e.getMessage());
        assertEquals(1, allocated.size());
        assertTrue(allocated.get(0).isClosed());
    }

    /** The delimited-text parser stops at its next buffer. */
    @Test
    void theDelimitedTextParserStopsAtItsNextBuffer() {
        StringBuilder text = new StringBuilder();
        for (int k = 0; k < 200; k++) {
            text.append(k).append(',').append(k + 1).append('\n');
        }
        InputStream in = new InterruptingStream(text.toString().getBytes(StandardCharsets.US_ASCII), 100);
        InterruptedIOException e = assertThrows(InterruptedIOException.class, () -> DelimitedText.read(in,
                "slow.csv", DelimitedText.Separator.COMMA, DType.FLOAT64, s -> { }, Long.MAX_VALUE, 16));
        assertTrue(Thread.interrupted());
        assertTrue(e.getMessage().startsWith("slow.csv: reading was interrupted"), e.getMessage());
    }

    /**
     * The parallel parse of a mapped body gives up (null, false) when the calling thread is interrupted by the end of
     * its parse, for the caller to report it; uninterrupted, the same body is read.
     */
    @Test
    void theChunkedParseGivesUpOnAnInterruptedThread() {
        byte[] array = "%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n"
                .getBytes(StandardCharsets.US_ASCII);
        byte[] coordinate = "%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 5\n2 2 6\n"
                .getBytes(StandardCharsets.US_ASCII);
        ChunkedBody.Shape arrayShape = new ChunkedBody.Shape(false, false, false, 0, 2, 2, 4, DType.FLOAT64);
        ChunkedBody.Shape coordinateShape = new ChunkedBody.Shape(true, false, false, 0, 2, 2, 2, DType.FLOAT64);
        for (int threads : new int[] {1, 2}) {
            ChunkedBody.Mapped a = new ChunkedBody.Mapped(MemorySegment.ofArray(array), threads, 1);
            ChunkedBody.Mapped c = new ChunkedBody.Mapped(MemorySegment.ofArray(coordinate), threads, 1);
            double[] values = new double[4];
            Thread.currentThread().interrupt();
            assertFalse(a.array(arrayShape, (i, j, v) -> values[j * 2 + i] = v, false));
            assertArrayEquals(new double[4], values, "nothing handed on");
            assertNull(c.coordinate(coordinateShape));
            assertNull(a.arraySparse(arrayShape));
            assertTrue(Thread.interrupted());
            assertTrue(a.array(arrayShape, (i, j, v) -> values[j * 2 + i] = v, false));
            assertArrayEquals(new double[] {1, 2, 3, 4}, values);
            try (SparseMatrix s = c.coordinate(coordinateShape)) {
                assertEquals(2, s.nonZeros());
            }
        }
    }

    /**
     * A mapped body stops within each chunk once the caller is interrupted: the interrupt was seen only after the whole
     * parallel parse (1.4 s of a 44 MB file). Two chunks of 150 000 lines; the parse's hook interrupts the caller at
     * its first look at the status, so each chunk must stop at its first look (one call of the hook each, not the
     * four of a parse that goes on). The file is cut short after it was mapped, inside the second chunk but past its
     * first look, so a chunk that parsed on would fault there ({@link InternalError}, which is how a page past the end
     * of a mapped file shows); the same mapping uninterrupted reaches the cut. Array and coordinate bodies.
     */
    @Test
    void theMappedParseStopsWithinEachChunk() throws IOException {
        int values = 300_000;
        for (boolean coordinate : new boolean[] {false, true}) {
            Path file = dir.resolve(coordinate + ".mtx");
            long cutLine = writeColumn(file, coordinate, values, 250_000);
            ChunkedBody.Shape shape = columnShape(coordinate, values);
            Thread caller = Thread.currentThread();
            AtomicInteger looks = new AtomicInteger();
            Runnable interrupt = () -> {
                looks.incrementAndGet();
                caller.interrupt();
            };
            // shared: the parse's second thread reads it too
            try (Arena arena = Arena.ofShared(); FileChannel channel = FileChannel.open(file, StandardOpenOption.READ,
                    StandardOpenOption.WRITE)) {
                MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
                channel.truncate((cutLine / 4096 + 1) * 4096);
                ChunkedBody.Mapped interrupted = new ChunkedBody.Mapped(mapped, 2, 1, interrupt);
                double[] seen = new double[1];
                if (coordinate) {
                    assertNull(interrupted.coordinate(shape));
                } else {
                    assertFalse(interrupted.array(shape, (i, j, v) -> seen[0] = 1, false));
                }
                assertTrue(Thread.interrupted(), "the interrupt status stays set");
                assertEquals(0, seen[0], "nothing handed on");
                assertEquals(2, looks.get(), "each chunk stops at its first look");
                ChunkedBody.Mapped uninterrupted = new ChunkedBody.Mapped(mapped, 2, 1);
                assertThrows(InternalError.class, () -> {
                    if (coordinate) {
                        uninterrupted.coordinate(shape);
                    } else {
                        uninterrupted.array(shape, (i, j, v) -> { }, false);
                    }
                }, "uninterrupted, the parse reaches the cut: the test would not see a parse that went on");
            }
        }
    }

    /**
     * An interrupt after the mapped parse stops the work that follows it, at its next look: the hand-on of an array
     * body's values (into a dense matrix: 0.1 s for a 177 MB file), and a coordinate body's assembly into the sparse
     * builder (its sort looks too, SparseMatrixTest). The parse of each of the 2 chunks of 150 000 values looks twice
     * (at 65536 and 131072 values) and is let run; the first look after it is interrupted. Before, the hand-on and the
     * assembly did not look: all 300 000 values were handed on, and the matrix returned with the status set.
     */
    @Test
    void anInterruptAfterTheMappedParseStopsTheHandOnAtItsNextLook() throws IOException {
        int values = 300_000;
        for (boolean coordinate : new boolean[] {false, true}) {
            Path file = dir.resolve("after-" + coordinate + ".mtx");
            writeColumn(file, coordinate, values, 0);
            ChunkedBody.Shape shape = columnShape(coordinate, values);
            Thread caller = Thread.currentThread();
            AtomicInteger looks = new AtomicInteger();
            Runnable interruptAfterTheParse = () -> {
                if (looks.incrementAndGet() == 5) {
                    caller.interrupt();
                }
            };
            try (Arena arena = Arena.ofShared(); FileChannel channel = FileChannel.open(file,
                    StandardOpenOption.READ)) {
                MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
                ChunkedBody.Mapped body = new ChunkedBody.Mapped(mapped, 2, 1, interruptAfterTheParse);
                long[] handedOn = new long[1];
                if (coordinate) {
                    assertNull(body.coordinate(shape));
                } else {
                    assertFalse(body.array(shape, (i, j, v) -> handedOn[0]++, false));
                    assertEquals(1 << 16, handedOn[0], "the first chunk's hand-on stops at its first look");
                }
                assertTrue(Thread.interrupted(), "the interrupt status stays set");
                assertEquals(5, looks.get(), "no look after the one that saw the interrupt");
            }
        }
    }

    /**
     * Writes {@code file}: a {@code values} × 1 Matrix Market file, array or coordinate, value k being k.25; returns
     * the offset of the line of value {@code mark}.
     */
    private static long writeColumn(Path file, boolean coordinate, int values, int mark) throws IOException {
        StringBuilder text = new StringBuilder("%%MatrixMarket matrix " + (coordinate ? "coordinate" : "array")
                + " real general\n" + values + " 1" + (coordinate ? " " + values : "") + "\n");
        long at = -1;
        for (int k = 0; k < values; k++) {
            if (k == mark) {
                at = text.length();
            }
            text.append(coordinate ? (k + 1) + " 1 " : "").append(k).append(".25\n");
        }
        Files.writeString(file, text);
        return at;
    }

    /** What the header and size line of {@link #writeColumn}'s file say. */
    private static ChunkedBody.Shape columnShape(boolean coordinate, int values) {
        return new ChunkedBody.Shape(coordinate, false, false, 0, values, 1, values, DType.FLOAT64);
    }

    private List<String> names() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Hands out at most 8 characters a call, and interrupts the reading thread once {@code after} have gone. */
    private static final class InterruptingReader extends Reader {
        private final Reader in;
        private final int after;
        private int given;

        InterruptingReader(Reader in, int after) {
            this.in = in;
            this.after = after;
        }

        @Override
        public int read(char[] b, int off, int len) throws IOException {
            if (given >= after) {
                Thread.currentThread().interrupt();
            }
            int n = in.read(b, off, Math.min(len, 8));
            given += Math.max(n, 0);
            return n;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /** As {@link InterruptingReader}, of bytes. */
    private static final class InterruptingStream extends ByteArrayInputStream {
        private final int after;

        InterruptingStream(byte[] bytes, int after) {
            super(bytes);
            this.after = after;
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) {
            if (pos >= after) {
                Thread.currentThread().interrupt();
            }
            return super.read(b, off, Math.min(len, 8));
        }
    }
}
