package org.autobalance.cli;

import java.util.ArrayList;
import java.util.List;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.observe.IterationListener;
import org.autobalance.observe.IterationRecord;
import org.autobalance.schedule.StepSchedule;
import org.autobalance.solve.DivergenceException;
import org.autobalance.solve.Factorizer;
import org.autobalance.solve.Initializer;
import org.autobalance.solve.Result;
import org.autobalance.solve.Variant;
import org.autobalance.solve.internal.Imbalance;
import org.autobalance.synthetic.KnownMatrices;

/**
 * One float64 solver run of a reproduction experiment: sampled records, the running second-order drift bound over
 * every step, the final factors, and whether it diverged.
 */
final class Trace implements IterationListener {
    final List<IterationRecord> records = new ArrayList<>();
    /** Σ_t 2η_t²·f_t·(‖U_t‖²_F + ‖V_t‖²_F) over all steps: bounds ‖D_T − D_0‖_F for simultaneous GD (§1.4). */
    double driftBound;
    /** Σ_t ‖U_tᵀU_t − V_tᵀV_t‖_F over the iterations before the last target was reached (all, if it was not). */
    double balanceSum;
    /** The first record, the iteration at which the relative error first fell to each target, and the last. */
    IterationRecord first;
    IterationRecord last;
    final double[] targets;
    final long[] reachedAt;
    double[][] u;
    double[][] v;
    String diverged;
    private final int sampleEvery;
    private final double normM;

    private Trace(int sampleEvery, double normM, double... targets) {
        this.sampleEvery = sampleEvery;
        this.normM = normM;
        this.targets = targets;
        this.reachedAt = new long[targets.length];
        java.util.Arrays.fill(reachedAt, -1);
    }

    /**
     * Runs {@code iterations} steps, without the gradient test (tolerance 0) — or fewer, where the rounded step stops
     * moving U and V ({@code stalled}: a fixed point, near the optimum in these experiments, whose later iterations
     * would each repeat the last record, add drift terms of steps that change nothing, and leave the factors as they
     * are; {@link #last} is then the last iteration run). Relative errors come from the exact residual when
     * {@code exactEvery} is 1 (needed below √u ≈ 1e-8), else from the one-pass identity.
     */
    static Trace run(DenseMatrix m, int rank, Variant variant, StepSchedule schedule, Initializer init,
            long iterations, long exactEvery, int sampleEvery, double... targets) {
        Trace trace = new Trace(sampleEvery, KnownMatrices.frobenius(m), targets);
        Factorizer.Builder b = Factorizer.builder(m, rank).variant(variant).schedule(schedule).initializer(init)
                .maxIterations(iterations).tolerance(0).threads(1).seed(7).exactLossEvery(exactEvery).listener(trace);
        try (Result result = b.build().run()) {
            trace.u = result.u().toArray();
            trace.v = result.v().toArray();
        } catch (DivergenceException e) {
            trace.diverged = e.getMessage();
        }
        return trace;
    }

    /** As {@link #run}, from the given starting factors (copied). */
    static Trace runFrom(DenseMatrix m, double[][] u0, double[][] v0, Variant variant, StepSchedule schedule,
            long iterations, long exactEvery, int sampleEvery, double... targets) {
        try (DenseMatrix u = DenseMatrix.of(DType.FLOAT64, u0);
                DenseMatrix v = DenseMatrix.of(DType.FLOAT64, v0)) {
            return run(m, u0[0].length, variant, schedule, Initializer.given(u, v), iterations, exactEvery,
                    sampleEvery, targets);
        }
    }

    @Override
    public void onIteration(IterationRecord r) {
        if (first == null) {
            first = r;
        }
        last = r;
        driftBound += Imbalance.driftBoundTerm(r);
        if (reachedAt.length == 0 || reachedAt[reachedAt.length - 1] < 0) {
            balanceSum += r.balance();
        }
        double rel = relativeError(r);
        for (int k = 0; k < targets.length; k++) {
            if (reachedAt[k] < 0 && rel <= targets[k]) {
                reachedAt[k] = r.iteration();
            }
        }
        if (r.iteration() % sampleEvery == 0) {
            records.add(r);
        }
    }

    /** ‖U_tV_tᵀ − M‖_F/‖M‖_F of a record. */
    double relativeError(IterationRecord r) {
        return Math.sqrt(2 * Math.max(r.loss(), 0)) / normM;
    }

    /** The sampled records' iterations, as doubles. */
    double[] t() {
        return records.stream().mapToDouble(IterationRecord::iteration).toArray();
    }

    double[] relativeErrors() {
        return records.stream().mapToDouble(this::relativeError).toArray();
    }

    double[] normRatios() {
        return records.stream().mapToDouble(r -> r.normU() / r.normV()).toArray();
    }

    double[] balances() {
        return records.stream().mapToDouble(IterationRecord::balance).toArray();
    }

    /** ‖D_T − D_0‖_F between the given start and the final factors (NaN if diverged). */
    double drift(double[][] u0, double[][] v0) {
        return u == null ? Double.NaN : Imbalance.drift(Imbalance.of(u0, v0), Imbalance.of(u, v));
    }

    /** The rank-1 float64 matrix x·yᵀ. */
    static DenseMatrix outer(double[] x, double[] y) {
        DenseMatrix m = DenseMatrix.allocate(DType.FLOAT64, x.length, y.length);
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < y.length; j++) {
                m.set(i, j, x[i] * y[j]);
            }
        }
        return m;
    }
}
