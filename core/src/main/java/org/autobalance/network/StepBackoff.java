package org.autobalance.network;

import java.util.ArrayList;
import java.util.List;
import org.autobalance.observe.NetworkRecord;
import org.autobalance.solve.Checkpoint;
import org.autobalance.solve.internal.CheckpointReader;
import org.autobalance.solve.internal.CheckpointWriter;

/**
 * The safeguard of {@code --schedule auto} for a network: where a run would diverge, it goes back to its best iterate
 * and halves η instead.
 *
 * <p>Why: auto's σ ({@link NetworkScale}) is exact for a linear network at a balanced optimum on white inputs, but a
 * ReLU network fitting what no linear map fits grows sharper than that during training (ten times on random
 * targets, see native-notes/network.md). Gradient descent then runs at the edge of stability: the loss rises at
 * a third to a half of the steps, by up to 44 times its best so far, and still converges, faster than with a step
 * small enough to make it monotone (measured: halving at every rise left the loss 10⁵ times higher after 5,000
 * steps). So a rise alone is no reason to act; a run away is.
 *
 * <p>What: the iterate with the lowest loss so far is kept (a copy of the parameters). When the loss becomes
 * non-finite or exceeds {@link #LOSS_FACTOR} times its reference max(L₀, ‖Y‖²/(2n)) (the reference of
 * {@link NetworkTrainer}'s runaway test), or the gradient becomes non-finite, the parameters go back to the kept
 * iterate and η halves (exactly: a power of two); the step is retaken from there. η_t = η₀·2^{−k} after k halvings,
 * so the run is as deterministic as any other: the same data, options and thread count halve at the same iterations.
 * If no iterate was kept yet (the start itself is not finite), the run diverges as with any other schedule.
 */
final class StepBackoff implements AutoCloseable {
    /**
     * Halvings after which the run is given up as diverging: η₀·2^{−30} ≈ 1e-9·η₀. A run that still runs away with
     * such steps does so for no reason a step size explains, and the user should hear of it rather than wait.
     */
    static final int MAX_HALVINGS = 30;
    /**
     * A loss above this many times its reference sends the run back. With a stable step the loss never exceeds its
     * start (the descent lemma); the spikes of runs at the edge of stability that still converged reached 1.45·L₀ at
     * most (native-notes/network.md, "The auto step"; up to 44 times the best loss so far late in a run, which is why
     * the reference is the start, not the best), so a loss twice the start's is a step too long. Waiting for the
     * runaway test's 10⁶ instead let a ReLU student on random targets jump to weights 10³ times larger and stall with
     * dead units.
     */
    static final double LOSS_FACTOR = 2;

    private final double eta0;
    private final Parameters kept;
    private final List<Long> halvedAt = new ArrayList<>();
    private double keptLoss = Double.NaN;

    /**
     * @param eta0 the step of auto's σ
     * @param params the trained parameters (shapes of the kept copy)
     */
    StepBackoff(double eta0, Parameters params) {
        this.eta0 = eta0;
        this.kept = new Parameters(params.architecture(), params.dtype(), params.hasBiases());
    }

    /** η for the next step: η₀·2^{−halvings}. */
    double eta() {
        return Math.scalb(eta0, -halvedAt.size());
    }

    /** The iterations at which a step was undone and η halved. */
    List<Long> halvedAt() {
        return List.copyOf(halvedAt);
    }

    /** Whether an iterate was kept (there is somewhere to go back to). */
    boolean hasKept() {
        return !Double.isNaN(keptLoss);
    }

    /** Keeps {@code params} if their loss {@code loss} (finite) is the lowest so far. */
    void keepIfBest(Parameters params, double loss) {
        if (!(loss >= keptLoss)) {
            kept.copyFrom(params);
            keptLoss = loss;
        }
    }

    /**
     * Goes back: {@code params} become the kept iterate and η halves.
     *
     * @param t the iteration at which the run would have diverged
     * @param what how it would have (for the message)
     * @param last the last record (for the message)
     * @throws NetworkDivergenceException after {@link #MAX_HALVINGS} halvings
     */
    void undo(Parameters params, long t, String what, NetworkRecord last) {
        if (halvedAt.size() == MAX_HALVINGS) {
            throw new NetworkDivergenceException(t, what + ", although auto had halved the step " + MAX_HALVINGS
                    + " times (to " + eta() + ")", last);
        }
        params.copyFrom(kept);
        halvedAt.add(t);
    }

    /** Adds this state to a checkpoint: the kept iterate, its loss, the halvings. */
    void save(CheckpointWriter w, int depth, boolean biases) {
        w.exact("kept_loss", keptLoss);
        double[] at = new double[halvedAt.size()];
        for (int k = 0; k < at.length; k++) {
            at[k] = halvedAt.get(k);
        }
        w.doubles("halved_at", at);
        for (int h = 1; h <= depth; h++) {
            w.matrix(keptWeights(h), kept.weights(h));
            if (biases) {
                w.matrix(keptBiases(h), kept.biases(h));
            }
        }
    }

    /** Restores the state saved by {@link #save}. */
    void restore(Checkpoint c, int depth, boolean biases) {
        keptLoss = CheckpointReader.exact(c, "kept_loss");
        for (double t : CheckpointReader.doubles(c, "halved_at")) {
            halvedAt.add((long) t);
        }
        for (int h = 1; h <= depth; h++) {
            CheckpointReader.restore(c, keptWeights(h), kept.weights(h));
            if (biases) {
                CheckpointReader.restore(c, keptBiases(h), kept.biases(h));
            }
        }
    }

    private static String keptWeights(int h) {
        return "kept_W" + h;
    }

    private static String keptBiases(int h) {
        return "kept_b" + h;
    }

    @Override
    public void close() {
        kept.close();
    }
}
