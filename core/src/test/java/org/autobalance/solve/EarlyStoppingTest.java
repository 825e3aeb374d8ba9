package org.autobalance.solve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;
import org.autobalance.observe.IterationRecord;
import org.autobalance.observe.Trajectory;
import org.autobalance.synthetic.KnownMatrices;
import org.autobalance.testing.Dense;
import org.autobalance.testing.OldCheckpoints;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Early stopping on held-out entries: the run returns the iterate with the lowest held-out RMSE, which is checked
 * against runs that stop there by their iteration limit (same bits) and against the records of a run without it;
 * a resumed run continues the tracking bit for bit.
 *
 * <p>The problem overfits as the README's matrix-completion example does: a rank-2 matrix plus noise of 30 % of its
 * entries' scale, a fifth of its entries observed, fitted at rank 8 with λ = 0 from the small start. The held-out
 * RMSE falls while the two true directions are learned and rises once the other six start to fit the noise of the
 * observed entries (checked, so that the test cannot pass on a problem where the last iterate is the best).
 */
class EarlyStoppingTest {
    private static final int D1 = 60;
    private static final int D2 = 50;
    private static final int RANK = 8;
    private static final long LIMIT = 1500;
    private static final long PATIENCE = 40;

    private static SparseMatrix observed;
    private static SparseMatrix heldOut;

    @TempDir
    Path dir;

    @BeforeAll
    static void problem() {
        double[][] truth = Dense.multiply(KnownMatrices.gaussian(D1, 2, 1.0, 11),
                Dense.transpose(KnownMatrices.gaussian(D2, 2, 1.0, 12)));
        SplittableRandom random = new SplittableRandom(13);
        try (SparseMatrix.Builder train = SparseMatrix.builder(D1, D2, D1 * D2);
                SparseMatrix.Builder test = SparseMatrix.builder(D1, D2, D1 * D2)) {
            for (int i = 0; i < D1; i++) {
                for (int j = 0; j < D2; j++) {
                    double noisy = truth[i][j] + 0.3 * Math.sqrt(2) * random.nextGaussian();
                    double u = random.nextDouble();
                    if (u < 0.2) {
                        train.add(i, j, noisy);
                    } else if (u < 0.4) {
                        test.add(i, j, noisy);
                    }
                }
            }
            observed = train.build(DType.FLOAT64);
            heldOut = test.build(DType.FLOAT64);
        }
    }

    @AfterAll
    static void free() {
        observed.close();
        heldOut.close();
    }

    private record Run(double[][] u, double[][] v, List<IterationRecord> records, Result result) {
    }

    private static final UnaryOperator<Factorizer.Builder> SETTINGS = b -> b.objective(Objective.observed(0))
            .heldOut(heldOut).tolerance(0).threads(2);

    private static Run run(long maxIterations, UnaryOperator<Factorizer.Builder> extra) {
        Trajectory trajectory = new Trajectory();
        try (Result r = extra.apply(SETTINGS.apply(Factorizer.builder(observed, RANK)).maxIterations(maxIterations)
                .listener(trajectory)).build().run()) {
            return new Run(r.u().toArray(), r.v().toArray(), List.copyOf(trajectory.records()), r);
        }
    }

    @Test
    void returnsTheIterateWithTheLowestHeldOutRmse() {
        Run plain = run(LIMIT, b -> b);
        List<IterationRecord> records = plain.records();
        int argmin = 0;
        for (int t = 1; t < records.size(); t++) {
            if (records.get(t).heldOutRmse() < records.get(argmin).heldOutRmse()) {
                argmin = t;
            }
        }
        double lowest = records.get(argmin).heldOutRmse();
        assertTrue(plain.result().heldOutRmse() > 1.2 * lowest, "the problem does not overfit: lowest " + lowest
                + " at " + argmin + ", last " + plain.result().heldOutRmse());
        assertTrue(argmin + PATIENCE < LIMIT, "the minimum is too late for the patience: " + argmin);
        // without early stopping the summary names the best iterate of the records and returns the last one
        assertEquals(StopReason.MAX_ITERATIONS, plain.result().stopReason());
        assertEquals(argmin, plain.result().bestHeldOutIteration());
        assertEquals(lowest, plain.result().bestHeldOutRmse());

        Run early = run(LIMIT, b -> b.earlyStopping(PATIENCE));
        assertEquals(StopReason.EARLY_STOPPED, early.result().stopReason());
        // stopped at the iterate a patience after the best, before that iterate's update: it made no iterate that
        // nothing tested
        assertEquals(argmin + PATIENCE, early.result().iterations(), "stopped a patience after the best");
        assertEquals(argmin + PATIENCE, early.records().size(), "records of the iterates before the stop");
        assertEquals(argmin, early.result().bestHeldOutIteration());
        assertEquals(lowest, early.result().heldOutRmse(), "the returned factors' held-out RMSE");
        // the factors are those of a run that stops after exactly argmin updates
        Run upToBest = run(argmin, b -> b);
        assertArrayEquals(upToBest.u(), early.u());
        assertArrayEquals(upToBest.v(), early.v());
        assertEquals(upToBest.result().loss(), early.result().loss(), "metrics of the returned factors");
        assertEquals(upToBest.result().balance(), early.result().balance());
    }

    /**
     * An early-stopped summary says which iterate its factors and metrics are: {@code iterations} (the updates made)
     * was read as the iterate written, which {@code best_test_iteration} alone said (a data scientist's walk).
     */
    @Test
    void theSummarySaysWhichIterateTheFactorsAre() {
        Run early = run(LIMIT, b -> b.earlyStopping(PATIENCE));
        long best = early.result().bestHeldOutIteration();
        assertEquals(best + PATIENCE, early.result().iterations());
        assertEquals(best, early.result().factorsIteration());
        var summary = early.result().summary();
        assertEquals(best + PATIENCE, summary.get("iterations"));
        assertEquals(best, summary.get("factors_iteration"));
        assertEquals(List.of("iterations", "factors_iteration", "loss"), List.copyOf(summary.keySet()).subList(0, 3));
        // without early stopping the factors are the last iterate's, whichever was best
        Run plain = run(LIMIT, b -> b);
        assertEquals(LIMIT, plain.result().factorsIteration());
        assertEquals(LIMIT, plain.result().summary().get("factors_iteration"));
        assertEquals(null, plain.result().summary().get("penalty"), "no penalty at LAMBDA = 0");
    }

    /**
     * With {@code observed(λ)}, λ &gt; 0, the result and summary give the penalty (λ/2)(‖U‖² + ‖V‖²) and the objective
     * minimised beside the data term {@code loss}, each recomputed here from the returned factors: the summary gave
     * the data term alone (a data scientist's walk).
     */
    @Test
    void theWeightDecayIsReportedBesideTheDataTerm() {
        double lambda = 0.7;
        Run r = run(300, b -> b.objective(Objective.observed(lambda)));
        double data = 0;
        for (int i = 0; i < D1; i++) {
            for (int j = 0; j < D2; j++) {
                if (observed.isStored(i, j)) {
                    double e = dot(r.u()[i], r.v()[j]) - observed.get(i, j);
                    data += e * e / 2;
                }
            }
        }
        double squares = 0;
        for (double[][] f : List.of(r.u(), r.v())) {
            for (double[] row : f) {
                squares += dot(row, row);
            }
        }
        double penalty = lambda / 2 * squares;
        Result result = r.result();
        assertEquals(data, result.loss(), 1e-12 * data, "loss is the data term");
        assertEquals(penalty, result.penalty(), 1e-12 * penalty);
        assertEquals(data + penalty, result.objectiveValue(), 1e-12 * (data + penalty));
        var summary = result.summary();
        assertEquals(result.loss(), summary.get("loss"));
        assertEquals(result.penalty(), summary.get("penalty"));
        assertEquals(result.objectiveValue(), summary.get("objective_value"));
        assertEquals("observed:0.7", summary.get("objective"));
        try (Result full = Factorizer.builder(observed, RANK).maxIterations(3).threads(2).build().run()) {
            assertEquals(0.0, full.penalty());
            assertEquals(full.loss(), full.objectiveValue());
            assertEquals(null, full.summary().get("objective_value"));
        }
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int k = 0; k < a.length; k++) {
            s += a[k] * b[k];
        }
        return s;
    }

    /** A limit reached while the held-out RMSE still falls returns the last iterate: it is the best one. */
    @Test
    void aLimitBeforeTheMinimumReturnsTheLastIterate() {
        Run early = run(5, b -> b.earlyStopping(PATIENCE));
        Run plain = run(5, b -> b);
        assertEquals(StopReason.MAX_ITERATIONS, early.result().stopReason());
        assertEquals(5, early.result().bestHeldOutIteration(), "the last update's iterate is measured too");
        assertArrayEquals(plain.u(), early.u());
        assertArrayEquals(plain.v(), early.v());
    }

    @Test
    void aResumedRunTracksTheBestBitForBit() throws IOException {
        Run whole = run(LIMIT, b -> b.earlyStopping(PATIENCE));
        long best = whole.result().bestHeldOutIteration();
        // a checkpoint past the best iterate and before the patience runs out: the copy must come back with it
        long checkpointAt = (best / 10 + 1) * 10;
        assertTrue(checkpointAt < best + PATIENCE);
        run(checkpointAt, b -> b.earlyStopping(PATIENCE).checkpoint(dir, 10, null));
        Checkpoint saved = Checkpoint.load(dir);
        assertEquals(checkpointAt, saved.iteration());
        Run resumed = run(LIMIT, b -> b.earlyStopping(PATIENCE).resumeFrom(saved));
        assertEquals(StopReason.EARLY_STOPPED, resumed.result().stopReason());
        assertEquals(best, resumed.result().bestHeldOutIteration());
        assertArrayEquals(whole.u(), resumed.u());
        assertArrayEquals(whole.v(), resumed.v());
        // another patience is another run
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SETTINGS.apply(Factorizer.builder(observed, RANK)).earlyStopping(PATIENCE + 1)
                        .resumeFrom(saved).build());
        assertTrue(e.getMessage().contains("early_stop"), e.getMessage());
        // and none is another run too: it was dropped without a word (a new user's finding)
        e = assertThrows(IllegalArgumentException.class,
                () -> SETTINGS.apply(Factorizer.builder(observed, RANK)).resumeFrom(saved).build());
        assertEquals("the checkpoint was written with early_stop " + PATIENCE + ", this run has none: resume with the "
                + "same configuration", e.getMessage());
        // other held-out entries pick another best: named as such (another --holdout draw was "another input matrix",
        // another --test file was not refused at all)
        double[][] moved;
        try (DenseMatrix copy = heldOut.toDense()) {
            moved = copy.toArray();
        }
        moved[0][0] += 1;
        try (SparseMatrix other = SparseMatrix.of(DType.FLOAT64, moved)) {
            e = assertThrows(IllegalArgumentException.class, () -> SETTINGS.apply(Factorizer.builder(observed, RANK))
                    .heldOut(other).earlyStopping(PATIENCE).resumeFrom(saved).build());
            assertEquals("the checkpoint was written with other held-out entries (their SHA-256 differs): resume with "
                    + "the same ones (Builder.heldOut; on the command line the same --holdout FRACTION and --seed, or "
                    + "--test FILE)", e.getMessage());
        }
        // a checkpoint written before the held-out entries' digest was recorded resumes with them, bit for bit: they
        // cannot be compared, and a refusal would strand it (its advice, to resume without them, cannot be followed)
        Path old = dir.resolve("before-the-digest");
        OldCheckpoints.without(dir, old, ",\"" + Factorizer.HELD_OUT + "\":\"" + saved.configuration().get(
                Factorizer.HELD_OUT) + "\"");
        Checkpoint older = Checkpoint.load(old);
        assertTrue(!older.configuration().containsKey(Factorizer.HELD_OUT), "the premise: no digest");
        Run fromOld = run(LIMIT, b -> b.earlyStopping(PATIENCE).resumeFrom(older));
        assertArrayEquals(whole.u(), fromOld.u());
        assertArrayEquals(whole.v(), fromOld.v());
    }

    @Test
    void needsHeldOutEntriesAndANonNegativePatience() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Factorizer.builder(observed, RANK).objective(Objective.observed(0)).earlyStopping(10).build());
        assertTrue(e.getMessage().contains("early stopping needs held-out entries"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Factorizer.builder(observed, RANK).earlyStopping(-1));
    }
}
