package org.autobalance.parallel;

import java.util.Objects;
import java.util.function.Supplier;
import org.autobalance.kernel.FactorKernels;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.kernel.SparseKernels;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;
import org.autobalance.solve.Factorizer;

/**
 * Internal (not exported by the module; the benchmarks use it from the class path). One bare iteration of the
 * solver's engine, for benchmarks that compare it with other implementations of the same
 * step: U ← U − η(U·VᵀV − MV), V ← V − η(V·UᵀU − MᵀU), both from the old iterate.
 *
 * <p>It runs exactly the engine calls of an iteration of {@link Factorizer} (the fused pass with its reduction, then
 * the step on both factors), so after t calls from the same start, with the same kernels and thread count, U and V
 * hold the same bits as a {@code Factorizer} run of t iterations with that constant step and tolerance 0. It skips
 * only the O(r²) bookkeeping of the iteration record. Timing {@link #iterate} therefore times the solver's iteration
 * without setup (allocation, ‖M‖², σ₁, initialisation) and without listeners.
 *
 * <p>Not a solver: no validation beyond shapes, no divergence checks, no records. The factors are the caller's and
 * are updated in place; write them only before the first {@link #iterate} (each step leaves the Grams of the factors
 * it wrote for the next call, which would not see a write in between). The worker threads and scratch memory are
 * owned here and freed by {@link #close()}.
 */
public final class EngineIteration implements AutoCloseable {
    private final ParallelPass pass;
    private final IterationEngine engine;
    private final String kernelName;
    /** The zero coefficients of the observed loss with λ = 0 (its pass leaves the whole gradient), else null. */
    private final double[] observedCoefficients;

    /**
     * @param m the data matrix, d1 × d2 (not modified)
     * @param u the left factor, d1 × r (modified by {@link #iterate})
     * @param v the right factor, d2 × r (modified by {@link #iterate})
     * @param threads worker threads of the parallel pass, ≥ 1
     */
    public EngineIteration(DenseMatrix m, DenseMatrix u, DenseMatrix v, int threads) {
        this(KernelProvider.kernels(), m, u, v, threads);
    }

    /** As {@link #EngineIteration(DenseMatrix, DenseMatrix, DenseMatrix, int)} with the given kernels. */
    public EngineIteration(FactorKernels kernels, DenseMatrix m, DenseMatrix u, DenseMatrix v, int threads) {
        Objects.requireNonNull(kernels, "kernels");
        check(m.rows(), m.cols(), m.dtype(), u, v);
        this.kernelName = kernels.name();
        this.observedCoefficients = null;
        this.pass = new ParallelPass(threads);
        this.engine = engine(() -> new IterationEngine(kernels, pass, m, u, v));
    }

    /**
     * One bare iteration on a sparse M with the chosen kernels: the full loss (as a {@code Factorizer} run on the
     * sparse M), or with {@code observed} the observed-entries loss with λ = 0 (its step is U −= η·R_ΩV,
     * V −= η·R_ΩᵀU from one pass over the stored entries).
     */
    public EngineIteration(FactorKernels kernels, SparseKernels sparseKernels, SparseMatrix m, DenseMatrix u,
            DenseMatrix v, int threads, boolean observed) {
        Objects.requireNonNull(kernels, "kernels");
        Objects.requireNonNull(sparseKernels, "sparse kernels");
        check(m.rows(), m.cols(), m.dtype(), u, v);
        this.kernelName = sparseKernels.name();
        this.observedCoefficients = observed ? new double[u.cols() * u.cols()] : null;
        this.pass = new ParallelPass(threads);
        this.engine = engine(() -> new IterationEngine(kernels, sparseKernels, pass, m, observed, null, u, v));
    }

    private static void check(int rows, int cols, DType dtype, DenseMatrix u, DenseMatrix v) {
        if (u.rows() != rows || v.rows() != cols || u.cols() != v.cols()) {
            throw new IllegalArgumentException("shapes do not fit: M " + rows + " x " + cols + ", U "
                    + u.rows() + " x " + u.cols() + ", V " + v.rows() + " x " + v.cols());
        }
        if (u.dtype() != dtype || v.dtype() != dtype) {
            throw new IllegalArgumentException("M, U and V must share one dtype");
        }
    }

    private IterationEngine engine(Supplier<IterationEngine> create) {
        try {
            return create.get();
        } catch (RuntimeException | Error ex) {
            pass.close();
            throw ex;
        }
    }

    /**
     * One simultaneous gradient step with step size {@code eta}.
     *
     * @return the squared gradient norm at the old iterate (the solver's stop test uses it)
     */
    public double iterate(double eta) {
        engine.fusedPass();
        return observedCoefficients != null ? engine.step(observedCoefficients, observedCoefficients, eta)
                : engine.step(engine.gramV, engine.gramU, eta);
    }

    /** The kernels' short name, e.g. {@code scalar}. */
    public String kernelName() {
        return kernelName;
    }

    @Override
    public void close() {
        try {
            engine.close();
        } finally {
            pass.close();
        }
    }
}
