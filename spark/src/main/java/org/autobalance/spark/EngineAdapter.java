package org.autobalance.spark;

import java.lang.foreign.MemorySegment;
import org.autobalance.kernel.FactorKernels;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.parallel.IterationEngine;
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
    /** The most threads a worker team takes. */
    static final int MAX_THREADS = ParallelPass.MAX_THREADS;

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

    /**
     * Copies a block of rows in the form of {@link #toBytes} (of x's columns) into rows {@code [firstRow, firstRow +
     * rows)} of {@code x}; returns the block's rows.
     */
    static int copyRows(byte[] block, DenseMatrix x, long firstRow) {
        long rowBytes = (long) x.stride() * x.dtype().bytes();
        MemorySegment.copy(MemorySegment.ofArray(block), 0, x.segment(), firstRow * rowBytes, block.length);
        return Math.toIntExact(block.length / rowBytes);
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
     * Whether {@code x} holds the values of {@code bytes} (the form of {@link #toBytes}, of x's shape) bit for bit: its
     * rows compared without their padding, as core's digest of a matrix reads them ({@code MatrixDigest}).
     */
    static boolean sameValues(byte[] bytes, DenseMatrix x) {
        MemorySegment block = MemorySegment.ofArray(bytes);
        long rowBytes = (long) x.cols() * x.dtype().bytes();
        long strideBytes = (long) x.stride() * x.dtype().bytes();
        for (long at = 0; at < (long) x.rows() * strideBytes; at += strideBytes) {
            if (MemorySegment.mismatch(block, at, at + rowBytes, x.segment(), at, at + rowBytes) >= 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code acc += partial} element by element in the matrix's own precision, as the engine adds its per-thread
     * partials of MᵀU ({@code IterationEngine}): with the partitions in the engine's chunk order the sum has the
     * engine's bits.
     */
    static void add(DenseMatrix acc, byte[] partial) {
        IterationEngine.addRange(acc, MemorySegment.ofArray(partial), 0,
                acc.segment().byteSize() / acc.dtype().bytes());
    }

    /**
     * A fixed worker team running the kernels over a matrix's rows split into the engine's chunks ({@link
     * ParallelPass}: chunk c is rows [n·c/T, n·(c+1)/T), run by worker c, results added in chunk order), so that each
     * operation has the bits of the engine's with T threads over the same rows. The driver's team does V's share (d2
     * rows); a task's team does its partition's block, so one fat partition uses all the cores its task was given.
     *
     * <p>One thread at a time may use a team ({@link ParallelPass} is not re-entrant): a task holds its block's team
     * exclusively ({@link MatrixBlock#takeTeam}).
     */
    static final class Team implements AutoCloseable {
        private final FactorKernels kernels;
        private final ParallelPass pass;
        /** Per thread, the scratch of a float32 chunk's blocks of MᵀU ({@link IterationEngine#fusedChunk}). */
        private final DenseMatrix[] blocks;

        Team(int threads) {
            this.kernels = kernels();
            this.pass = new ParallelPass(threads);
            this.blocks = new DenseMatrix[threads];
        }

        int threads() {
            return pass.threads();
        }

        /** Writes XᵀX into {@code gram} (k × k for k columns), chunk partials added in chunk order. */
        void gram(DenseMatrix x, double[] gram) {
            double[][] partials = new double[pass.threads()][gram.length];
            pass.run((c, start, end) -> {
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

        /** ⟨A, B⟩ over the rows of A and B (of one shape). */
        double dot(DenseMatrix a, DenseMatrix b) {
            return pass.run((c, start, end) -> kernels.dot(a, b, start, end), a.rows());
        }

        /** ‖UVᵀ − M‖²_F over M's rows (U's rows alike), residual rows formed on the fly. */
        double residualSquared(DenseMatrix m, DenseMatrix u, DenseMatrix v) {
            return pass.run((c, start, end) -> kernels.residualSquared(m, u, v, start, end), m.rows());
        }

        /**
         * The engine's fused pass over M's rows: MV into {@code mv}; chunk c's partial MᵀU into {@code mtu[c]} (each
         * zeroed first), then the partials added into {@code mtu[0]} in chunk order, split over V's rows as the
         * engine splits that reduction. Returns ⟨U, MV⟩, summed in chunk order.
         *
         * @param mtu one d2 × k matrix per thread; {@code mtu[0]} receives MᵀU
         */
        double fusedPass(DenseMatrix m, DenseMatrix u, DenseMatrix v, DenseMatrix mv, DenseMatrix[] mtu) {
            if (mtu.length != pass.threads()) {
                throw new IllegalArgumentException("a team of " + pass.threads() + " needs as many partials, got "
                        + mtu.length);
            }
            double dot = pass.run((c, start, end) -> {
                IterationEngine.fusedChunk(kernels, m, u, v, start, end, mv, mtu[c], () -> block(c, mtu[c]));
                return kernels.dot(u, mv, start, end);
            }, m.rows());
            if (mtu.length > 1) {
                long stride = mtu[0].stride();
                pass.run((c, start, end) -> {
                    for (int p = 1; p < mtu.length; p++) {
                        IterationEngine.addRange(mtu[0], mtu[p].segment(), start * stride, end * stride);
                    }
                    return 0.0;
                }, v.rows());
            }
            return dot;
        }

        @Override
        public void close() {
            pass.close();
            for (int c = 0; c < blocks.length; c++) {
                if (blocks[c] != null) {
                    blocks[c].close();
                    blocks[c] = null;
                }
            }
        }

        /** Thread c's block scratch of {@code partial}'s shape and dtype (made, or made again, on first need). */
        private DenseMatrix block(int c, DenseMatrix partial) {
            DenseMatrix b = blocks[c];
            if (b == null || b.rows() != partial.rows() || b.cols() != partial.cols() || b.dtype() != partial.dtype()) {
                if (b != null) {
                    b.close();
                }
                b = DenseMatrix.allocate(partial.dtype(), partial.rows(), partial.cols());
                blocks[c] = b;
            }
            return b;
        }
    }
}
