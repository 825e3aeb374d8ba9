package org.autobalance.solve.internal;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import org.autobalance.kernel.FactorKernels;
import org.autobalance.kernel.SparseKernels;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;
import org.autobalance.observe.IterationListener;
import org.autobalance.parallel.IterationEngine;
import org.autobalance.parallel.ParallelPass;
import org.autobalance.schedule.SpectralSchedule;
import org.autobalance.schedule.StepSchedule;
import org.autobalance.schedule.TheorySchedule;
import org.autobalance.solve.Initializer;
import org.autobalance.solve.Variant;

/**
 * σ₁(M), the largest singular value, and σ₁(M − UVᵀ), that of the residual, by power iterations on the engine's own
 * fused pass.
 *
 * <p>One fused pass with blocks X (as V) and Y (as U) gives both MX and MᵀY. Setting X ← MᵀY and Y ← MX (scaled) runs
 * two interleaved power iterations (X₀, Y₁, X₂, … and Y₀, X₁, Y₂, …), each advancing one half-step per pass, so every
 * pass is used in full. Every bound computed is a lower bound on σ₁, and the largest one seen converges to σ₁. For
 * the residual R = M − UVᵀ the pass's Mx and Mᵀy are corrected to Rx = Mx − U(Vᵀx) and Rᵀy = Mᵀy − V(Uᵀy),
 * O((d1 + d2)·r) more work per pass; R itself is never formed.
 *
 * <p><b>Accuracy of σ₁(M), and when to stop.</b> An underestimate by δ makes {@code auto:C}'s step
 * η = C/σ̂₁ ≤ C/((1 − δ)σ₁), stable while C/(1 − δ) &lt; 1 (a balanced optimum's sharpness is 2σ₁; more with a
 * strong regulariser), and grows {@code theory:ε,δ}'s drift bound by (1 − δ)⁻³; the initialisers use σ₁ for a scale.
 * What each use tolerates is {@link #tolerated} — ¼ for the default step, nothing known for a schedule of the caller's
 * or {@code auto:C} with C ≥ 1, none for {@code theory}, whose bound has no room. An overestimate, which would only
 * slow the run, does not occur: every bound is a Rayleigh quotient, below σ₁ up to rounding.
 *
 * <p>The passes aim at a relative error of {@link #TARGET} = 10⁻³ — to the end where nothing is tolerated, else up
 * to the budget below — the accuracy σ₁ had before the budget ({@code theory}'s drift bound is 0.5015ε there), with a
 * factor ten inside the 10⁻² the uses were once taken to need as the margin for the one part of the rule that is not
 * a bound. No upper bound on σ₁ that these passes can
 * compute is tight where it would matter: ‖M‖_F (or ‖M‖²_F less the block's other Ritz values, which interlacing
 * puts below σ₂², …) exceeds σ₁ by the whole spectrum below the block, which is what a matrix without a gap at its top
 * has in plenty; and bounds from the random start (σ₁^{2k} ≤ the block's k-th moment over w, the start's weight on
 * the top direction, about b/n) certify a relative error ε only after about ln(1/w)/(2ε) passes — for 10⁻³,
 * thousands, whatever the spectrum (Kuczyński and Woźniakowski's gap-free bound for the power method says as much).
 * What the passes do give is the sequence of relative improvements d_k of the bound, and the error left is their sum
 * to come. It is extrapolated from the observed rate q, the largest ratio d_j/d_{j−1} of the last
 * {@link #RATE_WINDOW}: d/(1 − q), the geometric series of the improvements from this pass on, is the error before it
 * when the error decays geometrically (a gap: q = (σ_{b+1}/σ₁)²), and half the error left when it decays like c/k (a
 * continuous spectrum at the top: a density ∝ x^β at relative distance x below σ₁² leaves a Rayleigh quotient error
 * (β + 1)/k after k passes, whose improvements c/(k(k − 1)) shrink by q = (k − 2)/k and sum to d/(1 − q) =
 * c/(2(k − 1))). Hence the stop when 2·d/(1 − q) ≤ {@link #TARGET}. This is a heuristic, not a bound: a later, slower
 * rate (a direction of the top cluster the start barely holds) can leave more — what the factor ten is for, and the
 * clustered-top bound below caps what is left.
 *
 * <p>Where a gap makes the last digits cheap, they are taken: the passes go on to the change rule of before — stop
 * when a pass improves the bound by at most {@link #POLISH} = 10⁻⁹, leaving τ·ρ/(1 − ρ) — while the fastest rate of
 * the window promises it within {@link #POLISH_PASSES} more passes (d·q_min^P ≤ τ). A stop on the target needs
 * τ &lt; d·q_min^P ≤ (ε/2)(1 − q_min)·q_min^P, so q_min > 0.67 and d &lt; 1.65·10⁻⁴: wherever the rate is faster — a
 * gap with (σ_{b+1}/σ₁)² ≤ 0.67, as a matrix worth factorising at rank r has at r, and every test with a known
 * spectrum and σ₂/σ₁ ≤ 0.7 — σ₁ comes out as it did, and only the slow cases stop early (a 3000 × 2000 Gaussian M at
 * rank 10: 96 passes instead of 238, native-notes/startup.md, "σ₁ stop rule (ninth session)"). A pass that does not
 * improve the bound at all (rounding: float32 ends there near 10⁻⁷) stops too, as before.
 *
 * <p>A block narrower than {@value #MIN_TARGET_BLOCK} columns stops by the change rule alone. With one column, a
 * random start that barely holds the top direction v₁ (over a gap of a few per cent to σ₂) shows improvements that
 * shrink geometrically towards σ₂ while v₁'s share still grows underneath; the target rule stopped there, at σ₂ — a
 * relative error of 2·10⁻² (the gap) for 3 of 200 starts of a 200 × 150 M with σ₂/σ₁ = 0.98, found in review — where
 * the change rule cannot stop while v₁ grows (its improvements stay above 10⁻⁹: worst 1.6·10⁻⁵ on the same starts).
 * With b columns every column must miss v₁ for that to happen, which four make rare (the review's model: 1.2·10⁻³ at
 * worst already at b = 2).
 *
 * <p>When the top singular values form a cluster σ₁ ≥ … ≥ σ_c of relative width w = 1 − σ_c/σ₁ above a gap, the
 * estimate lands in [σ_c, σ₁], so it errs by at most w — and it resolves the cluster, down to the target, unless w is
 * below about 1/(2·{@value #MAX_PASSES}) times the logarithm of the start's weight ratio (measured: 2.5·10⁻⁴ to
 * 2·10⁻³ at b = 1 for widths 3·10⁻⁴ to 3·10⁻³; SpectralNormTest derives the bound, for both ways of stopping).
 *
 * <p><b>A budget from what the run needs.</b> Where the top of the spectrum has no gap, the target is not cheap: the
 * error left after k passes falls like c/k (a Marchenko–Pastur edge, a sparse random M: c ≈ ¾ in σ), so 10⁻³ would
 * take ~750 passes, and the runs spent {@link #MAX_PASSES}, each about an iteration's cost — minutes on a large sparse
 * M before the first iteration. The solver's uses of σ₁ need far less than the target ({@link #tolerated}: a
 * quarter for the default step), and {@link #passesFor} turns that into a number of passes that is enough whatever
 * the spectrum, from the random start's gap-free bound: the solver runs the passes up to that budget (60 for the
 * default schedule up to n = 10⁷, 61 at 10⁸), never more than before, and the rules above stop them sooner where they
 * can. The budget is at least {@link #MIN_PASSES}, so an estimate that stopped within that many passes — a gap with
 * (σ_{b+1}/σ₁)² ≤ 0.67 at the top — is the one it was (the committed fixtures at ranks 1–12 in both dtypes, bit for
 * bit, but for the 64 × 48 spectrum fixture at rank 1 in float64, whose one column polished past 60 passes: 2.3·10⁻⁹
 * relative). Measured on a 100 000 × 50 000
 * sparse Gaussian M (5·10⁶ entries) at rank 4: 60 passes instead of ~200, σ̂₁ 1.2 % below scipy's σ₁ (0.08 % before),
 * native-notes/engine.md.
 */
public final class SpectralNorm {
    /** Passes over M at most; the estimate's relative error then is below (σ₂/σ₁)^(passes) anyway. */
    static final int MAX_PASSES = 300;
    /**
     * Passes always allowed before {@link #passesFor}'s budget may end the estimate: a gap with (σ_{b+1}/σ₁)² ≤ 0.67,
     * where the passes go on to {@link #POLISH} (class comment), gets there within 52 from an improvement of 1, so
     * below this budget nothing changes for a matrix with such a gap at its top.
     */
    static final int MIN_PASSES = 60;
    /**
     * The chance, over the random start, that a chain's estimate errs by more than what its use tolerates after
     * {@link #passesFor} passes: the bound is per chain, and the block's estimate fails only if its 2b independent
     * chains all do.
     */
    static final double FAILURE = 1e-3;
    /**
     * The relative error the passes aim at, within the budget of {@link #passesFor} (class comment): what the uses of
     * σ₁ tolerating nothing ({@link #tolerated} 0) get.
     */
    static final double TARGET = 1e-3;
    /** The change rule of before: stop when one pass improves the estimate by at most this, relatively. */
    static final double POLISH = 1e-9;
    /** Passes beyond the target worth spending on {@link #POLISH}, a tenth of {@link #MAX_PASSES}. */
    static final int POLISH_PASSES = 30;
    /** Ratios of successive improvements the rate is read from. */
    static final int RATE_WINDOW = 3;
    /**
     * Narrowest block that may stop on {@link #TARGET}; narrower ones stop by the change rule alone (class comment).
     */
    static final int MIN_TARGET_BLOCK = 4;
    /**
     * Most columns per block. Up to it the estimate runs at the solver's own rank, so its passes run the iterations'
     * own fused pass (the kernels differ by rank: float32 ranks 33–64 take other kernels than rank 32, and so on up)
     * and a new rank's kernels are compiled here and not in its first iterations — 0.3–1.6 s of iteration 0 at rank
     * 64 in a warm JVM when the block was capped at 32, 11–18× the steady state at rank 100 when it was capped at 64
     * (native-notes/startup.md, "In a warm JVM" and the eleventh session); and a matrix worth factorising at rank r
     * has its gap at r, so b = r converges in a few passes where a narrower block crawls through the top cluster. The
     * cap is what each pass's bounds cost: two b × b generalised eigenproblems, by Jacobi O(b³) with a large constant
     * (6–8 ms each at b = 64, 1.4 s at 256: the cap was 32, then 64), now by pivoted Cholesky and Lanczos ({@link
     * SmallLinearAlgebra#largestGeneralizedEigenvalueBound}: 0.7 ms at 64, 14 ms at 256), which at b = 256 is about
     * one rank-256 pass over a 1000 × 1000 M, and grows as b³ beyond it where the pass grows as b.
     */
    static final int MAX_BLOCK = 256;

    private SpectralNorm() {
    }

    /**
     * σ₁(M) by block power iteration with b = min({@code block}, {@value #MAX_BLOCK}) columns per chain, on the fused
     * pass at rank b (the solver passes its own rank, so up to rank {@value #MAX_BLOCK} this also runs, on the real M,
     * the very pass the iterations will run).
     *
     * <p>Each pass takes blocks U (d1 × b) and V (d2 × b) to U ← η·MV and V ← η·MᵀU (one gradient step of the engine
     * with coefficients I/η, so no other kernel is needed; η = 1/the current estimate keeps the scale steady). No
     * re-orthonormalisation: the bound is the generalised Rayleigh quotient ‖MVw‖²/‖Vw‖² (Grams from the next pass) at
     * the direction w that nearly maximises it, λ_max(G(MV), G(V)), among the directions of V above the floor ({@link
     * SmallLinearAlgebra#largestGeneralizedEigenvalueBound}): a lower bound on σ₁² whatever V is. It converges like
     * (σ_{b+1}/σ₁)^{2k} while the block keeps b independent directions, instead of (σ₂/σ₁)^{2k}: the top r singular
     * values of a matrix worth factorising at rank r are often clustered (the demo's ten are within 5 %), and its
     * (r+1)-th is far below.
     *
     * @param normM ‖M‖_F, the scale of the first step
     */
    public static double estimate(FactorKernels kernels, ParallelPass pass, DenseMatrix m, int block, double normM,
            long seed) {
        return estimate(Engines.dense(kernels, pass, m), block, normM, seed);
    }

    /** σ₁ of the M behind {@code passes} (dense, sparse, or elsewhere), as {@link #estimate(FactorKernels,
     * ParallelPass, DenseMatrix, int, double, long)} does it. */
    static double estimate(PowerPasses passes, int block, double normM, long seed) {
        return estimate(passes, block, normM, seed, () -> false);
    }

    /**
     * As {@link #estimate(PowerPasses, int, double, long)}, asking {@code stop} before every pass after the first:
     * when it says so, the bound so far is returned (‖M‖_F, an upper bound, before there is one). A matrix without a
     * gap at the top of its spectrum can still take hundreds of passes to the target — 228 (300 before) on a
     * 200 000 × 100 000 sparse Gaussian M with 8 M entries at rank 16, 40–60 s on two busy cores — and a cancelled
     * run should not wait for them.
     */
    static double estimate(PowerPasses passes, int block, double normM, long seed, BooleanSupplier stop) {
        return estimate(passes, block, normM, seed, stop, MAX_PASSES, (done, most, finished) -> { });
    }

    /**
     * Told what the estimate has done before each pass and at its end: {@code passes} of at most {@code most}, and
     * whether it has finished.
     */
    @FunctionalInterface
    interface PassListener {
        void passed(int passes, int most, boolean finished);
    }

    /**
     * As {@link #estimate(PowerPasses, int, double, long, BooleanSupplier)}, in at most {@code maxPasses} passes
     * (a budget from {@link #passesFor}: what the estimate's use needs), telling {@code progress} before each pass
     * and once at the end.
     */
    static double estimate(PowerPasses passes, int block, double normM, long seed, BooleanSupplier stop,
            int maxPasses, PassListener progress) {
        if (normM == 0.0) {
            return 0.0; // σ₁ ≤ ‖M‖_F; and the first step 1/‖M‖_F would be infinite
        }
        int b = Math.min(block, MAX_BLOCK);
        try (DenseMatrix x = DenseMatrix.allocate(passes.dtype(), passes.cols(), b);
                DenseMatrix y = DenseMatrix.allocate(passes.dtype(), passes.rows(), b)) {
            SplittableRandom random = new SplittableRandom(seed ^ 0x5DEECE66DL);
            fillUnit(x, random);
            fillUnit(y, random);
            try (PowerPasses.Blocks blocks = passes.open(y, x, false)) {
                double[] identity = new double[b * b];
                double[] previousGramU = new double[b * b];
                double[] previousGramV = new double[b * b];
                double best = 0.0;
                double eta = 1.0 / normM;
                Progress rule = new Progress(b >= MIN_TARGET_BLOCK);
                double floor = gramFloor(passes.dtype());
                for (int k = 0; k < maxPasses; k++) {
                    if (k > 0 && stop.getAsBoolean()) {
                        return best > 0 ? best : normM;
                    }
                    progress.passed(k, maxPasses, false);
                    blocks.pass();
                    if (k > 0) {
                        // G(MV_{k−1}) = gramU/η², G(MᵀU_{k−1}) = gramV/η²
                        double estimate = Math.sqrt(Math.max(
                                SmallLinearAlgebra.largestGeneralizedEigenvalueBound(blocks.gramY(), previousGramV, b,
                                        floor),
                                SmallLinearAlgebra.largestGeneralizedEigenvalueBound(blocks.gramX(), previousGramU, b,
                                        floor))) / eta;
                        // the first improvement is from nothing: the rate is read from the later ones
                        boolean done = best == 0.0 ? estimate == 0.0 : rule.stop(estimate / best - 1);
                        best = Math.max(best, estimate);
                        if (done) {
                            progress.passed(k + 1, maxPasses, true);
                            return best;
                        }
                        eta = 1.0 / best;
                    }
                    System.arraycopy(blocks.gramY(), 0, previousGramU, 0, b * b);
                    System.arraycopy(blocks.gramX(), 0, previousGramV, 0, b * b);
                    // U ← U − η(U·(I/η) − MV) = η·MV, and V likewise, both from the old blocks
                    for (int a = 0; a < b; a++) {
                        identity[a * b + a] = 1.0 / eta;
                    }
                    blocks.step(identity, eta);
                }
                progress.passed(maxPasses, maxPasses, true);
                return best;
            }
        }
    }

    /**
     * σ₁(M) for a run with this step schedule and start, by {@link #estimate(PowerPasses, int, double, long,
     * BooleanSupplier, int, PassListener)} in the passes that its uses need — {@link #passesFor} of what they tolerate
     * ({@link #tolerated}) at n = max(d1, d2) — each pass told to the listeners ({@link
     * IterationListener#onSpectralNorm}). The one home of that rule: the solver's set-up runs it on its engines, the
     * Spark driver on its passes (one job each), through {@link PowerPasses#spectralNorm}.
     */
    static double forRun(PowerPasses passes, StepSchedule schedule, Initializer start, Variant variant, int block,
            double normM, long seed, BooleanSupplier stop, List<? extends IterationListener> listeners) {
        int budget = passesFor(tolerated(schedule, start, variant), Math.max(passes.rows(), passes.cols()));
        return estimate(passes, block, normM, seed, stop, budget, (done, most, finished) -> {
            for (IterationListener listener : listeners) {
                listener.onSpectralNorm(done, most, finished);
            }
        });
    }

    /**
     * The relative underestimate δ of σ₁(M) that a run's uses of it tolerate, the least over them; 0 where no bound is
     * known or none is tolerated (the passes then run to their own stop rule, up to {@link #MAX_PASSES}, as before).
     *
     * <p>{@code auto:C} steps η = C/σ̂₁ ≤ C/((1 − δ)σ₁). At a balanced optimum the loss's sharpness is 2σ₁, and for
     * {@code regularized:λ}, whose objective adds (λ/4)‖UᵀU − VᵀV‖²_F, 4λσ₁ along the balancing direction: with
     * s = max(1, 2λ) the step is stable while sC/(1 − δ) &lt; 1, and δ = (1 − sC)/2 keeps half the margin sC has
     * (the default C = ½ with λ ≤ ½: δ = ¼, an effective C of at most ⅔; λ = 0.9: δ = 0.05). 0 when sC ≥ 1, unstable
     * at the optimum whatever σ̂₁. (Alternating steps meet a block's sharpness σ₁ only, more lenient.)
     *
     * <p>{@code theory:ε,δ}: 0, the passes' own target. Its c = √(ε/(Kσ̂₁)) in η_t = c/(σ̂₁(t + 1)^p) makes the drift
     * bound (ε/2)(σ₁/σ̂₁)³, and the schedule spends the other ε/2 of the ε that Lemma 3.1 needs on the start's
     * imbalance, so any underestimate it tolerated would break the bound it cites: at the {@link #TARGET} 10⁻³ the
     * drift bound is 0.5015ε, which the lemma still grants to a start whose imbalance is below 0.498ε (a small
     * start's is orders of magnitude below).
     *
     * <p>The initialisers use σ₁ for a scale: {@code small} and {@code balanced} ∝ √σ̂₁, so δ = ½ keeps the start
     * within a factor √2 (29 % below at worst); {@code ward-kolda} sets U₀ ∝ 1/(√η₀σ̂₁) and V₀ ∝ √η₀σ̂₁, which with a
     * step that does not depend on σ̂₁ ({@code constant}) is σ̂₁ to the first power: δ = 1 − 1/√2 keeps the same
     * factor √2 (U₀ at most 41 % too large, V₀ 29 % too small).
     */
    static double tolerated(StepSchedule schedule, Initializer start, Variant variant) {
        double tolerated = 0.5;
        if (schedule.needsSpectralNorm()) {
            tolerated = 0;
            if (schedule instanceof SpectralSchedule auto) {
                // the optimum's sharpness in units of 2σ₁
                double s = variant instanceof Variant.Regularized(double lambda) ? Math.max(1, 2 * lambda) : 1;
                tolerated = Math.max(0, (1 - s * auto.c()) / 2);
            }
        }
        if (start.needsSpectralNorm()) {
            tolerated = Math.min(tolerated, start instanceof Initializer.WardKolda ? 1 - Math.sqrt(0.5) : 0.5);
        }
        return tolerated;
    }

    /**
     * The passes that leave σ̂₁ below (1 − δ)σ₁ with a chance of at most {@link #FAILURE} per chain, whatever the
     * spectrum, for an M with n = max(d1, d2): between {@link #MIN_PASSES} and {@link #MAX_PASSES}; MAX_PASSES when
     * {@code tolerated} is 0 (no bound known).
     *
     * <p>No upper bound on σ₁ that these passes can compute is tight without a gap (class comment), so the budget
     * rests on the random start: Kuczyński and Woźniakowski (SIAM J. Matrix Anal. Appl. 13, 1992) bound the chance,
     * over a start uniform on the sphere, that s power steps on a positive semi-definite A leave the Rayleigh quotient
     * below (1 − ε)λ₁(A) by roughly √n·(1 − ε)^s, for every spectrum. Here A = MᵀM (or MMᵀ), ε = 1 − (1 − δ)² (σ̂₁ ≥
     * (1 − δ)σ₁ is σ̂₁² ≥ (1 − ε)σ₁²), and the budget takes s from √n·(1 − ε)^(s − 1) ≤ {@link #FAILURE} — one step
     * of margin for the constant — and counts two passes per step (each pass advances a chain by a half-step, M or
     * Mᵀ) and one for the first bound. Each chain is a column of X or Y, started independently (Gaussian, the same
     * law up to scale) and never mixed with the others (no re-orthonormalisation), and the block's bound is the
     * maximum over their span, nearly ({@link SmallLinearAlgebra#largestGeneralizedEigenvalueBound}), so at about the
     * best of the 2b chains' own quotients: the estimate fails only if all of them do. For the default δ = ¼ and
     * n = 10⁵ that is 49 passes (so {@link #MIN_PASSES}), for n = 10⁹ 65; δ = 0.1 would take 125 at n = 10⁵; a δ
     * below about 0.04 reaches {@link #MAX_PASSES}.
     */
    static int passesFor(double tolerated, long n) {
        if (!(tolerated > 0)) {
            return MAX_PASSES;
        }
        double epsilon = 1 - (1 - tolerated) * (1 - tolerated);
        double steps = 1 + Math.log(Math.sqrt(n) / FAILURE) / -Math.log1p(-epsilon);
        return (int) Math.clamp(2 * Math.ceil(steps) + 1, MIN_PASSES, MAX_PASSES);
    }

    /**
     * How far above rounding a direction w of a block V must lie for the bound λ_max(G(MV), G(V)) to be read along it:
     * wᵀG(V)w above this times ‖w‖² and (an upper bound on) G(V)'s largest eigenvalue — √u in float32, 10⁻¹² in
     * float64. (The Jacobi path keeps G(V)'s eigenvectors above it; the bound σ₁ uses checks its one direction, {@link
     * SmallLinearAlgebra#largestGeneralizedEigenvalueBound}.) The columns are not re-orthonormalised between passes, so
     * once M's range is narrower than the block (a rank-1 M of all ones, integer ratings, an exactly low-rank M), some
     * directions of V hold only rounding, with eigenvalues λ near u²·λ_max, while MV along them is the product's
     * rounding, of relative size c·u (c ~ √n for sums of n terms), which does not shrink with them: the quotient there
     * is noise of order c²·u²·λ_max/λ times σ₁². With 10⁻¹² it put float32 estimates above σ₁ — by up to 35 % on a 1500
     * × 300 M of ones at a block of 10 (a review's finding). Above a floor f the excess is at most about
     * 2c·u·(‖M‖_F/σ₁)/√f relative, and dropping directions only narrows the maximisation (it can lower the bound, not
     * raise it), by about f/10 where the top direction's neighbours are dropped (measured: 1.1·10⁻⁹ in float64 at f =
     * 10⁻⁸). float32 at f = √u: excess 2c·u^{3/4}·‖M‖_F/σ₁ ≈ 7·10⁻⁶·c·‖M‖_F/σ₁, narrowing ~2·10⁻⁵, both far inside
     * {@link #TARGET}; float64 keeps 10⁻¹², where the products' excess is ~2·10⁻¹⁰·c·‖M‖_F/σ₁ and the polish to {@link
     * #POLISH} is not cut short. Forming G(V) rounds too, by ~u·g·‖w‖² along w (g its largest eigenvalue), u/f relative
     * at the floor: up to 10⁻⁴ in float64 at f = 10⁻¹² — 5·10⁻⁵ above σ₁ was seen on a constructed block (an orthogonal
     * M, columns of V differing by graded perturbations 0.3^j·δ), never on the tests' or the e2e problems' matrices.
     */
    static double gramFloor(DType dtype) {
        return dtype == DType.FLOAT32 ? Math.sqrt(dtype.unitRoundoff()) : 1e-12;
    }

    /**
     * A lower bound on σ₁(M − UVᵀ) by power iteration on single vectors, from at most {@code maxPasses} passes over M
     * (the residual's leading singular values need not be clustered, and no rank-r kernel is to be warmed here).
     *
     * <p>Not {@link #estimate}'s stop rule: this one has no cost to cut (the plateau test's 30 passes bound it, and
     * it ends sooner — as soon as the bound exceeds {@code enough}, which an escape direction above the noise does in
     * a pass or two, or on its change rule, after 8 passes at the rank-16 optimum of issue 8's plateau case), and its
     * accuracy matters only near {@code enough}. The change rule is no error bound: it left that iterate's σ₁(R) ≥
     * σ₁₇(M) = 8.08 at 7.58, 6 % low. A bound low by δ accepts only iterates with σ₁(R) ≤ enough/(1 − δ): an escape
     * the exact σ₁(R) would have found lowers ‖R‖²_F by about 2δ·enough² at most (native-notes/startup.md, "σ₁ stop
     * rule (ninth session)").
     *
     * @param relativeTolerance stop once a pass improves the bound by less than this, relatively
     * @param enough stop as soon as the bound exceeds this (the caller only needs to know that it does)
     */
    public static double residual(Engines engines, DenseMatrix u, DenseMatrix v, long seed, int maxPasses,
            double relativeTolerance, double enough) {
        return residual(engines.withFactors(u, v), seed, maxPasses, relativeTolerance, enough);
    }

    /** As {@link #residual(Engines, DenseMatrix, DenseMatrix, long, int, double, double)}, at the factors of
     * {@code passes}. */
    public static double residual(PowerPasses passes, long seed, int maxPasses, double relativeTolerance,
            double enough) {
        try (DenseMatrix x = DenseMatrix.allocate(passes.dtype(), passes.cols(), 1);
                DenseMatrix y = DenseMatrix.allocate(passes.dtype(), passes.rows(), 1)) {
            SplittableRandom random = new SplittableRandom(seed ^ 0x5DEECE66DL);
            fillUnit(x, random);
            fillUnit(y, random);
            try (PowerPasses.Blocks blocks = passes.open(y, x, true)) {
                double best = 0.0;
                for (int k = 0; k < maxPasses; k++) {
                    blocks.pass();
                    double mx = blocks.imageNorm();
                    double mty = columnNorm(blocks.aty());
                    double estimate = Math.max(mx, mty);
                    if (estimate == 0.0) {
                        return 0.0;
                    }
                    boolean done = estimate <= best * (1 + relativeTolerance) || estimate > enough;
                    best = Math.max(best, estimate);
                    if (done) {
                        break;
                    }
                    // a zero image means the vector lies in a null space: keep it, the other chain carries on
                    if (mty > 0) {
                        PowerPasses.copyScaled(blocks.aty(), x, 1.0 / mty);
                    }
                    if (mx > 0) {
                        blocks.scaleImage(1.0 / mx);
                    }
                }
                return best;
            }
        }
    }

    /**
     * The stop rule of {@link #estimate}, fed the relative improvement of the bound after every pass but the first
     * (class comment): stop when a pass improves it by at most {@link #POLISH}, or (a block wide enough) when the error
     * left, extrapolated
     * from the rate of the last {@link #RATE_WINDOW} ratios of improvements, is within {@link #TARGET} and even the
     * fastest of those rates would not reach {@link #POLISH} within {@link #POLISH_PASSES} passes.
     */
    static final class Progress {
        private final double[] ratios = new double[RATE_WINDOW];
        private final boolean mayStopAtTarget;
        private int count;
        private double previous = Double.NaN;

        /** @param mayStopAtTarget whether the target rule applies (a block of {@link #MIN_TARGET_BLOCK} or more) */
        Progress(boolean mayStopAtTarget) {
            this.mayStopAtTarget = mayStopAtTarget;
        }

        /** Whether to stop after a pass that improved the estimate by {@code improvement}, relatively. */
        boolean stop(double improvement) {
            if (improvement <= POLISH) {
                return true;
            }
            if (!Double.isNaN(previous)) {
                ratios[count++ % RATE_WINDOW] = improvement / previous;
            }
            previous = improvement;
            if (!mayStopAtTarget || count < RATE_WINDOW) {
                return false;
            }
            double fastest = Double.POSITIVE_INFINITY;
            double slowest = 0.0;
            for (double q : ratios) {
                fastest = Math.min(fastest, q);
                slowest = Math.max(slowest, q);
            }
            // no extrapolation while the improvements do not shrink (a direction still growing in the block)
            return slowest < 1 && 2 * improvement / (1 - slowest) <= TARGET
                    && improvement * Math.pow(fastest, POLISH_PASSES) > POLISH;
        }
    }

    /** z −= A(Bᵀw) for the column z, factors A (z.rows() × r) and B (w.rows() × r); sums in double. */
    private static void subtractProjected(DenseMatrix z, DenseMatrix a, DenseMatrix b, DenseMatrix w) {
        int r = a.cols();
        double[] btw = new double[r];
        PowerPasses.addTransposedProduct(b, w, 0, b.rows(), btw);
        PowerPasses.subtractProduct(z, a, btw, 0, a.rows());
    }

    /** ‖z‖ of the column z, summed in double row by row. */
    static double columnNorm(DenseMatrix z) {
        double s = 0.0;
        for (int i = 0; i < z.rows(); i++) {
            double zi = z.get(i, 0);
            s += zi * zi;
        }
        return Math.sqrt(s);
    }

    /** Fills every column of z with Gaussian entries scaled to unit norm. */
    private static void fillUnit(DenseMatrix z, SplittableRandom random) {
        for (int c = 0; c < z.cols(); c++) {
            double norm = 0.0;
            double[] g = new double[z.rows()];
            for (int i = 0; i < g.length; i++) {
                g[i] = random.nextGaussian();
                norm += g[i] * g[i];
            }
            norm = Math.sqrt(norm);
            for (int i = 0; i < g.length; i++) {
                z.set(i, c, g[i] / norm);
            }
        }
    }

    /**
     * The solver's own {@link PowerPasses}: fused-pass engines over one M (dense, or sparse with the full loss) on its
     * worker team, for given blocks Y (d1 × b, as U) and X (d2 × b, as V), so the power iterations run on either
     * storage; the residual at the factors U, V of {@link #withFactors} (null: none given).
     */
    public record Engines(DType dtype, int rows, int cols, BiFunction<DenseMatrix, DenseMatrix, IterationEngine> make,
            DenseMatrix u, DenseMatrix v) implements PowerPasses {
        IterationEngine over(DenseMatrix y, DenseMatrix x) {
            return make.apply(y, x);
        }

        /** These engines, whose residual is R = M − UVᵀ at {@code u} and {@code v} (read at every pass). */
        public Engines withFactors(DenseMatrix u, DenseMatrix v) {
            return new Engines(dtype, rows, cols, make, u, v);
        }

        public static Engines dense(FactorKernels kernels, ParallelPass pass, DenseMatrix m) {
            return new Engines(m.dtype(), m.rows(), m.cols(), (y, x) -> new IterationEngine(kernels, pass, m, y, x),
                    null, null);
        }

        public static Engines sparse(FactorKernels kernels, SparseKernels sparseKernels,
                ParallelPass pass, SparseMatrix m) {
            return new Engines(m.dtype(), m.rows(), m.cols(),
                    (y, x) -> new IterationEngine(kernels, sparseKernels, pass, m, false, null, y, x), null, null);
        }

        @Override
        public Blocks open(DenseMatrix y, DenseMatrix x, boolean residual) {
            if (residual && u == null) {
                throw new IllegalStateException("no factors for the residual: see withFactors");
            }
            IterationEngine engine = over(y, x);
            return new Blocks() {
                @Override
                public void pass() {
                    engine.fusedPass();
                    if (residual) {
                        // Rx = Mx − U(Vᵀx), Rᵀy = Mᵀy − V(Uᵀy)
                        subtractProjected(engine.mv(), u, v, x);
                        subtractProjected(engine.mtu(), v, u, y);
                    }
                }

                @Override
                public DenseMatrix aty() {
                    return engine.mtu();
                }

                @Override
                public double[] gramY() {
                    return engine.gramU;
                }

                @Override
                public double[] gramX() {
                    return engine.gramV;
                }

                @Override
                public double imageNorm() {
                    return columnNorm(engine.mv());
                }

                @Override
                public void step(double[] a, double eta) {
                    engine.step(a, a, eta);
                }

                @Override
                public void scaleImage(double s) {
                    PowerPasses.copyScaled(engine.mv(), y, s);
                }

                @Override
                public void close() {
                    engine.close();
                }
            };
        }
    }
}
