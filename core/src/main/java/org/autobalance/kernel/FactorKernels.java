package org.autobalance.kernel;

import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;

/**
 * The few operations one gradient-descent iteration needs, each over a range of rows so that the parallel pass can
 * split the work. The solver never names an implementation: it obtains one from {@link KernelProvider}.
 *
 * <p>Shapes: M is d1 × d2, U and MV are d1 × r, V and MᵀU are d2 × r, Gram and coefficient matrices are r × r in
 * row-major {@code double[]}. All matrices of one call share one {@link org.autobalance.memory.DType}; callers
 * validate shapes and dtypes once, at the public boundary, so implementations do not check them again.
 * Implementations keep the zero padding of every row they write (see {@link DenseMatrix}).
 *
 * <p>Every method is deterministic: the same inputs give the same bits, whatever the thread and however warm the JIT.
 */
public interface FactorKernels {

    /** A short name for logs and benchmark tables, e.g. {@code scalar}, {@code simd-256} or {@code simd-256+512}
     * (256-bit vectors, 512-bit for the fused pass at large rank). */
    String name();

    /**
     * The fused pass over rows {@code [rowStart, rowEnd)} of M, reading each element of those rows once.
     *
     * <ul>
     *   <li>{@code mv} (modified): row i is overwritten with M[i,:]·V for every i in the range; other rows untouched.
     *   <li>{@code mtu} (modified): {@code mtu[j,:] += Σ_i M[i,j]·U[i,:]} over the range, for every j in [0, d2).
     * </ul>
     * {@code m}, {@code u}, {@code v} are not modified.
     */
    void fusedPass(DenseMatrix m, DenseMatrix u, DenseMatrix v, int rowStart, int rowEnd, DenseMatrix mv,
            DenseMatrix mtu);

    /**
     * Whether {@link #fusedPass} may be given a block of M's columns ({@link
     * org.autobalance.memory.internal.MatrixViews#columns}, with V's and MᵀU's rows of those columns) at {@code rank}:
     * the multiple of columns at which such a block may begin and, except the last, end; 0 where it may not (a kernel
     * that reads a row to its stride, as the padding it may assume is zero, would read the next block's columns).
     * The engine's 2-D grid asks it.
     */
    default int columnBlock(DType dtype, int rank) {
        return 0;
    }

    /**
     * Adds the Gram matrix of rows {@code [rowStart, rowEnd)} of X to {@code gram} (modified, r × r row-major,
     * full symmetric matrix): {@code gram[a·r + b] += Σ_i X[i,a]·X[i,b]}, accumulated in double precision.
     */
    void gram(DenseMatrix x, int rowStart, int rowEnd, double[] gram);

    /**
     * One gradient step on rows {@code [rowStart, rowEnd)} of a factor whose gradient has the form G = X·A − P:
     * {@code X[i,:] -= eta·(X[i,:]·A − P[i,:])}, with the right-hand side evaluated from the old X.
     *
     * @param x the factor (modified)
     * @param p the data term, MV or MᵀU (not modified)
     * @param a the r × r coefficient matrix, row-major, e.g. VᵀV (not modified)
     * @return Σ over the rows of ‖X[i,:]·A − P[i,:]‖², the squared gradient norm of those rows, in double
     */
    double gradientStep(DenseMatrix x, DenseMatrix p, double[] a, double eta, int rowStart, int rowEnd);

    /**
     * {@link #gradientStep}, and then the Gram matrix of the stepped rows of the new X added to {@code gram}
     * (modified): the bits of {@link #gram gram(x, rowStart, rowEnd, gram)} called after the step, so an iteration can
     * take the next UᵀU and VᵀV from its step instead of a sweep over the factors. An implementation may form both
     * in one sweep (the SIMD kernels add each block of new rows while it is in L1).
     *
     * @return as {@link #gradientStep}
     */
    default double gradientStepAndGram(DenseMatrix x, DenseMatrix p, double[] a, double eta, int rowStart, int rowEnd,
            double[] gram) {
        double squared = gradientStep(x, p, a, eta, rowStart, rowEnd);
        gram(x, rowStart, rowEnd, gram);
        return squared;
    }

    /** Σ over rows {@code [rowStart, rowEnd)} of ⟨X[i,:], Y[i,:]⟩, accumulated in double. */
    double dot(DenseMatrix x, DenseMatrix y, int rowStart, int rowEnd);

    /**
     * The exact squared residual Σ_{i in range} Σ_j (U[i,:]·V[j,:] − M[i,j])², forming residual rows on the fly
     * (never the whole residual), accumulated in double. Used for the exact loss at checkpoints and at the end.
     */
    double residualSquared(DenseMatrix m, DenseMatrix u, DenseMatrix v, int rowStart, int rowEnd);
}
