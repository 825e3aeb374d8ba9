package org.autobalance.bench.baseline;

import org.autobalance.memory.DenseMatrix;

/**
 * What the OpenBLAS baselines share: M, U and V (not owned; U and V are stepped in place) and a thread count, which
 * is set again before every iteration because OpenBLAS's is process-wide (another baseline may have changed it).
 */
abstract class OpenBlasIteration implements GdIteration {
    final DenseMatrix m;
    final DenseMatrix u;
    final DenseMatrix v;
    private final int threads;

    OpenBlasIteration(DenseMatrix m, DenseMatrix u, DenseMatrix v, int threads) {
        this.m = m;
        this.u = u;
        this.v = v;
        this.threads = threads;
        OpenBlas.setThreads(threads);
    }

    @Override
    public final void iterate(double eta) {
        OpenBlas.setThreads(threads);
        step(eta);
    }

    /** One iteration, U ← U − η∇_U and V ← V − η∇_V, with OpenBLAS's threads set. */
    abstract void step(double eta);
}
