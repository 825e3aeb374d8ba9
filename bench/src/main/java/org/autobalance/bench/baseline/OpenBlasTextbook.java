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
final class OpenBlasTextbook extends OpenBlasIteration {
    private final DenseMatrix residual;
    private final DenseMatrix gradU;
    private final DenseMatrix gradV;

    OpenBlasTextbook(DenseMatrix m, DenseMatrix u, DenseMatrix v, int threads) {
        super(m, u, v, threads);
        this.residual = DenseMatrix.allocate(m.dtype(), m.rows(), m.cols());
        this.gradU = DenseMatrix.allocate(m.dtype(), u.rows(), u.cols());
        this.gradV = DenseMatrix.allocate(m.dtype(), v.rows(), v.cols());
    }

    @Override
    public String name() {
        return "openblas-textbook";
    }

    @Override
    void step(double eta) {
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
        DType dtype = m.dtype();
        // R = U·Vᵀ − M
        OpenBlas.gemm(dtype, OpenBlas.NO_TRANS, OpenBlas.TRANS, d1, d2, r, 1, us, u.stride(), vs, v.stride(), -1, rs,
                residual.stride());
        OpenBlas.skinnyProduct(dtype, OpenBlas.NO_TRANS, d1, d2, r, rs, residual.stride(), vs, v.stride(), gu,
                gradU.stride());
        OpenBlas.skinnyProduct(dtype, OpenBlas.TRANS, d1, d2, r, rs, residual.stride(), us, u.stride(), gv,
                gradV.stride());
        OpenBlas.axpy(dtype, d1 * u.stride(), -eta, gu, us);
        OpenBlas.axpy(dtype, d2 * v.stride(), -eta, gv, vs);
    }

    @Override
    public void close() {
        residual.close();
        gradU.close();
        gradV.close();
    }
}
