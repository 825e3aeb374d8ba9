package org.autobalance.kernel.simd;

import java.lang.foreign.MemorySegment;
import org.autobalance.kernel.GemmKernels;
import org.autobalance.memory.DType;

/** The Vector API GEMM of the network engine ({@link FloatGemm}, {@link DoubleGemm}); loaded reflectively. */
public final class SimdGemm implements GemmKernels {

    public SimdGemm() {
        if (SimdSpecies.preferredBits() < 128) {
            throw new UnsupportedOperationException("preferred vector width " + SimdSpecies.preferredBits()
                    + " bits is below 128");
        }
    }

    @Override
    public String name() {
        return "simd-" + SimdSpecies.BITS;
    }

    @Override
    public void gemm(DType dtype, boolean transA, int m, int n, int k, MemorySegment a, long aOff, int lda,
            MemorySegment b, long bOff, int ldb, MemorySegment c, long cOff, int ldc, boolean accumulate) {
        if (dtype == DType.FLOAT32) {
            FloatGemm.gemm(transA, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
        } else {
            DoubleGemm.gemm(transA, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
        }
    }
}
