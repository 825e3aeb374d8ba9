package org.autobalance.bench.sparse;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
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
 * loss's two products MV and MᵀU at float32 r = 16 in ONE pass over a panel layout of M, against the engine's two
 * products as they run ({@link SparseKernels#panelProduct} over M's and Mᵀ's layouts), alternated call by call, one
 * thread, thread CPU time. Within a column panel (columns J_p, whose rows of V and of MᵀU are both meant to stay in
 * L2) each slice of 4 rows of M gathers as the engine does, mv_i += m·V[j], and scatter-adds MᵀU[j] += m·U[i] with
 * the slice's 4 rows of U in registers; a panel's rows of MᵀU are zeroed when the panel starts (each column lies in
 * one panel). So the entries are read once, not twice, and no layout of Mᵀ is needed. Measured at 5–7 panels: 18–23 %
 * less than the engine's two products (uniform) and 7–16 % (power-law) in the interleaved order, not the 25 % an
 * engine change was to need; each entry still moves two rows between L2 and L1 (V[j] and MᵀU[j]), as the two
 * products do.
 *
 * <p>Four forms, which differ in the order of MᵀU's sums. "interleaved": the engine's own layout of M
 * ({@link SparsePanels#of}) and the scatter in the gather's loop, entry t of lanes 0..3 in turn; MᵀU[j] then adds its
 * rows in the layout's order (slices, each window's rows ordered by their entries in the panel, entries by position),
 * which depends on the panel count. "row-ordered": the same layout; each window of 8 rows gathers its two slices,
 * then scatters its rows in increasing row order, one loop per row. "aligned": the interleaved loop over a layout of
 * its own ({@link #aligned}): slices of 4 consecutive rows, not reordered, whose lanes are padded so that a column
 * two lanes share comes no later in the lower lane. These two add MᵀU[j]'s rows in increasing order from +0, the
 * engine's own order for MᵀU (so its bits, padding aside), whatever the panel count. "aligned+win": as aligned, each
 * window of 8 rows ordered by the rows' entries in all of M, the same in every panel (MᵀU's bits then differ from
 * the engine's but not from one panel count to another). MV's order is the engine's in all four (one chain a row,
 * column order, carried between panels), so MV must equal the engine's bit for bit; MᵀU is checked against the
 * engine's within the bound of two float sums of n_j terms, and its hash printed.
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
    private static final int SLICE = SparsePanels.SLICE;
    /** The JDK's class of native segments: a cast to it lets C2 inline the segment's accessors (NativeSegments). */
    private static final Class<?> NATIVE = MemorySegment.NULL.getClass();
    private static final String[] FORMS = {"interleaved", "row-ordered", "aligned", "aligned+win"};

    private FusedPanelTimer() {
    }

    /**
     * A panel layout as {@link SparsePanels} describes its parts: the engine's, or {@link #aligned}'s (whose order is
     * the identity and whose slices are 4 consecutive rows).
     */
    private record Layout(int rows, int cols, int panels, int width, int slices, MemorySegment sliceRows,
            MemorySegment order, MemorySegment starts, MemorySegment columns, MemorySegment values) {
        static Layout of(SparsePanels p) {
            return new Layout(p.rows(), p.cols(), p.panels(), p.width(), p.slices(), p.sliceRows(), p.order(),
                    p.starts(), p.columns(), p.values());
        }

        long entries() {
            return starts.getAtIndex(ValueLayout.JAVA_LONG, (long) panels * slices);
        }
    }

    public static void main(String[] args) {
        String pattern = args[0];
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        String counts = args.length > 2 ? args[2] : "4,6,8,12";
        int d1 = 100_000;
        int d2 = 50_000;
        DType t = DType.FLOAT32;
        SparseKernels sk = KernelProvider.sparseSimd();
        // a shared arena, as the matrices' (NativeArena): a confined one here, a second kind of session in the
        // kernel's segments, made every fused form twice as slow
        try (Arena arena = Arena.ofShared();
                SparseMatrix m = SparseProblem.matrix(pattern, t, d1, d2, 5_000_000L, 1);
                DenseMatrix u = SparseProblem.start(t, d1, R, 2);
                DenseMatrix v = SparseProblem.start(t, d2, R, 3);
                DenseMatrix mv = DenseMatrix.allocate(t, d1, R);
                DenseMatrix mtu = DenseMatrix.allocate(t, d2, R);
                DenseMatrix fmv = DenseMatrix.allocate(t, d1, R);
                DenseMatrix fmtu = DenseMatrix.allocate(t, d2, R)) {
            if (v.stride() * Float.BYTES != S.vectorByteSize() || !sk.panelled(t, R)) {
                throw new IllegalStateException("needs 512-bit vectors (a float32 r = 16 row is one vector)");
            }
            List<SparsePanels> panels = new ArrayList<>();
            try {
                long st = (long) v.stride() * Float.BYTES;
                SparsePanels pm = SparsePanels.of(m, SparsePanels.panelCount(d2, st), new int[] {0, d1});
                panels.add(pm);
                SparsePanels pt = SparsePanels.ofTransposed(m, SparsePanels.panelCount(d1, st), new int[] {0, d2});
                panels.add(pt);
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
                System.out.printf("%s %s r=%d nnz=%d; engine layouts: M %d panels %.1f MiB (padding %.1f %%), Mt %d "
                        + "panels %.1f MiB (padding %.1f %%)%n", sk.name(), pattern, R, m.nonZeros(), pm.panels(),
                        pm.bytes() / 1048576.0, padding(Layout.of(pm), m), pt.panels(), pt.bytes() / 1048576.0,
                        padding(Layout.of(pt), m));
                List<Layout[]> fused = new ArrayList<>();
                for (String c : counts.split(",")) {
                    SparsePanels p = SparsePanels.of(m, Integer.parseInt(c), new int[] {0, d1});
                    panels.add(p);
                    Layout a = aligned(m, p.panels(), false, arena);
                    Layout aw = aligned(m, p.panels(), true, arena);
                    Layout e = Layout.of(p);
                    fused.add(new Layout[] {e, e, a, aw});
                    System.out.printf("  fused layouts: %d panels of %d columns; the engine's %.1f MiB, padding "
                            + "%.1f %%; aligned %.1f MiB of entries, padding %.1f %%; aligned+win padding %.1f %%%n",
                            p.panels(), p.width(), p.bytes() / 1048576.0, padding(e, m),
                            a.entries() * 8 / 1048576.0, padding(a, m), padding(aw, m));
                    for (int form = 0; form < FORMS.length; form++) {
                        Layout l = fused.getLast()[form];
                        boolean ordered = form == 1;
                        calls.add(() -> fusedProduct(l, u.segment(), fmv.segment(), st, v.segment(), fmtu.segment(),
                                ordered));
                        names.add("fused " + p.panels() + " " + FORMS[form]);
                    }
                }
                // the checks first, on cold code: MV bit for bit, MᵀU within the bound
                sk.panelProduct(pm, v, 0, mv);
                sk.panelProduct(pt, u, 0, mtu);
                double[] bound = bound(m, u);
                System.out.printf("  engine: MV hash %016x, MtU hash %016x%n", hash(mv), hash(mtu));
                for (Layout[] ls : fused) {
                    for (int form = 0; form < FORMS.length; form++) {
                        fmv.segment().fill((byte) 0x7f); // every row must be written
                        fmtu.segment().fill((byte) 0x7f);
                        fusedProduct(ls[form], u.segment(), fmv.segment(), st, v.segment(), fmtu.segment(), form == 1);
                        System.out.printf("  fused %2d %-11s: MV hash %016x (%s), MtU hash %016x (%s)%n",
                                ls[form].panels(), FORMS[form], hash(fmv), hash(fmv) == hash(mv) ? "equal" : "DIFFERS",
                                hash(fmtu), check(mtu, fmtu, bound));
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
                panels.forEach(SparsePanels::close); // the layouts before the matrices they copy
            }
        }
    }

    /**
     * MV and MᵀU in one pass over M's layout {@code a}: MV's rows as {@link SparseKernels#panelProduct} sums them, and
     * MᵀU scatter-added per entry, in the gather's loop or, when {@code ordered}, per window in row order. Rows of
     * every factor are {@code st} bytes apart.
     */
    static void fusedProduct(Layout a, MemorySegment us, MemorySegment ys, long st, MemorySegment vs,
            MemorySegment zs, boolean ordered) {
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
                FloatVector.zero(S).intoMemorySegment(exact(zs), j * st, NO);
            }
            long base = (long) p * ns;
            if (!ordered) {
                for (int s = 0; s < ns; s++) {
                    int first = rows.getAtIndex(ValueLayout.JAVA_INT, s);
                    int nr = rows.getAtIndex(ValueLayout.JAVA_INT, s + 1) - first;
                    slice(col, val, starts.getAtIndex(ValueLayout.JAVA_LONG, base + s),
                            starts.getAtIndex(ValueLayout.JAVA_LONG, base + s + 1), st, us, vs, ys, zs, order,
                            p * n + first, nr, p > 0, true);
                }
                continue;
            }
            // windows of WINDOW rows = 2 slices (one chunk from row 0: windows start at multiples of 8)
            int perWindow = SparsePanels.WINDOW / SLICE;
            for (int s0 = 0; s0 < ns; s0 += perWindow) {
                int s1 = Math.min(s0 + perWindow, ns);
                for (int s = s0; s < s1; s++) {
                    int first = rows.getAtIndex(ValueLayout.JAVA_INT, s);
                    int nr = rows.getAtIndex(ValueLayout.JAVA_INT, s + 1) - first;
                    slice(col, val, starts.getAtIndex(ValueLayout.JAVA_LONG, base + s),
                            starts.getAtIndex(ValueLayout.JAVA_LONG, base + s + 1), st, us, vs, ys, zs, order,
                            p * n + first, nr, p > 0, false);
                }
                scatterInRowOrder(col, val, starts, rows, order, base, s0, s1, p * n, st, us, zs);
            }
        }
    }

    /**
     * M's entries in {@code panels} column panels (of ⌈cols / panels⌉ columns), each panel's rows in slices of 4 rows
     * whose lanes are interleaved as in {@link SparsePanels} and padded (value 0, the lane's last column so far, or
     * the panel's first) so that a column two lanes share comes no later in the lower lane: at each step a lane waits
     * while a lower lane still holds its next column. The slices take the rows in order or, with {@code windows}, each
     * window of {@link SparsePanels#WINDOW} rows ordered by the rows' stored entries in all of M (most first, ties by
     * row), the same order in every panel. The interleaved scatter then adds MᵀU[j]'s rows in that order (slices in
     * turn, within a slice the lanes in turn at each step), which the panel count does not change.
     */
    private static Layout aligned(SparseMatrix m, int panels, boolean windows, Arena arena) {
        int n = m.rows();
        int[] perm = new int[n]; // the row at each position: the same in every panel
        long[] keys = new long[SparsePanels.WINDOW];
        for (int w0 = 0; w0 < n; w0 += SparsePanels.WINDOW) {
            int w1 = Math.min(w0 + SparsePanels.WINDOW, n);
            for (int i = w0; i < w1; i++) {
                long count = windows ? m.rowStart(i + 1) - m.rowStart(i) : 0;
                keys[i - w0] = (Integer.MAX_VALUE - count) << 32 | i;
            }
            Arrays.sort(keys, 0, w1 - w0);
            for (int x = w0; x < w1; x++) {
                perm[x] = (int) keys[x - w0];
            }
        }
        int width = (m.cols() + panels - 1) / panels;
        int ns = (n + SLICE - 1) / SLICE;
        long[] next = new long[n]; // each row's first entry not yet placed (panels go left to right)
        for (int i = 0; i < n; i++) {
            next[i] = m.rowStart(i);
        }
        IntList cols = new IntList();
        IntList vals = new IntList(); // the values' float bits
        long[] start = new long[panels * ns + 1];
        long[] end = new long[SLICE];
        long[] at = new long[SLICE];
        int[] last = new int[SLICE];
        for (int p = 0; p < panels; p++) {
            long limit = (long) (p + 1) * width;
            for (int s = 0; s < ns; s++) {
                start[p * ns + s] = cols.size;
                int first = s * SLICE;
                int nr = Math.min(SLICE, n - first);
                boolean left = false;
                for (int q = 0; q < SLICE; q++) {
                    int row = q < nr ? perm[first + q] : 0;
                    at[q] = q < nr ? next[row] : 0;
                    end[q] = at[q];
                    while (q < nr && end[q] < m.rowStart(row + 1) && m.column(end[q]) < limit) {
                        end[q]++;
                    }
                    left |= at[q] < end[q];
                    last[q] = p * width;
                }
                while (left) {
                    left = false;
                    for (int q = 0; q < SLICE; q++) {
                        boolean place = at[q] < end[q] && !heldBelow(m, at, end, q, m.column(at[q]));
                        if (place) {
                            last[q] = m.column(at[q]);
                            cols.add(last[q]);
                            vals.add(Float.floatToRawIntBits((float) m.value(at[q])));
                            at[q]++;
                        } else {
                            cols.add(last[q]);
                            vals.add(Float.floatToRawIntBits(0f));
                        }
                    }
                    for (int q = 0; q < SLICE; q++) {
                        left |= at[q] < end[q];
                    }
                }
                for (int q = 0; q < nr; q++) {
                    next[perm[first + q]] = end[q];
                }
            }
        }
        start[panels * ns] = cols.size;
        MemorySegment sliceRows = arena.allocate((ns + 1L) * Integer.BYTES, 64);
        for (int s = 0; s <= ns; s++) {
            sliceRows.setAtIndex(ValueLayout.JAVA_INT, s, Math.min(s * SLICE, n));
        }
        MemorySegment order = arena.allocate((long) panels * n * Integer.BYTES, 64);
        for (long x = 0; x < (long) panels * n; x++) {
            order.setAtIndex(ValueLayout.JAVA_INT, x, perm[(int) (x % n)]);
        }
        MemorySegment starts = arena.allocate(start.length * (long) Long.BYTES, 64);
        MemorySegment.copy(start, 0, starts, ValueLayout.JAVA_LONG, 0, start.length);
        MemorySegment columns = arena.allocate(Math.max(1, cols.size) * (long) Integer.BYTES, 64);
        MemorySegment.copy(cols.items, 0, columns, ValueLayout.JAVA_INT, 0, cols.size);
        MemorySegment values = arena.allocate(Math.max(1, vals.size) * (long) Float.BYTES, 64);
        MemorySegment.copy(vals.items, 0, values, ValueLayout.JAVA_INT, 0, vals.size);
        return new Layout(n, m.cols(), panels, width, ns, sliceRows, order, starts, columns, values);
    }

    /** Whether a lane below q still holds column j among its entries not yet placed (its rows are in column order). */
    private static boolean heldBelow(SparseMatrix m, long[] at, long[] end, int q, int j) {
        for (int b = 0; b < q; b++) {
            for (long k = at[b]; k < end[b] && m.column(k) <= j; k++) {
                if (m.column(k) == j) {
                    return true;
                }
            }
        }
        return false;
    }

    /** A growing int array. */
    private static final class IntList {
        int[] items = new int[1 << 20];
        int size;

        void add(int x) {
            if (size == items.length) {
                items = Arrays.copyOf(items, 2 * size);
            }
            items[size++] = x;
        }
    }

    /**
     * One slice of one panel: the engine's gather (4 chains, MV's rows from 0 in panel 0, else carried) and, when
     * {@code scatter}, MᵀU[j] += m·U[i] for each entry in the same loop.
     */
    private static void slice(MemorySegment col, MemorySegment val, long ks, long ke, long st, MemorySegment us,
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
            for (int t = 0; t < n; t += SLICE) {
                long j0 = c.getAtIndex(ValueLayout.JAVA_INT, t) * st;
                FloatVector m0 = FloatVector.broadcast(S, w.getAtIndex(E, t));
                a0 = m0.fma(FloatVector.fromMemorySegment(S, x, j0, NO), a0);
                m0.fma(u0, FloatVector.fromMemorySegment(S, z, j0, NO)).intoMemorySegment(z, j0, NO);
                long j1 = c.getAtIndex(ValueLayout.JAVA_INT, t + 1) * st;
                FloatVector m1 = FloatVector.broadcast(S, w.getAtIndex(E, t + 1));
                a1 = m1.fma(FloatVector.fromMemorySegment(S, x, j1, NO), a1);
                m1.fma(u1, FloatVector.fromMemorySegment(S, z, j1, NO)).intoMemorySegment(z, j1, NO);
                long j2 = c.getAtIndex(ValueLayout.JAVA_INT, t + 2) * st;
                FloatVector m2 = FloatVector.broadcast(S, w.getAtIndex(E, t + 2));
                a2 = m2.fma(FloatVector.fromMemorySegment(S, x, j2, NO), a2);
                m2.fma(u2, FloatVector.fromMemorySegment(S, z, j2, NO)).intoMemorySegment(z, j2, NO);
                long j3 = c.getAtIndex(ValueLayout.JAVA_INT, t + 3) * st;
                FloatVector m3 = FloatVector.broadcast(S, w.getAtIndex(E, t + 3));
                a3 = m3.fma(FloatVector.fromMemorySegment(S, x, j3, NO), a3);
                m3.fma(u3, FloatVector.fromMemorySegment(S, z, j3, NO)).intoMemorySegment(z, j3, NO);
            }
        } else {
            for (int t = 0; t < n; t += SLICE) {
                long j0 = c.getAtIndex(ValueLayout.JAVA_INT, t) * st;
                a0 = FloatVector.broadcast(S, w.getAtIndex(E, t))
                        .fma(FloatVector.fromMemorySegment(S, x, j0, NO), a0);
                long j1 = c.getAtIndex(ValueLayout.JAVA_INT, t + 1) * st;
                a1 = FloatVector.broadcast(S, w.getAtIndex(E, t + 1))
                        .fma(FloatVector.fromMemorySegment(S, x, j1, NO), a1);
                long j2 = c.getAtIndex(ValueLayout.JAVA_INT, t + 2) * st;
                a2 = FloatVector.broadcast(S, w.getAtIndex(E, t + 2))
                        .fma(FloatVector.fromMemorySegment(S, x, j2, NO), a2);
                long j3 = c.getAtIndex(ValueLayout.JAVA_INT, t + 3) * st;
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
            MemorySegment rows, MemorySegment order, long base, int s0, int s1, long at, long st, MemorySegment us,
            MemorySegment zs) {
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
            int s = s0 + x / SLICE;
            long ks = starts.getAtIndex(ValueLayout.JAVA_LONG, base + s) + x % SLICE;
            long ke = starts.getAtIndex(ValueLayout.JAVA_LONG, base + s + 1);
            FloatVector ui = FloatVector.fromMemorySegment(S, uu, (first + y) * st, NO);
            for (long k = ks; k < ke; k += SLICE) {
                long j = c.getAtIndex(ValueLayout.JAVA_INT, k) * st;
                FloatVector.broadcast(S, w.getAtIndex(E, k)).fma(ui, FloatVector.fromMemorySegment(S, z, j, NO))
                        .intoMemorySegment(z, j, NO);
            }
        }
    }

    private static MemorySegment exact(MemorySegment s) {
        return (MemorySegment) NATIVE.cast(s);
    }

    /** Padded entries as a share of the stored entries, in percent. */
    private static double padding(Layout p, SparseMatrix m) {
        long entries = p.entries();
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
