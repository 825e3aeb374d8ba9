package org.autobalance.solve.internal;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.autobalance.kernel.FactorKernels;
import org.autobalance.kernel.SparseKernels;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.Float32RangeException;
import org.autobalance.memory.SparseMatrix;
import org.autobalance.parallel.IterationEngine;
import org.autobalance.parallel.ParallelPass;

/**
 * The power passes of the observed-entries loss's plateau test: its residual is R_Ω = P_Ω(M − UVᵀ), M's stored
 * entries minus the model there, not M − UVᵀ, so it is not M's pass corrected by U(Vᵀx) as the full loss's is
 * ({@link SpectralNorm.Engines#withFactors}). Each residual power iteration forms R_Ω once, at the factors of that
 * moment, as a sparse matrix of M's pattern (O(nnz·r) work, M's size in memory while the test runs), and runs the
 * full loss's sparse passes over it.
 *
 * <p>Along a direction w in which U and V are (nearly) zero, moving by (εa wᵀ, εb wᵀ) changes the observed loss by
 * −ε²·aᵀR_Ωb + ε²·λ(‖a‖² + ‖b‖²)/2 + O(ε⁴): a way down exists when σ₁(R_Ω) exceeds λ. Eckart–Young's description of
 * the full loss's minimisers has no counterpart here, so the test asks only for that escape ({@link #eckartYoung}).
 *
 * @param lambda the objective's weight decay λ ({@code observed:LAMBDA})
 */
public record ObservedResidual(FactorKernels kernels, SparseKernels sparseKernels, ParallelPass pass, SparseMatrix m,
        double lambda, DenseMatrix u, DenseMatrix v) implements PowerPasses {

    /**
     * The native bytes a test holds beside the run's (a floor, as {@link IterationEngine#panelBytes}): R_Ω, and its
     * transposed copy or the full loss's 1-column layouts over it (not shared with M's: another matrix).
     */
    public static long bytes(SparseKernels sparseKernels, SparseMatrix m, int threads) {
        long layouts = IterationEngine.panelBytes(sparseKernels, m, false, 1, threads);
        return SparseMatrix.bytes(m.dtype(), m.rows(), m.nonZeros())
                + (layouts > 0 ? layouts : SparseMatrix.bytes(m.dtype(), m.cols(), m.nonZeros()));
    }

    @Override
    public DType dtype() {
        return m.dtype();
    }

    @Override
    public int rows() {
        return m.rows();
    }

    @Override
    public int cols() {
        return m.cols();
    }

    @Override
    public boolean eckartYoung() {
        return false;
    }

    @Override
    public double ridge() {
        return lambda;
    }

    @Override
    public double density() {
        return (double) m.nonZeros() / ((double) m.rows() * m.cols());
    }

    @Override
    public Blocks open(DenseMatrix y0, DenseMatrix x, boolean residual) {
        if (!residual) {
            return SpectralNorm.Engines.sparse(kernels, sparseKernels, pass, m).open(y0, x, false);
        }
        SparseMatrix r = residualAtFactors();
        try {
            Blocks blocks = SpectralNorm.Engines.sparse(kernels, sparseKernels, pass, r).open(y0, x, false);
            return new Blocks() {
                @Override
                public void pass() {
                    blocks.pass();
                }

                @Override
                public DenseMatrix aty() {
                    return blocks.aty();
                }

                @Override
                public double[] gramY() {
                    return blocks.gramY();
                }

                @Override
                public double[] gramX() {
                    return blocks.gramX();
                }

                @Override
                public double imageNorm() {
                    return blocks.imageNorm();
                }

                @Override
                public void step(double[] a, double eta) {
                    blocks.step(a, eta);
                }

                @Override
                public void scaleImage(double s) {
                    blocks.scaleImage(s);
                }

                @Override
                public void close() {
                    try {
                        blocks.close();
                    } finally {
                        r.close();
                    }
                }
            };
        } catch (RuntimeException | Error e) {
            r.close();
            throw e;
        }
    }

    /**
     * R_Ω at the current factors: a copy of M, each value Mᵢⱼ − uᵢ·vⱼ (the products summed in double in rank order,
     * then rounded to M's dtype once). Each value depends on its entry alone, so the rows are shared among the pass's
     * threads (chunks of equal stored entries) and the result is the same for every thread count.
     */
    SparseMatrix residualAtFactors() {
        SparseMatrix r = m.copy();
        try {
            pass.run((chunk, start, end) -> {
                subtractModel(r, start, end);
                return 0.0;
            }, IterationEngine.equalWork(m, pass.threads()));
            return r;
        } catch (RuntimeException | Error e) {
            r.close();
            throw e;
        }
    }

    /** Rows [start, end) of {@code r}, a copy of M: each stored value minus the model's uᵢ·vⱼ. */
    private void subtractModel(SparseMatrix r, int start, int end) {
        int rank = u.cols();
        double[] ui = new double[rank];
        MemorySegment rowStarts = r.rowStarts();
        MemorySegment columns = r.columnIndices();
        MemorySegment values = r.values();
        MemorySegment vs = v.segment();
        long sv = v.stride();
        boolean single = r.dtype() == DType.FLOAT32;
        for (int i = start; i < end; i++) {
            for (int c = 0; c < rank; c++) {
                ui[c] = u.get(i, c);
            }
            long rowEnd = rowStarts.getAtIndex(ValueLayout.JAVA_LONG, i + 1);
            for (long k = rowStarts.getAtIndex(ValueLayout.JAVA_LONG, i); k < rowEnd; k++) {
                int j = columns.getAtIndex(ValueLayout.JAVA_INT, k);
                long vj = j * sv;
                double model = 0.0;
                for (int c = 0; c < rank; c++) {
                    model += ui[c] * (single ? vs.getAtIndex(ValueLayout.JAVA_FLOAT, vj + c)
                            : vs.getAtIndex(ValueLayout.JAVA_DOUBLE, vj + c));
                }
                if (single) {
                    double x = values.getAtIndex(ValueLayout.JAVA_FLOAT, k) - model;
                    values.setAtIndex(ValueLayout.JAVA_FLOAT, k, Float32RangeException.round(x, i, j));
                } else {
                    double x = values.getAtIndex(ValueLayout.JAVA_DOUBLE, k) - model;
                    values.setAtIndex(ValueLayout.JAVA_DOUBLE, k, x);
                }
            }
        }
    }
}
