package org.autobalance.solve;

import java.io.Flushable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.DoubleSupplier;
import java.util.function.Predicate;
import java.util.stream.LongStream;
import org.autobalance.io.internal.RunLock;
import org.autobalance.kernel.FactorKernels;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.kernel.SparseKernels;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.NativeMemory;
import org.autobalance.memory.SparseMatrix;
import org.autobalance.observe.IterationListener;
import org.autobalance.observe.IterationRecord;
import org.autobalance.parallel.IterationEngine;
import org.autobalance.parallel.ParallelPass;
import org.autobalance.schedule.SpectralSchedule;
import org.autobalance.schedule.StepSchedule;
import org.autobalance.solve.internal.CheckpointReader;
import org.autobalance.solve.internal.Finite;
import org.autobalance.solve.internal.HeldOutBest;
import org.autobalance.solve.internal.Initialization;
import org.autobalance.solve.internal.IterationMonitor;
import org.autobalance.solve.internal.MatrixDigest;
import org.autobalance.solve.internal.ObservedResidual;
import org.autobalance.solve.internal.PowerPasses;
import org.autobalance.solve.internal.RowPadding;
import org.autobalance.solve.internal.SmallLinearAlgebra;
import org.autobalance.solve.internal.StepCoefficients;
import org.autobalance.solve.internal.SpectralNorm;

/**
 * Gradient descent on f(U, V) = ½‖UVᵀ − M‖²_F, by default the algorithm analysed by Du, Hu &amp; Lee (NeurIPS 2018):
 * simultaneous updates U ← U − η_t(UVᵀ − M)V, V ← V − η_t(UVᵀ − M)ᵀU, both from the old iterate. Alternating GD and
 * GD on the balance-regularised objective are {@link Variant}s of the same loop.
 *
 * <p>Each iteration is one streaming pass over M (the gradients are expanded as U·VᵀV − MV and V·UᵀU − MᵀU, so the
 * residual is never formed), plus O((d1 + d2)·r²) work on the factors. Every iteration yields an
 * {@link IterationRecord} to the listeners.
 *
 * <p>M may be a {@link SparseMatrix}: the pass then runs over its stored entries (O(nnz·r)), for the same full loss
 * (zeros count; same schedules, variants, records and results) or for the observed-entries loss of matrix completion
 * ({@link Objective}), optionally with a held-out set whose RMSE is in every record.
 *
 * <pre>{@code
 * Factorizer factorizer = Factorizer.builder(m, 8).schedule(StepSchedule.parse("auto")).maxIterations(5000).build();
 * try (Result result = factorizer.run()) {
 *     System.out.println(result.relativeError() + " " + result.balance());
 * }
 * }</pre>
 */
public final class Factorizer {
    /** The settings, copied at {@link Builder#build()}: changing the builder afterwards does not affect this. */
    private final Settings config;

    /** The configuration's key of the held-out entries' SHA-256 (compared on resume; not in the summary). */
    static final String HELD_OUT = "held_out_sha256";

    private record Settings(DenseMatrix m, SparseMatrix sparse, Objective objective, SparseMatrix heldOut, int rank,
            StepSchedule schedule, Initializer initializer, Variant variant, int threads, long seed,
            long maxIterations, double tolerance, Duration timeLimit, long exactLossEvery, ExactLoss exactFinalLoss,
            Predicate<IterationRecord> stopWhen, FactorKernels kernels, SparseKernels sparseKernels,
            List<IterationListener> listeners, CancelToken cancelToken,
            IterationMonitor.CheckpointPolicy checkpoint, Checkpoint resume, long earlyStopping) {
        int rows() {
            return m != null ? m.rows() : sparse.rows();
        }

        int cols() {
            return m != null ? m.cols() : sparse.cols();
        }

        DType dtype() {
            return m != null ? m.dtype() : sparse.dtype();
        }

        double effectiveTolerance() {
            return IterationMonitor.Limits.effectiveTolerance(tolerance, dtype());
        }

        /** What changes the iterates, as compared on resume (keys as in the summary). */
        Map<String, Object> identity() {
            Map<String, Object> id = new LinkedHashMap<>();
            id.put("rows", (long) rows());
            id.put("cols", (long) cols());
            id.put("rank", (long) rank);
            id.put("dtype", dtype().label());
            id.put("storage", m != null ? "dense" : "sparse");
            id.put("objective", objective.describe());
            id.put("schedule", schedule.describe());
            id.put("variant", variant.describe());
            id.put("init", initializer.describe());
            id.put("seed", seed);
            id.put("threads", (long) threads);
            id.put("tolerance", effectiveTolerance());
            id.put("exact_loss_every", exactLossEvery);
            id.put("kernels", kernels.name());
            if (earlyStopping > 0) {
                // only when set: a checkpoint of a run without it, written before it existed, still matches
                id.put("early_stop", earlyStopping);
            }
            if (heldOut != null) {
                // their RMSE picks the best iterate: other held-out entries are another run (another --holdout draw
                // was refused as another M, the trained-on entries, and another --test file not at all)
                id.put(HELD_OUT, MatrixDigest.of(heldOut));
            }
            return id;
        }

        /** The SHA-256 of M's content (the input's identity on resume). */
        String inputHash() {
            return m != null ? MatrixDigest.of(m) : MatrixDigest.of(sparse);
        }
    }

    private Factorizer(Settings config) {
        this.config = config;
    }

    /**
     * The default stopping tolerance: √u = 1.05·10⁻⁸ in float64 (u = 2⁻⁵³), where the relative gradient keeps
     * falling to ~10⁻¹⁶; 10⁻⁵ in float32, whose relative gradient stalls at its rounding floor (measured 2·10⁻⁸ on a
     * 64 × 48 matrix, growing roughly like √d with the dimension) — two orders of magnitude of margin for large
     * matrices.
     */
    public static double defaultTolerance(DType dtype) {
        return dtype == DType.FLOAT32 ? 1e-5 : Math.sqrt(dtype.unitRoundoff());
    }

    /** A builder for factorising {@code m} (not modified, not owned) at rank {@code rank}. */
    public static Builder builder(DenseMatrix m, int rank) {
        return new Builder(Objects.requireNonNull(m, "matrix M must not be null"), null, rank);
    }

    /**
     * A builder for factorising the sparse {@code m} (not modified, not owned) at rank {@code rank}; by default the
     * full loss, see {@link Builder#objective}.
     */
    public static Builder builder(SparseMatrix m, int rank) {
        return new Builder(null, Objects.requireNonNull(m, "matrix M must not be null"), rank);
    }

    /** Settings of a run. Every setter validates its argument; {@link #build()} validates their combination. */
    public static final class Builder {
        private final DenseMatrix m;
        private final SparseMatrix sparse;
        private final int rank;
        private Objective objective = Objective.FULL;
        private SparseMatrix heldOut;
        private StepSchedule schedule = new SpectralSchedule(SpectralSchedule.DEFAULT_C);
        private Initializer initializer = Initializer.small();
        private Variant variant = Variant.SIMULTANEOUS;
        private int threads = 1;
        private long seed = 42;
        private long maxIterations = 10_000;
        private double tolerance = Double.NaN;
        private Duration timeLimit;
        private long exactLossEvery;
        private ExactLoss exactFinalLoss = ExactLoss.AUTO;
        private Predicate<IterationRecord> stopWhen = r -> false;
        private FactorKernels kernels = KernelProvider.kernels();
        private final SparseKernels sparseKernels = KernelProvider.sparseKernels();
        private final List<IterationListener> listeners = new ArrayList<>();
        private CancelToken cancelToken;
        private IterationMonitor.CheckpointPolicy checkpoint;
        private Checkpoint resume;
        private long earlyStopping;

        private Builder(DenseMatrix m, SparseMatrix sparse, int rank) {
            this.m = m;
            this.sparse = sparse;
            this.rank = rank;
        }

        /**
         * The objective (default {@link Objective#FULL}); {@link Objective.Observed} needs a sparse M, whose stored
         * entries are the observations.
         */
        public Builder objective(Objective objective) {
            this.objective = Objects.requireNonNull(objective, "objective must not be null");
            return this;
        }

        /**
         * Held-out entries (not modified, not owned; same shape and dtype as M) whose RMSE
         * √(Σ(uᵢ·vⱼ − Mᵢⱼ)²/n) is in every record; only with the observed-entries objective. {@code null} for none.
         */
        public Builder heldOut(SparseMatrix heldOut) {
            this.heldOut = heldOut;
            return this;
        }

        /**
         * Early stopping on the {@linkplain #heldOut held-out entries} (default 0: none): the run ends when the
         * held-out RMSE has not improved for {@code patience} iterations (stop reason
         * {@link StopReason#EARLY_STOPPED}), and whatever ends it, the result holds the iterate with the lowest
         * held-out RMSE of the run (its metrics are those of that iterate; {@code best_test_iteration} in
         * {@link Result#summary()} says which, counted in updates). Costs a copy of U and V, and one more pass at the
         * end when the best is not the last iterate. With λ = 0 the small start is then the only regulariser, as in
         * the implicit-regularisation literature this engine makes observable. Needs the observed-entries objective
         * with held-out entries.
         *
         * @throws IllegalArgumentException if {@code patience} is negative
         */
        public Builder earlyStopping(long patience) {
            if (patience < 0) {
                throw new IllegalArgumentException("early-stopping patience must be non-negative, got " + patience);
            }
            this.earlyStopping = patience;
            return this;
        }

        /** The step schedule (default {@code auto:0.5}, i.e. η = 0.5/σ₁(M)). */
        public Builder schedule(StepSchedule schedule) {
            this.schedule = Objects.requireNonNull(schedule, "schedule must not be null");
            return this;
        }

        /** The initialiser (default {@link Initializer#small()}). */
        public Builder initializer(Initializer initializer) {
            this.initializer = Objects.requireNonNull(initializer, "initializer must not be null");
            return this;
        }

        /** The gradient method (default {@link Variant#SIMULTANEOUS}). */
        public Builder variant(Variant variant) {
            this.variant = Objects.requireNonNull(variant, "variant must not be null");
            return this;
        }

        /**
         * Worker threads (default 1). Results are bit-for-bit reproducible for a fixed thread count, seed and
         * {@linkplain Result#kernels() kernels}: the scalar kernels (without {@code jdk.incubator.vector}) and each
         * vector width sum in their own order. More threads than the machine's processors split the work into that
         * many chunks, for those bits, which one thread per processor runs.
         */
        public Builder threads(int threads) {
            this.threads = ParallelPass.requireThreads(threads);
            return this;
        }

        /** Seed of the random initialisation and of the σ₁ estimate (default 42). */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Iteration limit (default 10 000); 0 returns the initial factors. */
        public Builder maxIterations(long maxIterations) {
            this.maxIterations = IterationMonitor.Limits.requireMaxIterations(maxIterations);
            return this;
        }

        /**
         * Stop when ‖∇f‖_F ≤ tol·‖M‖_F·√(‖U‖²_F + ‖V‖²_F), a scale-free test of stationarity (both sides scale
         * alike when M is scaled by c and the factors by √c). 0 disables it: the run then does exactly
         * {@code maxIterations} iterations, unless a step leaves U and V unchanged ({@link StopReason#STALLED}). The
         * default is {@link #defaultTolerance(DType)}.
         */
        public Builder tolerance(double tolerance) {
            this.tolerance = IterationMonitor.Limits.requireTolerance(tolerance);
            return this;
        }

        /**
         * Stop after this much wall time of iterations (checked after every iteration; stop reason
         * {@link StopReason#TIME_LIMIT}); {@code null} for none (the default). The clock starts at the first
         * iteration: the set-up before it (‖M‖, the σ₁ estimate's passes, the initialisation) and the final metrics
         * are not counted — 0.6–4.7 s of set-up beside a 0.5 s limit on a 20 000 × 10 000 sparse M at rank 16. To
         * bound the wall time of {@link Factorizer#run}, cancel a {@linkplain #cancelToken token} from a timer.
         */
        public Builder timeLimit(Duration timeLimit) {
            this.timeLimit = IterationMonitor.Limits.requireTimeLimit(timeLimit);
            return this;
        }

        /**
         * Every k-th record (k ≥ 1) carries the exact loss from a residual pass instead of the one-pass identity
         * (costs one more pass over M at those iterations; for a sparse M's full loss O(d1·d2·r), see
         * {@link ExactLoss}); 0, the default, never.
         */
        public Builder exactLossEvery(long k) {
            if (k < 0) {
                throw new IllegalArgumentException("exact-loss interval must be non-negative, got " + k);
            }
            this.exactLossEvery = k;
            return this;
        }

        /**
         * Whether the final loss of a sparse M's full loss is exact or the one-pass identity (default
         * {@link ExactLoss#AUTO}: exact unless it would cost more than about half of the iterations); a dense M's and
         * the observed loss's final loss is always exact.
         */
        public Builder exactFinalLoss(ExactLoss setting) {
            this.exactFinalLoss = Objects.requireNonNull(setting, "exact-loss setting must not be null");
            return this;
        }

        /**
         * Stop after the iteration whose record satisfies {@code condition}, e.g. a target loss for benchmarks. The
         * record describes (U_t, V_t) before that iteration's update, so the returned factors are one step further.
         */
        public Builder stopWhen(Predicate<IterationRecord> condition) {
            this.stopWhen = Objects.requireNonNull(condition, "stop condition must not be null");
            return this;
        }

        /**
         * A token that ends the run, keeping its factors, when cancelled (from any thread, or from a listener):
         * stop reason {@link StopReason#CANCELLED}. {@code null} (the default) for none. Independently of a token,
         * {@link Thread#interrupt()} of the running thread ends it the same way with {@link StopReason#INTERRUPTED}.
         */
        public Builder cancelToken(CancelToken token) {
            this.cancelToken = token;
            return this;
        }

        /** Replaces the dense kernels chosen by {@link KernelProvider}: package-private, for tests of failures. */
        Builder kernels(FactorKernels kernels) {
            this.kernels = Objects.requireNonNull(kernels, "kernels must not be null");
            return this;
        }

        /**
         * Adds a listener that receives every iteration record. To stop the run from a listener and keep the factors,
         * cancel a {@link #cancelToken token}; a listener that throws ends the run with its exception (the factors
         * are freed).
         */
        public Builder listener(IterationListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener must not be null"));
            return this;
        }

        /**
         * Writes a {@link Checkpoint} to {@code dir} after every {@code everyIterations}-th iteration (if positive)
         * and whenever {@code every} (if positive) has passed since the last one; {@code dir} null for none (the
         * default). Listeners that are {@link Flushable} (the JSON-lines log) are flushed first, so that what they
         * wrote up to the checkpoint is on disk with it. {@link #run} locks {@code dir} (made when missing) for the
         * whole run: another run writing there, in this process or another, is refused (see {@link Factorizer#run});
         * and temporary files of a run killed while writing a checkpoint are removed.
         */
        public Builder checkpoint(Path dir, long everyIterations, Duration every) {
            this.checkpoint = dir == null ? null : new IterationMonitor.CheckpointPolicy(dir, everyIterations, every);
            return this;
        }

        /**
         * Continues the run saved in {@code checkpoint} instead of starting afresh: the initialiser is not used and
         * the final factors are bit-for-bit those of an uninterrupted run. {@link #build()} refuses a checkpoint of
         * another matrix (content hash) or another configuration; the iteration limit and time limit may differ.
         */
        public Builder resumeFrom(Checkpoint checkpoint) {
            this.resume = Objects.requireNonNull(checkpoint, "checkpoint must not be null");
            return this;
        }

        /** Validates the combination of settings against M. */
        public Factorizer build() {
            requireOpen(m, sparse, heldOut);
            int rows = m != null ? m.rows() : sparse.rows();
            int cols = m != null ? m.cols() : sparse.cols();
            IterationMonitor.Limits.requireRank(rank, rows, cols);
            if (objective instanceof Objective.Observed && sparse == null) {
                throw new IllegalArgumentException("the observed-entries objective needs a sparse M (its stored "
                        + "entries are the observations); every entry of a dense M is observed: use the full loss");
            }
            if (heldOut != null) {
                if (!(objective instanceof Objective.Observed)) {
                    throw new IllegalArgumentException("held-out entries need the observed-entries objective");
                }
                if (heldOut.rows() != rows || heldOut.cols() != cols || heldOut.dtype() != sparse.dtype()) {
                    throw new IllegalArgumentException("held-out entries are " + heldOut.rows() + " x "
                            + heldOut.cols() + " " + heldOut.dtype().label() + ", expected " + rows + " x " + cols
                            + " " + sparse.dtype().label() + " like M");
                }
                Finite.require(heldOut.firstNonFinite(), heldOut::get, "held-out matrix");
            }
            if (earlyStopping > 0 && heldOut == null) {
                throw new IllegalArgumentException("early stopping needs held-out entries (heldOut), whose RMSE "
                        + "it watches");
            }
            if (initializer instanceof Initializer.Given given) {
                Initialization.requireFits(given, m != null ? m.dtype() : sparse.dtype(), rows, cols, rank);
            }
            if (m != null) {
                Finite.require(m, "M");
                RowPadding.requireZero(m, "M");
            } else {
                Finite.require(sparse.firstNonFinite(), sparse::get, "M");
            }
            Settings settings = new Settings(m, sparse, objective, heldOut, rank, schedule, initializer, variant,
                    threads, seed, maxIterations, tolerance, timeLimit, exactLossEvery, exactFinalLoss, stopWhen,
                    kernels, sparseKernels, List.copyOf(listeners), cancelToken, checkpoint, resume, earlyStopping);
            if (resume != null) {
                CheckpointReader.requireSameRun(resume, settings.dtype(), settings.rows(), settings.cols(),
                        settings.rank(), settings.inputHash(), settings.identity());
            }
            return new Factorizer(settings);
        }
    }

    /**
     * Refuses a closed M or held-out matrix, by name: at {@code build()}, and again at {@code run()} for one closed in
     * between (it failed as "matrix 6 x 4 float32 was closed", which does not say which).
     */
    private static void requireOpen(DenseMatrix m, SparseMatrix sparse, SparseMatrix heldOut) {
        if (m != null ? m.isClosed() : sparse.isClosed()) {
            throw new IllegalArgumentException("matrix M is closed");
        }
        if (heldOut != null && heldOut.isClosed()) {
            throw new IllegalArgumentException("held-out matrix is closed");
        }
    }

    /** Whether {@code x} has an entry other than ±0 (asked only of an M whose sum of squares is 0). */
    private static boolean hasNonZero(DenseMatrix x) {
        for (int i = 0; i < x.rows(); i++) {
            for (int j = 0; j < x.cols(); j++) {
                if (x.get(i, j) != 0) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Runs gradient descent.
     *
     * <p>Cancelling: an interrupt of the calling thread ({@link Thread#interrupt()}) or a cancelled
     * {@linkplain Builder#cancelToken token} ends the run at the next check — after each iteration, and between the
     * steps of the set-up (‖M‖, the σ₁ estimate, the initialisation) — and it returns normally, with stop reason
     * {@link StopReason#INTERRUPTED} or {@link StopReason#CANCELLED} and the factors reached: the last iterate, the
     * initial factors, or zeros if it stopped before the initialisation. The interrupt status stays set, for the
     * caller to see. With a {@linkplain Builder#checkpoint checkpoint directory} the last iterate is checkpointed
     * too, so that {@link Builder#resumeFrom} goes on from where the run stopped.
     *
     * @param moreListeners listeners for this run only, after those of the builder
     * @return the result, which owns the new factors
     * @throws DivergenceException if the run diverges (the factors are freed)
     * @throws IllegalArgumentException if M is zero (nothing to factorise), if M holds a NaN or an infinity or a dense
     *     M's row padding is not zero (written after {@code build()}, which refuses both), if M, the held-out matrix
     *     or a given start was closed after {@code build()}, or if another run, in this process or another, is
     *     writing checkpoints to this run's {@linkplain Builder#checkpoint checkpoint directory} (it is locked for the
     *     whole run; the message names the holder's process)
     */
    public Result run(IterationListener... moreListeners) {
        Objects.requireNonNull(moreListeners, "listeners must not be null");
        for (IterationListener listener : moreListeners) {
            Objects.requireNonNull(listener, "listener must not be null");
        }
        Settings c = config;
        requireOpen(c.m(), c.sparse(), c.heldOut());
        if (c.m() != null) {
            // build() checked it, but the padding may have been written since, as M's elements may (runLocked)
            RowPadding.requireZero(c.m(), "M");
        }
        if (c.resume() == null && c.initializer() instanceof Initializer.Given given) {
            // closed (or changed) since build()
            Initialization.requireFits(given, c.dtype(), c.rows(), c.cols(), c.rank());
        }
        IterationMonitor.CheckpointPolicy checkpoints = config.checkpoint();
        try (RunLock _ = checkpoints == null ? null : RunLock.forSolver(checkpoints.dir())) {
            return runLocked(moreListeners);
        }
    }

    private Result runLocked(IterationListener... moreListeners) {
        Settings c = config;
        List<IterationListener> all = new ArrayList<>(c.listeners());
        all.addAll(List.of(moreListeners));
        DenseMatrix m = c.m();
        SparseMatrix sparse = c.sparse();
        DType dtype = c.dtype();
        double tolerance = c.effectiveTolerance();
        // U, V and the engine's MV and MᵀU at least, refused before any of them is allocated and zero-filled; for a
        // sparse M's full loss also the exact residual's scratch if the run may need it (by its iteration limit), so
        // that a long run is not refused at its end
        boolean mayResidual = sparse != null && c.objective() == Objective.FULL && (c.exactLossEvery() > 0
                || c.exactFinalLoss().exact(sparse.rows(), sparse.cols(), sparse.nonZeros(), c.maxIterations()));
        long residualBytes = mayResidual
                ? IterationEngine.sparseResidualBytes(dtype, c.cols(), c.rank(), c.threads()) : 0;
        // the early-stopping copy of U and V too; and, unless a checkpoint gives σ₁, its estimate's blocks and their
        // products (SpectralNorm.estimate: two more copies at min(r, MAX_BLOCK) ≤ r columns), live beside all these
        int factorCopies = (c.earlyStopping() > 0 ? 3 : 2) + (c.resume() == null ? 2 : 0);
        double partialBytes = IterationEngine.partialBytes(dtype, c.cols(), c.rank(), c.threads(),
                sparse != null && !(c.objective() instanceof Objective.Observed));
        // a float32 M's blocks of MᵀU (IterationEngine.BLOCK_ROWS): the iterations' engine's, and σ₁'s beside it (its
        // blocks at most r columns) unless a checkpoint gives σ₁; a sparse M's, the observed loss's engine's alone
        double blockBytes = m != null ? (c.resume() == null ? 2 : 1) * IterationEngine.blockBytes(c.kernels(), dtype,
                c.rows(), c.cols(), c.rank(), c.threads())
                : c.objective() instanceof Objective.Observed
                ? IterationEngine.scatterBlockBytes(sparse, c.rank(), c.threads()) : 0;
        // and the panel layouts of M and Mᵀ, once for the run (shared by its engines)
        long layoutBytes = sparse == null ? 0 : IterationEngine.runPanelBytes(c.sparseKernels(), sparse,
                c.objective() instanceof Objective.Observed, c.rank(), c.threads());
        // and the observed loss's plateau test, its residual over the stored entries formed beside all these
        long escapeBytes = sparse != null && c.objective() instanceof Objective.Observed && tolerance > 0
                ? ObservedResidual.bytes(c.sparseKernels(), sparse, c.threads()) : 0;
        NativeMemory.requireRoom((long) (IterationMonitor.Limits.factorBytes(dtype, c.rows(), c.cols(), c.rank(),
                factorCopies) + residualBytes + partialBytes + blockBytes + layoutBytes + escapeBytes),
                () -> "factorise a " + c.rows() + " x " + c.cols() + " matrix at rank " + c.rank() + " in "
                + dtype.label() + (partialBytes > 0 ? " with " + c.threads() + " threads" : ""));
        IterationMonitor.Limits.requireHeap(c.rank(), c.threads());
        DenseMatrix u = DenseMatrix.allocate(dtype, c.rows(), c.rank());
        DenseMatrix v = DenseMatrix.allocate(dtype, c.cols(), c.rank());
        boolean ok = false;
        try (HeldOutBest best = c.heldOut() == null ? null
                        : new HeldOutBest(c.earlyStopping(), dtype, c.rows(), c.cols(), c.rank());
                ParallelPass pass = new ParallelPass(c.threads());
                IterationEngine engine = m != null ? new IterationEngine(c.kernels(), pass, m, u, v)
                        : new IterationEngine(c.kernels(), c.sparseKernels(), pass, sparse,
                                c.objective() instanceof Objective.Observed, c.heldOut(), u, v)) {
            double normMSquared = m != null
                    ? pass.run((chunk, start, end) -> c.kernels().dot(m, m, start, end), m.rows())
                    : sparse.normSquared();
            if (!Double.isFinite(normMSquared)) {
                // a NaN or infinity written into M after build(), which looked for them: named as build() names it,
                // not as squares that overflow float64 with the advice to scale M down
                Finite.require(m != null ? m.firstNonFinite() : sparse.firstNonFinite(),
                        m != null ? m::get : sparse::get, "M");
            }
            IterationMonitor.requireNonZero(normMSquared, c.rank(), () -> m != null ? hasNonZero(m)
                    : LongStream.range(0, sparse.nonZeros()).anyMatch(k -> sparse.value(k) != 0));
            IterationMonitor.checkScaleBounds(Math.sqrt(normMSquared), c.rows(), c.cols(), dtype);
            // σ₁ and the plateau test's σ₁(M − UVᵀ) run on the same storage as the iterations
            SpectralNorm.Engines engines = m != null ? SpectralNorm.Engines.dense(c.kernels(), pass, m)
                    : SpectralNorm.Engines.sparse(c.kernels(), c.sparseKernels(), pass, sparse);
            StopReason early = IterationMonitor.cancellation(c.cancelToken());
            Checkpoint resume = c.resume();
            double[] sigma1 = {resume == null ? Double.NaN : resume.sigma1()};
            // whether a pass over M ran before the iterations (σ₁'s, Ward–Kolda's), compiling the kernels
            boolean[] warm = {false};
            // as many passes as the uses of σ₁ need (SpectralNorm.forRun), each told to the listeners
            DoubleSupplier sigma1Supplier = () -> {
                if (Double.isNaN(sigma1[0])) {
                    warm[0] = true;
                    sigma1[0] = engines.spectralNorm(c.schedule(), c.initializer(), c.variant(), c.rank(),
                            Math.sqrt(normMSquared), c.seed(),
                            () -> IterationMonitor.cancellation(c.cancelToken()) != null, all);
                    IterationMonitor.checkScale(sigma1[0], Math.sqrt(normMSquared), dtype);
                }
                return sigma1[0];
            };
            StepSchedule schedule = c.schedule();
            if (early == null && schedule.needsSpectralNorm()) {
                schedule = schedule.resolve(sigma1Supplier.getAsDouble() * c.variant().curvatureScale(), c.rank());
                early = IterationMonitor.cancellation(c.cancelToken());
            }
            // the run's start, made again by auto's back-off (IterationMonitor.runsAway and .oscillates) after the
            // warm-up's test.
            // The initialiser may ask for M·V of a V it wrote (Ward–Kolda's X₀ = MΦ/…): one fused pass gives it
            StepSchedule resolved = schedule;
            Runnable start = () -> Initialization.initialize(c.initializer(), u, v, new Initialization.Setup(
                    c.seed(), sigma1Supplier, resolved.eta(0), () -> {
                        warm[0] = true;
                        engine.multiply();
                        return engine.mv();
                    }));
            if (resume != null) {
                resume.restore(u, v);
                if (best != null) {
                    best.restoreFrom(resume);
                }
            } else if (early == null) {
                start.run();
                early = IterationMonitor.cancellation(c.cancelToken());
            }

            if (early == null && !warm[0] && c.maxIterations() > (resume == null ? 0 : resume.iteration())) {
                // the kernels compile on their first calls (under cli/jit's options a thread that needs one waits
                // for its code), which were otherwise the first iterations', on the clock that --max-seconds and the
                // records' seconds read: with a given step and start a 2000 × 1500 float32 run stopped on
                // --max-seconds 1 after 1–2 iterations at relative error 1 (after σ₁'s passes: 65 iterations, 0.6 s),
                // and a resumed 1 s slice made 1 iteration. The pass and the step on scratch factors leave U and V
                // as they are: the run's bits are the same
                engine.fusedPass();
                warmStep(c.kernels(), dtype, c.rank());
            }

            // the plateau test's residual: M − UVᵀ, or the observed loss's P_Ω(M − UVᵀ), formed per test
            PowerPasses plateau = c.objective() instanceof Objective.Observed completion
                    ? new ObservedResidual(c.kernels(), c.sparseKernels(), pass, sparse, completion.lambda(), u, v)
                    : engines.withFactors(u, v);
            IterationMonitor monitor = new IterationMonitor(new IterationMonitor.Limits(c.maxIterations(), tolerance,
                    c.timeLimit(), c.stopWhen(), c.cancelToken()), all, c.rank(), normMSquared, plateau, c.seed(),
                    resume);
            if (best != null) {
                monitor.trackHeldOutBest(best);
            }
            if (c.checkpoint() != null) {
                monitor.checkpointing(c.checkpoint(),
                        resume != null ? resume.inputHash() : c.inputHash(), c.identity(), () -> sigma1[0],
                        writer -> writer.write(u, v));
            }
            if (early == null) {
                // auto's back-off: a run whose loss runs away, or oscillates for long, goes back to its start with
                // half the step
                iterate(c, engine, schedule, c.schedule() instanceof SpectralSchedule ? start : null, monitor, best,
                        u, v);
            } else {
                monitor.stoppedBefore(early);
            }
            boolean observed = c.objective() instanceof Objective.Observed;

            // exact for a dense M and for the observed loss; for a sparse M's full loss the zeros count, so the exact
            // residual costs O(d1·d2·r), and the setting decides between it and the identity
            boolean exact = m != null || observed
                    || c.exactFinalLoss().exact(sparse.rows(), sparse.cols(), sparse.nonZeros(), monitor.iterations());
            double residual;
            if (observed) {
                residual = engine.fusedPass(); // Σ_Ω e², exact: each residual is formed
                if (best != null && monitor.iterations() > 0) {
                    // the last update's iterate, measured by that pass, is a candidate too; with early stopping the
                    // best of the run is returned, measured again
                    long last = monitor.iterations();
                    best.offer(last, Math.sqrt(engine.heldOutSquared() / c.heldOut().nonZeros()), u, v);
                    if (best.keeps() && best.bestIteration() != last) {
                        best.restoreBest(u, v);
                        residual = engine.fusedPass();
                    }
                }
            } else {
                residual = exact ? exactResidual(sparse, engine, c.cancelToken(), all) : Double.NaN;
                exact = !Double.isNaN(residual);
                if (!exact) {
                    residual = normMSquared - 2 * engine.fusedPass() + SmallLinearAlgebra.inner(engine.gramU,
                            engine.gramV);
                }
            }
            IterationMonitor.Summary metrics = monitor.summary(residual, exact, engine.gramU, engine.gramV, sigma1[0],
                    schedule.describe(), c.variant().describe(), c.initializer().describe(), c.kernels().name());
            double heldOut = engine.heldOutSquared();
            Result result = new Result(u, v, metrics, c.threads(), c.objective().describe(),
                    c.objective() instanceof Objective.Observed completion ? completion.lambda() : 0,
                    c.heldOut() == null ? Double.NaN : Math.sqrt(heldOut / c.heldOut().nonZeros()),
                    best == null ? -1 : best.bestIteration(), best == null ? Double.NaN : best.bestRmse(),
                    c.earlyStopping());
            ok = true;
            return result;
        } finally {
            if (!ok) {
                u.close();
                v.close();
            }
        }
    }

    /**
     * ‖UVᵀ − M‖²_F formed entry by entry at the final factors, with the Grams of the summary. For a {@code sparse} M
     * (null for a dense one) that costs O(d1·d2·r), on a large M minutes: the listeners are told first, and a cancel
     * or interrupt during it gives NaN, for the identity's loss (Ctrl-C there was ignored until the pass ended). A run
     * already cancelled forms it only for a small M ({@link ExactLoss#SMALL} entries: milliseconds), as its stop
     * cannot be repeated to end the pass.
     */
    private static double exactResidual(SparseMatrix sparse, IterationEngine engine, CancelToken token,
            List<IterationListener> listeners) {
        engine.grams();
        if (sparse == null) {
            return engine.residualSquared(() -> false); // one pass, about an iteration's cost
        }
        long entries = (long) sparse.rows() * sparse.cols();
        if (IterationMonitor.cancellation(token) != null) {
            return entries <= ExactLoss.SMALL ? engine.residualSquared(() -> false) : Double.NaN;
        }
        for (IterationListener listener : listeners) {
            listener.onExactLoss(entries);
        }
        return engine.residualSquared(IterationMonitor.cancellationOf(token));
    }

    /**
     * Calls the step's kernel twice on scratch factors of {@code rank} columns, so that its compile (on a kernel's
     * second call under cli/jit's options) comes before the iterations' clock; U and V are not touched.
     */
    private static void warmStep(FactorKernels kernels, DType dtype, int rank) {
        int rows = 64;
        try (DenseMatrix x = DenseMatrix.allocate(dtype, rows, rank);
                DenseMatrix p = DenseMatrix.allocate(dtype, rows, rank)) {
            double[] a = new double[rank * rank];
            double[] gram = new double[rank * rank];
            for (int call = 0; call < 2; call++) {
                kernels.gradientStepAndGram(x, p, a, 0.0, 0, rows, gram);
            }
        }
    }

    /**
     * The iterations, from the monitor's first to a stop or the limit.
     *
     * @param restart makes U and V the run's start again, for auto's back-off; null for another schedule
     */
    private static void iterate(Settings c, IterationEngine engine, StepSchedule schedule, Runnable restart,
            IterationMonitor monitor, HeldOutBest best, DenseMatrix u, DenseMatrix v) {
        int r = c.rank();
        Variant variant = c.variant();
        double[] aU = new double[r * r];
        double[] aV = new double[r * r];
        Objective.Observed observed = c.objective() instanceof Objective.Observed o ? o : null;
        long heldOutCount = c.heldOut() == null ? 0 : c.heldOut().nonZeros();
        StepSchedule steps = Halved.of(schedule, monitor.stepScale());
        for (long t = monitor.first(); t < c.maxIterations(); t++) {
            double dotUMV = engine.fusedPass();
            double[] gramU = engine.gramU;
            double[] gramV = engine.gramV;
            // the digest of U and V before the step, at the iterations the stall test runs
            String before = IterationMonitor.testsForStall(t) ? MatrixDigest.of(u, v) : null;
            // the observed loss is exact: its pass forms every residual (dotUMV is then Σ_Ω e²)
            boolean exact = observed != null || c.exactLossEvery() > 0 && t % c.exactLossEvery() == 0;
            double loss = observed != null ? 0.5 * dotUMV : exact ? engine.residualSquared(() -> false) / 2
                    : monitor.identityLoss(dotUMV, gramU, gramV);
            if (restart != null && (monitor.runsAway(t, loss) || monitor.oscillates(t, loss))) {
                monitor.restarted(t);
                if (best != null) {
                    best.forget();
                }
                restart.run();
                engine.factorsRewritten();
                steps = Halved.of(schedule, monitor.stepScale());
                t--; // iteration t again, from the start
                continue;
            }
            double heldOutRmse = heldOutCount == 0 ? Double.NaN : Math.sqrt(engine.heldOutSquared() / heldOutCount);
            if (best != null) {
                best.offer(t, heldOutRmse, u, v); // before this iteration's update: the RMSE is of these factors
                if (best.patienceRunOut(t)) {
                    // decided on iterate t's RMSE, before its update: an update made first left an iterate the run
                    // never tested, and that iterate, when it was a new best, was returned as 'early_stopped'
                    monitor.stoppedBefore(StopReason.EARLY_STOPPED);
                    return;
                }
            }
            monitor.observe(t, loss, gramU, gramV);
            double eta = steps.eta(t);
            StepCoefficients.of(variant, gramU, gramV, aU, aV);
            if (observed != null) {
                observed.adjust(gramU, gramV, aU, aV, r);
            }
            double gradientSquared;
            if (variant.alternating()) {
                // U first; V's gradient then needs MᵀU and UᵀU at the new U: a second pass over M
                gradientSquared = engine.step(aU, null, eta);
                engine.fusedPass();
                StepCoefficients.of(variant, engine.gramU, engine.gramV, aU, aV);
                if (observed != null) {
                    observed.adjust(engine.gramU, engine.gramV, aU, aV, r);
                }
                gradientSquared += engine.step(null, aV, eta);
            } else {
                gradientSquared = engine.step(aU, aV, eta);
            }
            // a digest of U and V (SHA-256, MatrixDigest: O((d1 + d2)·r), no pass over M) for the stall test
            if (monitor.finish(t, eta, loss, exact, gradientSquared, heldOutRmse, steps,
                    () -> before.equals(MatrixDigest.of(u, v)))) {
                return;
            }
        }
        monitor.exhausted();
    }

    /** A schedule's steps times 2^−k: auto's after k restarts of its back-off. */
    private record Halved(StepSchedule schedule, double scale) implements StepSchedule {
        static StepSchedule of(StepSchedule schedule, double scale) {
            return scale == 1 ? schedule : new Halved(schedule, scale);
        }

        @Override
        public double eta(long t) {
            return schedule.eta(t) * scale;
        }

        @Override
        public String describe() {
            return schedule.describe();
        }
    }
}
