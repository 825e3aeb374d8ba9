package org.autobalance.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A mapped input cut short by another program while it is read (a new user's twelfth-session finding: `truncate`
 * on a 1.6 GB .npy, or a .mtx, while `factorize` read it): the pages that are gone fault, the JVM raised that as an
 * {@link InternalError} and the command ended with its stack trace. It is a {@link MatrixFormatException} naming the
 * file.
 */
class CutShortTest {
    @TempDir
    Path dir;

    private static final String CUT_SHORT = ": the file was cut short while it was read (another program truncated "
            + "or rewrote it?): read it again once it is complete";

    /** Rows and columns of the test matrix: a few MB, many pages beyond the cut. */
    private static final int ROWS = 1000;
    private static final int COLS = 500;
    /** Where the file is cut: the header and a page of values stay. */
    private static final long CUT = 8192;

    @Test
    void aNpyFileCutShortWhileMappedIsAFormatError() throws IOException {
        Path file = dir.resolve("M.npy");
        try (DenseMatrix m = DenseMatrix.allocate(DType.FLOAT64, ROWS, COLS)) {
            m.fill(1.5);
            Npy.write(file, m);
        }
        try (Arena arena = Arena.ofConfined(); FileChannel channel = FileChannel.open(file, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            channel.truncate(CUT);
            MatrixFormatException e = assertThrows(MatrixFormatException.class,
                    () -> Npy.read(mapped, file.toString(), DType.FLOAT64).close());
            assertEquals(file + CUT_SHORT, e.getMessage());
        }
    }

    @Test
    void aMatrixMarketFileCutShortWhileMappedIsAFormatError() throws IOException {
        Path file = dir.resolve("M.mtx");
        StringBuilder text = new StringBuilder("%%MatrixMarket matrix array real general\n" + ROWS + " " + COLS
                + "\n");
        for (int k = 0; k < ROWS * COLS; k++) {
            text.append(String.format(Locale.ROOT, "%.17e%n", k * 0.25));
        }
        Files.writeString(file, text);
        MatrixFormatException e = assertThrows(MatrixFormatException.class,
                () -> MatrixMarket.readMapped(file, DType.FLOAT64, 2, 1 << 16, () -> cut(file)).close());
        assertEquals(file + CUT_SHORT, e.getMessage());
    }

    private static void cut(Path file) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(CUT);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
