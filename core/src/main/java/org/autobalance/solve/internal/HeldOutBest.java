package org.autobalance.solve.internal;

import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.solve.Checkpoint;
import org.autobalance.solve.Factorizer;

/**
 * The iterate with the lowest held-out RMSE of a run of the observed-entries loss with held-out entries. Every such
 * run tracks it (the summary's {@code best_test_rmse}, {@code best_test_iteration}): with λ = 0 the small start is
 * the only regulariser, and the held-out error typically falls to near the noise level and then rises again as the
 * factors fit the noise of the observed entries (native-notes/sparse.md, "Early stopping"). With a patience
 * ({@link Factorizer.Builder#earlyStopping}) it also keeps a copy of that iterate's U and V, ends the run when the
 * RMSE has not improved for that many iterations, and gives the copy back as the result.
 *
 * <p>An iterate is counted by the updates that made it: iterate t is U, V after t updates, the factors the held-out
 * RMSE of iteration t's record was measured at (before that iteration's update).
 */
public final class HeldOutBest implements AutoCloseable {
    private final long patience;
    private final DenseMatrix bestU;
    private final DenseMatrix bestV;
    private long bestIteration = -1;
    private double bestRmse = Double.POSITIVE_INFINITY;

    /**
     * @param patience iterations without improvement before the run stops; 0 tracks the best without keeping it
     */
    public HeldOutBest(long patience, DType dtype, int d1, int d2, int rank) {
        this.patience = patience;
        if (patience > 0) {
            bestU = DenseMatrix.allocate(dtype, d1, rank);
            try {
                bestV = DenseMatrix.allocate(dtype, d2, rank);
            } catch (RuntimeException | Error e) {
                bestU.close();
                throw e;
            }
        } else {
            bestU = null;
            bestV = null;
        }
    }

    /** Whether the run keeps the best iterate and returns it (a patience was given). */
    public boolean keeps() {
        return patience > 0;
    }

    /** Iterate {@code t} (U, V now) has held-out RMSE {@code rmse}: kept if it is the lowest so far. */
    public void offer(long t, double rmse, DenseMatrix u, DenseMatrix v) {
        if (rmse < bestRmse) {
            bestRmse = rmse;
            bestIteration = t;
            if (bestU != null) {
                bestU.copyFrom(u);
                bestV.copyFrom(v);
            }
        }
    }

    /** Whether iterate {@code t} is the patience's worth of iterations past the best one. */
    public boolean patienceRunOut(long t) {
        return patience > 0 && bestIteration >= 0 && t - bestIteration >= patience;
    }

    /**
     * Forgets the best so far: the run went back to its start ({@code auto}'s back-off), abandoning the iterates
     * before, and is from there what a run with the halved step from the start would be. Kept, the best of the
     * abandoned iterates ended the restarted run at once: the patience counted from it while the new start was still
     * growing (a completion that ran away at iteration 54 early-stopped at 70 with iterate 50, relative error 0.41 and
     * held-out RMSE 1.26; now at 237 with iterate 217, 0.19 and 0.62).
     */
    public void forget() {
        bestIteration = -1;
        bestRmse = Double.POSITIVE_INFINITY;
    }

    /** Puts the best iterate into {@code u} and {@code v}, if one is kept. */
    public void restoreBest(DenseMatrix u, DenseMatrix v) {
        if (bestU != null && bestIteration >= 0) {
            u.copyFrom(bestU);
            v.copyFrom(bestV);
        }
    }

    /** The lowest held-out RMSE seen, +∞ before any. */
    public double bestRmse() {
        return bestRmse;
    }

    /** The iterate that had it, −1 before any. */
    public long bestIteration() {
        return bestIteration;
    }

    /** Saves the state into a checkpoint being written. */
    void saveTo(CheckpointWriter w) {
        w.exact("best_test_rmse", bestRmse).exact("best_test_iteration", bestIteration);
        if (bestU != null) {
            w.matrix("best_U", bestU).matrix("best_V", bestV);
        }
    }

    /** Restores the state of a checkpoint written by {@link #saveTo} (a checkpoint without one leaves it fresh). */
    public void restoreFrom(Checkpoint c) {
        if (CheckpointReader.field(c, "best_test_rmse") == null) {
            return;
        }
        bestRmse = CheckpointReader.exact(c, "best_test_rmse");
        bestIteration = (long) CheckpointReader.exact(c, "best_test_iteration");
        if (bestU != null && bestIteration >= 0) {
            CheckpointReader.restore(c, "best_U", bestU);
            CheckpointReader.restore(c, "best_V", bestV);
        }
    }

    @Override
    public void close() {
        if (bestU != null) {
            bestU.close();
            bestV.close();
        }
    }
}
