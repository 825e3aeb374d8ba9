package org.autobalance.solve.internal;

import java.io.Flushable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.DoubleSupplier;
import java.util.function.Predicate;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.NativeMemory;
import org.autobalance.observe.IterationListener;
import org.autobalance.observe.IterationRecord;
import org.autobalance.schedule.StepSchedule;
import org.autobalance.solve.CancelToken;
import org.autobalance.solve.Checkpoint;
import org.autobalance.solve.DivergenceException;
import org.autobalance.solve.Factorizer;
import org.autobalance.solve.Result;
import org.autobalance.solve.StopReason;

/**
 * The solver's bookkeeping around each iteration, in one place for every loop that runs the iteration —
 * {@link Factorizer}'s, and the Spark module's driver, whose passes over M run elsewhere: the loss by the one-pass
 * identity, the divergence tests, balance and norms from the Grams, the {@link IterationRecord} to the listeners, and
 * the stop rules (first-order stationarity confirmed by the plateau test, the limits of
 * iterations and time, a stop condition, cancellation), continuing those of a resumed {@link Checkpoint}.
 *
 * <p>Per iteration t, with the Grams UᵀU and VᵀV of the iterate (U_t, V_t): {@link #observe} once its loss is known
 * (before the step), then {@link #finish} once the step is made (U and V are then U_{t+1}, V_{t+1}, where the plateau
 * test's residual passes look); after the loop ends without a stop, {@link #exhausted()}.
 *
 * <pre>{@code
 * IterationMonitor monitor = new IterationMonitor(limits, listeners, r, normMSquared, passes, seed, null);
 * for (long t = monitor.first(); t < limits.maxIterations(); t++) {
 *     ... the fused pass: ⟨U, MV⟩, UᵀU, VᵀV
 *     double loss = monitor.identityLoss(dot, gramU, gramV);
 *     monitor.observe(t, loss, gramU, gramV);
 *     ... the step: ‖∇f‖²
 *     if (monitor.finish(t, eta, loss, false, gradientSquared, Double.NaN)) {
 *         break;
 *     }
 * }
 * if (monitor.stopReason() == StopReason.MAX_ITERATIONS) ... // or call exhausted() after a loop that ran out
 * }</pre>
 *
 * <p>Not exported: the solvers' machinery, not the library's API (it was public in {@code org.autobalance.solve}
 * until the fourteenth session). Public for the project's other packages and modules ({@code network}, the command
 * line, the Spark module), which use core from the class path.
 */
public final class IterationMonitor {
    /** A loss this many times the reference loss max(f₀, ½‖M‖²) counts as divergence. */
    public static final double RUNAWAY_FACTOR = 1e6;
    /** A loss above this many times the divergence reference is a step too long ({@link #runsAway}). */
    public static final double RESTART_FACTOR = 2;
    /** Restarts after which a run that still runs away is reported as diverged: η₀·2^−30 ≈ 10⁻⁹·η₀. */
    public static final int MAX_HALVINGS = 30;
    /**
     * The fewest iterations without a loss near the lowest after which a run oscillates ({@link #oscillates}): more
     * than the longest such stretch of 81 completions at the edge of stability that went on to descend (1158).
     */
    public static final long OSCILLATION_ITERATIONS = 1000;

    /**
     * What ends a run besides convergence; the builders check each setting with the methods here.
     *
     * @param maxIterations the iteration limit (≥ 0)
     * @param tolerance the first-order test's tolerance (≥ 0; 0 turns the test off)
     * @param timeLimit wall-time limit, or null for none
     * @param stopWhen stop after the iteration whose record satisfies it
     * @param cancelToken ends the run when cancelled, or null for none (an interrupt of the running thread does too)
     */
    public record Limits(long maxIterations, double tolerance, Duration timeLimit,
            Predicate<IterationRecord> stopWhen, CancelToken cancelToken) {
        /** Checks every limit as the builders do. */
        public Limits {
            requireMaxIterations(maxIterations);
            requireTolerance(tolerance);
            requireTimeLimit(timeLimit);
            Objects.requireNonNull(stopWhen, "stop condition must not be null");
        }

        /** {@code maxIterations} if it is non-negative. */
        public static long requireMaxIterations(long maxIterations) {
            if (maxIterations < 0) {
                throw new IllegalArgumentException("max iterations must be non-negative, got " + maxIterations);
            }
            return maxIterations;
        }

        /** {@code tolerance} if it is finite and non-negative. */
        public static double requireTolerance(double tolerance) {
            if (!(tolerance >= 0) || !Double.isFinite(tolerance)) {
                throw new IllegalArgumentException("tolerance must be finite and non-negative, got " + tolerance);
            }
            return tolerance;
        }

        /**
         * The bytes of {@code copies} pairs of factor-shaped blocks (rows × rank and cols × rank, rows padded to the
         * kernels' stride) in {@code dtype}: U and V, the engine's MV and MᵀU, and whatever else a run holds in their
         * shape. In double, which a cast to long saturates: a size line's counts pass 2⁶³ bytes, and in long they
         * wrapped to a negative count that fitted (10⁹ x 10⁹ at rank 10⁹ was read in full).
         */
        public static double factorBytes(DType dtype, long rows, long cols, int rank, int copies) {
            return copies * ((double) rows + cols) * DenseMatrix.strideOf(dtype, rank) * dtype.bytes();
        }

        /**
         * A floor of the Java heap that a run at {@code rank} with {@code threads} workers holds at once, in bytes:
         * arrays of r² doubles, the Grams UᵀU and VᵀV per worker and their sums (the engine), the step's coefficient
         * matrices (the solver) and the last Grams (the monitor), 2T + 6 of them. At rank 8000 with 8 threads that
         * is 11 GB, beyond the default heap of a 24 GB machine (6 GB), while U, V and their products took 2 GB of
         * native memory: the run ended in an {@code OutOfMemoryError} after it had allocated those.
         */
        private static long heapBytes(int rank, int threads) {
            return (2L * threads + 6) * rank * rank * Double.BYTES;
        }

        /**
         * Refuses a run at {@code rank} with {@code threads} workers whose r × r arrays ({@link #heapBytes}) pass the
         * Java heap's limit: the solver before it allocates, the command line before it reads M's body.
         */
        public static void requireHeap(int rank, int threads) {
            NativeMemory.requireHeap(heapBytes(rank, threads), () -> "factorise at rank " + rank + " with " + threads
                    + (threads == 1 ? " thread" : " threads")
                    + " (r x r matrices of doubles, two a thread and six more)");
        }

        /** The largest rank: r² elements, an r × r Gram matrix, must fit a Java array. */
        public static final int MAX_RANK = NativeMemory.MAX_SQUARE_SIDE;

        /**
         * {@code rank} if it is between 1 and min(rows, cols), the shape of M, and at most {@link #MAX_RANK} (one
         * message for every engine that factorises M).
         */
        public static int requireRank(int rank, long rows, long cols) {
            long limit = Math.min(rows, cols);
            if (rank < 1 || rank > limit) {
                throw new IllegalArgumentException("rank must be between 1 and min(d1, d2) = " + limit + " for a "
                        + rows + " x " + cols + " matrix, got " + rank);
            }
            if (rank > MAX_RANK) {
                // r * r wrapped to a negative int: a NegativeArraySizeException from the engine's first array
                throw new IllegalArgumentException("rank " + rank + " is above " + MAX_RANK + ", the most the solver "
                        + "takes: its r x r Gram matrices are Java arrays, of at most " + NativeMemory.MAX_ARRAY_LENGTH
                        + " elements");
            }
            return rank;
        }

        /**
         * The tolerance in force: {@code tolerance} as a builder holds it, NaN (not set) standing for
         * {@link Factorizer#defaultTolerance(DType)} of the run's precision.
         */
        public static double effectiveTolerance(double tolerance, DType dtype) {
            return Double.isNaN(tolerance) ? Factorizer.defaultTolerance(dtype) : tolerance;
        }

        /** {@code timeLimit} if it is null or positive. */
        public static Duration requireTimeLimit(Duration timeLimit) {
            if (timeLimit != null && (timeLimit.isNegative() || timeLimit.isZero())) {
                throw new IllegalArgumentException("time limit must be positive, got " + timeLimit);
            }
            return timeLimit;
        }

        /**
         * The {@link System#nanoTime()} at which a run started at {@code start} reaches {@code timeLimit}, or
         * {@link Long#MAX_VALUE} for none. A limit past about 292 years, as a caller meaning "no limit" writes it
         * ({@code Duration.ofMillis(Long.MAX_VALUE)}, {@code ChronoUnit.FOREVER.getDuration()}), saturates: its
         * nanoseconds overflowed a long ({@code toNanos()} threw ArithmeticException from {@code run()}), and
         * {@code start + Duration.ofNanos(Long.MAX_VALUE)} wrapped to a deadline in the past (TIME_LIMIT after one
         * iteration).
         */
        public static long deadline(long start, Duration timeLimit) {
            if (timeLimit == null) {
                return Long.MAX_VALUE;
            }
            long nanos;
            try {
                nanos = timeLimit.toNanos();
            } catch (ArithmeticException e) {
                return Long.MAX_VALUE;
            }
            long deadline = start + nanos;
            // nanos > 0 (requireTimeLimit): the sum overflowed exactly when it is below start
            return deadline < start ? Long.MAX_VALUE : deadline;
        }
    }

    /**
     * Refuses, before a run starts, an M whose ‖M‖²_F (summed in float64) is 0 or not finite. An M of zeros: its best
     * rank-r approximation is 0 and the relative error (‖UVᵀ − M‖_F / ‖M‖_F) is undefined. An M whose entries are so
     * small or so large that their squares leave float64's range (|x| below about 1e-162 or above about 1e154) was
     * reported as all zeros, or failed later with "constant step must be finite and positive, got NaN": the message
     * now says what is wrong and what to do.
     *
     * @param hasNonZero whether M has a non-zero entry, asked only when ‖M‖²_F is 0; null when the caller cannot tell
     *     cheaply (the message then names both causes)
     * @throws IllegalArgumentException saying which
     */
    public static void requireNonZero(double normMSquared, int rank, BooleanSupplier hasNonZero) {
        if (normMSquared == 0.0) {
            String zeros = "matrix M is all zeros: its best rank-" + rank
                    + " approximation is 0 and the relative error is undefined";
            String underflow = "the squares of M's entries underflow float64 (its sum of squares rounds to 0): "
                    + SCALE_ADVICE.formatted("up");
            if (hasNonZero == null) {
                throw new IllegalArgumentException(zeros + "; or " + underflow);
            }
            throw new IllegalArgumentException(hasNonZero.getAsBoolean() ? "matrix M is not zero, but " + underflow
                    : zeros);
        }
        if (!Double.isFinite(normMSquared)) {
            throw new IllegalArgumentException("the squares of M's entries overflow float64 (its sum of squares is "
                    + normMSquared + "): " + SCALE_ADVICE.formatted("down"));
        }
    }

    /**
     * Refuses a float64 M whose σ₁³ ({@link #checkScale}) leaves float64 whatever σ₁ is between the bounds that ‖M‖_F
     * gives, ‖M‖_F/√min(d1, d2) ≤ σ₁ ≤ ‖M‖_F: before σ₁'s passes, and for a run that has none (a given step and start,
     * where a 60 × 40 M at σ₁ = 7.1e-107 was still "converged" at 3.4 times the optimum's relative error).
     *
     * @param normM ‖M‖_F, summed in float64
     * @throws IllegalArgumentException when σ₁³ is below or beyond float64's normal range for every such σ₁
     */
    public static void checkScaleBounds(double normM, long rows, long cols, DType dtype) {
        if (dtype != DType.FLOAT64 || !(normM > 0 && normM < Double.POSITIVE_INFINITY)) {
            return;
        }
        double least = normM / Math.sqrt(Math.min(rows, cols));
        if (normM * normM * normM < Double.MIN_NORMAL) {
            throw gradientOutOfRange(normM, String.format(Locale.ROOT, "with σ₁(M) ≤ |M|_F = %.3g", normM));
        }
        if (least * least * least > Double.MAX_VALUE) {
            throw gradientOutOfRange(least, String.format(Locale.ROOT, "with σ₁(M) ≥ |M|_F/√min(d1, d2) = %.3g",
                    least));
        }
    }

    /** Whether σ₁³, the order of ‖∇f‖²_F, is a normal float64. */
    private static boolean gradientInRange(double sigma1) {
        double order = sigma1 * sigma1 * sigma1;
        return order >= Double.MIN_NORMAL && order <= Double.MAX_VALUE;
    }

    /** The refusal of an M whose σ₁³ is not a normal float64; {@code which} says how σ₁ is known. */
    private static IllegalArgumentException gradientOutOfRange(double sigma1, String which) {
        boolean over = sigma1 > 1;
        return new IllegalArgumentException(String.format(Locale.ROOT, "M's scale is %s float64's range for the stop "
                + "test: %s the squared gradient norm, of order σ₁³, %s; %s", over ? "beyond" : "below", which,
                over ? "overflows float64 (largest 1.8e308)"
                        : "is below float64's normal range (smallest normal 2.2e-308) and rounds to 0",
                SCALE_ADVICE.formatted(over ? "down" : "up")));
    }

    /** What to do about an M outside the range of its precision: the problem scales, so scale M. */
    private static final String SCALE_ADVICE = "scale M %s by a constant c (the factors of c·M are √c times those of "
            + "M, the relative error the same)";

    /**
     * Warns (through {@code System.Logger}, once per run) when M's scale puts the iterates outside the normal range of
     * float32: the products M·V and U·VᵀV that each iteration forms are of order σ₁^{3/2} (factors of order √σ₁ times
     * σ₁), so for σ₁^{3/2} beyond float32's largest value they overflow (measured: a 500 × 300 Gaussian M scaled by
     * 1e25, σ₁ = 3.9e26, diverged at iteration 19; by 1e30 at iteration 0) and below its smallest normal value they
     * lose their precision in subnormal numbers (scaled by 1e-28, σ₁ = 3.9e-27: no convergence in 3000 iterations, the
     * same M scaled by 1e-26 converges as at scale 1). Not a refusal: the bound is of the order of magnitude, and a
     * run near it may still succeed (σ₁ = 7.8e25 converged). An estimate that is not a positive number is refused: a
     * float32 M whose entries are all subnormal (below 1.2e-38) has products that round to zero, and its σ₁ came out
     * NaN, which failed later with "constant step must be finite and positive, got NaN". A float64 M whose σ₁³ (the
     * order of ‖∇f‖²_F, which the stop test reads) is not a normal float64, σ₁ below about 2.8e-103 or above about
     * 5.6e102, is refused: there the gradient test passes on a gradient that rounded to 0, or the run diverges.
     *
     * @param normM ‖M‖_F, summed in float64, for the message
     * @throws IllegalArgumentException when {@code sigma1} is not finite and positive, or (float64) σ₁³ is not a
     *     normal float64
     */
    public static void checkScale(double sigma1, double normM, DType dtype) {
        if (!(sigma1 > 0 && sigma1 < Double.POSITIVE_INFINITY)) {
            boolean small = normM < 1;
            throw new IllegalArgumentException(String.format(Locale.ROOT, "σ₁(M) could not be estimated in %s (got %s "
                    + "for |M|_F = %.3g): the products of M's entries %s %s's normal range; %s%s", dtype.label(),
                    sigma1, normM, small ? "fall below" : "exceed", dtype.label(),
                    SCALE_ADVICE.formatted(small ? "up" : "down"), dtype == DType.FLOAT32 ? ", or use float64" : ""));
        }
        if (dtype == DType.FLOAT64 && !gradientInRange(sigma1)) {
            // the stop test reads ‖∇f‖²_F, of order σ₁³ (σ₁^{3/2} squared), summed in float64 for either dtype: in
            // float32 the products leave their range long before (the warning below); in float64 they do not, and
            // it did — a 60 × 40 M scaled to σ₁ = 7.1e-107 had ‖∇f‖² round to 0 at every iteration and was reported
            // "converged" at 2.3 times the optimum's relative error, one at σ₁ = 7.1e103 "diverged" at iteration 10
            // with the advice to take a smaller step
            throw gradientOutOfRange(sigma1, String.format(Locale.ROOT, "with σ₁(M) = %.3g", sigma1));
        }
        String problem = scaleProblem(sigma1, dtype);
        if (problem != null) {
            System.getLogger(IterationMonitor.class.getName()).log(System.Logger.Level.WARNING, problem);
        }
    }

    /**
     * What {@link #checkScale} warns of, or null where M's scale suits {@code dtype}: for a σ₁ beyond float32's range
     * the sentence that names the range, the iterates' order σ₁^{3/2}, and the remedy. A run that stalls with nothing
     * learned says it too when it is the cause (the default start, scaled to M, has products below the normal range
     * as well, so a larger start is not the answer: a 200 × 100 M scaled to σ₁ = 1.6e-28 stalls in float32 from it).
     */
    public static String scaleProblem(double sigma1, DType dtype) {
        double products = Math.pow(sigma1, 1.5);
        if (dtype != DType.FLOAT32 || !(sigma1 > 0) || products >= Float.MIN_NORMAL && products <= Float.MAX_VALUE) {
            return null;
        }
        boolean over = products > Float.MAX_VALUE;
        return String.format(Locale.ROOT, "M's scale is %s float32's range: with σ₁(M) = %.3g the iterates' products, "
                + "of order σ₁^(3/2) = %.3g, %s; %s or use float64", over ? "beyond" : "below", sigma1, products, over
                        ? "overflow float32 (largest 3.4e38)"
                        : "are subnormal in float32 (smallest normal 1.2e-38) and lose their precision",
                SCALE_ADVICE.formatted(over ? "down" : "up"));
    }

    /**
     * What a run reports at its returned factors: the metrics, from the final residual and the factors' Grams, and
     * what ran. One home for {@link Result} and the Spark module's result, whose summaries share these keys. Made only
     * by {@link IterationMonitor#summary}: a class rather than a record, so that it can gain a metric without breaking
     * a caller's constructor call.
     */
    public static final class Summary {
        private final long iterations;
        private final StopReason stopReason;
        private final double loss;
        private final boolean lossExact;
        private final double relativeError;
        private final double balance;
        private final double normU;
        private final double normV;
        private final double seconds;
        private final double sigma1;
        private final String schedule;
        private final String variant;
        private final String initializer;
        private final String kernels;
        private final List<Long> stepHalvedAt;
        private final double[] start;

        private Summary(long iterations, StopReason stopReason, double loss, boolean lossExact, double relativeError,
                double balance, double normU, double normV, double seconds, double sigma1, String schedule,
                String variant, String initializer, String kernels, List<Long> stepHalvedAt, double[] start) {
            this.iterations = iterations;
            this.stopReason = stopReason;
            this.loss = loss;
            this.lossExact = lossExact;
            this.relativeError = relativeError;
            this.balance = balance;
            this.normU = normU;
            this.normV = normV;
            this.seconds = seconds;
            this.sigma1 = sigma1;
            this.schedule = schedule;
            this.variant = variant;
            this.initializer = initializer;
            this.kernels = kernels;
            this.stepHalvedAt = List.copyOf(stepHalvedAt);
            this.start = start == null ? null : start.clone();
        }

        /** The iterations at which the run restarted with half the step ({@link #runsAway}, {@link #oscillates}). */
        public List<Long> stepHalvedAt() {
            return stepHalvedAt;
        }

        /** Updates performed (counting those before a resume). */
        public long iterations() {
            return iterations;
        }

        /** Why the run ended. */
        public StopReason stopReason() {
            return stopReason;
        }

        /** ½‖UVᵀ − M‖²_F; from the one-pass identity unless {@link #lossExact()}. */
        public double loss() {
            return loss;
        }

        /**
         * Whether {@link #loss()} comes from a residual formed entry by entry (a dense M, the observed-entries loss)
         * rather than from the one-pass identity ½(‖M‖² − 2⟨U, MV⟩ + ⟨UᵀU, VᵀV⟩), whose absolute error is a few
         * u·‖M‖²_F (a sparse M's full loss: its exact residual would visit all d1·d2 entries).
         */
        public boolean lossExact() {
            return lossExact;
        }

        /** ‖UVᵀ − M‖_F / ‖M‖_F. */
        public double relativeError() {
            return relativeError;
        }

        /** ‖UᵀU − VᵀV‖_F. */
        public double balance() {
            return balance;
        }

        /** ‖U‖_F. */
        public double normU() {
            return normU;
        }

        /** ‖V‖_F. */
        public double normV() {
            return normV;
        }

        /** Wall time of the iterations. */
        public double seconds() {
            return seconds;
        }

        /** The σ₁(M) estimate used, NaN if none was needed. */
        public double sigma1() {
            return sigma1;
        }

        /** The schedule that ran. */
        public String schedule() {
            return schedule;
        }

        /** The gradient method that ran. */
        public String variant() {
            return variant;
        }

        /** The initialiser. */
        public String initializer() {
            return initializer;
        }

        /** The kernel implementation that ran. */
        public String kernels() {
            return kernels;
        }

        /**
         * The keys of the command line's {@code summary.json}, in its order: these, with the shape, precision,
         * threads and objective of the run.
         */
        public Map<String, Object> toMap(long d1, int d2, int rank, DType dtype, int threads, String objective) {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("iterations", iterations);
            // the iterate the factors and metrics are of: the last, but for Result's early stop
            s.put("factors_iteration", iterations);
            s.put("loss", loss);
            s.put("loss_exact", lossExact);
            s.put("relative_error", relativeError);
            s.put("balance", balance);
            s.put("norm_u", normU);
            s.put("norm_v", normV);
            if (start != null) {
                // iterate 0's, which a resumed run reads from its checkpoint: what the conserved balance is compared
                // with, the same in the whole run's summary and its continuation's
                s.put("start_balance", start[0]);
                s.put("start_norm_u", start[1]);
                s.put("start_norm_v", start[2]);
            }
            s.put("seconds", seconds);
            s.put("stop_reason", stopReason.label());
            s.put("d1", d1);
            s.put("d2", d2);
            s.put("rank", rank);
            s.put("dtype", dtype.label());
            s.put("schedule", schedule);
            s.put("variant", variant);
            s.put("init", initializer);
            s.put("sigma1", sigma1);
            s.put("kernels", kernels);
            s.put("threads", threads);
            s.put("objective", objective);
            if (!stepHalvedAt.isEmpty()) {
                s.put("step_halved_at", stepHalvedAt);
            }
            return s;
        }
    }

    /** U and V as they are after the iteration just done, for a checkpoint. */
    @FunctionalInterface
    public interface Factors {
        /** Calls {@code writer} with U and V (valid during the call only: they may be copies made for it). */
        void writeWith(FactorWriter writer) throws IOException;
    }

    /** Writes U and V (see {@link Factors}). */
    @FunctionalInterface
    public interface FactorWriter {
        /** Writes the checkpoint with these factors. */
        void write(DenseMatrix u, DenseMatrix v) throws IOException;
    }

    /**
     * When and where checkpoints are written: to {@code dir} (its file {@link Checkpoint#FILE}) after every
     * {@code everyIterations}-th iteration (if positive) and whenever {@code every} (if positive) has passed since the
     * last one.
     */
    public record CheckpointPolicy(Path dir, long everyIterations, Duration every) {
        /** The longest interval {@link #due} can count: a long of nanoseconds, about 292 years. */
        private static final Duration LONGEST = Duration.ofNanos(Long.MAX_VALUE);

        /** Checks that there is a directory and a positive interval in iterations or time. */
        public CheckpointPolicy {
            Objects.requireNonNull(dir, "checkpoint directory must not be null");
            // a time interval that is not positive is none, as an iteration interval that is not positive is (and as
            // the command line's --checkpoint-seconds 0): Duration.ZERO beside an iteration interval wrote a
            // checkpoint after every iteration
            if (every != null && (every.isNegative() || every.isZero())) {
                every = null;
            }
            if (everyIterations <= 0 && every == null) {
                throw new IllegalArgumentException("a checkpoint needs a positive interval in iterations or time");
            }
            everyIterations = Math.max(0, everyIterations);
            // one past a long of nanoseconds is as good as never, but its toNanos() threw ArithmeticException in run()
            if (every != null && every.compareTo(LONGEST) > 0) {
                every = LONGEST;
            }
        }

        /** Whether a checkpoint is due after {@code done} iterations, {@code sinceLast} ns after the last one. */
        public boolean due(long done, long sinceLast) {
            return everyIterations > 0 && done % everyIterations == 0
                    || every != null && sinceLast >= every.toNanos();
        }

        /** The interval in seconds, 0 without one (as written for {@link Checkpoint#policy()}). */
        public double seconds() {
            return every == null ? 0 : every.toNanos() * 1e-9;
        }
    }

    /** The policy, and what identifies the run in its checkpoints. */
    private record Saving(CheckpointPolicy policy, String inputHash, Map<String, Object> configuration,
            DoubleSupplier sigma1, Factors factors) {
    }

    private final Limits limits;
    private final List<IterationListener> listeners;
    private final int r;
    private final double normMSquared;
    private final double normM;
    private final EckartYoungCheck plateau;
    private final long first;
    private final double secondsBefore;
    private final long start;
    private final long deadline;
    private final double[] gramU;
    private final double[] gramV;
    private final IterationRecord.Builder recordBuilder = IterationRecord.builder(); // every field set anew
    private double referenceLoss;
    private boolean onPlateau;
    /** The iterations at which {@link #restarted} halved the step, in order. */
    private final List<Long> halvedAt = new ArrayList<>();
    /** The lowest loss since the run's start or its last restart ({@link #oscillates}). */
    private double lowestLoss = Double.POSITIVE_INFINITY;
    /** The last iteration whose loss was near {@link #lowestLoss} ({@link #nearLowest}). */
    private long nearLowestAt;
    private double normUSquared;
    private double normVSquared;
    private double balance;
    private Saving saving;
    private long lastSaved;
    private long savedAfter = -1;
    private long iterations;
    private StopReason stopReason = StopReason.MAX_ITERATIONS;
    private HeldOutBest heldOutBest;
    private IterationRecord last;
    private double seconds;
    /**
     * Iterate 0's balance, ‖U‖_F and ‖V‖_F, as its record has them (a resumed run's from its checkpoint); null before
     * that iteration, and for a resumed checkpoint written before they were kept.
     */
    private double[] startMetrics;

    /**
     * A monitor whose clock starts now: create it right before the first iteration.
     *
     * @param listeners receive every record, in this order
     * @param normMSquared ‖M‖²_F (positive)
     * @param plateauPasses passes over M whose residual is at the solver's current factors, for the plateau test;
     *     null for none (the gradient test alone)
     * @param seed seeds the plateau test's power iterations (with the iteration)
     * @param resume the checkpoint the run continues, or null: its clock, divergence reference and plateau state
     */
    public IterationMonitor(Limits limits, List<IterationListener> listeners, int rank, double normMSquared,
            PowerPasses plateauPasses, long seed, Checkpoint resume) {
        this.limits = Objects.requireNonNull(limits, "limits must not be null");
        this.listeners = List.copyOf(listeners);
        this.r = rank;
        this.normMSquared = normMSquared;
        this.normM = Math.sqrt(normMSquared);
        // a checkpoint of the observed loss from before its plateau test (2026-12-05) holds no state for it: such a
        // run goes on as it was written, with the gradient test alone
        this.plateau = plateauPasses == null || resume != null && !FactorCheckpoint.hasPlateauState(resume) ? null
                : new EckartYoungCheck(plateauPasses, rank, normM, seed);
        this.gramU = new double[rank * rank];
        this.gramV = new double[rank * rank];
        // a resumed run continues the clock, the divergence reference and the plateau test of the run it continues
        this.first = resume == null ? 0 : resume.iteration();
        this.secondsBefore = resume == null ? 0 : resume.seconds();
        this.referenceLoss = resume == null ? normMSquared / 2 : FactorCheckpoint.referenceLoss(resume);
        this.onPlateau = resume != null && FactorCheckpoint.onPlateau(resume);
        if (resume != null) {
            halvedAt.addAll(FactorCheckpoint.halvedAt(resume)); // none in a checkpoint from before the back-off
            // a checkpoint from before the oscillation test: the test counts from the resume
            lowestLoss = FactorCheckpoint.lowestLoss(resume);
            nearLowestAt = FactorCheckpoint.nearLowestAt(resume, first);
        }
        if (resume != null && plateau != null) {
            plateau.restore(FactorCheckpoint.plateauState(resume));
        }
        this.startMetrics = resume == null ? null : FactorCheckpoint.startMetrics(resume);
        this.iterations = first;
        this.start = System.nanoTime();
        this.deadline = Limits.deadline(start, limits.timeLimit());
    }

    /** The first iteration to run: 0, or that of the resumed checkpoint. */
    public long first() {
        return first;
    }

    /**
     * Whether the loss of iterate t, about to be stepped, shows a step too long for this M ({@code --schedule auto}'s
     * back-off, {@link #restarted}): not finite, or above {@value #RESTART_FACTOR} times the divergence reference
     * max(½‖M‖², L₀). Gradient descent with a step that fits never climbs above its start (the descent lemma); a step
     * too long for the most curved directions runs away (a completion whose popular columns were stored in full
     * diverged at iteration 65 with the default step). Rises below that are left alone: on a smaller M of that kind
     * the default step's loss rose to twice its lowest and still converged, in half the iterations of the halved step.
     * Not asked at the run's first iteration, before {@link #observe} fixes the reference.
     *
     * @param t the iteration
     * @param loss the loss of iterate t, before {@link #observe}
     */
    public boolean runsAway(long t, double loss) {
        return t > 0 && (!Double.isFinite(loss) || loss > RESTART_FACTOR * referenceLoss);
    }

    /**
     * Whether the loss of iterate t, about to be stepped, shows a step too long that neither runs away
     * ({@link #runsAway}) nor settles, for {@code --schedule auto}'s back-off: no loss near the lowest since the run's
     * start or last restart ({@link #nearLowest}) for the last max({@value #OSCILLATION_ITERATIONS}, half of the
     * iterations since then), t's included. A completion whose popular columns were stored in full, halved once,
     * wandered between relative errors 0.34 and 0.59 after reaching 0.19 at iteration 209, to its limit; runs at the
     * edge of stability that go on to descend come back near their lowest within the limit (81 completions of
     * 2000–3000 × 400–1500 with 1–10 full columns, native-notes/reliability.md, fortieth session).
     *
     * @param t the iteration
     * @param loss the loss of iterate t, before {@link #observe}
     */
    public boolean oscillates(long t, double loss) {
        long startedAt = halvedAt.isEmpty() ? 0 : halvedAt.get(halvedAt.size() - 1);
        return !nearLowest(Math.min(lowestLoss, loss), loss)
                && t - nearLowestAt >= Math.max(OSCILLATION_ITERATIONS, (t - startedAt) / 2);
    }

    /**
     * Whether {@code loss} is near {@code lowest}: within twice it, plus 10⁻⁶·½‖M‖² (a relative error of 10⁻³), so
     * that a loss at its rounding floor (the identity's value, a few u·‖M‖² from the true one, can be 0 or below) is
     * near whatever its lowest: a converged run left going with {@code tolerance(0)} is not taken for oscillating.
     */
    private boolean nearLowest(double lowest, double loss) {
        return loss <= 2 * lowest + 1e-6 * normMSquared / 2;
    }

    /**
     * Notes that the run goes back to its start with half the step at iteration {@code t} (after
     * {@link #runsAway} or {@link #oscillates}); {@link #stepScale} halves.
     *
     * @throws DivergenceException after {@value #MAX_HALVINGS} halvings: a run that still runs away then does so for
     *         no reason a step explains
     */
    public void restarted(long t) {
        if (halvedAt.size() == MAX_HALVINGS) {
            throw new DivergenceException(t, "the loss ran away although the step was halved " + MAX_HALVINGS
                    + " times", last);
        }
        halvedAt.add(t);
        lowestLoss = Double.POSITIVE_INFINITY;
        nearLowestAt = t;
    }

    /** The factor of the schedule's step: 2^−k after k restarts ({@link #restarted}). */
    public double stepScale() {
        return Math.scalb(1.0, -halvedAt.size());
    }

    /** ½‖UVᵀ − M‖²_F by the one-pass identity ½(‖M‖²_F − 2⟨U, MV⟩ + ⟨UᵀU, VᵀV⟩). */
    public double identityLoss(double dotUMV, double[] gramU, double[] gramV) {
        return 0.5 * (normMSquared - 2 * dotUMV + SmallLinearAlgebra.inner(gramU, gramV));
    }

    /**
     * The loss of iterate t, before its step: fixes the divergence reference and the plateau test's scale at t = 0,
     * and takes balance and norms from the Grams (copied: the caller may reuse them).
     *
     * @throws DivergenceException if the loss is not finite or ran away
     */
    public void observe(long t, double loss, double[] gramU, double[] gramV) {
        if (t == 0) {
            referenceLoss = Math.max(referenceLoss, loss);
            if (plateau != null) {
                plateau.start(gramU, gramV);
            }
        }
        if (!Double.isFinite(loss)) {
            throw new DivergenceException(t, "the loss is " + loss, last);
        }
        if (loss > RUNAWAY_FACTOR * referenceLoss) {
            throw new DivergenceException(t, String.format(Locale.ROOT,
                    "the loss grew to %.6g, over %.0g times its reference "
                    + "%.6g", loss, RUNAWAY_FACTOR, referenceLoss), last);
        }
        lowestLoss = Math.min(lowestLoss, loss);
        if (nearLowest(lowestLoss, loss)) {
            nearLowestAt = t;
        }
        System.arraycopy(gramU, 0, this.gramU, 0, r * r);
        System.arraycopy(gramV, 0, this.gramV, 0, r * r);
        normUSquared = SmallLinearAlgebra.trace(gramU, r);
        normVSquared = SmallLinearAlgebra.trace(gramV, r);
        balance = SmallLinearAlgebra.distance(gramU, gramV);
    }

    /**
     * Iterate t's record, after its step: publishes it to the listeners and applies the stop rules, the stall test
     * ({@link #testsForStall}) among them, then saves the checkpoint that is due or that a cancel asks for. The save
     * comes last, after every test of iteration t: a resume from it starts at t + 1 and runs no test of t again, so
     * it is the continuation of the uninterrupted run only if t's tests were all run before it (a cancel or a due
     * checkpoint at a stall-test iteration saved before the test resumed past the stall: STALLED after 513, not 257).
     *
     * @param loss as given to {@link #observe}
     * @param exact whether the loss came from a residual pass rather than the identity
     * @param gradientSquared ‖∇f‖²_F at iterate t
     * @param heldOutRmse the held-out RMSE, NaN for none
     * @param schedule the run's step sizes, for the stall test
     * @param unchanged whether the step left U and V bit for bit as they were: asked only where
     *     {@link #testsForStall} says
     * @return whether the run stops after this iteration ({@link #stopReason()} says why)
     * @throws DivergenceException if the gradient norm is not finite
     */
    public boolean finish(long t, double eta, double loss, boolean exact, double gradientSquared,
            double heldOutRmse, StepSchedule schedule, BooleanSupplier unchanged) {
        double gradientNorm = Math.sqrt(gradientSquared);
        if (!Double.isFinite(gradientNorm)) {
            throw new DivergenceException(t, "the gradient norm is " + gradientNorm, last);
        }
        long now = System.nanoTime();
        seconds = secondsBefore + (now - start) * 1e-9;
        // the identity's loss can round to slightly below 0 near an exact fit
        double relativeError = Math.sqrt(Math.max(2 * loss, 0.0) / normMSquared);
        IterationRecord record = recordBuilder.iteration(t).eta(eta).loss(loss, exact).relativeError(relativeError)
                .balance(balance).norms(Math.sqrt(normUSquared), Math.sqrt(normVSquared)).gradientNorm(gradientNorm)
                .seconds(seconds).heldOutRmse(heldOutRmse).build();
        for (IterationListener listener : listeners) {
            listener.onIteration(record);
        }
        if (t == 0) {
            startMetrics = new double[] {record.balance(), record.normU(), record.normV()};
        }
        last = record;
        iterations = t + 1;
        boolean stationary = limits.tolerance() > 0
                && gradientNorm <= limits.tolerance() * normM * Math.sqrt(normUSquared + normVSquared);
        boolean lastIteration = now >= deadline || t + 1 == limits.maxIterations();
        if (stationary) {
            EckartYoungCheck.Verdict verdict = plateau == null ? EckartYoungCheck.Verdict.MINIMISER
                    : plateau.verdict(t, gramU, gramV, loss, gradientNorm, limits.tolerance(), normM,
                            lastIteration);
            if (verdict == EckartYoungCheck.Verdict.MINIMISER) {
                stopReason = StopReason.CONVERGED;
                return true;
            }
            stationary = verdict == EckartYoungCheck.Verdict.PLATEAU;
        }
        // a limit's last iterate is on a plateau too where the gradient test fails but the escape test finds a way
        // down: mid-escape, while a direction grows, the loss barely moves yet (float32, issue 8's case, --max-iter
        // 150: 1.2e-6 of the relative error over the last 15 iterations, at the rank-5 error) and "max_iterations"
        // read as done
        onPlateau = stationary || lastIteration && limits.tolerance() > 0 && plateau != null
                && plateau.wayDown(t, gramU, gramV, loss);
        if (now >= deadline) {
            // checkpointed where it stops, as a cancelled run is: a run in time slices (--max-seconds, then --resume)
            // went on from its last checkpoint due, or from nothing when a slice was shorter than the interval
            saveAtStop(t + 1);
            stopReason = onPlateau ? StopReason.PLATEAU : StopReason.TIME_LIMIT;
            return true;
        }
        if (limits.stopWhen().test(record)) {
            stopReason = StopReason.STOP_CONDITION;
            return true;
        }
        if (stalled(t, eta, schedule, unchanged)) {
            return true;
        }
        if (saving != null) {
            saveIfDue(t + 1, now);
            if (t + 1 == limits.maxIterations()) {
                // a run that the iteration limit ends is extended by a resume with a larger one: from its end, not
                // from its last checkpoint due (a new user's finding: 369 iterations done again, and none saved at all
                // by a run shorter than the interval)
                saveAtStop(t + 1);
            }
        }
        StopReason cancelled = cancellation(limits.cancelToken());
        if (cancelled != null) {
            // the iterate a cancelled run returns is checkpointed too: a resume goes on from it, not from the last one
            // due (Ctrl-C at 595 of a run saved every 100 repeated 95 iterations on --resume)
            saveAtStop(t + 1);
            stopReason = cancelled;
            return true;
        }
        return false;
    }

    /** With checkpoints, the iterate after {@code done} iterations where a run stops that could go on, at best. */
    private void saveAtStop(long done) {
        if (saving != null && savedAfter != done) {
            saveAtBest(done, savedAfter, () -> save(done));
        }
    }

    /**
     * The extra checkpoint of a run cancelled or out of time ({@code save}, of the iterate after {@code done}
     * iterations), at best: one that cannot be written (a full disk) must not lose the factors the run returns, which
     * such a run without it returned before. Said in one line, as the solver's other warnings (through
     * {@code System.Logger}, under this class's name), naming where a resume goes on from instead: {@code savedBefore},
     * the iteration of the last checkpoint the run wrote (below 0 for none: a resumed run's directory may hold an older
     * one). Shared by the solvers.
     */
    public static void saveAtBest(long done, long savedBefore, Runnable save) {
        try {
            save.run();
        } catch (UncheckedIOException e) {
            System.getLogger(IterationMonitor.class.getName()).log(System.Logger.Level.WARNING,
                    "checkpoint of iteration " + done + " not written (" + e.getMessage() + "); " + (savedBefore >= 0
                            ? "a resume (Builder.resumeFrom; --resume) continues from " + savedBefore
                            : "a resume (Builder.resumeFrom; --resume) continues from the checkpoint there before, "
                                    + "if any"));
        }
    }

    /**
     * The run's held-out best (offered each iterate by the solver before its update), saved with every checkpoint.
     */
    public void trackHeldOutBest(HeldOutBest best) {
        heldOutBest = best;
    }

    /** The loop ran to the iteration limit: the stop reason is that, or a plateau if the last iterate was on one. */
    public void exhausted() {
        seconds = secondsBefore + (System.nanoTime() - start) * 1e-9;
        if (onPlateau) {
            stopReason = StopReason.PLATEAU;
        }
    }

    /**
     * Whether iteration t's step is tested for a stall ({@link StopReason#STALLED}): t = 1, 2, 4, 8, …, where the
     * loop keeps U and V as they were before the step (a digest, or a copy), to compare them with the step's result.
     * A step no larger than the last at an unchanged iterate changes nothing either, so a stall that begins at
     * iteration t₀ lasts, and is found at the first power of two from t₀ on — by 2t₀ — at a cost of log₂ of the
     * iterations in comparisons. The rule depends on t alone, so a run resumed from a checkpoint tests where the whole
     * run does and stops at the same iteration (a rationing with state of its own — a wait that doubled after each
     * test that found a change — restarted at a resume, and stopped elsewhere), and every loop that runs the iteration
     * (the engine's, the Spark module's) stops where the others do.
     */
    public static boolean testsForStall(long t) {
        return t > 0 && (t & (t - 1)) == 0;
    }

    /**
     * The stall test of iteration t, once its step (of size {@code eta}) is made and {@link #finish}'s other tests
     * have not stopped the run: at the iterations {@link #testsForStall} names, a step that left U and V bit for bit
     * as they were ({@code unchanged}, asked only there) stops the run as {@link StopReason#STALLED} when the next
     * step, η_{t+1} of {@code schedule}, is no larger — that one would change nothing either.
     *
     * @return whether the run stalled (its stop reason is then set)
     */
    private boolean stalled(long t, double eta, StepSchedule schedule, BooleanSupplier unchanged) {
        if (testsForStall(t) && unchanged.getAsBoolean() && schedule.eta(t + 1) <= eta) {
            stopReason = StopReason.STALLED;
            return true;
        }
        return false;
    }

    /**
     * The run ended before the step of its next iteration: cancelled during the set-up, or an iterate whose held-out
     * RMSE is a patience past the best.
     */
    public void stoppedBefore(StopReason reason) {
        stopReason = Objects.requireNonNull(reason, "reason must not be null");
        seconds = secondsBefore + (System.nanoTime() - start) * 1e-9;
    }

    /** Iterations done (counting those before a resume). */
    public long iterations() {
        return iterations;
    }

    /** Why the run stopped (valid once it has). */
    public StopReason stopReason() {
        return stopReason;
    }

    /** The last record published, or null. */
    public IterationRecord last() {
        return last;
    }

    /** Wall time of the run, counting that before a resume. */
    public double seconds() {
        return seconds;
    }

    /**
     * The summary of the run at its returned factors, from ‖UVᵀ − M‖²_F there ({@code residualSquared}: formed entry
     * by entry when {@code exact}, else from the one-pass identity) and the Grams UᵀU and VᵀV (r × r, row-major) of
     * those factors; valid once the run has stopped.
     *
     * @throws DivergenceException if the residual is not finite
     */
    public Summary summary(double residualSquared, boolean exact, double[] gramU, double[] gramV, double sigma1,
            String schedule, String variant, String initializer, String kernels) {
        if (!Double.isFinite(residualSquared)) {
            throw new DivergenceException(iterations, "the final factors are not finite", last);
        }
        // the identity can come out slightly below 0 at a near-exact fit (its error is a few u·‖M‖²): a relative
        // error of 0 then, as in the records, not the NaN of a square root of a negative number
        return new Summary(iterations, stopReason, residualSquared / 2, exact,
                Math.sqrt(Math.max(residualSquared, 0.0) / normMSquared),
                SmallLinearAlgebra.distance(gramU, gramV), Math.sqrt(SmallLinearAlgebra.trace(gramU, r)),
                Math.sqrt(SmallLinearAlgebra.trace(gramV, r)), seconds, sigma1, schedule, variant, initializer,
                kernels, halvedAt, startMetrics);
    }

    /**
     * Writes a {@link Checkpoint} as {@code policy} says, unless a stop rule ends the run at that iteration (the run
     * then has nothing to continue), and at the iterate a cancelled run returns (at best: see {@link #finish}).
     * Listeners that are
     * {@link Flushable} (the JSON-lines log) are flushed first, so that what they wrote up to the checkpoint is on
     * disk with it.
     *
     * @param inputHash the SHA-256 that identifies M (compared on resume)
     * @param configuration what changes the iterates (compared on resume; keys as in the summary)
     * @param sigma1 the σ₁ the schedule was resolved with (NaN if none), saved so a resumed run needs no estimate
     * @param factors U and V after the iteration just done
     * @throws UncheckedIOException from {@link #finish} if a checkpoint cannot be written
     */
    public void checkpointing(CheckpointPolicy policy, String inputHash, Map<String, Object> configuration,
            DoubleSupplier sigma1, Factors factors) {
        saving = new Saving(Objects.requireNonNull(policy, "checkpoint policy must not be null"), inputHash,
                Collections.unmodifiableMap(new LinkedHashMap<>(configuration)), sigma1, factors);
        lastSaved = System.nanoTime();
    }

    /** After {@code done} iterations, with U and V already updated by the last of them. */
    private void saveIfDue(long done, long now) {
        if (saving.policy().due(done, now - lastSaved)) {
            save(done);
        }
    }

    /** Writes the checkpoint after {@code done} iterations, with U and V already updated by the last of them. */
    private void save(long done) {
        Saving s = saving;
        CheckpointPolicy p = s.policy();
        FactorCheckpoint.Progress progress = new FactorCheckpoint.Progress(done, s.sigma1().getAsDouble(),
                referenceLoss, seconds, onPlateau, plateau == null ? null : plateau.state(), heldOutBest,
                List.copyOf(halvedAt), lowestLoss, nearLowestAt, startMetrics);
        double[] every = {p.everyIterations(), p.seconds()};
        CheckpointSave.after(listeners, done, p.dir(), () -> s.factors().writeWith((u, v) ->
                FactorCheckpoint.write(p.dir(), u, v, progress, s.inputHash(), s.configuration(), every)));
        savedAfter = done;
        lastSaved = System.nanoTime();
    }

    /**
     * {@link #cancellation}{@code (token) != null} for the calling thread, as a test that other threads (a pass's
     * workers) may make.
     */
    public static BooleanSupplier cancellationOf(CancelToken token) {
        Thread caller = Thread.currentThread();
        return () -> caller.isInterrupted() || token != null && token.isCancelled();
    }

    /**
     * Why the run should end now, if the caller asked: an interrupt of this thread, or a cancelled token ({@code null}
     * for none); null to go on. Shared by the solvers of this module.
     */
    public static StopReason cancellation(CancelToken token) {
        if (Thread.currentThread().isInterrupted()) {
            return StopReason.INTERRUPTED;
        }
        if (token != null && token.isCancelled()) {
            return StopReason.CANCELLED;
        }
        return null;
    }
}
