package org.autobalance.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.ExceptionFailure;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.autobalance.io.MatrixMarket;
import org.autobalance.io.Npy;
import org.autobalance.io.internal.RunLock;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.NativeMemory;
import org.autobalance.observe.IterationListener;
import org.autobalance.observe.IterationRecord;
import org.autobalance.schedule.ConstantSchedule;
import org.autobalance.solve.CancelToken;
import org.autobalance.solve.Checkpoint;
import org.autobalance.solve.DivergenceException;
import org.autobalance.solve.Factorizer;
import org.autobalance.solve.Initializer;
import org.autobalance.solve.Result;
import org.autobalance.solve.StopReason;
import org.autobalance.solve.Variant;
import org.autobalance.solve.internal.SmallLinearAlgebra;
import org.autobalance.synthetic.KnownMatrices;
import org.autobalance.testing.Dense;
import org.autobalance.testing.OldCheckpoints;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The Spark iteration against the single-machine engine, on a shared {@code local[2]} Spark. */
@Tag("spark")
class SparkFactorizerTest {
    static final int D1 = 150;
    static final int D2 = 97;
    static final int RANK = 4;
    static final int ITERATIONS = 100;
    /** Checkpoint interval of the runs: 100 iterations cross three lineage cuts. */
    static final int CHECKPOINT_EVERY = 30;
    static final double SIGMA1 = 10;
    /** η = 0.5/σ₁: below 1/σ₁, where gradient descent near a balanced optimum is non-expansive. */
    static final double ETA = 0.5 / SIGMA1;

    @TempDir
    static Path dir;
    static Path input;
    static double[][] mValues;
    /** A start near the optimum: the engine's factors after 300 iterations from a small random start. */
    static double[][] uStart;
    static double[][] vStart;
    private static double[][][] threePartitions;

    @BeforeAll
    static void problem() throws IOException {
        double[][] low = KnownMatrices.withSpectrum(D1, D2, new double[] {SIGMA1, 7, 5, 3}, 11);
        mValues = Dense.addScaled(low, 0.05, KnownMatrices.gaussian(D1, D2, 1.0, 12));
        input = dir.resolve("M.mtx");
        try (DenseMatrix m = Dense.matrix(DType.FLOAT64, mValues)) {
            MatrixMarket.write(input, m, "test problem");
        }
        try (DenseMatrix m = MatrixMarket.read(input, DType.FLOAT64);
                Result r = Factorizer.builder(m, RANK).initializer(Initializer.small(0.1))
                        .schedule(new ConstantSchedule(ETA)).tolerance(0).maxIterations(300).build().run()) {
            uStart = r.u().toArray();
            vStart = r.v().toArray();
        }
    }

    /** The engine's factors after {@value #ITERATIONS} iterations from (u0, v0) with {@code threads} threads. */
    static double[][][] engine(double[][] u0, double[][] v0, Variant variant, int threads) throws IOException {
        try (DenseMatrix m = MatrixMarket.read(input, DType.FLOAT64);
                DenseMatrix u = Dense.matrix(DType.FLOAT64, u0);
                DenseMatrix v = Dense.matrix(DType.FLOAT64, v0);
                Result r = Factorizer.builder(m, RANK).initializer(Initializer.given(u, v))
                        .schedule(new ConstantSchedule(ETA)).variant(variant).tolerance(0).maxIterations(ITERATIONS)
                        .threads(threads).build().run()) {
            return new double[][][] {r.u().toArray(), r.v().toArray()};
        }
    }

    /** The Spark run's factors, from the same start, with the input in {@code partitions} row blocks. */
    static double[][][] spark(double[][] u0, double[][] v0, Variant variant, int partitions,
            SparkFactorizer.Builder builder, List<IterationRecord> records) {
        MatrixSource source = MatrixSource.open(SharedSpark.context(), input, partitions);
        try (DenseMatrix u = Dense.matrix(DType.FLOAT64, u0);
                DenseMatrix v = Dense.matrix(DType.FLOAT64, v0);
                SparkResult r = builder.initializer(Initializer.given(u, v)).schedule(new ConstantSchedule(ETA))
                        .variant(variant).tolerance(0).maxIterations(ITERATIONS).driverThreads(2)
                        .lineageEvery(CHECKPOINT_EVERY).build()
                        .run(SharedSpark.context(), source, DType.FLOAT64, records::add);
                DenseMatrix uOut = r.collectU()) {
            assertTrue(ancestors(r.uBlocks().rdd(), new HashSet<>()) <= CHECKPOINT_EVERY + 4,
                    "the lineage of the last iterate is cut at the last checkpoint");
            return new double[][][] {uOut.toArray(), r.v().toArray()};
        }
    }

    /** The simultaneous run from the start near the optimum, on 3 partitions (computed once, compared often). */
    static synchronized double[][][] threePartitions() {
        if (threePartitions == null) {
            threePartitions = spark(uStart, vStart, Variant.SIMULTANEOUS, 3, SparkFactorizer.builder(RANK),
                    new ArrayList<>());
        }
        return threePartitions;
    }

    private static int ancestors(RDD<?> rdd, Set<Integer> seen) {
        if (!seen.add(rdd.id())) {
            return 0;
        }
        int n = 1;
        for (var it = rdd.dependencies().iterator(); it.hasNext();) {
            n += ancestors(it.next().rdd(), seen);
        }
        return n;
    }

    static void assertSameBits(double[][][] expected, double[][][] actual, String what) {
        for (int f = 0; f < 2; f++) {
            for (int i = 0; i < expected[f].length; i++) {
                assertArrayEquals(expected[f][i], actual[f][i], 0.0, what + (f == 0 ? ": U" : ": V") + " row " + i);
            }
        }
    }

    @Test
    void withTheEnginesChunkingEveryVariantGivesTheEnginesBits() throws IOException {
        // two partitions of one thread split the rows where the engine's two threads do, and so does one partition
        // split among two task threads; the driver's two threads split V as the engine does, and the partials are
        // added in the same order: every floating-point operation is the engine's
        double[][] u0 = KnownMatrices.gaussian(D1, RANK, 0.3, 21);
        double[][] v0 = KnownMatrices.gaussian(D2, RANK, 0.3, 22);
        for (Variant variant : List.of(Variant.SIMULTANEOUS, Variant.ALTERNATING, Variant.parse("regularized"))) {
            double[][][] expected = engine(u0, v0, variant, 2);
            for (int taskThreads = 1; taskThreads <= 2; taskThreads++) {
                int partitions = 2 / taskThreads;
                List<IterationRecord> records = new ArrayList<>();
                double[][][] actual = spark(u0, v0, variant, partitions,
                        SparkFactorizer.builder(RANK).taskThreads(taskThreads), records);
                assertSameBits(expected, actual, variant.describe() + ", " + partitions + " partition(s) of "
                        + taskThreads + " thread(s)");
                assertEquals(ITERATIONS, records.size());
                for (int t = 0; t < ITERATIONS; t++) {
                    assertEquals(t, records.get(t).iteration());
                }
            }
        }
    }

    /**
     * A float32 M whose chunks are longer than the engine's blocks of MᵀU (IterationEngine.BLOCK_ROWS, 4608 rows): two
     * partitions of 5000 rows, one task thread each, give the engine's bits at two threads, the tasks' teams summing
     * MᵀU in the engine's blocks.
     */
    @Test
    void aTallFloat32MatrixGivesTheEnginesBits() throws IOException {
        int rows = 10_000;
        Path tall = dir.resolve("tall.mtx");
        double[][] a = KnownMatrices.withSpectrum(rows, 6, new double[] {3, 2}, 31);
        try (DenseMatrix m = Dense.matrix(DType.FLOAT32, a)) {
            MatrixMarket.write(tall, m, "tall float32 test problem");
        }
        double[][] u0 = KnownMatrices.gaussian(rows, 2, 0.01, 32);
        double[][] v0 = KnownMatrices.gaussian(6, 2, 0.01, 33);
        ConstantSchedule step = new ConstantSchedule(0.1);
        double[][][] expected;
        try (DenseMatrix m = MatrixMarket.read(tall, DType.FLOAT32);
                DenseMatrix u = Dense.matrix(DType.FLOAT32, u0);
                DenseMatrix v = Dense.matrix(DType.FLOAT32, v0);
                Result r = Factorizer.builder(m, 2).initializer(Initializer.given(u, v)).schedule(step).tolerance(0)
                        .maxIterations(30).threads(2).build().run()) {
            expected = new double[][][] {r.u().toArray(), r.v().toArray()};
        }
        MatrixSource source = MatrixSource.open(SharedSpark.context(), tall, 2);
        try (DenseMatrix u = Dense.matrix(DType.FLOAT32, u0);
                DenseMatrix v = Dense.matrix(DType.FLOAT32, v0);
                SparkResult r = SparkFactorizer.builder(2).initializer(Initializer.given(u, v)).schedule(step)
                        .tolerance(0).maxIterations(30).driverThreads(2).build()
                        .run(SharedSpark.context(), source, DType.FLOAT32, record -> { });
                DenseMatrix uOut = r.collectU()) {
            assertSameBits(expected, new double[][][] {uOut.toArray(), r.v().toArray()},
                    "float32, 2 partitions of 5000 rows");
        }
    }

    @Test
    void withAnotherPartitioningTheIteratesStayWithinTheReorderingBound() throws IOException {
        assertWithinReorderingBound(engine(uStart, vStart, Variant.SIMULTANEOUS, 2), threePartitions());
    }

    /**
     * The iterates from (uStart, vStart) of a run whose sums over the d1 rows are split otherwise than the engine's
     * with 2 threads (in other partitions, or nested: task chunks inside partitions), within the bound for that.
     */
    static void assertWithinReorderingBound(double[][][] expected, double[][][] actual) {
        // The runs differ only in where the sums over the d1 rows (MᵀU and UᵀU) are split: MV and the step are
        // row-local, VᵀV is split alike (two driver threads). Reordering a sum of n terms moves it by at most
        // 2γ_n·Σ|terms| (γ_n = n·u/(1 − n·u)), so per iteration ‖Δ(MᵀU)‖_F ≤ 2γ_{d1}‖M‖_F‖U‖_F and
        // ‖Δ(UᵀU)‖_F ≤ 2γ_{d1}‖U‖²_F, and V's step differs by ε ≤ η·2γ_{d1}(‖V‖_F‖U‖²_F + ‖M‖_F‖U‖_F). From a start
        // near the optimum with η ≤ 1/σ₁ the linearised step is non-expansive, so the differences add up: after t
        // iterations at most t·ε, doubled for the second-order terms the linearisation leaves out.
        double u = 0x1p-53;
        double gamma = D1 * u / (1 - D1 * u);
        double normU = Math.max(KnownMatrices.frobenius(expected[0]), KnownMatrices.frobenius(uStart));
        double normV = Math.max(KnownMatrices.frobenius(expected[1]), KnownMatrices.frobenius(vStart));
        double epsilon = ETA * 2 * gamma * (normV * normU * normU + KnownMatrices.frobenius(mValues) * normU);
        double bound = 2 * ITERATIONS * epsilon;
        double difference = KnownMatrices.frobenius(Dense.addScaled(expected[0], -1, actual[0]))
                + KnownMatrices.frobenius(Dense.addScaled(expected[1], -1, actual[1]));
        assertTrue(difference <= bound, "difference " + difference + " exceeds the bound " + bound);
    }

    @Test
    void twoRunsWithTheSamePartitioningGiveTheSameBits() {
        double[][][] again = spark(uStart, vStart, Variant.SIMULTANEOUS, 3, SparkFactorizer.builder(RANK),
                new ArrayList<>());
        assertSameBits(threePartitions(), again, "second run");
    }

    @Test
    void aTaskThatFailsOnceIsRetriedAndTheResultIsUnchanged() throws TimeoutException {
        double[][][] retried = withOnePlannedFailure(() -> spark(uStart, vStart, Variant.SIMULTANEOUS, 3,
                SparkFactorizer.builder(RANK).failOnce(37, 1), new ArrayList<>()));
        assertSameBits(threePartitions(), retried, "run with a failed task");
    }

    /** The factors of {@code run}, which must see exactly one planned task failure (retried by Spark). */
    static double[][][] withOnePlannedFailure(Supplier<double[][][]> run) throws TimeoutException {
        AtomicInteger planned = new AtomicInteger();
        SparkListener failures = new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if (end.reason() instanceof ExceptionFailure f && f.description().contains("planned failure")) {
                    planned.incrementAndGet();
                }
            }
        };
        SharedSpark.context().sc().addSparkListener(failures);
        double[][][] factors;
        try {
            factors = run.get();
        } finally {
            SharedSpark.context().sc().removeSparkListener(failures);
        }
        // listener events arrive asynchronously; the job's end has been posted before run() returned
        SharedSpark.context().sc().listenerBus().waitUntilEmpty();
        assertEquals(1, planned.get(), "the planned failure happened once");
        return factors;
    }

    /**
     * Two partitions of two task threads: the tasks' chunk sums nest inside the partitions' (no engine thread count
     * adds in that order), so the run is held to the reordering bound against the engine with 2 threads, and to its
     * own bits when a task fails once and is retried. Each partition's worker team lives with its cached block for
     * the whole run — mid-run the JVM (local mode: the executors are in it) has the two blocks' workers and the
     * driver team's, one each — and no worker outlives the run.
     */
    @Test
    void withTaskThreadsARetryGivesTheSameBitsAndNoWorkerOutlivesTheRun() throws Exception {
        awaitWorkers(0, "before the runs");
        int[] midRun = {-1};
        double[][][] undisturbed = spark(uStart, vStart, Variant.SIMULTANEOUS, 2, SparkFactorizer.builder(RANK)
                .taskThreads(2).listener(r -> {
                    if (r.iteration() == ITERATIONS / 2) {
                        midRun[0] = workers();
                    }
                }), new ArrayList<>());
        assertEquals(3, midRun[0], "worker threads in the middle of the run");
        double[][][] retried = withOnePlannedFailure(() -> spark(uStart, vStart, Variant.SIMULTANEOUS, 2,
                SparkFactorizer.builder(RANK).taskThreads(2).failOnce(37, 1), new ArrayList<>()));
        assertSameBits(undisturbed, retried, "2 partitions of 2 threads, with a failed task");
        assertWithinReorderingBound(engine(uStart, vStart, Variant.SIMULTANEOUS, 2), undisturbed);
        awaitWorkers(0, "after the runs");
    }

    /** The live threads of worker teams ({@code ParallelPass} names them autobalance-worker-c). */
    static int workers() {
        return (int) Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("autobalance-worker-")).count();
    }

    /** Waits (up to 30 s: M's blocks are unpersisted asynchronously) until {@code n} worker threads are alive. */
    static void awaitWorkers(int n, String when) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (workers() != n && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(n, workers(), "worker threads " + when);
    }

    @Test
    void nothingStaysCachedAfterARunOrAFailedOne() throws Exception {
        MatrixSource source = MatrixSource.open(SharedSpark.context(), input, 2);
        SparkResult ok = SparkFactorizer.builder(RANK).schedule(new ConstantSchedule(ETA)).maxIterations(5)
                .build().run(SharedSpark.context(), source, DType.FLOAT64);
        ok.close();
        SharedSpark.context().sc().listenerBus().waitUntilEmpty();
        assertTrue(SharedSpark.context().getPersistentRDDs().isEmpty(), "cached after a run");
        // a step 100 times too large diverges within a few iterations
        assertThrows(DivergenceException.class, () -> SparkFactorizer.builder(RANK)
                .schedule(new ConstantSchedule(100 * ETA)).maxIterations(200).build()
                .run(SharedSpark.context(), source, DType.FLOAT64));
        assertTrue(SharedSpark.context().getPersistentRDDs().isEmpty(), "cached after a diverged run");
        // V (d2 × r) larger than the machine: refused after M's blocks were marked for caching. A rank within the
        // solver's cap (its r × r Grams are Java arrays) and columns enough to make V too large.
        int r = 1024;
        int d2 = (int) Math.min(Integer.MAX_VALUE - 64, NativeMemory.physicalBytes() / (8L * r) + 64);
        MatrixSource tooLarge = new MatrixSource(r, d2) {
            @Override
            public int partitions() {
                return 1;
            }

            @Override
            public long[] partitionRows() {
                return new long[] {r};
            }

            @Override
            public String describe() {
                return "a source V cannot fit beside";
            }

            @Override
            JavaRDD<MatrixBlock> blocks(JavaSparkContext sc, DType dtype) {
                return sc.emptyRDD();
            }
        };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SparkFactorizer.builder(r)
                .build().run(SharedSpark.context(), tooLarge, DType.FLOAT64));
        assertTrue(e.getMessage().contains(d2 + " x " + r + " float64 matrix"), e.getMessage());
        assertTrue(SharedSpark.context().getPersistentRDDs().isEmpty(), "cached after a refused V");
    }

    /**
     * A cancel token (Ctrl-C on the command line) ends the run after the iteration in which it is cancelled, with
     * that iterate: the factors of a run limited to as many iterations, bit for bit; cancelled before the first
     * iteration, the run makes none (as the engine's).
     */
    @Test
    void aCancelledRunStopsAfterItsIterationWithThatIterate() {
        MatrixSource source = MatrixSource.open(SharedSpark.context(), input, 2);
        CancelToken token = new CancelToken();
        SparkFactorizer.Builder builder = SparkFactorizer.builder(RANK).schedule(new ConstantSchedule(ETA))
                .tolerance(0).driverThreads(2);
        try (SparkResult cancelled = builder.maxIterations(1000).cancelToken(token).build()
                .run(SharedSpark.context(), source, DType.FLOAT64, r -> {
                    if (r.iteration() == 6) {
                        token.cancel();
                    }
                });
                DenseMatrix u = cancelled.collectU();
                SparkResult limited = builder.maxIterations(7).cancelToken(null).build()
                        .run(SharedSpark.context(), source, DType.FLOAT64);
                DenseMatrix uLimited = limited.collectU()) {
            assertEquals(StopReason.CANCELLED, cancelled.stopReason());
            assertEquals(7, cancelled.iterations());
            assertSameBits(new double[][][] {uLimited.toArray(), limited.v().toArray()},
                    new double[][][] {u.toArray(), cancelled.v().toArray()}, "cancelled after iteration 6");
        }
        List<IterationRecord> records = new ArrayList<>();
        try (SparkResult none = builder.maxIterations(1000).cancelToken(token).build()
                .run(SharedSpark.context(), source, DType.FLOAT64, records::add)) {
            assertEquals(StopReason.CANCELLED, none.stopReason());
            assertEquals(0, none.iterations());
            assertTrue(records.isEmpty(), "records of a run cancelled before it started");
        }
    }

    /**
     * An interrupt of the driver's thread stops the run as on the engine ({@code Factorizer}): after the iteration in
     * which it arrives, with that iterate, or before the first iteration; the status stays set for the caller. It threw
     * Spark's {@code InterruptedException} (undeclared: a checked exception through Scala) from the next job's wait —
     * the final residual, or the first job of a run interrupted before it started — with the status cleared and the
     * factors lost.
     */
    @Test
    void anInterruptStopsTheRunAsOnTheEngine() {
        MatrixSource source = MatrixSource.open(SharedSpark.context(), input, 2);
        SparkFactorizer.Builder builder = SparkFactorizer.builder(RANK).schedule(new ConstantSchedule(ETA))
                .tolerance(0).driverThreads(2);
        try {
            try (SparkResult interrupted = builder.maxIterations(1000).build()
                    .run(SharedSpark.context(), source, DType.FLOAT64, r -> {
                        if (r.iteration() == 6) {
                            Thread.currentThread().interrupt();
                        }
                    })) {
                assertTrue(Thread.interrupted(), "the status stays set for the caller");
                assertEquals(StopReason.INTERRUPTED, interrupted.stopReason());
                assertEquals(7, interrupted.iterations());
            }
            Thread.currentThread().interrupt();
            try (SparkResult none = builder.maxIterations(1000).build().run(SharedSpark.context(), source,
                    DType.FLOAT64)) {
                assertTrue(Thread.interrupted(), "the status stays set for the caller");
                assertEquals(StopReason.INTERRUPTED, none.stopReason());
                assertEquals(0, none.iterations());
            }
        } finally {
            Thread.interrupted();
        }
    }

    /**
     * The caller's interrupt survives a run that fails before its first job: here the input's blocks (a file whose
     * partitioning was never settled), which the status was once cleared for and not set again.
     */
    @Test
    void anInterruptStaysSetWhenTheInputFailsBeforeTheRun() {
        MatrixSource unsettled = MatrixSource.checkWithoutSpark(input, 0);
        JavaSparkContext sc = SharedSpark.context(); // started before the interrupt, which its start would not survive
        Thread.currentThread().interrupt();
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> SparkFactorizer.builder(RANK)
                    .schedule(new ConstantSchedule(ETA)).build().run(sc, unsettled, DType.FLOAT64));
            assertTrue(e.getMessage().contains("is not settled"), e.getMessage());
            assertTrue(Thread.interrupted(), "the status stays set for the caller");
        } finally {
            Thread.interrupted();
        }
    }

    /**
     * σ₁ of an M without a gap at the top of its spectrum (σᵢ² falling evenly from 1 to 0.1), at rank 4 with the
     * default step: the driver's passes (a job each) run the engine's budget and stop rule, so they end within the
     * passes the step needs (60 for n = 500, where the rule of before ran on to its own stop, 300 at most: more than
     * 60 here, SpectralNormTest), tell the listeners each pass as the engine's run does, and, on one partition of two
     * task threads (the engine's chunks), give the engine's σ₁ bit for bit.
     */
    @Test
    void onAGaplessTopSigma1TakesTheEnginesPassesAndBits() throws IOException {
        int n = 400;
        double[] sigma = new double[n];
        for (int i = 0; i < n; i++) {
            sigma[i] = Math.sqrt(1 - 0.9 * i / n);
        }
        Path gapless = dir.resolve("gapless.mtx");
        List<String> expected = new ArrayList<>();
        double engineSigma1;
        Set<String> engineKeys;
        try (DenseMatrix m = Dense.matrix(DType.FLOAT64, KnownMatrices.withSpectrum(500, n, sigma, 5));
                Result r = Factorizer.builder(m, RANK).threads(2).maxIterations(0).build()
                        .run(spectralNormPasses(expected))) {
            MatrixMarket.write(gapless, m, "gapless top");
            engineSigma1 = r.sigma1();
            engineKeys = r.summary().keySet();
        }
        assertEquals("0 of 60", expected.getFirst());
        assertTrue(expected.getLast().endsWith("finished") && expected.size() <= 61, expected.getLast());

        List<String> actual = new ArrayList<>();
        MatrixSource source = MatrixSource.open(SharedSpark.context(), gapless, 1);
        try (SparkResult r = SparkFactorizer.builder(RANK).driverThreads(2).taskThreads(2).maxIterations(0).build()
                .run(SharedSpark.context(), source, DType.FLOAT64, spectralNormPasses(actual))) {
            assertEquals(expected, actual);
            assertEquals(engineSigma1, (double) r.summary().get("sigma1"));
            // the single machine's summary keys, factors_iteration among them, and Spark's own
            assertTrue(r.summary().keySet().containsAll(engineKeys), r.summary().keySet() + " against " + engineKeys);
        }
    }

    /** A listener that writes each σ₁ pass it is told of into {@code told}: "k of most", "… finished" at the end. */
    private static IterationListener spectralNormPasses(List<String> told) {
        return new IterationListener() {
            @Override
            public void onIteration(IterationRecord record) {
            }

            @Override
            public void onSpectralNorm(int passes, int most, boolean finished) {
                told.add(passes + " of " + most + (finished ? " finished" : ""));
            }
        };
    }

    /**
     * Cases where the plateau test decides, at rank 4 from the default small start, with the default step (σ₁ from
     * core's block power iteration on Spark passes). (a) Rank 3 plus a weak fourth direction (σ₄ = 0.2) and noise
     * 10⁻⁴, tolerance 10⁻⁴: the gradient test holds from about iteration 55 while the fourth direction is still at
     * the start's scale, and the plateau test (σ₁(M − UVᵀ) by power iteration) rejects those iterates until it is
     * learned. (b) Exact rank 3 plus noise 10⁻⁶, default tolerance: the run ends with the fourth direction at the
     * start's scale, σ₄(UVᵀ)² below 2f, so only the residual's power iteration can accept it (the Gram-only check
     * that the Spark driver had before never would). With the engine's partitioning every operation of the
     * iterations and of σ₁ is the engine's, so the factors are the engine's bits; the residual's estimate sums Uᵀy
     * per partition (the engine in one loop) and differs in rounding only, far from the decision threshold (a slack
     * of √u·‖M‖_F at least), so the run must stop at the engine's iteration, converged. Case (b) runs again on one
     * partition of two task threads: the engine's chunks again, for the power iterations' passes too.
     */
    @ParameterizedTest
    @CsvSource({"0.2, 1e-4, 1e-4, 2, 1", "0, 1e-6, NaN, 2, 1", "0, 1e-6, NaN, 1, 2"})
    void onAPlateauTheRunStopsWhereTheEngineStops(double sigma4, double noise, double tolerance, int partitions,
            int taskThreads) throws IOException {
        double[][] a = Dense.addScaled(KnownMatrices.withSpectrum(60, 40, sigma4 == 0 ? new double[] {3, 2, 1.5}
                : new double[] {3, 2, 1.5, sigma4}, 5), noise, KnownMatrices.gaussian(60, 40, 1.0, 9));
        Path plateau = dir.resolve("plateau-" + sigma4 + "-" + partitions + ".mtx");
        List<IterationRecord> expected = new ArrayList<>();
        double[][][] engine;
        double loss;
        try (DenseMatrix m = Dense.matrix(DType.FLOAT64, a)) {
            MatrixMarket.write(plateau, m, "plateau case");
            Factorizer.Builder builder = Factorizer.builder(m, RANK).threads(2).maxIterations(5000);
            if (!Double.isNaN(tolerance)) {
                builder.tolerance(tolerance);
            }
            try (Result r = builder.build().run(expected::add)) {
                assertEquals(StopReason.CONVERGED, r.stopReason());
                engine = new double[][][] {r.u().toArray(), r.v().toArray()};
                loss = r.loss();
            }
        }
        double normM = KnownMatrices.frobenius(a);
        double tol = Double.isNaN(tolerance) ? Factorizer.defaultTolerance(DType.FLOAT64) : tolerance;
        long rejected = expected.stream().filter(r -> r.iteration() < expected.size() - 1
                && r.gradientNorm() <= tol * normM * Math.hypot(r.normU(), r.normV())).count();
        double weakest = SmallLinearAlgebra.productSingularValues(Dense.gram(engine[0]), Dense.gram(engine[1]),
                RANK)[RANK - 1];
        // the premise: the plateau test's residual passes decided, rejecting (a) or accepting (b)
        assertTrue(sigma4 > 0 ? rejected > 0 : weakest * weakest < 2 * loss,
                "rejected " + rejected + ", σ_r² " + weakest * weakest + ", 2f " + 2 * loss);

        List<IterationRecord> actual = new ArrayList<>();
        MatrixSource source = MatrixSource.open(SharedSpark.context(), plateau, partitions);
        SparkFactorizer.Builder builder = SparkFactorizer.builder(RANK).driverThreads(2).taskThreads(taskThreads)
                .maxIterations(5000);
        if (!Double.isNaN(tolerance)) {
            builder.tolerance(tolerance);
        }
        try (SparkResult r = builder.build().run(SharedSpark.context(), source, DType.FLOAT64, actual::add);
                DenseMatrix u = r.collectU()) {
            assertEquals(StopReason.CONVERGED, r.stopReason());
            assertEquals(expected.size(), actual.size(), "iterations");
            double[][] uu = u.toArray();
            double[][] vv = r.v().toArray();
            assertSameBits(engine, new double[][][] {uu, vv}, "plateau run");
            // the balance from the factors themselves; each Gram entry is a sum of at most 60 products, so the
            // rounding of either computation is below 60·u·(‖U‖² + ‖V‖²) per entry, r² entries
            double[] gu = Dense.gram(uu);
            double[] gv = Dense.gram(vv);
            double squares = 0;
            for (int k = 0; k < gu.length; k++) {
                squares += (gu[k] - gv[k]) * (gu[k] - gv[k]);
            }
            double scale = Math.pow(KnownMatrices.frobenius(uu), 2) + Math.pow(KnownMatrices.frobenius(vv), 2);
            double balance = Math.sqrt(squares);
            double rounding = 2 * gu.length * 60 * 0x1p-53 * scale;
            // a balance within the tolerance of zero would let any small number pass
            assertTrue(balance > 100 * rounding, () -> "balance " + balance + " too small for the check");
            assertEquals(balance, r.balance(), rounding, "balance");
        }
    }

    /**
     * A step that leaves U and V bit for bit as they were stops the run ({@link StopReason#STALLED}) where the engine's
     * stops: a matrix of exactly rank 3 (core's StopRulesTest's, another seed) at rank 3 in float32 with tolerance 0
     * runs to a fixed point of the rounded step near the optimum, found by the test of iterations 1, 2, 4, … (the
     * engine with two threads: 257 iterations here; with StopRulesTest's seed it never settles in 10⁵, and whether it
     * does depends on the kernels' rounding, hence the premise); with the engine's partitioning the Spark run has the
     * engine's bits, so it must stop at the engine's iteration with its factors. A zero start cannot move (U = V = 0
     * is stationary): stalled after two iterations, the start returned. Before, the Spark driver had no stall test:
     * both ran to the iteration limit.
     */
    @Test
    void aStepThatLeavesTheFactorsUnchangedStallsWhereTheEngineStalls() throws IOException {
        Path exact = dir.resolve("rank3-float32.npy");
        List<IterationRecord> expected = new ArrayList<>();
        double[][][] engine;
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT32, KnownMatrices.withSpectrum(40, 30, new double[] {4, 2, 1},
                1)); Result r = Factorizer.builder(m, 3).tolerance(0).threads(2).maxIterations(1000).build()
                        .run(expected::add)) {
            Npy.write(exact, m);
            // the premise: the engine stalls, far below the limit
            assertEquals(StopReason.STALLED, r.stopReason());
            engine = new double[][][] {r.u().toArray(), r.v().toArray()};
        }
        MatrixSource source = MatrixSource.open(SharedSpark.context(), exact, 2);
        List<IterationRecord> actual = new ArrayList<>();
        try (SparkResult r = SparkFactorizer.builder(3).tolerance(0).driverThreads(2).maxIterations(1000).build()
                .run(SharedSpark.context(), source, DType.FLOAT32, actual::add); DenseMatrix u = r.collectU()) {
            assertEquals(StopReason.STALLED, r.stopReason());
            assertEquals(expected.size(), actual.size(), "iterations");
            assertSameBits(engine, new double[][][] {u.toArray(), r.v().toArray()}, "fixed point");
        }
        // a cancel at the stall-test iteration where the run stalls gives that stop, and no checkpoint past the test:
        // before, the driver saved the iterate after it first (a resume from it never ran the test, nor stalled there)
        long last = expected.size() - 1;
        CancelToken token = new CancelToken();
        Path ck = Files.createDirectories(dir.resolve("stall-ck"));
        try (SparkResult r = SparkFactorizer.builder(3).tolerance(0).driverThreads(2).maxIterations(1000)
                .checkpoint(ck, 1_000_000, null).cancelToken(token).build().run(SharedSpark.context(), source,
                        DType.FLOAT32, rec -> {
                            if (rec.iteration() == last) {
                                token.cancel();
                            }
                        }); DenseMatrix u = r.collectU()) {
            assertEquals(StopReason.STALLED, r.stopReason());
            assertEquals(expected.size(), r.iterations(), "iterations");
            assertSameBits(engine, new double[][][] {u.toArray(), r.v().toArray()}, "fixed point, cancelled there");
            assertFalse(Files.exists(ck.resolve(Checkpoint.FILE)), "a checkpoint past the stall test");
        }
        try (DenseMatrix u0 = DenseMatrix.allocate(DType.FLOAT32, 40, 3);
                DenseMatrix v0 = DenseMatrix.allocate(DType.FLOAT32, 30, 3);
                SparkResult r = SparkFactorizer.builder(3).initializer(Initializer.given(u0, v0))
                        .schedule(new ConstantSchedule(0.1)).driverThreads(2).maxIterations(1000).build()
                        .run(SharedSpark.context(), source, DType.FLOAT32); DenseMatrix u = r.collectU()) {
            assertEquals(StopReason.STALLED, r.stopReason());
            assertEquals(2, r.iterations());
            assertSameBits(new double[][][] {u0.toArray(), v0.toArray()}, new double[][][] {u.toArray(),
                r.v().toArray()}, "zero start");
        }
    }

    /**
     * Spark keeps the files of every reliable checkpoint until they are deleted (its cleaner does not by default): a
     * run keeps only those of its last lineage cut while it runs and none once its result is closed (10 000
     * iterations cut every 50 left 201 copies of U in the checkpoint directory). The files kept must be the ones a
     * lost block is recomputed from: before every iteration a listener drops every cached iterate (M's blocks stay),
     * so each job recomputes U from the last cut's files, and so does U's collection after the run; the factors must
     * be the bits of an undisturbed run. Deleting the old cut's files before the new cut is written, or the new
     * cut's instead of the old's, fails the recomputation (counting the folders kept did not tell).
     */
    @Test
    void onlyTheLastLineageCutsFilesAreKeptAndNoneAfterTheRun() throws IOException {
        double[][][] undisturbed = lineageCutsRun(false);
        Path checkpoints = Path.of(URI.create(SharedSpark.context().getCheckpointDir().get()));
        Set<String> before = checkpointedRdds(checkpoints);
        List<Set<String>> kept = new ArrayList<>();
        int[] m = {-1};
        double[][][] recomputed = lineageCutsRun(true, record -> {
            kept.add(newRdds(checkpoints, before));
            var cached = SharedSpark.context().getPersistentRDDs();
            if (m[0] < 0) {
                // M's blocks are cached before the first iterate
                m[0] = cached.keySet().stream().min(Integer::compare).orElseThrow();
            }
            cached.forEach((id, rdd) -> {
                if (id != m[0]) {
                    rdd.unpersist(true);
                }
            });
        });
        assertSameBits(undisturbed, recomputed, "iterates recomputed from the lineage cuts' files");
        // records 0 to 12 (U_1 to U_13): one folder each, that of the newest cut, at 0, 3, …, 12
        assertEquals(List.of(1), kept.stream().map(Set::size).distinct().toList(), "cuts' folders kept per iteration");
        List<Integer> folders = kept.stream().map(k -> Integer.valueOf(k.iterator().next().substring(4))).distinct()
                .toList();
        assertEquals(5, folders.size(), "cuts kept in turn: " + folders);
        assertEquals(folders.stream().sorted().toList(), folders, "cuts kept in turn, oldest first");
        assertEquals(Set.of(), newRdds(checkpoints, before), "checkpointed iterates left after the result's close");
    }

    /**
     * Lineage cuts whose files cannot be deleted (each cut's folder made read-only once written; as root, whom
     * permissions do not stop, immutable): the failure was swallowed without a word, leaving the folders unnamed. The
     * run still ends with the undisturbed run's bits, and one warning per folder (the four replaced by a newer cut, and
     * the last at the result's close) names it; none for a folder that is already gone.
     */
    @Test
    void lineageCutFilesThatCannotBeDeletedAreNamedAndTheRunEndsAsBefore() throws Exception {
        Path checkpoints = Path.of(URI.create(SharedSpark.context().getCheckpointDir().get()));
        // whether a delete is refused, tried: root's deletions ignore permissions (whatever its user name), and a
        // file system may ignore both permissions and the immutable attribute
        Path probe = Files.createDirectories(checkpoints.resolve("probe"));
        Boolean immutable = null;
        for (boolean attribute : new boolean[] {false, true}) {
            if (immutable == null && refusesDeletes(probe, attribute)) {
                immutable = attribute;
            }
        }
        Files.delete(probe);
        Assumptions.assumeTrue(immutable != null, "neither permissions nor chattr +i refuse a delete here");
        boolean attribute = immutable;
        double[][][] undisturbed = lineageCutsRun(false);
        Set<String> before = checkpointedRdds(checkpoints);
        List<String> warnings = new ArrayList<>();
        java.util.logging.Logger log = java.util.logging.Logger.getLogger(Lineage.class.getName());
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                warnings.add(record.getLevel() + " " + record.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(capture);
        List<Path> locked = new ArrayList<>();
        try {
            double[][][] run = lineageCutsRun(false, record -> {
                for (String rdd : newRdds(checkpoints, before)) {
                    Path folder = checkpoints.resolve(rdd);
                    if (!locked.contains(folder)) {
                        locked.add(folder);
                        setDeletable(folder, false, attribute);
                    }
                }
            });
            assertSameBits(undisturbed, run, "a run whose old cuts could not be deleted");
        } finally {
            log.removeHandler(capture);
            for (Path folder : locked) {
                setDeletable(folder, true, attribute);
                try (Stream<Path> files = Files.walk(folder)) {
                    for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(f);
                    }
                }
            }
        }
        assertEquals(5, locked.size(), "cuts at 0, 3, …, 12" + (attribute ? " (immutable)" : " (read-only)"));
        assertEquals(locked.stream().map(f -> "WARNING a lineage cut's files were left in the checkpoint directory: "
                + "file:" + f + " (the file system refused to delete them); nothing reads them, remove them when the "
                + "run is over").toList(), warnings);
    }

    /**
     * Whether a file in {@code probe} cannot be deleted once {@link #setDeletable} has made the directory undeletable
     * by {@code attribute} (false also where that cannot be set); {@code probe} is left empty and deletable.
     */
    private static boolean refusesDeletes(Path probe, boolean attribute) throws IOException {
        Path file = Files.writeString(probe.resolve("file"), "");
        try {
            setDeletable(probe, false, attribute);
        } catch (UncheckedIOException cannotSet) {
            Files.delete(file);
            return false;
        }
        try {
            Files.delete(file);
            return false;
        } catch (IOException refused) {
            return true;
        } finally {
            setDeletable(probe, true, attribute);
            Files.deleteIfExists(file);
        }
    }

    /**
     * Makes {@code dir}'s entries undeletable (by its permissions, or with {@code attribute} by the immutable
     * attribute, which root's deletions respect), or deletable again.
     */
    private static void setDeletable(Path dir, boolean deletable, boolean attribute) {
        try {
            if (!attribute) {
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(deletable ? "rwx------"
                        : "r-x------"));
                return;
            }
            Process chattr = new ProcessBuilder("chattr", deletable ? "-i" : "+i", dir.toString())
                    .redirectErrorStream(true).start();
            String out = new String(chattr.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (chattr.waitFor() != 0) {
                throw new IOException("chattr: " + out.strip());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * The factors of 13 iterations cut every 3, U collected after {@code listener} has seen the last record
     * (uncached first when {@code recompute}: collected from the cut at 12).
     */
    private static double[][][] lineageCutsRun(boolean recompute, IterationListener... listener) {
        MatrixSource source = MatrixSource.open(SharedSpark.context(), input, 2);
        try (SparkResult r = SparkFactorizer.builder(RANK).initializer(Initializer.small(0.1))
                .schedule(new ConstantSchedule(ETA)).tolerance(0).maxIterations(13).lineageEvery(3).driverThreads(2)
                .build().run(SharedSpark.context(), source, DType.FLOAT64, listener)) {
            assertEquals(13, r.iterations());
            if (recompute) {
                r.uBlocks().unpersist(true);
            }
            try (DenseMatrix u = r.collectU()) {
                return new double[][][] {u.toArray(), r.v().toArray()};
            }
        }
    }

    /** The RDDs with files in a context's checkpoint directory ({@code rdd-<id>}, as Spark names them). */
    private static Set<String> checkpointedRdds(Path checkpoints) throws IOException {
        try (var entries = Files.list(checkpoints)) {
            return entries.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("rdd-"))
                    .collect(Collectors.toSet());
        }
    }

    private static Set<String> newRdds(Path checkpoints, Set<String> before) {
        try {
            Set<String> now = checkpointedRdds(checkpoints);
            now.removeAll(before);
            return now;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A run on 3 partitions that crashes (a listener throws) at iteration 45, after its checkpoint at 40, resumes from
     * that checkpoint to the factors of the uninterrupted run, bit for bit, and its records continue at 40. Resuming
     * with another partitioning is refused, naming it.
     */
    @Test
    void aRunInterruptedAfterACheckpointResumesToTheSameBits() throws Exception {
        Path saved = dir.resolve("resume");
        MatrixSource source = MatrixSource.open(SharedSpark.context(), input, 3);
        try (DenseMatrix u0 = Dense.matrix(DType.FLOAT64, uStart);
                DenseMatrix v0 = Dense.matrix(DType.FLOAT64, vStart)) {
            SparkFactorizer.Builder builder = SparkFactorizer.builder(RANK).initializer(Initializer.given(u0, v0))
                    .schedule(new ConstantSchedule(ETA)).tolerance(0).maxIterations(ITERATIONS).driverThreads(2)
                    .lineageEvery(CHECKPOINT_EVERY);
            IllegalStateException crash = assertThrows(IllegalStateException.class, () -> builder
                    .checkpoint(saved, 20, null).build().run(SharedSpark.context(), source, DType.FLOAT64, r -> {
                        if (r.iteration() == 45) {
                            throw new IllegalStateException("crash at 45");
                        }
                    }));
            assertEquals("crash at 45", crash.getMessage());
            Checkpoint checkpoint = Checkpoint.load(saved);
            assertEquals(40, checkpoint.iteration());

            // the directory is locked for a run: held by another thread (another run of this driver), it refuses
            // this one before any Spark work
            ExecutorService other = Executors.newSingleThreadExecutor();
            try (RunLock _ = other.submit(() -> RunLock.checkpoints("--checkpoint", saved)).get()) {
                String inUse = assertThrows(IllegalArgumentException.class, () -> builder.checkpoint(saved, 20, null)
                        .resumeFrom(checkpoint).build().run(SharedSpark.context(), source, DType.FLOAT64))
                        .getMessage();
                assertTrue(inUse.startsWith("checkpoint directory " + saved + ": another run is writing its "
                        + "checkpoints there"), inUse);
            } finally {
                other.shutdownNow();
            }

            List<IterationRecord> records = new ArrayList<>();
            builder.checkpoint(null, 0, null).resumeFrom(checkpoint);
            try (SparkResult r = builder.build().run(SharedSpark.context(), source, DType.FLOAT64, records::add);
                    DenseMatrix u = r.collectU()) {
                assertEquals(ITERATIONS, r.iterations());
                assertEquals(ITERATIONS - 40, records.size(), "records after the resume");
                assertEquals(40, records.get(0).iteration());
                assertSameBits(threePartitions(), new double[][][] {u.toArray(), r.v().toArray()}, "resumed run");
            }
            MatrixSource two = MatrixSource.open(SharedSpark.context(), input, 2);
            String refused = assertThrows(IllegalArgumentException.class, () -> builder.build()
                    .run(SharedSpark.context(), two, DType.FLOAT64)).getMessage();
            assertTrue(refused.contains("partitions 3, this run has 2"), refused);

            // a checkpoint of the form written before --task-threads: one thread per task, resumed as such
            Path old = dir.resolve("resume-before-task-threads");
            // (the only difference, checked in git: c479403 added the key, and the format has not changed since)
            OldCheckpoints.without(saved, old, "\"task_threads\":1,");
            Checkpoint before = Checkpoint.load(old);
            assertTrue(!before.configuration().containsKey("task_threads"), "the old form has no task_threads");
            builder.resumeFrom(before);
            try (SparkResult r = builder.build().run(SharedSpark.context(), source, DType.FLOAT64);
                    DenseMatrix u = r.collectU()) {
                assertSameBits(threePartitions(), new double[][][] {u.toArray(), r.v().toArray()},
                        "resumed from the old form");
            }
            String twoThreads = assertThrows(IllegalArgumentException.class, () -> builder.taskThreads(2).build()
                    .run(SharedSpark.context(), source, DType.FLOAT64)).getMessage();
            assertEquals("the checkpoint was written before --task-threads existed (its tasks ran one thread each), "
                    + "this run has task_threads 2: resume it with --task-threads 1", twoThreads);
        }
    }
}
