package org.autobalance.bench.sparse;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.kernel.SparseKernels;
import org.autobalance.kernel.SparsePanels;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;

/**
 * The sparse full loss's products at one thread, as the engine runs them, alternated call by call in one JVM (thread
 * CPU time, {@link SparseQuickTimer#alternate}): the two gather products ({@link SparseKernels#panelProduct} over
 * M's and Mᵀ's layouts, what the engine runs at two or more threads) against the one pass over M's aligned form
 * ({@link SparseKernels#panelFusedProduct}, what it runs at one) in the engine's panel count and in any others asked
 * for. Before timing, every form's MV and MᵀU are checked to be the two products' bits (hashes printed). 100 000 ×
 * 50 000, 5 M drawn entries, as {@code bench sparse}. Usage: {@code java --add-modules jdk.incubator.vector
 * --enable-native-access=ALL-UNNAMED -cp benchmarks.jar org.autobalance.bench.sparse.PanelFusedTimer
 * uniform|powerlaw float32|float64 RANK [reps] [panels,...]} (reps 11; the rank must make a row one vector of the
 * large-rank width: float32 r ≤ 16, float64 r ≤ 8 at 512 bits, half that at 256) (native-notes/sparse.md,
 * "Twenty-sixth session").
 */
public final class PanelFusedTimer {
    private PanelFusedTimer() {
    }

    public static void main(String[] args) {
        String pattern = args[0];
        DType t = DType.parse(args[1]);
        int r = Integer.parseInt(args[2]);
        int reps = args.length > 3 ? Integer.parseInt(args[3]) : 11;
        int d1 = 100_000;
        int d2 = 50_000;
        SparseKernels sk = KernelProvider.sparseSimd();
        if (!sk.panelled(t, r)) {
            throw new IllegalArgumentException("the kernels do not run the layouts at " + t.label() + " r = " + r
                    + " here (" + sk.name() + "): a row must be one vector");
        }
        if (!SparsePanels.enabled()) {
            throw new IllegalArgumentException("the layouts of M and Mt are off on this host (below 2 MiB of L2): "
                    + "give -Dautobalance.kernel.sparsePanelBytes=1048576 to time them");
        }
        try (SparseMatrix m = SparseProblem.matrix(pattern, t, d1, d2, 5_000_000L, 1);
                DenseMatrix u = SparseProblem.start(t, d1, r, 2);
                DenseMatrix v = SparseProblem.start(t, d2, r, 3);
                DenseMatrix mv = DenseMatrix.allocate(t, d1, r);
                DenseMatrix mtu = DenseMatrix.allocate(t, d2, r);
                DenseMatrix fmv = DenseMatrix.allocate(t, d1, r);
                DenseMatrix fmtu = DenseMatrix.allocate(t, d2, r)) {
            long rowBytes = (long) v.stride() * t.bytes();
            List<Integer> counts = new ArrayList<>(List.of(SparsePanels.alignedPanelCount(d2, rowBytes)));
            if (args.length > 4) {
                for (String c : args[4].split(",")) {
                    counts.add(Integer.parseInt(c));
                }
            }
            List<SparsePanels> layouts = new ArrayList<>();
            try {
                SparsePanels pm = SparsePanels.of(m, SparsePanels.panelCount(d2, rowBytes), new int[] {0, d1});
                layouts.add(pm);
                SparsePanels pt = SparsePanels.ofTransposed(m, SparsePanels.panelCount(d1, rowBytes),
                        new int[] {0, d2});
                layouts.add(pt);
                List<Runnable> calls = new ArrayList<>();
                List<String> names = new ArrayList<>();
                calls.add(() -> {
                    sk.panelProduct(pm, v, 0, mv);
                    sk.panelProduct(pt, u, 0, mtu);
                });
                names.add("two products, M " + pm.panels() + " + Mt " + pt.panels() + " panels");
                System.out.printf("%s %s %s r=%d nnz=%d; layouts of M %.1f MiB (padding %.1f %%) and Mt %.1f MiB "
                        + "(%.1f %%)%n", sk.name(), pattern, t.label(), r, m.nonZeros(), pm.bytes() / 1048576.0,
                        padding(pm, m), pt.bytes() / 1048576.0, padding(pt, m));
                sk.panelProduct(pm, v, 0, mv);
                sk.panelProduct(pt, u, 0, mtu);
                long mvHash = hash(mv);
                long mtuHash = hash(mtu);
                System.out.printf("  two products: MV hash %016x, MtU hash %016x%n", mvHash, mtuHash);
                for (int k = 0; k < counts.size(); k++) {
                    SparsePanels a = SparsePanels.aligned(m, counts.get(k), new int[] {0, m.rows()});
                    layouts.add(a);
                    fmv.segment().fill((byte) 0x7f); // every row must be written
                    fmtu.segment().fill((byte) 0x7f);
                    sk.panelFusedProduct(a, u, v, fmv, fmtu);
                    boolean same = hash(fmv) == mvHash && hash(fmtu) == mtuHash;
                    System.out.printf("  aligned form, %d panels of %d columns: %.1f MiB (padding %.1f %%); MV hash "
                            + "%016x, MtU hash %016x: %s%n", a.panels(), a.width(), a.bytes() / 1048576.0,
                            padding(a, m), hash(fmv), hash(fmtu), same ? "the two products' bits" : "DIFFERENT BITS");
                    if (!same) {
                        throw new IllegalStateException("the fused pass's bits differ from the two products'");
                    }
                    calls.add(() -> sk.panelFusedProduct(a, u, v, fmv, fmtu));
                    names.add("fused, " + a.panels() + " panels" + (k == 0 ? " (the engine's)" : ""));
                }
                SparseQuickTimer.Timings timings = SparseQuickTimer.alternate(calls.toArray(Runnable[]::new), reps);
                double[][] cpu = timings.cpu();
                for (int x = 0; x < calls.size(); x++) {
                    System.out.printf("  %-36s cpu min %7.2f ms  median %7.2f ms  (%.3f of the two products' median)"
                            + "  allocated max %d B%n", names.get(x), cpu[x][0], cpu[x][reps / 2],
                            cpu[x][reps / 2] / cpu[0][reps / 2], timings.allocated()[x][reps - 1]);
                }
            } finally {
                layouts.forEach(SparsePanels::close); // the layouts before the matrices they copy
            }
        }
    }

    /** Padded entries as a share of the stored entries, in percent. */
    private static double padding(SparsePanels p, SparseMatrix m) {
        long entries = p.starts().getAtIndex(ValueLayout.JAVA_LONG, (long) p.panels() * p.slices());
        return 100.0 * (entries - m.nonZeros()) / m.nonZeros();
    }

    /** FNV-1a over the rows' r elements' bits (the padding columns excluded). */
    private static long hash(DenseMatrix x) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < x.rows(); i++) {
            for (int c = 0; c < x.cols(); c++) {
                h = (h ^ Double.doubleToRawLongBits(x.get(i, c))) * 0x100000001b3L;
            }
        }
        return h;
    }
}
