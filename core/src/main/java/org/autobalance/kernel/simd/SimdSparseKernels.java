package org.autobalance.kernel.simd;

import org.autobalance.kernel.CsrPanels;
import org.autobalance.kernel.SparseKernels;
import org.autobalance.kernel.SparsePanels;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;

/**
 * {@link SparseKernels} on the incubating Vector API, float32 and float64 ({@code FloatSparse}, {@code DoubleSparse}):
 * SIMD over r for each stored entry, at the width of {@code -Dautobalance.simd.bits} (as {@link SimdKernels}), except
 * the gather product and the observed pass, which run at the large-rank width ({@code FloatSparseLarge},
 * {@code DoubleSparseLarge}; {@code -Dautobalance.simd.largeRankBits}).
 * Loaded only reflectively by {@link org.autobalance.kernel.KernelProvider}.
 *
 * <p>Determinism: all sums run in an order fixed by the code, so results are bit-for-bit identical run to run, on any
 * thread, in the interpreter and in every JIT tier. Allocation: none per call once warm.
 */
public final class SimdSparseKernels implements SparseKernels {

    /**
     * Creates the kernels.
     *
     * @throws UnsupportedOperationException if the platform's preferred vector width is below 128 bits
     */
    public SimdSparseKernels() {
        if (SimdSpecies.preferredBits() < 128) {
            throw new UnsupportedOperationException("preferred vector width is " + SimdSpecies.preferredBits()
                    + " bits, below the 128 the SIMD kernels need");
        }
    }

    @Override
    public String name() {
        // the products and the observed pass run at the large-rank width
        return SimdSpecies.kernelName();
    }

    @Override
    public void fusedPass(SparseMatrix m, DenseMatrix u, DenseMatrix v, int rowStart, int rowEnd, DenseMatrix mv,
            DenseMatrix mtu) {
        if (m.dtype() == DType.FLOAT32) {
            FloatSparse.fusedPass(m, u, v, rowStart, rowEnd, mv, mtu);
        } else {
            DoubleSparse.fusedPass(m, u, v, rowStart, rowEnd, mv, mtu);
        }
    }

    @Override
    public void product(SparseMatrix a, DenseMatrix x, int rowStart, int rowEnd, DenseMatrix y) {
        if (a.dtype() == DType.FLOAT32) {
            FloatSparseLarge.product(a, x, rowStart, rowEnd, y);
        } else {
            DoubleSparseLarge.product(a, x, rowStart, rowEnd, y);
        }
    }

    /**
     * Where a row of the factors is one vector of the large-rank width (whether a layout is built is the engine's
     * choice: {@link SparsePanels#paysBoth}, {@link SparsePanels#paysAligned}).
     */
    @Override
    public boolean panelled(DType dtype, int rank) {
        return rank <= (dtype == DType.FLOAT32 ? FloatSparseLarge.L : DoubleSparseLarge.L);
    }

    @Override
    public void panelProduct(SparsePanels a, DenseMatrix x, int chunk, DenseMatrix y) {
        boolean f32 = a.dtype() == DType.FLOAT32;
        if (x.cols() > (f32 ? FloatSparseLarge.L : DoubleSparseLarge.L)) {
            product(a.csr(), x, a.chunkRow(chunk), a.chunkRow(chunk + 1), y);
        } else if (f32) {
            FloatSparseLarge.panelProduct(a, x, chunk, y);
        } else {
            DoubleSparseLarge.panelProduct(a, x, chunk, y);
        }
    }

    @Override
    public void panelFusedProduct(SparsePanels m, int chunk, int panel, DenseMatrix u, DenseMatrix v, DenseMatrix mv,
            DenseMatrix mtu) {
        boolean f32 = m.requireAligned().dtype() == DType.FLOAT32;
        if (u.cols() > (f32 ? FloatSparseLarge.L : DoubleSparseLarge.L)) {
            // all in the pass's last call, as the contract allows
            if (chunk == m.chunks() - 1 && panel == m.panels() - 1) {
                mtu.segment().fill((byte) 0);
                fusedPass(m.csr(), u, v, 0, m.rows(), mv, mtu);
            }
        } else if (f32) {
            FloatSparseLarge.panelFusedProduct(m, chunk, panel, u, v, mv, mtu);
        } else {
            DoubleSparseLarge.panelFusedProduct(m, chunk, panel, u, v, mv, mtu);
        }
    }

    @Override
    public double observedPass(SparseMatrix m, DenseMatrix u, DenseMatrix v, int rowStart, int rowEnd,
            DenseMatrix pu, DenseMatrix pv) {
        return m.dtype() == DType.FLOAT32
                ? FloatSparseLarge.observedPass(m.rowStarts(), m.columnIndices(), m.values(), 1, m.rows(), u, v,
                        rowStart, rowEnd, pu, pv, Scratch.get())
                : DoubleSparseLarge.observedPass(m.rowStarts(), m.columnIndices(), m.values(), 1, m.rows(), u, v,
                        rowStart, rowEnd, pu, pv, Scratch.get());
    }

    /** Where the layout is on, at every rank: the panels keep the gathered and scatter-added rows in L2. */
    @Override
    public boolean panelledObserved(DType dtype, int rank) {
        return SparsePanels.enabled();
    }

    @Override
    public double observedPass(CsrPanels m, DenseMatrix u, DenseMatrix v, int rowStart, int rowEnd, DenseMatrix pu,
            DenseMatrix pv) {
        return m.dtype() == DType.FLOAT32
                ? FloatSparseLarge.observedPass(m.starts(), m.columns(), m.values(), m.panels(), m.rows(), u, v,
                        rowStart, rowEnd, pu, pv, Scratch.get())
                : DoubleSparseLarge.observedPass(m.starts(), m.columns(), m.values(), m.panels(), m.rows(), u, v,
                        rowStart, rowEnd, pu, pv, Scratch.get());
    }

    @Override
    public double residualSquared(SparseMatrix m, DenseMatrix u, DenseMatrix v, int rowStart, int rowEnd) {
        return m.dtype() == DType.FLOAT32 ? FloatSparse.residualSquared(m, u, v, rowStart, rowEnd)
                : DoubleSparse.residualSquared(m, u, v, rowStart, rowEnd);
    }
}
