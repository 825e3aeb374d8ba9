package org.autobalance.solve.internal;

import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;

/**
 * The second-order half of a stop rule, common to every model trained from a small start: tells a minimiser from the
 * saddle plateaus met on the way, and rations the (costly) test that does so.
 *
 * <p>From a small start, gradient descent learns the directions of its target one after another, each growing
 * multiplicatively from the scale of the start. Once the leading ones have converged the gradient is tiny while the
 * trailing directions are still at the scale of the start — the gradient is small <em>because</em> they are small,
 * not because there is nothing left to learn — and a first-order test declares victory at a saddle. So an iterate
 * that passes the first-order test is accepted only if a model-specific <em>escape test</em> finds no way down from
 * it along its unlearned directions (those still below the start's scale times {@link #GROWTH}):
 * <ul>
 *   <li>the factorisation: the Eckart–Young condition σ₁(M − UVᵀ)² ≤ σ_r(UVᵀ)² + ϑ², the closed form of the
 *       second-order check ({@link EckartYoungCheck});
 *   <li>a network: the loss along the curve that scales the unlearned part of every layer up
 *       ({@code org.autobalance.network.EscapeProbe}; for two linear layers, the same escape direction).
 * </ul>
 *
 * <p>Checks are rationed: after a check finds a plateau the next one waits at least {@link #SPACING} iterations,
 * and then for the number of unlearned directions to change or the iteration count to double; a run's last iteration
 * is always checked afresh, for an honest verdict. While the first-order test holds on a plateau the run goes on,
 * and a limit reached there is reported as {@link org.autobalance.solve.StopReason#PLATEAU}.
 */
public final class PlateauCheck {
    /**
     * How far (in σ of the end-to-end map: UVᵀ, or the product of a network's layers) a direction must grow beyond the
     * start to count as learned. On the plateau of issue 8's case the unlearned singular values of UVᵀ were 0.6–1.0
     * times σ₁(U₀V₀ᵀ), and the residual of an exactly rank-5 matrix at rank 16 was 0.9 times it (float64;
     * native-notes/engine.md): 100 leaves two orders of margin, while directions of M above 100·σ₁(U₀V₀ᵀ) ≈
     * 10⁻⁴·σ₁(M) (default start) are still pursued. A network of N layers shares it out: 100^{1/N} per layer.
     */
    public static final double GROWTH = 100;
    /** Iterations at least between a check that found a plateau and the next one. */
    public static final int SPACING = 30;

    private long lastCheck = -1;
    private int lastUnlearned = -1;
    private boolean lastPlateau;

    /** A check that has not run yet: the first iterate that passes the first-order test is checked. */
    public PlateauCheck() {
    }

    /**
     * What the rationing remembers between iterations: saved in a checkpoint, so that a resumed run checks alike.
     *
     * @param lastCheck the iteration of the last escape test, −1 before the first
     * @param lastUnlearned the number of unlearned directions then
     * @param lastPlateau its verdict: on a plateau
     */
    public record State(long lastCheck, int lastUnlearned, boolean lastPlateau) {
        /** The state as exact doubles (integers below 2⁵³), for a checkpoint's payload. */
        public double[] encode() {
            return new double[] {lastCheck, lastUnlearned, lastPlateau ? 1 : 0};
        }

        /** The inverse of {@link #encode()}. */
        public static State decode(double[] d) {
            if (d.length != 3) {
                throw new IllegalArgumentException("a plateau state has 3 values, got " + d.length);
            }
            return new State((long) d[0], (int) d[1], d[2] != 0);
        }
    }

    /** The state, for a checkpoint. */
    public State state() {
        return new State(lastCheck, lastUnlearned, lastPlateau);
    }

    /** Continues from a saved state. */
    public void restore(State state) {
        lastCheck = state.lastCheck();
        lastUnlearned = state.lastUnlearned();
        lastPlateau = state.lastPlateau();
    }

    /**
     * Whether the iterate t, which passed the first-order test, is a minimiser rather than a plateau: the verdict of
     * {@code onPlateau} (run now if a check is due, else the last verdict stands).
     *
     * @param unlearned how many directions are below their level (a change makes a check due again); asked only
     *        once the spacing since the last check has passed, so that a costly count is not paid every iteration
     * @param onPlateau the model's escape test: true when it finds a way down (called after {@code unlearned})
     * @param fresh check now even if a recent check found a plateau (for the verdict at the end of a run)
     */
    public boolean minimiser(long t, IntSupplier unlearned, BooleanSupplier onPlateau, boolean fresh) {
        boolean forced = lastCheck < 0 || fresh && lastCheck != t;
        if (forced || t >= lastCheck + SPACING) {
            int count = unlearned.getAsInt();
            if (forced || count != lastUnlearned || t >= 2 * lastCheck) {
                lastPlateau = onPlateau.getAsBoolean();
                lastCheck = t;
                lastUnlearned = count;
            }
        }
        return !lastPlateau;
    }
}
