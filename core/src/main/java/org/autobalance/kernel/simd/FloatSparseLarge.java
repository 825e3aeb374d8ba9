// GENERATED from core/src/build/simd/Sparse.java.template by core/src/build/GenerateSimdVariants.java
// (variant FloatSparseLarge). Do not edit: edit the template, then run
// java core/src/build/GenerateSimdVariants.java from the repository root.
package org.autobalance.kernel.simd;

import static org.autobalance.kernel.simd.NativeSegments.exact;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.autobalance.kernel.SparsePanels;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;

/**
 * The sparse passes for float32: SIMD over r for every stored entry (the gathered row of V, the scatter-added row of
 * the d2-side output and the row of U are each ⌈r/L⌉ vectors; rows are padded to 64 bytes with zeros, so whole vectors
 * never leave a row and the padding lanes compute 0 + m·0).
 *
 * <p>Register use: for up to 4 vectors per factor row the d1-side accumulators and the row of U stay in registers
 * for the whole row of M ({@code fused1}, {@code fused2}, {@code fused4}; wider ranks loop over groups of 4 vectors,
 * re-reading the row's entries from L1). The accumulators of 1- and 2-vector rows are doubled (even and odd entries)
 * so that two FMA chains per lane hide the FMA latency; they are added in a fixed order at the end of the row.
 *
 * <p>Precision: everything is formed in float (error ≲ n·u_f·Σ|terms| for a row of n entries, the bound of the
 * contract tests); the residual's squares are summed in double. Dot products of the observed-entries pass sum their
 * lanes by a fixed tree of exact lane permutations (never {@code reduceLanes}, whose order is unspecified), so
 * results are bit-for-bit the same on every run, thread and JIT tier.
 *
 * <p>Width: the classes without "Large" in their name run at {@code SimdSpecies}' normal width and hold every pass
 * but the gather product; the "Large" ones hold only {@code product}, at the large-rank width (the preferred one, 512
 * bits on AVX-512), where a float32 row of r = 16 is one vector and one cache line, so each stored entry costs one
 * load, one bounds check and one FMA (native-notes/sparse.md, "Making the iteration fast").
 */
final class FloatSparseLarge {
    static final VectorSpecies<Float> S = SimdSpecies.LARGE_FLOAT;
    static final int L = S.length();
    /** The exact class of S's vectors: see {@link FloatFused#VT} for why every vector goes through it. */
    @SuppressWarnings("unchecked")
    static final Class<FloatVector> VT = (Class<FloatVector>) (Class<?>) S.vectorType();
    static final ByteOrder NO = ByteOrder.nativeOrder();
    static final long BYTES = Float.BYTES;
    static final ValueLayout.OfFloat E = ValueLayout.JAVA_FLOAT;

    private FloatSparseLarge() {
    }

    /*
     * No vector is passed to or returned from a method of this class: every load is the JDK's fromMemorySegment written
     * in place, every lane sum the TREE loop in place. The JDK's vector methods are @ForceInline, which C2 always
     * inlines; a method of ours is inlined or not by C2's heuristics, and a vector that crosses a call which was not
     * inlined is a heap object. That happened to the 24-byte load(segment, offset) these kernels had: C2 refused it
     * at the node cutoff for inlining (fused2's odd entry, every row, in every JVM), and at call sites that the
     * profile made cold (freq < InlineFrequencyRatio) once load had code of its own larger than InlineSmallCode / 4
     * ("already compiled into a medium method": the one-vector rows of observedRows, dot's and update's odd-vector
     * branches, after wider rows had run), so each such load allocated its vector, and a loop whose accumulator started
     * from one allocated one per entry (the observed pass up to 3.5x slower, 64 bytes a row to 374 a stored entry;
     * native-notes/sparse.md, "Boxed vectors in the sparse passes"; SparsePassAllocationTest).
     *
     * Every loaded or stored vector is cast to VT, results of fma and add included: the store's inner call
     * (FloatVector.intoMemorySegment → intoMemorySegment0) has one type profile shared by every species, and once the
     * 512-bit product ran beside these passes C2 bound the observed pass's stores from the profile
     * [Float512Vector, Float256Vector] (KernelJitTest, which runs the sparse engine).
     *
     * The products' per-row (per-slice) views of the column indices and values are taken from exact(...) segments:
     * asSlice on an untyped segment is a virtual call that C2 bound from the profile or left a call, and then the view
     * escaped and cost 80 bytes a call (8 MB a pass over 100 000 rows, in some JVMs; native-notes/sparse.md,
     * "Twenty-first session").
     */

    /**
     * Rows [rs, re) of A·X into y: the d1-side half of the fused pass alone (the same register blocking, with no
     * scatter). Used for MV over M and for MᵀU over Mᵀ.
     */
    static void product(SparseMatrix a, DenseMatrix x, int rs, int re, DenseMatrix y) {
        int nc = (x.cols() + L - 1) / L;
        long st = (long) x.stride() * BYTES;
        MemorySegment ptr = a.rowStarts();
        MemorySegment col = a.columnIndices();
        MemorySegment val = a.values();
        MemorySegment xs = x.segment();
        MemorySegment ys = y.segment();
        if (rs >= re) {
            return;
        }
        long ks = ptr.getAtIndex(ValueLayout.JAVA_LONG, rs);
        if (nc == 1) {
            // the common one-vector row (float32 r ≤ 16 at 512 bits) on its own, without the group loop
            for (int i = rs; i < re; i++) {
                long ke = ptr.getAtIndex(ValueLayout.JAVA_LONG, i + 1);
                product1(col, val, ks, ke, st, xs, ys, i * st);
                ks = ke;
            }
            return;
        }
        // a last single vector of each row (nc odd) is the one-vector product over the factors seen from its column
        // offset on: product1 then takes no offset, which C2 kept as a loop invariant on the stack, reloaded per entry
        long tail = (nc & ~1) * L * BYTES;
        MemorySegment xt = xs.asSlice(tail);
        MemorySegment yt = ys.asSlice(tail);
        for (int i = rs; i < re; i++) {
            long ke = ptr.getAtIndex(ValueLayout.JAVA_LONG, i + 1);
            long ro = i * st;
            int c = 0;
            for (; c + 4 <= nc; c += 4) {
                product4(col, val, ks, ke, st, c * L * BYTES, xs, ys, ro);
            }
            if (c + 2 <= nc) {
                product2(col, val, ks, ke, st, c * L * BYTES, xs, ys, ro);
                c += 2;
            }
            if (c < nc) {
                product1(col, val, ks, ke, st, xt, yt, ro);
            }
            ks = ke;
        }
    }

    /**
     * Chunk {@code chunk} of A·X from A's panel layout, for rows of X of one vector (x.cols() ≤ L): the panels in turn,
     * and in each the chunk's slices, each slice's rows in one loop ({@link SparsePanels}: why, and the order of
     * each row's sum, one FMA chain in column order carried through y between panels).
     */
    static void panelProduct(SparsePanels a, DenseMatrix x, int chunk, DenseMatrix y) {
        long st = (long) x.stride() * BYTES;
        MemorySegment rows = a.sliceRows();
        MemorySegment order = a.order();
        MemorySegment starts = a.starts();
        MemorySegment col = a.columns();
        MemorySegment val = a.values();
        MemorySegment xs = x.segment();
        MemorySegment ys = y.segment();
        int ns = a.slices();
        long n = a.rows();
        int ss = a.chunkSlice(chunk);
        int se = a.chunkSlice(chunk + 1);
        for (int p = 0; p < a.panels(); p++) {
            long base = (long) p * ns;
            for (int s = ss; s < se; s++) {
                int first = rows.getAtIndex(ValueLayout.JAVA_INT, s);
                int nr = rows.getAtIndex(ValueLayout.JAVA_INT, s + 1) - first;
                slice(col, val, starts.getAtIndex(ValueLayout.JAVA_LONG, base + s),
                        starts.getAtIndex(ValueLayout.JAVA_LONG, base + s + 1), st, xs, ys, order, p * n + first, nr,
                        p > 0);
            }
        }
    }

    /**
     * One slice of one panel: its nr (1 to 4) rows (the rows at {@code order[at …]}), whose entries are interleaved
     * (lane q's t-th at 4t + q) and padded to one length, in 4 FMA chains; each row starts from 0 in the first panel
     * ({@code carry} false) and from its output row in the others. Lanes past nr exist only as padding and are
     * neither read nor written.
     */
    private static void slice(MemorySegment col, MemorySegment val, long ks, long ke, long st, MemorySegment xs,
            MemorySegment ys, MemorySegment order, long at, int nr, boolean carry) {
        long ro = order.getAtIndex(ValueLayout.JAVA_INT, at) * st;
        long r1 = nr > 1 ? order.getAtIndex(ValueLayout.JAVA_INT, at + 1) * st : ro;
        long r2 = nr > 2 ? order.getAtIndex(ValueLayout.JAVA_INT, at + 2) * st : ro;
        long r3 = nr > 3 ? order.getAtIndex(ValueLayout.JAVA_INT, at + 3) * st : ro;
        int n = (int) (ke - ks);
        MemorySegment c = exact(col).asSlice(ks * Integer.BYTES, n * (long) Integer.BYTES);
        MemorySegment w = exact(val).asSlice(ks * BYTES, n * BYTES);
        FloatVector a0 = VT.cast(FloatVector.zero(S));
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        if (carry) {
            a0 = VT.cast(FloatVector.fromMemorySegment(S, exact(ys), ro, NO));
            if (nr > 1) {
                a1 = VT.cast(FloatVector.fromMemorySegment(S, exact(ys), r1, NO));
            }
            if (nr > 2) {
                a2 = VT.cast(FloatVector.fromMemorySegment(S, exact(ys), r2, NO));
            }
            if (nr > 3) {
                a3 = VT.cast(FloatVector.fromMemorySegment(S, exact(ys), r3, NO));
            }
        }
        for (int t = 0; t < n; t += SparsePanels.SLICE) {
            long j0 = c.getAtIndex(ValueLayout.JAVA_INT, t) * st;
            a0 = VT.cast(FloatVector.broadcast(S, w.getAtIndex(E, t)))
                    .fma(VT.cast(FloatVector.fromMemorySegment(S, exact(xs), j0, NO)), a0);
            long j1 = c.getAtIndex(ValueLayout.JAVA_INT, t + 1) * st;
            a1 = VT.cast(FloatVector.broadcast(S, w.getAtIndex(E, t + 1)))
                    .fma(VT.cast(FloatVector.fromMemorySegment(S, exact(xs), j1, NO)), a1);
            long j2 = c.getAtIndex(ValueLayout.JAVA_INT, t + 2) * st;
            a2 = VT.cast(FloatVector.broadcast(S, w.getAtIndex(E, t + 2)))
                    .fma(VT.cast(FloatVector.fromMemorySegment(S, exact(xs), j2, NO)), a2);
            long j3 = c.getAtIndex(ValueLayout.JAVA_INT, t + 3) * st;
            a3 = VT.cast(FloatVector.broadcast(S, w.getAtIndex(E, t + 3)))
                    .fma(VT.cast(FloatVector.fromMemorySegment(S, exact(xs), j3, NO)), a3);
        }
        VT.cast(a0).intoMemorySegment(exact(ys), ro, NO);
        if (nr > 1) {
            VT.cast(a1).intoMemorySegment(exact(ys), r1, NO);
        }
        if (nr > 2) {
            VT.cast(a2).intoMemorySegment(exact(ys), r2, NO);
        }
        if (nr > 3) {
            VT.cast(a3).intoMemorySegment(exact(ys), r3, NO);
        }
    }

    private static void product1(MemorySegment col, MemorySegment val, long ks, long ke, long st,
            MemorySegment xs, MemorySegment ys, long ro) {
        // the row's entries as slices indexed by an int counter: C2 then proves the index and value reads in range
        // once per row instead of checking each (and drops the safepoint poll of a long-indexed loop)
        int n = (int) (ke - ks);
        MemorySegment c = exact(col).asSlice(ks * Integer.BYTES, n * (long) Integer.BYTES);
        MemorySegment w = exact(val).asSlice(ks * BYTES, n * BYTES);
        FloatVector a0 = VT.cast(FloatVector.zero(S));
        FloatVector b0 = VT.cast(FloatVector.zero(S));
        int pairs = n & ~1; // a loop to a fixed bound: C2 counts it (t + 2 <= n could overflow, so it would not)
        int t = 0;
        for (; t < pairs; t += 2) {
            long jo = c.getAtIndex(ValueLayout.JAVA_INT, t) * st;
            long jp = c.getAtIndex(ValueLayout.JAVA_INT, t + 1) * st;
            a0 = VT.cast(FloatVector.broadcast(S, w.getAtIndex(E, t)))
                    .fma(VT.cast(FloatVector.fromMemorySegment(S, exact(xs), jo, NO)), a0);
            b0 = VT.cast(FloatVector.broadcast(S, w.getAtIndex(E, t + 1)))
                    .fma(VT.cast(FloatVector.fromMemorySegment(S, exact(xs), jp, NO)), b0);
        }
        if (t < n) {
            long jo = c.getAtIndex(ValueLayout.JAVA_INT, t) * st;
            a0 = VT.cast(FloatVector.broadcast(S, w.getAtIndex(E, t)))
                    .fma(VT.cast(FloatVector.fromMemorySegment(S, exact(xs), jo, NO)), a0);
        }
        VT.cast(VT.cast(a0).add(b0)).intoMemorySegment(exact(ys), ro, NO);
    }

    private static void product2(MemorySegment col, MemorySegment val, long ks, long ke, long st, long off,
            MemorySegment xs, MemorySegment ys, long ro) {
        long o1 = off + L * BYTES;
        int n = (int) (ke - ks);
        MemorySegment c = exact(col).asSlice(ks * Integer.BYTES, n * (long) Integer.BYTES);
        MemorySegment w = exact(val).asSlice(ks * BYTES, n * BYTES);
        FloatVector a0 = VT.cast(FloatVector.zero(S));
        FloatVector a1 = VT.cast(FloatVector.zero(S));
        FloatVector b0 = VT.cast(FloatVector.zero(S));
        FloatVector b1 = VT.cast(FloatVector.zero(S));
        int pairs = n & ~1; // a loop to a fixed bound: C2 counts it (t + 2 <= n could overflow, so it would not)
        int t = 0;
        for (; t < pairs; t += 2) {
            long j = c.getAtIndex(ValueLayout.JAVA_INT, t) * st;
            FloatVector x = VT.cast(FloatVector.broadcast(S, w.getAtIndex(E, t)));
            a0 = x.fma(VT.cast(FloatVector.fromMemorySegment(S, exact(xs), j + off, NO)), a0);
            a1 = x.fma(VT.cast(FloatVector.fromMemorySegment(S, exact(xs), j + o1, NO)), a1);
            long jp = c.getAtIndex(ValueLayout.JAVA_INT, t + 1) * st;
            FloatVector z = VT.cast(FloatVector.broadcast(S, w.getAtIndex(E, t + 1)));
            b0 = z.fma(VT.cast(FloatVector.fromMemorySegment(S, exact(xs), jp + off, NO)), b0);
            b1 = z.fma(VT.cast(FloatVector.fromMemorySegment(S, exact(xs), jp + o1, NO)), b1);
        }
        if (t < n) {
            long j = c.getAtIndex(ValueLayout.JAVA_INT, t) * st;
            FloatVector x = VT.cast(FloatVector.broadcast(S, w.getAtIndex(E, t)));
            a0 = x.fma(VT.cast(FloatVector.fromMemorySegment(S, exact(xs), j + off, NO)), a0);
            a1 = x.fma(VT.cast(FloatVector.fromMemorySegment(S, exact(xs), j + o1, NO)), a1);
        }
        VT.cast(VT.cast(a0).add(b0)).intoMemorySegment(exact(ys), ro + off, NO);
        VT.cast(VT.cast(a1).add(b1)).intoMemorySegment(exact(ys), ro + o1, NO);
    }

    private static void product4(MemorySegment col, MemorySegment val, long ks, long ke, long st, long off,
            MemorySegment xs, MemorySegment ys, long ro) {
        long o1 = off + L * BYTES;
        long o2 = o1 + L * BYTES;
        long o3 = o2 + L * BYTES;
        int n = (int) (ke - ks);
        MemorySegment c = exact(col).asSlice(ks * Integer.BYTES, n * (long) Integer.BYTES);
        MemorySegment w = exact(val).asSlice(ks * BYTES, n * BYTES);
        FloatVector a0 = VT.cast(FloatVector.zero(S));
        FloatVector a1 = VT.cast(FloatVector.zero(S));
        FloatVector a2 = VT.cast(FloatVector.zero(S));
        FloatVector a3 = VT.cast(FloatVector.zero(S));
        for (int t = 0; t < n; t++) {
            long j = c.getAtIndex(ValueLayout.JAVA_INT, t) * st;
            FloatVector x = VT.cast(FloatVector.broadcast(S, w.getAtIndex(E, t)));
            a0 = x.fma(VT.cast(FloatVector.fromMemorySegment(S, exact(xs), j + off, NO)), a0);
            a1 = x.fma(VT.cast(FloatVector.fromMemorySegment(S, exact(xs), j + o1, NO)), a1);
            a2 = x.fma(VT.cast(FloatVector.fromMemorySegment(S, exact(xs), j + o2, NO)), a2);
            a3 = x.fma(VT.cast(FloatVector.fromMemorySegment(S, exact(xs), j + o3, NO)), a3);
        }
        VT.cast(a0).intoMemorySegment(exact(ys), ro + off, NO);
        VT.cast(a1).intoMemorySegment(exact(ys), ro + o1, NO);
        VT.cast(a2).intoMemorySegment(exact(ys), ro + o2, NO);
        VT.cast(a3).intoMemorySegment(exact(ys), ro + o3, NO);
    }

}
