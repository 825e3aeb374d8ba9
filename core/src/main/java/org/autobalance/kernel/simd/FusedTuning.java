package org.autobalance.kernel.simd;

/**
 * The tuning constants of the fused pass that differ between float32 and float64, read by the classes generated from
 * {@code core/src/build/simd/Fused.java.template} ({@link FloatFused}, {@link DoubleFused} and their large-rank
 * variants). The constants both precisions share (tile shape, panel rows) are in the template. Compile-time constants
 * where possible, so that the generated classes compile to the same bytecode as with literals.
 */
final class FusedTuning {
    /**
     * Largest float32 rank handled by the small-r path (vectors along the columns of M);
     * {@code -Dautobalance.simd.smallRank.float32}. Above it the GEMM path runs.
     */
    static final int FLOAT_SMALL_MAX = Integer.getInteger("autobalance.simd.smallRank.float32", 8);
    /**
     * Largest float64 rank handled by the small-r path; {@code -Dautobalance.simd.smallRank.float64}. Half the float32
     * value: the same bytes per row of V and MᵀU.
     */
    static final int DOUBLE_SMALL_MAX = Integer.getInteger("autobalance.simd.smallRank.float64", 4);
    /**
     * Columns of M per packed block of the float32 GEMM path (a multiple of the MᵀU tile's 6 columns, of 4 and of 16):
     * the j-extent of the MV micro-kernel. With 96-row panels a block is 36 KiB; 96 beat 240 and 48 at r = 256 (271
     * vs 358 / 294 ms).
     */
    static final int FLOAT_JB = 96;
    /**
     * As {@link #FLOAT_JB} for float64 (a multiple of 6, of 4 and of 8): half the float32 value, the same 36 KiB per
     * block.
     */
    static final int DOUBLE_JB = 48;

    private FusedTuning() {
    }
}
