package org.autobalance.testing;

/**
 * ‖UVᵀ − M‖²_F over all entries of a dense {@code double[][]} M, summed in double, with the rounding bounds that a
 * test of an engine's exact residual needs.
 *
 * <p>An engine that rounds with unit roundoff u forms p = fl(Σ_a u_a·v_a) with |p − u·v| ≤ γ_r·Σ|u_a·v_a|
 * (γ_k = k·u/(1 − k·u), in any order, with or without FMA), then ê = fl(p − m), so |ê − e| ≤ δ =
 * γ_{r+1}(Σ|u_a·v_a| + |e|) and |ê² − e²| ≤ δ(2|e| + δ); its squares (exact in double from float32, rounded once in
 * float64) are summed in double in some order with at most d1·d2 + d1 + 1 additions (entries, then per-row or
 * per-block partial sums), within γ_{d1·d2+d1+2}·Σ(|e| + δ)². This oracle's own error is the same bound with
 * u = 2⁻⁵³, so an engine's result and {@link #sum} differ by at most {@link #engineBound} + {@link #oracleBound}.
 *
 * @param sum Σ e², e = u·v − m, in double
 * @param engineBound the bound of the engine's error (its unit roundoff given to {@link #of})
 * @param oracleBound the bound of this sum's own error
 */
public record ResidualOracle(double sum, double engineBound, double oracleBound) {
    private static final double U64 = 0x1p-53;

    /** The residual of {@code u}·{@code v}ᵀ − {@code m} and its bounds for an engine of unit roundoff {@code unit}. */
    public static ResidualOracle of(double[][] m, double[][] u, double[][] v, double unit) {
        int r = u[0].length;
        double gammaEngine = gamma(r + 1, unit);
        double gammaOracle = gamma(r + 1, U64);
        double sum = 0;
        double engine = 0;
        double self = 0;
        double squaresEngine = 0;
        double squaresOracle = 0;
        for (int i = 0; i < m.length; i++) {
            for (int j = 0; j < m[0].length; j++) {
                double p = 0;
                double abs = 0;
                for (int a = 0; a < r; a++) {
                    p += u[i][a] * v[j][a];
                    abs += Math.abs(u[i][a] * v[j][a]);
                }
                double e = p - m[i][j];
                sum += e * e;
                double de = gammaEngine * (abs + Math.abs(e));
                double dOracle = gammaOracle * (abs + Math.abs(e));
                engine += de * (2 * Math.abs(e) + de);
                self += dOracle * (2 * Math.abs(e) + dOracle);
                squaresEngine += (Math.abs(e) + de) * (Math.abs(e) + de);
                squaresOracle += (Math.abs(e) + dOracle) * (Math.abs(e) + dOracle);
            }
        }
        double gammaSum = gamma((long) m.length * m[0].length + m.length + 2, U64);
        return new ResidualOracle(sum, engine + gammaSum * squaresEngine, self + gammaSum * squaresOracle);
    }

    /** engineBound + oracleBound: how far an engine's result may be from {@link #sum}. */
    public double tolerance() {
        return engineBound + oracleBound;
    }

    private static double gamma(long k, double unit) {
        return k * unit / (1 - k * unit);
    }
}
