// GENERATED from core/src/build/simd/Fused.java.template by core/src/build/GenerateSimdVariants.java
// (variant DoubleFused). Do not edit: edit the template, then run
// java core/src/build/GenerateSimdVariants.java from the repository root.
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
 * The fused pass (MV and MᵀU in one sweep over M) in double precision.
 *
 * <p>Two regimes, chosen by rank (threshold {@link #SMALL_MAX}):
 * <ul>
 *   <li><b>small r</b> (bandwidth-bound): vectors run along the columns j of M. V and MᵀU are transposed into
 *       per-thread scratch (r rows of the padded width of M), rows of M stream straight from the native segment, 4
 *       at a time (the last rows of a range one by one), and each M vector feeds one FMA into a row accumulator (MV)
 *       and one into the transposed MᵀU row, whose u values sit in registers. Row accumulators are reduced once per
 *       row, in lane order.
 *   <li><b>large r</b> (compute-bound; in this class, ranks past 2 vectors, 4 without 32 vector registers): two
 *       GEMMs sharing one packed panel of M. A panel of {@link #RB} rows of M (RB / 2 at ranks up to
 *       {@link #HALF_PANEL_MAX}) is copied row-sequentially into scratch laid out as blocks of {@link #JB} columns;
 *       per block, MV += P·V with a
 *       {@link #MR} × {@link #NC}-vector register tile and MᵀU += Pᵀ·U with an {@link #NJ} × {@link #NC}-vector
 *       tile (12 independent FMA chains each; where 32 vector registers exist, groups of 4 or 3 vectors where they
 *       pad r less or no more, {@link #groupWidth}: 24 or 18 chains). V, U, MV and MᵀU are handled as packed heap
 *       copies whose rows are padded with zeros to a multiple of the group's width, so the micro-kernels have no
 *       tails.
 * </ul>
 * Every sum has an order fixed by the code (no {@code reduceLanes}), so results are bit-for-bit reproducible.
 */
final class DoubleFused {
    static final VectorSpecies<Double> S = SimdSpecies.DOUBLE;
    static final int L = S.length();
    static final ByteOrder NO = ByteOrder.nativeOrder();
    static final long BYTES = Double.BYTES;
    static final ValueLayout.OfDouble E = ValueLayout.JAVA_DOUBLE;
    /**
     * The exact class of the vectors of {@link #S}. Every vector a kernel creates (load, broadcast) and every
     * loop-carried vector it stores goes through {@code VT.cast}, so that C2 knows the exact class of each receiver
     * while it parses a kernel and binds every Vector API call statically. Without it, the calls inside the JDK's
     * shared {@code DoubleVector.fma}, {@code intoArray}, … are bound from those methods' own type profiles and trap
     * counts, which every vector class in the process feeds; a kernel compiled after another species has run (the
     * half-width species of the gram, the large-rank width, any other Vector API user) was compiled with
     * type-switched, several times slower code (native-notes/kernels.md, section 9).
     */
    @SuppressWarnings("unchecked")
    static final Class<DoubleVector> VT = (Class<DoubleVector>) (Class<?>) S.vectorType();

    /** Largest rank handled by the small-r path. */
    static final int SMALL_MAX = FusedTuning.DOUBLE_SMALL_MAX;
    /**
     * Columns per block of the small-r path (a multiple of 16). Blocking columns so that the 2·r·JS elements of
     * scratch a block touches stay in L1 was measured slower at d = 4096 (JS = 256: +10–40 %, 512: ±10 %), so blocks
     * only split rows wider than this; within a block each row of M is one sequential stream.
     */
    static final int JS = 4096;
    /**
     * Columns per call of {@link #transposeIn} and {@link #transposeOut}: small, so that those methods are called
     * often enough per pass to be compiled by C2 early (a call costs a few ns; a column of V and MᵀU, 2r loads).
     */
    static final int TC = 32;
    /**
     * Whether the small-r path covers ranks four at a time in one sweep over each block of M ({@link #k4r4}): where
     * there are 32 vector registers. With AVX2's 16 it spills most of its state and ran 6–27 % slower than pairs at
     * float32 r = 6 and 8 (CPU-time minima of two JVMs each, kernels.md 34).
     */
    static final boolean RANK_QUADS = SimdSpecies.WIDE_TILES;
    /** Rows of the MV register tiles (6 × 2 and, where 32 vector registers exist, 6 × 4 vectors). */
    static final int MR = 6;
    /** Columns (of M, i.e. rows of MᵀU) of the MᵀU register tiles (as {@link #MR}). */
    static final int NJ = 6;
    /** Vectors along r in both register tiles: MR·NC = NJ·NC = 12 accumulators, + NC loads + 1 broadcast. */
    static final int NC = 2;
    /**
     * Width of a column group of the 6 × 2 tiles (NC vectors). For those tiles V, U, MᵀU and the MV panel are packed
     * column-group-major (each group of G columns is its own rows × G region), so the tiles step through rows by
     * this constant: C2 then proves the array accesses in range once per call and drops the per-iteration bounds
     * checks and stride multiplication (measured −13 % on both tiles at float32 r = 16; kernels.md 11.7 and 12).
     */
    static final int G = NC * L;
    /**
     * Width of a column group of the wide tiles (4 vectors): their packed arrays are column-group-major too, so they
     * step through rows by this constant (a stride passed as an argument cost a multiplication and two bounds checks
     * per iteration; measured −7 % on the float32 r = 64 pass, kernels.md 33.4).
     */
    static final int GW = 4 * L;
    /**
     * Width of a column group of the 3-vector tiles ({@link #mvTile3}), where 32 vector registers exist: rows GW3
     * apart, as for {@link #GW}.
     */
    static final int GW3 = 3 * L;
    /**
     * Rows of M per packed panel (a multiple of 2·MR: the MV tiles step MR rows through panels of RB and RB / 2
     * rows; checked by KernelContractTest): the i-extent of the wide MᵀU micro-kernel (the 6 × 2 one
     * runs {@link #TR} rows per call), and how often the packed V and MᵀU (d2 × r each, L3-resident at large r) are
     * streamed again. Measured at d = 4096 (CPU-time minima): 24 → 96 rows took r = 256 from 500 to 271 ms and r = 64
     * from ~55 to ~51 ms, r = 16 unchanged. A call's cost is rounded up to a multiple of the panel's rows (the last
     * panel is padded with zero rows). Ranks up to {@link #HALF_PANEL_MAX} use panels of RB / 2 rows.
     */
    static final int RB = 96;
    /**
     * Largest rank whose GEMM-path panels hold RB / 2 rows (see {@link FusedTuning#DOUBLE_HALF_PANEL_MAX}); only
     * for the 6 × 2 tiles.
     */
    static final int HALF_PANEL_MAX = FusedTuning.DOUBLE_HALF_PANEL_MAX;
    /**
     * Rows per call of the 6 × 2 MᵀU tile: RB / 2 where half panels exist (two calls per full panel), else RB. A
     * static final read from a property, which C2 folds as a constant (javac does not: it is no compile-time
     * constant); with the row count as an argument C2 kept an accumulator of that loop on the stack (a store and a
     * reload per iteration, kernels.md 29.4).
     */
    static final int TR = HALF_PANEL_MAX > 0 ? RB / 2 : RB;
    /** Columns of M per packed block: the j-extent of the MV micro-kernel (see {@link FusedTuning#DOUBLE_JB}). */
    static final int JB = FusedTuning.DOUBLE_JB;

    private DoubleFused() {
    }

    /** True when the scratch arrays of this call fit Java arrays; otherwise the caller falls back to scalar. */
    static boolean fits(DenseMatrix m, DenseMatrix u) {
        long r = u.cols();
        long n = m.stride();
        long rp = (r + 4L * L - 1) / (4L * L) * (4L * L);
        long d2p = (m.cols() + JB - 1L) / JB * JB;
        return r * n < Integer.MAX_VALUE - 64 && d2p * rp < Integer.MAX_VALUE - 64
                && (d2p / JB) * RB * JB < Integer.MAX_VALUE - 64;
    }

    static void fusedPass(DenseMatrix m, DenseMatrix u, DenseMatrix v, int rs, int re, DenseMatrix mv,
            DenseMatrix mtu, Scratch sc) {
        if (rs >= re) {
            return;
        }
        if (u.cols() <= SMALL_MAX) {
            small(m, u, v, rs, re, mv, mtu, sc);
        } else {
            gemm(m, u, v, rs, re, mv, mtu, sc);
        }
    }

    // ---------------------------------------------------------------- small r

    private static void small(DenseMatrix m, DenseMatrix u, DenseMatrix v, int rs, int re, DenseMatrix mv,
            DenseMatrix mtu, Scratch sc) {
        int r = u.cols();
        int d2 = m.cols();
        int n = m.stride();
        MemorySegment ms = m.segment();
        MemorySegment us = u.segment();
        MemorySegment vs = v.segment();
        MemorySegment mvs = mv.segment();
        MemorySegment mts = mtu.segment();
        int su = u.stride();
        int sv = v.stride();
        int smv = mv.stride();
        int smt = mtu.stride();
        double[] vt = sc.doubles(0, r * n);
        double[] mt = sc.doubles(1, r * n);
        double[] red = sc.doubles(2, 4 * r * L);
        double[] up = sc.doubles(3, 4 * r);
        // The driver only counts: every element is touched in a method called per block of columns or rows (TC
        // columns, 4 rows), many times per pass, so that a new or deoptimised kernel reaches C2 within a pass or two.
        // HotSpot compiles a method whole after 600 calls; a driver called once per pass runs its loops in C1 code
        // (every vector a heap object, every segment access a call) for hundreds of passes (native-notes/startup.md,
        // "Kernels called per block").
        for (int j0 = 0; j0 < d2; j0 += TC) {
            transposeIn(vs, sv, mts, smt, r, n, j0, Math.min(d2, j0 + TC), vt, mt);
        }
        for (int a = 0; a < r; a++) {
            Arrays.fill(vt, a * n + d2, a * n + n, 0.0);
            Arrays.fill(mt, a * n + d2, a * n + n, 0.0);
        }
        for (int i = rs; i < re; i += 4) {
            smallBlock(ms, us, su, i, Math.min(4, re - i), r, n, vt, mt, red, up, mvs, smv);
        }
        for (int j0 = 0; j0 < d2; j0 += TC) {
            transposeOut(mt, r, n, j0, Math.min(d2, j0 + TC), mts, smt);
        }
    }

    /** Columns [j0, j1) of V and MᵀU, transposed into rows of vt and mt (rank a's row at a·n). */
    private static void transposeIn(MemorySegment vs, int sv, MemorySegment mts, int smt, int r, int n, int j0, int j1,
            double[] vt, double[] mt) {
        for (int a = 0; a < r; a++) {
            int base = a * n;
            for (int j = j0; j < j1; j++) {
                vt[base + j] = vs.getAtIndex(E, (long) j * sv + a);
                mt[base + j] = mts.getAtIndex(E, (long) j * smt + a);
            }
        }
    }

    /** Columns [j0, j1) of mt (rank a's row at a·n) written back as rows of MᵀU. */
    private static void transposeOut(double[] mt, int r, int n, int j0, int j1, MemorySegment mts, int smt) {
        for (int j = j0; j < j1; j++) {
            long row = (long) j * smt;
            for (int a = 0; a < r; a++) {
                mts.setAtIndex(E, row + a, mt[a * n + j]);
            }
        }
    }

    /**
     * Rows [i, i + rows) of the small-r pass (rows ≤ 4): the rows' u values into {@code up}, every column block
     * and rank pair through the micro-kernels, the rows of MV stored.
     */
    private static void smallBlock(MemorySegment ms, MemorySegment us, int su, int i, int rows, int r, int n,
            double[] vt, double[] mt, double[] red, double[] up, MemorySegment mvs, int smv) {
        long rowBytes = n * BYTES;
        int rl = r * L;
        long off = i * rowBytes;
        // A short last block (rows < 4) runs through the same 4-row kernels: its missing rows repeat its last row
        // of M with u = 0, so they add exact zeros to MᵀU (the real rows' sums keep their order and bits) and
        // their MV sums are never stored. One-row kernels for the tail were compiled only when a chunk's rows
        // were not a multiple of 4 — often first in the iterations, after the σ₁ passes had compiled the rest,
        // and interpreted until then (several times the iteration's time in a warm JVM at a new rank).
        for (int k = 0; k < rows; k++) {
            for (int a = 0; a < r; a++) {
                up[k * r + a] = us.getAtIndex(E, (long) (i + k) * su + a);
            }
        }
        // by a fill, not a branch on k < rows: a branch first taken at the end of a call traps in code compiled
        // before it (GramTiles.blockRow)
        Arrays.fill(up, rows * r, 4 * r, 0.0);
        Arrays.fill(red, 0, 4 * rl, 0.0);
        // Column blocks of JS keep the slices of Vᵀ and (MᵀU)ᵀ that a block touches (2·r·JS elements) in L1
        // while the rows of M stream through, and let the rank blocks re-read the block of M from L1.
        for (int j0 = 0; j0 < n; j0 += JS) {
            int j1 = Math.min(n, j0 + JS);
            int a = 0;
            // 4 rows × 2 ranks per sweep: Vᵀ and MᵀU are read once per 4 rows; re-reading the 4 rows of M hits
            // L1/L2. With 32 registers 30–50 % faster than 2 rows × 4 ranks at r = 2…8; with AVX2's 16 (it
            // spills a few) still 1.1–1.5× faster in float32 and 1.2–1.45× in float64 (kernels.md 18).
            // With 32 registers, 4 ranks per sweep first: the sweep that streams the block of M from memory then
            // does all the rank work of r = 4, instead of a second sweep that runs after the stream rather than
            // under it (float32 r = 4 ~1.25× faster: 4.17–4.29 → 3.34–3.39 ms, kernels.md 34). Every sum keeps its
            // order (MV per row and rank over j, MᵀU per column and rank over the rows), so the results do not
            // depend on the grouping (KernelDeterminismTest compares them with the pairs' bits).
            if (RANK_QUADS) {
                for (; a + 4 <= r; a += 4) {
                    k4r4(ms, off, rowBytes, rows, j0, j1, vt, mt, a * n, n, up, a, r, red, a * L, rl);
                }
            }
            for (; a + 2 <= r; a += 2) {
                k2r4(ms, off, rowBytes, rows, j0, j1, vt, mt, a * n, n, up, a, r, red, a * L, rl);
            }
            if (a < r) {
                k1r4(ms, off, rowBytes, rows, j0, j1, vt, mt, a * n, up, a, r, red, a * L, rl);
            }
        }
        for (int k = 0; k < rows; k++) {
            for (int a = 0; a < r; a++) {
                storeSum(red, k * rl + a * L, mvs, (long) (i + k) * smv + a);
            }
        }
    }

    /** Stores the lane sum of the vector at {@code red[o]}, added in lane order in double, rounded once. */
    private static void storeSum(double[] red, int o, MemorySegment s, long index) {
        double sum = 0.0;
        for (int l = 0; l < L; l++) {
            sum += red[o + l];
        }
        s.setAtIndex(E, index, sum);
    }

    /*
     * Small-r micro-kernels, named k<ranks>r<rows>. Each runs over columns [j0, j1) of a block of 4 rows of M (the
     * first at byte offset off, the next rowBytes apart; of a short block of {@code rows} < 4, the last row repeated
     * as in GramTiles.blockRow) and ranks [a, a + ranks) (t = a·n: their rows in vt and mt, n apart). MV row
     * accumulators live in red (rank vectors L apart, rows rl apart) between column blocks; the u values come from
     * up (rank-consecutive, rows ur apart).
     */

    /**
     * Four rows × two ranks: 8 MV accumulators, 8 u broadcasts, 4 M vectors (~22 registers: with AVX2's 16 a few
     * spill, and it is still faster than two rows × four ranks there). Reads the Vᵀ and MᵀU rows once per four rows
     * of M.
     */
    private static void k2r4(MemorySegment ms, long off, long rowBytes, int rows, int j0, int j1, double[] vt,
            double[] mt, int t, int n, double[] up, int uo, int ur, double[] red, int ro, int rl) {
        DoubleVector u00 = VT.cast(DoubleVector.broadcast(S, up[uo]));
        DoubleVector u01 = VT.cast(DoubleVector.broadcast(S, up[uo + 1]));
        DoubleVector u10 = VT.cast(DoubleVector.broadcast(S, up[uo + ur]));
        DoubleVector u11 = VT.cast(DoubleVector.broadcast(S, up[uo + ur + 1]));
        DoubleVector u20 = VT.cast(DoubleVector.broadcast(S, up[uo + 2 * ur]));
        DoubleVector u21 = VT.cast(DoubleVector.broadcast(S, up[uo + 2 * ur + 1]));
        DoubleVector u30 = VT.cast(DoubleVector.broadcast(S, up[uo + 3 * ur]));
        DoubleVector u31 = VT.cast(DoubleVector.broadcast(S, up[uo + 3 * ur + 1]));
        DoubleVector c00 = VT.cast(DoubleVector.fromArray(S, red, ro));
        DoubleVector c01 = VT.cast(DoubleVector.fromArray(S, red, ro + L));
        DoubleVector c10 = VT.cast(DoubleVector.fromArray(S, red, ro + rl));
        DoubleVector c11 = VT.cast(DoubleVector.fromArray(S, red, ro + rl + L));
        DoubleVector c20 = VT.cast(DoubleVector.fromArray(S, red, ro + 2 * rl));
        DoubleVector c21 = VT.cast(DoubleVector.fromArray(S, red, ro + 2 * rl + L));
        DoubleVector c30 = VT.cast(DoubleVector.fromArray(S, red, ro + 3 * rl));
        DoubleVector c31 = VT.cast(DoubleVector.fromArray(S, red, ro + 3 * rl + L));
        int t1 = t + n;
        // Each row's offset as (its own invariant start) + j·BYTES: C2 eliminates the range check of that shape but
        // not of (off + j·BYTES) + invariant (kernels.md 12).
        long off1 = off + Math.min(1, rows - 1) * rowBytes;
        long off2 = off + Math.min(2, rows - 1) * rowBytes;
        long off3 = off + Math.min(3, rows - 1) * rowBytes;
        for (int j = j0; j < j1; j += L) {
            long jb = j * BYTES;
            DoubleVector m0 = VT.cast(DoubleVector.fromMemorySegment(S, exact(ms), off + jb, NO));
            DoubleVector m1 = VT.cast(DoubleVector.fromMemorySegment(S, exact(ms), off1 + jb, NO));
            DoubleVector m2 = VT.cast(DoubleVector.fromMemorySegment(S, exact(ms), off2 + jb, NO));
            DoubleVector m3 = VT.cast(DoubleVector.fromMemorySegment(S, exact(ms), off3 + jb, NO));
            DoubleVector v = VT.cast(DoubleVector.fromArray(S, vt, t + j));
            c00 = m0.fma(v, c00);
            c10 = m1.fma(v, c10);
            c20 = m2.fma(v, c20);
            c30 = m3.fma(v, c30);
            m3.fma(u30, m2.fma(u20, m1.fma(u10, m0.fma(u00, VT.cast(DoubleVector.fromArray(S, mt, t + j))))))
                    .intoArray(mt, t + j);
            v = VT.cast(DoubleVector.fromArray(S, vt, t1 + j));
            c01 = m0.fma(v, c01);
            c11 = m1.fma(v, c11);
            c21 = m2.fma(v, c21);
            c31 = m3.fma(v, c31);
            m3.fma(u31, m2.fma(u21, m1.fma(u11, m0.fma(u01, VT.cast(DoubleVector.fromArray(S, mt, t1 + j))))))
                    .intoArray(mt, t1 + j);
        }
        VT.cast(c00).intoArray(red, ro);
        VT.cast(c01).intoArray(red, ro + L);
        VT.cast(c10).intoArray(red, ro + rl);
        VT.cast(c11).intoArray(red, ro + rl + L);
        VT.cast(c20).intoArray(red, ro + 2 * rl);
        VT.cast(c21).intoArray(red, ro + 2 * rl + L);
        VT.cast(c30).intoArray(red, ro + 3 * rl);
        VT.cast(c31).intoArray(red, ro + 3 * rl + L);
    }

    /**
     * Four rows × four ranks (32 vector registers only, {@link #RANK_QUADS}): 16 MV accumulators, 16 u broadcasts
     * and 4 M vectors are more than 32 registers, so C2 keeps some of the u values on the stack and reloads them in
     * the loop (a load each, as a broadcast from memory would be). Reads the 4 rows of M once for 4 ranks and the Vᵀ
     * and MᵀU rows once per four rows of M.
     *
     * <p>Every load of an iteration comes before its first FMA, in the source and so in C2's parse. This method is
     * past C2's node cutoff for inlining (~36 000 nodes at the end of the parse; an FMA alone adds ~470): the JDK's
     * calls parsed after the cutoff are inlined late, and a load (fromArray, fromMemorySegment) whose parse straddled
     * it bound its inner call from the shared type profile (KernelJitTest; the profile of every species in the
     * process, kernels.md 9). With the loads first the cutoff falls among the FMAs and stores, whose receivers are
     * typed exactly by {@code VT.cast} (~13 000 nodes after the last load, kernels.md 34). The MᵀU rows are loaded
     * before any is stored; they are n apart, so the values are those of the one-row-at-a-time order.
     */
    private static void k4r4(MemorySegment ms, long off, long rowBytes, int rows, int j0, int j1, double[] vt,
            double[] mt, int t, int n, double[] up, int uo, int ur, double[] red, int ro, int rl) {
        DoubleVector u00 = VT.cast(DoubleVector.broadcast(S, up[uo]));
        DoubleVector u01 = VT.cast(DoubleVector.broadcast(S, up[uo + 1]));
        DoubleVector u02 = VT.cast(DoubleVector.broadcast(S, up[uo + 2]));
        DoubleVector u03 = VT.cast(DoubleVector.broadcast(S, up[uo + 3]));
        DoubleVector u10 = VT.cast(DoubleVector.broadcast(S, up[uo + ur]));
        DoubleVector u11 = VT.cast(DoubleVector.broadcast(S, up[uo + ur + 1]));
        DoubleVector u12 = VT.cast(DoubleVector.broadcast(S, up[uo + ur + 2]));
        DoubleVector u13 = VT.cast(DoubleVector.broadcast(S, up[uo + ur + 3]));
        DoubleVector u20 = VT.cast(DoubleVector.broadcast(S, up[uo + 2 * ur]));
        DoubleVector u21 = VT.cast(DoubleVector.broadcast(S, up[uo + 2 * ur + 1]));
        DoubleVector u22 = VT.cast(DoubleVector.broadcast(S, up[uo + 2 * ur + 2]));
        DoubleVector u23 = VT.cast(DoubleVector.broadcast(S, up[uo + 2 * ur + 3]));
        DoubleVector u30 = VT.cast(DoubleVector.broadcast(S, up[uo + 3 * ur]));
        DoubleVector u31 = VT.cast(DoubleVector.broadcast(S, up[uo + 3 * ur + 1]));
        DoubleVector u32 = VT.cast(DoubleVector.broadcast(S, up[uo + 3 * ur + 2]));
        DoubleVector u33 = VT.cast(DoubleVector.broadcast(S, up[uo + 3 * ur + 3]));
        DoubleVector c00 = VT.cast(DoubleVector.fromArray(S, red, ro));
        DoubleVector c01 = VT.cast(DoubleVector.fromArray(S, red, ro + L));
        DoubleVector c02 = VT.cast(DoubleVector.fromArray(S, red, ro + 2 * L));
        DoubleVector c03 = VT.cast(DoubleVector.fromArray(S, red, ro + 3 * L));
        DoubleVector c10 = VT.cast(DoubleVector.fromArray(S, red, ro + rl));
        DoubleVector c11 = VT.cast(DoubleVector.fromArray(S, red, ro + rl + L));
        DoubleVector c12 = VT.cast(DoubleVector.fromArray(S, red, ro + rl + 2 * L));
        DoubleVector c13 = VT.cast(DoubleVector.fromArray(S, red, ro + rl + 3 * L));
        DoubleVector c20 = VT.cast(DoubleVector.fromArray(S, red, ro + 2 * rl));
        DoubleVector c21 = VT.cast(DoubleVector.fromArray(S, red, ro + 2 * rl + L));
        DoubleVector c22 = VT.cast(DoubleVector.fromArray(S, red, ro + 2 * rl + 2 * L));
        DoubleVector c23 = VT.cast(DoubleVector.fromArray(S, red, ro + 2 * rl + 3 * L));
        DoubleVector c30 = VT.cast(DoubleVector.fromArray(S, red, ro + 3 * rl));
        DoubleVector c31 = VT.cast(DoubleVector.fromArray(S, red, ro + 3 * rl + L));
        DoubleVector c32 = VT.cast(DoubleVector.fromArray(S, red, ro + 3 * rl + 2 * L));
        DoubleVector c33 = VT.cast(DoubleVector.fromArray(S, red, ro + 3 * rl + 3 * L));
        int t1 = t + n;
        int t2 = t + 2 * n;
        int t3 = t + 3 * n;
        long off1 = off + Math.min(1, rows - 1) * rowBytes;
        long off2 = off + Math.min(2, rows - 1) * rowBytes;
        long off3 = off + Math.min(3, rows - 1) * rowBytes;
        for (int j = j0; j < j1; j += L) {
            long jb = j * BYTES;
            DoubleVector m0 = VT.cast(DoubleVector.fromMemorySegment(S, exact(ms), off + jb, NO));
            DoubleVector m1 = VT.cast(DoubleVector.fromMemorySegment(S, exact(ms), off1 + jb, NO));
            DoubleVector m2 = VT.cast(DoubleVector.fromMemorySegment(S, exact(ms), off2 + jb, NO));
            DoubleVector m3 = VT.cast(DoubleVector.fromMemorySegment(S, exact(ms), off3 + jb, NO));
            DoubleVector v0 = VT.cast(DoubleVector.fromArray(S, vt, t + j));
            DoubleVector v1 = VT.cast(DoubleVector.fromArray(S, vt, t1 + j));
            DoubleVector v2 = VT.cast(DoubleVector.fromArray(S, vt, t2 + j));
            DoubleVector v3 = VT.cast(DoubleVector.fromArray(S, vt, t3 + j));
            DoubleVector x0 = VT.cast(DoubleVector.fromArray(S, mt, t + j));
            DoubleVector x1 = VT.cast(DoubleVector.fromArray(S, mt, t1 + j));
            DoubleVector x2 = VT.cast(DoubleVector.fromArray(S, mt, t2 + j));
            DoubleVector x3 = VT.cast(DoubleVector.fromArray(S, mt, t3 + j));
            c00 = m0.fma(v0, c00);
            c10 = m1.fma(v0, c10);
            c20 = m2.fma(v0, c20);
            c30 = m3.fma(v0, c30);
            VT.cast(m3.fma(u30, m2.fma(u20, m1.fma(u10, m0.fma(u00, x0))))).intoArray(mt, t + j);
            c01 = m0.fma(v1, c01);
            c11 = m1.fma(v1, c11);
            c21 = m2.fma(v1, c21);
            c31 = m3.fma(v1, c31);
            VT.cast(m3.fma(u31, m2.fma(u21, m1.fma(u11, m0.fma(u01, x1))))).intoArray(mt, t1 + j);
            c02 = m0.fma(v2, c02);
            c12 = m1.fma(v2, c12);
            c22 = m2.fma(v2, c22);
            c32 = m3.fma(v2, c32);
            VT.cast(m3.fma(u32, m2.fma(u22, m1.fma(u12, m0.fma(u02, x2))))).intoArray(mt, t2 + j);
            c03 = m0.fma(v3, c03);
            c13 = m1.fma(v3, c13);
            c23 = m2.fma(v3, c23);
            c33 = m3.fma(v3, c33);
            VT.cast(m3.fma(u33, m2.fma(u23, m1.fma(u13, m0.fma(u03, x3))))).intoArray(mt, t3 + j);
        }
        VT.cast(c00).intoArray(red, ro);
        VT.cast(c01).intoArray(red, ro + L);
        VT.cast(c02).intoArray(red, ro + 2 * L);
        VT.cast(c03).intoArray(red, ro + 3 * L);
        VT.cast(c10).intoArray(red, ro + rl);
        VT.cast(c11).intoArray(red, ro + rl + L);
        VT.cast(c12).intoArray(red, ro + rl + 2 * L);
        VT.cast(c13).intoArray(red, ro + rl + 3 * L);
        VT.cast(c20).intoArray(red, ro + 2 * rl);
        VT.cast(c21).intoArray(red, ro + 2 * rl + L);
        VT.cast(c22).intoArray(red, ro + 2 * rl + 2 * L);
        VT.cast(c23).intoArray(red, ro + 2 * rl + 3 * L);
        VT.cast(c30).intoArray(red, ro + 3 * rl);
        VT.cast(c31).intoArray(red, ro + 3 * rl + L);
        VT.cast(c32).intoArray(red, ro + 3 * rl + 2 * L);
        VT.cast(c33).intoArray(red, ro + 3 * rl + 3 * L);
    }

    /**
     * Four rows × one rank: 4 row accumulators, and the MᵀU row updated by a chain of 4 FMAs with the u values in
     * registers (the shape that reached the bandwidth floor at r = 1).
     */
    private static void k1r4(MemorySegment ms, long off, long rowBytes, int rows, int j0, int j1, double[] vt,
            double[] mt, int t, double[] up, int uo, int ur, double[] red, int ro, int rl) {
        DoubleVector u0 = VT.cast(DoubleVector.broadcast(S, up[uo]));
        DoubleVector u1 = VT.cast(DoubleVector.broadcast(S, up[uo + ur]));
        DoubleVector u2 = VT.cast(DoubleVector.broadcast(S, up[uo + 2 * ur]));
        DoubleVector u3 = VT.cast(DoubleVector.broadcast(S, up[uo + 3 * ur]));
        DoubleVector c0 = VT.cast(DoubleVector.fromArray(S, red, ro));
        DoubleVector c1 = VT.cast(DoubleVector.fromArray(S, red, ro + rl));
        DoubleVector c2 = VT.cast(DoubleVector.fromArray(S, red, ro + 2 * rl));
        DoubleVector c3 = VT.cast(DoubleVector.fromArray(S, red, ro + 3 * rl));
        // Left with one row offset: with four, C2 unrolls this loop 8× and spills (kernels.md 12).
        long rb1 = Math.min(1, rows - 1) * rowBytes;
        long rb2 = Math.min(2, rows - 1) * rowBytes;
        long rb3 = Math.min(3, rows - 1) * rowBytes;
        for (int j = j0; j < j1; j += L) {
            long o = off + j * BYTES;
            DoubleVector m0 = VT.cast(DoubleVector.fromMemorySegment(S, exact(ms), o, NO));
            DoubleVector m1 = VT.cast(DoubleVector.fromMemorySegment(S, exact(ms), o + rb1, NO));
            DoubleVector m2 = VT.cast(DoubleVector.fromMemorySegment(S, exact(ms), o + rb2, NO));
            DoubleVector m3 = VT.cast(DoubleVector.fromMemorySegment(S, exact(ms), o + rb3, NO));
            DoubleVector v = VT.cast(DoubleVector.fromArray(S, vt, t + j));
            c0 = m0.fma(v, c0);
            c1 = m1.fma(v, c1);
            c2 = m2.fma(v, c2);
            c3 = m3.fma(v, c3);
            m3.fma(u3, m2.fma(u2, m1.fma(u1, m0.fma(u0, VT.cast(DoubleVector.fromArray(S, mt, t + j))))))
                    .intoArray(mt, t + j);
        }
        VT.cast(c0).intoArray(red, ro);
        VT.cast(c1).intoArray(red, ro + rl);
        VT.cast(c2).intoArray(red, ro + 2 * rl);
        VT.cast(c3).intoArray(red, ro + 3 * rl);
    }

    // ---------------------------------------------------------------- large r

    private static void gemm(DenseMatrix m, DenseMatrix u, DenseMatrix v, int rs, int re, DenseMatrix mv,
            DenseMatrix mtu, Scratch sc) {
        int r = u.cols();
        int d2 = m.cols();
        int n = m.stride();
        // Column-group width of the packed arrays: GW for the wide tiles, GW3 for the 3-vector ones, G for the 6 × 2
        // tiles. Either way the tiles step through rows by a constant, so C2 drops their bounds checks and stride
        // multiplication (kernels.md 12, 33.4).
        int gw = groupWidth(r);
        boolean wide = gw == GW;
        boolean three = gw == GW3;
        int rp = roundUp(r, gw);
        // rows per panel: the wide and 3-vector MᵀU tiles always run RB rows
        int rb = !wide && !three && r <= HALF_PANEL_MAX ? RB / 2 : RB;
        int lr = roundUp(r, L);
        int nJB = (d2 + JB - 1) / JB;
        int d2p = nJB * JB;
        // the panels' columns: M's rounded up to a vector, not its stride, so that a block of M's columns (the
        // engine's 2-D grid, FactorKernels.columnBlock) reads nothing of the next block; the rest is zero either way
        int cl = roundUp(d2, L);
        double[] vp = sc.doubles(0, d2p * rp);
        double[] mtp = sc.doubles(1, d2p * rp);
        double[] pp = sc.doubles(2, nJB * RB * JB);
        double[] up = sc.doubles(3, RB * rp);
        double[] mvp = sc.doubles(4, RB * rp);
        MemorySegment ms = m.segment();
        packRows(v.segment(), v.stride(), 0, d2, lr, vp, rp, gw, d2p);
        zeroRows(vp, rp, gw, d2p, d2);
        packRows(mtu.segment(), mtu.stride(), 0, d2, lr, mtp, rp, gw, d2p);
        zeroRows(mtp, rp, gw, d2p, d2);
        for (int i0 = rs; i0 < re; i0 += rb) {
            int rows = Math.min(rb, re - i0);
            packPanel(ms, n, cl, i0, rows, nJB, rb, pp);
            packRows(u.segment(), u.stride(), i0, rows, lr, up, rp, gw, rb);
            zeroRows(up, rp, gw, rb, rows);
            Arrays.fill(mvp, 0, rb * rp, 0.0);
            for (int jb = 0; jb < nJB; jb++) {
                int pOff = jb * rb * JB;
                for (int c = 0; c < rp; c += gw) {
                    int vg = c * d2p + jb * JB * gw;
                    int ug = c * rb;
                    if (wide) {
                        for (int g = 0; g < rows; g += MR) {
                            mvTileWide(pp, pOff + g * JB, vp, vg, mvp, ug + g * GW);
                        }
                        for (int jj = 0; jj < JB; jj += NJ) {
                            mtuTileWide(pp, pOff + jj, up, ug, mtp, vg + jj * GW);
                        }
                    } else if (three) {
                        for (int g = 0; g < rows; g += MR) {
                            mvTile3(pp, pOff + g * JB, vp, vg, mvp, ug + g * GW3);
                        }
                        for (int jj = 0; jj < JB; jj += NJ) {
                            mtuTile3(pp, pOff + jj, up, ug, mtp, vg + jj * GW3);
                        }
                    } else {
                        for (int g = 0; g < rows; g += MR) {
                            mvTile(pp, pOff + g * JB, vp, vg, mvp, ug + g * G);
                        }
                        for (int jj = 0; jj < JB; jj += NJ) {
                            for (int h = 0; h < rb; h += TR) {
                                mtuTile(pp, pOff + h * JB + jj, up, ug + h * G, mtp, vg + jj * G);
                            }
                        }
                    }
                }
            }
            unpackRows(mvp, rp, gw, rb, mv.segment(), mv.stride(), i0, rows, r);
        }
        unpackRows(mtp, rp, gw, d2p, mtu.segment(), mtu.stride(), 0, d2, r);
    }

    /**
     * Column-group width of the GEMM path's tiles at rank r: {@link #G} (6 × 2 tiles) with 16 vector registers;
     * with 32, of the groups of 4, 3 and 2 vectors the one that pads r least, the wider on a tie (each added vector
     * of a tile shares its broadcasts), and 4 vectors from 8 on. So ranks of exactly 3 vectors no longer round up to
     * 4 (a third more FMAs), and 5–6 vectors take two 3-vector groups instead of three 2-vector ones.
     */
    static int groupWidth(int r) {
        if (!SimdSpecies.WIDE_TILES) {
            return G;
        }
        if (r >= 8 * L) {
            return GW;
        }
        int gw = GW;
        if (roundUp(r, GW3) < roundUp(r, gw)) {
            gw = GW3;
        }
        if (roundUp(r, G) < roundUp(r, gw)) {
            gw = G;
        }
        return gw;
    }

    /*
     * Packed layout of V, U, MᵀU and the MV panel: rows of width w (r padded to the tile width) cut into column groups
     * of gw (a divisor of w), each group a gRows × gw region of its own: element (k, c) is at (c − c % gw)·gRows +
     * k·gw + c % gw. With gw = w this is plain row-major.
     */

    /**
     * Copies columns [0, lr) of rows [row0, row0 + rows) of a matrix (stride {@code st}; lr = r rounded up to L, so
     * the copied padding is zero) into rows [0, rows) of {@code dst} (width w, groups gw × gRows), zero-filling
     * columns [lr, w).
     */
    private static void packRows(MemorySegment s, int st, int row0, int rows, int lr, double[] dst, int w, int gw,
            int gRows) {
        for (int k = 0; k < rows; k++) {
            packRow(s, (long) (row0 + k) * st * BYTES, k, lr, dst, w, gw, gRows);
        }
    }

    /**
     * Row k of {@link #packRows}, read from byte offset {@code o}: a method per row, called d2 + d1 times per pass, so
     * that C2 compiles it within a pass or two (a call per whole copy, a few per pass, ran in C1 code for hundreds of
     * passes after each new rank: native-notes/startup.md, "Kernels called per block").
     */
    private static void packRow(MemorySegment s, long o, int k, int lr, double[] dst, int w, int gw, int gRows) {
        for (int g0 = 0; g0 < w; g0 += gw) {
            int d = g0 * gRows + k * gw;
            int lim = Math.min(gw, Math.max(0, lr - g0));
            for (int c = 0; c < lim; c += L) {
                VT.cast(DoubleVector.fromMemorySegment(S, exact(s), o + (g0 + c) * BYTES, NO)).intoArray(dst, d + c);
            }
            Arrays.fill(dst, d + lim, d + gw, 0.0);
        }
    }

    /** Zeroes rows [from, gRows) of every column group of a packed array (width w, groups gw × gRows). */
    private static void zeroRows(double[] dst, int w, int gw, int gRows, int from) {
        for (int g0 = 0; g0 < w; g0 += gw) {
            Arrays.fill(dst, g0 * gRows + from * gw, (g0 + gw) * gRows, 0.0);
        }
    }

    /**
     * Writes columns [0, r) of rows [0, rows) of {@code src} (width w, groups gw × gRows) back to rows [row0, row0 +
     * rows) of a matrix; its padding is never written.
     */
    private static void unpackRows(double[] src, int w, int gw, int gRows, MemorySegment s, int st, int row0,
            int rows, int r) {
        for (int k = 0; k < rows; k++) {
            unpackRow(src, k, w, gw, gRows, s, (long) (row0 + k) * st * BYTES, r);
        }
    }

    /**
     * Row k of {@link #unpackRows}, written at byte offset {@code o}; a method per row as {@link #packRow}. The segment
     * is typed once, at the top: the masked store's {@code exact} call, once a row and compiled from a short profile
     * (the launcher's thresholds), was refused as "low call site frequency", and the store's segment accessors then
     * stayed virtual calls (KernelJitTest, after RankSequenceProbe's r = 12 on 260 × 1000; kernels.md 36).
     */
    private static void unpackRow(double[] src, int k, int w, int gw, int gRows, MemorySegment s, long o,
            int r) {
        MemorySegment to = exact(s);
        int full = r / L * L;
        for (int g0 = 0; g0 < w; g0 += gw) {
            int d = g0 * gRows + k * gw;
            int lim = Math.min(gw, Math.max(0, full - g0));
            for (int c = 0; c < lim; c += L) {
                VT.cast(DoubleVector.fromArray(S, src, d + c)).intoMemorySegment(to, o + (g0 + c) * BYTES, NO);
            }
            if (full < r && full >= g0 && full < g0 + gw) {
                VectorMask<Double> tail = S.indexInRange(full, r);
                VT.cast(DoubleVector.fromArray(S, src, d + full - g0))
                        .intoMemorySegment(to, o + full * BYTES, NO, tail);
            }
        }
    }

    /**
     * Packs rows [i0, i0 + rows) of M into {@code pp} as blocks of JB columns of a panel of rb rows: element (k, jb·JB
     * + jj) goes to {@code pp[(jb·rb + k)·JB + jj]}. Each row of M is read front to back (sequential for the
     * prefetchers); rows beyond {@code rows} and columns beyond the padded width are zero.
     */
    private static void packPanel(MemorySegment ms, int n, int cl, int i0, int rows, int nJB, int rb,
            double[] pp) {
        for (int k = 0; k < rows; k++) {
            packPanelRow(ms, (long) (i0 + k) * n * BYTES, cl, k, nJB, rb, pp);
        }
        // the rows beyond a short last panel: a loop of their own, not a branch per row in one method (that branch,
        // first taken at a call's last panel, trapped in the C2 code compiled before it)
        for (int k = rows; k < rb; k++) {
            for (int jb = 0; jb < nJB; jb++) {
                int dst = (jb * rb + k) * JB;
                Arrays.fill(pp, dst, dst + JB, 0.0);
            }
        }
    }

    /**
     * Row k of a panel, read from byte offset {@code o}, its columns [0, cl) (a multiple of L) copied and the rest of
     * the last block zeroed; a method per row as {@link #packRow}.
     */
    private static void packPanelRow(MemorySegment ms, long o, int cl, int k, int nJB, int rb, double[] pp) {
        for (int jb = 0; jb < nJB; jb++) {
            int dst = (jb * rb + k) * JB;
            int j0 = jb * JB;
            int lim = Math.min(JB, cl - j0);
            int jj = 0;
            for (; jj < lim; jj += L) {
                VT.cast(DoubleVector.fromMemorySegment(S, exact(ms), o + (j0 + jj) * BYTES, NO))
                        .intoArray(pp, dst + jj);
            }
            if (jj < JB) {
                Arrays.fill(pp, dst + jj, dst + JB, 0.0);
            }
        }
    }

    /**
     * MV micro-kernel: MR rows of one column group of the MV panel at {@code co} (row stride G) += the MR × JB block of
     * P at {@code po} (row stride JB) times JB rows of the same column group of packed V at {@code bo} (row stride G).
     */
    private static void mvTile(double[] p, int po, double[] b, int bo, double[] c, int co) {
        int c1 = co + G;
        int c2 = c1 + G;
        int c3 = c2 + G;
        int c4 = c3 + G;
        int c5 = c4 + G;
        DoubleVector a00 = VT.cast(DoubleVector.fromArray(S, c, co));
        DoubleVector a01 = VT.cast(DoubleVector.fromArray(S, c, co + L));
        DoubleVector a10 = VT.cast(DoubleVector.fromArray(S, c, c1));
        DoubleVector a11 = VT.cast(DoubleVector.fromArray(S, c, c1 + L));
        DoubleVector a20 = VT.cast(DoubleVector.fromArray(S, c, c2));
        DoubleVector a21 = VT.cast(DoubleVector.fromArray(S, c, c2 + L));
        DoubleVector a30 = VT.cast(DoubleVector.fromArray(S, c, c3));
        DoubleVector a31 = VT.cast(DoubleVector.fromArray(S, c, c3 + L));
        DoubleVector a40 = VT.cast(DoubleVector.fromArray(S, c, c4));
        DoubleVector a41 = VT.cast(DoubleVector.fromArray(S, c, c4 + L));
        DoubleVector a50 = VT.cast(DoubleVector.fromArray(S, c, c5));
        DoubleVector a51 = VT.cast(DoubleVector.fromArray(S, c, c5 + L));
        for (int j = 0; j < JB; j++) {
            int bj = bo + j * G;
            DoubleVector b0 = VT.cast(DoubleVector.fromArray(S, b, bj));
            DoubleVector b1 = VT.cast(DoubleVector.fromArray(S, b, bj + L));
            int pj = po + j;
            DoubleVector x = VT.cast(DoubleVector.broadcast(S, p[pj]));
            a00 = x.fma(b0, a00);
            a01 = x.fma(b1, a01);
            x = VT.cast(DoubleVector.broadcast(S, p[pj + JB]));
            a10 = x.fma(b0, a10);
            a11 = x.fma(b1, a11);
            x = VT.cast(DoubleVector.broadcast(S, p[pj + 2 * JB]));
            a20 = x.fma(b0, a20);
            a21 = x.fma(b1, a21);
            x = VT.cast(DoubleVector.broadcast(S, p[pj + 3 * JB]));
            a30 = x.fma(b0, a30);
            a31 = x.fma(b1, a31);
            x = VT.cast(DoubleVector.broadcast(S, p[pj + 4 * JB]));
            a40 = x.fma(b0, a40);
            a41 = x.fma(b1, a41);
            x = VT.cast(DoubleVector.broadcast(S, p[pj + 5 * JB]));
            a50 = x.fma(b0, a50);
            a51 = x.fma(b1, a51);
        }
        VT.cast(a00).intoArray(c, co);
        VT.cast(a01).intoArray(c, co + L);
        VT.cast(a10).intoArray(c, c1);
        VT.cast(a11).intoArray(c, c1 + L);
        VT.cast(a20).intoArray(c, c2);
        VT.cast(a21).intoArray(c, c2 + L);
        VT.cast(a30).intoArray(c, c3);
        VT.cast(a31).intoArray(c, c3 + L);
        VT.cast(a40).intoArray(c, c4);
        VT.cast(a41).intoArray(c, c4 + L);
        VT.cast(a50).intoArray(c, c5);
        VT.cast(a51).intoArray(c, c5 + L);
    }

    /**
     * MᵀU micro-kernel: NJ rows of one column group of packed MᵀU at {@code co} (row stride G) += the transpose of the
     * TR × NJ block of P at {@code po} (row stride JB) times the TR rows of the same column group of packed U at
     * {@code bo} (row stride G).
     */
    private static void mtuTile(double[] p, int po, double[] b, int bo, double[] c, int co) {
        int c1 = co + G;
        int c2 = c1 + G;
        int c3 = c2 + G;
        int c4 = c3 + G;
        int c5 = c4 + G;
        DoubleVector a00 = VT.cast(DoubleVector.fromArray(S, c, co));
        DoubleVector a01 = VT.cast(DoubleVector.fromArray(S, c, co + L));
        DoubleVector a10 = VT.cast(DoubleVector.fromArray(S, c, c1));
        DoubleVector a11 = VT.cast(DoubleVector.fromArray(S, c, c1 + L));
        DoubleVector a20 = VT.cast(DoubleVector.fromArray(S, c, c2));
        DoubleVector a21 = VT.cast(DoubleVector.fromArray(S, c, c2 + L));
        DoubleVector a30 = VT.cast(DoubleVector.fromArray(S, c, c3));
        DoubleVector a31 = VT.cast(DoubleVector.fromArray(S, c, c3 + L));
        DoubleVector a40 = VT.cast(DoubleVector.fromArray(S, c, c4));
        DoubleVector a41 = VT.cast(DoubleVector.fromArray(S, c, c4 + L));
        DoubleVector a50 = VT.cast(DoubleVector.fromArray(S, c, c5));
        DoubleVector a51 = VT.cast(DoubleVector.fromArray(S, c, c5 + L));
        for (int i = 0; i < TR; i++) {
            int bi = bo + i * G;
            DoubleVector b0 = VT.cast(DoubleVector.fromArray(S, b, bi));
            DoubleVector b1 = VT.cast(DoubleVector.fromArray(S, b, bi + L));
            int pi = po + i * JB;
            DoubleVector x = VT.cast(DoubleVector.broadcast(S, p[pi]));
            a00 = x.fma(b0, a00);
            a01 = x.fma(b1, a01);
            x = VT.cast(DoubleVector.broadcast(S, p[pi + 1]));
            a10 = x.fma(b0, a10);
            a11 = x.fma(b1, a11);
            x = VT.cast(DoubleVector.broadcast(S, p[pi + 2]));
            a20 = x.fma(b0, a20);
            a21 = x.fma(b1, a21);
            x = VT.cast(DoubleVector.broadcast(S, p[pi + 3]));
            a30 = x.fma(b0, a30);
            a31 = x.fma(b1, a31);
            x = VT.cast(DoubleVector.broadcast(S, p[pi + 4]));
            a40 = x.fma(b0, a40);
            a41 = x.fma(b1, a41);
            x = VT.cast(DoubleVector.broadcast(S, p[pi + 5]));
            a50 = x.fma(b0, a50);
            a51 = x.fma(b1, a51);
        }
        VT.cast(a00).intoArray(c, co);
        VT.cast(a01).intoArray(c, co + L);
        VT.cast(a10).intoArray(c, c1);
        VT.cast(a11).intoArray(c, c1 + L);
        VT.cast(a20).intoArray(c, c2);
        VT.cast(a21).intoArray(c, c2 + L);
        VT.cast(a30).intoArray(c, c3);
        VT.cast(a31).intoArray(c, c3 + L);
        VT.cast(a40).intoArray(c, c4);
        VT.cast(a41).intoArray(c, c4 + L);
        VT.cast(a50).intoArray(c, c5);
        VT.cast(a51).intoArray(c, c5 + L);
    }

    /**
     * As {@link #mvTile} with an MR-row × 4-vector tile: 24 accumulators + 4 loads + a broadcast (29 of 32
     * registers; 30 as compiled, C2 uses two broadcast temporaries), one broadcast per 4 FMAs instead of per 2. Only
     * where the register file has 32 vector registers. The packed arrays are column-group-major in groups of
     * {@link #GW}, rows GW apart. Six rows rather than four: the same 4 loads of V serve 24 FMAs instead of 16, which
     * on an Intel AVX-512 core (where a 512-bit load of a heap array mostly crosses a cache line) took this tile from
     * 10.7–12.3 to 9.2–10.7 cycles per 16 FMAs on L1-resident data (native-notes/kernels.md 33.1).
     */
    private static void mvTileWide(double[] p, int po, double[] b, int bo, double[] c, int co) {
        int c0 = co;
        int c1 = co + GW;
        int c2 = co + 2 * GW;
        int c3 = co + 3 * GW;
        int c4 = co + 4 * GW;
        int c5 = co + 5 * GW;
        DoubleVector a00 = VT.cast(DoubleVector.fromArray(S, c, c0));
        DoubleVector a01 = VT.cast(DoubleVector.fromArray(S, c, c0 + L));
        DoubleVector a02 = VT.cast(DoubleVector.fromArray(S, c, c0 + 2 * L));
        DoubleVector a03 = VT.cast(DoubleVector.fromArray(S, c, c0 + 3 * L));
        DoubleVector a10 = VT.cast(DoubleVector.fromArray(S, c, c1));
        DoubleVector a11 = VT.cast(DoubleVector.fromArray(S, c, c1 + L));
        DoubleVector a12 = VT.cast(DoubleVector.fromArray(S, c, c1 + 2 * L));
        DoubleVector a13 = VT.cast(DoubleVector.fromArray(S, c, c1 + 3 * L));
        DoubleVector a20 = VT.cast(DoubleVector.fromArray(S, c, c2));
        DoubleVector a21 = VT.cast(DoubleVector.fromArray(S, c, c2 + L));
        DoubleVector a22 = VT.cast(DoubleVector.fromArray(S, c, c2 + 2 * L));
        DoubleVector a23 = VT.cast(DoubleVector.fromArray(S, c, c2 + 3 * L));
        DoubleVector a30 = VT.cast(DoubleVector.fromArray(S, c, c3));
        DoubleVector a31 = VT.cast(DoubleVector.fromArray(S, c, c3 + L));
        DoubleVector a32 = VT.cast(DoubleVector.fromArray(S, c, c3 + 2 * L));
        DoubleVector a33 = VT.cast(DoubleVector.fromArray(S, c, c3 + 3 * L));
        DoubleVector a40 = VT.cast(DoubleVector.fromArray(S, c, c4));
        DoubleVector a41 = VT.cast(DoubleVector.fromArray(S, c, c4 + L));
        DoubleVector a42 = VT.cast(DoubleVector.fromArray(S, c, c4 + 2 * L));
        DoubleVector a43 = VT.cast(DoubleVector.fromArray(S, c, c4 + 3 * L));
        DoubleVector a50 = VT.cast(DoubleVector.fromArray(S, c, c5));
        DoubleVector a51 = VT.cast(DoubleVector.fromArray(S, c, c5 + L));
        DoubleVector a52 = VT.cast(DoubleVector.fromArray(S, c, c5 + 2 * L));
        DoubleVector a53 = VT.cast(DoubleVector.fromArray(S, c, c5 + 3 * L));
        for (int j = 0; j < JB; j++) {
            int bj = bo + j * GW;
            DoubleVector b0 = VT.cast(DoubleVector.fromArray(S, b, bj));
            DoubleVector b1 = VT.cast(DoubleVector.fromArray(S, b, bj + L));
            DoubleVector b2 = VT.cast(DoubleVector.fromArray(S, b, bj + 2 * L));
            DoubleVector b3 = VT.cast(DoubleVector.fromArray(S, b, bj + 3 * L));
            int pj = po + j;
            DoubleVector x = VT.cast(DoubleVector.broadcast(S, p[pj]));
            a00 = x.fma(b0, a00);
            a01 = x.fma(b1, a01);
            a02 = x.fma(b2, a02);
            a03 = x.fma(b3, a03);
            x = VT.cast(DoubleVector.broadcast(S, p[pj + JB]));
            a10 = x.fma(b0, a10);
            a11 = x.fma(b1, a11);
            a12 = x.fma(b2, a12);
            a13 = x.fma(b3, a13);
            x = VT.cast(DoubleVector.broadcast(S, p[pj + 2 * JB]));
            a20 = x.fma(b0, a20);
            a21 = x.fma(b1, a21);
            a22 = x.fma(b2, a22);
            a23 = x.fma(b3, a23);
            x = VT.cast(DoubleVector.broadcast(S, p[pj + 3 * JB]));
            a30 = x.fma(b0, a30);
            a31 = x.fma(b1, a31);
            a32 = x.fma(b2, a32);
            a33 = x.fma(b3, a33);
            x = VT.cast(DoubleVector.broadcast(S, p[pj + 4 * JB]));
            a40 = x.fma(b0, a40);
            a41 = x.fma(b1, a41);
            a42 = x.fma(b2, a42);
            a43 = x.fma(b3, a43);
            x = VT.cast(DoubleVector.broadcast(S, p[pj + 5 * JB]));
            a50 = x.fma(b0, a50);
            a51 = x.fma(b1, a51);
            a52 = x.fma(b2, a52);
            a53 = x.fma(b3, a53);
        }
        VT.cast(a00).intoArray(c, c0);
        VT.cast(a01).intoArray(c, c0 + L);
        VT.cast(a02).intoArray(c, c0 + 2 * L);
        VT.cast(a03).intoArray(c, c0 + 3 * L);
        VT.cast(a10).intoArray(c, c1);
        VT.cast(a11).intoArray(c, c1 + L);
        VT.cast(a12).intoArray(c, c1 + 2 * L);
        VT.cast(a13).intoArray(c, c1 + 3 * L);
        VT.cast(a20).intoArray(c, c2);
        VT.cast(a21).intoArray(c, c2 + L);
        VT.cast(a22).intoArray(c, c2 + 2 * L);
        VT.cast(a23).intoArray(c, c2 + 3 * L);
        VT.cast(a30).intoArray(c, c3);
        VT.cast(a31).intoArray(c, c3 + L);
        VT.cast(a32).intoArray(c, c3 + 2 * L);
        VT.cast(a33).intoArray(c, c3 + 3 * L);
        VT.cast(a40).intoArray(c, c4);
        VT.cast(a41).intoArray(c, c4 + L);
        VT.cast(a42).intoArray(c, c4 + 2 * L);
        VT.cast(a43).intoArray(c, c4 + 3 * L);
        VT.cast(a50).intoArray(c, c5);
        VT.cast(a51).intoArray(c, c5 + L);
        VT.cast(a52).intoArray(c, c5 + 2 * L);
        VT.cast(a53).intoArray(c, c5 + 3 * L);
    }

    /**
     * As {@link #mtuTile} with an NJ-column × 4-vector tile (see {@link #mvTileWide}).
     */
    private static void mtuTileWide(double[] p, int po, double[] b, int bo, double[] c, int co) {
        int c0 = co;
        int c1 = co + GW;
        int c2 = co + 2 * GW;
        int c3 = co + 3 * GW;
        int c4 = co + 4 * GW;
        int c5 = co + 5 * GW;
        DoubleVector a00 = VT.cast(DoubleVector.fromArray(S, c, c0));
        DoubleVector a01 = VT.cast(DoubleVector.fromArray(S, c, c0 + L));
        DoubleVector a02 = VT.cast(DoubleVector.fromArray(S, c, c0 + 2 * L));
        DoubleVector a03 = VT.cast(DoubleVector.fromArray(S, c, c0 + 3 * L));
        DoubleVector a10 = VT.cast(DoubleVector.fromArray(S, c, c1));
        DoubleVector a11 = VT.cast(DoubleVector.fromArray(S, c, c1 + L));
        DoubleVector a12 = VT.cast(DoubleVector.fromArray(S, c, c1 + 2 * L));
        DoubleVector a13 = VT.cast(DoubleVector.fromArray(S, c, c1 + 3 * L));
        DoubleVector a20 = VT.cast(DoubleVector.fromArray(S, c, c2));
        DoubleVector a21 = VT.cast(DoubleVector.fromArray(S, c, c2 + L));
        DoubleVector a22 = VT.cast(DoubleVector.fromArray(S, c, c2 + 2 * L));
        DoubleVector a23 = VT.cast(DoubleVector.fromArray(S, c, c2 + 3 * L));
        DoubleVector a30 = VT.cast(DoubleVector.fromArray(S, c, c3));
        DoubleVector a31 = VT.cast(DoubleVector.fromArray(S, c, c3 + L));
        DoubleVector a32 = VT.cast(DoubleVector.fromArray(S, c, c3 + 2 * L));
        DoubleVector a33 = VT.cast(DoubleVector.fromArray(S, c, c3 + 3 * L));
        DoubleVector a40 = VT.cast(DoubleVector.fromArray(S, c, c4));
        DoubleVector a41 = VT.cast(DoubleVector.fromArray(S, c, c4 + L));
        DoubleVector a42 = VT.cast(DoubleVector.fromArray(S, c, c4 + 2 * L));
        DoubleVector a43 = VT.cast(DoubleVector.fromArray(S, c, c4 + 3 * L));
        DoubleVector a50 = VT.cast(DoubleVector.fromArray(S, c, c5));
        DoubleVector a51 = VT.cast(DoubleVector.fromArray(S, c, c5 + L));
        DoubleVector a52 = VT.cast(DoubleVector.fromArray(S, c, c5 + 2 * L));
        DoubleVector a53 = VT.cast(DoubleVector.fromArray(S, c, c5 + 3 * L));
        for (int i = 0; i < RB; i++) {
            int bj = bo + i * GW;
            DoubleVector b0 = VT.cast(DoubleVector.fromArray(S, b, bj));
            DoubleVector b1 = VT.cast(DoubleVector.fromArray(S, b, bj + L));
            DoubleVector b2 = VT.cast(DoubleVector.fromArray(S, b, bj + 2 * L));
            DoubleVector b3 = VT.cast(DoubleVector.fromArray(S, b, bj + 3 * L));
            int pj = po + i * JB;
            DoubleVector x = VT.cast(DoubleVector.broadcast(S, p[pj]));
            a00 = x.fma(b0, a00);
            a01 = x.fma(b1, a01);
            a02 = x.fma(b2, a02);
            a03 = x.fma(b3, a03);
            x = VT.cast(DoubleVector.broadcast(S, p[pj + 1]));
            a10 = x.fma(b0, a10);
            a11 = x.fma(b1, a11);
            a12 = x.fma(b2, a12);
            a13 = x.fma(b3, a13);
            x = VT.cast(DoubleVector.broadcast(S, p[pj + 2]));
            a20 = x.fma(b0, a20);
            a21 = x.fma(b1, a21);
            a22 = x.fma(b2, a22);
            a23 = x.fma(b3, a23);
            x = VT.cast(DoubleVector.broadcast(S, p[pj + 3]));
            a30 = x.fma(b0, a30);
            a31 = x.fma(b1, a31);
            a32 = x.fma(b2, a32);
            a33 = x.fma(b3, a33);
            x = VT.cast(DoubleVector.broadcast(S, p[pj + 4]));
            a40 = x.fma(b0, a40);
            a41 = x.fma(b1, a41);
            a42 = x.fma(b2, a42);
            a43 = x.fma(b3, a43);
            x = VT.cast(DoubleVector.broadcast(S, p[pj + 5]));
            a50 = x.fma(b0, a50);
            a51 = x.fma(b1, a51);
            a52 = x.fma(b2, a52);
            a53 = x.fma(b3, a53);
        }
        VT.cast(a00).intoArray(c, c0);
        VT.cast(a01).intoArray(c, c0 + L);
        VT.cast(a02).intoArray(c, c0 + 2 * L);
        VT.cast(a03).intoArray(c, c0 + 3 * L);
        VT.cast(a10).intoArray(c, c1);
        VT.cast(a11).intoArray(c, c1 + L);
        VT.cast(a12).intoArray(c, c1 + 2 * L);
        VT.cast(a13).intoArray(c, c1 + 3 * L);
        VT.cast(a20).intoArray(c, c2);
        VT.cast(a21).intoArray(c, c2 + L);
        VT.cast(a22).intoArray(c, c2 + 2 * L);
        VT.cast(a23).intoArray(c, c2 + 3 * L);
        VT.cast(a30).intoArray(c, c3);
        VT.cast(a31).intoArray(c, c3 + L);
        VT.cast(a32).intoArray(c, c3 + 2 * L);
        VT.cast(a33).intoArray(c, c3 + 3 * L);
        VT.cast(a40).intoArray(c, c4);
        VT.cast(a41).intoArray(c, c4 + L);
        VT.cast(a42).intoArray(c, c4 + 2 * L);
        VT.cast(a43).intoArray(c, c4 + 3 * L);
        VT.cast(a50).intoArray(c, c5);
        VT.cast(a51).intoArray(c, c5 + L);
        VT.cast(a52).intoArray(c, c5 + 2 * L);
        VT.cast(a53).intoArray(c, c5 + 3 * L);
    }

    /**
     * As {@link #mvTile} with an MR-row × 3-vector tile, for the ranks that groups of 3 vectors pad least
     * ({@link #groupWidth}: 3, 5 and 6 vectors; 3 rounded up to 4 or to 2-vector groups would do a third more FMAs):
     * 18 accumulators + 3 loads + a broadcast, where 32 vector registers exist. The packed arrays are
     * column-group-major in groups of {@link #GW3}, rows GW3 apart (native-notes/kernels.md 35).
     */
    private static void mvTile3(double[] p, int po, double[] b, int bo, double[] c, int co) {
        int c0 = co;
        int c1 = co + GW3;
        int c2 = co + 2 * GW3;
        int c3 = co + 3 * GW3;
        int c4 = co + 4 * GW3;
        int c5 = co + 5 * GW3;
        DoubleVector a00 = VT.cast(DoubleVector.fromArray(S, c, c0));
        DoubleVector a01 = VT.cast(DoubleVector.fromArray(S, c, c0 + L));
        DoubleVector a02 = VT.cast(DoubleVector.fromArray(S, c, c0 + 2 * L));
        DoubleVector a10 = VT.cast(DoubleVector.fromArray(S, c, c1));
        DoubleVector a11 = VT.cast(DoubleVector.fromArray(S, c, c1 + L));
        DoubleVector a12 = VT.cast(DoubleVector.fromArray(S, c, c1 + 2 * L));
        DoubleVector a20 = VT.cast(DoubleVector.fromArray(S, c, c2));
        DoubleVector a21 = VT.cast(DoubleVector.fromArray(S, c, c2 + L));
        DoubleVector a22 = VT.cast(DoubleVector.fromArray(S, c, c2 + 2 * L));
        DoubleVector a30 = VT.cast(DoubleVector.fromArray(S, c, c3));
        DoubleVector a31 = VT.cast(DoubleVector.fromArray(S, c, c3 + L));
        DoubleVector a32 = VT.cast(DoubleVector.fromArray(S, c, c3 + 2 * L));
        DoubleVector a40 = VT.cast(DoubleVector.fromArray(S, c, c4));
        DoubleVector a41 = VT.cast(DoubleVector.fromArray(S, c, c4 + L));
        DoubleVector a42 = VT.cast(DoubleVector.fromArray(S, c, c4 + 2 * L));
        DoubleVector a50 = VT.cast(DoubleVector.fromArray(S, c, c5));
        DoubleVector a51 = VT.cast(DoubleVector.fromArray(S, c, c5 + L));
        DoubleVector a52 = VT.cast(DoubleVector.fromArray(S, c, c5 + 2 * L));
        for (int j = 0; j < JB; j++) {
            int bj = bo + j * GW3;
            DoubleVector b0 = VT.cast(DoubleVector.fromArray(S, b, bj));
            DoubleVector b1 = VT.cast(DoubleVector.fromArray(S, b, bj + L));
            DoubleVector b2 = VT.cast(DoubleVector.fromArray(S, b, bj + 2 * L));
            int pj = po + j;
            DoubleVector x = VT.cast(DoubleVector.broadcast(S, p[pj]));
            a00 = x.fma(b0, a00);
            a01 = x.fma(b1, a01);
            a02 = x.fma(b2, a02);
            x = VT.cast(DoubleVector.broadcast(S, p[pj + JB]));
            a10 = x.fma(b0, a10);
            a11 = x.fma(b1, a11);
            a12 = x.fma(b2, a12);
            x = VT.cast(DoubleVector.broadcast(S, p[pj + 2 * JB]));
            a20 = x.fma(b0, a20);
            a21 = x.fma(b1, a21);
            a22 = x.fma(b2, a22);
            x = VT.cast(DoubleVector.broadcast(S, p[pj + 3 * JB]));
            a30 = x.fma(b0, a30);
            a31 = x.fma(b1, a31);
            a32 = x.fma(b2, a32);
            x = VT.cast(DoubleVector.broadcast(S, p[pj + 4 * JB]));
            a40 = x.fma(b0, a40);
            a41 = x.fma(b1, a41);
            a42 = x.fma(b2, a42);
            x = VT.cast(DoubleVector.broadcast(S, p[pj + 5 * JB]));
            a50 = x.fma(b0, a50);
            a51 = x.fma(b1, a51);
            a52 = x.fma(b2, a52);
        }
        VT.cast(a00).intoArray(c, c0);
        VT.cast(a01).intoArray(c, c0 + L);
        VT.cast(a02).intoArray(c, c0 + 2 * L);
        VT.cast(a10).intoArray(c, c1);
        VT.cast(a11).intoArray(c, c1 + L);
        VT.cast(a12).intoArray(c, c1 + 2 * L);
        VT.cast(a20).intoArray(c, c2);
        VT.cast(a21).intoArray(c, c2 + L);
        VT.cast(a22).intoArray(c, c2 + 2 * L);
        VT.cast(a30).intoArray(c, c3);
        VT.cast(a31).intoArray(c, c3 + L);
        VT.cast(a32).intoArray(c, c3 + 2 * L);
        VT.cast(a40).intoArray(c, c4);
        VT.cast(a41).intoArray(c, c4 + L);
        VT.cast(a42).intoArray(c, c4 + 2 * L);
        VT.cast(a50).intoArray(c, c5);
        VT.cast(a51).intoArray(c, c5 + L);
        VT.cast(a52).intoArray(c, c5 + 2 * L);
    }

    /** As {@link #mtuTile} with an NJ-column × 3-vector tile (see {@link #mvTile3}); always RB rows. */
    private static void mtuTile3(double[] p, int po, double[] b, int bo, double[] c, int co) {
        int c0 = co;
        int c1 = co + GW3;
        int c2 = co + 2 * GW3;
        int c3 = co + 3 * GW3;
        int c4 = co + 4 * GW3;
        int c5 = co + 5 * GW3;
        DoubleVector a00 = VT.cast(DoubleVector.fromArray(S, c, c0));
        DoubleVector a01 = VT.cast(DoubleVector.fromArray(S, c, c0 + L));
        DoubleVector a02 = VT.cast(DoubleVector.fromArray(S, c, c0 + 2 * L));
        DoubleVector a10 = VT.cast(DoubleVector.fromArray(S, c, c1));
        DoubleVector a11 = VT.cast(DoubleVector.fromArray(S, c, c1 + L));
        DoubleVector a12 = VT.cast(DoubleVector.fromArray(S, c, c1 + 2 * L));
        DoubleVector a20 = VT.cast(DoubleVector.fromArray(S, c, c2));
        DoubleVector a21 = VT.cast(DoubleVector.fromArray(S, c, c2 + L));
        DoubleVector a22 = VT.cast(DoubleVector.fromArray(S, c, c2 + 2 * L));
        DoubleVector a30 = VT.cast(DoubleVector.fromArray(S, c, c3));
        DoubleVector a31 = VT.cast(DoubleVector.fromArray(S, c, c3 + L));
        DoubleVector a32 = VT.cast(DoubleVector.fromArray(S, c, c3 + 2 * L));
        DoubleVector a40 = VT.cast(DoubleVector.fromArray(S, c, c4));
        DoubleVector a41 = VT.cast(DoubleVector.fromArray(S, c, c4 + L));
        DoubleVector a42 = VT.cast(DoubleVector.fromArray(S, c, c4 + 2 * L));
        DoubleVector a50 = VT.cast(DoubleVector.fromArray(S, c, c5));
        DoubleVector a51 = VT.cast(DoubleVector.fromArray(S, c, c5 + L));
        DoubleVector a52 = VT.cast(DoubleVector.fromArray(S, c, c5 + 2 * L));
        for (int i = 0; i < RB; i++) {
            int bj = bo + i * GW3;
            DoubleVector b0 = VT.cast(DoubleVector.fromArray(S, b, bj));
            DoubleVector b1 = VT.cast(DoubleVector.fromArray(S, b, bj + L));
            DoubleVector b2 = VT.cast(DoubleVector.fromArray(S, b, bj + 2 * L));
            int pj = po + i * JB;
            DoubleVector x = VT.cast(DoubleVector.broadcast(S, p[pj]));
            a00 = x.fma(b0, a00);
            a01 = x.fma(b1, a01);
            a02 = x.fma(b2, a02);
            x = VT.cast(DoubleVector.broadcast(S, p[pj + 1]));
            a10 = x.fma(b0, a10);
            a11 = x.fma(b1, a11);
            a12 = x.fma(b2, a12);
            x = VT.cast(DoubleVector.broadcast(S, p[pj + 2]));
            a20 = x.fma(b0, a20);
            a21 = x.fma(b1, a21);
            a22 = x.fma(b2, a22);
            x = VT.cast(DoubleVector.broadcast(S, p[pj + 3]));
            a30 = x.fma(b0, a30);
            a31 = x.fma(b1, a31);
            a32 = x.fma(b2, a32);
            x = VT.cast(DoubleVector.broadcast(S, p[pj + 4]));
            a40 = x.fma(b0, a40);
            a41 = x.fma(b1, a41);
            a42 = x.fma(b2, a42);
            x = VT.cast(DoubleVector.broadcast(S, p[pj + 5]));
            a50 = x.fma(b0, a50);
            a51 = x.fma(b1, a51);
            a52 = x.fma(b2, a52);
        }
        VT.cast(a00).intoArray(c, c0);
        VT.cast(a01).intoArray(c, c0 + L);
        VT.cast(a02).intoArray(c, c0 + 2 * L);
        VT.cast(a10).intoArray(c, c1);
        VT.cast(a11).intoArray(c, c1 + L);
        VT.cast(a12).intoArray(c, c1 + 2 * L);
        VT.cast(a20).intoArray(c, c2);
        VT.cast(a21).intoArray(c, c2 + L);
        VT.cast(a22).intoArray(c, c2 + 2 * L);
        VT.cast(a30).intoArray(c, c3);
        VT.cast(a31).intoArray(c, c3 + L);
        VT.cast(a32).intoArray(c, c3 + 2 * L);
        VT.cast(a40).intoArray(c, c4);
        VT.cast(a41).intoArray(c, c4 + L);
        VT.cast(a42).intoArray(c, c4 + 2 * L);
        VT.cast(a50).intoArray(c, c5);
        VT.cast(a51).intoArray(c, c5 + L);
        VT.cast(a52).intoArray(c, c5 + 2 * L);
    }

    static int roundUp(int x, int k) {
        return (x + k - 1) / k * k;
    }
}
