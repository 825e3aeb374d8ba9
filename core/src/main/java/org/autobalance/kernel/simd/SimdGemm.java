package org.autobalance.kernel.simd;

import java.lang.foreign.MemorySegment;
import org.autobalance.kernel.GemmKernels;
import org.autobalance.memory.DType;

/**
 * The Vector API GEMM of the network engine ({@link FloatGemm}, {@link DoubleGemm}); loaded reflectively by
 * {@link org.autobalance.kernel.KernelProvider}. Both are generated from core/src/build/simd/Gemm.java.template by
 * core/src/build/GenerateSimdVariants.java.
 */
public final class SimdGemm implements GemmKernels {

    public SimdGemm() {
        if (SimdSpecies.preferredBits() < 128) {
            throw new UnsupportedOperationException("preferred vector width " + SimdSpecies.preferredBits()
                    + " bits is below 128");
        }
    }

    @Override
    public String name() {
        // FloatGemm runs at the normal width, DoubleGemm at the large-rank one
        return SimdSpecies.kernelName();
    }

    @Override
    public void gemm(DType dtype, boolean transA, int m, int n, int k, MemorySegment a, long aOff, int lda,
            MemorySegment b, long bOff, int ldb, MemorySegment c, long cOff, int ldc, boolean accumulate) {
        if (dtype == DType.FLOAT32) {
            FloatGemm.gemm(transA, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc,
                    accumulate ? FloatGemm.Epilogue.ACCUMULATE : FloatGemm.Epilogue.STORE);
        } else {
            DoubleGemm.gemm(transA, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc,
                    accumulate ? DoubleGemm.Epilogue.ACCUMULATE : DoubleGemm.Epilogue.STORE);
        }
    }

    @Override
    public void gemmTransB(DType dtype, int m, int n, int k, MemorySegment a, long aOff, int lda, MemorySegment b,
            long bOff, int ldb, MemorySegment c, long cOff, int ldc, boolean accumulate) {
        if (dtype == DType.FLOAT32) {
            FloatGemm.gemmTransB(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
        } else {
            DoubleGemm.gemmTransB(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
        }
    }

    @Override
    public void gemmBiasActivation(DType dtype, int m, int n, int k, MemorySegment a, long aOff, int lda,
            MemorySegment b, long bOff, int ldb, MemorySegment c, long cOff, int ldc, MemorySegment bias,
            boolean biasPerRow, double slope) {
        if (dtype == DType.FLOAT32) {
            FloatGemm.gemm(false, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc,
                    new FloatGemm.Epilogue(false, true, bias, biasPerRow, (float) slope));
        } else {
            DoubleGemm.gemm(false, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc,
                    new DoubleGemm.Epilogue(false, true, bias, biasPerRow, slope));
        }
    }

    @Override
    public void addBlock(DType dtype, int m, int n, MemorySegment s, long sOff, int lds, MemorySegment d, long dOff,
            int ldd) {
        if (dtype == DType.FLOAT32) {
            FloatGemm.addBlock(m, n, s, sOff, lds, d, dOff, ldd);
        } else {
            DoubleGemm.addBlock(m, n, s, sOff, lds, d, dOff, ldd);
        }
    }

    @Override
    public void activationSlope(DType dtype, int m, int n, MemorySegment y, long yOff, int ldy, MemorySegment d,
            long dOff, int ldd, double slope) {
        if (dtype == DType.FLOAT32) {
            FloatGemm.activationSlope(m, n, y, yOff, ldy, d, dOff, ldd, (float) slope);
        } else {
            DoubleGemm.activationSlope(m, n, y, yOff, ldy, d, dOff, ldd, slope);
        }
    }
}
