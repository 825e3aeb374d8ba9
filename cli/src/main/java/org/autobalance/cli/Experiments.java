package org.autobalance.cli;

import static org.autobalance.cli.ExperimentReport.g;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.autobalance.cli.ExperimentReport.Panel;
import org.autobalance.cli.ExperimentReport.Series;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.observe.IterationRecord;
import org.autobalance.schedule.ConstantSchedule;
import org.autobalance.schedule.PowerDecaySchedule;
import org.autobalance.schedule.SpectralSchedule;
import org.autobalance.schedule.StepSchedule;
import org.autobalance.schedule.TheorySchedule;
import org.autobalance.solve.Initializer;
import org.autobalance.solve.Variant;
import org.autobalance.synthetic.KnownMatrices;

/**
 * The reproduction experiments of {@code autobalance reproduce} (paper-notes §3 protocol, §5 predictions). Each
 * builds its problem, runs the solver in float64 and decides its verdict from a prediction stated before the run.
 */
final class Experiments {
    /** The experiments by name, in the order {@code reproduce all} runs them. */
    static final Map<String, Supplier<ExperimentReport>> ALL = Map.of("fig1", Experiments::fig1, "decay",
            Experiments::decay, "rank1", Experiments::rank1, "flow-limit", Experiments::flowLimit, "stability",
            Experiments::stability, "overparam", Experiments::overparam, "fig2", Fig2Experiment::run);
    static final List<String> NAMES = List.of("fig1", "decay", "rank1", "flow-limit", "stability", "overparam",
            "fig2");

    private Experiments() {
    }

    private static Series series(String name, Trace trace, double[] y) {
        return new Series(name, trace.t(), y);
    }

    /** P8 / Figure 1: GD on f and on f + (1/8)‖UᵀU − VᵀV‖²: same speed; plain GD stays balanced on its own. */
    static ExperimentReport fig1() {
        ExperimentReport rep = new ExperimentReport("fig1", "From a small start, constant-step GD on f and on "
                + "f + (1/8)|U'U - V'V|_F^2 reach the same accuracy in the same number of steps (within 1 + "
                + "eta lambda sum_t |D_t|_F / ln(1 + eta sigma_r): the regulariser's pull on the growth of the "
                + "slowest mode), "
                + "and for plain f, |U|_F/|V|_F stays near its initial value (about 1 for d1 = d2): "
                + "|tr D_t - tr D_0| <= sqrt(r) * sum_t 2 eta^2 f_t (|U_t|^2 + |V_t|^2)");
        int d = 100, r = 5;
        double[] sigma = {1.0, 0.875, 0.75, 0.625, 0.5};
        double eta = 0.1;
        double lambda = Variant.DEFAULT_LAMBDA; // (λ/4)‖D‖² = (1/8)‖D‖², the paper's coefficient
        rep.parameters.putAll(Map.of("d1", d, "d2", d, "rank", r, "sigma", list(sigma), "init_std", 1e-3,
                "eta", eta, "iterations", 5000, "lambda", lambda));
        try (DenseMatrix m = withSpectrum(d, d, sigma, 2018)) {
            StepSchedule schedule = new ConstantSchedule(eta);
            Trace plain = Trace.run(m, r, Variant.SIMULTANEOUS, schedule, Initializer.small(1e-3), 5000, 0, 5,
                    1e-3, 1e-6);
            Trace reg = Trace.run(m, r, new Variant.Regularized(lambda), schedule, Initializer.small(1e-3), 5000,
                    0, 5, 1e-3, 1e-6);
            double traceMove = Math.abs(sqDiff(plain.last) - sqDiff(plain.first));
            double ratioEnd = plain.last.normU() / plain.last.normV();
            rep.measured.put("iterations_to_1e-3", Map.of("plain", plain.reachedAt[0], "regularized",
                    reg.reachedAt[0]));
            rep.measured.put("iterations_to_1e-6", Map.of("plain", plain.reachedAt[1], "regularized",
                    reg.reachedAt[1]));
            rep.measured.put("norm_ratio_initial", plain.first.normU() / plain.first.normV());
            rep.measured.put("norm_ratio_final", ratioEnd);
            rep.measured.put("trace_D_change", traceMove);
            rep.measured.put("sqrt_r_times_drift_bound", Math.sqrt(r) * plain.driftBound);
            rep.measured.put("balance_final", Map.of("plain", plain.last.balance(), "regularized", reg.last.balance()));
            long tp = plain.reachedAt[1];
            long tr = reg.reachedAt[1];
            // The regularised step adds −ηλ·U·D_t to U and +ηλ·V·D_t to V (Variant.Regularized): per iteration it
            // changes the length of any column combination of U or V by a factor within 1 ± ηλ‖D_t‖₂, so by the
            // 1e-6 crossing the log-amplitudes of the modes differ by at most ηλ Σ_t ‖D_t‖_F between the runs. The
            // slowest mode (σ_r) gains at least ln(1 + ησ_r) of log-amplitude per iteration, while it grows from
            // the small start and while its error contracts near the optimum (Hessian 2σ_r there), so the crossing
            // moves by at most ηλ Σ‖D_t‖/ln(1 + ησ_r) iterations, plus 1 for rounding to whole iterations. With
            // ‖D‖ ≈ 1e-4 from the 1e-3 start this allows one iteration (measured: 0), where the former "2 % + 2"
            // allowed eight: a regularised run at 0.98η (2 % slower, by mutation) took 7 more and passed that, and
            // fails this.
            double allowed = 1 + eta * lambda * reg.balanceSum / Math.log1p(eta * sigma[r - 1]);
            rep.measured.put("iterations_allowed_difference", allowed);
            rep.pass = tp > 0 && tr > 0 && Math.abs(tp - tr) <= allowed
                    && traceMove <= Math.sqrt(r) * plain.driftBound + 1e-12 && Math.abs(ratioEnd - 1) < 1e-2;
            rep.summary = "iterations to 1e-6: " + tp + " (f) vs " + tr + " (f_reg); |U|/|V| "
                    + g(plain.first.normU() / plain.first.normV()) + " -> " + g(ratioEnd);
            rep.panels.add(new Panel("(a) relative error", "iteration", "|UV'-M|/|M|", true, List.of(
                    series("f", plain, plain.relativeErrors()), series("f + 1/8|D|^2", reg, reg.relativeErrors()))));
            rep.panels.add(new Panel("(b) norm ratio |U|/|V|", "iteration", "|U|_F/|V|_F", false, List.of(
                    series("f", plain, plain.normRatios()), series("f + 1/8|D|^2", reg, reg.normRatios()))));
            rep.panels.add(new Panel("(c) imbalance |U'U - V'V|", "iteration", "|D|_F", true, List.of(
                    series("f", plain, plain.balances()), series("f + 1/8|D|^2", reg, reg.balances()))));
        }
        return rep;
    }

    private static double sqDiff(IterationRecord r) {
        return r.normU() * r.normU() - r.normV() * r.normV();
    }

    /** P4: decaying steps keep the summed drift below the §2.1 bound; δ = 1/2 is log-slow. */
    static ExperimentReport decay() {
        ExperimentReport rep = new ExperimentReport("decay", "With eta_t = c/(t+1)^(1/2+delta), |D_T - D_0|_F <= "
                + "sum_t 2 eta_t^2 f_t (|U_t|^2+|V_t|^2) <= 2c^2 r (1+sqrt r)(1+1/(2 delta)) sigma1; delta = 1/4 "
                + "travels the flow time sum eta_t = 24 in 2e5 steps, enough to escape the 1e-3 start along every mode "
                + "(mode i needs about ln(sigma_i/1e-6)/(2 sigma_i): 6.9 to 21), so modes 1-3 are fitted: "
                + "f < sigma_4^2/2 + 1e-3; delta = 1/2 travels only 0.3 ln(2e5) = 3.7 < 6.9: nothing is fitted, "
                + "f > f_0/2 (log-slow); theory:0.01,0.25 keeps |D_t| < 0.01 with its own init variance (the "
                + "balance half of Thm 3.1 only: its derived constant travels so little flow time that the run "
                + "does not leave its start: the flow time of the delta = 1/4 run would take it ~3e11 steps)");
        int d1 = 60, d2 = 40, r = 4;
        int iterations = 200_000;
        double c = 0.3;
        double[] sigma = {1, 0.8, 0.5, 0.3};
        double epsilon = 0.01;
        double sigma0 = Math.sqrt(epsilon / (2 * (Math.abs(d1 - d2) * Math.sqrt(r) + 3 * r * Math.sqrt(d1 + d2))));
        rep.parameters.putAll(Map.of("d1", d1, "d2", d2, "rank", r, "sigma", list(sigma), "init_std", 1e-3, "c", c,
                "iterations", iterations, "theory_epsilon", epsilon, "theory_init_std", sigma0));
        try (DenseMatrix m = withSpectrum(d1, d2, sigma, 60)) {
            double[][] u0 = KnownMatrices.gaussian(d1, r, 1e-3, 61);
            double[][] v0 = KnownMatrices.gaussian(d2, r, 1e-3, 62);
            boolean pass = true;
            List<Series> errors = new ArrayList<>();
            List<Series> balances = new ArrayList<>();
            StringBuilder summary = new StringBuilder();
            for (double delta : new double[] {0.25, 0.5}) {
                Trace t = Trace.runFrom(m, u0, v0, Variant.SIMULTANEOUS, new PowerDecaySchedule(c, delta), iterations,
                        0, iterations / 2000);
                double drift = t.drift(u0, v0);
                double apriori = 2 * c * c * r * (1 + Math.sqrt(r)) * (1 + 1 / (2 * delta));
                double f = t.last.loss();
                rep.measured.put("delta_" + delta, Map.of("final_loss", f, "initial_loss", t.first.loss(),
                        "final_balance", t.last.balance(), "initial_balance", t.first.balance(), "drift", drift,
                        "drift_bound", t.driftBound, "apriori_bound", apriori));
                pass &= drift <= t.driftBound + 1e-13 && t.driftBound <= apriori;
                pass &= delta == 0.25 ? f < 0.5 * sigma[3] * sigma[3] + 1e-3 : f > 0.5 * t.first.loss();
                summary.append("delta ").append(delta).append(": f ").append(g(f)).append(", drift ")
                        .append(g(drift)).append(" <= ").append(g(t.driftBound)).append("; ");
                errors.add(series("delta = " + delta, t, t.relativeErrors()));
                balances.add(series("delta = " + delta, t, t.balances()));
            }
            double[][] tu0 = KnownMatrices.gaussian(d1, r, sigma0, 63);
            double[][] tv0 = KnownMatrices.gaussian(d2, r, sigma0, 64);
            TheorySchedule theory = new TheorySchedule(epsilon, 0.25);
            Trace t = Trace.runFrom(m, tu0, tv0, Variant.SIMULTANEOUS, theory, iterations / 10, 0, 10);
            double maxBalance = t.records.stream().mapToDouble(IterationRecord::balance).max().orElse(Double.NaN);
            // the derived constant is small enough to bound the drift by eps/2 on any path, and too small to move:
            // said with the flow time it travelled and the steps it would take to travel the delta = 1/4 run's,
            // which fits (a reviewer read the bare "max |D| < eps" as the theorem reproduced)
            double eta0 = t.first.eta();
            double flow = 4 * eta0 * (Math.pow(iterations / 10.0, 0.25) - 1);
            double fitFlow = 4 * c * (Math.pow(iterations, 0.25) - 1);
            double stepsToFit = Math.pow(fitFlow / (4 * eta0) + 1, 4);
            rep.measured.put("theory", Map.of("max_balance", maxBalance, "initial_balance", t.first.balance(),
                    "drift_bound", t.driftBound, "final_loss", t.last.loss(), "initial_loss", t.first.loss(),
                    "iterations", iterations / 10, "flow_time", flow, "steps_to_travel_fitting_flow", stepsToFit));
            pass &= maxBalance < epsilon && t.first.balance() <= epsilon / 2
                    && t.driftBound <= epsilon / 2 * (1 + 1e-6);
            summary.append("theory: max |D| ").append(g(maxBalance)).append(" < ").append(epsilon)
                    .append(" (balance only: f ").append(g(t.last.loss())).append(" of ").append(g(t.first.loss()))
                    .append(", flow time ").append(g(flow)).append("; the delta 0.25 run's ").append(g(fitFlow))
                    .append(" would take ~").append(String.format(java.util.Locale.ROOT, "%.0e", stepsToFit))
                    .append(" steps)");
            errors.add(series("theory:0.01,0.25", t, t.relativeErrors()));
            balances.add(series("theory:0.01,0.25", t, t.balances()));
            rep.pass = pass;
            rep.summary = summary.toString();
            rep.panels.add(new Panel("relative error", "iteration", "|UV'-M|/|M|", true, true, errors));
            rep.panels.add(new Panel("imbalance |U'U - V'V|", "iteration", "|D|_F", true, true, balances));
        }
        return rep;
    }

    /** P5: rank-1, constant step, small start: linear convergence at 1 − ησ₁ and bounded norm ratio. */
    static ExperimentReport rank1() {
        ExperimentReport rep = new ExperimentReport("rank1", "Rank-1 M (100 x 80, sigma1 = 1), init variance "
                + "1e-3/d: relative error 1e-8 after the number of iterations the exact 4-variable recursion of the "
                + "rank-1 dynamics (paper-notes 2.2) takes from the same start, +-1 (420 at eta = 0.05 and 101 at "
                + "eta = 0.2 from this start), tail contraction of |R| exactly 1 - eta*sigma1 (+-1e-4), |u|^2/|v|^2 "
                + "within (0.5, 2) and ending at 1 within (|D_0| + drift bound)/|v|^2");
        int d1 = 100, d2 = 80;
        double std = Math.sqrt(1e-3 / d1);
        rep.parameters.putAll(Map.of("d1", d1, "d2", d2, "sigma1", 1.0, "init_std", std, "etas", List.of(0.05, 0.2)));
        double[] x = unitVector(d1, 1);
        double[] y = unitVector(d2, 4);
        boolean pass = true;
        StringBuilder summary = new StringBuilder();
        List<Series> errors = new ArrayList<>();
        List<Series> ratios = new ArrayList<>();
        try (DenseMatrix m = Trace.outer(x, y)) {
            double[][] u0 = KnownMatrices.gaussian(d1, 1, std, 2);
            double[][] v0 = KnownMatrices.gaussian(d2, 1, std, 3);
            double[] etas = {0.05, 0.2};
            // each run's iteration budget is twice these (the recursion's counts, 420 and 101, with room)
            int[] reference = {500, 115};
            for (int k = 0; k < 2; k++) {
                double eta = etas[k];
                // the engine and the recursion are two float64 evaluations of one map: their relative errors differ
                // by rounding (~ steps·u relative), while the error moves by a factor ≥ 1 − ησ₁ = 0.8 per step near
                // the target; the crossing can move by one iteration only if it lands within rounding of 1e-8
                long predicted = rankOneRecursionIterations(u0, v0, x, y, eta, 1e-8, 2L * reference[k]);
                Trace t = Trace.runFrom(m, u0, v0, Variant.SIMULTANEOUS, new ConstantSchedule(eta), 2L * reference[k],
                        1, 1, 1e-6, 1e-8);
                double rate = Double.NaN;
                if (t.reachedAt[0] >= 0) {
                    int i = (int) t.reachedAt[0];
                    rate = Math.sqrt(t.records.get(i + 1).loss() / t.records.get(i).loss());
                }
                double minRatio = Double.MAX_VALUE;
                double maxRatio = 0;
                for (IterationRecord rec : t.records) {
                    double q = rec.normU() * rec.normU() / (rec.normV() * rec.normV());
                    minRatio = Math.min(minRatio, q);
                    maxRatio = Math.max(maxRatio, q);
                }
                IterationRecord end = t.records.get((int) Math.max(t.reachedAt[1], 0));
                double nv = end.normV() * end.normV();
                double endRatio = end.normU() * end.normU() / nv;
                double allowed = (Math.abs(sqDiff(t.first)) + t.driftBound) / nv + 1e-12;
                rep.measured.put("eta_" + eta, Map.of("iterations_to_1e-8", t.reachedAt[1], "predicted", predicted,
                        "tail_rate", rate, "predicted_rate", 1 - eta, "norm_ratio_min", minRatio, "norm_ratio_max",
                        maxRatio, "norm_ratio_end", endRatio, "norm_ratio_end_allowed_deviation", allowed));
                pass &= t.reachedAt[1] > 0 && predicted > 0 && Math.abs(t.reachedAt[1] - predicted) <= 1
                        && Math.abs(rate - (1 - eta)) <= 1e-4 && minRatio > 0.5 && maxRatio < 2
                        && Math.abs(endRatio - 1) <= allowed;
                summary.append("eta ").append(eta).append(": ").append(t.reachedAt[1])
                        .append(" its (the exact recursion: ").append(predicted).append("), rate ")
                        .append(String.format(java.util.Locale.ROOT, "%.5f", rate)).append(" vs ").append(1 - eta)
                        .append("; ");
                errors.add(series("eta = " + eta, t, t.relativeErrors()));
                ratios.add(new Series("eta = " + eta, t.t(), t.records.stream()
                        .mapToDouble(rec -> rec.normU() * rec.normU() / (rec.normV() * rec.normV())).toArray()));
            }
        }
        rep.pass = pass;
        rep.summary = summary.toString().strip();
        rep.panels.add(new Panel("relative error", "iteration", "|uv'-M|/|M|", true, errors));
        rep.panels.add(new Panel("|u|^2/|v|^2", "iteration", "ratio", false, ratios));
        return rep;
    }

    /** P3: over a fixed horizon τ = ηT the drift scales linearly in η (gradient-flow limit). */
    static ExperimentReport flowLimit() {
        ExperimentReport rep = new ExperimentReport("flow-limit", "Over a fixed horizon tau = eta*T the drift "
                + "|D_T - D_0|_F is O(eta): halving eta halves it, the ratio's limit (Richardson-extrapolated) is 2 "
                + "within its own error estimate, and the ratio's deviation from 2 is itself O(eta), so it halves "
                + "too (d1 = 30, d2 = 20, r = 2, |M|_op = 1, init std 0.05, tau = 20)");
        double tau = 20;
        double[] etas = {0.2, 0.1, 0.05, 0.025};
        rep.parameters.putAll(Map.of("d1", 30, "d2", 20, "rank", 2, "sigma", List.of(1.0, 0.5), "init_std", 0.05,
                "tau", tau, "etas", list(etas)));
        boolean pass = true;
        List<Series> balances = new ArrayList<>();
        try (DenseMatrix m = withSpectrum(30, 20, new double[] {1.0, 0.5}, 30)) {
            double[][] u0 = KnownMatrices.gaussian(30, 2, 0.05, 31);
            double[][] v0 = KnownMatrices.gaussian(20, 2, 0.05, 32);
            for (Variant variant : List.of(Variant.SIMULTANEOUS, Variant.ALTERNATING)) {
                double[] drifts = new double[etas.length];
                for (int k = 0; k < etas.length; k++) {
                    int steps = (int) Math.round(tau / etas[k]);
                    Trace t = Trace.runFrom(m, u0, v0, variant, new ConstantSchedule(etas[k]), steps, 0, 1);
                    drifts[k] = t.drift(u0, v0);
                    if (variant == Variant.SIMULTANEOUS) {
                        double eta = etas[k];
                        balances.add(new Series("eta = " + eta, t.records.stream()
                                .mapToDouble(rec -> rec.iteration() * eta).toArray(), t.balances()));
                    }
                }
                double[] ratios = new double[etas.length - 1];
                for (int k = 0; k + 1 < etas.length; k++) {
                    ratios[k] = drifts[k] / drifts[k + 1];
                }
                rep.measured.put(variant.describe(), Map.of("drifts", list(drifts), "ratios", list(ratios)));
                if (variant == Variant.SIMULTANEOUS) {
                    // drift(η) = ηA + η²B + η³C + …, so ratio(η) = drift(η)/drift(η/2) = 2 + ηb + η²c' + … with
                    // b = B/A: the deviation from 2 is itself O(η) and must shrink by about half with each halving
                    // (≤ 0.6x plus a 0.005 floor for the O(η²) terms).
                    for (int k = 1; k < ratios.length; k++) {
                        pass &= Math.abs(ratios[k] - 2) <= 0.6 * Math.abs(ratios[k - 1] - 2) + 0.005;
                    }
                    // The limit: Richardson's R_k = 2·ratio_{k+1} − ratio_k removes the O(η) term, so
                    // R_k = 2 + O(η_k²), and with R_k ≈ 2 + c'η_k², R_{k−1} − R_k ≈ 3c'η_k²: the error of the last
                    // extrapolation is about |R_{k−1} − R_k|/3 (its own estimate, no outside constant). It must be
                    // within twice that (the factor 2 for the O(η³) terms). A drift of any other order p
                    // (ratio → 2^p ≠ 2) or an O(1) drift (ratio → 1) gives steady R far from 2 and fails (checked with
                    // steps fixed at τ/0.1).
                    double r1 = 2 * ratios[1] - ratios[0];
                    double r2 = 2 * ratios[2] - ratios[1];
                    rep.measured.put(variant.describe() + "_extrapolated_ratio", Map.of("limit", r2,
                            "error_estimate", Math.abs(r1 - r2) / 3));
                    pass &= Math.abs(r2 - 2) <= 2 * Math.abs(r1 - r2) / 3;
                    rep.summary = "drift ratios " + list(ratios).stream().map(ExperimentReport::g).toList();
                }
            }
        }
        rep.pass = pass;
        rep.panels.add(new Panel("imbalance vs time tau = eta*t", "tau", "|U'U - V'V|_F", false, balances));
        return rep;
    }

    /** P6: constant steps above 2/(‖u‖² + ‖v‖²) cannot stay at a minimiser; a large unbalanced start diverges. */
    static ExperimentReport stability() {
        ExperimentReport rep = new ExperimentReport("stability", "At a rank-1 minimiser (c u*, v*/c) the sharpness "
                + "is |u|^2 + |v|^2 = c^2 + 1/c^2: 0.9x the threshold 2/sharpness returns to it (loss < 1e-20), 1.1x "
                + "leaves it (diverges, stays unconverged, or moves |D| by > 0.1). P6 reference: |U_0|_F^2 = 56 "
                + "diverges at eta = 0.5 and converges, staying unbalanced, at eta = 0.05");
        rep.parameters.putAll(Map.of("rank1_d1", 20, "rank1_d2", 15, "c", List.of(1.0, 2.0), "perturbation", 1e-4));
        boolean pass = true;
        StringBuilder summary = new StringBuilder();
        List<Series> errors = new ArrayList<>();
        List<Series> unbalanced = new ArrayList<>();
        double[] x = unitVector(20, 11);
        double[] y = unitVector(15, 17);
        try (DenseMatrix m = Trace.outer(x, y)) {
            for (double c : new double[] {1.0, 2.0}) {
                double threshold = 2 / (c * c + 1 / (c * c));
                double[][] u0 = KnownMatrices.gaussian(20, 1, 1e-4, 12);
                double[][] v0 = KnownMatrices.gaussian(15, 1, 1e-4, 13);
                for (int i = 0; i < 20; i++) {
                    u0[i][0] += c * x[i];
                }
                for (int j = 0; j < 15; j++) {
                    v0[j][0] += y[j] / c;
                }
                for (double factor : new double[] {0.9, 1.1}) {
                    Trace t = Trace.runFrom(m, u0, v0, Variant.SIMULTANEOUS,
                            new ConstantSchedule(factor * threshold), 400, 1, 1);
                    double d0 = Math.abs(sqDiff(t.first));
                    double dEnd = t.diverged != null ? Double.NaN : Math.abs(sqDiff(t.last));
                    boolean stayed = t.diverged == null && t.last.loss() < 1e-20;
                    boolean left = t.diverged != null || t.last.loss() > 1e-6 || Math.abs(dEnd - d0) > 0.1;
                    String key = "c_" + c + "_eta_" + factor + "x_threshold";
                    rep.measured.put(key, Map.of("eta", factor * threshold, "final_loss", t.last.loss(),
                            "diverged", t.diverged != null, "imbalance_start", d0, "imbalance_end", dEnd));
                    pass &= factor < 1 ? stayed : left;
                    summary.append("c=").append(c).append(' ').append(factor).append("x: ")
                            .append(t.diverged != null ? "diverged" : "loss " + g(t.last.loss())).append("; ");
                    errors.add(series("c=" + c + ", " + factor + "x", t, t.relativeErrors()));
                }
            }
        }
        try (DenseMatrix m = withSpectrum(30, 20, new double[] {1, 0.6, 0.3}, 14)) {
            double[][] u0 = KnownMatrices.gaussian(30, 3, 1.0, 15);
            double scale = Math.sqrt(56) / KnownMatrices.frobenius(u0);
            for (double[] row : u0) {
                for (int j = 0; j < row.length; j++) {
                    row[j] *= scale;
                }
            }
            double[][] v0 = KnownMatrices.gaussian(20, 3, 0.05, 16);
            for (double eta : new double[] {0.5, 0.05}) {
                Trace t = Trace.runFrom(m, u0, v0, Variant.SIMULTANEOUS, new ConstantSchedule(eta), 50_000, 0,
                        eta == 0.5 ? 1 : 50); // the diverging run lasts 3 steps: keep them all
                double rel = t.relativeError(t.last);
                rep.measured.put("unbalanced_eta_" + eta, Map.of("diverged", t.diverged != null,
                        "final_relative_error", rel, "imbalance_start", t.first.balance(), "imbalance_end",
                        t.last.balance(), "iterations", t.last.iteration() + 1));
                pass &= eta == 0.5 ? t.diverged != null
                        : t.diverged == null && rel < 1e-2 && Math.abs(t.last.balance() / t.first.balance() - 1) < 0.05;
                summary.append("|U0|^2=56 eta ").append(eta).append(": ")
                        .append(t.diverged != null ? "diverged" : "rel. error " + g(rel)).append("; ");
                unbalanced.add(series("|U0|^2 = 56, eta = " + eta, t, t.relativeErrors()));
            }
        }
        rep.pass = pass;
        rep.summary = summary.toString().strip();
        rep.panels.add(new Panel("(a) from a perturbed rank-1 minimiser", "iteration", "|UV'-M|/|M|", true, errors));
        rep.panels.add(new Panel("(b) from |U0|_F^2 = 56, |V0| small", "iteration", "|UV'-M|/|M|", true, true,
                unbalanced));
        return rep;
    }

    /**
     * The first t at which the exact reduction of rank-1 GD on M = xyᵀ (σ₁ = 1) reaches ‖R_t‖_F ≤ target, or −1
     * within {@code cap} steps: with u = a·x + p, v = b·y + q (p ⊥ x, q ⊥ y), one step maps
     * a ← a(1 − η‖v‖²) + ηb, b ← b(1 − η‖u‖²) + ηa, |p| ← |p|·|1 − η‖v‖²|, |q| ← |q|·|1 − η‖u‖²|, and
     * R = (ab − 1)·xyᵀ + a·xqᵀ + b·pyᵀ + pqᵀ, four mutually orthogonal terms (paper-notes §2.2), so
     * ‖R‖² = (ab − 1)² + a²|q|² + b²|p|² + |p|²|q|²: no cancellation of O(1) terms, unlike ‖u‖²‖v‖² − 2ab + 1, whose
     * rounding (~10⁻¹⁶) would swamp ‖R‖² ≈ 10⁻¹⁶ at the target.
     */
    private static long rankOneRecursionIterations(double[][] u0, double[][] v0, double[] x, double[] y, double eta,
            double target, long cap) {
        double a = 0;
        double b = 0;
        for (int i = 0; i < x.length; i++) {
            a += u0[i][0] * x[i];
        }
        for (int j = 0; j < y.length; j++) {
            b += v0[j][0] * y[j];
        }
        double p = Math.sqrt(Math.max(0, Math.pow(KnownMatrices.frobenius(u0), 2) - a * a));
        double q = Math.sqrt(Math.max(0, Math.pow(KnownMatrices.frobenius(v0), 2) - b * b));
        for (long t = 0; t < cap; t++) {
            double nu = a * a + p * p;
            double nv = b * b + q * q;
            double e = a * b - 1;
            if (Math.sqrt(e * e + a * a * q * q + b * b * p * p + p * p * q * q) <= target) {
                return t;
            }
            double a1 = a * (1 - eta * nv) + eta * b;
            b = b * (1 - eta * nu) + eta * a;
            a = a1;
            p *= Math.abs(1 - eta * nv);
            q *= Math.abs(1 - eta * nu);
        }
        return -1;
    }

    /** {@link KnownMatrices#withSpectrum} as a float64 matrix. */
    private static DenseMatrix withSpectrum(int d1, int d2, double[] sigma, long seed) {
        return DenseMatrix.of(DType.FLOAT64, KnownMatrices.withSpectrum(d1, d2, sigma, seed));
    }

    /** A unit vector of length n, uniformly distributed on the sphere (a normalised Gaussian from {@code seed}). */
    private static double[] unitVector(int n, long seed) {
        double[][] q = KnownMatrices.orthonormalColumns(KnownMatrices.gaussian(n, 1, 1.0, seed));
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = q[i][0];
        }
        return x;
    }

    /** P10: overparameterised (k > r) GD from a small start is slow; Ward–Kolda-started alternating GD is not. */
    static ExperimentReport overparam() {
        int cap = 100_000;
        ExperimentReport rep = new ExperimentReport("overparam", "60 x 50, rank 4, sigma = {1, .7, .4, .2}, k = 8: "
                + "alternating GD from the Ward-Kolda start (eta = 9/(16 sigma1)) reaches relative error 1e-10 in a "
                + "few hundred iterations (verdict: < 1000); simultaneous GD from a 1e-3 start at eta = 0.5 needs "
                + "on the order of 1e5 (verdict: at least 10x more, or not within " + cap + ")");
        int d1 = 60, d2 = 50, k = 8;
        double[] sigma = {1, 0.7, 0.4, 0.2};
        rep.parameters.putAll(Map.of("d1", d1, "d2", d2, "rank_of_M", 4, "k", k, "sigma", list(sigma),
                "target", 1e-10, "cap", cap));
        List<Series> errors = new ArrayList<>();
        try (DenseMatrix m = withSpectrum(d1, d2, sigma, 50)) {
            Trace agd = Trace.run(m, k, Variant.ALTERNATING, new SpectralSchedule(9.0 / 16), Initializer.wardKolda(),
                    1000, 1, 1, 1e-10);
            Trace exact = Trace.run(m, 4, Variant.SIMULTANEOUS, new ConstantSchedule(0.5), Initializer.small(1e-3),
                    2000, 1, 1, 1e-10);
            Trace plain = Trace.run(m, k, Variant.SIMULTANEOUS, new ConstantSchedule(0.5), Initializer.small(1e-3),
                    cap, 1, 50, 1e-10);
            rep.measured.put("ward_kolda_alternating_k8", agd.reachedAt[0]);
            rep.measured.put("small_init_simultaneous_k4", exact.reachedAt[0]);
            rep.measured.put("small_init_simultaneous_k8", plain.reachedAt[0]);
            rep.measured.put("small_init_simultaneous_k8_final_relative_error", plain.relativeError(plain.last));
            rep.measured.put("sigma_ratio_squared_times_log", Math.pow(sigma[0] / sigma[3], 2) * Math.log(1e10));
            long slow = plain.reachedAt[0] < 0 ? cap : plain.reachedAt[0];
            rep.pass = agd.reachedAt[0] > 0 && agd.reachedAt[0] < 1000 && slow >= 10 * agd.reachedAt[0];
            rep.summary = "to 1e-10: Ward-Kolda AGD k=8 " + agd.reachedAt[0] + " its, small-init GD k=4 "
                    + exact.reachedAt[0] + ", small-init GD k=8 " + (plain.reachedAt[0] < 0 ? "> " + cap
                            : plain.reachedAt[0]);
            errors.add(series("Ward-Kolda + alternating, k = 8", agd, agd.relativeErrors()));
            errors.add(series("small init, simultaneous, k = 4", exact, exact.relativeErrors()));
            errors.add(series("small init, simultaneous, k = 8", plain, plain.relativeErrors()));
        }
        rep.panels.add(new Panel("relative error (exact residual)", "iteration", "|UV'-M|/|M|", true, true, errors));
        return rep;
    }

    private static List<Double> list(double[] a) {
        List<Double> l = new ArrayList<>(a.length);
        for (double x : a) {
            l.add(x);
        }
        return l;
    }
}
