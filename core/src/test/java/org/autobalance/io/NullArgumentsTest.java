package org.autobalance.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.StringReader;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * A null argument of a public method of the package is a {@link NullPointerException} naming the parameter, as in the
 * rest of the library. Before: the JVM's {@code Cannot invoke "…DenseMatrix.firstNonFinite()" because "m" is null}
 * ({@code Npy.write(path, null)}), {@code IllegalArgumentException: dtype must not be null}, a null source read as
 * the text {@code "null, line 1: …"}, or no failure at all ({@code NpyHeader.encode(null, …)} wrote {@code 'descr':
 * 'null'}; {@code Npz.read} of a missing file with a null dtype said "no such .npz file").
 */
class NullArgumentsTest {
    @TempDir
    Path dir;

    private static void refused(String message, Executable call) {
        assertEquals(message, assertThrows(NullPointerException.class, call).getMessage());
    }

    @Test
    void eachNullArgumentIsNamed() {
        Path mtx = Fixtures.fixture("mm_array_general.mtx");
        Path npy = Fixtures.fixture("npy_f8_c.npy");
        Path csv = Fixtures.fixture("text_values.csv");
        Path missing = dir.resolve("missing.npz");
        MemorySegment bytes = MemorySegment.ofArray(new byte[16]);
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, new double[][] {{1}})) {
            Path out = dir.resolve("out");
            refused("path must not be null", () -> Npy.write(null, m));
            refused("matrix must not be null", () -> Npy.write(out, null));
            refused("path must not be null", () -> MatrixMarket.write(null, m, "comment"));
            refused("matrix must not be null", () -> MatrixMarket.write(out, null, "comment"));
        }
        refused("path must not be null", () -> Npy.read(null, DType.FLOAT64));
        refused("dtype must not be null", () -> Npy.read(npy, null));
        refused("file must not be null", () -> Npy.read(null, "x.npy", DType.FLOAT64));
        refused("source must not be null", () -> Npy.read(bytes, null, DType.FLOAT64));
        refused("dtype must not be null", () -> Npy.read(bytes, "x.npy", null));
        refused("header must not be null", () -> Npy.matrixShape(null, "x.npy"));
        refused("path must not be null", () -> MatrixMarket.read((Path) null, DType.FLOAT64));
        refused("dtype must not be null", () -> MatrixMarket.read(mtx, null));
        refused("reader must not be null", () -> MatrixMarket.read(null, "x.mtx", DType.FLOAT64));
        refused("source must not be null", () -> MatrixMarket.read(new StringReader("x"), null, DType.FLOAT64));
        refused("dtype must not be null", () -> MatrixMarket.read(new StringReader("x"), "x.mtx", null));
        refused("path must not be null", () -> MatrixMarket.readSparse((Path) null, DType.FLOAT64));
        refused("dtype must not be null", () -> MatrixMarket.readSparse(mtx, null));
        refused("source must not be null", () -> MatrixMarket.readSparse(new StringReader("x"), null,
                DType.FLOAT64));
        refused("dtype must not be null", () -> MatrixMarket.readSparse(new StringReader("x"), "x.mtx", null));
        refused("path must not be null", () -> MatrixMarket.readHeader(null));
        refused("path must not be null", () -> MatrixMarket.readRows(null, DType.FLOAT64, 0, 1));
        refused("dtype must not be null", () -> MatrixMarket.readRows(mtx, null, 0, 1));
        refused("path must not be null", () -> DelimitedText.read(null, DType.FLOAT64, s -> { }));
        refused("dtype must not be null", () -> DelimitedText.read(csv, null, s -> { }));
        refused("path must not be null", () -> DelimitedText.separatorOf(null));
        refused("path must not be null", () -> DelimitedText.foreignFormatOf(null));
        refused("path must not be null", () -> Npz.read(null, DType.FLOAT64));
        refused("dtype must not be null", () -> Npz.read(missing, null));
        refused("path must not be null", () -> Npz.readShape(null));
        refused("bytes must not be null", () -> NpyHeader.parse((MemorySegment) null, "x.npy"));
        refused("bytes must not be null", () -> NpyHeader.parse((java.nio.ByteBuffer) null, "x.npy"));
        refused("preamble must not be null", () -> NpyHeader.headerEnd(null, "x.npy"));
        refused("source must not be null", () -> NpyHeader.headerEnd(bytes, null));
        refused("descr must not be null", () -> NpyHeader.encode(null, false, new long[] {1, 1}));
        refused("shape must not be null", () -> NpyHeader.encode("<f8", false, null));
    }
}
