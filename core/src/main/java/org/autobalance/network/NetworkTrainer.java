package org.autobalance.network;

import java.io.Flushable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.IntStream;
import org.autobalance.io.internal.RunLock;
import org.autobalance.kernel.GemmKernels;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.observe.NetworkListener;
import org.autobalance.observe.NetworkRecord;
import org.autobalance.parallel.ParallelPass;
import org.autobalance.schedule.SpectralSchedule;
import org.autobalance.schedule.StepSchedule;
import org.autobalance.schedule.TheorySchedule;
import org.autobalance.solve.CancelToken;
import org.autobalance.solve.Checkpoint;
import org.autobalance.solve.Factorizer;
import org.autobalance.solve.StopReason;
import org.autobalance.solve.internal.CheckpointReader;
import org.autobalance.solve.internal.CheckpointSave;
import org.autobalance.solve.internal.CheckpointWriter;
import org.autobalance.solve.internal.Finite;
import org.autobalance.solve.internal.IterationMonitor;
import org.autobalance.solve.internal.IterationMonitor.CheckpointPolicy;
import org.autobalance.solve.internal.MatrixDigest;
import org.autobalance.solve.internal.SmallLinearAlgebra;

/**
 * Full-batch gradient descent on L(W) = (1/(2n)) Σ_i ‖f(x_i; W) − y_i‖² for a deep homogeneous network
 * ({@link Architecture}): W_h ← W_h − η_t ∇_{W_h}L and b_h ← b_h − η_t ∇_{b_h}L for every layer, all from the same
 * old iterate (the gradient of every layer is computed before any layer moves), as analysed by Du, Hu &amp; Lee.
 *
 * <p>Every iteration yields a {@link NetworkRecord} with the quantities gradient flow conserves. A run can
 * write {@link Checkpoint}s and be continued from one ({@link Builder#checkpoint}, {@link Builder#resumeFrom}) with
 * the same final bits as the run that was never stopped.
 *
 * <pre>{@code
 * Architecture arch = Architecture.parse("dense:64,relu,dense:64,relu,dense:5", x.cols(), null);
 * try (NetworkResult r = NetworkTrainer.builder(x, y, arch).schedule(new ConstantSchedule(0.05)).build().run()) {
 *     System.out.println(r.loss() + " " + java.util.Arrays.toString(r.layerDifferences()));
 * }
 * }</pre>
 */
public final class NetworkTrainer {
    /** A loss this many times its reference max(L₀, ‖Y‖²/(2n)) counts as divergence (as for the factorisation). */
    static final double RUNAWAY_FACTOR = IterationMonitor.RUNAWAY_FACTOR;
    /** The kind of a network's {@link Checkpoint}. */
    static final String CHECKPOINT_KIND = "network";

    private final Settings config;
    /** auto's σ ({@link NetworkScale}), NaN for other schedules. */
    private final double sigma;

    private record Settings(DenseMatrix x, DenseMatrix y, Architecture arch, boolean biases, StepSchedule schedule,
            NetworkInitializer initializer, int threads, long seed, long maxIterations, double tolerance,
            Duration timeLimit, GemmKernels kernels, List<NetworkListener> listeners, CheckpointPolicy checkpoints,
            Checkpoint resume, CancelToken cancelToken) {

        /**
         * What changes the iterates (what a resumed run must share with the run it continues): the data's shapes, the
         * network, the schedule, the start, the seed, the threads, the tolerance and the kernels.
         */
        Map<String, Object> identity() {
            Map<String, Object> id = new LinkedHashMap<>();
            Layer first = arch.layer(1);
            id.put("samples", (long) x.rows());
            id.put("input_shape", first.inChannels() + "," + first.inHeight() + "," + first.inWidth());
            id.put("outputs", (long) y.cols());
            id.put("dtype", x.dtype().label());
            id.put("layers", arch.describe());
            // the rest in the order they were always written (dtype, already in place, keeps its)
            id.putAll(options(x.dtype(), biases, schedule, initializer.describe(), seed, threads, tolerance, kernels));
            return id;
        }

        /** The entries of {@link #identity()} that do not depend on the data. */
        static Map<String, Object> options(DType dtype, boolean biases, StepSchedule schedule, String initializer,
                long seed, int threads, double tolerance, GemmKernels kernels) {
            Map<String, Object> id = new LinkedHashMap<>();
            id.put("dtype", dtype.label());
            id.put("biases", biases);
            id.put("schedule", schedule.describe());
            id.put("init", initializer);
            id.put("seed", seed);
            id.put("threads", (long) threads);
            id.put("tolerance", IterationMonitor.Limits.effectiveTolerance(tolerance, dtype));
            id.put("kernels", kernels.name());
            return id;
        }

        double effectiveTolerance() {
            return IterationMonitor.Limits.effectiveTolerance(tolerance, x.dtype());
        }
    }

    private NetworkTrainer(Settings config, double sigma) {
        this.config = config;
        this.sigma = sigma;
    }

    /**
     * The bytes of the matrices a checkpoint of a run of {@code arch} holds, for a note on the room it needs before the
     * run starts: the weights and, with {@code biases}, the biases in {@code dtype}, twice under a
     * {@link SpectralSchedule} (its back-off keeps the best iterate too), and the matrix invariant Q_h at the start of
     * every hidden layer followed by a linear activation, channels² float64 values (at 500 channels 2 MB a layer, more
     * than the weights of a small network). The few scalars and per-unit sums beside them are left out.
     */
    public static long checkpointBytes(Architecture arch, boolean biases, DType dtype, StepSchedule schedule) {
        long weights = arch.parameters(biases) * dtype.bytes();
        long invariants = 0;
        for (int h = 1; h < arch.depth(); h++) {
            if (arch.layer(h).activation().isLinear()) {
                long channels = arch.layer(h).outChannels();
                invariants += channels * channels * Double.BYTES;
            }
        }
        return (schedule instanceof SpectralSchedule ? 2 * weights : weights) + invariants;
    }

    /**
     * Refuses to continue {@code checkpoint} with other settings, among those known before the data is read (the
     * dtype, biases, schedule, start ({@link NetworkInitializer#describe()}), seed, threads and tolerance, as {@link
     * Builder} takes them; NaN: the dtype's default tolerance), in the words of {@link Builder#build()}, which
     * compares them again with the data's shapes and hash: a front end calls it before a long read, so that a
     * mistaken option costs nothing.
     *
     * @throws IllegalArgumentException naming the first difference, or a checkpoint that is not a network's
     * @throws NullPointerException naming a null {@code checkpoint}, {@code dtype}, {@code schedule} or
     *     {@code initializer}
     */
    public static void requireSameOptions(Checkpoint checkpoint, DType dtype, boolean biases, StepSchedule schedule,
            String initializer, long seed, int threads, double tolerance) {
        // named, as Checkpoint.requireSameOptions names its nulls (the JVM's message named a local of Settings)
        Objects.requireNonNull(checkpoint, "checkpoint must not be null");
        Objects.requireNonNull(dtype, "dtype must not be null");
        Objects.requireNonNull(schedule, "schedule must not be null");
        Objects.requireNonNull(initializer, "initializer must not be null");
        CheckpointReader.requireSameOptions(checkpoint, CHECKPOINT_KIND, Settings.options(dtype, biases, schedule,
                initializer, seed, threads, tolerance, KernelProvider.gemm()));
    }

    /** A builder for fitting {@code y} (n × outputs) from {@code x} (n × inputs); neither is modified or owned. */
    public static Builder builder(DenseMatrix x, DenseMatrix y, Architecture architecture) {
        return new Builder(x, y, architecture);
    }

    /** Settings of a run; {@link #build()} validates their combination. */
    public static final class Builder {
        private final DenseMatrix x;
        private final DenseMatrix y;
        private final Architecture arch;
        private boolean biases;
        private StepSchedule schedule = new SpectralSchedule(SpectralSchedule.DEFAULT_C);
        private NetworkInitializer initializer = NetworkInitializer.small();
        private int threads = 1;
        private long seed = 42;
        private long maxIterations = 10_000;
        private double tolerance = Double.NaN;
        private Duration timeLimit;
        private GemmKernels kernels = KernelProvider.gemm();
        private final List<NetworkListener> listeners = new ArrayList<>();
        private CheckpointPolicy checkpoints;
        private Checkpoint resume;
        private CancelToken cancelToken;

        private Builder(DenseMatrix x, DenseMatrix y, Architecture arch) {
            this.x = Objects.requireNonNull(x, "inputs X must not be null");
            this.y = Objects.requireNonNull(y, "targets Y must not be null");
            this.arch = Objects.requireNonNull(arch, "architecture must not be null");
        }

        /** Whether every layer has a bias (default false, as in the paper's model). */
        public Builder biases(boolean biases) {
            this.biases = biases;
            return this;
        }

        /**
         * The step schedule (default {@code auto:0.5}: η = 0.5/σ with σ = (N/2)·λ·s^{2(N−1)/N}, λ = λ_max(XᵀX/n),
         * s = σ₁(YᵀX/n)/λ — half the sharpness of a linear network at a balanced minimiser on white inputs; at least
         * 1/2 with biases — and a back-off of the step where the run would diverge; other schedules run as given).
         */
        public Builder schedule(StepSchedule schedule) {
            Objects.requireNonNull(schedule, "schedule must not be null");
            if (schedule instanceof TheorySchedule) {
                throw new IllegalArgumentException("schedule " + schedule.describe() + " is derived for the matrix "
                        + "factorization; for a network use auto[:C], constant:ETA or decay:ETA0,DELTA");
            }
            this.schedule = schedule;
            return this;
        }

        /** The initialiser (default {@link NetworkInitializer#small()}). */
        public Builder initializer(NetworkInitializer initializer) {
            this.initializer = Objects.requireNonNull(initializer, "initializer must not be null");
            return this;
        }

        /**
         * Worker threads (default 1); results are bit-for-bit reproducible for a fixed thread count and seed. More
         * threads than processors split the samples into that many chunks, which one thread per processor runs.
         */
        public Builder threads(int threads) {
            this.threads = ParallelPass.requireThreads(threads);
            return this;
        }

        /** Seed of the random initialisation and of the σ estimate (default 42). */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Iteration limit (default 10 000); 0 returns the initial parameters. A run ends earlier as
         * {@link StopReason#STALLED} when a step leaves every weight and bias bit for bit as it was and the next step
         * is no larger (tested at iterations 1, 2, 4, 8, …, as the factorisation's): from a start so small that the
         * gradients, of order the start's scale to the power depth − 1, round away, the network stays at the zero
         * network, a saddle point, however many iterations run.
         */
        public Builder maxIterations(long maxIterations) {
            this.maxIterations = IterationMonitor.Limits.requireMaxIterations(maxIterations);
            return this;
        }

        /**
         * Stop when ‖∇L‖·√(Σ_h ‖W_h‖² + ‖b_h‖²) ≤ tol·‖Y‖²_F/n. Both sides have the units of L (f is
         * 1-homogeneous in each layer, so ∇_{W_h}L·W_h ~ L), and the test is unchanged when Y and the last layer
         * are scaled together. 0 disables it. Default {@link Factorizer#defaultTolerance}. An iterate that passes it
         * stops the run only if the plateau check ({@link EscapeProbe}) finds no way down along what the network has
         * not learned yet; a limit reached while the test holds on a plateau is reported as
         * {@link StopReason#PLATEAU}.
         */
        public Builder tolerance(double tolerance) {
            this.tolerance = IterationMonitor.Limits.requireTolerance(tolerance);
            return this;
        }

        /**
         * Stop after this much wall time of this call's iterations (checked after every iteration; {@link
         * StopReason#TIME_LIMIT}, or {@link StopReason#PLATEAU} when the last iterate passed the gradient test on a
         * plateau); {@code null} for none (the default). Not part of a checkpoint's configuration: a resumed run may
         * change it.
         */
        public Builder timeLimit(Duration timeLimit) {
            this.timeLimit = IterationMonitor.Limits.requireTimeLimit(timeLimit);
            return this;
        }

        /** Overrides the GEMM kernels chosen by {@link KernelProvider}: package-private, for tests. */
        Builder kernels(GemmKernels kernels) {
            this.kernels = Objects.requireNonNull(kernels, "kernels must not be null");
            return this;
        }

        /**
         * A token that ends the run after the iteration during which it is cancelled (stop reason
         * {@link StopReason#CANCELLED}; {@link Thread#interrupt()} of the running thread does the same with
         * {@link StopReason#INTERRUPTED}), with the parameters reached, which a checkpoint directory also receives
         * (at best: one that cannot be written is said in one line, and the parameters are still returned; not when
         * the cancel cut a plateau check short: a resume would not run it again); {@code null} for none (the
         * default).
         */
        public Builder cancelToken(CancelToken token) {
            this.cancelToken = token;
            return this;
        }

        /** Adds a listener that receives every iteration record. */
        public Builder listener(NetworkListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener must not be null"));
            return this;
        }

        /**
         * Writes a {@link Checkpoint} (the parameters, the iteration, the state of the divergence test and of the
         * conserved quantities' reference, the configuration, the data's SHA-256) to {@code dir}, atomically
         * replacing the previous one, after every {@code everyIterations}-th iteration (if positive) and when
         * {@code every} has passed since the last one (if positive), and where a limit (iterations, time) or a cancel
         * stops the run; {@code dir} null writes none (the default). Listeners that are {@link Flushable} (the
         * JSON-lines log) are flushed first, so that what they wrote up to the checkpoint is on disk with it.
         * {@link NetworkTrainer#run} locks {@code dir} for the whole run, as {@code Factorizer} does.
         */
        public Builder checkpoint(Path dir, long everyIterations, Duration every) {
            this.checkpoints = dir == null ? null : new CheckpointPolicy(dir, everyIterations, every);
            return this;
        }

        /**
         * Continues the run saved in {@code checkpoint} instead of starting afresh: the initialiser is not used and
         * the final parameters are bit-for-bit those of an uninterrupted run with the same thread count.
         * {@link #build()} refuses a checkpoint of other data or another configuration (only the iteration limit
         * may differ).
         */
        public Builder resumeFrom(Checkpoint checkpoint) {
            this.resume = Objects.requireNonNull(checkpoint, "checkpoint must not be null");
            return this;
        }

        /**
         * Validates the data against the architecture and the initial parameters, and computes auto's σ.
         *
         * @throws IllegalArgumentException naming the problem: shapes, non-finite values, Y all zeros, or (auto) Y
         *         uncorrelated with X without biases
         */
        public NetworkTrainer build() {
            requireData(x, y, arch);
            Finite.require(x, "X");
            Finite.require(y, "Y");
            if (initializer instanceof NetworkInitializer.Given(Parameters p)) {
                if (p.architecture().depth() != arch.depth() || p.hasBiases() != biases) {
                    throw new IllegalArgumentException("the initial parameters belong to a different network");
                }
                for (int h = 1; h <= arch.depth(); h++) {
                    Layer l = arch.layer(h);
                    DenseMatrix w = p.weights(h);
                    if (w.rows() != l.outChannels() || w.cols() != l.fanIn()) {
                        throw new IllegalArgumentException("initial W" + h + " is " + w.rows() + " x " + w.cols()
                                + ", expected " + l.outChannels() + " x " + l.fanIn());
                    }
                    Finite.require(w, "initial W" + h);
                    if (biases) {
                        Finite.require(p.biases(h), "initial b" + h);
                    }
                }
            }
            Settings settings = new Settings(x, y, arch, biases, schedule, initializer, threads, seed, maxIterations,
                    tolerance, timeLimit, kernels, List.copyOf(listeners), checkpoints, resume, cancelToken);
            if (resume != null) {
                CheckpointReader.requireSameRun(resume, CHECKPOINT_KIND, MatrixDigest.of(x, y), settings.identity());
            }
            // here, not in run(): data that cannot be trained on are refused before anything is written
            double normX2 = requireSquaresInRange(x, "X", "the inputs");
            if (normX2 == 0.0 && !biases) {
                // with biases the fit is the targets' mean, a problem to solve (it was refused as "all zeros")
                throw new IllegalArgumentException("the inputs X are all zeros: without biases the network's output is "
                        + "0 whatever its weights (biases fit the targets' mean: Builder.biases(true); --bias on the "
                        + "command line)");
            }
            double normY2 = requireSquaresInRange(y, "Y", "the targets");
            if (normY2 == 0.0) {
                throw new IllegalArgumentException("the targets Y are all zeros: the zero network fits them exactly");
            }
            // a resumed run forms Q_h only where its checkpoint holds Q_h's reference (Loop's matrices0)
            Invariants.requireHeap(arch, h -> resume == null || CheckpointReader.has(resume, matrixInvariantBlock(h)),
                    biases, settings.effectiveTolerance() > 0);
            double sigma = !schedule.needsSpectralNorm() ? Double.NaN
                    : resume != null ? CheckpointReader.exact(resume, "sigma")
                    : NetworkScale.sigma(x, y, arch.depth(), biases, seed);
            return new NetworkTrainer(settings, sigma);
        }
    }

    /**
     * Refuses data the network {@code arch} cannot be trained on: closed, or of other shapes or dtypes (the trainer's
     * {@code build()} and {@link TrainingStep}'s constructor).
     */
    static void requireData(DenseMatrix x, DenseMatrix y, Architecture arch) {
        if (x.isClosed() || y.isClosed()) {
            throw new IllegalArgumentException("the data matrices are closed");
        }
        if (x.rows() != y.rows()) {
            throw new IllegalArgumentException("X has " + x.rows() + " samples (rows) but Y has " + y.rows());
        }
        if (x.dtype() != y.dtype()) {
            throw new IllegalArgumentException("X is " + x.dtype().label() + " but Y is " + y.dtype().label());
        }
        if (x.cols() != arch.inputFeatures()) {
            throw new IllegalArgumentException("X has " + x.cols() + " features per sample but the network "
                    + arch.describe() + " reads " + arch.inputFeatures());
        }
        if (y.cols() != arch.outputFeatures()) {
            throw new IllegalArgumentException("Y has " + y.cols() + " outputs per sample but the network "
                    + arch.describe() + " produces " + arch.outputFeatures());
        }
    }

    /**
     * ‖m‖²_F, refused when the squares of m's entries leave float64 (entries beyond about 1e154 or all below about
     * 1e-162): the schedule and the loss are made of them. Such data was refused in words that were false ("the inputs
     * X are all zeros") or that named no cause ("constant step must be finite and positive, got NaN").
     */
    private static double requireSquaresInRange(DenseMatrix m, String name, String what) {
        double squares = Invariants.squaredNorm(m);
        if (!Double.isFinite(squares)) {
            throw new IllegalArgumentException("the squares of " + what + " " + name + " overflow float64 (their sum "
                    + "is " + squares + "): scale " + name + " down by a constant");
        }
        if (squares == 0.0 && anyNonZero(m)) {
            throw new IllegalArgumentException(what + " " + name + " are not zero, but the squares of their entries "
                    + "underflow float64 (their sum rounds to 0): scale " + name + " up by a constant");
        }
        return squares;
    }

    /** Whether {@code m} has an entry other than ±0 (whose square may still underflow to 0). */
    static boolean anyNonZero(DenseMatrix m) {
        return IntStream.range(0, m.rows()).anyMatch(i -> IntStream.range(0, m.cols()).anyMatch(j -> m.get(i, j) != 0));
    }

    /**
     * Trains.
     *
     * @param moreListeners listeners for this run only, after those of the builder
     * @return the result, which owns the trained parameters
     * @throws NetworkDivergenceException if the run diverges (the parameters are freed)
     * @throws IllegalArgumentException if X or Y was closed, or given a NaN or an infinity, after {@code build()}, or
     *     if another run, in this process or another, is writing checkpoints to this run's
     *     {@linkplain Builder#checkpoint checkpoint directory} (locked for the whole run)
     */
    public NetworkResult run(NetworkListener... moreListeners) {
        CheckpointPolicy checkpoints = config.checkpoints();
        try (RunLock _ = checkpoints == null ? null : RunLock.forSolver(checkpoints.dir())) {
            return runLocked(moreListeners);
        }
    }

    private NetworkResult runLocked(NetworkListener... moreListeners) {
        Settings c = config;
        // a NaN or infinity written into X or Y after build(), which refused them, is named as build() names it: it
        // failed as a divergence at iteration 0 ("the loss is NaN ... try a smaller step")
        requireData(c.x(), c.y(), c.arch());
        Finite.require(c.x(), "X");
        Finite.require(c.y(), "Y");
        List<NetworkListener> all = new ArrayList<>(c.listeners());
        all.addAll(List.of(moreListeners));
        DType dtype = c.x().dtype();
        int n = c.x().rows();
        double tolerance = c.effectiveTolerance();
        double normY2 = Invariants.squaredNorm(c.y());
        Parameters params = new Parameters(c.arch(), dtype, c.biases());
        StepBackoff backoff = null;
        // the plateau check keeps the iterate here while its probe moves the parameters (no first-order test: none)
        Parameters probeScratch = null;
        boolean ok = false;
        try (TrainingStep step = new TrainingStep(c.x(), c.y(), params, c.kernels(), c.threads())) {
            Checkpoint resume = c.resume();
            StepSchedule schedule = c.schedule().needsSpectralNorm() ? c.schedule().resolve(sigma) : c.schedule();
            // auto chose the step, so auto answers for it: where the run would diverge, it backs off (StepBackoff)
            backoff = c.schedule() instanceof SpectralSchedule ? new StepBackoff(schedule.eta(0), params) : null;
            if (resume != null) {
                for (int h = 1; h <= c.arch().depth(); h++) {
                    CheckpointReader.restore(resume, weightsBlock(h), params.weights(h));
                    if (c.biases()) {
                        CheckpointReader.restore(resume, biasesBlock(h), params.biases(h));
                    }
                }
                if (backoff != null) {
                    backoff.restore(resume, c.arch().depth(), c.biases());
                }
            } else {
                c.initializer().initialize(params, c.seed());
            }
            EscapeProbe probe = null;
            if (tolerance > 0) {
                probeScratch = new Parameters(c.arch(), dtype, c.biases());
                // the levels are the start's: a resumed run reads them (older checkpoints: from the resumed iterate)
                double[] levels = resume != null && CheckpointReader.has(resume, PLATEAU_LEVELS)
                        ? CheckpointReader.doubles(resume, PLATEAU_LEVELS) : EscapeProbe.levels(params);
                probe = new EscapeProbe(c.arch(), c.biases(), levels, tolerance * normY2 / n, c.kernels());
                if (resume != null && CheckpointReader.has(resume, PLATEAU_LEVELS)) {
                    probe.restore(resume);
                }
            }
            Loop loop = new Loop(c, all, params, step, schedule, backoff, normY2 / n, tolerance, sigma, probe,
                    probeScratch);
            loop.iterate();
            double loss = step.loss();
            if (!Double.isFinite(loss)) {
                throw new NetworkDivergenceException(loop.iterations, "the final loss is " + loss, loop.last);
            }
            double[] sq = Invariants.layerSquaredNorms(params);
            NetworkResult result = new NetworkResult(params, loop.iterations, loop.stopReason, loss, sq,
                    Invariants.layerDifferences(params, sq), loop.unitChange(params), loop.seconds, sigma,
                    describe(c.schedule(), schedule, backoff), c.initializer().describe(), c.kernels().name(),
                    c.threads(), backoff == null ? List.of() : backoff.halvedAt(), loop.differences0, loop.startLoss);
            ok = true;
            return result;
        } finally {
            if (backoff != null) {
                backoff.close();
            }
            if (probeScratch != null) {
                probeScratch.close();
            }
            if (!ok) {
                params.close();
            }
        }
    }

    /** What ran: e.g. {@code constant:0.1}, or {@code auto:0.5 = constant:2.31} and where auto halved it. */
    private static String describe(StepSchedule asked, StepSchedule resolved, StepBackoff backoff) {
        if (asked == resolved) {
            return asked.describe();
        }
        String d = asked.describe() + " = " + resolved.describe();
        if (backoff != null && !backoff.halvedAt().isEmpty()) {
            d += ", halved at iteration" + (backoff.halvedAt().size() == 1 ? " " : "s ") + backoff.halvedAt()
                    + " to " + backoff.eta();
        }
        return d;
    }

    private static String weightsBlock(int h) {
        return "W" + h;
    }

    private static String biasesBlock(int h) {
        return "b" + h;
    }

    /** The payload name of the layer differences at the run's start, the baseline a resumed run reports against. */
    private static final String DIFFERENCES0 = "differences0";
    /** The header key of the loss at iteration 0, against which a resumed run says whether it learned anything. */
    private static final String START_LOSS = "start_loss";

    /** The payload name of Q_h at the start ({@link Invariants#matrixInvariant}), the reference of its drift. */
    private static String matrixInvariantBlock(int h) {
        return "Q0_" + h;
    }

    /** The payload name of the plateau check's levels ({@link EscapeProbe#save}). */
    static final String PLATEAU_LEVELS = "plateau_levels";
    /** The payload name of {@link Loop#onPlateau} in a checkpoint. */
    private static final String ON_PLATEAU = "on_plateau";

    /** The iteration loop and its state. */
    private static final class Loop {
        private final Settings c;
        private final List<NetworkListener> listeners;
        private final Parameters params;
        private final TrainingStep step;
        private final StepSchedule schedule;
        private final StepBackoff backoff;
        private final double meanSquaredY;
        private final double tolerance;
        private final double[] units0;
        /** The layer differences at the run's start; null for a resumed checkpoint written before they were kept. */
        final double[] differences0;
        /**
         * The loss at iteration 0 (a resumed run's from its checkpoint); NaN before that iteration, and for a resumed
         * checkpoint written before it was kept.
         */
        double startLoss;
        private final double[][] matrices0;
        private final double sigma;
        private final EscapeProbe probe;
        private final Parameters probeScratch;
        /** Whether the last iteration passed the first-order test on a plateau (the verdict at the limit). */
        private boolean onPlateau;
        private String inputHash;
        long iterations;
        StopReason stopReason = StopReason.MAX_ITERATIONS;
        NetworkRecord last;
        double seconds;

        Loop(Settings c, List<NetworkListener> listeners, Parameters params, TrainingStep step, StepSchedule schedule,
                StepBackoff backoff, double meanSquaredY, double tolerance, double sigma, EscapeProbe probe,
                Parameters probeScratch) {
            this.c = c;
            this.listeners = listeners;
            this.params = params;
            this.step = step;
            this.schedule = schedule;
            this.backoff = backoff;
            this.meanSquaredY = meanSquaredY;
            this.tolerance = tolerance;
            this.sigma = sigma;
            this.probe = probe;
            this.probeScratch = probeScratch;
            // the drifts are measured from the start's values: a resumed run takes them from its checkpoint
            Checkpoint resume = c.resume();
            this.units0 = resume == null ? Invariants.unitValues(params) : CheckpointReader.doubles(resume, "units0");
            // the differences' baseline too, so that a resumed run compares both with the same start
            this.differences0 = resume == null ? Invariants.layerDifferences(params,
                    Invariants.layerSquaredNorms(params)) : CheckpointReader.has(resume, DIFFERENCES0)
                    ? CheckpointReader.doubles(resume, DIFFERENCES0) : null;
            // and the start's loss, so that a resumed run says "learned nothing" where the whole run says it
            this.startLoss = resume == null ? Double.NaN : CheckpointReader.exactOr(resume, START_LOSS, Double.NaN);
            int pairs = c.arch().depth() - 1;
            this.matrices0 = new double[pairs][];
            for (int h = 1; h <= pairs; h++) {
                matrices0[h - 1] = resume == null ? Invariants.matrixInvariant(params, h)
                        : CheckpointReader.has(resume, matrixInvariantBlock(h))
                        ? CheckpointReader.doubles(resume, matrixInvariantBlock(h)) : null;
            }
        }

        double unitChange(Parameters p) {
            double[] u = Invariants.unitValues(p);
            double max = 0.0;
            for (int k = 0; k < u.length; k++) {
                max = Math.max(max, Math.abs(u[k] - units0[k]));
            }
            return max;
        }

        void iterate() {
            Checkpoint resume = c.resume();
            // a resumed run continues the clock and the divergence reference of the run it continues
            double secondsBefore = resume == null ? 0 : resume.seconds();
            long start = System.nanoTime();
            long lastCheckpoint = start;
            long savedAfter = -1;
            double referenceLoss = resume == null ? meanSquaredY / 2
                    : CheckpointReader.exact(resume, "reference_loss");
            onPlateau = resume != null && CheckpointReader.has(resume, ON_PLATEAU)
                    && CheckpointReader.doubles(resume, ON_PLATEAU)[0] != 0;
            int pairs = c.arch().depth() - 1;
            long first = resume == null ? 0 : resume.iteration();
            long deadline = IterationMonitor.Limits.deadline(start, c.timeLimit());
            iterations = first;
            seconds = secondsBefore;
            for (long t = first; t < c.maxIterations(); t++) {
                double loss = step.lossAndGradients();
                if (t == 0) {
                    referenceLoss = Math.max(referenceLoss, loss);
                    requireMovingStart(loss);
                }
                double gradientNorm = gradientNorm();
                String diverged = divergence(loss, gradientNorm, referenceLoss);
                if (diverged == null && backoff != null && loss > StepBackoff.LOSS_FACTOR * referenceLoss) {
                    diverged = String.format(Locale.ROOT,
                            "the loss rose to %.6g, over %.0f times its reference %.6g", loss,
                            StepBackoff.LOSS_FACTOR, referenceLoss);
                }
                if (diverged != null && backoff != null && backoff.hasKept()) {
                    // back to the best iterate, whose loss and gradients are recomputed (the same bits as then)
                    backoff.undo(params, t, diverged, last);
                    loss = step.lossAndGradients();
                    gradientNorm = gradientNorm();
                    diverged = null;
                }
                if (diverged != null) {
                    throw new NetworkDivergenceException(t, diverged, last);
                }
                if (backoff != null) {
                    backoff.keepIfBest(params, loss);
                }
                double[] sq = Invariants.layerSquaredNorms(params);
                double[] diffs = Invariants.layerDifferences(params, sq);
                double unit = unitChange(params);
                double[] matrix = new double[pairs];
                for (int h = 1; h <= pairs; h++) {
                    double[] q = matrices0[h - 1] == null ? null : Invariants.matrixInvariant(params, h);
                    matrix[h - 1] = q == null ? Double.NaN : SmallLinearAlgebra.distance(q, matrices0[h - 1]);
                }
                if (t == 0) {
                    startLoss = loss;
                }
                double eta = backoff == null ? schedule.eta(t) : backoff.eta();
                // the parameters before the step, at the iterations the stall test runs (as the factorisation's)
                String before = IterationMonitor.testsForStall(t) ? digest() : null;
                step.update(eta);
                long now = System.nanoTime();
                seconds = secondsBefore + (now - start) * 1e-9;
                NetworkRecord record = NetworkRecord.builder().iteration(t).eta(eta).loss(loss)
                        .layerSquaredNorms(sq).layerDifferences(diffs).maxUnitInvariantChange(unit)
                        .matrixInvariantChanges(matrix).gradientNorm(gradientNorm).seconds(seconds).build();
                for (NetworkListener listener : listeners) {
                    listener.onIteration(record);
                }
                last = record;
                iterations = t + 1;
                double paramNorm = 0.0;
                for (double s : sq) {
                    paramNorm += s;
                }
                // first order, then the plateau check (on the iterate after the step, as the factorisation's)
                boolean stationary = tolerance > 0 && gradientNorm * Math.sqrt(paramNorm) <= tolerance * meanSquaredY;
                // a step that changed no parameter changes none again while the step does not grow: the run ends
                // there, its plateau checked afresh (a start so small that the gradients round away sits at the zero
                // network, a saddle, however many iterations run)
                double next = backoff == null ? schedule.eta(t + 1) : backoff.eta();
                boolean stalled = before != null && next <= eta && before.equals(digest());
                boolean outOfTime = now >= deadline;
                if (stationary && probe.minimiser(t, params, step, probeScratch,
                        iterations == c.maxIterations() || stalled || outOfTime,
                        () -> IterationMonitor.cancellation(c.cancelToken()) != null)) {
                    stopReason = StopReason.CONVERGED;
                    return;
                }
                onPlateau = stationary;
                if (outOfTime && !(stationary && probe.cutShort())) {
                    // checkpointed where it stops, as a cancelled run is: a run in time slices (--max-seconds, then
                    // --resume) went on from its last checkpoint due, the same one each slice
                    if (c.checkpoints() != null && savedAfter != iterations) {
                        double reference = referenceLoss;
                        IterationMonitor.saveAtBest(iterations, savedAfter, () -> save(c.checkpoints(), reference));
                    }
                    stopReason = stationary ? StopReason.PLATEAU : StopReason.TIME_LIMIT;
                    return;
                }
                if (stalled && !(stationary && probe.cutShort())) {
                    stopReason = StopReason.STALLED;
                    return;
                }
                StopReason cancelled = IterationMonitor.cancellation(c.cancelToken());
                // a run that goes on is saved when due, and a cancelled one at the iterate it returns (a resume goes
                // on from there, and that save is at best): the continuation of either does exactly what this loop
                // does next — but not one whose plateau check the cancel cut short, which the continuation would not
                // make again
                CheckpointPolicy policy = c.checkpoints();
                if (cancelled == null && policy != null && policy.due(iterations, now - lastCheckpoint)) {
                    save(policy, referenceLoss);
                    savedAfter = iterations;
                    lastCheckpoint = System.nanoTime();
                }
                if (cancelled == null && policy != null && iterations == c.maxIterations()
                        && savedAfter != iterations) {
                    // a run that the iteration limit ends is extended by a resume with a larger one: from its end, as
                    // factorize's is, not from its last checkpoint due (none at all in a run shorter than the
                    // interval, whose directory was then removed)
                    double reference = referenceLoss;
                    IterationMonitor.saveAtBest(iterations, savedAfter, () -> save(policy, reference));
                }
                if (cancelled != null) {
                    if (policy != null && !(stationary && probe.cutShort())) {
                        double reference = referenceLoss;
                        IterationMonitor.saveAtBest(iterations, savedAfter, () -> save(policy, reference));
                    }
                    stopReason = cancelled;
                    return;
                }
            }
            seconds = secondsBefore + (System.nanoTime() - start) * 1e-9;
            if (onPlateau) {
                stopReason = StopReason.PLATEAU;
            }
        }

        /**
         * Refuses a small start whose every weight gradient is exactly 0: the layers' product (the start's scale to the
         * power depth) underflows the dtype, the features and the gradients are 0, and the plateau check, whose curves
         * scale the start by at most 2^60, sees a flat loss and took the zero network — a saddle point — for a
         * minimiser ("converged" after one iteration, 5 layers of 1e-100). Refuses too a start whose layers' squared
         * norms fall below float64's smallest normal number (weights below ~1e-154): the stop test and the balance are
         * made of them, and with them at 0 the zero network passed the stop test ("converged" after one iteration, 2
         * layers of 1e-310, whose gradients are not 0).
         */
        private void requireMovingStart(double loss) {
            if (!(c.initializer() instanceof NetworkInitializer.Small(double scale))) {
                // given weights (or Glorot's) whose every weight's gradient is exactly 0 — all-zero layers, every
                // unit of a layer inactive — at a positive loss, on inputs that are not all zeros: the activations
                // below the last layer do not depend on the sample, so no weight ever moves; the biases fit at most
                // the targets' mean. A saddle point the escape test cannot leave (it scales up what is there,
                // nothing): it stopped "converged" after one iteration, having learned nothing
                if (loss > 0 && !anyWeightGradient() && anyNonZero(c.x())) {
                    String start = c.initializer() instanceof NetworkInitializer.Given ? "the given weights"
                            : c.initializer().describe();
                    throw new IllegalArgumentException("the start (" + start + ") cannot move: every weight's "
                            + "gradient is exactly 0 there (all-zero layers, or a layer whose units are all inactive) "
                            + "while the loss is " + String.format(Locale.ROOT, "%.6g", loss) + ", a saddle point, "
                            + "not a solution" + (c.biases() ? " (the biases alone fit the targets' mean at most)" : "")
                            + ": give other starting weights, or the default start, small:"
                            + NetworkInitializer.DEFAULT_SMALL_SCALE + " (Builder.initializer left unset; --init left "
                            + "out on the command line)");
                }
                return;
            }
            double[] squares = Invariants.layerSquaredNorms(params);
            for (int h = 1; h <= squares.length; h++) {
                if (squares[h - 1] < Double.MIN_NORMAL) {
                    throw new IllegalArgumentException(String.format(Locale.ROOT, "the start small:%s is too small: "
                            + "the squared norm of layer %d's weights, %s, is below float64's smallest normal number "
                            + "(%s), and the stop test and the balance are made of such squares: give a scale above "
                            + "1e-150", scale, h, squares[h - 1], Double.MIN_NORMAL));
                }
            }
            if (anyGradient()) {
                return;
            }
            throw new IllegalArgumentException(String.format(Locale.ROOT, "the start small:%s is too small for %d "
                    + "layers: every weight's gradient is exactly 0 in %s (the layers' product, of order %s^%d, "
                    + "underflows), and the zero network is a saddle point, not a solution: give a larger scale",
                    scale, c.arch().depth(), params.dtype().label(), scale, c.arch().depth()));
        }

        /**
         * Whether any weight's gradient, or with biases any bias's, is not 0 — the biases' too: on all-zero inputs
         * every weight's gradient is 0 at a small start, the last bias's not.
         */
        private boolean anyGradient() {
            for (int h = 1; h <= c.arch().depth(); h++) {
                if (c.biases() && anyNonZero(step.gradients().biases(h))) {
                    return true;
                }
            }
            return anyWeightGradient();
        }

        /** Whether any weight's gradient is not 0. */
        private boolean anyWeightGradient() {
            for (int h = 1; h <= c.arch().depth(); h++) {
                if (anyNonZero(step.gradients().weights(h))) {
                    return true;
                }
            }
            return false;
        }

        /** SHA-256 of every weight and bias, for the stall test. */
        private String digest() {
            List<DenseMatrix> all = new ArrayList<>();
            for (int h = 1; h <= c.arch().depth(); h++) {
                all.add(params.weights(h));
                if (c.biases()) {
                    all.add(params.biases(h));
                }
            }
            return MatrixDigest.of(all.toArray(DenseMatrix[]::new));
        }

        /** ‖∇L‖ over all parameters, from the last {@link TrainingStep#lossAndGradients()}. */
        private double gradientNorm() {
            double gradSq = 0.0;
            for (double g : Invariants.layerSquaredNorms(step.gradients())) {
                gradSq += g;
            }
            return Math.sqrt(gradSq);
        }

        /** How an iterate with this loss and gradient norm diverged, or null if it did not. */
        private static String divergence(double loss, double gradientNorm, double referenceLoss) {
            if (!Double.isFinite(loss)) {
                return "the loss is " + loss;
            }
            if (loss > RUNAWAY_FACTOR * referenceLoss) {
                return String.format(Locale.ROOT, "the loss grew to %.6g, over %.0g times its reference %.6g", loss,
                        RUNAWAY_FACTOR, referenceLoss);
            }
            if (!Double.isFinite(gradientNorm)) {
                return "the gradient norm is " + gradientNorm;
            }
            return null;
        }

        /** Writes the state after {@link #iterations} iterations, after flushing the listeners (the log). */
        private void save(CheckpointPolicy policy, double referenceLoss) {
            CheckpointSave.after(listeners, iterations, policy.dir(), () -> write(policy, referenceLoss));
        }

        /** Writes the checkpoint; {@link NetworkTrainer#checkpointBytes} counts what it holds: keep the two in step. */
        private void write(CheckpointPolicy policy, double referenceLoss) throws IOException {
            String inputHash = c.resume() != null ? c.resume().inputHash() : hash();
            CheckpointWriter w = CheckpointWriter.start(CHECKPOINT_KIND, iterations, seconds, inputHash, c.identity(),
                    policy.everyIterations(), policy.seconds())
                    .exact("sigma", sigma).exact("reference_loss", referenceLoss).doubles("units0", units0);
            if (differences0 != null) {
                w.doubles(DIFFERENCES0, differences0);
            }
            if (!Double.isNaN(startLoss)) {
                w.exact(START_LOSS, startLoss);
            }
            for (int h = 1; h <= c.arch().depth(); h++) {
                w.matrix(weightsBlock(h), params.weights(h));
                if (c.biases()) {
                    w.matrix(biasesBlock(h), params.biases(h));
                }
                if (h < c.arch().depth() && matrices0[h - 1] != null) {
                    w.doubles(matrixInvariantBlock(h), matrices0[h - 1]);
                }
            }
            if (backoff != null) {
                backoff.save(w, c.arch().depth(), c.biases());
            }
            if (probe != null) {
                probe.save(w);
                w.doubles(ON_PLATEAU, new double[] {onPlateau ? 1 : 0});
            }
            w.writeTo(policy.dir());
        }

        /** The data's SHA-256, computed once (at the first checkpoint). */
        private String hash() {
            if (inputHash == null) {
                inputHash = MatrixDigest.of(c.x(), c.y());
            }
            return inputHash;
        }
    }
}
