// GENERATED from core/src/build/simd/Fused.java.template by core/src/build/GenerateSimdVariants.java
// (variant FloatFusedLarge). Do not edit: edit the template, then run
// java core/src/build/GenerateSimdVariants.java from the repository root.
package org.autobalance.kernel.simd;

import static org.autobalance.kernel.simd.NativeSegments.exact;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;
import org.autobalance.memory.DenseMatrix;

/**
 * The fused pass (MV and MᵀU in one sweep over M) in float precision.
 *
 * <p>This class is bound to the species of {@code -Dautobalance.simd.largeRankBits}, which {@link SimdKernels}
 * uses for ranks above the small-rank threshold only, so it has no small-r path:
 * <ul>
 *   <li><b>middle r</b> (one or two of its vectors, where 32 vector registers exist; {@link #rowStream}): rows of M
 *       are streamed a few at a time through an L1-resident staging array and each element is broadcast against
 *       vectors along r of V, U and MᵀU — no panel copy of M;
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
final class FloatFusedLarge {
    static final VectorSpecies<Float> S = SimdSpecies.LARGE_FLOAT;
    static final int L = S.length();
    static final ByteOrder NO = ByteOrder.nativeOrder();
    static final long BYTES = Float.BYTES;
    static final ValueLayout.OfFloat E = ValueLayout.JAVA_FLOAT;
    /**
     * The exact class of the vectors of {@link #S}. Every vector a kernel creates (load, broadcast) and every
     * loop-carried vector it stores goes through {@code VT.cast}, so that C2 knows the exact class of each receiver
     * while it parses a kernel and binds every Vector API call statically. Without it, the calls inside the JDK's
     * shared {@code FloatVector.fma}, {@code intoArray}, … are bound from those methods' own type profiles and trap
     * counts, which every vector class in the process feeds; a kernel compiled after another species has run (the
     * half-width species of the gram, the large-rank width, any other Vector API user) was compiled with
     * type-switched, several times slower code (native-notes/kernels.md, section 9).
     */
    @SuppressWarnings("unchecked")
    static final Class<FloatVector> VT = (Class<FloatVector>) (Class<?>) S.vectorType();

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
     * Largest rank whose GEMM-path panels hold RB / 2 rows (see {@link FusedTuning#FLOAT_HALF_PANEL_MAX}); only
     * for the 6 × 2 tiles.
     */
    static final int HALF_PANEL_MAX = FusedTuning.FLOAT_HALF_PANEL_MAX;
    /**
     * Rows per call of the 6 × 2 MᵀU tile: RB / 2 where half panels exist (two calls per full panel), else RB. A
     * static final read from a property, which C2 folds as a constant (javac does not: it is no compile-time
     * constant); with the row count as an argument C2 kept an accumulator of that loop on the stack (a store and a
     * reload per iteration, kernels.md 29.4).
     */
    static final int TR = HALF_PANEL_MAX > 0 ? RB / 2 : RB;
    /** Columns of M per packed block: the j-extent of the MV micro-kernel (see {@link FusedTuning#FLOAT_JB}). */
    static final int JB = FusedTuning.FLOAT_JB;

    private FloatFusedLarge() {
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
        gemm(m, u, v, rs, re, mv, mtu, sc);
    }

    // ---------------------------------------------------------------- middle r: rows of M streamed, no panel copy

    /**
     * Largest rank of the row-stream path ({@link #rowStream}): {@link FusedTuning#FLOAT_ROW_STREAM_MAX}, at most
     * two vectors of this class's species, and 0 (path off) without 32 vector registers (a group keeps 16 vectors in
     * registers besides its loads; with AVX2's 16, groups of half the rows measured no faster than the GEMM path in
     * float32, kernels.md 18).
     */
    static final int ROW_STREAM_MAX = SimdSpecies.WIDE_TILES ? Math.min(FusedTuning.FLOAT_ROW_STREAM_MAX, 2 * L) : 0;
    /** Rows per group of {@link #rows8x1} (ranks up to L): 8 U vectors + 8 MV accumulators in registers. */
    static final int RS1 = 8;
    /** Rows per group of {@link #rows4x2} (ranks L + 1 … 2L): 8 U vectors + 8 MV accumulators. */
    static final int RS2 = 4;
    /**
     * Columns of a group's rows staged per step: 256 bytes (four cache lines) of each row, 64 floats or 32 doubles (a
     * multiple of L; RS1 · JM elements, 2 KiB, in L1). The kernels read M from this small heap copy rather than from
     * the segment: C2 compiles a scalar read of a {@code MemorySegment} to several instructions, and after another
     * kernel has run, to a per-read class and liveness check (kernels.md 14), where a read of a heap array at a
     * constant offset is one broadcast. The step's bytes per row, not its columns, set the speed: on the Intel
     * AVX-512 host, 256 bytes a row was the fastest overall in both precisions: 512 (float32 JM = 128, float64
     * JM = 64, the float64 value until then) 1.25-1.4x slower at float32 r = 16 and float64 r = 8, 128 from 0.97x
     * (float64 r = 8) to 1.15x (float32 r = 16, inside that window's noise) (kernels.md 32; float32 r = 16 on the
     * Zen 4: 13.9 / 14.1 / 14.9 / 16.5 ms with JM = 32 / 64 / 128 / 256, kernels.md 14).
     */
    static final int JM = (int) (256 / BYTES);
    /**
     * Rows per panel of the row-stream path (a multiple of RS1 and RS2): the panel's U rows and MV accumulators are
     * packed (RP × 2L elements each, L1/L2-resident); a column block sweeps all rows of a panel.
     */
    static final int RP = 128;

    /** True when the packed V and MᵀU of a row-stream call (d2 · w elements each, w ≤ 2L) are indexed by an int. */
    static boolean rowStreamFits(DenseMatrix m) {
        return (long) m.cols() * 2 * L < Integer.MAX_VALUE - 64;
    }

    /**
     * The fused pass for ranks (SMALL_MAX, {@link #ROW_STREAM_MAX}] without a panel copy of M: the rows of a group
     * (RS1 or RS2 rows) are streamed from the native segment JM columns at a time into an L1-resident staging array
     * (so the copy of M runs interleaved with the FMAs, a few KiB at a time, instead of as a separate pass over a
     * panel), and each M element is broadcast against vectors along r of packed V, U and MᵀU (r padded to w = L or
     * 2L). Per column j of a group: one V vector and one MᵀU vector (two for w = 2L) are loaded, MV[i] += M[i, j]·V[j]
     * into register accumulators, MᵀU[j] += M[i, j]·U[i] for the group's rows in row order, and MᵀU[j] is stored.
     * V and MᵀU are swept in column blocks of {@link FusedTuning#ROW_STREAM_BLOCK_BYTES} so that they stay in L2.
     * Both sums run in index order (j for MV, i for MᵀU) whatever the grouping, so the results do not depend on RS1,
     * RS2, JM, RP or the column block.
     */
    static void rowStream(DenseMatrix m, DenseMatrix u, DenseMatrix v, int rs, int re, DenseMatrix mv,
            DenseMatrix mtu, Scratch sc) {
        if (rs >= re) {
            return;
        }
        int r = u.cols();
        int d2 = m.cols();
        int w = roundUp(r, L);
        // The kernels load a vector of V and of MᵀU and store one of MᵀU per column: from native memory on a 64-byte
        // boundary none of them crosses a cache line, where a heap array's data starts wherever the collector put it
        // and a 512-bit access of it crossed one nearly always (float32 r = 16 −13 % on the Intel host, kernels.md 31)
        MemorySegment vs = sc.aligned(0, d2 * w * BYTES);
        MemorySegment mts = sc.aligned(1, d2 * w * BYTES);
        long packed = w * BYTES;
        copyRows(v.segment(), v.stride() * BYTES, vs, packed, d2, w);
        copyRows(mtu.segment(), mtu.stride() * BYTES, mts, packed, d2, w);
        for (int i0 = rs; i0 < re; i0 += RP) {
            rowPanel(m, u, i0, Math.min(RP, re - i0), w, vs, mts, mv, sc);
        }
        copyRows(mts, packed, mtu.segment(), mtu.stride() * BYTES, d2, r);
    }

    /**
     * Rows [i0, i0 + rows) of {@link #rowStream} (rows ≤ RP, w = r padded to L, V and MᵀU packed in vs and mts): U's
     * rows packed, every column block swept by the panel's groups, MV's rows written. A method of its own, larger
     * than C2's FreqInlineSize, so that C2 never inlines it into rowStream: each is a compile unit of its own whatever
     * ran first, and the vector code of this one (U's packing, the staging copies, {@link #rowTail}, MV's unpacking)
     * stays far below C2's node cutoff for inlining, which rowStream's unit reached with all of it and the packing of
     * V and MᵀU inside (kernels.md 36).
     */
    private static void rowPanel(DenseMatrix m, DenseMatrix u, int i0, int rows, int w, MemorySegment vs,
            MemorySegment mts, DenseMatrix mv, Scratch sc) {
        int r = u.cols();
        int d2 = m.cols();
        boolean one = w == L;
        int g = one ? RS1 : RS2;
        float[] mb = sc.floats(2, 2 * RS1 * JM);
        float[] up = sc.floats(3, RP * w);
        float[] mvp = sc.floats(4, RP * w);
        MemorySegment ms = m.segment();
        long rowBytes = m.stride() * BYTES;
        // columns per block: a multiple of JM, so that every staged step starts at a multiple of L
        int jc = Math.max(JM, FusedTuning.ROW_STREAM_BLOCK_BYTES / (2 * w * (int) BYTES) / JM * JM);
        packRows(u.segment(), u.stride(), i0, rows, w, up, w, w, RP);
        Arrays.fill(mvp, 0, rows * w, 0f);
        for (int j0 = 0; j0 < d2; j0 += jc) {
            int j1 = Math.min(d2, j0 + jc);
            for (int k = 0; k < rows; k += g) {
                int gr = Math.min(g, rows - k); // a full group, or the panel's last rows one by one
                long off = (i0 + k) * rowBytes;
                // The group kernels stage a block's full steps [j0, jf) themselves; staged here: a last step of
                // fewer columns (d2 not a multiple of JM) for them, at RS1·JM in mb, and every step of the
                // panel's last rows, which go one by one (one call site of each: kernels.md 32)
                boolean group = gr == g;
                int jf = j0 + (j1 - j0) / JM * JM;
                for (int s0 = group ? jf : j0; s0 < j1; s0 += JM) {
                    int s1 = Math.min(j1, s0 + JM);
                    stage(ms, off, rowBytes, gr, s0, s1, mb, group ? RS1 * JM : 0);
                    for (int kk = 0; !group && kk < gr; kk++) {
                        rowTail(mb, kk * JM, s0, s1, w, vs, mts, up, mvp, (k + kk) * w);
                    }
                }
                if (group && one) {
                    rows8x1(ms, off, rowBytes, mb, j0, jf, j1, vs, mts, up, mvp, k * w);
                } else if (group) {
                    rows4x2(ms, off, rowBytes, mb, j0, jf, j1, vs, mts, up, mvp, k * w);
                }
            }
        }
        unpackRows(mvp, w, w, RP, mv.segment(), mv.stride(), i0, rows, r);
    }

    /**
     * Copies columns [0, n) of rows [0, rows) from one native segment to another (rows {@code fromStep} and
     * {@code toStep} bytes apart): the row stream's packing of V and MᵀU (n = w; the matrices' padding columns are
     * zero, so the packed padding is too) and its unpacking of MᵀU (n = r; the matrix's padding is never written).
     * With the JDK's bulk copy, not vectors: inlined into {@link #rowStream} (three call sites), a vector copy added
     * ~3 400 of C2's IR nodes per site, and its masked tail a path whose profile differs from shape to shape; with
     * them the driver's compile unit reached C2's node cutoff for inlining in plain JVMs that had run varied shapes,
     * and the JDK's vector calls parsed after it were bound from the shared type profile (kernels.md 36). Where the
     * rows are contiguous on both sides (512-bit vectors: w·BYTES is the matrices' 64-byte row padding) it is one
     * copy.
     */
    private static void copyRows(MemorySegment from, long fromStep, MemorySegment to, long toStep, int rows, int n) {
        long bytes = n * BYTES;
        if (fromStep == bytes && toStep == bytes) {
            MemorySegment.copy(exact(from), 0, exact(to), 0, rows * bytes);
            return;
        }
        for (int k = 0; k < rows; k++) {
            MemorySegment.copy(exact(from), k * fromStep, exact(to), k * toStep, bytes);
        }
    }

    /**
     * Copies columns [s0, s1) of {@code rows} rows of M (the first at byte offset {@code off}, rowBytes apart) to
     * {@code mb} (row k at mo + k·JM), in whole vectors: s0 is a multiple of L and the padded row is a multiple of 64
     * bytes, so the last vector stays inside the row's padding.
     */
    private static void stage(MemorySegment ms, long off, long rowBytes, int rows, int s0, int s1, float[] mb,
            int mo) {
        if (s1 - s0 == JM && mo == 0) {
            stageStep(ms, off, rowBytes, rows, s0, mb);
            return;
        }
        for (int k = 0; k < rows; k++) {
            long o = off + k * rowBytes;
            for (int c = s0; c < s1; c += L) {
                VT.cast(FloatVector.fromMemorySegment(S, exact(ms), o + c * BYTES, NO))
                        .intoArray(mb, mo + k * JM + c - s0);
            }
        }
    }

    /**
     * {@link #stage} of a full step, columns [s0, s0 + JM) (all but the last of a row when d2 is not a multiple of
     * JM): the constant trip count lets C2 unroll each row's JM / L copies, where the general loop spent ~90
     * instructions of loop setup per row on 4 copies (float32), ~1 ms of the 13–14 ms float32 r = 16 pass (kernels.md
     * 16). The only staging inside the kernels: a second copy loop there took {@code DoubleFusedLarge.rows4x2} past
     * C2's node cutoff for inlining (KernelJitTest).
     */
    private static void stageStep(MemorySegment ms, long off, long rowBytes, int rows, int s0, float[] mb) {
        long o = off + s0 * BYTES;
        for (int k = 0; k < rows; k++) {
            for (int c = 0; c < JM; c += L) {
                VT.cast(FloatVector.fromMemorySegment(S, exact(ms), o + c * BYTES, NO)).intoArray(mb, k * JM + c);
            }
            o += rowBytes;
        }
    }

    /**
     * Where in {@code mb} a group kernel finds the step that starts at column s0: a full step (s0 < jf) is staged here,
     * at 0; a last step of fewer than JM columns was staged by the caller, at RS1·JM.
     */
    private static int stepAt(MemorySegment ms, long off, long rowBytes, int rows, int s0, int jf, float[] mb) {
        if (s0 < jf) {
            stageStep(ms, off, rowBytes, rows, s0, mb);
            return 0;
        }
        return RS1 * JM;
    }

    /**
     * Eight rows of M (the first at byte offset {@code off}, rowBytes apart) × columns [j0, j1), ranks up to L: the
     * full steps [j0, jf) staged here into {@code mb} a step of JM columns at a time (row k at k·JM, column j at
     * j − s0), a last step [jf, j1) of fewer columns staged by the caller at RS1·JM: the rows' U vectors and MV
     * accumulators (at {@code o} in up and mvp, L apart) stay in registers for the whole column block; per column 8
     * broadcasts of M, one V load, 16 FMAs, and the MᵀU vector through a chain of 8 FMAs in row order (consecutive
     * columns' chains are independent, so out-of-order execution overlaps them). The full steps are staged here rather
     * than by the caller between calls, so that U and the accumulators are not reloaded and stored at every step (16
     * loads and 8 stores of heap arrays per 64 columns: float32 r = 16 3-6 % faster, kernels.md 32).
     */
    private static void rows8x1(MemorySegment ms, long off, long rowBytes, float[] mb, int j0, int jf, int j1,
            MemorySegment vs, MemorySegment mts, float[] up, float[] mvp, int o) {
        FloatVector u0 = VT.cast(FloatVector.fromArray(S, up, o));
        FloatVector u1 = VT.cast(FloatVector.fromArray(S, up, o + L));
        FloatVector u2 = VT.cast(FloatVector.fromArray(S, up, o + 2 * L));
        FloatVector u3 = VT.cast(FloatVector.fromArray(S, up, o + 3 * L));
        FloatVector u4 = VT.cast(FloatVector.fromArray(S, up, o + 4 * L));
        FloatVector u5 = VT.cast(FloatVector.fromArray(S, up, o + 5 * L));
        FloatVector u6 = VT.cast(FloatVector.fromArray(S, up, o + 6 * L));
        FloatVector u7 = VT.cast(FloatVector.fromArray(S, up, o + 7 * L));
        FloatVector c0 = VT.cast(FloatVector.fromArray(S, mvp, o));
        FloatVector c1 = VT.cast(FloatVector.fromArray(S, mvp, o + L));
        FloatVector c2 = VT.cast(FloatVector.fromArray(S, mvp, o + 2 * L));
        FloatVector c3 = VT.cast(FloatVector.fromArray(S, mvp, o + 3 * L));
        FloatVector c4 = VT.cast(FloatVector.fromArray(S, mvp, o + 4 * L));
        FloatVector c5 = VT.cast(FloatVector.fromArray(S, mvp, o + 5 * L));
        FloatVector c6 = VT.cast(FloatVector.fromArray(S, mvp, o + 6 * L));
        FloatVector c7 = VT.cast(FloatVector.fromArray(S, mvp, o + 7 * L));
        for (int s0 = j0; s0 < j1; s0 += JM) {
            int s1 = Math.min(j1, s0 + JM);
            int mo = stepAt(ms, off, rowBytes, RS1, s0, jf, mb);
            for (int j = s0; j < s1; j++) {
                int b = mo + j - s0;
                int q = j * L;
                FloatVector v = VT.cast(FloatVector.fromMemorySegment(S, exact(vs), q * BYTES, NO));
                FloatVector x = VT.cast(FloatVector.broadcast(S, mb[b]));
                c0 = VT.cast(x.fma(v, c0));
                FloatVector t = VT.cast(
                        x.fma(u0, VT.cast(FloatVector.fromMemorySegment(S, exact(mts), q * BYTES, NO))));
                x = VT.cast(FloatVector.broadcast(S, mb[b + JM]));
                c1 = VT.cast(x.fma(v, c1));
                t = VT.cast(x.fma(u1, t));
                x = VT.cast(FloatVector.broadcast(S, mb[b + 2 * JM]));
                c2 = VT.cast(x.fma(v, c2));
                t = VT.cast(x.fma(u2, t));
                x = VT.cast(FloatVector.broadcast(S, mb[b + 3 * JM]));
                c3 = VT.cast(x.fma(v, c3));
                t = VT.cast(x.fma(u3, t));
                x = VT.cast(FloatVector.broadcast(S, mb[b + 4 * JM]));
                c4 = VT.cast(x.fma(v, c4));
                t = VT.cast(x.fma(u4, t));
                x = VT.cast(FloatVector.broadcast(S, mb[b + 5 * JM]));
                c5 = VT.cast(x.fma(v, c5));
                t = VT.cast(x.fma(u5, t));
                x = VT.cast(FloatVector.broadcast(S, mb[b + 6 * JM]));
                c6 = VT.cast(x.fma(v, c6));
                t = VT.cast(x.fma(u6, t));
                x = VT.cast(FloatVector.broadcast(S, mb[b + 7 * JM]));
                c7 = VT.cast(x.fma(v, c7));
                t = VT.cast(x.fma(u7, t));
                t.intoMemorySegment(exact(mts), q * BYTES, NO);
            }
        }
        VT.cast(c0).intoArray(mvp, o);
        VT.cast(c1).intoArray(mvp, o + L);
        VT.cast(c2).intoArray(mvp, o + 2 * L);
        VT.cast(c3).intoArray(mvp, o + 3 * L);
        VT.cast(c4).intoArray(mvp, o + 4 * L);
        VT.cast(c5).intoArray(mvp, o + 5 * L);
        VT.cast(c6).intoArray(mvp, o + 6 * L);
        VT.cast(c7).intoArray(mvp, o + 7 * L);
    }

    /**
     * Four rows of M × columns [j0, j1), staged as in {@link #rows8x1}, ranks L + 1 … 2L (two vectors per row, at
     * {@code o} in up and mvp, 2L apart): per column 4 broadcasts, two V loads, 16 FMAs, and two MᵀU vectors through
     * chains of 4 FMAs.
     */
    private static void rows4x2(MemorySegment ms, long off, long rowBytes, float[] mb, int j0, int jf, int j1,
            MemorySegment vs, MemorySegment mts, float[] up, float[] mvp, int o) {
        FloatVector u00 = VT.cast(FloatVector.fromArray(S, up, o));
        FloatVector u01 = VT.cast(FloatVector.fromArray(S, up, o + L));
        FloatVector u10 = VT.cast(FloatVector.fromArray(S, up, o + 2 * L));
        FloatVector u11 = VT.cast(FloatVector.fromArray(S, up, o + 3 * L));
        FloatVector u20 = VT.cast(FloatVector.fromArray(S, up, o + 4 * L));
        FloatVector u21 = VT.cast(FloatVector.fromArray(S, up, o + 5 * L));
        FloatVector u30 = VT.cast(FloatVector.fromArray(S, up, o + 6 * L));
        FloatVector u31 = VT.cast(FloatVector.fromArray(S, up, o + 7 * L));
        FloatVector c00 = VT.cast(FloatVector.fromArray(S, mvp, o));
        FloatVector c01 = VT.cast(FloatVector.fromArray(S, mvp, o + L));
        FloatVector c10 = VT.cast(FloatVector.fromArray(S, mvp, o + 2 * L));
        FloatVector c11 = VT.cast(FloatVector.fromArray(S, mvp, o + 3 * L));
        FloatVector c20 = VT.cast(FloatVector.fromArray(S, mvp, o + 4 * L));
        FloatVector c21 = VT.cast(FloatVector.fromArray(S, mvp, o + 5 * L));
        FloatVector c30 = VT.cast(FloatVector.fromArray(S, mvp, o + 6 * L));
        FloatVector c31 = VT.cast(FloatVector.fromArray(S, mvp, o + 7 * L));
        for (int s0 = j0; s0 < j1; s0 += JM) {
            int s1 = Math.min(j1, s0 + JM);
            int mo = stepAt(ms, off, rowBytes, RS2, s0, jf, mb);
            for (int j = s0; j < s1; j++) {
                int b = mo + j - s0;
                int q = j * (2 * L);
                FloatVector v0 = VT.cast(FloatVector.fromMemorySegment(S, exact(vs), q * BYTES, NO));
                FloatVector v1 = VT.cast(FloatVector.fromMemorySegment(S, exact(vs), (q + L) * BYTES, NO));
                FloatVector x = VT.cast(FloatVector.broadcast(S, mb[b]));
                c00 = VT.cast(x.fma(v0, c00));
                c01 = VT.cast(x.fma(v1, c01));
                FloatVector t0 = VT.cast(
                        x.fma(u00, VT.cast(FloatVector.fromMemorySegment(S, exact(mts), q * BYTES, NO))));
                FloatVector t1 = VT.cast(
                        x.fma(u01, VT.cast(FloatVector.fromMemorySegment(S, exact(mts), (q + L) * BYTES, NO))));
                x = VT.cast(FloatVector.broadcast(S, mb[b + JM]));
                c10 = VT.cast(x.fma(v0, c10));
                c11 = VT.cast(x.fma(v1, c11));
                t0 = VT.cast(x.fma(u10, t0));
                t1 = VT.cast(x.fma(u11, t1));
                x = VT.cast(FloatVector.broadcast(S, mb[b + 2 * JM]));
                c20 = VT.cast(x.fma(v0, c20));
                c21 = VT.cast(x.fma(v1, c21));
                t0 = VT.cast(x.fma(u20, t0));
                t1 = VT.cast(x.fma(u21, t1));
                x = VT.cast(FloatVector.broadcast(S, mb[b + 3 * JM]));
                c30 = VT.cast(x.fma(v0, c30));
                c31 = VT.cast(x.fma(v1, c31));
                t0 = VT.cast(x.fma(u30, t0));
                t1 = VT.cast(x.fma(u31, t1));
                t0.intoMemorySegment(exact(mts), q * BYTES, NO);
                t1.intoMemorySegment(exact(mts), (q + L) * BYTES, NO);
            }
        }
        VT.cast(c00).intoArray(mvp, o);
        VT.cast(c01).intoArray(mvp, o + L);
        VT.cast(c10).intoArray(mvp, o + 2 * L);
        VT.cast(c11).intoArray(mvp, o + 3 * L);
        VT.cast(c20).intoArray(mvp, o + 4 * L);
        VT.cast(c21).intoArray(mvp, o + 5 * L);
        VT.cast(c30).intoArray(mvp, o + 6 * L);
        VT.cast(c31).intoArray(mvp, o + 7 * L);
    }

    /**
     * One row × columns [j0, j1) (staged at mb[mo …]), any w (a multiple of L): the rows a panel has beyond its last
     * full group (at most 7 per panel), one vector of r at a time. Same operations per element, in the same order,
     * as the groups.
     */
    private static void rowTail(float[] mb, int mo, int j0, int j1, int w, MemorySegment vs, MemorySegment mts,
            float[] up, float[] mvp, int o) {
        for (int c = 0; c < w; c += L) {
            FloatVector u0 = VT.cast(FloatVector.fromArray(S, up, o + c));
            FloatVector c0 = VT.cast(FloatVector.fromArray(S, mvp, o + c));
            for (int j = j0; j < j1; j++) {
                int q = j * w + c;
                FloatVector x = VT.cast(FloatVector.broadcast(S, mb[mo + j - j0]));
                c0 = VT.cast(x.fma(VT.cast(FloatVector.fromMemorySegment(S, exact(vs), q * BYTES, NO)), c0));
                VT.cast(x.fma(u0, VT.cast(FloatVector.fromMemorySegment(S, exact(mts), q * BYTES, NO))))
                        .intoMemorySegment(exact(mts), q * BYTES, NO);
            }
            VT.cast(c0).intoArray(mvp, o + c);
        }
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
        float[] vp = sc.floats(0, d2p * rp);
        float[] mtp = sc.floats(1, d2p * rp);
        float[] pp = sc.floats(2, nJB * RB * JB);
        float[] up = sc.floats(3, RB * rp);
        float[] mvp = sc.floats(4, RB * rp);
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
            Arrays.fill(mvp, 0, rb * rp, 0f);
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
    private static void packRows(MemorySegment s, int st, int row0, int rows, int lr, float[] dst, int w, int gw,
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
    private static void packRow(MemorySegment s, long o, int k, int lr, float[] dst, int w, int gw, int gRows) {
        for (int g0 = 0; g0 < w; g0 += gw) {
            int d = g0 * gRows + k * gw;
            int lim = Math.min(gw, Math.max(0, lr - g0));
            for (int c = 0; c < lim; c += L) {
                VT.cast(FloatVector.fromMemorySegment(S, exact(s), o + (g0 + c) * BYTES, NO)).intoArray(dst, d + c);
            }
            Arrays.fill(dst, d + lim, d + gw, 0f);
        }
    }

    /** Zeroes rows [from, gRows) of every column group of a packed array (width w, groups gw × gRows). */
    private static void zeroRows(float[] dst, int w, int gw, int gRows, int from) {
        for (int g0 = 0; g0 < w; g0 += gw) {
            Arrays.fill(dst, g0 * gRows + from * gw, (g0 + gw) * gRows, 0f);
        }
    }

    /**
     * Writes columns [0, r) of rows [0, rows) of {@code src} (width w, groups gw × gRows) back to rows [row0, row0 +
     * rows) of a matrix; its padding is never written.
     */
    private static void unpackRows(float[] src, int w, int gw, int gRows, MemorySegment s, int st, int row0,
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
    private static void unpackRow(float[] src, int k, int w, int gw, int gRows, MemorySegment s, long o,
            int r) {
        MemorySegment to = exact(s);
        int full = r / L * L;
        for (int g0 = 0; g0 < w; g0 += gw) {
            int d = g0 * gRows + k * gw;
            int lim = Math.min(gw, Math.max(0, full - g0));
            for (int c = 0; c < lim; c += L) {
                VT.cast(FloatVector.fromArray(S, src, d + c)).intoMemorySegment(to, o + (g0 + c) * BYTES, NO);
            }
            if (full < r && full >= g0 && full < g0 + gw) {
                VectorMask<Float> tail = S.indexInRange(full, r);
                VT.cast(FloatVector.fromArray(S, src, d + full - g0))
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
            float[] pp) {
        for (int k = 0; k < rows; k++) {
            packPanelRow(ms, (long) (i0 + k) * n * BYTES, cl, k, nJB, rb, pp);
        }
        // the rows beyond a short last panel: a loop of their own, not a branch per row in one method (that branch,
        // first taken at a call's last panel, trapped in the C2 code compiled before it)
        for (int k = rows; k < rb; k++) {
            for (int jb = 0; jb < nJB; jb++) {
                int dst = (jb * rb + k) * JB;
                Arrays.fill(pp, dst, dst + JB, 0f);
            }
        }
    }

    /**
     * Row k of a panel, read from byte offset {@code o}, its columns [0, cl) (a multiple of L) copied and the rest of
     * the last block zeroed; a method per row as {@link #packRow}.
     */
    private static void packPanelRow(MemorySegment ms, long o, int cl, int k, int nJB, int rb, float[] pp) {
        for (int jb = 0; jb < nJB; jb++) {
            int dst = (jb * rb + k) * JB;
            int j0 = jb * JB;
            int lim = Math.min(JB, cl - j0);
            int jj = 0;
            for (; jj < lim; jj += L) {
                VT.cast(FloatVector.fromMemorySegment(S, exact(ms), o + (j0 + jj) * BYTES, NO))
                        .intoArray(pp, dst + jj);
            }
            if (jj < JB) {
                Arrays.fill(pp, dst + jj, dst + JB, 0f);
            }
        }
    }

    /**
     * MV micro-kernel: MR rows of one column group of the MV panel at {@code co} (row stride G) += the MR × JB block of
     * P at {@code po} (row stride JB) times JB rows of the same column group of packed V at {@code bo} (row stride G).
     */
    private static void mvTile(float[] p, int po, float[] b, int bo, float[] c, int co) {
        int c1 = co + G;
        int c2 = c1 + G;
        int c3 = c2 + G;
        int c4 = c3 + G;
        int c5 = c4 + G;
        FloatVector a00 = VT.cast(FloatVector.fromArray(S, c, co));
        FloatVector a01 = VT.cast(FloatVector.fromArray(S, c, co + L));
        FloatVector a10 = VT.cast(FloatVector.fromArray(S, c, c1));
        FloatVector a11 = VT.cast(FloatVector.fromArray(S, c, c1 + L));
        FloatVector a20 = VT.cast(FloatVector.fromArray(S, c, c2));
        FloatVector a21 = VT.cast(FloatVector.fromArray(S, c, c2 + L));
        FloatVector a30 = VT.cast(FloatVector.fromArray(S, c, c3));
        FloatVector a31 = VT.cast(FloatVector.fromArray(S, c, c3 + L));
        FloatVector a40 = VT.cast(FloatVector.fromArray(S, c, c4));
        FloatVector a41 = VT.cast(FloatVector.fromArray(S, c, c4 + L));
        FloatVector a50 = VT.cast(FloatVector.fromArray(S, c, c5));
        FloatVector a51 = VT.cast(FloatVector.fromArray(S, c, c5 + L));
        for (int j = 0; j < JB; j++) {
            int bj = bo + j * G;
            FloatVector b0 = VT.cast(FloatVector.fromArray(S, b, bj));
            FloatVector b1 = VT.cast(FloatVector.fromArray(S, b, bj + L));
            int pj = po + j;
            FloatVector x = VT.cast(FloatVector.broadcast(S, p[pj]));
            a00 = x.fma(b0, a00);
            a01 = x.fma(b1, a01);
            x = VT.cast(FloatVector.broadcast(S, p[pj + JB]));
            a10 = x.fma(b0, a10);
            a11 = x.fma(b1, a11);
            x = VT.cast(FloatVector.broadcast(S, p[pj + 2 * JB]));
            a20 = x.fma(b0, a20);
            a21 = x.fma(b1, a21);
            x = VT.cast(FloatVector.broadcast(S, p[pj + 3 * JB]));
            a30 = x.fma(b0, a30);
            a31 = x.fma(b1, a31);
            x = VT.cast(FloatVector.broadcast(S, p[pj + 4 * JB]));
            a40 = x.fma(b0, a40);
            a41 = x.fma(b1, a41);
            x = VT.cast(FloatVector.broadcast(S, p[pj + 5 * JB]));
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
    private static void mtuTile(float[] p, int po, float[] b, int bo, float[] c, int co) {
        int c1 = co + G;
        int c2 = c1 + G;
        int c3 = c2 + G;
        int c4 = c3 + G;
        int c5 = c4 + G;
        FloatVector a00 = VT.cast(FloatVector.fromArray(S, c, co));
        FloatVector a01 = VT.cast(FloatVector.fromArray(S, c, co + L));
        FloatVector a10 = VT.cast(FloatVector.fromArray(S, c, c1));
        FloatVector a11 = VT.cast(FloatVector.fromArray(S, c, c1 + L));
        FloatVector a20 = VT.cast(FloatVector.fromArray(S, c, c2));
        FloatVector a21 = VT.cast(FloatVector.fromArray(S, c, c2 + L));
        FloatVector a30 = VT.cast(FloatVector.fromArray(S, c, c3));
        FloatVector a31 = VT.cast(FloatVector.fromArray(S, c, c3 + L));
        FloatVector a40 = VT.cast(FloatVector.fromArray(S, c, c4));
        FloatVector a41 = VT.cast(FloatVector.fromArray(S, c, c4 + L));
        FloatVector a50 = VT.cast(FloatVector.fromArray(S, c, c5));
        FloatVector a51 = VT.cast(FloatVector.fromArray(S, c, c5 + L));
        for (int i = 0; i < TR; i++) {
            int bi = bo + i * G;
            FloatVector b0 = VT.cast(FloatVector.fromArray(S, b, bi));
            FloatVector b1 = VT.cast(FloatVector.fromArray(S, b, bi + L));
            int pi = po + i * JB;
            FloatVector x = VT.cast(FloatVector.broadcast(S, p[pi]));
            a00 = x.fma(b0, a00);
            a01 = x.fma(b1, a01);
            x = VT.cast(FloatVector.broadcast(S, p[pi + 1]));
            a10 = x.fma(b0, a10);
            a11 = x.fma(b1, a11);
            x = VT.cast(FloatVector.broadcast(S, p[pi + 2]));
            a20 = x.fma(b0, a20);
            a21 = x.fma(b1, a21);
            x = VT.cast(FloatVector.broadcast(S, p[pi + 3]));
            a30 = x.fma(b0, a30);
            a31 = x.fma(b1, a31);
            x = VT.cast(FloatVector.broadcast(S, p[pi + 4]));
            a40 = x.fma(b0, a40);
            a41 = x.fma(b1, a41);
            x = VT.cast(FloatVector.broadcast(S, p[pi + 5]));
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
    private static void mvTileWide(float[] p, int po, float[] b, int bo, float[] c, int co) {
        int c0 = co;
        int c1 = co + GW;
        int c2 = co + 2 * GW;
        int c3 = co + 3 * GW;
        int c4 = co + 4 * GW;
        int c5 = co + 5 * GW;
        FloatVector a00 = VT.cast(FloatVector.fromArray(S, c, c0));
        FloatVector a01 = VT.cast(FloatVector.fromArray(S, c, c0 + L));
        FloatVector a02 = VT.cast(FloatVector.fromArray(S, c, c0 + 2 * L));
        FloatVector a03 = VT.cast(FloatVector.fromArray(S, c, c0 + 3 * L));
        FloatVector a10 = VT.cast(FloatVector.fromArray(S, c, c1));
        FloatVector a11 = VT.cast(FloatVector.fromArray(S, c, c1 + L));
        FloatVector a12 = VT.cast(FloatVector.fromArray(S, c, c1 + 2 * L));
        FloatVector a13 = VT.cast(FloatVector.fromArray(S, c, c1 + 3 * L));
        FloatVector a20 = VT.cast(FloatVector.fromArray(S, c, c2));
        FloatVector a21 = VT.cast(FloatVector.fromArray(S, c, c2 + L));
        FloatVector a22 = VT.cast(FloatVector.fromArray(S, c, c2 + 2 * L));
        FloatVector a23 = VT.cast(FloatVector.fromArray(S, c, c2 + 3 * L));
        FloatVector a30 = VT.cast(FloatVector.fromArray(S, c, c3));
        FloatVector a31 = VT.cast(FloatVector.fromArray(S, c, c3 + L));
        FloatVector a32 = VT.cast(FloatVector.fromArray(S, c, c3 + 2 * L));
        FloatVector a33 = VT.cast(FloatVector.fromArray(S, c, c3 + 3 * L));
        FloatVector a40 = VT.cast(FloatVector.fromArray(S, c, c4));
        FloatVector a41 = VT.cast(FloatVector.fromArray(S, c, c4 + L));
        FloatVector a42 = VT.cast(FloatVector.fromArray(S, c, c4 + 2 * L));
        FloatVector a43 = VT.cast(FloatVector.fromArray(S, c, c4 + 3 * L));
        FloatVector a50 = VT.cast(FloatVector.fromArray(S, c, c5));
        FloatVector a51 = VT.cast(FloatVector.fromArray(S, c, c5 + L));
        FloatVector a52 = VT.cast(FloatVector.fromArray(S, c, c5 + 2 * L));
        FloatVector a53 = VT.cast(FloatVector.fromArray(S, c, c5 + 3 * L));
        for (int j = 0; j < JB; j++) {
            int bj = bo + j * GW;
            FloatVector b0 = VT.cast(FloatVector.fromArray(S, b, bj));
            FloatVector b1 = VT.cast(FloatVector.fromArray(S, b, bj + L));
            FloatVector b2 = VT.cast(FloatVector.fromArray(S, b, bj + 2 * L));
            FloatVector b3 = VT.cast(FloatVector.fromArray(S, b, bj + 3 * L));
            int pj = po + j;
            FloatVector x = VT.cast(FloatVector.broadcast(S, p[pj]));
            a00 = x.fma(b0, a00);
            a01 = x.fma(b1, a01);
            a02 = x.fma(b2, a02);
            a03 = x.fma(b3, a03);
            x = VT.cast(FloatVector.broadcast(S, p[pj + JB]));
            a10 = x.fma(b0, a10);
            a11 = x.fma(b1, a11);
            a12 = x.fma(b2, a12);
            a13 = x.fma(b3, a13);
            x = VT.cast(FloatVector.broadcast(S, p[pj + 2 * JB]));
            a20 = x.fma(b0, a20);
            a21 = x.fma(b1, a21);
            a22 = x.fma(b2, a22);
            a23 = x.fma(b3, a23);
            x = VT.cast(FloatVector.broadcast(S, p[pj + 3 * JB]));
            a30 = x.fma(b0, a30);
            a31 = x.fma(b1, a31);
            a32 = x.fma(b2, a32);
            a33 = x.fma(b3, a33);
            x = VT.cast(FloatVector.broadcast(S, p[pj + 4 * JB]));
            a40 = x.fma(b0, a40);
            a41 = x.fma(b1, a41);
            a42 = x.fma(b2, a42);
            a43 = x.fma(b3, a43);
            x = VT.cast(FloatVector.broadcast(S, p[pj + 5 * JB]));
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
    private static void mtuTileWide(float[] p, int po, float[] b, int bo, float[] c, int co) {
        int c0 = co;
        int c1 = co + GW;
        int c2 = co + 2 * GW;
        int c3 = co + 3 * GW;
        int c4 = co + 4 * GW;
        int c5 = co + 5 * GW;
        FloatVector a00 = VT.cast(FloatVector.fromArray(S, c, c0));
        FloatVector a01 = VT.cast(FloatVector.fromArray(S, c, c0 + L));
        FloatVector a02 = VT.cast(FloatVector.fromArray(S, c, c0 + 2 * L));
        FloatVector a03 = VT.cast(FloatVector.fromArray(S, c, c0 + 3 * L));
        FloatVector a10 = VT.cast(FloatVector.fromArray(S, c, c1));
        FloatVector a11 = VT.cast(FloatVector.fromArray(S, c, c1 + L));
        FloatVector a12 = VT.cast(FloatVector.fromArray(S, c, c1 + 2 * L));
        FloatVector a13 = VT.cast(FloatVector.fromArray(S, c, c1 + 3 * L));
        FloatVector a20 = VT.cast(FloatVector.fromArray(S, c, c2));
        FloatVector a21 = VT.cast(FloatVector.fromArray(S, c, c2 + L));
        FloatVector a22 = VT.cast(FloatVector.fromArray(S, c, c2 + 2 * L));
        FloatVector a23 = VT.cast(FloatVector.fromArray(S, c, c2 + 3 * L));
        FloatVector a30 = VT.cast(FloatVector.fromArray(S, c, c3));
        FloatVector a31 = VT.cast(FloatVector.fromArray(S, c, c3 + L));
        FloatVector a32 = VT.cast(FloatVector.fromArray(S, c, c3 + 2 * L));
        FloatVector a33 = VT.cast(FloatVector.fromArray(S, c, c3 + 3 * L));
        FloatVector a40 = VT.cast(FloatVector.fromArray(S, c, c4));
        FloatVector a41 = VT.cast(FloatVector.fromArray(S, c, c4 + L));
        FloatVector a42 = VT.cast(FloatVector.fromArray(S, c, c4 + 2 * L));
        FloatVector a43 = VT.cast(FloatVector.fromArray(S, c, c4 + 3 * L));
        FloatVector a50 = VT.cast(FloatVector.fromArray(S, c, c5));
        FloatVector a51 = VT.cast(FloatVector.fromArray(S, c, c5 + L));
        FloatVector a52 = VT.cast(FloatVector.fromArray(S, c, c5 + 2 * L));
        FloatVector a53 = VT.cast(FloatVector.fromArray(S, c, c5 + 3 * L));
        for (int i = 0; i < RB; i++) {
            int bj = bo + i * GW;
            FloatVector b0 = VT.cast(FloatVector.fromArray(S, b, bj));
            FloatVector b1 = VT.cast(FloatVector.fromArray(S, b, bj + L));
            FloatVector b2 = VT.cast(FloatVector.fromArray(S, b, bj + 2 * L));
            FloatVector b3 = VT.cast(FloatVector.fromArray(S, b, bj + 3 * L));
            int pj = po + i * JB;
            FloatVector x = VT.cast(FloatVector.broadcast(S, p[pj]));
            a00 = x.fma(b0, a00);
            a01 = x.fma(b1, a01);
            a02 = x.fma(b2, a02);
            a03 = x.fma(b3, a03);
            x = VT.cast(FloatVector.broadcast(S, p[pj + 1]));
            a10 = x.fma(b0, a10);
            a11 = x.fma(b1, a11);
            a12 = x.fma(b2, a12);
            a13 = x.fma(b3, a13);
            x = VT.cast(FloatVector.broadcast(S, p[pj + 2]));
            a20 = x.fma(b0, a20);
            a21 = x.fma(b1, a21);
            a22 = x.fma(b2, a22);
            a23 = x.fma(b3, a23);
            x = VT.cast(FloatVector.broadcast(S, p[pj + 3]));
            a30 = x.fma(b0, a30);
            a31 = x.fma(b1, a31);
            a32 = x.fma(b2, a32);
            a33 = x.fma(b3, a33);
            x = VT.cast(FloatVector.broadcast(S, p[pj + 4]));
            a40 = x.fma(b0, a40);
            a41 = x.fma(b1, a41);
            a42 = x.fma(b2, a42);
            a43 = x.fma(b3, a43);
            x = VT.cast(FloatVector.broadcast(S, p[pj + 5]));
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
    private static void mvTile3(float[] p, int po, float[] b, int bo, float[] c, int co) {
        int c0 = co;
        int c1 = co + GW3;
        int c2 = co + 2 * GW3;
        int c3 = co + 3 * GW3;
        int c4 = co + 4 * GW3;
        int c5 = co + 5 * GW3;
        FloatVector a00 = VT.cast(FloatVector.fromArray(S, c, c0));
        FloatVector a01 = VT.cast(FloatVector.fromArray(S, c, c0 + L));
        FloatVector a02 = VT.cast(FloatVector.fromArray(S, c, c0 + 2 * L));
        FloatVector a10 = VT.cast(FloatVector.fromArray(S, c, c1));
        FloatVector a11 = VT.cast(FloatVector.fromArray(S, c, c1 + L));
        FloatVector a12 = VT.cast(FloatVector.fromArray(S, c, c1 + 2 * L));
        FloatVector a20 = VT.cast(FloatVector.fromArray(S, c, c2));
        FloatVector a21 = VT.cast(FloatVector.fromArray(S, c, c2 + L));
        FloatVector a22 = VT.cast(FloatVector.fromArray(S, c, c2 + 2 * L));
        FloatVector a30 = VT.cast(FloatVector.fromArray(S, c, c3));
        FloatVector a31 = VT.cast(FloatVector.fromArray(S, c, c3 + L));
        FloatVector a32 = VT.cast(FloatVector.fromArray(S, c, c3 + 2 * L));
        FloatVector a40 = VT.cast(FloatVector.fromArray(S, c, c4));
        FloatVector a41 = VT.cast(FloatVector.fromArray(S, c, c4 + L));
        FloatVector a42 = VT.cast(FloatVector.fromArray(S, c, c4 + 2 * L));
        FloatVector a50 = VT.cast(FloatVector.fromArray(S, c, c5));
        FloatVector a51 = VT.cast(FloatVector.fromArray(S, c, c5 + L));
        FloatVector a52 = VT.cast(FloatVector.fromArray(S, c, c5 + 2 * L));
        for (int j = 0; j < JB; j++) {
            int bj = bo + j * GW3;
            FloatVector b0 = VT.cast(FloatVector.fromArray(S, b, bj));
            FloatVector b1 = VT.cast(FloatVector.fromArray(S, b, bj + L));
            FloatVector b2 = VT.cast(FloatVector.fromArray(S, b, bj + 2 * L));
            int pj = po + j;
            FloatVector x = VT.cast(FloatVector.broadcast(S, p[pj]));
            a00 = x.fma(b0, a00);
            a01 = x.fma(b1, a01);
            a02 = x.fma(b2, a02);
            x = VT.cast(FloatVector.broadcast(S, p[pj + JB]));
            a10 = x.fma(b0, a10);
            a11 = x.fma(b1, a11);
            a12 = x.fma(b2, a12);
            x = VT.cast(FloatVector.broadcast(S, p[pj + 2 * JB]));
            a20 = x.fma(b0, a20);
            a21 = x.fma(b1, a21);
            a22 = x.fma(b2, a22);
            x = VT.cast(FloatVector.broadcast(S, p[pj + 3 * JB]));
            a30 = x.fma(b0, a30);
            a31 = x.fma(b1, a31);
            a32 = x.fma(b2, a32);
            x = VT.cast(FloatVector.broadcast(S, p[pj + 4 * JB]));
            a40 = x.fma(b0, a40);
            a41 = x.fma(b1, a41);
            a42 = x.fma(b2, a42);
            x = VT.cast(FloatVector.broadcast(S, p[pj + 5 * JB]));
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
    private static void mtuTile3(float[] p, int po, float[] b, int bo, float[] c, int co) {
        int c0 = co;
        int c1 = co + GW3;
        int c2 = co + 2 * GW3;
        int c3 = co + 3 * GW3;
        int c4 = co + 4 * GW3;
        int c5 = co + 5 * GW3;
        FloatVector a00 = VT.cast(FloatVector.fromArray(S, c, c0));
        FloatVector a01 = VT.cast(FloatVector.fromArray(S, c, c0 + L));
        FloatVector a02 = VT.cast(FloatVector.fromArray(S, c, c0 + 2 * L));
        FloatVector a10 = VT.cast(FloatVector.fromArray(S, c, c1));
        FloatVector a11 = VT.cast(FloatVector.fromArray(S, c, c1 + L));
        FloatVector a12 = VT.cast(FloatVector.fromArray(S, c, c1 + 2 * L));
        FloatVector a20 = VT.cast(FloatVector.fromArray(S, c, c2));
        FloatVector a21 = VT.cast(FloatVector.fromArray(S, c, c2 + L));
        FloatVector a22 = VT.cast(FloatVector.fromArray(S, c, c2 + 2 * L));
        FloatVector a30 = VT.cast(FloatVector.fromArray(S, c, c3));
        FloatVector a31 = VT.cast(FloatVector.fromArray(S, c, c3 + L));
        FloatVector a32 = VT.cast(FloatVector.fromArray(S, c, c3 + 2 * L));
        FloatVector a40 = VT.cast(FloatVector.fromArray(S, c, c4));
        FloatVector a41 = VT.cast(FloatVector.fromArray(S, c, c4 + L));
        FloatVector a42 = VT.cast(FloatVector.fromArray(S, c, c4 + 2 * L));
        FloatVector a50 = VT.cast(FloatVector.fromArray(S, c, c5));
        FloatVector a51 = VT.cast(FloatVector.fromArray(S, c, c5 + L));
        FloatVector a52 = VT.cast(FloatVector.fromArray(S, c, c5 + 2 * L));
        for (int i = 0; i < RB; i++) {
            int bj = bo + i * GW3;
            FloatVector b0 = VT.cast(FloatVector.fromArray(S, b, bj));
            FloatVector b1 = VT.cast(FloatVector.fromArray(S, b, bj + L));
            FloatVector b2 = VT.cast(FloatVector.fromArray(S, b, bj + 2 * L));
            int pj = po + i * JB;
            FloatVector x = VT.cast(FloatVector.broadcast(S, p[pj]));
            a00 = x.fma(b0, a00);
            a01 = x.fma(b1, a01);
            a02 = x.fma(b2, a02);
            x = VT.cast(FloatVector.broadcast(S, p[pj + 1]));
            a10 = x.fma(b0, a10);
            a11 = x.fma(b1, a11);
            a12 = x.fma(b2, a12);
            x = VT.cast(FloatVector.broadcast(S, p[pj + 2]));
            a20 = x.fma(b0, a20);
            a21 = x.fma(b1, a21);
            a22 = x.fma(b2, a22);
            x = VT.cast(FloatVector.broadcast(S, p[pj + 3]));
            a30 = x.fma(b0, a30);
            a31 = x.fma(b1, a31);
            a32 = x.fma(b2, a32);
            x = VT.cast(FloatVector.broadcast(S, p[pj + 4]));
            a40 = x.fma(b0, a40);
            a41 = x.fma(b1, a41);
            a42 = x.fma(b2, a42);
            x = VT.cast(FloatVector.broadcast(S, p[pj + 5]));
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
