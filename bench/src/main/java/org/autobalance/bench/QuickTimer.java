package org.autobalance.bench;

import java.util.Arrays;
import org.autobalance.kernel.FactorKernels;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.synthetic.KnownMatrices;

/**
 * A quick development timer for the fused pass (not a substitute for JMH): warms up for a few seconds, then reports
 * the minimum and median of repeated calls, in wall time and in thread CPU time (which leaves out the time the
 * thread was descheduled: on a shared, overloaded machine the CPU-time minimum is the steadiest statistic for
 * comparing two variants of a kernel). Publish JMH numbers.
 *
 * <p>Usage: {@code java --add-modules jdk.incubator.vector -cp benchmarks.jar org.autobalance.bench.QuickTimer
 * float32 4096 1,16,64 [reps] [simd|scalar] [pass|step|gram]}: the kernel timed is the fused pass (default), the
 * gradient step (X = U, P = V, A = I, η = 0) or the Gram matrix of U; a GFLOP/s rate is printed for the pass only.
 */
public final class QuickTimer {
    private QuickTimer() {
    }

    public static void main(String[] args) {
        DType t = DType.parse(args[0]);
        int d = Integer.parseInt(args[1]);
        int reps = args.length > 3 ? Integer.parseInt(args[3]) : 30;
        FactorKernels k = args.length > 4 && args[4].equals("scalar") ? KernelProvider.scalar()
                : KernelProvider.simd();
        String kernel = args.length > 5 ? args[5] : "pass";
        try (DenseMatrix m = KnownMatrices.gaussian(t, d, d, 1.0, 1)) {
            for (String rs : args[2].split(",")) {
                int r = Integer.parseInt(rs);
                try (DenseMatrix u = KnownMatrices.gaussian(t, d, r, 1.0, 2);
                        DenseMatrix v = KnownMatrices.gaussian(t, d, r, 1.0, 3);
                        DenseMatrix mv = DenseMatrix.allocate(t, d, r);
                        DenseMatrix mtu = DenseMatrix.allocate(t, d, r)) {
                    double[] a = new double[r * r];
                    for (int i = 0; i < r; i++) {
                        a[i * r + i] = 1.0;
                    }
                    double[] gram = new double[r * r];
                    Runnable call = switch (kernel) {
                        case "pass" -> () -> k.fusedPass(m, u, v, 0, d, mv, mtu);
                        // η = 0: U stays as it is however many calls run (X += −0·G), and the step's work is the same
                        case "step" -> () -> k.gradientStep(u, v, a, 0.0, 0, d);
                        case "gram" -> () -> k.gram(u, 0, d, gram);
                        default -> throw new IllegalArgumentException("kernel must be pass, step or gram: "
                                + kernel);
                    };
                    long end = System.nanoTime() + 3_000_000_000L;
                    while (System.nanoTime() < end) {
                        call.run();
                    }
                    var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory
                            .getThreadMXBean();
                    long a0 = threads.getCurrentThreadAllocatedBytes();
                    call.run();
                    long alloc = threads.getCurrentThreadAllocatedBytes() - a0;
                    double[] ms = new double[reps];
                    double[] cpu = new double[reps];
                    for (int i = 0; i < reps; i++) {
                        long c0 = threads.getCurrentThreadCpuTime();
                        long t0 = System.nanoTime();
                        call.run();
                        ms[i] = (System.nanoTime() - t0) / 1e6;
                        cpu[i] = (threads.getCurrentThreadCpuTime() - c0) / 1e6;
                    }
                    Arrays.sort(ms);
                    Arrays.sort(cpu);
                    // the fused pass's 4·d²·r flops: the step and the Gram have d·r² work, and no rate is printed
                    String rate = kernel.equals("pass")
                            ? String.format("  (%.1f GFLOP/s at min)", 4.0 * d * d * r / ms[0] / 1e6) : "";
                    System.out.printf("%s %s %s d=%d r=%d  min %.2f ms  median %.2f ms%s  cpu min %.3f med %.3f ms  %d"
                            + " B allocated/call%n", k.name(), kernel, t.label(), d, r, ms[0], ms[reps / 2], rate,
                            cpu[0], cpu[reps / 2], alloc);
                }
            }
        }
    }
}
