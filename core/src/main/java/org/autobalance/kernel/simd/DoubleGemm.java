// GENERATED from core/src/build/simd/Gemm.java.template by core/src/build/GenerateSimdVariants.java
// (variant DoubleGemm). Do not edit: edit the template, then run
// java core/src/build/GenerateSimdVariants.java from the repository root.
package org.autobalance.kernel.simd;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * C (+)= op(A)·B for float64, with an optional fused bias and activation on the store (see
 * {@link org.autobalance.kernel.GemmKernels}), blocked as GotoBLAS does: k in blocks of {@link #KC}, rows of C in
 * blocks of {@link #MC}; for each panel of 2 vectors of columns, B's panel is packed into a
 * contiguous per-thread array ({@link #pack}), then C's rows are covered by register tiles of 4 rows × 2 vectors
 * (8 accumulators, 2 panel vectors and 1 broadcast: 11 of AVX2's 16 registers, no spill) and single rows for the
 * last m mod 4; a column tail is zero-padded in the panel and stored under a mask. Every k-step loads one row of
 * the panel and broadcasts elements of A; nothing is reduced across lanes, so each element of C is one FMA chain in
 * k order, whatever tile it falls in.
 */
final class DoubleGemm {
    static final VectorSpecies<Double> S = SimdSpecies.DOUBLE;
    static final int L = S.length();
    /** The exact class of S's vectors: see {@link FloatFused#VT} for why every vector goes through it. */
    @SuppressWarnings("unchecked")
    static final Class<DoubleVector> VT = (Class<DoubleVector>) (Class<?>) S.vectorType();
    static final ByteOrder NO = ByteOrder.nativeOrder();
    static final long BYTES = Double.BYTES;
    /** Scalar element reads (the broadcasts of A): unaligned, which skips an alignment check per read. */
    static final ValueLayout.OfDouble E = ValueLayout.JAVA_DOUBLE_UNALIGNED;

    private DoubleGemm() {
    }

    /** The store of a tile: accumulate into C or overwrite it, optionally adding a bias and applying φ. */
    record Epilogue(boolean accumulate, boolean activate, MemorySegment bias, boolean biasPerRow, double slope) {
        static final Epilogue STORE = new Epilogue(false, false, null, false, 1.0);
        static final Epilogue ACCUMULATE = new Epilogue(true, false, null, false, 1.0);
    }

    /** The Scratch slot of the packed panel of B. */
    static final int PANEL_SLOT = 5;

    /**
     * Rows of the k-block: a panel of 2L columns (KC × 2 vectors, 16 KiB at 256 bits in either precision) and the A
     * block stay in L1 and L2.
     */
    static final int KC = 256;
    /**
     * Rows of C per block: the block of A it reads (MC × KC elements, 256 KiB) stays in L2 while every panel of B
     * passes over it, instead of A streaming from memory once per panel (a 4096-row A was read 32 times per GEMM at
     * width 256).
     */
    static final int MC = (256 << 10) / (KC * (int) BYTES);

    static void gemm(boolean transA, int m, int n, int k, MemorySegment a, long aOff, int lda, MemorySegment b,
            long bOff, int ldb, MemorySegment c, long cOff, int ldc, Epilogue ep) {
        long ri = transA ? 1 : lda;
        long pi = transA ? lda : 1;
        double[] panel = Scratch.get().doubles(PANEL_SLOT, Math.min(Math.max(1, k), KC) * 2 * L);
        if (k == 0) {
            block(0, m, n, 0, a, aOff, ri, pi, b, bOff, ldb, c, cOff, ldc, ep, panel);
            return;
        }
        for (int p0 = 0; p0 < k; p0 += KC) {
            int kc = Math.min(KC, k - p0);
            // the FMA chain of each element of C continues across k-blocks through C itself: same bits as unblocked
            Epilogue blockEp = p0 == 0 && p0 + kc == k ? ep
                    : new Epilogue(ep.accumulate() || p0 > 0, p0 + kc == k && ep.activate(), ep.bias(),
                            ep.biasPerRow(), ep.slope());
            for (int i0 = 0; i0 < m; i0 += MC) {
                block(i0, Math.min(m, i0 + MC), n, kc, a, aOff + p0 * pi, ri, pi, b, bOff + (long) p0 * ldb, ldb,
                        c, cOff, ldc, blockEp, panel);
            }
        }
    }

    /** Rows [i0, i1) of C over one k-block of {@code kc} steps (A and B already offset to the block). */
    private static void block(int i0, int i1, int n, int kc, MemorySegment a, long aOff, long ri, long pi,
            MemorySegment b, long bOff, int ldb, MemorySegment c, long cOff, int ldc, Epilogue ep, double[] panel) {
        for (int j = 0; j < n; j += 2 * L) {
            pack(b, bOff + j, ldb, kc, Math.min(2 * L, n - j), panel);
            VectorMask<Double> m0 = S.indexInRange(j, n);
            VectorMask<Double> m1 = S.indexInRange(j + L, n);
            int i = i0;
            for (; i + 4 <= i1; i += 4) {
                tile4x2(kc, a, aOff + i * ri, ri, pi, panel, c, cOff + (long) i * ldc + j, ldc, ep, i, j, m0, m1);
            }
            for (; i < i1; i++) {
                tile1x2(kc, a, aOff + i * ri, pi, panel, c, cOff + (long) i * ldc + j, ep, i, j, m0, m1);
            }
        }
    }

    /**
     * Copies B[0..k, j..j + w) into {@code panel} (k rows of 2L, zero beyond w): contiguous and reused by every row
     * tile, where B itself, read in place, strides by ldb between k-steps — at power-of-two strides (256 columns:
     * 1 or 2 KiB) every row of the panel falls into the same few L1 sets and the tiles ran from L2 (float64 3x
     * slower than OpenBLAS at width 256 before packing).
     */
    private static void pack(MemorySegment b, long b0, int ldb, int k, int w, double[] panel) {
        long bb = b0 * BYTES;
        long bs = (long) ldb * BYTES;
        if (w == 2 * L) {
            for (int p = 0; p < k; p++, bb += bs) {
                VT.cast(DoubleVector.fromMemorySegment(S, b, bb, NO)).intoArray(panel, p * 2 * L);
                VT.cast(DoubleVector.fromMemorySegment(S, b, bb + L * BYTES, NO)).intoArray(panel, p * 2 * L + L);
            }
        } else {
            VectorMask<Double> m0 = S.indexInRange(0, w);
            VectorMask<Double> m1 = S.indexInRange(L, w);
            for (int p = 0; p < k; p++, bb += bs) {
                VT.cast(DoubleVector.fromMemorySegment(S, b, bb, NO, m0)).intoArray(panel, p * 2 * L);
                VT.cast(DoubleVector.fromMemorySegment(S, b, bb + L * BYTES, NO, m1)).intoArray(panel, p * 2 * L + L);
            }
        }
    }

    /** Loads C for accumulation, or zero. */
    private static DoubleVector init(MemorySegment c, long off, Epilogue ep, VectorMask<Double> mask) {
        return ep.accumulate() ? VT.cast(DoubleVector.fromMemorySegment(S, c, off, NO, mask))
                : VT.cast(DoubleVector.zero(S));
    }

    /** The bias and activation of one stored vector: row i, columns from j. */
    private static DoubleVector finish(DoubleVector acc, Epilogue ep, int i, int j, VectorMask<Double> mask) {
        DoubleVector z = VT.cast(acc); // an accumulator from a loop: not typed exactly where C2 parses the calls below
        if (!ep.activate()) {
            return z;
        }
        if (ep.bias() != null) {
            z = z.add(ep.biasPerRow() ? VT.cast(DoubleVector.broadcast(S, ep.bias().getAtIndex(E, i)))
                    : VT.cast(DoubleVector.fromMemorySegment(S, ep.bias(), j * BYTES, NO, mask)));
        }
        return z.blend(z.mul(ep.slope()), z.compare(VectorOperators.LT, 0.0));
    }

    /** C[0..4, 0..2L) (+)= Σ_p A(r, p)·panel[p, 0..2L), A(r, p) at a[a0 + r·ri + p·pi]; stores under m0, m1. */
    private static void tile4x2(int k, MemorySegment a, long a0, long ri, long pi, double[] panel, MemorySegment c,
            long c0, int ldc, Epilogue ep, int i, int j, VectorMask<Double> m0, VectorMask<Double> m1) {
        long cb = c0 * BYTES;
        long cs = (long) ldc * BYTES;
        long lb = L * BYTES;
        DoubleVector c00 = init(c, cb, ep, m0);
        DoubleVector c01 = init(c, cb + lb, ep, m1);
        DoubleVector c10 = init(c, cb + cs, ep, m0);
        DoubleVector c11 = init(c, cb + cs + lb, ep, m1);
        DoubleVector c20 = init(c, cb + 2 * cs, ep, m0);
        DoubleVector c21 = init(c, cb + 2 * cs + lb, ep, m1);
        DoubleVector c30 = init(c, cb + 3 * cs, ep, m0);
        DoubleVector c31 = init(c, cb + 3 * cs + lb, ep, m1);
        for (int p = 0; p < k; p++) {
            DoubleVector b0v = VT.cast(DoubleVector.fromArray(S, panel, p * 2 * L));
            DoubleVector b1v = VT.cast(DoubleVector.fromArray(S, panel, p * 2 * L + L));
            long ap = a0 + p * pi;
            DoubleVector x = VT.cast(DoubleVector.broadcast(S, a.getAtIndex(E, ap)));
            c00 = x.fma(b0v, c00);
            c01 = x.fma(b1v, c01);
            x = VT.cast(DoubleVector.broadcast(S, a.getAtIndex(E, ap + ri)));
            c10 = x.fma(b0v, c10);
            c11 = x.fma(b1v, c11);
            x = VT.cast(DoubleVector.broadcast(S, a.getAtIndex(E, ap + 2 * ri)));
            c20 = x.fma(b0v, c20);
            c21 = x.fma(b1v, c21);
            x = VT.cast(DoubleVector.broadcast(S, a.getAtIndex(E, ap + 3 * ri)));
            c30 = x.fma(b0v, c30);
            c31 = x.fma(b1v, c31);
        }
        finish(c00, ep, i, j, m0).intoMemorySegment(c, cb, NO, m0);
        finish(c01, ep, i, j + L, m1).intoMemorySegment(c, cb + lb, NO, m1);
        finish(c10, ep, i + 1, j, m0).intoMemorySegment(c, cb + cs, NO, m0);
        finish(c11, ep, i + 1, j + L, m1).intoMemorySegment(c, cb + cs + lb, NO, m1);
        finish(c20, ep, i + 2, j, m0).intoMemorySegment(c, cb + 2 * cs, NO, m0);
        finish(c21, ep, i + 2, j + L, m1).intoMemorySegment(c, cb + 2 * cs + lb, NO, m1);
        finish(c30, ep, i + 3, j, m0).intoMemorySegment(c, cb + 3 * cs, NO, m0);
        finish(c31, ep, i + 3, j + L, m1).intoMemorySegment(c, cb + 3 * cs + lb, NO, m1);
    }

    /** One row of C × the panel's 2L columns (stored under m0, m1). */
    private static void tile1x2(int k, MemorySegment a, long a0, long pi, double[] panel, MemorySegment c, long c0,
            Epilogue ep, int i, int j, VectorMask<Double> m0, VectorMask<Double> m1) {
        long cb = c0 * BYTES;
        long lb = L * BYTES;
        DoubleVector c0v = init(c, cb, ep, m0);
        DoubleVector c1v = init(c, cb + lb, ep, m1);
        for (int p = 0; p < k; p++) {
            DoubleVector x = VT.cast(DoubleVector.broadcast(S, a.getAtIndex(E, a0 + p * pi)));
            c0v = x.fma(VT.cast(DoubleVector.fromArray(S, panel, p * 2 * L)), c0v);
            c1v = x.fma(VT.cast(DoubleVector.fromArray(S, panel, p * 2 * L + L)), c1v);
        }
        finish(c0v, ep, i, j, m0).intoMemorySegment(c, cb, NO, m0);
        finish(c1v, ep, i, j + L, m1).intoMemorySegment(c, cb + lb, NO, m1);
    }

    /** D ← D·φ'(Y) over an m × n block (see {@link org.autobalance.kernel.GemmKernels#activationSlope}). */
    static void activationSlope(int m, int n, MemorySegment y, long yOff, int ldy, MemorySegment d, long dOff,
            int ldd, double slope) {
        for (int i = 0; i < m; i++) {
            long yb = (yOff + (long) i * ldy) * BYTES;
            long db = (dOff + (long) i * ldd) * BYTES;
            int j = 0;
            for (; j + L <= n; j += L) {
                DoubleVector yv = VT.cast(DoubleVector.fromMemorySegment(S, y, yb + j * BYTES, NO));
                DoubleVector dv = VT.cast(DoubleVector.fromMemorySegment(S, d, db + j * BYTES, NO));
                dv.blend(dv.mul(slope), yv.compare(VectorOperators.GT, 0.0).not())
                        .intoMemorySegment(d, db + j * BYTES, NO);
            }
            if (j < n) {
                VectorMask<Double> mask = S.indexInRange(j, n);
                DoubleVector yv = VT.cast(DoubleVector.fromMemorySegment(S, y, yb + j * BYTES, NO, mask));
                DoubleVector dv = VT.cast(DoubleVector.fromMemorySegment(S, d, db + j * BYTES, NO, mask));
                dv.blend(dv.mul(slope), yv.compare(VectorOperators.GT, 0.0).not())
                        .intoMemorySegment(d, db + j * BYTES, NO, mask);
            }
        }
    }
}
