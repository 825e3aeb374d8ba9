package org.autobalance.spark;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.autobalance.kernel.FactorKernels;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.parallel.ParallelPass;

/**
 * Everything the Spark module takes from the engine below its public solver surface, in one place: the kernels (run
 * on one partition's row block inside a task), the driver's worker team, and the raw byte form in which factor blocks
 * and partials travel between driver and executors. When core offers bulk import/export on {@link DenseMatrix}, the
 * byte conversions here are the ones to re-point.
 *
 * <p>Byte form: the matrix's rows with their padding ({@code rows × stride} elements, native byte order), the exact
 * memory of the {@link DenseMatrix}, so a block round-trips bit for bit and with its zero padding.
 */
final class EngineAdapter {
    private EngineAdapter() {
    }

    /** The kernels chosen for this JVM (each executor chooses its own, logged once). */
    static FactorKernels kernels() {
        return KernelProvider.kernels();
    }

    /** A copy of the matrix's memory (rows with padding). */
    static byte[] toBytes(DenseMatrix x) {
        MemorySegment s = x.segment();
        byte[] bytes = new byte[Math.toIntExact(s.byteSize())];
        MemorySegment.copy(s, 0, MemorySegment.ofArray(bytes), 0, bytes.length);
        return bytes;
    }

    /** A new matrix holding {@code bytes} (the form of {@link #toBytes}). */
    static DenseMatrix fromBytes(byte[] bytes, DType dtype, int rows, int cols) {
        DenseMatrix x = DenseMatrix.allocate(dtype, rows, cols);
        try {
            copyInto(bytes, x);
        } catch (RuntimeException e) {
            x.close();
            throw e;
        }
        return x;
    }

    /** A new matrix holding rows {@code [firstRow, firstRow + rows)} of a matrix in the form of {@link #toBytes}. */
    static DenseMatrix rowsFromBytes(byte[] bytes, DType dtype, long firstRow, int rows, int cols) {
        DenseMatrix x = DenseMatrix.allocate(dtype, rows, cols);
        long rowBytes = (long) x.stride() * dtype.bytes();
        MemorySegment.copy(MemorySegment.ofArray(bytes), firstRow * rowBytes, x.segment(), 0, rows * rowBytes);
        return x;
    }

    /** Copies {@code block} into rows {@code [firstRow, firstRow + block.rows())} of {@code x} (same columns). */
    static void copyRows(DenseMatrix block, DenseMatrix x, long firstRow) {
        long rowBytes = (long) x.stride() * x.dtype().bytes();
        MemorySegment.copy(block.segment(), 0, x.segment(), firstRow * rowBytes, block.rows() * rowBytes);
    }

    /** A new matrix holding rows {@code [firstRow, firstRow + rows)} of {@code x}. */
    static DenseMatrix sliceRows(DenseMatrix x, long firstRow, int rows) {
        DenseMatrix block = DenseMatrix.allocate(x.dtype(), rows, x.cols());
        long rowBytes = (long) x.stride() * x.dtype().bytes();
        MemorySegment.copy(x.segment(), firstRow * rowBytes, block.segment(), 0, rows * rowBytes);
        return block;
    }

    /** Overwrites {@code x} with {@code bytes} (the form of {@link #toBytes}, of the same shape). */
    static void copyInto(byte[] bytes, DenseMatrix x) {
        MemorySegment s = x.segment();
        if (bytes.length != s.byteSize()) {
            throw new IllegalArgumentException("a block of " + bytes.length + " bytes does not fit a " + x.rows()
                    + " x " + x.cols() + " " + x.dtype().label() + " matrix (" + s.byteSize() + " bytes)");
        }
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, s, 0, bytes.length);
    }

    /**
     * {@code acc += partial} element by element in the matrix's own precision, as the engine adds its per-thread
     * partials of MᵀU ({@code IterationEngine}): with the partitions in the engine's chunk order the sum has the
     * engine's bits.
     */
    static void add(DenseMatrix acc, byte[] partial) {
        MemorySegment out = acc.segment();
        MemorySegment p = MemorySegment.ofArray(partial);
        long n = out.byteSize() / acc.dtype().bytes();
        if (acc.dtype() == DType.FLOAT32) {
            for (long k = 0; k < n; k++) {
                out.setAtIndex(ValueLayout.JAVA_FLOAT, k, out.getAtIndex(ValueLayout.JAVA_FLOAT, k)
                        + p.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, k));
            }
        } else {
            for (long k = 0; k < n; k++) {
                out.setAtIndex(ValueLayout.JAVA_DOUBLE, k, out.getAtIndex(ValueLayout.JAVA_DOUBLE, k)
                        + p.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, k));
            }
        }
    }

    /**
     * The driver's share of an iteration, on V (d2 × r, small next to M): its Gram matrix and its gradient step, split
     * over a fixed worker team in the engine's chunk order (so with as many chunks as the engine has threads, the same
     * bits).
     */
    static final class DriverPass implements AutoCloseable {
        private final FactorKernels kernels;
        private final ParallelPass pass;
        private final double[][] partials;

        DriverPass(FactorKernels kernels, int threads, int r) {
            this.kernels = kernels;
            this.pass = new ParallelPass(threads);
            this.partials = new double[threads][r * r];
        }

        /** Writes XᵀX into {@code gram} (r × r), chunk partials added in chunk order. */
        void gram(DenseMatrix x, double[] gram) {
            pass.run((c, start, end) -> {
                java.util.Arrays.fill(partials[c], 0.0);
                kernels.gram(x, start, end, partials[c]);
                return 0.0;
            }, x.rows());
            System.arraycopy(partials[0], 0, gram, 0, gram.length);
            for (int c = 1; c < partials.length; c++) {
                for (int k = 0; k < gram.length; k++) {
                    gram[k] += partials[c][k];
                }
            }
        }

        /** X −= η(X·A − P); returns ‖X·A − P‖²_F. */
        double gradientStep(DenseMatrix x, DenseMatrix p, double[] a, double eta) {
            return pass.run((c, start, end) -> kernels.gradientStep(x, p, a, eta, start, end), x.rows());
        }

        @Override
        public void close() {
            pass.close();
        }
    }
}
