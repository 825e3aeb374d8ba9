package org.autobalance.kernel;

import java.lang.foreign.MemorySegment;
import org.autobalance.memory.DType;

/**
 * The matrix product the network engine is built on (org.autobalance.network): one GEMM shape with an optional
 * transposed left operand, on native segments, element offsets and leading dimensions (row strides) given in
 * elements. Both forms stream the right operand B and the output C along rows, which is what lets the SIMD
 * implementation vectorise along the output columns with a broadcast of A — no horizontal reductions.
 *
 * <ul>
 *   <li>{@code transA = false}: C[i, j] (+)= Σ_k A[i, k]·B[k, j] with A at {@code a[aOff + i·lda + k]}, m × k;
 *   <li>{@code transA = true}: C[i, j] (+)= Σ_k A[k, i]·B[k, j] with A at {@code a[aOff + k·lda + i]}, k × m;
 * </ul>
 * B is k × n at {@code b[bOff + k·ldb + j]}, C is m × n at {@code c[cOff + i·ldc + j]} (modified: overwritten, or
 * added to when {@code accumulate}); A and B are not modified and must not overlap C. All three hold elements of
 * {@code dtype}; float32 products are accumulated in float32. Callers validate shapes once; implementations do not
 * check them again. Every call is deterministic: the same inputs give the same bits.
 */
public interface GemmKernels {

    /** A short name for logs and benchmark tables, e.g. {@code scalar} or {@code simd-256}. */
    String name();

    /** C (+)= op(A)·B, see the class comment; {@code k = 0} leaves C zero (or unchanged when accumulating). */
    void gemm(DType dtype, boolean transA, int m, int n, int k, MemorySegment a, long aOff, int lda,
            MemorySegment b, long bOff, int ldb, MemorySegment c, long cOff, int ldc, boolean accumulate);

    /**
     * C (+)= A·Bᵀ: C[i, j] (+)= Σ_k A[i, k]·B[j, k] with A m × k at {@code a[aOff + i·lda + k]} and B n × k at
     * {@code b[bOff + j·ldb + k]}, both read along rows; C as in {@link #gemm}. A convolution's weight gradient
     * G += δ·colᵀ from the im2col matrix itself (k = the block's positions, long; m and n its channels and fan-in,
     * few), where {@link #gemm} would need colᵀ built element by element. The summation order of each element is the
     * implementation's (the SIMD one sums 256 bits' worth of lanes, at every SIMD width: the same bits at 128, 256
     * and 512 bits); every call is deterministic.
     */
    void gemmTransB(DType dtype, int m, int n, int k, MemorySegment a, long aOff, int lda, MemorySegment b,
            long bOff, int ldb, MemorySegment c, long cOff, int ldc, boolean accumulate);

    /**
     * A layer's forward pass with the bias and activation fused into the store of C (one write of the activations
     * instead of a write, a read and a write): C[i, j] = φ(Σ_k A[i, k]·B[k, j] + β), φ(z) = z for z &gt; 0 and
     * {@code slope}·z otherwise, β = bias[i] when {@code biasPerRow} (a convolution: rows of C are channels) or
     * bias[j] (a dense layer: columns are units), 0 when {@code bias} is null. The sum is formed first, the bias
     * added once, as the unfused sequence would.
     */
    void gemmBiasActivation(DType dtype, int m, int n, int k, MemorySegment a, long aOff, int lda, MemorySegment b,
            long bOff, int ldb, MemorySegment c, long cOff, int ldc, MemorySegment bias, boolean biasPerRow,
            double slope);

    /**
     * D[i, j] += S[i, j] for an m × n block: S (not modified) at {@code s[sOff + i·lds + j]}, D (modified) at
     * {@code d[dOff + i·ldd + j]}; they must not overlap. A convolution's col2im adds one kernel offset's outHeight
     * runs of outWidth elements per call this way, from a row of dcol (row stride outWidth) into the input map's
     * gradient (row stride inWidth). Each element is one addition in the element type, so every implementation
     * gives the same bits.
     */
    void addBlock(DType dtype, int m, int n, MemorySegment s, long sOff, int lds, MemorySegment d, long dOff,
            int ldd);

    /**
     * The backward pass through an activation: D[i, j] ← D[i, j]·φ'(Y[i, j]) for an m × n block, where Y = φ(z) is
     * the stored activation and φ' is 1 where Y &gt; 0 and {@code slope} elsewhere (φ(z) &gt; 0 exactly when
     * z &gt; 0). D (modified) at {@code d[dOff + i·ldd + j]}, Y (not modified) at {@code y[yOff + i·ldy + j]}.
     */
    void activationSlope(DType dtype, int m, int n, MemorySegment y, long yOff, int ldy, MemorySegment d, long dOff,
            int ldd, double slope);
}
