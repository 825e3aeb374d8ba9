package org.autobalance.bench.sparse;

import java.util.Arrays;
import org.autobalance.kernel.FactorKernels;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.kernel.SparseKernels;
import org.autobalance.kernel.SparsePanels;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;
import org.autobalance.parallel.EngineIteration;

/**
 * A development timer (not a substitute for JMH or {@code bench sparse}) that splits one sparse full-loss iteration,
 * one thread, into the calls the engine makes at two or more threads — MV over M, MᵀU over Mᵀ (over their column
 * panels where the kernels run them, {@link SparsePanels}; at one thread the engine runs both in one pass over M's
 * aligned form instead, which {@code PanelFusedTimer} times), UᵀU, VᵀV, ⟨U, MV⟩, the step of U and of V — each timed
 * by thread CPU time, and
 * times the observed loss's pass, the two products in CSR order, the steps that add up the new factor's Gram (the
 * engine's since the twenty-second session: its passes then sweep neither factor) and the whole full-loss
 * {@link EngineIteration}
 * beside them, all called alternately so every phase sees the same machine state. Reports the
 * minimum and median of each over {@code reps} rounds, and the median and most bytes one call allocated (the
 * iteration allocates none once compiled).
 *
 * <p>Usage: {@code java --add-modules jdk.incubator.vector -cp benchmarks.jar
 * org.autobalance.bench.sparse.SparsePhaseTimer uniform|powerlaw r [reps] [d1 d2 nnz]}
 */
public final class SparsePhaseTimer {
    private SparsePhaseTimer() {
    }

    public static void main(String[] args) {
        SparseQuickTimer.Args a = SparseQuickTimer.Args.parse(args);
        String pattern = a.pattern();
        int r = a.r();
        int reps = a.reps();
        int d1 = a.d1();
        int d2 = a.d2();
        long nnz = a.nnz();
        DType t = DType.FLOAT32;
        SparseKernels sk = KernelProvider.sparseSimd();
        FactorKernels k = KernelProvider.simd();
        try (SparseMatrix m = SparseProblem.matrix(pattern, t, d1, d2, nnz, 1);
                DenseMatrix u = SparseProblem.start(t, d1, r, 2);
                DenseMatrix v = SparseProblem.start(t, d2, r, 3);
                DenseMatrix u2 = SparseProblem.start(t, d1, r, 2);
                DenseMatrix v2 = SparseProblem.start(t, d2, r, 3);
                DenseMatrix mv = DenseMatrix.allocate(t, d1, r);
                DenseMatrix mtu = DenseMatrix.allocate(t, d2, r);
                EngineIteration it = new EngineIteration(k, sk, m, u2, v2, 1, false)) {
            var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            // each build timed alone: Mt's CSR (for the CSR products here; the engine's layouts need none), M's
            // layout, Mt's from Mt's CSR and Mt's from M (the engine's; the same bytes)
            long[] at = new long[5];
            at[0] = threads.getCurrentThreadCpuTime();
            SparseMatrix mt = m.transposed(); // owned by m
            at[1] = threads.getCurrentThreadCpuTime();
            long rowBytes = (long) mv.stride() * t.bytes();
            // the layouts of M and Mt where this host builds them (below 2 MiB of L2 it does not: the CSR products)
            boolean panelled = sk.panelled(t, r) && SparsePanels.enabled();
            try (SparsePanels pm = panelled ? SparsePanels.of(m, SparsePanels.panelCount(d2, rowBytes),
                    new int[] {0, d1}) : null) {
                at[2] = threads.getCurrentThreadCpuTime();
                // the time taken before the layout's close: the window is its build alone
                try (SparsePanels _ = panelled ? SparsePanels.of(mt, SparsePanels.panelCount(d1, rowBytes),
                        new int[] {0, d2}) : null) {
                    at[3] = threads.getCurrentThreadCpuTime();
                }
                try (SparsePanels pt = panelled ? SparsePanels.ofTransposed(m, SparsePanels.panelCount(d1, rowBytes),
                        new int[] {0, d2}) : null) {
                    at[4] = threads.getCurrentThreadCpuTime();
                    double[] gu = new double[r * r];
                    double[] gv = new double[r * r];
                    // a tiny step keeps the factors bounded over many calls; its size does not change the work
                    double eta = 1e-9;
                    String[] names = {pm == null ? "MV (gather over M)" : "MV (" + pm.panels() + " panels)",
                        pt == null ? "MtU (gather over Mt)" : "MtU (" + pt.panels() + " panels)", "gram U", "gram V",
                        "dot <U,MV>", "step U", "step V", "observed pass", "MV in CSR order", "MtU in CSR order",
                        "step U + its gram", "step V + its gram", "engine iteration"};
                    Runnable[] phases = {
                        () -> {
                            if (pm != null) {
                                sk.panelProduct(pm, v, 0, mv);
                            } else {
                                sk.product(m, v, 0, d1, mv);
                            }
                        },
                        () -> {
                            if (pt != null) {
                                sk.panelProduct(pt, u, 0, mtu);
                            } else {
                                sk.product(mt, u, 0, d2, mtu);
                            }
                        },
                        () -> {
                            Arrays.fill(gu, 0.0);
                            k.gram(u, 0, d1, gu);
                        },
                        () -> {
                            Arrays.fill(gv, 0.0);
                            k.gram(v, 0, d2, gv);
                        },
                        () -> k.dot(u, mv, 0, d1),
                        () -> k.gradientStep(u, mv, gv, eta, 0, d1),
                        () -> k.gradientStep(v, mtu, gu, eta, 0, d2),
                        () -> {
                            // the observed loss's pass (not part of the full-loss iteration timed last): zeroing its
                            // scatter target as the engine does
                            mtu.segment().fill((byte) 0);
                            sk.observedPass(m, u, v, 0, d1, mv, mtu);
                        },
                        () -> sk.product(m, v, 0, d1, mv),
                        () -> sk.product(mt, u, 0, d2, mtu),
                        // the engine's step: the new factor's Gram added up as it is stepped (the next pass's UᵀU, VᵀV)
                        () -> {
                            Arrays.fill(gu, 0.0);
                            k.gradientStepAndGram(u, mv, gv, eta, 0, d1, gu);
                        },
                        () -> {
                            Arrays.fill(gv, 0.0);
                            k.gradientStepAndGram(v, mtu, gu, eta, 0, d2, gv);
                        },
                        () -> it.iterate(eta)
                    };
                    SparseQuickTimer.Timings timings = SparseQuickTimer.alternate(phases, reps);
                    double[][] cpu = timings.cpu();
                    System.out.printf("%s + %s %s r=%d nnz=%d%n", k.name(), sk.name(), pattern, r, m.nonZeros());
                    for (SparsePanels p : new SparsePanels[] {pm, pt}) {
                        if (p != null) {
                            System.out.printf("  panels of a %d x %d matrix: %d of %d columns, %.1f MiB%n",
                                    p.rows(), p.cols(), p.panels(), p.width(), p.bytes() / 1048576.0);
                        }
                    }
                    if (pm != null) {
                        System.out.printf("  built in ms of CPU: Mt's CSR %.0f, M's layout %.0f, Mt's from Mt's "
                                + "CSR %.0f, Mt's from M %.0f%n", (at[1] - at[0]) / 1e6, (at[2] - at[1]) / 1e6,
                                (at[3] - at[2]) / 1e6, (at[4] - at[3]) / 1e6);
                    }
                    double sum = 0;
                    int fullLoss = 7; // the phases before the observed pass
                    for (int x = 0; x < phases.length; x++) {
                        if (x < fullLoss) {
                            sum += cpu[x][reps / 2];
                        } else if (x == fullLoss) {
                            System.out.printf("  %-22s cpu median %7.2f ms%n", "sum of full-loss phases", sum);
                        }
                        long[] bytes = timings.allocated()[x];
                        System.out.printf("  %-22s cpu min %7.2f ms  median %7.2f ms  allocated median %d B, "
                                + "max %d B%n", names[x], cpu[x][0], cpu[x][reps / 2], bytes[reps / 2],
                                bytes[reps - 1]);
                    }
                }
            }
        }
    }
}
