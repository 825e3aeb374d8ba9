package org.autobalance.bench.sparse;

import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.autobalance.kernel.CsrPanels;
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
 * which two builds that claim the same bits must print alike. With {@code -Dpanels=P} (P ≥ 1) each rank's pass also
 * runs over M's column panels ({@code CsrPanels}, P panels), alternately with the pass over M, and prints its own
 * line: the same outputs hash when the bits are the same; {@code -Dpanels.only=true} runs the pass over the panels
 * alone (the JIT then sees one kind of call, as in an engine).
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
        int panels = Integer.getInteger("panels", 0);
        boolean only = Boolean.getBoolean("panels.only");
        int n = ranks.length * (panels > 0 && !only ? 2 : 1);
        DenseMatrix[] u = new DenseMatrix[n];
        DenseMatrix[] v = new DenseMatrix[n];
        DenseMatrix[] pu = new DenseMatrix[n];
        DenseMatrix[] pv = new DenseMatrix[n];
        try (SparseMatrix m = SparseProblem.matrix(pattern, t, d1, d2, nnz, 1);
                CsrPanels layout = panels > 0 ? CsrPanels.of(m, panels) : null) {
            Runnable[] calls = new Runnable[n];
            for (int x = 0; x < n; x++) {
                int rank = ranks[layout == null || only ? x : x / 2];
                u[x] = SparseProblem.start(t, d1, rank, 2);
                v[x] = SparseProblem.start(t, d2, rank, 3);
                pu[x] = DenseMatrix.allocate(t, d1, rank);
                pv[x] = DenseMatrix.allocate(t, d2, rank);
                int y = x;
                boolean overPanels = layout != null && (only || x % 2 == 1);
                calls[x] = () -> {
                    pv[y].segment().fill((byte) 0); // the engine's zeroed partial
                    if (overPanels) {
                        k.observedPass(layout, u[y], v[y], 0, d1, pu[y], pv[y]);
                    } else {
                        k.observedPass(m, u[y], v[y], 0, d1, pu[y], pv[y]);
                    }
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
                System.out.printf((layout != null && (only || x % 2 == 1) ? "  " + layout.panels() + " panels" : "")
                        + "  r = %3d  cpu min %8.2f ms  median %8.2f ms  (%6.1f ns per entry)  allocated "
                        + "median %d B, max %d B  outputs %08x%n", ranks[layout == null || only ? x : x / 2], cpu[0],
                        cpu[reps / 2], cpu[reps / 2] * 1e6 / m.nonZeros(), allocated[reps / 2], allocated[reps - 1],
                        hash);
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
