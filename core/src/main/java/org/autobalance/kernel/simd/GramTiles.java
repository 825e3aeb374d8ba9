// GENERATED from core/src/build/simd/Gram.java.template by core/src/build/GenerateSimdVariants.java
// (variant GramTiles). Do not edit: edit the template, then run
// java core/src/build/GenerateSimdVariants.java from the repository root.
package org.autobalance.kernel.simd;

import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Gram accumulation in double precision on packed double rows, shared by both dtypes (float32 rows are widened
 * exactly when packed). Only tiles on or above the diagonal are computed (the Gram matrix is symmetric); a 4 × 2-vector
 * register tile gives 8 independent FMA chains. Each element's sum runs row after row in one lane, so the sums, and
 * their bits, do not depend on the width.
 * Also the helpers of the 4-row tiles and the accumulators that do not depend on the width.
 */
final class GramTiles {
    static final VectorSpecies<Double> SD = SimdSpecies.DOUBLE;
    static final int LD = SD.length();
    /** The exact class of SD's vectors: see {@link FloatFused#VT} for why every vector goes through it. */
    @SuppressWarnings("unchecked")
    static final Class<DoubleVector> VTD = (Class<DoubleVector>) (Class<?>) SD.vectorType();
    /** Rows packed per block: 64 rows of r = 256 doubles are 128 KiB, within L2. */
    static final int GB = 64;

    private GramTiles() {
    }

    /** Width of a packed row: r rounded up to a whole tile (2 vectors, at least 4 columns). */
    static int width(int r) {
        return FloatFused.roundUp(r, Math.max(2 * LD, 4));
    }

    /**
     * The partial sums of a Gram of rank r in rows of w, zeroed: scratch slot 1 (doubles), r rounded up to the 4 rows
     * of a tile.
     */
    static double[] sums(int r, int w, Scratch sc) {
        int n = FloatFused.roundUp(r, 4) * w;
        double[] gs = sc.doubles(1, n);
        Arrays.fill(gs, 0, n, 0.0);
        return gs;
    }

    /** {@code gs[a·w + b] += Σ_i xb[i·w + a]·xb[i·w + b]} for the upper tiles; xb is rows × w, zero-padded. */
    static void accumulate(double[] xb, int rows, int w, int r, double[] gs) {
        for (int ag = 0; ag < r; ag += 4) {
            for (int cb = ag / (2 * LD) * (2 * LD); cb < w; cb += 2 * LD) {
                tile(xb, rows, w, ag, cb, gs);
            }
        }
    }

    private static void tile(double[] xb, int rows, int w, int ag, int cb, double[] gs) {
        int g0 = ag * w + cb;
        int g1 = g0 + w;
        int g2 = g1 + w;
        int g3 = g2 + w;
        DoubleVector a00 = VTD.cast(DoubleVector.fromArray(SD, gs, g0));
        DoubleVector a01 = VTD.cast(DoubleVector.fromArray(SD, gs, g0 + LD));
        DoubleVector a10 = VTD.cast(DoubleVector.fromArray(SD, gs, g1));
        DoubleVector a11 = VTD.cast(DoubleVector.fromArray(SD, gs, g1 + LD));
        DoubleVector a20 = VTD.cast(DoubleVector.fromArray(SD, gs, g2));
        DoubleVector a21 = VTD.cast(DoubleVector.fromArray(SD, gs, g2 + LD));
        DoubleVector a30 = VTD.cast(DoubleVector.fromArray(SD, gs, g3));
        DoubleVector a31 = VTD.cast(DoubleVector.fromArray(SD, gs, g3 + LD));
        for (int i = 0; i < rows; i++) {
            int bi = i * w;
            DoubleVector b0 = VTD.cast(DoubleVector.fromArray(SD, xb, bi + cb));
            DoubleVector b1 = VTD.cast(DoubleVector.fromArray(SD, xb, bi + cb + LD));
            DoubleVector x = VTD.cast(DoubleVector.broadcast(SD, xb[bi + ag]));
            a00 = x.fma(b0, a00);
            a01 = x.fma(b1, a01);
            x = VTD.cast(DoubleVector.broadcast(SD, xb[bi + ag + 1]));
            a10 = x.fma(b0, a10);
            a11 = x.fma(b1, a11);
            x = VTD.cast(DoubleVector.broadcast(SD, xb[bi + ag + 2]));
            a20 = x.fma(b0, a20);
            a21 = x.fma(b1, a21);
            x = VTD.cast(DoubleVector.broadcast(SD, xb[bi + ag + 3]));
            a30 = x.fma(b0, a30);
            a31 = x.fma(b1, a31);
        }
        VTD.cast(a00).intoArray(gs, g0);
        VTD.cast(a01).intoArray(gs, g0 + LD);
        VTD.cast(a10).intoArray(gs, g1);
        VTD.cast(a11).intoArray(gs, g1 + LD);
        VTD.cast(a20).intoArray(gs, g2);
        VTD.cast(a21).intoArray(gs, g2 + LD);
        VTD.cast(a30).intoArray(gs, g3);
        VTD.cast(a31).intoArray(gs, g3 + LD);
    }

    /** {@code gram[a·r + b] += gs[min(a,b)·w + max(a,b)]}: adds the partial sums, symmetric by construction. */
    static void finish(double[] gs, int w, int r, double[] gram) {
        for (int a = 0; a < r; a++) {
            for (int b = 0; b < r; b++) {
                gram[a * r + b] += a <= b ? gs[a * w + b] : gs[b * w + a];
            }
        }
    }

    /**
     * The sum of four accumulator vectors stored one after another in acc (LD lanes each): (s0 + s1) + (s2 + s3) lane
     * by lane, then the lanes in order as {@link #sumLanes} adds them. Written with scalars: it runs once per call of
     * a kernel whose hot loop is in another method, so it may run before C2 compiles it, and vectors outside C2's code
     * are heap objects (448 bytes per {@code dot} call).
     */
    static double sumAccumulators(double[] acc) {
        double s = 0.0;
        for (int l = 0; l < LD; l++) {
            s += (acc[l] + acc[LD + l]) + (acc[2 * LD + l] + acc[3 * LD + l]);
        }
        return s;
    }

    /**
     * Byte offset of row i0 + k of a block of {@code rows} rows (1 ≤ rows ≤ 4, k < 4), {@code rowBytes} apart, for the
     * 4-row tiles of {@link FloatOps} and {@link DoubleOps}: a short last block repeats its last row (computed, never
     * stored or used) instead of reading past the caller's range, by {@code Math.min} rather than a branch, which is
     * never taken until the end of the first call: a trap in code compiled before that.
     */
    static long blockRow(int i0, int k, int rows, long rowBytes) {
        return (i0 + Math.min(k, rows - 1)) * rowBytes;
    }

    /**
     * Rows per {@code stepBlock} call of {@link FloatOps} and {@link DoubleOps} (a multiple of 4): d1/16 + d2/16 calls
     * per iteration, so that C2 compiles it within a few passes (a whole-method compile needs 600 calls), few enough
     * that the call's fixed cost is spread over 16 rows: with a call per 4 rows the step took ~20 % more CPU than the
     * single loop at r = 1 and 4 (QuickTimer under load 9–11; native-notes/startup.md, "Kernels called per block").
     */
    static final int STEP_ROWS = 16;

    /**
     * Sum of the LD lanes of an accumulator stored at {@code acc[0 …]}, in lane order (never {@code reduceLanes}: its
     * order is unspecified). Written with scalars: a kernel's driver may run before C2 compiles it (see {@link
     * #sumAccumulators}).
     */
    static double sumLanes(double[] acc) {
        double s = 0.0;
        for (int l = 0; l < LD; l++) {
            s += acc[l];
        }
        return s;
    }

    /**
     * The sum of two accumulator vectors stored one after another in acc (LD lanes each): s0 + s1 lane by lane, then
     * the lanes in order, with scalars, the bits of {@code s0.add(s1)}'s lanes added in order. It was that: a vector
     * passed to a method of another class, which the launcher's directive keeps out of the residual's driver
     * (cli/jit/kernels.json), so each call boxed it (64 bytes a call at 256 bits: kernels.md 36).
     */
    static double sumPair(double[] acc) {
        double s = 0.0;
        for (int l = 0; l < LD; l++) {
            s += acc[l] + acc[LD + l];
        }
        return s;
    }
}
