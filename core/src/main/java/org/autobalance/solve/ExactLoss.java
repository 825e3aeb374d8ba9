package org.autobalance.solve;

import java.util.Objects;

/**
 * Whether the final loss of a sparse M's full loss (the {@link Result}'s and the summary's {@code loss} and
 * {@code relative_error}) is the exact ½‖UVᵀ − M‖²_F, formed entry by entry over all d1·d2 entries, or the one-pass
 * identity ½(‖M‖² − 2⟨U, MV⟩ + ⟨UᵀU, VᵀV⟩). The identity costs nothing but cancels: its absolute error is a few
 * u·‖M‖²_F (u the unit roundoff), so near a good fit it says nothing about the loss and can come out below 0. The
 * exact residual costs O(d1·d2·r), about one dense iteration on the densified M (measured 1.3 ns per entry of M at
 * r = 16, one thread, against 4.4–10 ns per stored entry for a sparse full-loss iteration; native-notes/sparse.md).
 *
 * <p>For a dense M and for the observed-entries loss the final loss is always exact (its pass costs about one
 * iteration), whatever this says.
 */
public enum ExactLoss {
    /**
     * Exact when it costs at most about half of the run's iterations — d1·d2 ≤ 2·nnz·t after t iterations: a
     * residual entry costs a quarter to an eighth of a stored entry's share of an iteration (the ratio measured
     * above, at r = 16; both scale with r), so at the threshold the residual takes 26–60 % of the iterations' time —
     * or when M has at most {@value #SMALL} entries (a few tens of milliseconds). So a
     * 20 000 × 10 000 M with 1 % stored is exact after 50 iterations, a 100 000 × 50 000 M with 5 M stored after 500.
     * The default.
     */
    AUTO,
    /** Always exact. */
    ALWAYS,
    /** Always the identity. */
    NEVER;

    /** d1·d2 at or below which {@link #AUTO} is always exact. */
    public static final long SMALL = 1L << 24;

    /**
     * Whether the final loss of a sparse rows × cols M with {@code nonZeros} stored entries is exact after
     * {@code iterations}.
     */
    boolean exact(int rows, int cols, long nonZeros, long iterations) {
        return switch (this) {
            case ALWAYS -> true;
            case NEVER -> false;
            case AUTO -> {
                long entries = (long) rows * cols;
                yield entries <= SMALL || entries <= 2.0 * nonZeros * iterations; // in double: no overflow
            }
        };
    }

    /** The command-line form: {@code auto}, {@code always} or {@code never}. */
    public String describe() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Parses {@code auto}, {@code always} or {@code never}. */
    public static ExactLoss parse(String spec) {
        String s = Objects.requireNonNull(spec, "exact-loss spec must not be null").trim();
        for (ExactLoss e : values()) {
            if (e.describe().equals(s)) {
                return e;
            }
        }
        throw new IllegalArgumentException("unknown exact-loss setting '" + spec + "': expected auto, always or never");
    }
}
