package org.autobalance.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;

/**
 * The plain scalar reference implementation of {@link SparseKernels}: the oracle of the sparse kernel tests and the
 * fallback when the Vector API is unavailable. Written for clarity, not speed. As in {@link ScalarKernels}, sums over a
 * row are carried in double and rounded once when stored; the d2-side accumulators live in the matrix's precision,
 * because they are accumulated across calls.
 */
public final class ScalarSparseKernels implements SparseKernels {

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void fusedPass(SparseMatrix m, DenseMatrix u, DenseMatrix v, int rowStart, int rowEnd, DenseMatrix mv,
            DenseMatrix mtu) {
        boolean f32 = m.dtype() == DType.FLOAT32;
        int r = u.cols();
        double[] acc = new double[r];
        for (int i = rowStart; i < rowEnd; i++) {
            Arrays.fill(acc, 0.0);
            for (long k = m.rowStart(i); k < m.rowStart(i + 1); k++) {
                int j = m.column(k);
                double mij = m.value(k);
                for (int a = 0; a < r; a++) {
                    acc[a] += mij * load(v, f32, j, a);
                    store(mtu, f32, j, a, load(mtu, f32, j, a) + mij * load(u, f32, i, a));
                }
            }
            for (int a = 0; a < r; a++) {
                store(mv, f32, i, a, acc[a]);
            }
        }
    }

    @Override
    public void product(SparseMatrix a, DenseMatrix x, int rowStart, int rowEnd, DenseMatrix y) {
        boolean f32 = a.dtype() == DType.FLOAT32;
        int r = x.cols();
        double[] acc = new double[r];
        for (int i = rowStart; i < rowEnd; i++) {
            Arrays.fill(acc, 0.0);
            for (long k = a.rowStart(i); k < a.rowStart(i + 1); k++) {
                int j = a.column(k);
                double aij = a.value(k);
                for (int c = 0; c < r; c++) {
                    acc[c] += aij * load(x, f32, j, c);
                }
            }
            for (int c = 0; c < r; c++) {
                store(y, f32, i, c, acc[c]);
            }
        }
    }

    /** Never: the scalar engine keeps the CSR product; {@link #panelProduct} exists to check the layout. */
    @Override
    public boolean panelled(DType dtype, int rank) {
        return false;
    }

    /**
     * Reads the layout itself (padding included, each panel's row order), so that the contract tests check its
     * entries; each row summed in double over the panels and rounded once.
     */
    @Override
    public void panelProduct(SparsePanels a, DenseMatrix x, int chunk, DenseMatrix y) {
        boolean f32 = x.dtype() == DType.FLOAT32;
        int r = x.cols();
        int ns = a.slices();
        long n = a.rows();
        int first = a.chunkRow(chunk);
        double[][] acc = new double[a.chunkRow(chunk + 1) - first][r];
        MemorySegment positions = a.sliceRows();
        for (int p = 0; p < a.panels(); p++) {
            for (int s = a.chunkSlice(chunk); s < a.chunkSlice(chunk + 1); s++) {
                int at = positions.getAtIndex(ValueLayout.JAVA_INT, s);
                int nr = positions.getAtIndex(ValueLayout.JAVA_INT, s + 1) - at;
                long ks = a.starts().getAtIndex(ValueLayout.JAVA_LONG, p * (long) ns + s);
                long ke = a.starts().getAtIndex(ValueLayout.JAVA_LONG, p * (long) ns + s + 1);
                for (long k = ks; k < ke; k++) {
                    int q = (int) ((k - ks) % SparsePanels.SLICE);
                    if (q >= nr) {
                        continue; // a lane of padding only
                    }
                    int row = a.order().getAtIndex(ValueLayout.JAVA_INT, p * n + at + q);
                    int j = a.columns().getAtIndex(ValueLayout.JAVA_INT, k);
                    double w = f32 ? a.values().getAtIndex(ValueLayout.JAVA_FLOAT, k)
                            : a.values().getAtIndex(ValueLayout.JAVA_DOUBLE, k);
                    for (int c = 0; c < r; c++) {
                        acc[row - first][c] += w * load(x, f32, j, c);
                    }
                }
            }
        }
        for (int i = 0; i < acc.length; i++) {
            for (int c = 0; c < r; c++) {
                store(y, f32, first + i, c, acc[i][c]);
            }
        }
    }

    /**
     * Reads the aligned form itself, as {@link #panelProduct} reads a layout, all in the pass's last call (the last
     * chunk's last panel): MV by {@link #panelProduct} chunk by chunk, and each element of MᵀU summed in double over
     * the layout's entries (padding included) in the kernels' order (each slice's lanes 0 and 1 step by step, then
     * lanes 2 and 3: each column's rows in increasing order, so the sums depend on neither the panels nor the chunks)
     * and rounded once.
     */
    @Override
    public void panelFusedProduct(SparsePanels m, int chunk, int panel, DenseMatrix u, DenseMatrix v, DenseMatrix mv,
            DenseMatrix mtu) {
        if (chunk != m.requireAligned().chunks() - 1 || panel != m.panels() - 1) {
            return;
        }
        for (int c = 0; c < m.chunks(); c++) {
            panelProduct(m, v, c, mv);
        }
        boolean f32 = u.dtype() == DType.FLOAT32;
        int r = u.cols();
        int ns = m.slices();
        double[][] acc = new double[m.cols()][r];
        MemorySegment positions = m.sliceRows();
        for (int p = 0; p < m.panels(); p++) {
            for (int s = 0; s < ns; s++) {
                int first = positions.getAtIndex(ValueLayout.JAVA_INT, s);
                int nr = positions.getAtIndex(ValueLayout.JAVA_INT, s + 1) - first;
                long ks = m.starts().getAtIndex(ValueLayout.JAVA_LONG, p * (long) ns + s);
                long ke = m.starts().getAtIndex(ValueLayout.JAVA_LONG, p * (long) ns + s + 1);
                for (int pair = 0; pair < SparsePanels.SLICE; pair += 2) {
                    for (long k = ks + pair; k < ke; k++) {
                        int q = (int) ((k - ks) % SparsePanels.SLICE);
                        if (q < pair || q > pair + 1 || q >= nr) {
                            continue; // the other pair's, or a lane of padding only
                        }
                        int j = m.columns().getAtIndex(ValueLayout.JAVA_INT, k);
                        double w = f32 ? m.values().getAtIndex(ValueLayout.JAVA_FLOAT, k)
                                : m.values().getAtIndex(ValueLayout.JAVA_DOUBLE, k);
                        for (int c = 0; c < r; c++) {
                            acc[j][c] += w * load(u, f32, first + q, c);
                        }
                    }
                }
            }
        }
        for (int j = 0; j < acc.length; j++) {
            for (int c = 0; c < r; c++) {
                store(mtu, f32, j, c, acc[j][c]);
            }
        }
    }

    @Override
    public double observedPass(SparseMatrix m, DenseMatrix u, DenseMatrix v, int rowStart, int rowEnd,
            DenseMatrix pu, DenseMatrix pv) {
        return observed(m.rowStarts(), m.columnIndices(), m.values(), 1, m.rows(), u, v, rowStart, rowEnd, pu, pv);
    }

    /** Never: the scalar engine keeps the pass over M; the panelled pass exists to check the layout. */
    @Override
    public boolean panelledObserved(DType dtype, int rank) {
        return false;
    }

    /** Reads the layout itself, so that the contract tests check its entries. */
    @Override
    public double observedPass(CsrPanels m, DenseMatrix u, DenseMatrix v, int rowStart, int rowEnd, DenseMatrix pu,
            DenseMatrix pv) {
        return observed(m.starts(), m.columns(), m.values(), m.panels(), m.rows(), u, v, rowStart, rowEnd, pu, pv);
    }

    /**
     * The observed pass over entries laid out as {@link CsrPanels} lays them out (M's CSR: one panel). Each row's sums
     * (its pu row in double, its squares) are carried across the panels and finished in the last, so the results do
     * not depend on the panel count: pu rounded once per element, the squares summed per row and the rows' sums
     * added in row order.
     */
    private static double observed(MemorySegment starts, MemorySegment columns, MemorySegment values, int panels,
            int rows, DenseMatrix u, DenseMatrix v, int rowStart, int rowEnd, DenseMatrix pu, DenseMatrix pv) {
        boolean f32 = u.dtype() == DType.FLOAT32;
        int r = u.cols();
        // one row's sums at a time over one panel, the range's rows' across several
        int held = panels == 1 ? 1 : Math.max(0, rowEnd - rowStart);
        double[][] acc = new double[held][r];
        double[] rowSq = new double[held];
        double sumSq = 0.0;
        for (int p = 0; p < panels; p++) {
            for (int i = rowStart; i < rowEnd; i++) {
                int h = panels == 1 ? 0 : i - rowStart;
                if (p == 0) {
                    Arrays.fill(acc[h], 0.0);
                    rowSq[h] = 0.0;
                }
                long at = (long) p * rows + i;
                for (long k = starts.getAtIndex(ValueLayout.JAVA_LONG, at);
                        k < starts.getAtIndex(ValueLayout.JAVA_LONG, at + 1); k++) {
                    int j = columns.getAtIndex(ValueLayout.JAVA_INT, k);
                    double e = residual(u, v, f32, i, j, ScalarKernels.load(values, f32, k));
                    rowSq[h] += e * e;
                    for (int a = 0; a < r; a++) {
                        acc[h][a] -= e * load(v, f32, j, a);
                        store(pv, f32, j, a, load(pv, f32, j, a) - e * load(u, f32, i, a));
                    }
                }
                if (p == panels - 1) {
                    for (int a = 0; a < r; a++) {
                        store(pu, f32, i, a, acc[h][a]);
                    }
                    sumSq += rowSq[h];
                }
            }
        }
        return sumSq;
    }

    @Override
    public double residualSquared(SparseMatrix m, DenseMatrix u, DenseMatrix v, int rowStart, int rowEnd) {
        boolean f32 = m.dtype() == DType.FLOAT32;
        double sumSq = 0.0;
        for (int i = rowStart; i < rowEnd; i++) {
            for (long k = m.rowStart(i); k < m.rowStart(i + 1); k++) {
                double e = residual(u, v, f32, i, m.column(k), m.value(k));
                sumSq += e * e;
            }
        }
        return sumSq;
    }

    /** uᵢ·vⱼ − mij, the dot product in double. */
    private static double residual(DenseMatrix u, DenseMatrix v, boolean f32, int i, int j, double mij) {
        double uv = 0.0;
        for (int a = 0; a < u.cols(); a++) {
            uv += load(u, f32, i, a) * load(v, f32, j, a);
        }
        return uv - mij;
    }

    /** Element (i, a) of a factor-shaped matrix. */
    private static double load(DenseMatrix x, boolean f32, int i, int a) {
        return ScalarKernels.load(x.segment(), f32, (long) i * x.stride() + a);
    }

    private static void store(DenseMatrix x, boolean f32, int i, int a, double value) {
        ScalarKernels.store(x.segment(), f32, (long) i * x.stride() + a, value);
    }
}
