package org.autobalance.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.autobalance.io.Npy;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.observe.IterationRecord;
import org.autobalance.schedule.ConstantSchedule;
import org.autobalance.parallel.EngineIteration;
import org.autobalance.solve.Initializer;
import org.autobalance.synthetic.KnownMatrices;

/**
 * The per-iteration cost of the Spark path against the engine on the same cores (native-notes/spark.md): a Gaussian
 * d × d float32 M in a .npy file, r = 16 and 64; the engine's iteration ({@link EngineIteration}, T threads) and a
 * Spark iteration on {@code local[T]} with T partitions, alternated within one JVM, medians over the iterations of
 * each run. Prints where the Spark iteration's time goes (driver: broadcast, job, reduction, V's step; tasks: run
 * time against the job's wall time).
 *
 * <p>Run: {@code java <flags> -cp <test classpath> org.autobalance.spark.SparkOverheadBenchmark [d] [T] [iterations]
 * [rounds] [ranks...]}.
 */
public final class SparkOverheadBenchmark {
    private SparkOverheadBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int d = args.length > 0 ? Integer.parseInt(args[0]) : 8192;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int iterations = args.length > 2 ? Integer.parseInt(args[2]) : 15;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        int[] ranks = args.length > 4 ? Arrays.stream(args, 4, args.length).mapToInt(Integer::parseInt).toArray()
                : new int[] {16, 64};
        Path file = Files.createTempFile("autobalance-bench-M", ".npy");
        try (DenseMatrix m = DenseMatrix.allocate(DType.FLOAT32, d, d)) {
            // uniform entries written in place: no d × d array on the heap to leave garbage for the measured phases
            SplittableRandom random = new SplittableRandom(1);
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    m.set(i, j, random.nextDouble(-1, 1));
                }
            }
            Npy.write(file, m);
        }
        SparkConf conf = new SparkConf().setMaster("local[" + threads + "]").setAppName("overhead")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1");
        JavaSparkContext sc = new JavaSparkContext(conf);
        sc.setLogLevel("ERROR");
        List<long[]> tasks = new ArrayList<>();
        sc.sc().addSparkListener(new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                TaskMetrics tm = end.taskMetrics();
                synchronized (tasks) {
                    tasks.add(new long[] {end.taskInfo().duration(), tm.executorRunTime(),
                        tm.executorDeserializeTime(), tm.resultSerializationTime()});
                }
            }
        });
        double eta = 1e-6;
        try (DenseMatrix m = Npy.read(file, DType.FLOAT32)) {
            System.out.printf("d = %d float32, T = %d, %d iterations x %d rounds%n", d, threads, iterations, rounds);
            for (int r : ranks) {
                List<Double> engine = new ArrayList<>();
                List<Double> spark = new ArrayList<>();
                List<Double> engineCpu = new ArrayList<>();
                List<Double> sparkCpu = new ArrayList<>();
                long engineGc = 0;
                long sparkGc = 0;
                DriverCosts costs = new DriverCosts();
                long taskRun = 0;
                long taskWall = 0;
                int taskCount = 0;
                for (int round = 0; round < rounds; round++) {
                    try (DenseMatrix u = KnownMatrices.gaussian(DType.FLOAT32, d, r, 0.01, 2);
                            DenseMatrix v = KnownMatrices.gaussian(DType.FLOAT32, d, r, 0.01, 3);
                            EngineIteration it = new EngineIteration(m, u, v, threads)) {
                        long gc0 = gcMillis();
                        for (int k = 0; k < iterations; k++) {
                            long t0 = System.nanoTime();
                            long c0 = cpuNanos();
                            it.iterate(eta);
                            engine.add((System.nanoTime() - t0) / 1e6);
                            engineCpu.add((cpuNanos() - c0) / 1e6);
                        }
                        engineGc += gcMillis() - gc0;
                    }
                    MatrixSource source = MatrixSource.open(sc, file, threads);
                    List<IterationRecord> records = new ArrayList<>();
                    List<Long> cpuAtRecord = new ArrayList<>();
                    synchronized (tasks) {
                        tasks.clear();
                    }
                    DriverCosts run = new DriverCosts();
                    long gc0 = gcMillis();
                    try (SparkResult result = SparkFactorizer.builder(r).initializer(Initializer.small(0.01))
                            .schedule(new ConstantSchedule(eta)).tolerance(0).maxIterations(iterations)
                            .driverThreads(threads).costs(run).build().run(sc, source, DType.FLOAT32, records::add,
                                    rec -> cpuAtRecord.add(cpuNanos()))) {
                        if (result.iterations() != iterations) {
                            throw new IllegalStateException("the Spark run stopped early: " + result.stopReason());
                        }
                        for (int k = 1; k < records.size(); k++) {
                            spark.add((records.get(k).seconds() - records.get(k - 1).seconds()) * 1e3);
                            sparkCpu.add((cpuAtRecord.get(k) - cpuAtRecord.get(k - 1)) / 1e6);
                        }
                    }
                    sparkGc += gcMillis() - gc0;
                    costs.iterations += run.iterations;
                    costs.broadcastNanos += run.broadcastNanos;
                    costs.jobNanos += run.jobNanos;
                    costs.reduceNanos += run.reduceNanos;
                    costs.driverStepNanos += run.driverStepNanos;
                    synchronized (tasks) {
                        // the iteration jobs' tasks: the last 2·iterations·T minus the final residual job's T
                        List<long[]> iterationTasks = tasks.subList(Math.max(0, tasks.size() - (iterations + 1)
                                * threads), tasks.size() - threads);
                        for (long[] t : iterationTasks) {
                            taskWall += t[0];
                            taskRun += t[1];
                            taskCount++;
                        }
                    }
                }
                double e = median(engine);
                double s = median(spark);
                System.out.printf("r = %3d: CPU time per iteration (all threads of the JVM): engine %.1f ms, spark %.1f "
                        + "ms (x%.2f); GC time per iteration: engine %.1f ms, spark run %.1f ms%n", r,
                        median(engineCpu), median(sparkCpu), median(sparkCpu) / median(engineCpu),
                        (double) engineGc / (rounds * iterations), (double) sparkGc / (rounds * iterations));
                System.out.printf("r = %3d: engine %.1f ms, spark %.1f ms per iteration (x%.2f); spark driver: "
                        + "broadcast %.1f, job %.1f, reduce %.1f, V step %.1f ms; tasks: run %.1f ms of %.1f ms "
                        + "wall each (%d tasks)%n", r, e, s, s / e, costs.perIterationMillis(costs.broadcastNanos),
                        costs.perIterationMillis(costs.jobNanos), costs.perIterationMillis(costs.reduceNanos),
                        costs.perIterationMillis(costs.driverStepNanos), (double) taskRun / taskCount,
                        (double) taskWall / taskCount, taskCount);
            }
        } finally {
            sc.stop();
            Files.deleteIfExists(file);
        }
    }

    /** CPU time of the whole process (every thread: the engine's workers, Spark's task and service threads). */
    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** Collection time of every collector so far (young and old pauses; G1's concurrent work is not included). */
    private static long gcMillis() {
        long t = 0;
        for (var gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            t += Math.max(0, gc.getCollectionTime());
        }
        return t;
    }

    private static double median(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }
}
