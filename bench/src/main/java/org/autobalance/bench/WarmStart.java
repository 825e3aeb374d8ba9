package org.autobalance.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.observe.IterationRecord;
import org.autobalance.solve.Factorizer;
import org.autobalance.solve.Result;
import org.autobalance.synthetic.KnownMatrices;

/**
 * Warm-up in library use: several factorizations, one after another in one JVM, each of a new shape, rank or dtype,
 * and for each the time of its first iterations against its steady state (issue 8's target: the first iteration of
 * a new shape in a warm JVM within 3× the steady-state iteration). Times come from the solver's own
 * {@link IterationRecord#seconds()}; "steady" is the median of iterations 5 to the end ("late" that of the second
 * half); "set-up" is the rest of {@code run()} (‖M‖, the σ₁ estimate, the start, the final exact residual); "total"
 * the whole of {@code run()}; "cpu st" and "cpu lt" are the steady and late medians of the calling thread's CPU time
 * per iteration, which with one thread (where the iterations run on it) leave out the time spent waiting for a core:
 * on a shared machine the figure to compare. With more threads they are "-": the calling thread runs one chunk and
 * spin-waits for the others, so its CPU time measures neither the work nor the wait. Each run has its gradient test
 * off (tolerance 0) to run its iterations in full; one whose rounded step stops moving U and V (a fixed point near
 * the optimum, {@code StopReason.STALLED}) still ends there, and its medians then cover the iterations it ran.
 *
 * <p>Usage: {@code java --add-modules jdk.incubator.vector -cp benchmarks.jar org.autobalance.bench.WarmStart
 * float32 2000x1500:10:400,3000x1000:16,1000x3000:5:float64 [iterations=60] [threads=2] [marks|times]}: a run's dtype
 * and iteration count are those of the arguments unless its spec names them (a warm-up run's longer count, here).
 * With {@code marks}, a line {@code @ run k iteration t} is printed after each of the first iterations, to place them
 * among the JVM's own log lines ({@code -XX:+PrintCompilation}, {@code -Xlog:deoptimization=debug}); the printing
 * then adds to the next iteration's time. With {@code times}, every iteration's time follows its row.
 */
public final class WarmStart {
    /** Iterations before the steady state: the first ones are what is measured against it. */
    private static final int STEADY_FROM = 5;
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();

    private WarmStart() {
    }

    public static void main(String[] args) {
        DType defaultType = DType.parse(args[0]);
        int iterations = args.length > 2 ? Integer.parseInt(args[2]) : 60;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        boolean marks = args.length > 4 && args[4].equals("marks");
        boolean times = args.length > 4 && args[4].equals("times");
        System.out.printf("kernels %s, %d threads, %d iterations per run unless said (tol 0), JDK %s%n",
                KernelProvider.kernels().name(), threads, iterations, Runtime.version());
        System.out.printf("%-12s %3s %-8s %9s %8s %8s %8s %8s %9s %7s %8s %9s %9s %9s%n", "shape", "r", "dtype",
                "set-up ms", "iter0 ms", "iter1 ms", "iter2 ms", "max3-4", "steady ms", "it0/st", "late ms",
                "total ms", "cpu st ms", "cpu lt ms");
        int run = 0;
        for (String spec : args[1].split(",")) {
            String[] p = spec.split("[x:]");
            int d1 = Integer.parseInt(p[0]);
            int d2 = Integer.parseInt(p[1]);
            int r = Integer.parseInt(p[2]);
            DType dtype = defaultType;
            int runIterations = iterations;
            for (int k = 3; k < p.length; k++) {
                if (p[k].chars().allMatch(Character::isDigit)) {
                    runIterations = Integer.parseInt(p[k]);
                } else {
                    dtype = DType.parse(p[k]);
                }
            }
            if (runIterations < 2 * STEADY_FROM) {
                throw new IllegalArgumentException("run " + spec + " has " + runIterations + " iterations; at least "
                        + 2 * STEADY_FROM + " are needed for a steady state");
            }
            int thisRun = run++;
            List<IterationRecord> records = new ArrayList<>();
            // the calling thread's CPU time at each record: with one thread the iterations run on it (ParallelPass),
            // so these differences leave out the time it waited for a core, which the records' clock includes (with
            // more it runs one chunk and spin-waits: not printed)
            List<Long> cpu = new ArrayList<>();
            try (DenseMatrix m = planted(dtype, d1, d2, r, 7 + thisRun)) {
                if (marks) {
                    // one write per line, so that the JVM's own log lines on the same stdout do not split it
                    System.out.print(String.format("@ run %d %dx%d:%d %s start%n", thisRun, d1, d2, r,
                            dtype.label()));
                }
                long start = System.nanoTime();
                try (Result result = Factorizer.builder(m, r).threads(threads).tolerance(0).maxIterations(runIterations)
                        .listener(records::add).listener(record -> cpu.add(THREADS.getCurrentThreadCpuTime()))
                        .listener(record -> {
                            if (marks && record.iteration() < STEADY_FROM) {
                                System.out.print(String.format("@ run %d iteration %d%n", thisRun,
                                        record.iteration()));
                            }
                        }).build().run()) {
                    double total = (System.nanoTime() - start) * 1e-9;
                    double[] dt = new double[records.size()];
                    for (int t = 0; t < dt.length; t++) {
                        dt[t] = records.get(t).seconds() - (t == 0 ? 0.0 : records.get(t - 1).seconds());
                    }
                    double[] tail = Arrays.copyOfRange(dt, STEADY_FROM, dt.length);
                    Arrays.sort(tail);
                    double steady = tail[tail.length / 2];
                    // the second half alone: a steady median pulled up by iterations still running uncompiled code
                    double[] late = Arrays.copyOfRange(dt, dt.length / 2, dt.length);
                    Arrays.sort(late);
                    double[] cpuTail = new double[cpu.size() - STEADY_FROM];
                    for (int t = STEADY_FROM; t < cpu.size(); t++) {
                        cpuTail[t - STEADY_FROM] = (cpu.get(t) - cpu.get(t - 1)) * 1e-9;
                    }
                    double[] cpuLate = Arrays.copyOfRange(cpuTail, cpu.size() / 2 - STEADY_FROM, cpuTail.length);
                    Arrays.sort(cpuTail);
                    Arrays.sort(cpuLate);
                    String cpuSteady = threads == 1 ? String.format("%.3f", cpuTail[cpuTail.length / 2] * 1e3) : "-";
                    String cpuLateMs = threads == 1 ? String.format("%.3f", cpuLate[cpuLate.length / 2] * 1e3) : "-";
                    System.out.printf("%-12s %3d %-8s %9.1f %8.3f %8.3f %8.3f %8.3f %9.3f %7.2f %8.3f %9.1f %9s"
                            + " %9s%n", d1 + "x" + d2, r, dtype.label(), (total - result.seconds()) * 1e3,
                            dt[0] * 1e3, dt[1] * 1e3, dt[2] * 1e3, Math.max(dt[3], dt[4]) * 1e3, steady * 1e3,
                            dt[0] / steady, late[late.length / 2] * 1e3, total * 1e3, cpuSteady, cpuLateMs);
                    if (times) {
                        StringBuilder line = new StringBuilder("  ms:");
                        for (double x : dt) {
                            line.append(String.format(" %.2f", x * 1e3));
                        }
                        System.out.println(line);
                    }
                }
            }
        }
    }

    /** M = A·Bᵀ/√r + 0.01·N with Gaussian A (d1 × r), B (d2 × r), N: the demo's problem at any shape. */
    static DenseMatrix planted(DType dtype, int d1, int d2, int r, long seed) {
        double[][] a = KnownMatrices.gaussian(d1, r, 1 / Math.sqrt(r), seed);
        double[][] b = KnownMatrices.gaussian(d2, r, 1.0, seed + 1);
        DenseMatrix m = KnownMatrices.gaussian(dtype, d1, d2, 0.01, seed + 2);
        for (int i = 0; i < d1; i++) {
            for (int j = 0; j < d2; j++) {
                double x = m.get(i, j);
                for (int k = 0; k < r; k++) {
                    x += a[i][k] * b[j][k];
                }
                m.set(i, j, x);
            }
        }
        return m;
    }
}
