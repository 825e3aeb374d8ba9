package org.autobalance.bench.sparse;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.kernel.SparseKernels;
import org.autobalance.kernel.SparsePanels;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;

/**
 * A lab prototype (native-notes/sparse.md, "Twenty-fifth session: the two products in one pass"): the sparse full
 * loss's two products MV and MᵀU at float32 r = 16 in ONE pass over M's panel layout ({@link SparsePanels#of}, the
 * engine's own bytes), against the engine's two products as they run ({@link SparseKernels#panelProduct} over M's and
 * Mᵀ's layouts), alternated call by call, one thread, thread CPU time. Within a column panel (columns J_p, whose
 * rows of V and of MᵀU are both meant to stay in L2) each slice of 4 rows of M gathers as the engine does,
 * mv_i += m·V[j], and scatter-adds MᵀU[j] += m·U[i] with the slice's 4 rows of U in registers; a panel's rows of MᵀU
 * are zeroed when the panel starts (each column lies in one panel). So the entries are read once, not twice, and no layout of
 * Mᵀ is needed.
 *
 * <p>Three forms are timed. "interleaved": the scatter in the gather's loop, entry t of lanes 0..3 in
 * turn; MᵀU[j] then adds its rows in the layout's order (slices, each window's rows ordered by their entries in the
 * panel, entries by position), which depends on the panel count. "row-ordered": each window of 8 rows gathers its two
 * slices, then scatters its rows in increasing row order, one loop per row; MᵀU[j] then adds its rows in increasing
 * order from +0, the engine's own order for MᵀU (and the same bits, padding aside), whatever the panel count. "paired
 * rows": as interleaved, with row j of V and of MᵀU side by side in one 128-byte row (one index, adjacent lines); V
 * copied in and MᵀU out are timed apart. MV's order is the engine's in all three (one chain a row, column order, carried between panels), so MV must equal the
 * engine's bit for bit; MᵀU is checked against the engine's within the bound of two float sums of n_j terms.
 *
 * <p>Runs at 512 bits: one float32 vector is one r = 16 row. Usage: {@code java --add-modules jdk.incubator.vector
 * --enable-native-access=ALL-UNNAMED -cp benchmarks.jar org.autobalance.bench.sparse.FusedPanelTimer
 * uniform|powerlaw [reps] [panels,...]} (defaults 15 and 4,6,8,12).
 */
public final class FusedPanelTimer {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat E = ValueLayout.JAVA_FLOAT;
    private static final int R = 16;
    /** The JDK's class of native segments: a cast to it lets C2 inline the segment's accessors (NativeSegments). */
    private static final Class<?> NATIVE = MemorySegment.NULL.getClass();

    private FusedPanelTimer() {
    }

    public static void main(String[] args) {
        String pattern = args[0];
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        String counts = args.length > 2 ? args[2] : "4,6,8,12";
        int d1 = 100_000;
        int d2 = 50_000;
        DType t = DType.FLOAT32;
        SparseKernels sk = KernelProvider.sparseSimd();
        List<SparsePanels> layouts = new ArrayList<>();
        try (SparseMatrix m = SparseProblem.matrix(pattern, t, d1, d2, 5_000_000L, 1);
                DenseMatrix u = SparseProblem.start(t, d1, R, 2);
                DenseMatrix v = SparseProblem.start(t, d2, R, 3);
                DenseMatrix mv = DenseMatrix.allocate(t, d1, R);
                DenseMatrix mtu = DenseMatrix.allocate(t, d2, R);
                DenseMatrix fmv = DenseMatrix.allocate(t, d1, R);
                DenseMatrix fmtu = DenseMatrix.allocate(t, d2, R);
                DenseMatrix vz = DenseMatrix.allocate(t, d2, 2 * R)) {
            if (v.stride() * Float.BYTES != S.vectorByteSize() || !sk.panelled(t, R)) {
                throw new IllegalStateException("needs 512-bit vectors (a float32 r = 16 row is one vector)");
            }
            long rowBytes = (long) v.stride() * t.bytes();
            SparsePanels pm = SparsePanels.of(m, SparsePanels.panelCount(d2, rowBytes), new int[] {0, d1});
            SparsePanels pt = SparsePanels.ofTransposed(m, SparsePanels.panelCount(d1, rowBytes), new int[] {0, d2});
            layouts.add(pm);
            layouts.add(pt);
            List<Runnable> calls = new ArrayList<>();
            List<String> names = new ArrayList<>();
            calls.add(() -> {
                sk.panelProduct(pm, v, 0, mv);
                sk.panelProduct(pt, u, 0, mtu);
            });
            names.add("engine MV (" + pm.panels() + ") + MtU (" + pt.panels() + ")");
            calls.add(() -> sk.panelProduct(pm, v, 0, mv));
            names.add("engine MV alone");
            calls.add(() -> sk.panelProduct(pt, u, 0, mtu));
            names.add("engine MtU alone");
            long st = (long) v.stride() * Float.BYTES;
            long sx = (long) vz.stride() * Float.BYTES;
            MemorySegment zs = vz.segment().asSlice(st);
            calls.add(() -> pairRows(v, vz, mtu, true));
            names.add("paired rows: V in, MtU out");
            System.out.printf("%s %s r=%d nnz=%d; engine layouts: M %d panels %.1f MiB (padding %.1f %%), Mt %d "
                    + "panels %.1f MiB (padding %.1f %%)%n", sk.name(), pattern, R, m.nonZeros(), pm.panels(),
                    pm.bytes() / 1048576.0, padding(pm, m), pt.panels(), pt.bytes() / 1048576.0, padding(pt, m));
            List<SparsePanels> fused = new ArrayList<>();
            for (String c : counts.split(",")) {
                SparsePanels p = SparsePanels.of(m, Integer.parseInt(c), new int[] {0, d1});
                layouts.add(p);
                fused.add(p);
                System.out.printf("  fused layout: %d panels of %d columns, %.1f MiB, padding %.1f %%%n",
                        p.panels(), p.width(), p.bytes() / 1048576.0, padding(p, m));
                calls.add(() -> fusedProduct(p, u.segment(), fmv.segment(), st, v.segment(), fmtu.segment(), st,
                        false));
                names.add("fused " + p.panels() + " interleaved");
                calls.add(() -> fusedProduct(p, u.segment(), fmv.segment(), st, v.segment(), fmtu.segment(), st,
                        true));
                names.add("fused " + p.panels() + " row-ordered");
                calls.add(() -> fusedProduct(p, u.segment(), fmv.segment(), st, vz.segment(), zs, sx, false));
                names.add("fused " + p.panels() + " paired rows");
            }
            // the checks first, on cold code: MV bit for bit, MᵀU within the bound
            sk.panelProduct(pm, v, 0, mv);
            sk.panelProduct(pt, u, 0, mtu);
            double[] bound = bound(m, u);
            System.out.printf("  engine: MV hash %016x, MtU hash %016x%n", hash(mv), hash(mtu));
            for (SparsePanels p : fused) {
                for (int form = 0; form < 3; form++) {
                    fmv.segment().fill((byte) 0x7f); // every row must be written
                    fmtu.segment().fill((byte) 0x7f);
                    vz.segment().fill((byte) 0x7f);
                    if (form < 2) {
                        fusedProduct(p, u.segment(), fmv.segment(), st, v.segment(), fmtu.segment(), st, form == 1);
                    } else {
                        pairRows(v, vz, fmtu, false);
                        fusedProduct(p, u.segment(), fmv.segment(), st, vz.segment(), zs, sx, false);
                        pairRows(v, vz, fmtu, true);
                    }
                    System.out.printf("  fused %2d %-12s: MV hash %016x (%s), MtU hash %016x (%s)%n", p.panels(),
                            new String[] {"interleaved", "row-ordered", "paired rows"}[form], hash(fmv),
                            hash(fmv) == hash(mv) ? "equal" : "DIFFERS", hash(fmtu), check(mtu, fmtu, bound));
                }
            }
            SparseQuickTimer.Timings timings = SparseQuickTimer.alternate(calls.toArray(Runnable[]::new), reps);
            double[][] cpu = timings.cpu();
            for (int x = 0; x < calls.size(); x++) {
                long[] bytes = timings.allocated()[x];
                System.out.printf("  %-30s cpu min %7.2f ms  median %7.2f ms  (%.2f of the engine's median)  "
                        + "allocated max %d B%n", names.get(x), cpu[x][0], cpu[x][reps / 2],
                        cpu[x][reps / 2] / cpu[0][reps / 2], bytes[reps - 1]);
            }
        } finally {
            layouts.forEach(SparsePanels::close);
        }
    }

    /**
     * V's rows into the first halves of {@code vz}'s rows and, when {@code out}, also the second halves (MᵀU, after a
     * pass) out to {@code mtu}: the "paired rows" form keeps row j of V and of MᵀU in one 128-byte row.
     */
    private static void pairRows(DenseMatrix v, DenseMatrix vz, DenseMatrix mtu, boolean out) {
        long st = (long) v.stride() * Float.BYTES;
        long sx = (long) vz.stride() * Float.BYTES;
        for (long j = 0; j < v.rows(); j++) {
            MemorySegment.copy(v.segment(), j * st, vz.segment(), j * sx, st);
            if (out) {
                MemorySegment.copy(vz.segment(), j * sx + st, mtu.segment(), j * st, st);
            }
        }
    }

    /**
     * MV and MᵀU in one pass over M's layout {@code a}: MV's rows as {@link SparseKernels#panelProduct} sums them, and
     * MᵀU scatter-added per entry, interleaved with the gather or, when {@code ordered}, per window in row order.
     * Rows of U and MV are {@code st} bytes apart, rows of V and MᵀU {@code sx} (each 64 bytes long).
     */
    static void fusedProduct(SparsePanels a, MemorySegment us, MemorySegment ys, long st, MemorySegment vs,
            MemorySegment zs, long sx, boolean ordered) {
        MemorySegment rows = a.sliceRows();
        MemorySegment order = a.order();
        MemorySegment starts = a.starts();
        MemorySegment col = a.columns();
        MemorySegment val = a.values();
        int ns = a.slices();
        long n = a.rows();
        int w = a.width();
        for (int p = 0; p < a.panels(); p++) {
            long c0 = (long) p * w;
            long c1 = Math.min(c0 + w, a.cols());
            for (long j = c0; j < c1; j++) {
                FloatVector.zero(S).intoMemorySegment(exact(zs), j * sx, NO);
            }
            long base = (long) p * ns;
            if (!ordered) {
                for (int s = 0; s < ns; s++) {
                    int first = rows.getAtIndex(ValueLayout.JAVA_INT, s);
                    int nr = rows.getAtIndex(ValueLayout.JAVA_INT, s + 1) - first;
                    slice(col, val, starts.getAtIndex(ValueLayout.JAVA_LONG, base + s),
                            starts.getAtIndex(ValueLayout.JAVA_LONG, base + s + 1), st, sx, us, vs, ys, zs, order,
                            p * n + first, nr, p > 0, true);
                }
                continue;
            }
            // windows of WINDOW rows = 2 slices (one chunk from row 0: windows start at multiples of 8)
            int perWindow = SparsePanels.WINDOW / SparsePanels.SLICE;
            for (int s0 = 0; s0 < ns; s0 += perWindow) {
                int s1 = Math.min(s0 + perWindow, ns);
                for (int s = s0; s < s1; s++) {
                    int first = rows.getAtIndex(ValueLayout.JAVA_INT, s);
                    int nr = rows.getAtIndex(ValueLayout.JAVA_INT, s + 1) - first;
                    slice(col, val, starts.getAtIndex(ValueLayout.JAVA_LONG, base + s),
                            starts.getAtIndex(ValueLayout.JAVA_LONG, base + s + 1), st, sx, us, vs, ys, zs, order,
                            p * n + first, nr, p > 0, false);
                }
                scatterInRowOrder(col, val, starts, rows, order, base, s0, s1, p * n, st, sx, us, zs);
            }
        }
    }

    /**
     * One slice of one panel: the engine's gather (4 chains, MV's rows from 0 in panel 0, else carried) and, when
     * {@code scatter}, MᵀU[j] += m·U[i] for each entry in the same loop.
     */
    private static void slice(MemorySegment col, MemorySegment val, long ks, long ke, long st, long sx,
            MemorySegment us,
            MemorySegment vs, MemorySegment ys, MemorySegment zs, MemorySegment order, long at, int nr,
            boolean carry, boolean scatter) {
        long ro = order.getAtIndex(ValueLayout.JAVA_INT, at) * st;
        long r1 = nr > 1 ? order.getAtIndex(ValueLayout.JAVA_INT, at + 1) * st : ro;
        long r2 = nr > 2 ? order.getAtIndex(ValueLayout.JAVA_INT, at + 2) * st : ro;
        long r3 = nr > 3 ? order.getAtIndex(ValueLayout.JAVA_INT, at + 3) * st : ro;
        int n = (int) (ke - ks);
        MemorySegment c = exact(col).asSlice(ks * Integer.BYTES, n * (long) Integer.BYTES);
        MemorySegment w = exact(val).asSlice(ks * Float.BYTES, n * (long) Float.BYTES);
        // typed once: a call of exact per access was left a call (not inlined) in this method's loop
        MemorySegment x = exact(vs);
        MemorySegment y = exact(ys);
        MemorySegment z = exact(zs);
        MemorySegment uu = exact(us);
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        if (carry) {
            a0 = FloatVector.fromMemorySegment(S, y, ro, NO);
            a1 = FloatVector.fromMemorySegment(S, y, r1, NO);
            a2 = FloatVector.fromMemorySegment(S, y, r2, NO);
            a3 = FloatVector.fromMemorySegment(S, y, r3, NO);
        }
        if (scatter) {
            // a missing lane (nr < 4) has only padding (value 0): its row of U is any finite row
            FloatVector u0 = FloatVector.fromMemorySegment(S, uu, ro, NO);
            FloatVector u1 = FloatVector.fromMemorySegment(S, uu, r1, NO);
            FloatVector u2 = FloatVector.fromMemorySegment(S, uu, r2, NO);
            FloatVector u3 = FloatVector.fromMemorySegment(S, uu, r3, NO);
            for (int t = 0; t < n; t += SparsePanels.SLICE) {
                long j0 = c.getAtIndex(ValueLayout.JAVA_INT, t) * sx;
                FloatVector m0 = FloatVector.broadcast(S, w.getAtIndex(E, t));
                a0 = m0.fma(FloatVector.fromMemorySegment(S, x, j0, NO), a0);
                m0.fma(u0, FloatVector.fromMemorySegment(S, z, j0, NO)).intoMemorySegment(z, j0, NO);
                long j1 = c.getAtIndex(ValueLayout.JAVA_INT, t + 1) * sx;
                FloatVector m1 = FloatVector.broadcast(S, w.getAtIndex(E, t + 1));
                a1 = m1.fma(FloatVector.fromMemorySegment(S, x, j1, NO), a1);
                m1.fma(u1, FloatVector.fromMemorySegment(S, z, j1, NO)).intoMemorySegment(z, j1, NO);
                long j2 = c.getAtIndex(ValueLayout.JAVA_INT, t + 2) * sx;
                FloatVector m2 = FloatVector.broadcast(S, w.getAtIndex(E, t + 2));
                a2 = m2.fma(FloatVector.fromMemorySegment(S, x, j2, NO), a2);
                m2.fma(u2, FloatVector.fromMemorySegment(S, z, j2, NO)).intoMemorySegment(z, j2, NO);
                long j3 = c.getAtIndex(ValueLayout.JAVA_INT, t + 3) * sx;
                FloatVector m3 = FloatVector.broadcast(S, w.getAtIndex(E, t + 3));
                a3 = m3.fma(FloatVector.fromMemorySegment(S, x, j3, NO), a3);
                m3.fma(u3, FloatVector.fromMemorySegment(S, z, j3, NO)).intoMemorySegment(z, j3, NO);
            }
        } else {
            for (int t = 0; t < n; t += SparsePanels.SLICE) {
                long j0 = c.getAtIndex(ValueLayout.JAVA_INT, t) * sx;
                a0 = FloatVector.broadcast(S, w.getAtIndex(E, t))
                        .fma(FloatVector.fromMemorySegment(S, x, j0, NO), a0);
                long j1 = c.getAtIndex(ValueLayout.JAVA_INT, t + 1) * sx;
                a1 = FloatVector.broadcast(S, w.getAtIndex(E, t + 1))
                        .fma(FloatVector.fromMemorySegment(S, x, j1, NO), a1);
                long j2 = c.getAtIndex(ValueLayout.JAVA_INT, t + 2) * sx;
                a2 = FloatVector.broadcast(S, w.getAtIndex(E, t + 2))
                        .fma(FloatVector.fromMemorySegment(S, x, j2, NO), a2);
                long j3 = c.getAtIndex(ValueLayout.JAVA_INT, t + 3) * sx;
                a3 = FloatVector.broadcast(S, w.getAtIndex(E, t + 3))
                        .fma(FloatVector.fromMemorySegment(S, x, j3, NO), a3);
            }
        }
        a0.intoMemorySegment(y, ro, NO);
        if (nr > 1) {
            a1.intoMemorySegment(y, r1, NO);
        }
        if (nr > 2) {
            a2.intoMemorySegment(y, r2, NO);
        }
        if (nr > 3) {
            a3.intoMemorySegment(y, r3, NO);
        }
    }

    /**
     * MᵀU[j] += m·U[i] for the rows of slices [s0, s1) of one panel (one window) in increasing row order, each row's
     * entries (padding included: 0·U[i] adds ±0) in column order: one loop per row.
     */
    private static void scatterInRowOrder(MemorySegment col, MemorySegment val, MemorySegment starts,
            MemorySegment rows, MemorySegment order, long base, int s0, int s1, long at, long st, long sx,
            MemorySegment us, MemorySegment zs) {
        MemorySegment c = exact(col);
        MemorySegment w = exact(val);
        MemorySegment z = exact(zs);
        MemorySegment uu = exact(us);
        int first = rows.getAtIndex(ValueLayout.JAVA_INT, s0);
        int nr = rows.getAtIndex(ValueLayout.JAVA_INT, s1) - first;
        // the window's positions by row: the panel orders each window's rows among themselves
        long byRow = 0; // 8 positions of 4 bits, indexed by row - first
        for (int x = 0; x < nr; x++) {
            int row = order.getAtIndex(ValueLayout.JAVA_INT, at + first + x);
            byRow |= (long) x << (4 * (row - first));
        }
        for (int y = 0; y < nr; y++) {
            int x = (int) (byRow >>> (4 * y)) & 0xf;
            int s = s0 + x / SparsePanels.SLICE;
            long ks = starts.getAtIndex(ValueLayout.JAVA_LONG, base + s) + x % SparsePanels.SLICE;
            long ke = starts.getAtIndex(ValueLayout.JAVA_LONG, base + s + 1);
            FloatVector ui = FloatVector.fromMemorySegment(S, uu, (first + y) * st, NO);
            for (long k = ks; k < ke; k += SparsePanels.SLICE) {
                long j = c.getAtIndex(ValueLayout.JAVA_INT, k) * sx;
                FloatVector.broadcast(S, w.getAtIndex(E, k)).fma(ui, FloatVector.fromMemorySegment(S, z, j, NO))
                        .intoMemorySegment(z, j, NO);
            }
        }
    }

    private static MemorySegment exact(MemorySegment s) {
        return (MemorySegment) NATIVE.cast(s);
    }

    /** Padded entries as a share of the stored entries, in percent. */
    private static double padding(SparsePanels p, SparseMatrix m) {
        long entries = p.starts().getAtIndex(ValueLayout.JAVA_LONG, (long) p.panels() * p.slices());
        return 100.0 * (entries - m.nonZeros()) / m.nonZeros();
    }

    /**
     * Per element of MᵀU, the bound on |a − b| for two float sums of its n_j terms m·U[i,c] in any order, from +0:
     * 2·γ(n_j)·Σ|m·U[i,c]| with γ(n) = n·u / (1 − n·u), u = 2⁻²⁴, plus the least subnormal (an FMA's underflow).
     */
    private static double[] bound(SparseMatrix m, DenseMatrix u) {
        int d2 = m.cols();
        double[] sum = new double[d2 * R];
        int[] count = new int[d2];
        for (int i = 0; i < m.rows(); i++) {
            for (long k = m.rowStart(i); k < m.rowStart(i + 1); k++) {
                int j = m.column(k);
                count[j]++;
                for (int c = 0; c < R; c++) {
                    sum[j * R + c] += Math.abs(m.value(k) * u.get(i, c));
                }
            }
        }
        double eps = 0x1p-24;
        for (int j = 0; j < d2; j++) {
            double g = count[j] * eps / (1 - count[j] * eps);
            for (int c = 0; c < R; c++) {
                sum[j * R + c] = 2 * g * sum[j * R + c] + Float.MIN_VALUE;
            }
        }
        return sum;
    }

    private static String check(DenseMatrix expected, DenseMatrix got, double[] bound) {
        double worst = 0;
        long equal = 0;
        for (int j = 0; j < expected.rows(); j++) {
            for (int c = 0; c < R; c++) {
                float e = (float) expected.get(j, c);
                float g = (float) got.get(j, c);
                equal += Float.floatToRawIntBits(e) == Float.floatToRawIntBits(g) ? 1 : 0;
                worst = Math.max(worst, Math.abs(e - (double) g) / bound[j * R + c]);
            }
        }
        return String.format("%s: worst %.3g of the bound, %d of %d bit-equal", worst <= 1 ? "within" : "OUTSIDE",
                worst, equal, (long) expected.rows() * R);
    }

    /** FNV-1a over the rows' r floats' bits (the padding columns excluded). */
    private static long hash(DenseMatrix x) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < x.rows(); i++) {
            for (int c = 0; c < R; c++) {
                h = (h ^ Float.floatToRawIntBits((float) x.get(i, c))) * 0x100000001b3L;
            }
        }
        return h;
    }
}
