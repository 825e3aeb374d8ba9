package org.autobalance.kernel.simd;

import org.autobalance.kernel.EngineProperties;

/**
 * The tuning constants of the fused pass that differ between float32 and float64, read by the classes generated from
 * {@code core/src/build/simd/Fused.java.template} ({@link FloatFused}, {@link DoubleFused} and their large-rank
 * variants). The constants both precisions share (tile shape, panel rows) are in the template. Compile-time constants
 * where possible, so that the generated classes compile to the same bytecode as with literals; those read from a
 * property are static finals that C2 folds as constants. A value that is not an integer or is below its minimum is
 * refused ({@link EngineProperties}) instead of falling back silently: a tuning run with a mistyped value would
 * otherwise measure the default and report it as the value asked for.
 */
final class FusedTuning {
    /**
     * Largest float32 rank handled by the small-r path (vectors along the columns of M);
     * {@code -Dautobalance.simd.smallRank.float32}. Above it the GEMM path runs.
     */
    static final int FLOAT_SMALL_MAX = EngineProperties.SMALL_RANK_FLOAT32.or(8);
    /**
     * Largest float64 rank handled by the small-r path; {@code -Dautobalance.simd.smallRank.float64}. With 16 vector
     * registers (AVX2: no row-stream path) ranks 5–8 would otherwise take the GEMM path, whose 6 × 2 tiles and panel
     * copy ran 1.3–1.7× slower than the small-r path at d = 4096 on Zen 3 (JMH, kernels.md 26), so 8 as in float32.
     * With 32 registers the row-stream path takes them (measured faster than GEMM on Zen 4, kernels.md 14; the small-r
     * path was not compared there), so 4: half the float32 value, the same bytes per row of V and MᵀU.
     */
    static final int DOUBLE_SMALL_MAX = EngineProperties.SMALL_RANK_FLOAT64.or(
            SimdSpecies.WIDE_TILES ? 4 : 8);
    /**
     * Largest float32 rank handled by the row-stream path (rows of M streamed through an L1 staging array, no panel
     * copy; {@code FloatFusedLarge.rowStream}) for ranks above {@link #FLOAT_SMALL_MAX}; the path also needs 32 vector
     * registers and takes at most two vectors of the large-rank species (r ≤ 32 at 512 bits).
     * {@code -Dautobalance.simd.rowStream.float32}; 0 turns it off (the GEMM path then runs these ranks, as before).
     * Default 32: at d = 4096 it took r = 9–16 from 18–20 to 14–16 ms and r = 17–32 from 27–30 to 23 ms against
     * the GEMM path (CPU-time medians, kernels.md 14).
     */
    static final int FLOAT_ROW_STREAM_MAX = EngineProperties.ROW_STREAM_FLOAT32.or(32);
    /**
     * As {@link #FLOAT_ROW_STREAM_MAX} for float64 ({@code -Dautobalance.simd.rowStream.float64}; r ≤ 16 at 512
     * bits). Default 16: r = 5–8 from 24–28 to 19–20 ms, r = 9–16 from 34–38 to 28 ms (kernels.md 14).
     */
    static final int DOUBLE_ROW_STREAM_MAX = EngineProperties.ROW_STREAM_FLOAT64.or(16);
    /**
     * Bytes of packed V and MᵀU one column block of the row-stream path touches (both dtypes;
     * {@code -Dautobalance.simd.rowStream.blockBytes}): half of the 1 MiB L2 of the machine it was tuned on, so that
     * they stay in L2 while each group of rows re-reads them. At d = 8192, r = 16 float32, 256 KiB / 512 KiB / 1 MiB
     * (unblocked) ran within 3 % of each other (kernels.md 14).
     */
    static final int ROW_STREAM_BLOCK_BYTES = EngineProperties.ROW_STREAM_BLOCK_BYTES.or(
            512 * 1024);
    /**
     * Largest float32 rank whose GEMM-path panels (6 × 2 tiles only) hold 48 rows of M instead of 96
     * ({@code -Dautobalance.simd.halfPanel.float32}); 0, the default: never. On Zen 3 (AVX2) 48-row panels left
     * r = 16 and 64 within the noise (kernels.md 29).
     */
    static final int FLOAT_HALF_PANEL_MAX = EngineProperties.HALF_PANEL_FLOAT32.or(0);
    /**
     * As {@link #FLOAT_HALF_PANEL_MAX} for float64 ({@code -Dautobalance.simd.halfPanel.float64}). With 16 vector
     * registers 16: on Zen 3 (512 KiB of L2 per core) the copy of M into a 3 MiB panel, evicted to L3 before its
     * tiles read it, cost ~18 of the 50 ms of a d = 4096, r = 16 pass, and a 1.5 MiB panel made the pass 2–24 %
     * faster in each of six alternated runs; at r = 64 it was even and at r = 128 25 % slower (the packed V and MᵀU
     * are streamed once per panel), kernels.md 29. Above 0 the MᵀU tile runs 48 rows per call at every rank (two
     * calls per 96-row panel); 0 gives the code as before. With 32 registers 0 (not measured there: no such machine).
     */
    static final int DOUBLE_HALF_PANEL_MAX = EngineProperties.HALF_PANEL_FLOAT64.or(
            SimdSpecies.WIDE_TILES ? 0 : 16);
    /**
     * Columns of M per packed block of the float32 GEMM path (a multiple of the MᵀU tiles' 6 columns and of the
     * widest float32 vector's 16 lanes: a block is packed in whole vectors; checked by KernelContractTest): the
     * j-extent of the MV micro-kernel. With 96-row panels a block is 36 KiB; 96 beat 240 and 48 at r = 256 (271
     * vs 358 / 294 ms).
     */
    static final int FLOAT_JB = 96;
    /**
     * As {@link #FLOAT_JB} for float64 (a multiple of 6 and of 8): half the float32 value, the same 36 KiB per
     * block.
     */
    static final int DOUBLE_JB = 48;

    private FusedTuning() {
    }
}
