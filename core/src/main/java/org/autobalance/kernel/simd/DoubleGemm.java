package org.autobalance.kernel.simd;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * C (+)= op(A)·B for float64 (see {@link org.autobalance.kernel.GemmKernels}): register tiles of 4 rows of C × 2
 * vectors of columns (8 accumulators, 2 B vectors and 1 broadcast: 11 of AVX2's 16 registers, no spill), each
 * k-step loading two vectors of a row of B and broadcasting four elements of A. Nothing is reduced across lanes,
 * so every element of C is summed in k order with FMAs: the bits do not depend on the tile a row falls in beyond
 * that order (a column tail uses the same order under a mask).
 */
final class DoubleGemm {
    static final VectorSpecies<Double> S = SimdSpecies.DOUBLE;
    static final int L = S.length();
    static final ByteOrder NO = ByteOrder.nativeOrder();
    static final long BYTES = Double.BYTES;
    static final ValueLayout.OfDouble E = ValueLayout.JAVA_DOUBLE;
    /** Rows of C per register tile. */
    static final int MR = 4;

    private DoubleGemm() {
    }

    static void gemm(boolean transA, int m, int n, int k, MemorySegment a, long aOff, int lda, MemorySegment b,
            long bOff, int ldb, MemorySegment c, long cOff, int ldc, boolean accumulate) {
        long ri = transA ? 1 : lda;
        long pi = transA ? lda : 1;
        int i = 0;
        for (; i + MR <= m; i += MR) {
            int j = 0;
            for (; j + 2 * L <= n; j += 2 * L) {
                tile4x2(k, a, aOff + i * ri, ri, pi, b, bOff + j, ldb, c, cOff + (long) i * ldc + j, ldc, accumulate);
            }
            for (; j < n; j += L) {
                VectorMask<Double> mask = S.indexInRange(j, n);
                for (int r = 0; r < MR; r++) {
                    row1(k, a, aOff + (i + r) * ri, pi, b, bOff + j, ldb, c, cOff + (long) (i + r) * ldc + j,
                            accumulate, mask);
                }
            }
        }
        for (; i < m; i++) {
            for (int j = 0; j < n; j += L) {
                VectorMask<Double> mask = S.indexInRange(j, n);
                row1(k, a, aOff + i * ri, pi, b, bOff + j, ldb, c, cOff + (long) i * ldc + j, accumulate, mask);
            }
        }
    }

    /** C[0..4, 0..2L) (+)= Σ_p A(r, p)·B[p, 0..2L), A(r, p) at a[a0 + r·ri + p·pi]. */
    private static void tile4x2(int k, MemorySegment a, long a0, long ri, long pi, MemorySegment b, long b0,
            int ldb, MemorySegment c, long c0, int ldc, boolean accumulate) {
        DoubleVector c00;
        DoubleVector c01;
        DoubleVector c10;
        DoubleVector c11;
        DoubleVector c20;
        DoubleVector c21;
        DoubleVector c30;
        DoubleVector c31;
        long cb = c0 * BYTES;
        long cs = (long) ldc * BYTES;
        long lb = L * BYTES;
        if (accumulate) {
            c00 = DoubleVector.fromMemorySegment(S, c, cb, NO);
            c01 = DoubleVector.fromMemorySegment(S, c, cb + lb, NO);
            c10 = DoubleVector.fromMemorySegment(S, c, cb + cs, NO);
            c11 = DoubleVector.fromMemorySegment(S, c, cb + cs + lb, NO);
            c20 = DoubleVector.fromMemorySegment(S, c, cb + 2 * cs, NO);
            c21 = DoubleVector.fromMemorySegment(S, c, cb + 2 * cs + lb, NO);
            c30 = DoubleVector.fromMemorySegment(S, c, cb + 3 * cs, NO);
            c31 = DoubleVector.fromMemorySegment(S, c, cb + 3 * cs + lb, NO);
        } else {
            c00 = DoubleVector.zero(S);
            c01 = c00;
            c10 = c00;
            c11 = c00;
            c20 = c00;
            c21 = c00;
            c30 = c00;
            c31 = c00;
        }
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
        c00.intoMemorySegment(c, cb, NO);
        c01.intoMemorySegment(c, cb + lb, NO);
        c10.intoMemorySegment(c, cb + cs, NO);
        c11.intoMemorySegment(c, cb + cs + lb, NO);
        c20.intoMemorySegment(c, cb + 2 * cs, NO);
        c21.intoMemorySegment(c, cb + 2 * cs + lb, NO);
        c30.intoMemorySegment(c, cb + 3 * cs, NO);
        c31.intoMemorySegment(c, cb + 3 * cs + lb, NO);
    }

    /** One row of C, one (masked) vector of columns. */
    private static void row1(int k, MemorySegment a, long a0, long pi, MemorySegment b, long b0, int ldb,
            MemorySegment c, long c0, boolean accumulate, VectorMask<Double> mask) {
        long cb = c0 * BYTES;
        DoubleVector acc = accumulate ? DoubleVector.fromMemorySegment(S, c, cb, NO, mask) : DoubleVector.zero(S);
        long bb = b0 * BYTES;
        long bs = (long) ldb * BYTES;
        for (int p = 0; p < k; p++) {
            DoubleVector bv = DoubleVector.fromMemorySegment(S, b, bb, NO, mask);
            bb += bs;
            acc = DoubleVector.broadcast(S, a.getAtIndex(E, a0 + p * pi)).fma(bv, acc);
        }
        acc.intoMemorySegment(c, cb, NO, mask);
    }
}
