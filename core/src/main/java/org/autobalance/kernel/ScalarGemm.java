package org.autobalance.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.autobalance.memory.DType;

/**
 * The textbook triple loop: C[i, j] = Σ_k op(A)[i, k]·B[k, j], each dot product summed in k order in the element
 * type (float32 sums in float32, as the SIMD kernels do, so the two differ only by summation order). The oracle of
 * the SIMD GEMM tests, and the fallback without the vector module.
 */
public final class ScalarGemm implements GemmKernels {

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void gemm(DType dtype, boolean transA, int m, int n, int k, MemorySegment a, long aOff, int lda,
            MemorySegment b, long bOff, int ldb, MemorySegment c, long cOff, int ldc, boolean accumulate) {
        long ra = transA ? 1 : lda;
        long ka = transA ? lda : 1;
        if (dtype == DType.FLOAT32) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    long ci = cOff + (long) i * ldc + j;
                    float s = accumulate ? c.getAtIndex(ValueLayout.JAVA_FLOAT, ci) : 0f;
                    for (int p = 0; p < k; p++) {
                        s += a.getAtIndex(ValueLayout.JAVA_FLOAT, aOff + i * ra + p * ka)
                                * b.getAtIndex(ValueLayout.JAVA_FLOAT, bOff + (long) p * ldb + j);
                    }
                    c.setAtIndex(ValueLayout.JAVA_FLOAT, ci, s);
                }
            }
        } else {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    long ci = cOff + (long) i * ldc + j;
                    double s = accumulate ? c.getAtIndex(ValueLayout.JAVA_DOUBLE, ci) : 0.0;
                    for (int p = 0; p < k; p++) {
                        s += a.getAtIndex(ValueLayout.JAVA_DOUBLE, aOff + i * ra + p * ka)
                                * b.getAtIndex(ValueLayout.JAVA_DOUBLE, bOff + (long) p * ldb + j);
                    }
                    c.setAtIndex(ValueLayout.JAVA_DOUBLE, ci, s);
                }
            }
        }
    }
}
