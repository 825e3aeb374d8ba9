package org.autobalance.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.autobalance.memory.DType;

/**
 * The textbook triple loop: C[i, j] = Σ_k op(A)[i, k]·op(B)[k, j], each dot product summed in k order in the element
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
        product(dtype, m, n, k, a, aOff, transA ? 1 : lda, transA ? lda : 1, b, bOff, ldb, 1, c, cOff, ldc,
                accumulate);
    }

    @Override
    public void gemmTransB(DType dtype, int m, int n, int k, MemorySegment a, long aOff, int lda, MemorySegment b,
            long bOff, int ldb, MemorySegment c, long cOff, int ldc, boolean accumulate) {
        product(dtype, m, n, k, a, aOff, lda, 1, b, bOff, 1, ldb, c, cOff, ldc, accumulate);
    }

    /**
     * C[i, j] (+)= Σ_p a[aOff + i·ra + p·ka]·b[bOff + p·kb + j·cb] in p order: every product form is a choice of
     * the four strides.
     */
    private static void product(DType dtype, int m, int n, int k, MemorySegment a, long aOff, long ra, long ka,
            MemorySegment b, long bOff, long kb, long cb, MemorySegment c, long cOff, int ldc, boolean accumulate) {
        if (dtype == DType.FLOAT32) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    long ci = cOff + (long) i * ldc + j;
                    float s = accumulate ? c.getAtIndex(ValueLayout.JAVA_FLOAT, ci) : 0f;
                    for (int p = 0; p < k; p++) {
                        s += a.getAtIndex(ValueLayout.JAVA_FLOAT, aOff + i * ra + p * ka)
                                * b.getAtIndex(ValueLayout.JAVA_FLOAT, bOff + p * kb + j * cb);
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
                                * b.getAtIndex(ValueLayout.JAVA_DOUBLE, bOff + p * kb + j * cb);
                    }
                    c.setAtIndex(ValueLayout.JAVA_DOUBLE, ci, s);
                }
            }
        }
    }

    @Override
    public void gemmBiasActivation(DType dtype, int m, int n, int k, MemorySegment a, long aOff, int lda,
            MemorySegment b, long bOff, int ldb, MemorySegment c, long cOff, int ldc, MemorySegment bias,
            boolean biasPerRow, double slope) {
        gemm(dtype, false, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, false);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                long ci = cOff + (long) i * ldc + j;
                double z = get(dtype, c, ci);
                if (bias != null) {
                    z += get(dtype, bias, biasPerRow ? i : j);
                }
                set(dtype, c, ci, z > 0 ? z : slope * z);
            }
        }
    }

    @Override
    public void activationSlope(DType dtype, int m, int n, MemorySegment y, long yOff, int ldy, MemorySegment d,
            long dOff, int ldd, double slope) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                if (!(get(dtype, y, yOff + (long) i * ldy + j) > 0)) {
                    long di = dOff + (long) i * ldd + j;
                    set(dtype, d, di, slope * get(dtype, d, di));
                }
            }
        }
    }

    @Override
    public void addBlock(DType dtype, int m, int n, MemorySegment s, long sOff, int lds, MemorySegment d, long dOff,
            int ldd) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                long di = dOff + (long) i * ldd + j;
                // float32: the double sum of two floats rounds to their float sum (53 >= 2·24 + 2 bits)
                set(dtype, d, di, get(dtype, d, di) + get(dtype, s, sOff + (long) i * lds + j));
            }
        }
    }

    private static double get(DType t, MemorySegment s, long i) {
        return t == DType.FLOAT32 ? s.getAtIndex(ValueLayout.JAVA_FLOAT, i) : s.getAtIndex(ValueLayout.JAVA_DOUBLE, i);
    }

    /** Stores {@code v} rounded to the element type; in float32, z + β and s·z are rounded as float arithmetic. */
    private static void set(DType t, MemorySegment s, long i, double v) {
        if (t == DType.FLOAT32) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) v);
        } else {
            s.setAtIndex(ValueLayout.JAVA_DOUBLE, i, v);
        }
    }
}
