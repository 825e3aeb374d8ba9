// GENERATED from core/src/build/simd/Gram.java.template by core/src/build/GenerateSimdVariants.java
// (variant GramTilesLarge). Do not edit: edit the template, then run
// java core/src/build/GenerateSimdVariants.java from the repository root.
package org.autobalance.kernel.simd;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Gram accumulation in double precision on packed double rows, shared by both dtypes (float32 rows are widened
 * exactly when packed). Only tiles on or above the diagonal are computed (the Gram matrix is symmetric); a 4 × 2-vector
 * register tile gives 8 independent FMA chains. Each element's sum runs row after row in one lane, so the sums, and
 * their bits, do not depend on the width.
 * This class is bound to the large-rank width ({@code FloatOpsLarge}'s Gram); the helpers that do not depend on the
 * width are {@code GramTiles}'.
 */
final class GramTilesLarge {
    static final VectorSpecies<Double> SD = SimdSpecies.LARGE_DOUBLE;
    static final int LD = SD.length();
    /** The exact class of SD's vectors: see {@link FloatFused#VT} for why every vector goes through it. */
    @SuppressWarnings("unchecked")
    static final Class<DoubleVector> VTD = (Class<DoubleVector>) (Class<?>) SD.vectorType();

    private GramTilesLarge() {
    }

    /** Width of a packed row: r rounded up to a whole tile (2 vectors, at least 4 columns). */
    static int width(int r) {
        return FloatFused.roundUp(r, Math.max(2 * LD, 4));
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
}
