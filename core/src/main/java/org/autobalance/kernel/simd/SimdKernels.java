package org.autobalance.kernel.simd;

import org.autobalance.kernel.FactorKernels;
import org.autobalance.kernel.ScalarKernels;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;

/**
 * {@link FactorKernels} on the incubating Vector API ({@code jdk.incubator.vector}), float32 and float64, register
 * blocked and hand-tuned; every incubator import of the project lives in this package. Loaded only reflectively by
 * {@link org.autobalance.kernel.KernelProvider}, so that a JVM without the vector module never links it.
 *
 * <p>Determinism: all sums run in an order fixed by the code (lane sums in lane order, never {@code reduceLanes}),
 * so results are bit-for-bit identical run to run, on any thread, in the interpreter and in every JIT tier.
 *
 * <p>Allocation: none per call once warm; each worker thread keeps its own scratch (one {@link ThreadLocal} lookup per
 * call). Shapes whose scratch would not fit a Java array (about 2³¹ elements, e.g. d2 · r) fall back to the scalar
 * reference.
 *
 * <p>Width: {@code -Dautobalance.simd.bits} for everything; optionally {@code -Dautobalance.simd.largeRankBits} for the
 * fused pass at ranks past 2 vectors of that width, 4 without 32 vector registers ({@code FloatFusedLarge},
 * {@code DoubleFusedLarge}, GEMM path: a rank that the small-rank property sends to the small-r path runs at the
 * normal width). Where 32 vector
 * registers exist, the middle ranks between the small-rank threshold and two vectors of the large-rank width (float32
 * 9–32, float64 5–16 with AVX-512) run those classes' row-stream path, which reads M without a panel copy
 * ({@code -Dautobalance.simd.rowStream.float32/64}, 0 = off). The float32 Gram and gradient step run at the
 * large-rank width from one of its vectors of rank ({@code FloatOpsLarge}), with the same bits but for ‖G‖²'s.
 *
 * <p>The fused pass assumes the caller passes large row ranges (hundreds of rows or more): each call packs V and MᵀU
 * (O(d2·r)) once, which is amortised over the rows of the range.
 */
public final class SimdKernels implements FactorKernels {
    private static final FactorKernels SCALAR = new ScalarKernels();
    /** Whether large ranks use a different width ({@code -Dautobalance.simd.largeRankBits}; off by default). */
    private static final boolean LARGE = SimdSpecies.LARGE_RANK_BITS != SimdSpecies.BITS;
    /**
     * Smallest float32 rank of {@code FloatFusedLarge}'s GEMM path where {@link #LARGE}: past two of its vectors where
     * 32 vector registers exist (it has tiles of 3 and 4 vectors there, so no rank pads more than at the normal width;
     * on the Intel AVX-512 host float64 r = 20–24 ran 25 % and float32 r = 40–48 33 % faster than on the 256-bit
     * tiles, native-notes/kernels.md 35; not measured on an AMD AVX-512 host, where the same choice applies), else 4
     * vectors (its 6 × 2 tiles would pad ranks below that more than the normal width does).
     */
    private static final int FLOAT_LARGE_MIN = largeMin(FloatFusedLarge.L);
    /** As {@link #FLOAT_LARGE_MIN} for float64 ({@code DoubleFusedLarge}). */
    private static final int DOUBLE_LARGE_MIN = largeMin(DoubleFusedLarge.L);
    /**
     * Smallest float32 rank whose Gram and gradient step run at the large-rank width ({@code FloatOpsLarge}) where
     * {@link #LARGE}: one of its vectors. The sums are those of {@code FloatOps} element by element (X, the Gram: same
     * bits); ‖G‖²'s lanes group the columns by that width instead. At r = 16 on the Intel AVX-512 host the step of U
     * with its Gram took 3.6–4.2 ms at 512 bits against 4.3–6.3 at 256 (100 000 rows), the sparse iteration at r = 64
     * 8–9 % less (native-notes/sparse.md, "Twenty-fourth session: the step and its Gram at 512 bits, built").
     */
    private static final int FLOAT_OPS_LARGE_MIN = FloatOpsLarge.L;

    /**
     * Creates the kernels.
     *
     * @throws UnsupportedOperationException if the platform's preferred vector width is below 128 bits (the Vector
     *         API would run in its slow Java fallback)
     */
    public SimdKernels() {
        if (SimdSpecies.preferredBits() < 128) {
            throw new UnsupportedOperationException("preferred vector width is " + SimdSpecies.preferredBits()
                    + " bits, below the 128 the SIMD kernels need");
        }
        if (SimdSpecies.FLOAT.length() < 4 || SimdSpecies.DOUBLE.length() < 2) {
            throw new UnsupportedOperationException("unexpected vector species " + SimdSpecies.FLOAT);
        }
    }

    /** The vector width the kernels use, in bits (see {@code autobalance.simd.bits}). */
    public static int vectorBits() {
        return SimdSpecies.BITS;
    }

    /**
     * The large-rank width in bits (see {@code autobalance.simd.largeRankBits}): the gather product's and the observed
     * pass's.
     */
    public static int largeRankBits() {
        return SimdSpecies.LARGE_RANK_BITS;
    }

    /** The platform's preferred vector width, in bits, before the default cap of 256. */
    public static int preferredBits() {
        return SimdSpecies.preferredBits();
    }

    /**
     * Whether the fused pass has its 32-register shapes: the wide GEMM tiles, the row stream and the small-rank
     * sweeps of 4 ranks (see {@code autobalance.simd.wideTiles}).
     */
    public static boolean wideTiles() {
        return SimdSpecies.WIDE_TILES;
    }

    /**
     * The largest rank the fused pass's small-rank path takes in {@code dtype} ({@code autobalance.simd.smallRank.*}).
     */
    public static int smallRankMax(DType dtype) {
        return dtype == DType.FLOAT32 ? FusedTuning.FLOAT_SMALL_MAX : FusedTuning.DOUBLE_SMALL_MAX;
    }

    @Override
    public String name() {
        return SimdSpecies.kernelName();
    }

    /**
     * Above the small-rank path (which sweeps a row to its stride, its padding taken as zero), blocks of JB columns:
     * the row stream reads a row to its columns rounded up to a vector, the GEMM path's panels copy JB columns at a
     * time up to the same bound, so neither reads past a block that ends at a multiple of JB, or at M's last column.
     */
    @Override
    public int columnBlock(DType dtype, int rank) {
        if (rank <= smallRankMax(dtype)) {
            return 0;
        }
        return dtype == DType.FLOAT32 ? FusedTuning.FLOAT_JB : FusedTuning.DOUBLE_JB;
    }

    @Override
    public void fusedPass(DenseMatrix m, DenseMatrix u, DenseMatrix v, int rowStart, int rowEnd, DenseMatrix mv,
            DenseMatrix mtu) {
        int r = u.cols();
        if (m.dtype() == DType.FLOAT32) {
            if (r > FloatFused.SMALL_MAX && r <= FloatFusedLarge.ROW_STREAM_MAX && FloatFusedLarge.rowStreamFits(m)) {
                FloatFusedLarge.rowStream(m, u, v, rowStart, rowEnd, mv, mtu, Scratch.get());
                return;
            }
            if (LARGE && r >= FLOAT_LARGE_MIN && r > FloatFused.SMALL_MAX && FloatFusedLarge.fits(m, u)) {
                FloatFusedLarge.fusedPass(m, u, v, rowStart, rowEnd, mv, mtu, Scratch.get());
                return;
            }
            if (FloatFused.fits(m, u)) {
                FloatFused.fusedPass(m, u, v, rowStart, rowEnd, mv, mtu, Scratch.get());
                return;
            }
        } else {
            if (r > DoubleFused.SMALL_MAX && r <= DoubleFusedLarge.ROW_STREAM_MAX
                    && DoubleFusedLarge.rowStreamFits(m)) {
                DoubleFusedLarge.rowStream(m, u, v, rowStart, rowEnd, mv, mtu, Scratch.get());
                return;
            }
            if (LARGE && r >= DOUBLE_LARGE_MIN && r > DoubleFused.SMALL_MAX && DoubleFusedLarge.fits(m, u)) {
                DoubleFusedLarge.fusedPass(m, u, v, rowStart, rowEnd, mv, mtu, Scratch.get());
                return;
            }
            if (DoubleFused.fits(m, u)) {
                DoubleFused.fusedPass(m, u, v, rowStart, rowEnd, mv, mtu, Scratch.get());
                return;
            }
        }
        SCALAR.fusedPass(m, u, v, rowStart, rowEnd, mv, mtu);
    }

    private static int largeMin(int lanes) {
        return SimdSpecies.WIDE_TILES ? 2 * lanes + 1 : 4 * lanes;
    }

    private static boolean floatOpsLarge(DenseMatrix x) {
        return LARGE && x.cols() >= FLOAT_OPS_LARGE_MIN;
    }

    @Override
    public void gram(DenseMatrix x, int rowStart, int rowEnd, double[] gram) {
        if (x.dtype() == DType.FLOAT32) {
            if (floatOpsLarge(x)) {
                FloatOpsLarge.gram(x, rowStart, rowEnd, gram, Scratch.get());
                return;
            }
            FloatOps.gram(x, rowStart, rowEnd, gram, Scratch.get());
        } else {
            DoubleOps.gram(x, rowStart, rowEnd, gram, Scratch.get());
        }
    }

    @Override
    public double gradientStep(DenseMatrix x, DenseMatrix p, double[] a, double eta, int rowStart, int rowEnd) {
        if (x.dtype() == DType.FLOAT32 && floatOpsLarge(x)) {
            return FloatOpsLarge.gradientStep(x, p, a, eta, rowStart, rowEnd, null, Scratch.get());
        }
        return x.dtype() == DType.FLOAT32
                ? FloatOps.gradientStep(x, p, a, eta, rowStart, rowEnd, null, Scratch.get())
                : DoubleOps.gradientStep(x, p, a, eta, rowStart, rowEnd, null, Scratch.get());
    }

    @Override
    public double gradientStepAndGram(DenseMatrix x, DenseMatrix p, double[] a, double eta, int rowStart, int rowEnd,
            double[] gram) {
        if (x.dtype() == DType.FLOAT32 && floatOpsLarge(x)) {
            return FloatOpsLarge.gradientStep(x, p, a, eta, rowStart, rowEnd, gram, Scratch.get());
        }
        return x.dtype() == DType.FLOAT32
                ? FloatOps.gradientStep(x, p, a, eta, rowStart, rowEnd, gram, Scratch.get())
                : DoubleOps.gradientStep(x, p, a, eta, rowStart, rowEnd, gram, Scratch.get());
    }

    @Override
    public double dot(DenseMatrix x, DenseMatrix y, int rowStart, int rowEnd) {
        return x.dtype() == DType.FLOAT32 ? FloatOps.dot(x, y, rowStart, rowEnd, Scratch.get())
                : DoubleOps.dot(x, y, rowStart, rowEnd, Scratch.get());
    }

    @Override
    public double residualSquared(DenseMatrix m, DenseMatrix u, DenseMatrix v, int rowStart, int rowEnd) {
        if ((long) u.cols() * (m.stride() + 64L) >= Integer.MAX_VALUE - 64) {
            return SCALAR.residualSquared(m, u, v, rowStart, rowEnd);
        }
        return m.dtype() == DType.FLOAT32
                ? FloatOps.residualSquared(m, u, v, rowStart, rowEnd, Scratch.get())
                : DoubleOps.residualSquared(m, u, v, rowStart, rowEnd, Scratch.get());
    }
}
