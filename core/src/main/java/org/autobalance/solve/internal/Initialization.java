package org.autobalance.solve.internal;

import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.solve.Initializer;

/**
 * Writes the start an {@link Initializer} describes into U and V, for the solvers ({@code Factorizer} and the Spark
 * driver). An {@code Initializer} is the user's choice and its parameters; what it needs from a run (σ₁ on demand, a
 * pass over M) is the solver's machinery, so the work lives here, not in the exported interface.
 */
public final class Initialization {
    private Initialization() {
    }

    /**
     * What an initialiser may use besides the factors it writes.
     *
     * @param seed the seed of any randomness
     * @param sigma1 supplies σ₁(M) when the initialiser needs the scale of the problem (computed on demand)
     * @param eta0 the first step η₀ of the resolved schedule
     * @param mTimesV computes M·V for the current contents of V (one pass over M); the returned d1 × r matrix is
     *        scratch, valid until the next call
     */
    public record Setup(long seed, DoubleSupplier sigma1, double eta0, Supplier<DenseMatrix> mTimesV) {
    }

    /** Writes the start {@code init} describes into {@code u} (d1 × r) and {@code v} (d2 × r). */
    public static void initialize(Initializer init, DenseMatrix u, DenseMatrix v, Setup setup) {
        switch (init) {
            case Initializer.SmallGaussian small -> {
                double s = resolveScale(small.scale(), u, v, setup.sigma1());
                SplittableRandom random = new SplittableRandom(setup.seed());
                fillGaussian(u, random, s);
                fillGaussian(v, random, s);
            }
            case Initializer.Balanced balanced -> {
                double s = resolveScale(balanced.scale(), u, v, setup.sigma1()) * Math.sqrt(Math.max(u.rows(),
                        v.rows()));
                SplittableRandom random = new SplittableRandom(setup.seed());
                orthonormalColumns(u, random, s);
                orthonormalColumns(v, random, s);
            }
            case Initializer.Given given -> {
                u.copyFrom(given.u0());
                v.copyFrom(given.v0());
            }
            case Initializer.WardKolda wk -> wardKolda(wk.c(), wk.d(), u, v, setup);
        }
    }

    /**
     * Checks a given start against a run on a d1 × d2 M in {@code dtype} at rank {@code rank} (at {@code build()}, and
     * again at {@code run()}: the factors may have been closed since): U0 is d1 × rank, V0 d2 × rank, both open,
     * finite and in M's precision.
     *
     * @throws IllegalArgumentException naming the factor and what is wrong
     */
    public static void requireFits(Initializer.Given given, DType dtype, long d1, long d2, int rank) {
        requireFactor(given.u0(), "U0", dtype, d1, d2, d1, rank);
        requireFactor(given.v0(), "V0", dtype, d1, d2, d2, rank);
    }

    private static void requireFactor(DenseMatrix x, String name, DType dtype, long d1, long d2, long rows,
            int rank) {
        if (x.isClosed()) {
            throw new IllegalArgumentException("initial factor " + name + " is closed");
        }
        if (x.rows() != rows || x.cols() != rank) {
            throw new IllegalArgumentException("initial factor " + name + " is " + x.rows() + " x " + x.cols()
                    + ", expected " + rows + " x " + rank + " for a " + d1 + " x " + d2 + " matrix at rank " + rank);
        }
        if (x.dtype() != dtype) {
            // the run's precision is M's; converting silently would hide a rounding (or an overflow) of U0, V0
            throw new IllegalArgumentException("initial factor " + name + " is " + x.dtype().label() + " but M is "
                    + dtype.label() + ": convert it explicitly, e.g. " + name.toLowerCase(Locale.ROOT) + ".copy(DType."
                    + dtype.name() + ")");
        }
        Finite.require(x, "initial factor " + name);
    }

    private static double resolveScale(double scale, DenseMatrix u, DenseMatrix v, DoubleSupplier sigma1) {
        if (!Double.isNaN(scale)) {
            return scale;
        }
        return Initializer.DEFAULT_RELATIVE_SCALE * Math.sqrt(sigma1.getAsDouble() / Math.max(u.rows(), v.rows()));
    }

    private static void fillGaussian(DenseMatrix x, SplittableRandom random, double scale) {
        for (int i = 0; i < x.rows(); i++) {
            for (int j = 0; j < x.cols(); j++) {
                x.set(i, j, scale * random.nextGaussian());
            }
        }
    }

    /**
     * {@link Initializer.Balanced}: Gaussian G is orthonormalised through the Cholesky factor of its Gram matrix
     * (Q = G·L⁻ᵀ), then scaled by {@code s}, so both factors' Grams equal the same multiple of the identity up to
     * rounding. Needs r ≤ the rows of x, which the solver enforces.
     */
    private static void orthonormalColumns(DenseMatrix x, SplittableRandom random, double s) {
        int r = x.cols();
        double[][] g = new double[x.rows()][r];
        double[] gram = new double[r * r];
        for (double[] row : g) {
            for (int a = 0; a < r; a++) {
                row[a] = random.nextGaussian();
            }
            for (int a = 0; a < r; a++) {
                for (int b = 0; b < r; b++) {
                    gram[a * r + b] += row[a] * row[b];
                }
            }
        }
        double[] w = SmallLinearAlgebra.inverseCholeskyTranspose(gram, r);
        for (int i = 0; i < g.length; i++) {
            for (int c = 0; c < r; c++) {
                double q = 0.0;
                for (int k = 0; k < r; k++) {
                    q += g[i][k] * w[k * r + c];
                }
                x.set(i, c, s * q);
            }
        }
    }

    /** {@link Initializer.WardKolda}: U₀ = MΦ / (√η·C·σ₁), V₀ = √η·D·σ₁·Ψ (the record's comment says why). */
    private static void wardKolda(double c, double d, DenseMatrix u, DenseMatrix v, Setup setup) {
        double sigma1 = setup.sigma1().getAsDouble();
        double rootEta = Math.sqrt(setup.eta0());
        SplittableRandom random = new SplittableRandom(setup.seed());
        fillGaussian(v, random, Math.sqrt(1.0 / v.cols()));
        DenseMatrix mPhi = setup.mTimesV().get();
        double scale = 1.0 / (rootEta * c * sigma1);
        for (int i = 0; i < u.rows(); i++) {
            for (int j = 0; j < u.cols(); j++) {
                u.set(i, j, scale * mPhi.get(i, j));
            }
        }
        fillGaussian(v, random, rootEta * d * sigma1 / Math.sqrt(v.rows()));
    }
}
