package org.autobalance.solve.internal;

import java.util.List;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.observe.IterationRecord;

/**
 * The imbalance D = UᵀU − VᵀV (r × r, row-major), the matrix gradient flow conserves, and its drift between two
 * iterates: for experiments and benchmarks that need D itself rather than the ‖D‖_F of the iteration records.
 */
public final class Imbalance {
    private Imbalance() {
    }

    /** UᵀU − VᵀV of factors with r columns each, accumulated in double. */
    public static double[] of(DenseMatrix u, DenseMatrix v) {
        int r = u.cols();
        if (v.cols() != r) {
            throw new IllegalArgumentException("U has " + r + " columns but V has " + v.cols());
        }
        double[] d = new double[r * r];
        accumulate(u, d, 1.0);
        accumulate(v, d, -1.0);
        return d;
    }

    /** As {@link #of(DenseMatrix, DenseMatrix)} for factors given as arrays (rows of length r). */
    public static double[] of(double[][] u, double[][] v) {
        int r = u[0].length;
        double[] d = new double[r * r];
        for (int sign = 1; sign >= -1; sign -= 2) {
            for (double[] row : sign > 0 ? u : v) {
                for (int a = 0; a < r; a++) {
                    for (int b = 0; b < r; b++) {
                        d[a * r + b] += sign * row[a] * row[b];
                    }
                }
            }
        }
        return d;
    }

    /**
     * One iteration's term of the a-posteriori bound on the drift of simultaneous GD: 2η_t²·f_t·(‖U_t‖²_F + ‖V_t‖²_F).
     * Per step ΔD = η²(VᵀRᵀRV − UᵀRRᵀU), and ‖AᵀA‖_F ≤ ‖A‖²_F ≤ ‖R‖²_F‖B‖²_F for A = RB (paper-notes §1.4).
     */
    public static double driftBoundTerm(IterationRecord r) {
        return 2 * r.eta() * r.eta() * r.loss() * (r.normU() * r.normU() + r.normV() * r.normV());
    }

    /** The running bound after each record: entry t is Σ_{s&lt;t} {@link #driftBoundTerm} ≥ ‖D_t − D_0‖_F. */
    public static double[] driftBound(List<IterationRecord> records) {
        double[] bound = new double[records.size() + 1];
        for (int t = 0; t < records.size(); t++) {
            bound[t + 1] = bound[t] + driftBoundTerm(records.get(t));
        }
        return bound;
    }

    /** ‖D₁ − D₀‖_F. */
    public static double drift(double[] d0, double[] d1) {
        return SmallLinearAlgebra.distance(d0, d1);
    }

    private static void accumulate(DenseMatrix x, double[] d, double sign) {
        int r = x.cols();
        for (int i = 0; i < x.rows(); i++) {
            for (int a = 0; a < r; a++) {
                double xa = sign * x.get(i, a);
                for (int b = 0; b < r; b++) {
                    d[a * r + b] += xa * x.get(i, b);
                }
            }
        }
    }
}
