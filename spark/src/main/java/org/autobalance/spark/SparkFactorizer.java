package org.autobalance.spark;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.DoubleSupplier;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import org.autobalance.io.internal.RunLock;
import org.autobalance.kernel.FactorKernels;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.observe.IterationListener;
import org.autobalance.observe.IterationRecord;
import org.autobalance.schedule.SpectralSchedule;
import org.autobalance.schedule.StepSchedule;
import org.autobalance.solve.CancelToken;
import org.autobalance.solve.Checkpoint;
import org.autobalance.solve.DivergenceException;
import org.autobalance.solve.Factorizer;
import org.autobalance.solve.Initializer;
import org.autobalance.solve.StopReason;
import org.autobalance.solve.Variant;
import org.autobalance.solve.internal.CheckpointReader;
import org.autobalance.solve.internal.Initialization;
import org.autobalance.solve.internal.IterationMonitor;
import org.autobalance.solve.internal.MatrixDigest;
import org.autobalance.solve.internal.StepCoefficients;

/**
 * The solver's gradient descent over a row-partitioned M on Apache Spark: the iteration of {@link Factorizer}, with
 * each partition's rows of M cached off-heap on an executor and the core kernels doing the work inside the tasks.
 *
 * <p>Per iteration t, one Spark job: V_t, the step η_t and the coefficient matrix A_U are broadcast; each task makes
 * the fused pass over its rows (MV_t stays in the task), steps its rows of U to a <em>new</em> block U_{t+1} (the
 * cached U_t is never modified, so a retried task computes the same bits), and returns its partial MᵀU_t (d2 × r),
 * ⟨U_t, MV_t⟩, its share of ‖∇_U‖² and UᵀU of its new rows. The driver adds the partials in partition order (so a run
 * is bit-for-bit reproducible for a fixed partitioning and {@link Builder#taskThreads task threads}), steps V and
 * records the iteration. Only d2 × r + O(r²) numbers per partition travel to the driver, and V (d2 × r) back; a task
 * may split its block among several threads, so fewer, fatter partitions send fewer partials.
 *
 * <p>Variants: simultaneous and regularised GD have this shape exactly (their coefficients come from the Grams of
 * (U_t, V_t), all known on the driver before the job); alternating GD makes its second pass at (U_{t+1}, V_t) inside
 * the same task, as the engine does, so it is also one job per iteration.
 *
 * <p>Lineage: each U_t is an RDD derived from U_{t−1}; every {@code lineageEvery} iterations it is checkpointed
 * (reliably when the context has a checkpoint directory, otherwise locally), which cuts the lineage and releases the
 * broadcasts of older iterations. M's blocks and every cached U are unpersisted when the run ends or fails, which frees
 * the executors' native memory. With a checkpoint directory (the caller's {@code setCheckpointDir}), the run also
 * deletes its cuts' files there, the {@code rdd-N} folders of its iterates: a cut's once the next cut is written, the
 * last cut's when the run fails or its {@link SparkResult} is closed. A cut whose writing fails leaves its folder.
 *
 * <pre>{@code
 * try (JavaSparkContext sc = new JavaSparkContext(new SparkConf().setMaster("local[2]").setAppName("factorize"))) {
 *     MatrixSource source = MatrixSource.open(sc, Path.of("M.npy"), 2);
 *     try (SparkResult r = SparkFactorizer.builder(5).build().run(sc, source, DType.FLOAT64);
 *             DenseMatrix u = r.collectU()) {
 *         System.out.println(r.stopReason() + " " + r.relativeError() + " " + r.summary().get("balance"));
 *     }
 * }
 * }</pre>
 * The driver and the executors need {@code --add-modules jdk.incubator.vector} for the SIMD kernels (README, "On Apache
 * Spark").
 */
public final class SparkFactorizer {
    /** Cut the lineage (Spark's checkpoint of the iterate's RDD) every this many iterations unless told otherwise. */
    public static final int DEFAULT_LINEAGE_EVERY = 50;

    private final Settings config;

    private record Settings(int rank, StepSchedule schedule, Initializer initializer, Variant variant, long seed,
            long maxIterations, double tolerance, Duration timeLimit, int lineageEvery, int driverThreads,
            int taskThreads, long failIteration, int failPartition, DriverCosts costs,
            List<IterationListener> listeners, CancelToken cancelToken, IterationMonitor.CheckpointPolicy checkpoint,
            Checkpoint resume) {
    }

    private SparkFactorizer(Settings config) {
        this.config = config;
    }

    /** A builder for factorising at rank {@code rank}. */
    public static Builder builder(int rank) {
        return new Builder(rank);
    }

    /** Settings of a run; defaults as for {@link Factorizer.Builder}. */
    public static final class Builder {
        private final int rank;
        private StepSchedule schedule = new SpectralSchedule(SpectralSchedule.DEFAULT_C);
        private Initializer initializer = Initializer.small();
        private Variant variant = Variant.SIMULTANEOUS;
        private long seed = 42;
        private long maxIterations = 10_000;
        private double tolerance = Double.NaN;
        private Duration timeLimit;
        private int lineageEvery = DEFAULT_LINEAGE_EVERY;
        private IterationMonitor.CheckpointPolicy checkpoint;
        private Checkpoint resume;
        private int driverThreads = Runtime.getRuntime().availableProcessors();
        /** 0: the context's {@code spark.task.cpus}. */
        private int taskThreads;
        private long failIteration = -1;
        private int failPartition = -1;
        private DriverCosts costs;
        private final List<IterationListener> listeners = new ArrayList<>();
        private CancelToken cancelToken;

        private Builder(int rank) {
            if (rank < 1) {
                throw new IllegalArgumentException("rank must be at least 1, got " + rank);
            }
            this.rank = rank;
        }

        /** The step schedule; default {@code auto:0.5} (η = 0.5/σ₁(M), σ₁ by Spark passes). */
        public Builder schedule(StepSchedule schedule) {
            this.schedule = Objects.requireNonNull(schedule, "schedule must not be null");
            return this;
        }

        /** The initial factors; default {@link Initializer#small()}. */
        public Builder initializer(Initializer initializer) {
            this.initializer = Objects.requireNonNull(initializer, "initializer must not be null");
            return this;
        }

        /** The update rule; default {@link Variant#SIMULTANEOUS}. */
        public Builder variant(Variant variant) {
            this.variant = Objects.requireNonNull(variant, "variant must not be null");
            return this;
        }

        /** The seed of the random initial factors; default 42. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** The most iterations (stop reason {@code MAX_ITERATIONS}); default 10 000. */
        public Builder maxIterations(long maxIterations) {
            this.maxIterations = IterationMonitor.Limits.requireMaxIterations(maxIterations);
            return this;
        }

        /**
         * As {@link Factorizer.Builder#tolerance}; 0 runs {@code maxIterations} iterations unless a step leaves U and V
         * unchanged ({@link StopReason#STALLED}, tested at the engine's iterations).
         */
        public Builder tolerance(double tolerance) {
            this.tolerance = IterationMonitor.Limits.requireTolerance(tolerance);
            return this;
        }

        /** As {@link Factorizer.Builder#timeLimit}: stop reason {@code TIME_LIMIT}; default none. */
        public Builder timeLimit(Duration timeLimit) {
            this.timeLimit = IterationMonitor.Limits.requireTimeLimit(timeLimit);
            return this;
        }

        /**
         * Cut the lineage every {@code k} iterations (k ≥ 1; default {@value #DEFAULT_LINEAGE_EVERY}): Spark's own
         * checkpoint of the iterate's RDD, into the context's checkpoint directory if it has one. Independent of
         * {@link #checkpoint}, which saves the run for a resume.
         */
        public Builder lineageEvery(int k) {
            if (k < 1) {
                throw new IllegalArgumentException("lineage interval must be at least 1, got " + k);
            }
            this.lineageEvery = k;
            return this;
        }

        /**
         * As {@link Factorizer.Builder#checkpoint}: a {@link Checkpoint} of the run (U collected to the driver, V, the
         * loop's state) written to {@code dir} after every {@code everyIterations}-th iteration and whenever
         * {@code every} has passed; {@code dir} null for none (the default). {@link SparkFactorizer#run} locks
         * {@code dir} for the whole run, as {@code Factorizer} does.
         */
        public Builder checkpoint(Path dir, long everyIterations, Duration every) {
            this.checkpoint = dir == null ? null : new IterationMonitor.CheckpointPolicy(dir, everyIterations, every);
            return this;
        }

        /**
         * Continues the run saved in {@code checkpoint} (by a Spark run with the same input, partitioning and
         * configuration, which {@link #run} checks): the final factors are those of the uninterrupted run, bit for bit.
         */
        public Builder resumeFrom(Checkpoint checkpoint) {
            this.resume = Objects.requireNonNull(checkpoint, "checkpoint must not be null");
            return this;
        }

        /**
         * Threads of the driver's share (V's step and Gram, O(d2·r²)); default the driver's processors. With as many
         * threads as partitions, the driver's sums have the engine's chunking.
         */
        public Builder driverThreads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("driver threads must be at least 1, got " + threads);
            }
            this.driverThreads = threads;
            return this;
        }

        /**
         * Threads of each task: it splits its partition's rows into T chunks as the engine splits M's rows among T
         * threads, on a worker team kept with the partition's cached block. Default: the context's
         * {@code spark.task.cpus} (1 unless configured), the cores Spark reserves for each task, so the threads
         * never outnumber the cores Spark hands out. Fewer, fatter partitions with more threads each send fewer
         * partials to the driver (P·d2·r numbers per iteration). For a fixed partitioning and T the run is
         * reproducible bit for bit; with one partition its factors are the engine's with T threads (and as many
         * driver threads), with T = 1 and P partitions those of the engine with P threads.
         */
        public Builder taskThreads(int threads) {
            this.taskThreads = requireTaskThreads(threads);
            return this;
        }

        /** Test hook: the first attempt of {@code partition}'s task at {@code iteration} throws (Spark retries it). */
        Builder failOnce(long iteration, int partition) {
            this.failIteration = iteration;
            this.failPartition = partition;
            return this;
        }

        /** Measurement hook: accumulate the driver's costs per iteration into {@code costs}. */
        Builder costs(DriverCosts costs) {
            this.costs = costs;
            return this;
        }

        /**
         * As {@link Factorizer.Builder#cancelToken}: when cancelled the run ends after its current iteration (stop
         * reason {@code cancelled}) with the factors it reached, checkpointed too where a checkpoint directory is set.
         * {@code null} (the default) for none.
         */
        public Builder cancelToken(CancelToken token) {
            this.cancelToken = token;
            return this;
        }

        /** Adds a listener: every {@link IterationRecord}, on the driver's thread in {@link SparkFactorizer#run}. */
        public Builder listener(IterationListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener must not be null"));
            return this;
        }

        /** The solver with these settings (changing the builder afterwards does not affect it). */
        public SparkFactorizer build() {
            return new SparkFactorizer(new Settings(rank, schedule, initializer, variant, seed, maxIterations,
                    tolerance, timeLimit, lineageEvery, driverThreads, taskThreads, failIteration, failPartition, costs,
                    List.copyOf(listeners), cancelToken, checkpoint, resume));
        }
    }

    /**
     * Runs gradient descent on the matrix of {@code source} in precision {@code dtype}.
     *
     * <p>Cancelling: a cancelled {@linkplain Builder#cancelToken token}, or an interrupt of the calling thread
     * ({@link Thread#interrupt()}) before the run or during an iteration's step on the driver (a listener's), ends
     * the run after its iteration with stop reason {@link StopReason#CANCELLED} or {@link StopReason#INTERRUPTED}
     * and the factors reached, as {@link Factorizer#run} does (the interrupt status stays set). An interrupt that
     * arrives while the driver waits for a Spark job makes Spark abort the job and throw its
     * {@code InterruptedException} (undeclared, through Scala): from another thread, cancel a token.
     *
     * @param moreListeners listeners for this run only, after those of the builder
     * @return the result: V and the metrics on the driver, U as cached blocks (close it to release them)
     * @throws DivergenceException if the run diverges (everything is released)
     * @throws IllegalArgumentException for an impossible rank, a zero M, or invalid supplied factors; or if another
     *     run, in this process or another, is writing checkpoints to this run's checkpoint directory (locked on the
     *     driver for the whole run)
     */
    public SparkResult run(JavaSparkContext sc, MatrixSource source, DType dtype, IterationListener... moreListeners) {
        IterationMonitor.CheckpointPolicy checkpoints = config.checkpoint();
        try (RunLock _ = checkpoints == null ? null : RunLock.forSolver(checkpoints.dir())) {
            return runLocked(sc, source, dtype, moreListeners);
        }
    }

    private SparkResult runLocked(JavaSparkContext sc, MatrixSource source, DType dtype,
            IterationListener... moreListeners) {
        Settings c = config;
        int r = c.rank();
        long d1 = source.rows();
        int d2 = source.cols();
        IterationMonitor.Limits.requireRank(r, d1, d2);
        if (c.initializer() instanceof Initializer.Given given) {
            Initialization.requireFits(given, dtype, d1, d2, r);
        }
        List<IterationListener> listeners = new ArrayList<>(c.listeners());
        listeners.addAll(List.of(moreListeners));
        double tolerance = IterationMonitor.Limits.effectiveTolerance(c.tolerance(), dtype);
        FactorKernels kernels = EngineAdapter.kernels();
        int threads = c.taskThreads() > 0 ? c.taskThreads() : taskCpus(sc);
        // Spark's wait for a job ends in an InterruptedException when the thread's interrupt status is set, so the
        // status is kept here and the jobs run without it: an interrupt before the run, or during an iteration's
        // driver step (a listener's), stops the run as on the engine, and the run's last jobs (the final residual)
        // still run; it is set again for the caller at the end, also when the input's blocks or V fail
        boolean interrupted = Thread.interrupted();
        Lineage<FactorBlock> lineage = new Lineage<>(sc, c.lineageEvery());
        JavaRDD<MatrixBlock> m = null;
        DenseMatrix v;
        try {
            m = source.blocks(sc, dtype).persist(StorageLevel.MEMORY_ONLY());
            v = DenseMatrix.allocate(dtype, d2, r);
        } catch (RuntimeException | Error e) {
            if (m != null) {
                m.unpersist(false); // V refused (too large for the machine): M was marked for caching
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            throw e;
        }
        boolean ok = false;
        try (EngineAdapter.Team driver = new EngineAdapter.Team(c.driverThreads());
                DenseMatrix mtu = DenseMatrix.allocate(dtype, d2, r)) {
            double normMSquared = sumInOrder(m.map(b -> b.withTeam(threads, team -> team.dot(b.rows(), b.rows())))
                    .collect());
            IterationMonitor.requireNonZero(normMSquared, r, null); // telling zeros from underflow would cost a job
            IterationMonitor.checkScaleBounds(Math.sqrt(normMSquared), d1, d2, dtype);
            Checkpoint resume = c.resume();
            Map<String, Object> identity = identity(c, dtype, d1, d2, m.getNumPartitions(), threads,
                    tolerance, kernels);
            String inputHash = c.checkpoint() == null && resume == null ? null : inputHash(m);
            if (resume != null) {
                requireSameRun(resume, dtype, d1, d2, r, inputHash, identity, threads);
            }
            // σ₁ and the plateau test's σ₁(M − UVᵀ) by core's power iterations, on Spark passes
            SparkPasses passes = new SparkPasses(sc, m, dtype, d1, d2, driver, threads);
            double[] sigma1 = {resume == null ? Double.NaN : resume.sigma1()};
            DoubleSupplier sigma1Supplier = () -> {
                if (Double.isNaN(sigma1[0])) {
                    // the engine's pass budget and stop rule: each pass is a job here
                    sigma1[0] = passes.spectralNorm(c.schedule(), c.initializer(), c.variant(), r,
                            Math.sqrt(normMSquared), c.seed(),
                            () -> IterationMonitor.cancellation(c.cancelToken()) != null,
                            listeners);
                    IterationMonitor.checkScale(sigma1[0], Math.sqrt(normMSquared), dtype);
                }
                return sigma1[0];
            };
            StepSchedule schedule = c.schedule().needsSpectralNorm()
                    ? c.schedule().resolve(sigma1Supplier.getAsDouble() * c.variant().curvatureScale(), r)
                    : c.schedule();
            JavaRDD<FactorBlock> state = initialState(sc, m, c, threads, v, d1, sigma1Supplier, schedule,
                    lineage);
            passes.factors(state, v);
            double[] gramU = sumArraysInOrder(state.map(b -> b.partials().gramU()).collect());
            lineage.advance(state);
            double[] gramV = new double[r * r];
            driver.gram(v, gramV);

            IterationMonitor monitor = new IterationMonitor(new IterationMonitor.Limits(c.maxIterations(), tolerance,
                    c.timeLimit(), record -> false, c.cancelToken()), listeners, r, normMSquared, passes, c.seed(),
                    resume);
            if (c.checkpoint() != null) {
                // U is collected only when a checkpoint is due; the resumed run keeps the hash it was checked against
                monitor.checkpointing(c.checkpoint(), inputHash,
                        identity, () -> sigma1[0], writer -> {
                            try (DenseMatrix u = passes.collectU()) {
                                writer.write(u, v);
                            }
                        });
            }
            double[] aU = new double[r * r];
            double[] aV = new double[r * r];
            DriverCosts costs = c.costs() == null ? new DriverCosts() : c.costs();
            // cancelled during the set-up (σ₁, the start): no iteration, as the engine's run
            interrupted |= Thread.interrupted();
            StopReason early = interrupted ? StopReason.INTERRUPTED : IterationMonitor.cancellation(c.cancelToken());
            boolean stopped = early != null;
            if (stopped) {
                monitor.stoppedBefore(early);
            }
            for (long t = monitor.first(); t < c.maxIterations() && !stopped; t++) {
                // V before the step, at the iterations the stall test runs (the tasks compare their rows of U)
                byte[] vBefore = IterationMonitor.testsForStall(t) ? EngineAdapter.toBytes(v) : null;
                long t0 = System.nanoTime();
                double eta = schedule.eta(t);
                StepCoefficients.of(c.variant(), gramU, gramV, aU, aV);
                Broadcast<IterationTask.Step> step = sc.broadcast(new IterationTask.Step(t, dtype, d2, r,
                        EngineAdapter.toBytes(v), aU.clone(), eta, c.variant().alternating(), threads,
                        t == c.failIteration() ? c.failPartition() : -1));
                lineage.keep(step);
                JavaRDD<FactorBlock> next = state.zipPartitions(m, new IterationTask(step))
                        .persist(StorageLevel.MEMORY_ONLY());
                lineage.checkpointIfDue(next, t + 1);
                long t1 = System.nanoTime();
                List<Partials> parts = next.map(FactorBlock::partials).collect();
                lineage.advance(next);
                state = next;
                long t2 = System.nanoTime();

                double dot = 0.0;
                double gradientSquared = 0.0;
                EngineAdapter.copyInto(parts.get(0).mtu(), mtu);
                for (int p = 0; p < parts.size(); p++) {
                    dot += parts.get(p).dot();
                    gradientSquared += parts.get(p).gradientSquared();
                    if (p > 0) {
                        EngineAdapter.add(mtu, parts.get(p).mtu());
                    }
                }
                double[] gramUNext = sumArraysInOrder(parts.stream().map(Partials::gramU).toList());
                double loss = monitor.identityLoss(dot, gramU, gramV);
                monitor.observe(t, loss, gramU, gramV);
                long t3 = System.nanoTime();
                if (c.variant().alternating()) {
                    // V's step sees the new U: its coefficients from UᵀU at U_{t+1}, MᵀU_{t+1} from the second pass
                    StepCoefficients.of(c.variant(), gramUNext, gramV, aU, aV);
                }
                gradientSquared += driver.gradientStep(v, mtu, aV, eta);
                gramU = gramUNext;
                driver.gram(v, gramV);
                long now = System.nanoTime();
                costs.iterations++;
                costs.broadcastNanos += t1 - t0;
                costs.jobNanos += t2 - t1;
                costs.reduceNanos += t3 - t2;
                costs.driverStepNanos += now - t3;
                // the plateau test looks at the new iterate, as the engine's does
                passes.factors(state, v);
                stopped = monitor.finish(t, eta, loss, false, gradientSquared, Double.NaN, schedule,
                        () -> parts.stream().allMatch(Partials::unchanged) && EngineAdapter.sameValues(vBefore, v));
            }
            if (!stopped) {
                monitor.exhausted();
            }
            interrupted |= Thread.interrupted();

            Broadcast<byte[]> finalV = sc.broadcast(EngineAdapter.toBytes(v));
            lineage.keep(finalV);
            double residual = sumInOrder(state.zipPartitions(m, new ResidualTask(finalV, dtype, d2, r, threads))
                    .collect());
            SparkResult result = new SparkResult(lineage, state, v, d1, monitor.summary(residual, true, gramU, gramV,
                    sigma1[0], schedule.describe(), c.variant().describe(), c.initializer().describe(),
                    kernels.name()), m.getNumPartitions(), threads, c.driverThreads());
            ok = true;
            return result;
        } finally {
            m.unpersist(false);
            if (!ok) {
                lineage.close();
                v.close();
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * U₀ by the core initialiser on the driver (so the start is the engine's, bit for bit), or the factors of the
     * checkpoint resumed, then cut into the partitions' blocks; V₀ is written into {@code v}. Each block reports UᵀU
     * of its rows.
     */
    private static JavaRDD<FactorBlock> initialState(JavaSparkContext sc, JavaRDD<MatrixBlock> m, Settings c,
            int threads, DenseMatrix v, long d1, DoubleSupplier sigma1, StepSchedule schedule,
            Lineage<FactorBlock> lineage) {
        DType dtype = v.dtype();
        int r = c.rank();
        byte[] u0Bytes;
        List<DenseMatrix> scratch = new ArrayList<>();
        try (DenseMatrix u0 = DenseMatrix.allocate(dtype, Math.toIntExact(d1), r)) {
            if (c.resume() != null) {
                c.resume().restore(u0, v);
            } else {
                Initialization.initialize(c.initializer(), u0, v, new Initialization.Setup(c.seed(), sigma1,
                        schedule.eta(0), () -> {
                            DenseMatrix mv = MatrixProducts.times(sc, m, v, d1, threads);
                            scratch.add(mv);
                            return mv;
                        }));
            }
            u0Bytes = EngineAdapter.toBytes(u0);
        } finally {
            scratch.forEach(DenseMatrix::close);
        }
        Broadcast<byte[]> u0 = sc.broadcast(u0Bytes);
        lineage.keep(u0);
        JavaRDD<FactorBlock> state = m.map(b -> {
            try (DenseMatrix u = EngineAdapter.rowsFromBytes(u0.value(), dtype, b.firstRow(), b.rows().rows(), r)) {
                double[] gram = new double[r * r];
                b.withTeam(threads, team -> {
                    team.gram(u, gram);
                    return null;
                });
                return FactorBlock.of(b.partition(), u, new Partials(null, gram, 0.0, 0.0, false));
            }
        }).persist(StorageLevel.MEMORY_ONLY());
        lineage.checkpointIfDue(state, 0);
        return state;
    }

    /**
     * What changes the iterates, as compared on resume (keys as in the summary): the engine's list, with the
     * partitions, the tasks' threads and the driver's threads in place of the engine's threads.
     */
    private static Map<String, Object> identity(Settings c, DType dtype, long d1, int d2, int partitions,
            int taskThreads, double tolerance, FactorKernels kernels) {
        Map<String, Object> id = new LinkedHashMap<>();
        id.put("rows", d1);
        id.put("cols", (long) d2);
        id.put("rank", (long) c.rank());
        id.put("dtype", dtype.label());
        id.put("engine", "spark");
        id.put("partitions", (long) partitions);
        id.put("task_threads", (long) taskThreads);
        id.put("driver_threads", (long) c.driverThreads());
        id.put("schedule", c.schedule().describe());
        id.put("variant", c.variant().describe());
        id.put("init", c.initializer().describe());
        id.put("seed", c.seed());
        id.put("tolerance", tolerance);
        id.put("kernels", kernels.name());
        return id;
    }

    /**
     * Refuses to resume {@code resume} unless it was written by this run's configuration ({@link
     * CheckpointReader#requireSameRun(Checkpoint, DType, int, int, int, String, Map)}). A checkpoint written before
     * tasks had threads (before {@code --task-threads}, 30 Nov 2026) has no {@code task_threads}: its tasks ran one
     * thread each, which is what {@code task_threads 1} computes bit for bit (the engine's kernels over the whole
     * block, then as now), so it resumes with one task thread — the default unless {@code spark.task.cpus} says
     * otherwise — and is refused with any other.
     */
    private static void requireSameRun(Checkpoint resume, DType dtype, long d1, int d2, int r, String inputHash,
            Map<String, Object> identity, int taskThreads) {
        if (resume.configuration().containsKey("task_threads")) {
            CheckpointReader.requireSameRun(resume, dtype, Math.toIntExact(d1), d2, r, inputHash,
                    identity);
            return;
        }
        Map<String, Object> before = new LinkedHashMap<>(identity);
        before.remove("task_threads");
        CheckpointReader.requireSameRun(resume, dtype, Math.toIntExact(d1), d2, r, inputHash, before);
        if (taskThreads != 1) {
            throw new IllegalArgumentException("the checkpoint was written before --task-threads existed (its tasks "
                    + "ran one thread each), this run has task_threads " + taskThreads
                    + ": resume it with --task-threads 1");
        }
    }

    /**
     * M's identity for a checkpoint: the SHA-256 (hex) of the lines "hash of partition p" for p = 0, 1, …, each the
     * SHA-256 of the partition's rows as core hashes a matrix ({@link MatrixDigest}), computed by the executors.
     * It depends on the partitioning too, which a bit-for-bit resume needs unchanged anyway.
     */
    private static String inputHash(JavaRDD<MatrixBlock> m) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String part : m.map(b -> MatrixDigest.of(b.rows())).collect()) {
                sha.update((part + "\n").getBytes(StandardCharsets.US_ASCII));
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** The context's {@code spark.task.cpus}: the cores Spark reserves for each task (Spark's default is 1). */
    static int taskCpus(JavaSparkContext sc) {
        return requireTaskThreads(sc.getConf().getInt("spark.task.cpus", 1));
    }

    private static int requireTaskThreads(int threads) {
        if (threads < 1 || threads > EngineAdapter.MAX_THREADS) {
            throw new IllegalArgumentException("task threads must be between 1 and " + EngineAdapter.MAX_THREADS
                    + ", got " + threads);
        }
        return threads;
    }

    /** Σ values in list (partition) order, as the engine's parallel pass adds its chunks. */
    static double sumInOrder(List<Double> values) {
        double s = 0.0;
        for (double x : values) {
            s += x;
        }
        return s;
    }

    /** The arrays (of one length) added in list order: a copy of the first, then each next one added. */
    static double[] sumArraysInOrder(List<double[]> arrays) {
        double[] out = arrays.get(0).clone();
        for (int p = 1; p < arrays.size(); p++) {
            double[] x = arrays.get(p);
            for (int k = 0; k < out.length; k++) {
                out[k] += x[k];
            }
        }
        return out;
    }
}
