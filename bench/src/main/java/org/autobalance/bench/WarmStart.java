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
 * Warm-up in library use: several factorizations, one after another in one JVM, each of a new shape and rank, and
 * for each the time of its first iterations against its steady state (issue 8's target: the first iteration of a new
 * shape in a warm JVM within 3× the steady-state iteration). Times come from the solver's own
 * {@link IterationRecord#seconds()}; "set-up" is the rest of {@code run()} (‖M‖, the σ₁ estimate, the start).
 *
 * <p>Usage: {@code java --add-modules jdk.incubator.vector -cp benchmarks.jar org.autobalance.bench.WarmStart
 * float32 2000x1500:10,3000x1000:16,1000x3000:5 [iterations=60] [threads=2]}
 */
public final class WarmStart {
    private WarmStart() {
    }

    public static void main(String[] args) {
        DType dtype = DType.parse(args[0]);
        int iterations = args.length > 2 ? Integer.parseInt(args[2]) : 60;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        System.out.printf("kernels %s, %s, %d threads, %d iterations per run (tol 0), JDK %s%n",
                KernelProvider.kernels().name(), dtype.label(), threads, iterations, Runtime.version());
        System.out.printf("%-16s %4s %9s %9s %9s %9s %11s %8s%n", "shape", "r", "set-up ms", "iter0 ms", "iter1 ms",
                "iter2 ms", "steady ms", "iter0/st");
        int run = 0;
        for (String spec : args[1].split(",")) {
            String[] p = spec.split("[x:]");
            int d1 = Integer.parseInt(p[0]);
            int d2 = Integer.parseInt(p[1]);
            int r = Integer.parseInt(p[2]);
            List<IterationRecord> records = new ArrayList<>();
            try (DenseMatrix m = planted(dtype, d1, d2, r, 7 + run++)) {
                long start = System.nanoTime();
                try (Result result = Factorizer.builder(m, r).threads(threads).tolerance(0).maxIterations(iterations)
                        .listener(records::add).build().run()) {
                    double total = (System.nanoTime() - start) * 1e-9;
                    double[] dt = new double[records.size()];
                    for (int t = 0; t < dt.length; t++) {
                        dt[t] = records.get(t).seconds() - (t == 0 ? 0.0 : records.get(t - 1).seconds());
                    }
                    // the steady state: the median of the second half
                    double[] tail = Arrays.copyOfRange(dt, dt.length / 2, dt.length);
                    Arrays.sort(tail);
                    double steady = tail[tail.length / 2];
                    System.out.printf("%-16s %4d %9.1f %9.2f %9.2f %9.2f %11.3f %8.1f%n", d1 + "x" + d2, r,
                            (total - result.seconds()) * 1e3, dt[0] * 1e3, dt[1] * 1e3, dt[2] * 1e3, steady * 1e3,
                            dt[0] / steady);
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
