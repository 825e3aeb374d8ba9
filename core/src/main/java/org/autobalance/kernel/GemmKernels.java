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
}
