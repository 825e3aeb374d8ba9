package org.autobalance.bench.baseline;

import java.lang.foreign.MemorySegment;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;

/**
 * The textbook form with OpenBLAS: the residual R = UVᵀ − M is materialised (d1 × d2, one more matrix the size of
 * M), then ∇_U = RV and ∇_V = RᵀU are two gemms over R, then U −= η∇_U, V −= η∇_V by axpy. This is what
 * {@code R = U @ V.T - M} in numpy does, without numpy's temporaries: M is copied into R and the product is added
 * with β = −1 in the same gemm. Traffic per iteration: M read, R written, R read twice.
 *
 * <p>All operands are the native segments of the matrices, row-major with leading dimension = stride; the padding
 * columns of the gradient buffers are never written by gemm and stay zero, so the axpy can run over whole padded
 * segments and keeps the factors' padding zero.
 */
final class OpenBlasTextbook implements GdIteration {
    private final DenseMatrix m;
    private final DenseMatrix u;
    private final DenseMatrix v;
    private final DenseMatrix residual;
    private final DenseMatrix gradU;
    private final DenseMatrix gradV;
    private final int threads;
    private final boolean f32;

    OpenBlasTextbook(DenseMatrix m, DenseMatrix u, DenseMatrix v, int threads) {
        this.m = m;
        this.u = u;
        this.v = v;
        this.threads = threads;
        this.f32 = m.dtype() == DType.FLOAT32;
        this.residual = DenseMatrix.allocate(m.dtype(), m.rows(), m.cols());
        this.gradU = DenseMatrix.allocate(m.dtype(), u.rows(), u.cols());
        this.gradV = DenseMatrix.allocate(m.dtype(), v.rows(), v.cols());
        OpenBlas.setThreads(threads);
    }

    @Override
    public String name() {
        return "openblas-textbook";
    }

    @Override
    public void iterate(double eta) {
        OpenBlas.setThreads(threads); // process-wide: another iteration may have changed it
        int d1 = m.rows();
        int d2 = m.cols();
        int r = u.cols();
        MemorySegment ms = m.segment();
        MemorySegment rs = residual.segment();
        MemorySegment us = u.segment();
        MemorySegment vs = v.segment();
        MemorySegment gu = gradU.segment();
        MemorySegment gv = gradV.segment();
        MemorySegment.copy(ms, 0, rs, 0, ms.byteSize());
        if (f32) {
            // R = U·Vᵀ − M
            OpenBlas.sgemm(OpenBlas.NO_TRANS, OpenBlas.TRANS, d1, d2, r, 1f, us, u.stride(), vs, v.stride(), -1f,
                    rs, residual.stride());
            if (r == 1) { // as numpy's matmul does: gemv for a single column
                OpenBlas.sgemv(OpenBlas.NO_TRANS, d1, d2, 1f, rs, residual.stride(), vs, v.stride(), 0f, gu,
                        gradU.stride());
                OpenBlas.sgemv(OpenBlas.TRANS, d1, d2, 1f, rs, residual.stride(), us, u.stride(), 0f, gv,
                        gradV.stride());
            } else {
                OpenBlas.sgemm(OpenBlas.NO_TRANS, OpenBlas.NO_TRANS, d1, r, d2, 1f, rs, residual.stride(), vs,
                        v.stride(), 0f, gu, gradU.stride());
                OpenBlas.sgemm(OpenBlas.TRANS, OpenBlas.NO_TRANS, d2, r, d1, 1f, rs, residual.stride(), us,
                        u.stride(), 0f, gv, gradV.stride());
            }
            OpenBlas.saxpy(d1 * u.stride(), (float) -eta, gu, us);
            OpenBlas.saxpy(d2 * v.stride(), (float) -eta, gv, vs);
        } else {
            OpenBlas.dgemm(OpenBlas.NO_TRANS, OpenBlas.TRANS, d1, d2, r, 1, us, u.stride(), vs, v.stride(), -1, rs,
                    residual.stride());
            if (r == 1) {
                OpenBlas.dgemv(OpenBlas.NO_TRANS, d1, d2, 1, rs, residual.stride(), vs, v.stride(), 0, gu,
                        gradU.stride());
                OpenBlas.dgemv(OpenBlas.TRANS, d1, d2, 1, rs, residual.stride(), us, u.stride(), 0, gv,
                        gradV.stride());
            } else {
                OpenBlas.dgemm(OpenBlas.NO_TRANS, OpenBlas.NO_TRANS, d1, r, d2, 1, rs, residual.stride(), vs,
                        v.stride(), 0, gu, gradU.stride());
                OpenBlas.dgemm(OpenBlas.TRANS, OpenBlas.NO_TRANS, d2, r, d1, 1, rs, residual.stride(), us,
                        u.stride(), 0, gv, gradV.stride());
            }
            OpenBlas.daxpy(d1 * u.stride(), -eta, gu, us);
            OpenBlas.daxpy(d2 * v.stride(), -eta, gv, vs);
        }
    }

    @Override
    public void close() {
        residual.close();
        gradU.close();
        gradV.close();
    }
}
