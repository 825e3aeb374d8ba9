package org.autobalance.kernel.simd;

import static org.autobalance.kernel.simd.NativeSegments.exact;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;
import org.autobalance.memory.DenseMatrix;

/**
 * Gram, gradient step, dot and exact residual for float64 matrices: the same shapes as {@link FloatOps}, all in
 * double precision (no widening).
 */
final class DoubleOps {
    static final VectorSpecies<Double> S = SimdSpecies.DOUBLE;
    static final int L = S.length();
    static final ByteOrder NO = ByteOrder.nativeOrder();
    static final long BYTES = Double.BYTES;
    static final ValueLayout.OfDouble E = ValueLayout.JAVA_DOUBLE;
    /** The exact class of S's vectors: see {@link FloatFused#VT} for why every vector goes through it. */
    static final Class<DoubleVector> VT = GramTiles.VTD;

    private DoubleOps() {
    }

    static void gram(DenseMatrix x, int rs, int re, double[] gram, Scratch sc) {
        if (rs >= re) {
            return;
        }
        int r = x.cols();
        int w = GramTiles.width(r);
        double[] xb = sc.doubles(0, GramTiles.GB * w);
        double[] gs = GramTiles.sums(r, w, sc);
        long st = (long) x.stride() * BYTES;
        MemorySegment xs = x.segment();
        for (int i0 = rs; i0 < re; i0 += GramTiles.GB) {
            gramRows(xs, i0, Math.min(GramTiles.GB, re - i0), st, r, xb, w, gs);
        }
        GramTiles.finish(gs, w, r, gram);
    }

    /** As FloatOps.gramRows: the Gram sums of rows [i0, i0 + rows) added to gs, row after row, packed through xb. */
    private static void gramRows(MemorySegment xs, int i0, int rows, long st, int r, double[] xb, int w, double[] gs) {
        int lr = FloatFused.roundUp(r, L);
        for (int k = 0; k < rows; k++) {
            packRow(xs, (i0 + k) * st, lr, xb, k * w, w);
        }
        GramTiles.accumulate(xb, rows, w, r, gs);
    }

    /** The row at byte offset {@code o} (lr elements) into {@code xb[d …]}, zero to d + w: as FloatOps.widenRow. */
    private static void packRow(MemorySegment xs, long o, int lr, double[] xb, int d, int w) {
        for (int c = 0; c < lr; c += L) {
            VT.cast(DoubleVector.fromMemorySegment(S, exact(xs), o + c * BYTES, NO)).intoArray(xb, d + c);
        }
        Arrays.fill(xb, d + lr, d + w, 0.0);
    }

    static double dot(DenseMatrix x, DenseMatrix y, int rs, int re, Scratch sc) {
        if (rs >= re) {
            return 0.0;
        }
        // one flat dot (see FloatOps.dot), FloatOps.DOT_BLOCK elements per dotBlock call
        long base = (long) rs * x.stride() * BYTES;
        long n = (long) (re - rs) * x.stride();
        MemorySegment xs = x.segment();
        MemorySegment ys = y.segment();
        double[] acc = sc.doubles(0, 4 * L);
        Arrays.fill(acc, 0, 4 * L, 0.0);
        for (long k = 0; k < n; k += FloatOps.DOT_BLOCK) {
            dotBlock(xs, ys, base + k * BYTES, (int) Math.min(FloatOps.DOT_BLOCK, n - k), acc);
        }
        return GramTiles.sumAccumulators(acc);
    }

    /** As {@link FloatOps#dotBlock} in double: groups of 4·L into the accumulators s0 … s3 (L apart in acc). */
    private static void dotBlock(MemorySegment xs, MemorySegment ys, long o0, int n, double[] acc) {
        DoubleVector s0 = VT.cast(DoubleVector.fromArray(S, acc, 0));
        DoubleVector s1 = VT.cast(DoubleVector.fromArray(S, acc, L));
        DoubleVector s2 = VT.cast(DoubleVector.fromArray(S, acc, 2 * L));
        DoubleVector s3 = VT.cast(DoubleVector.fromArray(S, acc, 3 * L));
        int k = 0;
        for (; k + 4 * L <= n; k += 4 * L) {
            long o = o0 + k * BYTES;
            s0 = VT.cast(DoubleVector.fromMemorySegment(S, exact(xs), o, NO))
                    .fma(VT.cast(DoubleVector.fromMemorySegment(S, exact(ys), o, NO)), VT.cast(s0));
            o += L * BYTES;
            s1 = VT.cast(DoubleVector.fromMemorySegment(S, exact(xs), o, NO))
                    .fma(VT.cast(DoubleVector.fromMemorySegment(S, exact(ys), o, NO)), VT.cast(s1));
            o += L * BYTES;
            s2 = VT.cast(DoubleVector.fromMemorySegment(S, exact(xs), o, NO))
                    .fma(VT.cast(DoubleVector.fromMemorySegment(S, exact(ys), o, NO)), VT.cast(s2));
            o += L * BYTES;
            s3 = VT.cast(DoubleVector.fromMemorySegment(S, exact(xs), o, NO))
                    .fma(VT.cast(DoubleVector.fromMemorySegment(S, exact(ys), o, NO)), VT.cast(s3));
        }
        for (; k < n; k += L) {
            long o = o0 + k * BYTES;
            s0 = VT.cast(DoubleVector.fromMemorySegment(S, exact(xs), o, NO))
                    .fma(VT.cast(DoubleVector.fromMemorySegment(S, exact(ys), o, NO)), VT.cast(s0));
        }
        VT.cast(s0).intoArray(acc, 0);
        VT.cast(s1).intoArray(acc, L);
        VT.cast(s2).intoArray(acc, 2 * L);
        VT.cast(s3).intoArray(acc, 3 * L);
    }

    /** As FloatOps.gradientStep: the step, and with a non-null {@code gram} the Gram of the new rows added to it. */
    static double gradientStep(DenseMatrix x, DenseMatrix p, double[] a, double eta, int rs, int re, double[] gram,
            Scratch sc) {
        if (rs >= re) {
            return 0.0;
        }
        int r = x.cols();
        long st = (long) x.stride() * BYTES;
        long sp = (long) p.stride() * BYTES;
        int w = FloatFused.roundUp(r, 2 * L);
        double[] af = sc.doubles(2, r * w);
        double[] gt = sc.doubles(4, 4 * w);
        for (int k = 0; k < r; k++) {
            System.arraycopy(a, k * r, af, k * w, r);
            Arrays.fill(af, k * w + r, k * w + w, 0.0);
        }
        MemorySegment xs = x.segment();
        MemorySegment ps = p.segment();
        // ‖G‖² lane by lane, row after row, carried from block to block in acc; the work per GramTiles.STEP_ROWS rows
        // in stepBlock (see FloatOps.gradientStep)
        double[] acc = sc.doubles(0, L);
        Arrays.fill(acc, 0, L, 0.0);
        int gw = GramTiles.width(r);
        double[] xb = gram == null ? null : sc.doubles(5, GramTiles.STEP_ROWS * gw);
        double[] gs = gram == null ? null : GramTiles.sums(r, gw, sc);
        for (int i0 = rs; i0 < re; i0 += GramTiles.STEP_ROWS) {
            int rows = Math.min(GramTiles.STEP_ROWS, re - i0);
            stepBlock(xs, ps, i0, rows, st, sp, r, af, w, gt, -eta, acc);
            if (gs != null) {
                gramRows(xs, i0, rows, st, r, xb, gw, gs);
            }
        }
        if (gs != null) {
            GramTiles.finish(gs, gw, r, gram);
        }
        return GramTiles.sumLanes(acc);
    }

    /** Rows [i0, i0 + rows) of the gradient step (rows ≤ GramTiles.STEP_ROWS), as FloatOps.stepBlock. */
    private static void stepBlock(MemorySegment xs, MemorySegment ps, int i0, int rows, long st, long sp, int r,
            double[] af, int w, double[] gt, double negEta, double[] acc) {
        DoubleVector zero = VT.cast(DoubleVector.zero(S));
        DoubleVector ne = VT.cast(DoubleVector.broadcast(S, negEta));
        // whole vectors on [0, full), the partial last one under a mask (see FloatOps.gradientStep)
        int full = r - r % L;
        DoubleVector s = VT.cast(DoubleVector.fromArray(S, acc, 0));
        for (int b0 = i0; b0 < i0 + rows; b0 += 4) {
            int n = Math.min(4, i0 + rows - b0);
            // the block's rows of X, read in place by the tile before any of them is written
            long x0 = GramTiles.blockRow(b0, 0, n, st);
            long x1 = GramTiles.blockRow(b0, 1, n, st);
            long x2 = GramTiles.blockRow(b0, 2, n, st);
            long x3 = GramTiles.blockRow(b0, 3, n, st);
            for (int j = 0; j < w; j += 2 * L) {
                tile4x2(xs, x0, x1, x2, x3, r, af, w, j, gt, w);
            }
            // X[i,:] −= eta·(gt − P[i,:]) on the first r columns, ‖gt − P[i,:]‖² added to s: written out here, not
            // called per row (see FloatOps.stepBlock)
            for (int k = 0; k < n; k++) {
                long xOff = (b0 + k) * st;
                long pOff = (b0 + k) * sp;
                int go = k * w;
                int c = 0;
                for (; c < full; c += L) {
                    long o = c * BYTES;
                    DoubleVector g = VT.cast(DoubleVector.fromArray(S, gt, go + c))
                            .sub(VT.cast(DoubleVector.fromMemorySegment(S, exact(ps), pOff + o, NO)));
                    VT.cast(VT.cast(g).fma(ne, VT.cast(DoubleVector.fromMemorySegment(S, exact(xs), xOff + o, NO))))
                            .intoMemorySegment(exact(xs), xOff + o, NO);
                    s = VT.cast(g).fma(VT.cast(g), VT.cast(s)); // s loop-carried: typed where used
                }
                if (L == 2 && c < r) {
                    // The one column left at 128 bits, in scalar: C2 here intrinsifies none of Double128's mask
                    // operations (indexInRange, blend, the masked store: "failed to inline (intrinsic)"), so the
                    // masked vector below boxed every vector it touched, 387 bytes a row at odd ranks, and 48 bytes
                    // a block at every rank (DensePassAllocationTest at -Dautobalance.simd.bits=128). The same
                    // arithmetic: G's column, X's fma, and its square added to lane 0 of s by a vector of it and +0
                    // (the masked vector's lanes), through gt, whose two places are this row's and no longer read.
                    long o = c * BYTES;
                    double g = gt[go + c] - ps.get(E, pOff + o);
                    xs.set(E, xOff + o, Math.fma(g, negEta, xs.get(E, xOff + o)));
                    gt[go + c] = g;
                    gt[go + c + 1] = 0.0;
                    DoubleVector last = VT.cast(DoubleVector.fromArray(S, gt, go + c));
                    s = VT.cast(last).fma(VT.cast(last), VT.cast(s)); // s loop-carried: typed where used
                } else if (c < r) {
                    // made here, in the hot loop where C2 inlines it and knows its class: made once per call, out
                    // of the loops, it was not inlined and the mask's uses were bound from the shared type profile
                    VectorMask<Double> tail = S.indexInRange(c, r);
                    long o = c * BYTES;
                    DoubleVector g = VT.cast(DoubleVector.fromArray(S, gt, go + c))
                            .sub(VT.cast(DoubleVector.fromMemorySegment(S, exact(ps), pOff + o, NO)));
                    g = VT.cast(zero).blend(g, tail);
                    VT.cast(VT.cast(g).fma(ne, VT.cast(DoubleVector.fromMemorySegment(S, exact(xs), xOff + o, NO))))
                            .intoMemorySegment(exact(xs), xOff + o, NO, tail);
                    s = VT.cast(g).fma(VT.cast(g), VT.cast(s)); // s loop-carried: typed where used
                }
            }
        }
        VT.cast(s).intoArray(acc, 0);
    }

    static double residualSquared(DenseMatrix m, DenseMatrix u, DenseMatrix v, int rs, int re, Scratch sc) {
        if (rs >= re) {
            return 0.0;
        }
        int r = u.cols();
        int d2 = m.cols();
        int n = m.stride();
        int w = FloatFused.roundUp(n, 2 * L);
        double[] vt = sc.doubles(2, r * w);
        double[] uv = sc.doubles(3, 4 * w);
        double[] acc = sc.doubles(0, 2 * L);
        Arrays.fill(acc, 0, 2 * L, 0.0);
        MemorySegment vs = v.segment();
        MemorySegment us = u.segment();
        MemorySegment ms = m.segment();
        int sv = v.stride();
        for (int a = 0; a < r; a++) {
            int base = a * w;
            for (int j = 0; j < d2; j++) {
                vt[base + j] = vs.getAtIndex(E, (long) j * sv + a);
            }
            Arrays.fill(vt, base + d2, base + w, 0.0);
        }
        long su = (long) u.stride() * BYTES;
        for (int i0 = rs; i0 < re; i0 += 4) {
            int rows = Math.min(4, re - i0);
            long u0 = GramTiles.blockRow(i0, 0, rows, su);
            long u1 = GramTiles.blockRow(i0, 1, rows, su);
            long u2 = GramTiles.blockRow(i0, 2, rows, su);
            long u3 = GramTiles.blockRow(i0, 3, rows, su);
            for (int j = 0; j < w; j += 2 * L) {
                tile4x2(us, u0, u1, u2, u3, r, vt, w, j, uv, w);
            }
            for (int k = 0; k < rows; k++) {
                rowSquares(uv, k * w, ms, (long) (i0 + k) * n * BYTES, n, acc);
            }
        }
        return GramTiles.sumPair(acc);
    }

    private static void rowSquares(double[] uv, int uo, MemorySegment ms, long mo, int n, double[] acc) {
        DoubleVector s0 = VT.cast(DoubleVector.fromArray(S, acc, 0));
        DoubleVector s1 = VT.cast(DoubleVector.fromArray(S, acc, L));
        int j = 0;
        for (; j + 2 * L <= n; j += 2 * L) {
            DoubleVector e0 = VT.cast(DoubleVector.fromArray(S, uv, uo + j))
                    .sub(VT.cast(DoubleVector.fromMemorySegment(S, exact(ms), mo + j * BYTES, NO)));
            DoubleVector e1 = VT.cast(DoubleVector.fromArray(S, uv, uo + j + L))
                    .sub(VT.cast(DoubleVector.fromMemorySegment(S, exact(ms), mo + (j + L) * BYTES, NO)));
            s0 = e0.fma(e0, s0);
            s1 = e1.fma(e1, s1);
        }
        for (; j < n; j += L) {
            DoubleVector e0 = VT.cast(DoubleVector.fromArray(S, uv, uo + j))
                    .sub(VT.cast(DoubleVector.fromMemorySegment(S, exact(ms), mo + j * BYTES, NO)));
            s0 = e0.fma(e0, s0);
        }
        VT.cast(s0).intoArray(acc, 0);
        VT.cast(s1).intoArray(acc, L);
    }

    /** As {@link FloatOps#tile4x2} in double. */
    static void tile4x2(MemorySegment xs, long x0, long x1, long x2, long x3, int r, double[] rhs, int rs, int j,
            double[] out, int os) {
        DoubleVector a00 = VT.cast(DoubleVector.zero(S));
        DoubleVector a01 = VT.cast(DoubleVector.zero(S));
        DoubleVector a10 = VT.cast(DoubleVector.zero(S));
        DoubleVector a11 = VT.cast(DoubleVector.zero(S));
        DoubleVector a20 = VT.cast(DoubleVector.zero(S));
        DoubleVector a21 = VT.cast(DoubleVector.zero(S));
        DoubleVector a30 = VT.cast(DoubleVector.zero(S));
        DoubleVector a31 = VT.cast(DoubleVector.zero(S));
        for (int a = 0; a < r; a++) {
            int ro = a * rs + j;
            long o = a * BYTES;
            DoubleVector b0 = VT.cast(DoubleVector.fromArray(S, rhs, ro));
            DoubleVector b1 = VT.cast(DoubleVector.fromArray(S, rhs, ro + L));
            DoubleVector x = VT.cast(DoubleVector.broadcast(S, xs.get(E, x0 + o)));
            a00 = x.fma(b0, a00);
            a01 = x.fma(b1, a01);
            x = VT.cast(DoubleVector.broadcast(S, xs.get(E, x1 + o)));
            a10 = x.fma(b0, a10);
            a11 = x.fma(b1, a11);
            x = VT.cast(DoubleVector.broadcast(S, xs.get(E, x2 + o)));
            a20 = x.fma(b0, a20);
            a21 = x.fma(b1, a21);
            x = VT.cast(DoubleVector.broadcast(S, xs.get(E, x3 + o)));
            a30 = x.fma(b0, a30);
            a31 = x.fma(b1, a31);
        }
        VT.cast(a00).intoArray(out, j);
        VT.cast(a01).intoArray(out, j + L);
        VT.cast(a10).intoArray(out, os + j);
        VT.cast(a11).intoArray(out, os + j + L);
        VT.cast(a20).intoArray(out, 2 * os + j);
        VT.cast(a21).intoArray(out, 2 * os + j + L);
        VT.cast(a30).intoArray(out, 3 * os + j);
        VT.cast(a31).intoArray(out, 3 * os + j + L);
    }
}
