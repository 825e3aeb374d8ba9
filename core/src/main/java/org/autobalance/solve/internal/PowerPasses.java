package org.autobalance.solve.internal;

import java.util.List;
import java.util.function.BooleanSupplier;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.observe.IterationListener;
import org.autobalance.schedule.StepSchedule;
import org.autobalance.solve.Initializer;
import org.autobalance.solve.Variant;

/**
 * The passes over one M that the solver's power iterations run — σ₁(M) for the default step and initialisation, and
 * σ₁(M − UVᵀ) for the stop rule's plateau test — abstracted from where M lives. The solver's own implementation runs
 * them on its worker team; another may run them where M's rows are (the Spark module: one job per pass, the row-side
 * block in M's partitions), so that both use the same estimates and the same stop rule.
 *
 * <p>A power iteration holds two blocks of b columns: X (d2 × b) with the caller, who reads and writes it between
 * passes, and Y (d1 × b), the row side, held by the {@link Blocks} (in this process or with M's rows). Each pass over
 * the operator A (M, or R = M − UVᵀ at the solver's current factors) computes AX, which stays with Y, and AᵀY.
 */
public interface PowerPasses {
    /** M's precision. */
    DType dtype();

    /** d1. */
    int rows();

    /** d2. */
    int cols();

    /**
     * Whether Eckart–Young describes the minimisers of the loss whose residual {@link #open} passes over: true for the
     * full loss (R = M − UVᵀ); false for the observed-entries loss, whose plateau test asks only for an escape along
     * an unlearned direction ({@link ObservedResidual}).
     */
    default boolean eckartYoung() {
        return true;
    }

    /**
     * λ of a weight decay (λ/2)(‖U‖²_F + ‖V‖²_F) in the loss, 0 for none: along an unlearned direction the loss
     * curves by λ − σ₁(R), so an escape needs σ₁(R) above λ.
     */
    default double ridge() {
        return 0;
    }

    /**
     * The share of M's entries that the loss reads: 1 for the full loss, |Ω|/(d1·d2) for the observed entries', whose
     * gradient at an error E in the fit is about that share of the full loss's ({@link EckartYoungCheck}'s fit test).
     */
    default double density() {
        return 1;
    }

    /**
     * Blocks for one power iteration.
     *
     * @param y0 Y's start (d1 × b): the blocks may keep it as Y's storage and overwrite it, so the caller closes it
     *     only after the blocks
     * @param x X (d2 × b), read by each pass
     * @param residual whether A is R = M − UVᵀ at the solver's current factors (b = 1) rather than M
     */
    Blocks open(DenseMatrix y0, DenseMatrix x, boolean residual);

    /**
     * σ₁(M) for a run with this schedule, start and variant, by block power iteration with {@code block} columns per
     * chain ({@code normM} = ‖M‖_F, the first scale) in as many passes as the run's uses of σ₁ need, asking
     * {@code stop} before every pass after the first and telling the listeners
     * ({@link IterationListener#onSpectralNorm}) — the solver's own estimate and stop rule
     * ({@code SpectralNorm.forRun}).
     */
    default double spectralNorm(StepSchedule schedule, Initializer start, Variant variant, int block, double normM,
            long seed, BooleanSupplier stop, List<? extends IterationListener> listeners) {
        return SpectralNorm.forRun(this, schedule, start, variant, block, normM, seed, stop, listeners);
    }

    /**
     * btw += Bᵀw over rows {@code [from, to)} of B (· × r) and the column w, summed in double row by row: one term of
     * the residual's correction (an implementation elsewhere sums its row blocks in order).
     */
    static void addTransposedProduct(DenseMatrix b, DenseMatrix w, int from, int to, double[] btw) {
        int r = b.cols();
        for (int j = from; j < to; j++) {
            double wj = w.get(j, 0);
            for (int c = 0; c < r; c++) {
                btw[c] += b.get(j, c) * wj;
            }
        }
    }

    /** z_i −= (A·btw)_i for rows {@code [from, to)} of the column z and of A (· × r): the residual's correction. */
    static void subtractProduct(DenseMatrix z, DenseMatrix a, double[] btw, int from, int to) {
        int r = a.cols();
        for (int i = from; i < to; i++) {
            double s = 0.0;
            for (int c = 0; c < r; c++) {
                s += a.get(i, c) * btw[c];
            }
            z.set(i, 0, z.get(i, 0) - s);
        }
    }

    /** to ← scale·from, for columns of the same length. */
    static void copyScaled(DenseMatrix from, DenseMatrix to, double scale) {
        for (int i = 0; i < from.rows(); i++) {
            to.set(i, 0, from.get(i, 0) * scale);
        }
    }

    /** The two blocks of one power iteration and the results of its last pass. */
    interface Blocks extends AutoCloseable {
        /** One pass at (Y, X): AX (kept with Y), AᵀY, and for A = M the Grams YᵀY and XᵀX. */
        void pass();

        /** AᵀY of the last pass (d2 × b; the caller may read it until the next pass). */
        DenseMatrix aty();

        /** YᵀY at the last pass (b × b, row-major; A = M only). */
        double[] gramY();

        /** XᵀX at the last pass (b × b, row-major; A = M only). */
        double[] gramX();

        /** ‖AX‖_F of the last pass. */
        double imageNorm();

        /** The solver's gradient step with coefficients {@code a}: Y −= η(Y·a − AX) and X −= η(X·a − AᵀY). */
        void step(double[] a, double eta);

        /** Y ← s·AX (X is the caller's to set). */
        void scaleImage(double s);

        /** Frees what the blocks hold (native memory, cached partitions); not the caller's y0 and x. */
        @Override
        void close();
    }
}
