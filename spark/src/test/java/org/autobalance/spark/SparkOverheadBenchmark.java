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
 * d × d float32 M in a .npy file, r = 16 and 64; the engine's iteration ({@link EngineIteration}, T threads) and two
 * Spark layouts on {@code local[T]} — T partitions of one thread, and one partition split among T task threads —
 * alternated within one JVM, medians over the iterations of each run. Prints where each Spark iteration's time goes
 * (driver: broadcast, job, reduction, V's step; tasks: run time against the job's wall time).
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
        try (DenseMatrix m = Npy.read(file, DType.FLOAT32)) {
            System.out.printf("d = %d float32, T = %d, %d iterations x %d rounds%n", d, threads, iterations, rounds);
            for (int r : ranks) {
                List<Double> engine = new ArrayList<>();
                List<Double> engineCpu = new ArrayList<>();
                long engineGc = 0;
                // T partitions of one thread each, and one partition split among T task threads
                SparkRuns thin = new SparkRuns(threads, 1);
                SparkRuns fat = new SparkRuns(1, threads);
                for (int round = 0; round < rounds; round++) {
                    try (DenseMatrix u = KnownMatrices.gaussian(DType.FLOAT32, d, r, 0.01, 2);
                            DenseMatrix v = KnownMatrices.gaussian(DType.FLOAT32, d, r, 0.01, 3);
                            EngineIteration it = new EngineIteration(m, u, v, threads)) {
                        long gc0 = gcMillis();
                        for (int k = 0; k < iterations; k++) {
                            long t0 = System.nanoTime();
                            long c0 = cpuNanos();
                            it.iterate(ETA);
                            engine.add((System.nanoTime() - t0) / 1e6);
                            engineCpu.add((cpuNanos() - c0) / 1e6);
                        }
                        engineGc += gcMillis() - gc0;
                    }
                    thin.run(sc, file, r, threads, iterations, tasks);
                    fat.run(sc, file, r, threads, iterations, tasks);
                }
                double e = median(engine);
                System.out.printf("r = %3d: engine (%d threads) %.1f ms per iteration, CPU %.1f ms, GC %.1f ms%n", r,
                        threads, e, median(engineCpu), (double) engineGc / (rounds * iterations));
                thin.print(r, e, median(engineCpu));
                fat.print(r, e, median(engineCpu));
            }
        } finally {
            sc.stop();
            Files.deleteIfExists(file);
        }
    }

    private static final double ETA = 1e-6;

    /** The Spark runs of one layout (partitions × task threads) at one rank, their times gathered over the rounds. */
    private static final class SparkRuns {
        final int partitions;
        final int taskThreads;
        final List<Double> wall = new ArrayList<>();
        final List<Double> cpu = new ArrayList<>();
        final DriverCosts costs = new DriverCosts();
        long gc;
        long taskRun;
        long taskWall;
        int taskCount;

        SparkRuns(int partitions, int taskThreads) {
            this.partitions = partitions;
            this.taskThreads = taskThreads;
        }

        void run(JavaSparkContext sc, Path file, int r, int driverThreads, int iterations, List<long[]> tasks) {
            MatrixSource source = MatrixSource.open(sc, file, partitions);
            List<IterationRecord> records = new ArrayList<>();
            List<Long> cpuAtRecord = new ArrayList<>();
            synchronized (tasks) {
                tasks.clear();
            }
            DriverCosts run = new DriverCosts();
            long gc0 = gcMillis();
            try (SparkResult result = SparkFactorizer.builder(r).initializer(Initializer.small(0.01))
                    .schedule(new ConstantSchedule(ETA)).tolerance(0).maxIterations(iterations)
                    .driverThreads(driverThreads).taskThreads(taskThreads).costs(run).build()
                    .run(sc, source, DType.FLOAT32, records::add, rec -> cpuAtRecord.add(cpuNanos()))) {
                if (result.iterations() != iterations) {
                    throw new IllegalStateException("the Spark run stopped early: " + result.stopReason());
                }
                for (int k = 1; k < records.size(); k++) {
                    wall.add((records.get(k).seconds() - records.get(k - 1).seconds()) * 1e3);
                    cpu.add((cpuAtRecord.get(k) - cpuAtRecord.get(k - 1)) / 1e6);
                }
            }
            gc += gcMillis() - gc0;
            costs.iterations += run.iterations;
            costs.broadcastNanos += run.broadcastNanos;
            costs.jobNanos += run.jobNanos;
            costs.reduceNanos += run.reduceNanos;
            costs.driverStepNanos += run.driverStepNanos;
            synchronized (tasks) {
                // the iteration jobs' tasks: the last (iterations + 1)·P minus the final residual job's P
                List<long[]> iterationTasks = tasks.subList(Math.max(0, tasks.size() - (iterations + 1)
                        * partitions), tasks.size() - partitions);
                for (long[] t : iterationTasks) {
                    taskWall += t[0];
                    taskRun += t[1];
                    taskCount++;
                }
            }
        }

        void print(int r, double engineWall, double engineCpu) {
            double s = median(wall);
            System.out.printf("r = %3d: spark %d partition(s) x %d task thread(s): %.1f ms per iteration (x%.2f), CPU "
                    + "%.1f ms (x%.2f), GC %.1f ms; driver: broadcast %.1f, job %.1f, reduce %.1f, V step %.1f ms; "
                    + "tasks: run %.1f ms of %.1f ms wall each (%d tasks)%n", r, partitions, taskThreads, s,
                    s / engineWall, median(cpu), median(cpu) / engineCpu, (double) gc / Math.max(1, costs.iterations),
                    costs.perIterationMillis(costs.broadcastNanos), costs.perIterationMillis(costs.jobNanos),
                    costs.perIterationMillis(costs.reduceNanos), costs.perIterationMillis(costs.driverStepNanos),
                    (double) taskRun / taskCount, (double) taskWall / taskCount, taskCount);
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
