package org.autobalance.solve.internal;

/**
 * The factorisation's escape test for {@link PlateauCheck}, in closed form.
 *
 * <p>Near a saddle met from a small start, with w a direction in which U and V are (nearly) zero, moving along
 * (a wᵀ, b wᵀ) changes the loss by −ε²·aᵀRb + O(ε⁴), R = M − UVᵀ: the curvature is −σ₁(R), and descent goes on unless
 * R is (nearly) zero. At a critical point, R is orthogonal to the captured directions, and replacing the weakest of
 * them, σ_r(UVᵀ), by R's leading one changes ‖R‖²_F by σ_r(UVᵀ)² − σ₁(R)². Hence (Eckart–Young) a critical point is a
 * global minimiser exactly when σ₁(R) ≤ σ_r(UVᵀ), zero included for a rank-deficient UVᵀ.
 *
 * <p>So an iterate that passes the first-order test is accepted when σ₁(R)² ≤ σ_r(UVᵀ)² + ϑ²:
 * <ol>
 *   <li>σ_r(UVᵀ) comes from the Grams (O(r³), no pass over M); if even ‖R‖²_F = 2f (≥ σ₁(R)²) is below σ_r², the
 *       condition holds at no further cost — the usual case of a well-separated rank-r signal;
 *   <li>otherwise σ₁(R) is estimated by power iteration on R (at most {@link #MAX_PASSES} passes over M, stopped as
 *       soon as the lower bound it yields exceeds the threshold).
 * </ol>
 * The slack is ϑ = max(G·σ₁(U₀V₀ᵀ), √u·‖M‖_F): {@link PlateauCheck#GROWTH} G times the scale of the start, and at
 * least the resolution of the loss in the data's precision u (an escape that would lower ‖R‖²_F by less than
 * u·‖M‖²_F — the rounding error of the loss itself — is not worth pursuing). A matrix of exact rank k &lt; r therefore
 * converges: its r − k extra columns stay at the start's size, and R is that size (the unlearned part of the start)
 * plus rounding. Gradient descent from a random start does not end on the other, full-rank saddles (Lee et al., COLT
 * 2016), but the test above would catch them too. The unlearned directions, whose count rations the checks, are the
 * singular values of UVᵀ below ϑ.
 *
 * <p>The observed-entries loss ({@link PowerPasses#eckartYoung()} false: R_Ω = P_Ω(M − UVᵀ), {@link ObservedResidual})
 * has the same saddles — its unlearned directions stay at the start's scale while the gradient is tiny — but no
 * closed form of its minimisers. There an iterate that passes the weakest learned direction's test (below: a
 * stricter first-order test, whose error bound is derived for the full loss) is accepted when no direction is
 * unlearned, or when σ₁(R_Ω) is at most λ + √(σ_r(UVᵀ)² + ϑ²), λ its weight decay (the curvature along an unlearned
 * direction is λ − σ₁(R_Ω)). The fit test's allowance is scaled by √p, p the share of M's entries stored: the gradient
 * P_Ω(E)·V of an error E in the learned directions is about p·E·V, and the residual on Ω √p·E, so a gradient stands
 * for a relative error over Ω 1/√p times the full loss's (a 20 000 × 10 000 exact rank-3 M, 1 % stored, float32:
 * {@code converged} at 2.2e-4 without the scaling). Without these tests a float32 completion of a rank-5 M with
 * σ = 10, 1, 0.1, 0.01, 0.001 stopped {@code converged} after 305 iterations at the rank-2 relative error (9.8e-3),
 * and one of a rank-4 M with σ₄ = 0.01 (a third unobserved) at the rank-3 error, its fourth direction grown but far
 * from fitted.
 */
final class EckartYoungCheck {
    /**
     * The floor of {@link #fitLevel()}, in units of u·‖M‖_F: above what a direction of UVᵀ fitting rounding noise
     * reaches. The largest singular value of R at float32's stationary point of an exactly rank-5 500 × 300 M at rank
     * 16 was 124·u·‖M‖_F (native-notes/engine.md), all of it rounding; 1000 leaves a factor 8.
     */
    static final double NOISE_FLOOR = 1000;
    /** Passes over M at most for the σ₁(R) estimate. */
    static final int MAX_PASSES = 30;
    /** The σ₁(R) estimate is compared with a level of no sharper meaning than a few per cent. */
    static final double RELATIVE_TOLERANCE = 1e-2;
    /**
     * The longest wait between tests of the weakest direction's fit, in iterations. A test costs the singular values
     * of UVᵀ from the Grams (two Jacobi eigenproblems: 0.6 ms at r = 16, 4 ms at r = 64, 39 ms at r = 128 on the
     * 2-core Zen 5), more than an iteration of a 1000 × 800 M at r = 32 (1.5 ms); between the first-order test's two
     * halves such an M spent 163 (float32) and 285 (float64) iterations, each paying it. With waits doubling to 8 a
     * stop comes at most 7 iterations after the first iterate that meets both.
     */
    static final long MAX_FIT_GAP = 8;

    private final PowerPasses passes;
    private final boolean eckartYoung;
    private final double ridge;
    private final double density;
    private final int r;
    private final long seed;
    private final double floor;
    private final double noiseFloor;
    private final PlateauCheck rationing = new PlateauCheck();
    private double level = Double.NaN;
    private double fitLevel = Double.NaN;
    /** Before this iteration the fit of the weakest direction is not tested again (see {@link #verdict}). */
    private long nextFitCheck;
    /** The wait after the next failed test of the fit: 1, 2, 4, …, {@link #MAX_FIT_GAP}. */
    private long fitCheckGap = 1;
    /** The start's Grams until {@link #level} first needs them (null once it has, or after a restore). */
    private double[] startGramU;
    private double[] startGramV;

    /**
     * @param passes the passes over M whose residual is at the solver's current factors
     * @param r the rank
     */
    EckartYoungCheck(PowerPasses passes, int r, double normM, long seed) {
        this.passes = passes;
        this.eckartYoung = passes.eckartYoung();
        this.ridge = passes.ridge();
        this.density = passes.density();
        this.r = r;
        this.seed = seed;
        this.floor = Math.sqrt(passes.dtype().unitRoundoff()) * normM;
        this.noiseFloor = NOISE_FLOOR * passes.dtype().unitRoundoff() * normM;
    }

    /**
     * Records the start (U₀, V₀) by its Grams (copied). The scale σ₁(U₀V₀ᵀ) itself is computed when the level is first
     * needed — at the first stationary iterate or checkpoint, often never: its O(r³) eigenproblems (8 ms at r = 64)
     * would otherwise sit in iteration 0, more than a whole iteration of a 1000 × 1000 M (native-notes/startup.md,
     * "In a warm JVM"). Same value either way: the Grams are those of the start.
     */
    void start(double[] gramU, double[] gramV) {
        startGramU = gramU.clone();
        startGramV = gramV.clone();
        level = Double.NaN;
        fitLevel = Double.NaN;
    }

    /**
     * What the check remembers between iterations: saved in a checkpoint, so that a resumed run checks alike.
     *
     * @param fitLevel {@link #fitLevel()}
     * @param nextFitCheck the iteration before which the weakest direction's fit is not tested again (0: at once)
     * @param fitCheckGap the wait after its next failed test
     */
    record State(double level, double fitLevel, PlateauCheck.State rationing, long nextFitCheck, long fitCheckGap) {
    }

    State state() {
        return new State(level(), fitLevel(), rationing.state(), nextFitCheck, fitCheckGap);
    }

    void restore(State state) {
        level = state.level();
        fitLevel = state.fitLevel();
        startGramU = null;
        startGramV = null;
        rationing.restore(state.rationing());
        nextFitCheck = state.nextFitCheck();
        fitCheckGap = state.fitCheckGap();
    }

    /** The level ϑ below which a singular value of UVᵀ counts as not learned by the escape test. */
    double level() {
        if (Double.isNaN(level) && startGramU != null) {
            double startScale = SmallLinearAlgebra.productSingularValues(startGramU, startGramV, r)[0];
            level = Math.max(PlateauCheck.GROWTH * startScale, floor);
            fitLevel = Math.max(PlateauCheck.GROWTH * startScale, noiseFloor);
            startGramU = null;
            startGramV = null;
        }
        return level;
    }

    /**
     * The level above which a singular value of UVᵀ counts as learned for the test of its fit: grown {@link
     * PlateauCheck#GROWTH} times beyond the start, and above rounding noise ({@link #NOISE_FLOOR}) — not ϑ, whose floor
     * √u·‖M‖_F (the escape test's: an escape worth less than the loss's rounding is not pursued) left a float32
     * direction growing towards σ = 3·10⁻⁴ of ‖M‖_F untested at 2.0·10⁻⁴: "converged" at 8.4 times the optimum's
     * relative error (the thirty-sixth session's walk, native-notes/reliability.md).
     */
    double fitLevel() {
        level();
        return fitLevel;
    }

    /** The verdict on an iterate that passed the coarse first-order test. */
    enum Verdict {
        /** The gradient is still above the allowance of the weakest learned direction: the run goes on. */
        UNRESOLVED,
        /** On a saddle plateau: a way down remains along an unlearned direction. */
        PLATEAU,
        /** A minimiser, within the tolerance. */
        MINIMISER
    }

    /**
     * The verdict on iterate t, which passed the coarse first-order test ‖∇f‖ ≤ τ·‖M‖_F·√(‖U‖²_F + ‖V‖²_F).
     *
     * <p>That test scales the allowance by the factors' whole size, which the leading directions set. Along a learned
     * direction k of UVᵀ (singular value s_k, factor columns of norms a and b, ab ≥ s_k), an error ε_k in the fit moves
     * the gradient by ε_k·√(a² + b²) ≥ ε_k·√(2s_k): a weak direction, s_k ≪ σ₁, is resolved √(σ₁/s_k) times more
     * coarsely than the leading one (float32, σ = 1, 0.01, 0.003: "converged" at 2.8 times the optimum's error,
     * native-notes/reliability.md). So the fit's error in the learned directions (those above {@link #fitLevel()}; k of
     * them, the weakest s_w), ‖ε‖ ≤ ‖∇f‖/√(2s_w), must also be within either bound:
     * <ul>
     *   <li>√k·τ·‖M‖_F, whatever the spread: for a spectrum without spread (balanced factors, equal s_k) the same
     *       allowance as the coarse test;
     *   <li>√τ·‖R‖_F, R = M − UVᵀ: at a minimiser R is orthogonal to the learned directions, so ‖R‖²_F = ‖R*‖²_F +
     *       ‖ε‖² and the relative error is within a factor 1/√(1 − τ) ≈ 1 + τ/2 of the optimum's. This bound, not the
     *       first, holds on a noisy M, whose trailing learned directions are weak but whose residual is large.
     * </ul>
     * The unlearned directions are left to the escape test, as before. The fit's test is rationed
     * ({@link #MAX_FIT_GAP}); the last iteration of a run ({@code fresh}) is tested in any case, without changing the
     * rationing, so that a run resumed from its end tests where a longer uninterrupted run does.
     *
     * @param gramU UᵀU at iterate t
     * @param gramV VᵀV at iterate t
     * @param loss ½‖UVᵀ − M‖²_F at iterate t
     * @param gradientNorm ‖∇f‖_F at iterate t
     * @param tolerance τ
     * @param normM ‖M‖_F
     * @param fresh check now even if a recent check found a plateau (for the verdict at the end of a run)
     */
    Verdict verdict(long t, double[] gramU, double[] gramV, double loss, double gradientNorm, double tolerance,
            double normM, boolean fresh) {
        boolean due = t >= nextFitCheck;
        if (!due && !fresh) {
            return Verdict.UNRESOLVED;
        }
        double[] sigma = SmallLinearAlgebra.productSingularValues(gramU, gramV, r);
        double level = level();
        double grown = fitLevel();
        int learned = 0;
        double weakestLearned = 0;
        for (double s : sigma) {
            if (s >= grown) {
                learned++;
                weakestLearned = s;
            }
        }
        double fitError = Math.max(Math.sqrt(learned) * tolerance * normM,
                Math.sqrt(tolerance) * Math.sqrt(Math.max(2 * loss, 0.0)));
        if (learned > 0 && gradientNorm > fitError * Math.sqrt(2 * weakestLearned * density)) {
            if (due) {
                nextFitCheck = t + fitCheckGap;
                fitCheckGap = Math.min(2 * fitCheckGap, MAX_FIT_GAP);
            }
            return Verdict.UNRESOLVED;
        }
        return minimiser(t, sigma, loss, level, fresh) ? Verdict.MINIMISER : Verdict.PLATEAU;
    }

    /**
     * Whether iterate t, whatever its gradient, is between learned directions and unlearned ones that M has: some but
     * not all singular values of UVᵀ below the level, and the escape test finding a way down. For the last iterate of
     * a run that a limit ends, which is then on a plateau (mid-escape) rather than merely short of the tolerance — not
     * where nothing is learned yet (a limit at the start) nor where everything is (slow convergence). Outside the
     * rationing, whose state a checkpoint saves: a run resumed from the end of this one checks where a longer
     * uninterrupted run does.
     */
    boolean wayDown(long t, double[] gramU, double[] gramV, double loss) {
        double[] sigma = SmallLinearAlgebra.productSingularValues(gramU, gramV, r);
        double level = level();
        // largest first: the first is learned and the last is not
        return sigma[0] >= level && sigma[r - 1] < level && !settled(sigma, loss, level) && escapes(t, sigma, level);
    }

    /**
     * Whether the test holds without a pass over M, from σ₁(R)² ≤ ‖R‖²_F = 2f. The full loss: when even 2f is below
     * σ_r², Eckart–Young holds. The observed loss: when no direction is unlearned, or 2f is within the escape's bound.
     */
    private boolean settled(double[] sigma, double loss, double level) {
        double weakest = sigma[r - 1];
        if (eckartYoung) {
            return weakest * weakest >= 2 * loss;
        }
        double bound = escapeBound(weakest, level);
        return weakest >= level || 2 * loss <= bound * bound;
    }

    /** λ + √(σ_r(UVᵀ)² + ϑ²): σ₁(R) beyond it is a way down (λ = 0 but for the observed loss's weight decay). */
    private double escapeBound(double weakest, double level) {
        return ridge + Math.sqrt(weakest * weakest + level * level);
    }

    /** Whether σ₁(R) exceeds {@link #escapeBound}: up to {@link #MAX_PASSES} passes over M. */
    private boolean escapes(long t, double[] sigma, double level) {
        double bound = escapeBound(sigma[r - 1], level);
        return SpectralNorm.residual(passes, seed + t, MAX_PASSES, RELATIVE_TOLERANCE, bound) > bound;
    }

    /** Whether the iterate t, whose singular values are {@code sigma} (largest first), is a minimiser. */
    private boolean minimiser(long t, double[] sigma, double loss, double level, boolean fresh) {
        if (settled(sigma, loss, level)) {
            return true;
        }
        int count = 0;
        for (double s : sigma) {
            if (s < level) {
                count++;
            }
        }
        int unlearned = count;
        return rationing.minimiser(t, () -> unlearned, () -> escapes(t, sigma, level), fresh);
    }
}
