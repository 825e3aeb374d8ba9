package org.autobalance.bench.baseline;

import java.lang.foreign.MemorySegment;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;

/**
 * The Gram form with OpenBLAS — the best a BLAS user can do without writing kernels: the gradients are expanded as
 * ∇_U = U·(VᵀV) − MV and ∇_V = V·(UᵀU) − MᵀU, so M is touched only by the two skinny gemms MV and MᵀU (M read
 * twice, no residual; at r = 1 they are gemv, as numpy's matmul would call). The r × r Grams and the products
 * with them are gemms too; the data terms are overwritten in place with the gradients (β = −1), then U −= η∇_U and
 * V −= η∇_V by axpy. Both Grams and both data terms are computed before either factor changes, so the step is
 * simultaneous.
 */
final class OpenBlasGram extends OpenBlasIteration {
    private final DenseMatrix mv;
    private final DenseMatrix mtu;
    private final DenseMatrix gramU;
    private final DenseMatrix gramV;

    OpenBlasGram(DenseMatrix m, DenseMatrix u, DenseMatrix v, int threads) {
        super(m, u, v, threads);
        int r = u.cols();
        this.mv = DenseMatrix.allocate(m.dtype(), m.rows(), r);
        this.mtu = DenseMatrix.allocate(m.dtype(), m.cols(), r);
        this.gramU = DenseMatrix.allocate(m.dtype(), r, r);
        this.gramV = DenseMatrix.allocate(m.dtype(), r, r);
    }

    @Override
    public String name() {
        return "openblas-gram";
    }

    @Override
    void step(double eta) {
        int d1 = m.rows();
        int d2 = m.cols();
        int r = u.cols();
        int ldm = m.stride();
        int ldu = u.stride();
        int ldv = v.stride();
        int ldg = gramU.stride();
        MemorySegment ms = m.segment();
        MemorySegment us = u.segment();
        MemorySegment vs = v.segment();
        MemorySegment mvs = mv.segment();
        MemorySegment mtus = mtu.segment();
        MemorySegment gu = gramU.segment();
        MemorySegment gv = gramV.segment();
        DType dtype = m.dtype();
        OpenBlas.skinnyProduct(dtype, OpenBlas.NO_TRANS, d1, d2, r, ms, ldm, vs, ldv, mvs, ldu);
        OpenBlas.skinnyProduct(dtype, OpenBlas.TRANS, d1, d2, r, ms, ldm, us, ldu, mtus, ldv);
        OpenBlas.gemm(dtype, OpenBlas.TRANS, OpenBlas.NO_TRANS, r, r, d1, 1, us, ldu, us, ldu, 0, gu, ldg);
        OpenBlas.gemm(dtype, OpenBlas.TRANS, OpenBlas.NO_TRANS, r, r, d2, 1, vs, ldv, vs, ldv, 0, gv, ldg);
        // MV ← U·VᵀV − MV = ∇_U,  MᵀU ← V·UᵀU − MᵀU = ∇_V
        OpenBlas.gemm(dtype, OpenBlas.NO_TRANS, OpenBlas.NO_TRANS, d1, r, r, 1, us, ldu, gv, ldg, -1, mvs, ldu);
        OpenBlas.gemm(dtype, OpenBlas.NO_TRANS, OpenBlas.NO_TRANS, d2, r, r, 1, vs, ldv, gu, ldg, -1, mtus, ldv);
        OpenBlas.axpy(dtype, d1 * ldu, -eta, mvs, us);
        OpenBlas.axpy(dtype, d2 * ldv, -eta, mtus, vs);
    }

    @Override
    public void close() {
        mv.close();
        mtu.close();
        gramU.close();
        gramV.close();
    }
}
