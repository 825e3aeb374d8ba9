package org.autobalance.network;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Pattern;
import org.autobalance.io.MatrixFormatException;
import org.autobalance.io.Npy;
import org.autobalance.io.NpyHeader;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;

/**
 * A network's parameters as {@code .npy} files in one directory: {@code W1.npy}, {@code W2.npy}, … (layers numbered
 * from 1) of shape N × n_in (dense), C × C_in × K (conv1d) or C × C_in × KH × KW (conv2d), and with biases
 * {@code b1.npy}, … of shape (C,). Reading also accepts the weights flattened to 2-D (C × C_in·KH·KW) and biases
 * as 1 × C: the C-order data are the same.
 *
 * <p>The 2-D reader and writer are {@link Npy}'s; an n-D array is passed through them by rewriting only the shape
 * in the header, which is exact for C order because the bytes of a C-order (C, C_in, K) array are those of its
 * (C, C_in·K) flattening.
 */
public final class ParameterFiles {
    private static final Pattern PARAMETER_FILE = Pattern.compile("[Wb][1-9][0-9]*\\.npy");

    private ParameterFiles() {
    }

    /** {@code W<h>.npy}. */
    public static String weightFile(int h) {
        return "W" + h + ".npy";
    }

    /** {@code b<h>.npy}. */
    public static String biasFile(int h) {
        return "b" + h + ".npy";
    }

    /** True for a name {@link #weightFile} or {@link #biasFile} gives, i.e. a file {@link #read} may read. */
    public static boolean isParameterFile(String name) {
        return PARAMETER_FILE.matcher(name).matches();
    }

    /**
     * Reads the parameters of {@code arch} from {@code dir} into new matrices of {@code dtype} (the caller owns the
     * result).
     *
     * @throws MatrixFormatException naming the file when a file is malformed or has the wrong shape
     * @throws NoSuchFileException when a file is missing
     */
    public static Parameters read(Path dir, Architecture arch, DType dtype, boolean biases) throws IOException {
        Parameters p = new Parameters(arch, dtype, biases);
        try {
            for (int h = 1; h <= arch.depth(); h++) {
                Layer l = arch.layer(h);
                try (DenseMatrix w = read(dir.resolve(weightFile(h)), dtype, l.weightFileShape(), "W" + h + " of "
                        + l.describe())) {
                    p.weights(h).copyFrom(w);
                }
                if (biases) {
                    try (DenseMatrix b = read(dir.resolve(biasFile(h)), dtype, new long[] {l.outChannels()}, "b" + h
                            + " of " + l.describe())) {
                        p.biases(h).copyFrom(b);
                    }
                }
            }
            return p;
        } catch (IOException | RuntimeException e) {
            p.close();
            throw e;
        }
    }

    /** Writes every weight (and bias) file of {@code p} into {@code dir}, which must exist. */
    public static void write(Path dir, Parameters p) throws IOException {
        Architecture arch = p.architecture();
        for (int h = 1; h <= arch.depth(); h++) {
            write(dir.resolve(weightFile(h)), p.weights(h), arch.layer(h).weightFileShape());
            if (p.hasBiases()) {
                write(dir.resolve(biasFile(h)), p.biases(h), new long[] {arch.layer(h).outChannels()});
            }
        }
    }

    /**
     * Reads an array of shape {@code shape}, or its 2-D flattening (shape[0] × the rest; 1 × shape[0] for a vector),
     * as a matrix of that 2-D shape.
     */
    static DenseMatrix read(Path path, DType dtype, long[] shape, String what) throws IOException {
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString(), null, "missing " + what);
        }
        byte[] bytes = Files.readAllBytes(path);
        String source = path.toString();
        NpyHeader header = NpyHeader.parse(MemorySegment.ofArray(bytes), source);
        long[] flat = flat(shape);
        long[] found = header.shape();
        if (!Arrays.equals(found, shape) && !Arrays.equals(found, flat)) {
            throw new MatrixFormatException(source, what + " must have shape " + text(shape)
                    + (shape.length == 2 ? "" : " (or " + text(flat) + ")") + ", found " + header.shapeText());
        }
        if (found.length == 2) {
            return Npy.read(MemorySegment.ofArray(bytes), source, dtype);
        }
        if (header.fortranOrder()) {
            throw new MatrixFormatException(source, what + ": a " + found.length + "-dimensional array must be in C "
                    + "order (np.ascontiguousarray)");
        }
        return Npy.read(MemorySegment.ofArray(reshaped(bytes, header, flat)), source, dtype);
    }

    /**
     * Reads a C-order array of any number of dimensions as the matrix of its 2-D flattening: shape[0] × the product
     * of the rest, 1 × n for a vector (how this class stores weights and biases).
     */
    public static DenseMatrix readFlattened(Path path, DType dtype) throws IOException {
        byte[] bytes = Files.readAllBytes(path);
        NpyHeader header = NpyHeader.parse(MemorySegment.ofArray(bytes), path.toString());
        long[] found = header.shape();
        if (found.length == 2) {
            return Npy.read(MemorySegment.ofArray(bytes), path.toString(), dtype);
        }
        return read(path, dtype, found, "the array");
    }

    /** Writes {@code m} as an array of shape {@code shape} (its 2-D flattening is {@code m}'s shape). */
    static void write(Path path, DenseMatrix m, long[] shape) throws IOException {
        Npy.write(path, m);
        if (shape.length != 2) {
            byte[] bytes = Files.readAllBytes(path);
            NpyHeader header = NpyHeader.parse(MemorySegment.ofArray(bytes), path.toString());
            Files.write(path, reshaped(bytes, header, shape));
        }
    }

    /** The file's bytes with the header rewritten for {@code shape} (same element count, same C-order data). */
    private static byte[] reshaped(byte[] bytes, NpyHeader header, long[] shape) {
        byte[] head = NpyHeader.encode(header.descr(), header.fortranOrder(), shape);
        int dataStart = (int) header.dataOffset();
        byte[] out = new byte[head.length + bytes.length - dataStart];
        System.arraycopy(head, 0, out, 0, head.length);
        MemorySegment.copy(MemorySegment.ofArray(bytes), ValueLayout.JAVA_BYTE, dataStart,
                MemorySegment.ofArray(out), ValueLayout.JAVA_BYTE, head.length, bytes.length - dataStart);
        return out;
    }

    private static long[] flat(long[] shape) {
        if (shape.length == 1) {
            return new long[] {1, shape[0]};
        }
        long rest = 1;
        for (int k = 1; k < shape.length; k++) {
            rest *= shape[k];
        }
        return new long[] {shape[0], rest};
    }

    private static String text(long[] shape) {
        StringBuilder b = new StringBuilder("(");
        for (int k = 0; k < shape.length; k++) {
            b.append(k == 0 ? "" : ", ").append(shape[k]);
        }
        return b.append(shape.length == 1 ? ",)" : ")").toString();
    }
}
