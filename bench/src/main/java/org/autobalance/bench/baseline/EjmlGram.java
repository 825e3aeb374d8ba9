package org.autobalance.bench.baseline;

import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.ejml.concurrency.EjmlConcurrency;
import org.ejml.data.DMatrixRMaj;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.CommonOps_FDRM;
import org.ejml.dense.row.CommonOps_MT_DDRM;
import org.ejml.dense.row.CommonOps_MT_FDRM;

/**
 * The Gram form with EJML, the pure-JVM peer: ∇_U = U·(VᵀV) − MV, ∇_V = V·(UᵀU) − MᵀU with EJML's row-major heap
 * matrices (M, U and V are copied onto the heap once, at construction — EJML cannot work on native memory — and
 * copied back by {@link #syncFactors()}). With more than one thread the products use EJML's concurrent operations
 * ({@code CommonOps_MT_*}, a ForkJoinPool of {@code threads}); the O((d1 + d2)·r) element-wise work stays serial, as
 * an EJML user would write it. Workspaces are allocated once: an iteration allocates nothing.
 */
final class EjmlGram implements GdIteration {
    private final DenseMatrix u;
    private final DenseMatrix v;
    private final int threads;
    private final F f;
    private final D d;

    EjmlGram(DenseMatrix m, DenseMatrix u, DenseMatrix v, int threads) {
        this.u = u;
        this.v = v;
        this.threads = threads;
        if (m.dtype() == DType.FLOAT32) {
            this.f = new F(toF(m), toF(u), toF(v));
            this.d = null;
        } else {
            this.f = null;
            this.d = new D(toD(m), toD(u), toD(v));
        }
    }

    @Override
    public String name() {
        return "ejml-gram";
    }

    @Override
    public void iterate(double eta) {
        if (threads > 1 && EjmlConcurrency.getMaxThreads() != threads) {
            EjmlConcurrency.setMaxThreads(threads); // replaces EJML's pool: only when the count changes
        }
        if (f != null) {
            f.iterate((float) eta, threads > 1);
        } else {
            d.iterate(eta, threads > 1);
        }
    }

    @Override
    public void syncFactors() {
        if (f != null) {
            u.copyFrom(f.u.data, DenseMatrix.Order.ROW_MAJOR);
            v.copyFrom(f.v.data, DenseMatrix.Order.ROW_MAJOR);
        } else {
            u.copyFrom(d.u.data, DenseMatrix.Order.ROW_MAJOR);
            v.copyFrom(d.v.data, DenseMatrix.Order.ROW_MAJOR);
        }
    }

    @Override
    public void close() {
    }

    /** float32 state and workspaces. */
    private static final class F {
        final FMatrixRMaj m;
        final FMatrixRMaj u;
        final FMatrixRMaj v;
        final FMatrixRMaj mv;
        final FMatrixRMaj mtu;
        final FMatrixRMaj gramU;
        final FMatrixRMaj gramV;
        final FMatrixRMaj gradU;
        final FMatrixRMaj gradV;

        F(FMatrixRMaj m, FMatrixRMaj u, FMatrixRMaj v) {
            this.m = m;
            this.u = u;
            this.v = v;
            int r = u.numCols;
            mv = new FMatrixRMaj(m.numRows, r);
            mtu = new FMatrixRMaj(m.numCols, r);
            gramU = new FMatrixRMaj(r, r);
            gramV = new FMatrixRMaj(r, r);
            gradU = new FMatrixRMaj(m.numRows, r);
            gradV = new FMatrixRMaj(m.numCols, r);
        }

        void iterate(float eta, boolean concurrent) {
            if (concurrent) {
                CommonOps_MT_FDRM.mult(m, v, mv);
                CommonOps_MT_FDRM.multTransA(m, u, mtu);
                CommonOps_MT_FDRM.multTransA(u, u, gramU);
                CommonOps_MT_FDRM.multTransA(v, v, gramV);
                CommonOps_MT_FDRM.mult(u, gramV, gradU);
                CommonOps_MT_FDRM.mult(v, gramU, gradV);
            } else {
                CommonOps_FDRM.mult(m, v, mv);
                CommonOps_FDRM.multTransA(m, u, mtu);
                CommonOps_FDRM.multTransA(u, u, gramU);
                CommonOps_FDRM.multTransA(v, v, gramV);
                CommonOps_FDRM.mult(u, gramV, gradU);
                CommonOps_FDRM.mult(v, gramU, gradV);
            }
            CommonOps_FDRM.subtractEquals(gradU, mv);
            CommonOps_FDRM.subtractEquals(gradV, mtu);
            CommonOps_FDRM.addEquals(u, -eta, gradU);
            CommonOps_FDRM.addEquals(v, -eta, gradV);
        }
    }

    /** float64 state and workspaces. */
    private static final class D {
        final DMatrixRMaj m;
        final DMatrixRMaj u;
        final DMatrixRMaj v;
        final DMatrixRMaj mv;
        final DMatrixRMaj mtu;
        final DMatrixRMaj gramU;
        final DMatrixRMaj gramV;
        final DMatrixRMaj gradU;
        final DMatrixRMaj gradV;

        D(DMatrixRMaj m, DMatrixRMaj u, DMatrixRMaj v) {
            this.m = m;
            this.u = u;
            this.v = v;
            int r = u.numCols;
            mv = new DMatrixRMaj(m.numRows, r);
            mtu = new DMatrixRMaj(m.numCols, r);
            gramU = new DMatrixRMaj(r, r);
            gramV = new DMatrixRMaj(r, r);
            gradU = new DMatrixRMaj(m.numRows, r);
            gradV = new DMatrixRMaj(m.numCols, r);
        }

        void iterate(double eta, boolean concurrent) {
            if (concurrent) {
                CommonOps_MT_DDRM.mult(m, v, mv);
                CommonOps_MT_DDRM.multTransA(m, u, mtu);
                CommonOps_MT_DDRM.multTransA(u, u, gramU);
                CommonOps_MT_DDRM.multTransA(v, v, gramV);
                CommonOps_MT_DDRM.mult(u, gramV, gradU);
                CommonOps_MT_DDRM.mult(v, gramU, gradV);
            } else {
                CommonOps_DDRM.mult(m, v, mv);
                CommonOps_DDRM.multTransA(m, u, mtu);
                CommonOps_DDRM.multTransA(u, u, gramU);
                CommonOps_DDRM.multTransA(v, v, gramV);
                CommonOps_DDRM.mult(u, gramV, gradU);
                CommonOps_DDRM.mult(v, gramU, gradV);
            }
            CommonOps_DDRM.subtractEquals(gradU, mv);
            CommonOps_DDRM.subtractEquals(gradV, mtu);
            CommonOps_DDRM.addEquals(u, -eta, gradU);
            CommonOps_DDRM.addEquals(v, -eta, gradV);
        }
    }

    private static FMatrixRMaj toF(DenseMatrix x) {
        FMatrixRMaj out = new FMatrixRMaj(x.rows(), x.cols());
        x.copyTo(out.data, DenseMatrix.Order.ROW_MAJOR);
        return out;
    }

    private static DMatrixRMaj toD(DenseMatrix x) {
        DMatrixRMaj out = new DMatrixRMaj(x.rows(), x.cols());
        x.copyTo(out.data, DenseMatrix.Order.ROW_MAJOR);
        return out;
    }
}
