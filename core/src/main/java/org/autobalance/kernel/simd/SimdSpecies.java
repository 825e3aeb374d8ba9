package org.autobalance.kernel.simd;

import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.autobalance.kernel.EngineProperties;

/**
 * The vector species of the SIMD kernels, fixed once per JVM as {@code static final} constants so that C2 folds them
 * (a species passed around as a value boxes in hot code).
 *
 * <p>Width: the system property {@code autobalance.simd.bits} (128, 256 or 512); by default the preferred width of
 * the platform capped at 256 bits. The cap is deliberate: on AVX2 parts 256 is the widest, and on AVX-512 parts that
 * execute 512-bit operations as two 256-bit halves (AMD Zen 4) or lower their clock for them (some Intel parts) the
 * wider species is not reliably faster; the property lets a benchmark decide per machine. The properties are checked
 * by {@link EngineProperties} (a width above the preferred one is refused there).
 */
final class SimdSpecies {
    /** Width requested or chosen, in bits. */
    static final int BITS = chooseBits();
    /** Float species of {@link #BITS}. */
    static final VectorSpecies<Float> FLOAT = VectorSpecies.of(float.class, VectorShape.forBitSize(BITS));
    /** Double species of {@link #BITS}. */
    static final VectorSpecies<Double> DOUBLE = VectorSpecies.of(double.class, VectorShape.forBitSize(BITS));
    /**
     * Float species of half of {@link #BITS}: its lanes widen exactly into one {@link #DOUBLE} vector (F2D), which is
     * how float32 data is summed in double precision.
     */
    static final VectorSpecies<Float> FLOAT_HALF = VectorSpecies.of(float.class,
            VectorShape.forBitSize(BITS / 2));

    /**
     * Width of the fused pass at large rank (see {@link #LARGE_FLOAT}): {@code -Dautobalance.simd.largeRankBits}
     * (128, 256 or 512, at most the preferred width); by default the preferred width. On the AVX-512 host that splits
     * 512-bit operations (Zen 4) where this was measured, 512 bits ran 18–40 % faster at r ≥ 4 vectors (float32
     * r ≥ 64, float64 r ≥ 32) and never slower there (native-notes/kernels.md), and measured slower at r = 16. Which
     * ranks take it is {@code SimdKernels}' choice: past 2 of its vectors with {@link #WIDE_TILES} (measured on the
     * Intel AVX-512 host, kernels.md 35; not on the Zen 4), else from 4; below, the narrower {@link #BITS} path runs.
     */
    static final int LARGE_RANK_BITS = EngineProperties.LARGE_RANK_BITS.or(preferredBits());
    /** Float species of {@link #LARGE_RANK_BITS}, used by the fused pass at the ranks {@code SimdKernels} gives it. */
    static final VectorSpecies<Float> LARGE_FLOAT = VectorSpecies.of(float.class,
            VectorShape.forBitSize(LARGE_RANK_BITS));
    /** Float species of half of {@link #LARGE_RANK_BITS} (as {@link #FLOAT_HALF}). */
    static final VectorSpecies<Float> LARGE_FLOAT_HALF = VectorSpecies.of(float.class,
            VectorShape.forBitSize(LARGE_RANK_BITS / 2));
    /** Double species of {@link #LARGE_RANK_BITS}. */
    static final VectorSpecies<Double> LARGE_DOUBLE = VectorSpecies.of(double.class,
            VectorShape.forBitSize(LARGE_RANK_BITS));

    /**
     * Whether the kernels may use tiles that need 32 vector registers (the GEMM path's 6 × 4- and 6 × 3-vector tiles,
     * the small ranks' sweeps of 4 ranks) and the large-rank width from 3 vectors of rank on: true where the preferred
     * species is 512 bits (x86 with AVX-512, whose EVEX encoding gives C2 32 registers at every width) or on aarch64
     * (32 SIMD registers); {@code -Dautobalance.simd.wideTiles=true|false} overrides. With 16 registers (AVX2) C2
     * spills such tiles, so the 6 × 2 tiles are used.
     */
    static final boolean WIDE_TILES = wideTiles();

    private SimdSpecies() {
    }

    /**
     * The SIMD kernels' name ({@code FactorKernels.name()} and the sparse and GEMM kernels' alike): {@code simd-} and
     * the normal width, then {@code +} the large-rank width where it differs ({@code simd-256+512} on AVX-512), since
     * the kernels at either width change the iterates' bits and checkpoints compare the name on resume.
     */
    static String kernelName() {
        return "simd-" + BITS + (LARGE_RANK_BITS == BITS ? "" : "+" + LARGE_RANK_BITS);
    }

    private static int chooseBits() {
        return EngineProperties.SIMD_BITS.or(Math.min(preferredBits(), 256));
    }

    private static boolean wideTiles() {
        return EngineProperties.WIDE_TILES.or(preferredBits() >= 512
                || "aarch64".equals(System.getProperty("os.arch")));
    }

    /** The platform's preferred width in bits (before the cap), from where the properties' check asks it. */
    static int preferredBits() {
        return PreferredWidth.bits();
    }
}
