package org.autobalance.bench.sparse;

import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.kernel.SparseKernels;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;

/**
 * A development timer (not a substitute for JMH or {@code bench sparse}) for the observed loss's pass alone, one
 * thread, at several ranks of one dtype called alternately on the same M, so that every rank sees the same machine
 * state and the ranks' costs per entry compare within one process. Reports the minimum and median thread CPU time of
 * each rank, the bytes a call allocated (0 once compiled), and a hash of the pass's outputs (pu and pv from zeros),
 * which two builds that claim the same bits must print alike.
 *
 * <p>Usage: {@code java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp benchmarks.jar
 * org.autobalance.bench.sparse.SparseObservedTimer float32|float64 uniform|powerlaw reps d1 d2 nnz r...}
 */
public final class SparseObservedTimer {
    private SparseObservedTimer() {
    }

    public static void main(String[] args) {
        DType t = DType.parse(args[0]);
        String pattern = args[1];
        int reps = Integer.parseInt(args[2]);
        int d1 = Integer.parseInt(args[3]);
        int d2 = Integer.parseInt(args[4]);
        long nnz = Long.parseLong(args[5]);
        int[] ranks = Arrays.stream(args, 6, args.length).mapToInt(Integer::parseInt).toArray();
        SparseKernels k = KernelProvider.sparseSimd();
        int n = ranks.length;
        DenseMatrix[] u = new DenseMatrix[n];
        DenseMatrix[] v = new DenseMatrix[n];
        DenseMatrix[] pu = new DenseMatrix[n];
        DenseMatrix[] pv = new DenseMatrix[n];
        try (SparseMatrix m = SparseProblem.matrix(pattern, t, d1, d2, nnz, 1)) {
            Runnable[] calls = new Runnable[n];
            for (int x = 0; x < n; x++) {
                u[x] = SparseProblem.start(t, d1, ranks[x], 2);
                v[x] = SparseProblem.start(t, d2, ranks[x], 3);
                pu[x] = DenseMatrix.allocate(t, d1, ranks[x]);
                pv[x] = DenseMatrix.allocate(t, d2, ranks[x]);
                int y = x;
                calls[x] = () -> {
                    pv[y].segment().fill((byte) 0); // the engine's zeroed partial
                    k.observedPass(m, u[y], v[y], 0, d1, pu[y], pv[y]);
                };
            }
            SparseQuickTimer.Timings timings = SparseQuickTimer.alternate(calls, reps);
            System.out.printf("%s %s %s %d x %d, %d stored%n", k.name(), t.label(), pattern, d1, d2, m.nonZeros());
            for (int x = 0; x < n; x++) {
                calls[x].run();
                int hash = 31 * Arrays.hashCode(pu[x].segment().toArray(ValueLayout.JAVA_BYTE))
                        + Arrays.hashCode(pv[x].segment().toArray(ValueLayout.JAVA_BYTE));
                double[] cpu = timings.cpu()[x];
                long[] allocated = timings.allocated()[x];
                System.out.printf("  r = %3d  cpu min %8.2f ms  median %8.2f ms  (%6.1f ns per entry)  allocated "
                        + "median %d B, max %d B  outputs %08x%n", ranks[x], cpu[0], cpu[reps / 2],
                        cpu[reps / 2] * 1e6 / m.nonZeros(), allocated[reps / 2], allocated[reps - 1], hash);
            }
        } finally {
            for (DenseMatrix[] a : new DenseMatrix[][] {u, v, pu, pv}) {
                for (DenseMatrix d : a) {
                    if (d != null) {
                        d.close();
                    }
                }
            }
        }
    }
}
