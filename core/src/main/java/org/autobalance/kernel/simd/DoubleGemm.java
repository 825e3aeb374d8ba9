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
 * {@link org.autobalance.kernel.GemmKernels}). C is covered by register tiles of 4 rows × 2 vectors (8
 * accumulators, 2 B vectors and 1 broadcast: 11 of AVX2's 16 registers, no spill), then 4 rows × 1 vector (full or
 * masked: a column tail costs one pass over B per 4 rows, not per row), then single rows for the last m mod 4.
 * Every k-step loads vectors of one row of B and broadcasts elements of A; nothing is reduced across lanes, so each
 * element of C is one FMA chain in k order, whatever tile it falls in.
 */
final class DoubleGemm {
    static final VectorSpecies<Double> S = SimdSpecies.DOUBLE;
    static final int L = S.length();
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

    static void gemm(boolean transA, int m, int n, int k, MemorySegment a, long aOff, int lda, MemorySegment b,
            long bOff, int ldb, MemorySegment c, long cOff, int ldc, Epilogue ep) {
        long ri = transA ? 1 : lda;
        long pi = transA ? lda : 1;
        int i = 0;
        for (; i + 4 <= m; i += 4) {
            long ai = aOff + i * ri;
            long ci = cOff + (long) i * ldc;
            int j = 0;
            for (; j + 2 * L <= n; j += 2 * L) {
                tile4x2(k, a, ai, ri, pi, b, bOff + j, ldb, c, ci + j, ldc, ep, i, j);
            }
            for (; j < n; j += L) {
                tile4x1(k, a, ai, ri, pi, b, bOff + j, ldb, c, ci + j, ldc, ep, i, j, S.indexInRange(j, n));
            }
        }
        for (; i < m; i++) {
            long ai = aOff + i * ri;
            long ci = cOff + (long) i * ldc;
            for (int j = 0; j < n; j += L) {
                tile1x1(k, a, ai, pi, b, bOff + j, ldb, c, ci + j, ep, i, j, S.indexInRange(j, n));
            }
        }
    }

    /** Loads C for accumulation, or zero. */
    private static DoubleVector init(MemorySegment c, long off, Epilogue ep) {
        return ep.accumulate() ? DoubleVector.fromMemorySegment(S, c, off, NO) : DoubleVector.zero(S);
    }

    private static DoubleVector init(MemorySegment c, long off, Epilogue ep, VectorMask<Double> mask) {
        return ep.accumulate() ? DoubleVector.fromMemorySegment(S, c, off, NO, mask) : DoubleVector.zero(S);
    }

    /** The bias and activation of one stored vector: row i, columns from j. */
    private static DoubleVector finish(DoubleVector z, Epilogue ep, int i, int j, VectorMask<Double> mask) {
        if (!ep.activate()) {
            return z;
        }
        if (ep.bias() != null) {
            z = z.add(ep.biasPerRow() ? DoubleVector.broadcast(S, ep.bias().getAtIndex(E, i))
                    : DoubleVector.fromMemorySegment(S, ep.bias(), j * BYTES, NO, mask));
        }
        return z.blend(z.mul(ep.slope()), z.compare(VectorOperators.LT, 0.0));
    }

    private static void tile4x2(int k, MemorySegment a, long a0, long ri, long pi, MemorySegment b, long b0,
            int ldb, MemorySegment c, long c0, int ldc, Epilogue ep, int i, int j) {
        long cb = c0 * BYTES;
        long cs = (long) ldc * BYTES;
        long lb = L * BYTES;
        DoubleVector c00 = init(c, cb, ep);
        DoubleVector c01 = init(c, cb + lb, ep);
        DoubleVector c10 = init(c, cb + cs, ep);
        DoubleVector c11 = init(c, cb + cs + lb, ep);
        DoubleVector c20 = init(c, cb + 2 * cs, ep);
        DoubleVector c21 = init(c, cb + 2 * cs + lb, ep);
        DoubleVector c30 = init(c, cb + 3 * cs, ep);
        DoubleVector c31 = init(c, cb + 3 * cs + lb, ep);
        long bb = b0 * BYTES;
        long bs = (long) ldb * BYTES;
        for (int p = 0; p < k; p++) {
            DoubleVector b0v = DoubleVector.fromMemorySegment(S, b, bb, NO);
            DoubleVector b1v = DoubleVector.fromMemorySegment(S, b, bb + lb, NO);
            bb += bs;
            long ap = a0 + p * pi;
            DoubleVector x = DoubleVector.broadcast(S, a.getAtIndex(E, ap));
            c00 = x.fma(b0v, c00);
            c01 = x.fma(b1v, c01);
            x = DoubleVector.broadcast(S, a.getAtIndex(E, ap + ri));
            c10 = x.fma(b0v, c10);
            c11 = x.fma(b1v, c11);
            x = DoubleVector.broadcast(S, a.getAtIndex(E, ap + 2 * ri));
            c20 = x.fma(b0v, c20);
            c21 = x.fma(b1v, c21);
            x = DoubleVector.broadcast(S, a.getAtIndex(E, ap + 3 * ri));
            c30 = x.fma(b0v, c30);
            c31 = x.fma(b1v, c31);
        }
        VectorMask<Double> all = S.maskAll(true);
        finish(c00, ep, i, j, all).intoMemorySegment(c, cb, NO);
        finish(c01, ep, i, j + L, all).intoMemorySegment(c, cb + lb, NO);
        finish(c10, ep, i + 1, j, all).intoMemorySegment(c, cb + cs, NO);
        finish(c11, ep, i + 1, j + L, all).intoMemorySegment(c, cb + cs + lb, NO);
        finish(c20, ep, i + 2, j, all).intoMemorySegment(c, cb + 2 * cs, NO);
        finish(c21, ep, i + 2, j + L, all).intoMemorySegment(c, cb + 2 * cs + lb, NO);
        finish(c30, ep, i + 3, j, all).intoMemorySegment(c, cb + 3 * cs, NO);
        finish(c31, ep, i + 3, j + L, all).intoMemorySegment(c, cb + 3 * cs + lb, NO);
    }

    /** 4 rows × one vector of columns, the lanes of {@code mask} (all of them but in the last column tile). */
    private static void tile4x1(int k, MemorySegment a, long a0, long ri, long pi, MemorySegment b, long b0,
            int ldb, MemorySegment c, long c0, int ldc, Epilogue ep, int i, int j, VectorMask<Double> mask) {
        long cb = c0 * BYTES;
        long cs = (long) ldc * BYTES;
        DoubleVector c0v = init(c, cb, ep, mask);
        DoubleVector c1v = init(c, cb + cs, ep, mask);
        DoubleVector c2v = init(c, cb + 2 * cs, ep, mask);
        DoubleVector c3v = init(c, cb + 3 * cs, ep, mask);
        long bb = b0 * BYTES;
        long bs = (long) ldb * BYTES;
        for (int p = 0; p < k; p++) {
            DoubleVector bv = DoubleVector.fromMemorySegment(S, b, bb, NO, mask);
            bb += bs;
            long ap = a0 + p * pi;
            c0v = DoubleVector.broadcast(S, a.getAtIndex(E, ap)).fma(bv, c0v);
            c1v = DoubleVector.broadcast(S, a.getAtIndex(E, ap + ri)).fma(bv, c1v);
            c2v = DoubleVector.broadcast(S, a.getAtIndex(E, ap + 2 * ri)).fma(bv, c2v);
            c3v = DoubleVector.broadcast(S, a.getAtIndex(E, ap + 3 * ri)).fma(bv, c3v);
        }
        finish(c0v, ep, i, j, mask).intoMemorySegment(c, cb, NO, mask);
        finish(c1v, ep, i + 1, j, mask).intoMemorySegment(c, cb + cs, NO, mask);
        finish(c2v, ep, i + 2, j, mask).intoMemorySegment(c, cb + 2 * cs, NO, mask);
        finish(c3v, ep, i + 3, j, mask).intoMemorySegment(c, cb + 3 * cs, NO, mask);
    }

    /** One row of C × one vector of columns (the lanes of {@code mask}). */
    private static void tile1x1(int k, MemorySegment a, long a0, long pi, MemorySegment b, long b0, int ldb,
            MemorySegment c, long c0, Epilogue ep, int i, int j, VectorMask<Double> mask) {
        long cb = c0 * BYTES;
        DoubleVector acc = init(c, cb, ep, mask);
        long bb = b0 * BYTES;
        long bs = (long) ldb * BYTES;
        for (int p = 0; p < k; p++) {
            DoubleVector bv = DoubleVector.fromMemorySegment(S, b, bb, NO, mask);
            bb += bs;
            acc = DoubleVector.broadcast(S, a.getAtIndex(E, a0 + p * pi)).fma(bv, acc);
        }
        finish(acc, ep, i, j, mask).intoMemorySegment(c, cb, NO, mask);
    }

    /** D ← D·φ'(Y) over an m × n block (see {@link org.autobalance.kernel.GemmKernels#activationSlope}). */
    static void activationSlope(int m, int n, MemorySegment y, long yOff, int ldy, MemorySegment d, long dOff,
            int ldd, double slope) {
        for (int i = 0; i < m; i++) {
            long yb = (yOff + (long) i * ldy) * BYTES;
            long db = (dOff + (long) i * ldd) * BYTES;
            int j = 0;
            for (; j + L <= n; j += L) {
                DoubleVector yv = DoubleVector.fromMemorySegment(S, y, yb + j * BYTES, NO);
                DoubleVector dv = DoubleVector.fromMemorySegment(S, d, db + j * BYTES, NO);
                dv.blend(dv.mul(slope), yv.compare(VectorOperators.GT, 0.0).not())
                        .intoMemorySegment(d, db + j * BYTES, NO);
            }
            if (j < n) {
                VectorMask<Double> mask = S.indexInRange(j, n);
                DoubleVector yv = DoubleVector.fromMemorySegment(S, y, yb + j * BYTES, NO, mask);
                DoubleVector dv = DoubleVector.fromMemorySegment(S, d, db + j * BYTES, NO, mask);
                dv.blend(dv.mul(slope), yv.compare(VectorOperators.GT, 0.0).not())
                        .intoMemorySegment(d, db + j * BYTES, NO, mask);
            }
        }
    }
}
