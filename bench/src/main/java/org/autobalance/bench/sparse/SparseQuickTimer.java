package org.autobalance.bench.sparse;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.kernel.SparseKernels;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;

/**
 * A quick development timer for the sparse full-loss pass (not a substitute for JMH or {@code bench sparse}): the
 * scatter form (one fused pass over M's rows, MᵀU scatter-added) against the gather form (MV over M's rows, then MᵀU
 * over Mᵀ's rows), called alternately so that both see the same machine state; reports the minimum and median thread
 * CPU time of each, one thread.
 *
 * <p>Usage: {@code java --add-modules jdk.incubator.vector -cp benchmarks.jar
 * org.autobalance.bench.sparse.SparseQuickTimer uniform|powerlaw r [reps] [d1 d2 nnz]}
 */
public final class SparseQuickTimer {
    private SparseQuickTimer() {
    }

    public static void main(String[] args) {
        String pattern = args[0];
        int r = Integer.parseInt(args[1]);
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        int d1 = args.length > 5 ? Integer.parseInt(args[3]) : 100_000;
        int d2 = args.length > 5 ? Integer.parseInt(args[4]) : 50_000;
        long nnz = args.length > 5 ? Long.parseLong(args[5]) : 5_000_000L;
        DType t = DType.FLOAT32;
        SparseKernels k = KernelProvider.sparseSimd();
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (SparseMatrix m = SparseProblem.matrix(pattern, t, d1, d2, nnz, 1);
                DenseMatrix u = SparseProblem.start(t, d1, r, 2);
                DenseMatrix v = SparseProblem.start(t, d2, r, 3);
                DenseMatrix mv = DenseMatrix.allocate(t, d1, r);
                DenseMatrix mtu = DenseMatrix.allocate(t, d2, r)) {
            long b0 = threads.getCurrentThreadCpuTime();
            try (SparseMatrix mt = m.transpose()) {
                double build = (threads.getCurrentThreadCpuTime() - b0) / 1e6;
                Runnable scatter = () -> {
                    mtu.segment().fill((byte) 0);
                    k.fusedPass(m, u, v, 0, d1, mv, mtu);
                };
                Runnable gather = () -> {
                    k.product(m, v, 0, d1, mv);
                    k.product(mt, u, 0, d2, mtu);
                };
                Runnable[] variants = {scatter, gather};
                String[] names = {"scatter (fused)", "gather (CSR+CSC)"};
                long end = System.nanoTime() + 4_000_000_000L;
                while (System.nanoTime() < end) {
                    for (Runnable x : variants) {
                        x.run();
                    }
                }
                double[][] cpu = new double[variants.length][reps];
                for (int i = 0; i < reps; i++) {
                    for (int x = 0; x < variants.length; x++) {
                        long c0 = threads.getCurrentThreadCpuTime();
                        variants[x].run();
                        cpu[x][i] = (threads.getCurrentThreadCpuTime() - c0) / 1e6;
                    }
                }
                System.out.printf("%s %s r=%d nnz=%d (transpose built in %.0f ms CPU)%n", k.name(), pattern, r,
                        m.nonZeros(), build);
                for (int x = 0; x < variants.length; x++) {
                    Arrays.sort(cpu[x]);
                    System.out.printf("  %-18s cpu min %7.2f ms  median %7.2f ms%n", names[x], cpu[x][0],
                            cpu[x][reps / 2]);
                }
            }
        }
    }
}
