// GENERATED from core/src/build/simd/Ops.java.template by core/src/build/GenerateSimdVariants.java
// (variant FloatOps). Do not edit: edit the template, then run
// java core/src/build/GenerateSimdVariants.java from the repository root.
package org.autobalance.kernel.simd;

import static org.autobalance.kernel.simd.NativeSegments.exact;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.autobalance.memory.DenseMatrix;

/**
 * Gram, gradient step, dot and exact residual for float32 matrices.
 *
 * <p>Precision: Gram and dot sums are formed in double from exactly widened float data (a product of two floats is
 * exact in double), so they match the scalar reference up to double rounding. The gradient step forms
 * G = X·A − P in float (A rounded to float once per call; error ≲ r·u_f·Σ|x_k a_kc|, the same order as the rounding
 * of the stored factor) and sums ‖G‖² in double. The residual forms each entry U[i,:]·V[j,:] − M[i,j] in float
 * (error ≲ (r+1)·u_f·(Σ_a|u_a v_a| + |m|)) and sums the squares in double.
 */
final class FloatOps {
    static final VectorSpecies<Float> S = SimdSpecies.FLOAT;
    static final int L = S.length();
    /** Half-width float species: LH floats widen to one SD vector of doubles. */
    static final VectorSpecies<Float> SH = SimdSpecies.FLOAT_HALF;
    static final int LH = SH.length();
    static final VectorSpecies<Double> SD = GramTiles.SD;
    static final ByteOrder NO = ByteOrder.nativeOrder();
    static final long BYTES = Float.BYTES;
    static final ValueLayout.OfFloat E = ValueLayout.JAVA_FLOAT;
    /**
     * The exact vector classes of S, SH and SD: see {@link FloatFused#VT} for why every vector goes through
     * them.
     */
    static final Class<FloatVector> VT = FloatFused.VT;
    @SuppressWarnings("unchecked")
    static final Class<FloatVector> VTH = (Class<FloatVector>) (Class<?>) SH.vectorType();
    static final Class<DoubleVector> VTD = GramTiles.VTD;

    /**
     * Elements per {@link #dotBlock} call (a multiple of 4·LH). The first dot of a run is ‖M‖²: one call per thread
     * over half of M. As one loop, C2 compiled it on-stack in the middle of that call, with the loop's exit never
     * taken in the profile: the exit became a trap, the code was thrown away at the end of the call, and dot was
     * compiled four times before the first iteration. As short calls of a block method, the exits are in the profile
     * from the first calls and it is compiled once or twice (native-notes/startup.md, "Compiles before the first fast
     * iteration"). Per call the four accumulators go through {@code acc}: 2 % more time per dot than one loop
     * (thread CPU, d = 4096, r = 16) at 2048, 7 % at 512.
     */
    static final int DOT_BLOCK = 2048;

    private FloatOps() {
    }

    private static DoubleVector widen(FloatVector half) {
        return VTD.cast(VTH.cast(half).convertShape(VectorOperators.F2D, SD, 0));
    }

    static void gram(DenseMatrix x, int rs, int re, double[] gram, Scratch sc) {
        if (rs >= re) {
            return;
        }
        int r = x.cols();
        int w = GramTiles.width(r);
        double[] xb = sc.doubles(0, GramTiles.GB * w);
        Arrays.fill(xb, 0, GramTiles.GB * w, 0.0); // the rows' tails, which widenRow leaves as they are
        double[] gs = GramTiles.sums(r, w, sc);
        long st = (long) x.stride() * BYTES;
        MemorySegment xs = x.segment();
        for (int i0 = rs; i0 < re; i0 += GramTiles.GB) {
            gramRows(xs, i0, Math.min(GramTiles.GB, re - i0), st, r, xb, w, gs);
        }
        GramTiles.finish(gs, w, r, gram);
    }

    /**
     * Adds the Gram sums of rows [i0, i0 + rows) of X (rows ≤ xb's capacity in rows of w) to gs, widened through xb:
     * row after row in order, so the sums do not depend on how a range is cut into such calls.
     */
    private static void gramRows(MemorySegment xs, int i0, int rows, long st, int r, double[] xb, int w, double[] gs) {
        int lh = FloatFused.roundUp(r, LH);
        for (int k = 0; k < rows; k++) {
            widenRow(xs, (i0 + k) * st, lh, xb, k * w);
        }
        GramTiles.accumulate(xb, rows, w, r, gs);
    }

    /**
     * Packs the row at byte offset {@code o} (lh elements, r rounded up to LH) widened to double into
     * {@code xb[d …]}; the rest of its row of xb stays zero from the caller's one fill per call (a fill per row of a
     * few elements was 7 % of a float32 2 000 000 × 4 rank-4 run's samples). A method per row, called d1 times per
     * pass, so that C2 compiles it within a pass or two; written in the per-call loop, it ran in C1 code, every
     * vector a heap object, for hundreds of passes at each new rank (native-notes/startup.md, "Kernels called per
     * block").
     */
    private static void widenRow(MemorySegment xs, long o, int lh, double[] xb, int d) {
        for (int c = 0; c < lh; c += LH) {
            VTD.cast(widen(VTH.cast(FloatVector.fromMemorySegment(SH, exact(xs), o + c * BYTES, NO))))
                    .intoArray(xb, d + c);
        }
    }

    static double dot(DenseMatrix x, DenseMatrix y, int rs, int re, Scratch sc) {
        if (rs >= re) {
            return 0.0;
        }
        // Rows are contiguous and their padding is zero in both matrices (same shape, same stride): one flat dot,
        // DOT_BLOCK elements per dotBlock call, the four accumulators carried between calls in acc.
        long base = (long) rs * x.stride() * BYTES;
        long n = (long) (re - rs) * x.stride();
        MemorySegment xs = x.segment();
        MemorySegment ys = y.segment();
        int sl = SD.length();
        double[] acc = sc.doubles(0, 4 * sl);
        Arrays.fill(acc, 0, 4 * sl, 0.0);
        for (long k = 0; k < n; k += DOT_BLOCK) {
            dotBlock(xs, ys, base + k * BYTES, (int) Math.min(DOT_BLOCK, n - k), acc);
        }
        return GramTiles.sumAccumulators(acc);
    }

    /**
     * Adds the products of n elements of xs and ys from byte offset o to the four accumulators in acc (s0 … s3,
     * SD.length() apart): groups of 4·LH into s0 … s3 in turn, a last part shorter than that into s0. Called per
     * DOT_BLOCK elements, a multiple of 4·LH, so the sums are those of one loop over the whole range.
     */
    private static void dotBlock(MemorySegment xs, MemorySegment ys, long o0, int n, double[] acc) {
        int sl = SD.length();
        DoubleVector s0 = VTD.cast(DoubleVector.fromArray(SD, acc, 0));
        DoubleVector s1 = VTD.cast(DoubleVector.fromArray(SD, acc, sl));
        DoubleVector s2 = VTD.cast(DoubleVector.fromArray(SD, acc, 2 * sl));
        DoubleVector s3 = VTD.cast(DoubleVector.fromArray(SD, acc, 3 * sl));
        int k = 0;
        // widen's results and the loop-carried sums typed exactly where used: with receiver profiles on, C2 bound
        // this fma from the double kernels' shared profile (KernelJitTest)
        for (; k + 4 * LH <= n; k += 4 * LH) {
            long o = o0 + k * BYTES;
            s0 = VTD.cast(widen(VTH.cast(FloatVector.fromMemorySegment(SH, exact(xs), o, NO))))
                    .fma(VTD.cast(widen(VTH.cast(FloatVector.fromMemorySegment(SH, exact(ys), o, NO)))), VTD.cast(s0));
            o += LH * BYTES;
            s1 = VTD.cast(widen(VTH.cast(FloatVector.fromMemorySegment(SH, exact(xs), o, NO))))
                    .fma(VTD.cast(widen(VTH.cast(FloatVector.fromMemorySegment(SH, exact(ys), o, NO)))), VTD.cast(s1));
            o += LH * BYTES;
            s2 = VTD.cast(widen(VTH.cast(FloatVector.fromMemorySegment(SH, exact(xs), o, NO))))
                    .fma(VTD.cast(widen(VTH.cast(FloatVector.fromMemorySegment(SH, exact(ys), o, NO)))), VTD.cast(s2));
            o += LH * BYTES;
            s3 = VTD.cast(widen(VTH.cast(FloatVector.fromMemorySegment(SH, exact(xs), o, NO))))
                    .fma(VTD.cast(widen(VTH.cast(FloatVector.fromMemorySegment(SH, exact(ys), o, NO)))), VTD.cast(s3));
        }
        for (; k < n; k += LH) {
            long o = o0 + k * BYTES;
            s0 = VTD.cast(widen(VTH.cast(FloatVector.fromMemorySegment(SH, exact(xs), o, NO))))
                    .fma(VTD.cast(widen(VTH.cast(FloatVector.fromMemorySegment(SH, exact(ys), o, NO)))), VTD.cast(s0));
        }
        VTD.cast(s0).intoArray(acc, 0);
        VTD.cast(s1).intoArray(acc, sl);
        VTD.cast(s2).intoArray(acc, 2 * sl);
        VTD.cast(s3).intoArray(acc, 3 * sl);
    }

    /**
     * The gradient step on rows [rs, re) of X; with a non-null {@code gram}, the Gram of the new rows added to it, each
     * block of rows while it is still in L1, with the bits {@link #gram} gives after the step (same sums, same order).
     */
    static double gradientStep(DenseMatrix x, DenseMatrix p, double[] a, double eta, int rs, int re, double[] gram,
            Scratch sc) {
        if (rs >= re) {
            return 0.0;
        }
        int r = x.cols();
        long st = (long) x.stride() * BYTES;
        long sp = (long) p.stride() * BYTES;
        int w = FloatFused.roundUp(r, 2 * L);
        float[] af = sc.floats(0, r * w);
        float[] gt = sc.floats(2, 4 * w);
        for (int k = 0; k < r; k++) {
            for (int c = 0; c < r; c++) {
                af[k * w + c] = (float) a[k * r + c];
            }
            Arrays.fill(af, k * w + r, k * w + w, 0f);
        }
        MemorySegment xs = x.segment();
        MemorySegment ps = p.segment();
        // ‖G‖² in double, lane l of the accumulator summing the squares of columns ≡ l (mod LH), row after row: the
        // order of the half-width loop this replaced, so the sum is bit-for-bit what it was. It is carried from block
        // to block in acc (a store and a load per call, exact).
        double[] acc = sc.doubles(0, SD.length());
        Arrays.fill(acc, 0, SD.length(), 0.0);
        int gw = GramTiles.width(r);
        double[] xb = gram == null ? null : sc.doubles(5, GramTiles.STEP_ROWS * gw);
        if (xb != null) {
            Arrays.fill(xb, 0, GramTiles.STEP_ROWS * gw, 0.0); // the rows' tails, which widenRow leaves as they are
        }
        double[] gs = gram == null ? null : GramTiles.sums(r, gw, sc);
        // The driver only counts; the work is in stepBlock, called per GramTiles.STEP_ROWS rows, so that C2 compiles
        // it within a few passes. With the block's loops written here, the method was called once per pass
        // and ran in C1 code (every vector a heap object) for hundreds of passes after a new rank or a deoptimisation
        // (native-notes/startup.md, "Kernels called per block").
        for (int i0 = rs; i0 < re; i0 += GramTiles.STEP_ROWS) {
            int rows = Math.min(GramTiles.STEP_ROWS, re - i0);
            stepBlock(xs, ps, i0, rows, st, sp, r, af, w, gt, (float) -eta, acc);
            if (gs != null) {
                gramRows(xs, i0, rows, st, r, xb, gw, gs);
            }
        }
        if (gs != null) {
            GramTiles.finish(gs, gw, r, gram);
        }
        return GramTiles.sumLanes(acc);
    }

    /**
     * Rows [i0, i0 + rows) of the gradient step (rows ≤ GramTiles.STEP_ROWS), 4 at a time: G = X·A − P by the 4 × 2
     * tile, X += negEta·G on the first r columns, ‖G‖² added to the accumulator in {@code acc}.
     */
    private static void stepBlock(MemorySegment xs, MemorySegment ps, int i0, int rows, long st, long sp, int r,
            float[] af, int w, float[] gt, float negEta, double[] acc) {
        FloatVector ne = VT.cast(FloatVector.broadcast(S, negEta));
        FloatVector zero = VT.cast(FloatVector.zero(S));
        // Columns [0, full) are stepped by whole vectors; the rest (r not a multiple of L) as below, so the padding
        // of X stays as it is (0) whatever G holds, and adds no square.
        int full = r - r % L;
        DoubleVector s = VTD.cast(DoubleVector.fromArray(SD, acc, 0));
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
            // X[i,:] += negEta·(gt − P[i,:]) on the first r columns, ‖gt − P[i,:]‖² added to s in double. Written
            // out here, not called per row: whether C2 inlined such a call depended on which compiled first, the
            // callee (then often too big to inline) or this method, and a call per row made the step 35 % slower at
            // small r (kernels.md §9.7).
            for (int k = 0; k < n; k++) {
                long xOff = (b0 + k) * st;
                long pOff = (b0 + k) * sp;
                int go = k * w;
                int c = 0;
                for (; c < full; c += L) {
                    long o = c * BYTES;
                    FloatVector g = VT.cast(FloatVector.fromArray(S, gt, go + c))
                            .sub(VT.cast(FloatVector.fromMemorySegment(S, exact(ps), pOff + o, NO)));
                    VT.cast(VT.cast(g).fma(ne, VT.cast(FloatVector.fromMemorySegment(S, exact(xs), xOff + o, NO))))
                            .intoMemorySegment(exact(xs), xOff + o, NO);
                    // the squares from G's two halves, read back from gt (L1): widening a half vector is clean for
                    // C2, taking the upper half of a whole one (convertShape part 1) bound its calls from the shared
                    // type profile (KernelJitTest)
                    VT.cast(g).intoArray(gt, go + c);
                    DoubleVector lo = VTD.cast(widen(VTH.cast(FloatVector.fromArray(SH, gt, go + c))));
                    DoubleVector hi = VTD.cast(widen(VTH.cast(FloatVector.fromArray(SH, gt, go + c + LH))));
                    // s is loop-carried and lo, hi come back from a call: typed exactly where used, or C2 bound the
                    // fma from the double kernels' shared profile (KernelJitTest, with receiver profiles on)
                    s = lo.fma(lo, VTD.cast(s));
                    s = hi.fma(hi, VTD.cast(s));
                }
                if (c < r) {
                    // The last r − c < L columns as one whole vector: X's lanes past r are written back as they
                    // were read (the padding, within the row's stride), so the store needs no mask; G's lanes past
                    // r are +0 and add +0 to sums of squares ≥ +0. Stepped by half vectors under a mask (as they
                    // were), they put Float128Vector (AVX2) into the type profile that the JDK's store methods share
                    // with every kernel's stores; as one masked whole vector (vmaskmovps) the step took 21 % longer
                    // at r = 4 on Zen 3 (native-notes/kernels.md §30). The mask is made here, in the loop, as in
                    // DoubleOps.stepBlock (C2 then knows its class).
                    VectorMask<Float> tail = S.indexInRange(c, r);
                    long o = c * BYTES;
                    FloatVector g = VT.cast(FloatVector.fromArray(S, gt, go + c))
                            .sub(VT.cast(FloatVector.fromMemorySegment(S, exact(ps), pOff + o, NO)));
                    g = VT.cast(zero).blend(g, tail);
                    FloatVector x = VT.cast(FloatVector.fromMemorySegment(S, exact(xs), xOff + o, NO));
                    VT.cast(VT.cast(x).blend(VT.cast(g).fma(ne, VT.cast(x)), tail))
                            .intoMemorySegment(exact(xs), xOff + o, NO);
                    VT.cast(g).intoArray(gt, go + c);
                    DoubleVector lo = VTD.cast(widen(VTH.cast(FloatVector.fromArray(SH, gt, go + c))));
                    s = lo.fma(lo, VTD.cast(s));
                    if (c + LH < r) {
                        // else the upper half is all +0 and would add nothing
                        DoubleVector hi = VTD.cast(widen(VTH.cast(FloatVector.fromArray(SH, gt, go + c + LH))));
                        s = hi.fma(hi, VTD.cast(s));
                    }
                }
            }
        }
        VTD.cast(s).intoArray(acc, 0);
    }

    static double residualSquared(DenseMatrix m, DenseMatrix u, DenseMatrix v, int rs, int re, Scratch sc) {
        if (rs >= re) {
            return 0.0;
        }
        int r = u.cols();
        int d2 = m.cols();
        int n = m.stride();
        int w = FloatFused.roundUp(n, 2 * L);
        float[] vt = sc.floats(0, r * w);
        float[] uv = sc.floats(1, 4 * w);
        double[] acc = sc.doubles(0, 2 * SD.length());
        Arrays.fill(acc, 0, 2 * SD.length(), 0.0);
        MemorySegment vs = v.segment();
        MemorySegment us = u.segment();
        MemorySegment ms = m.segment();
        int sv = v.stride();
        for (int a = 0; a < r; a++) {
            int base = a * w;
            for (int j = 0; j < d2; j++) {
                vt[base + j] = vs.getAtIndex(E, (long) j * sv + a);
            }
            Arrays.fill(vt, base + d2, base + w, 0f);
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

    /**
     * Adds Σ_j (uv[j] − M[i,j])² over the padded row (padding: 0 − 0) to acc, residuals in float, squares in double.
     */
    private static void rowSquares(float[] uv, int uo, MemorySegment ms, long mo, int n, double[] acc) {
        DoubleVector s0 = VTD.cast(DoubleVector.fromArray(SD, acc, 0));
        DoubleVector s1 = VTD.cast(DoubleVector.fromArray(SD, acc, SD.length()));
        for (int j = 0; j < n; j += 2 * LH) {
            FloatVector e0 = VTH.cast(FloatVector.fromArray(SH, uv, uo + j))
                    .sub(VTH.cast(FloatVector.fromMemorySegment(SH, exact(ms), mo + j * BYTES, NO)));
            FloatVector e1 = VTH.cast(FloatVector.fromArray(SH, uv, uo + j + LH))
                    .sub(VTH.cast(FloatVector.fromMemorySegment(SH, exact(ms), mo + (j + LH) * BYTES, NO)));
            DoubleVector d0 = VTD.cast(widen(e0));
            DoubleVector d1 = VTD.cast(widen(e1));
            s0 = d0.fma(d0, VTD.cast(s0));
            s1 = d1.fma(d1, VTD.cast(s1));
        }
        VTD.cast(s0).intoArray(acc, 0);
        VTD.cast(s1).intoArray(acc, SD.length());
    }

    /**
     * out[k·os + j .. j + 2L) = Σ_a X[k, a]·rhs[a·rs + j .. j + 2L) for k < 4, X's row k the r elements at byte offset
     * x_k of {@code xs}, broadcast from there (no copy): a 4 × 2-vector register tile, 8 independent FMA chains (FMA
     * latency 4 × 2 pipes).
     */
    static void tile4x2(MemorySegment xs, long x0, long x1, long x2, long x3, int r, float[] rhs, int rs, int j,
            float[] out, int os) {
        FloatVector a00 = VT.cast(FloatVector.zero(S));
        FloatVector a01 = VT.cast(FloatVector.zero(S));
        FloatVector a10 = VT.cast(FloatVector.zero(S));
        FloatVector a11 = VT.cast(FloatVector.zero(S));
        FloatVector a20 = VT.cast(FloatVector.zero(S));
        FloatVector a21 = VT.cast(FloatVector.zero(S));
        FloatVector a30 = VT.cast(FloatVector.zero(S));
        FloatVector a31 = VT.cast(FloatVector.zero(S));
        for (int a = 0; a < r; a++) {
            int ro = a * rs + j;
            long o = a * BYTES;
            FloatVector b0 = VT.cast(FloatVector.fromArray(S, rhs, ro));
            FloatVector b1 = VT.cast(FloatVector.fromArray(S, rhs, ro + L));
            FloatVector x = VT.cast(FloatVector.broadcast(S, xs.get(E, x0 + o)));
            a00 = x.fma(b0, a00);
            a01 = x.fma(b1, a01);
            x = VT.cast(FloatVector.broadcast(S, xs.get(E, x1 + o)));
            a10 = x.fma(b0, a10);
            a11 = x.fma(b1, a11);
            x = VT.cast(FloatVector.broadcast(S, xs.get(E, x2 + o)));
            a20 = x.fma(b0, a20);
            a21 = x.fma(b1, a21);
            x = VT.cast(FloatVector.broadcast(S, xs.get(E, x3 + o)));
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
