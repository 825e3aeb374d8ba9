// GENERATED from core/src/build/simd/Sparse.java.template by core/src/build/GenerateSimdVariants.java
// (variant FloatSparseLarge). Do not edit: edit the template, then run
// java core/src/build/GenerateSimdVariants.java from the repository root.
package org.autobalance.kernel.simd;

import static org.autobalance.kernel.simd.NativeSegments.exact;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import org.autobalance.kernel.SparseKernels;
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
 * <p>Width: the classes without "Large" in their name run at {@code SimdSpecies}' normal width and hold the full
 * loss's fused pass and the held-out residual; the "Large" ones hold the gather product and the observed pass, at the
 * large-rank width (the preferred one, 512 bits on AVX-512), where a float32 row of r = 16 is one vector and one
 * cache line, so each stored entry costs one load, one bounds check and one FMA (native-notes/sparse.md, "Making the
 * iteration fast"; for the observed pass, 10–15 % less than at 256 bits in column panels and 47 % less at r = 32,
 * "Twenty-third session").
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
    /**
     * Lane permutations i → i xor h for h = L/2, L/4, …, 1: the fixed summation tree of a dot product's lanes, x =
     * x + x.rearrange(s) for each s in turn, then lane 0. Written in place where it is used, not in a method: see
     * below. Empty at 2 lanes, whose tree is lane 0 + lane 1 (the same bits as the one step): a 2-lane rearrange was
     * not intrinsified on the x86 hosts measured (float64 at 128 bits, AVX2 and AVX-512: the JDK's Java fallback ran,
     * 96 bytes allocated per stored entry: two 48-byte vectors). Wider vectors keep the last rearrange: lane 0 + lane 1
     * there read 3.5 % slower (float64 r = 4, native-notes/sparse.md, "Boxed vectors in the sparse passes").
     */
    private static final VectorShuffle<Float>[] TREE = tree();

    private FloatSparseLarge() {
    }

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] tree() {
        int steps = L == 2 ? 0 : Integer.numberOfTrailingZeros(L);
        VectorShuffle<Float>[] t = (VectorShuffle<Float>[]) new VectorShuffle<?>[steps];
        for (int s = 0; s < steps; s++) {
            int h = L >> (s + 1);
            t[s] = VectorShuffle.fromOp(S, i -> i ^ h);
        }
        return t;
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
                if (ke - ks > LONG_ROW) {
                    blockedRow(col, val, ks, ke, st, nc, xs, ys, i * st);
                } else {
                    product1(col, val, ks, ke, st, xs, ys, i * st);
                }
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
            if (ke - ks > LONG_ROW) {
                blockedRow(col, val, ks, ke, st, nc, xs, ys, ro);
                ks = ke;
                continue;
            }
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
     * Stored entries beyond which a row of A is summed in blocks ({@link #blockedRow}): {@link
     * SparseKernels#BLOCK} for float32, none for float64 (whose rounding, 2⁻⁵³, needs no blocks). A row of at most
     * this many entries has at most this many terms in its chains anyway, so its sums keep their bits and their one
     * loop (blocks at column boundaries would cut a sparse row of an ordinary M at almost every entry).
     */
    private static final long LONG_ROW = BYTES == Float.BYTES ? SparseKernels.BLOCK : Long.MAX_VALUE;

    /**
     * A row of more than {@link #LONG_ROW} stored entries, summed in blocks of columns at fixed places: the entries in
     * columns [b·BLOCK, (b + 1)·BLOCK) ({@link SparseKernels#BLOCK}) of each b are summed as a row of their own, one
     * vector of the factor rows at a time in {@link #product1}'s even/odd pair of chains, into y's row, and those sums
     * added in increasing b into a total that starts at +0, stored at the end. A block has at most BLOCK terms and the
     * total at most ⌈d/BLOCK⌉ for A's d columns, so the rounding is about (√BLOCK + √⌈d/BLOCK⌉)·u where one chain's
     * grows like √n·u with the row's n entries; the blocks depend on the columns alone, so the bits on the row alone
     * (native-notes/sparse.md, "Long rows in blocks"). A long row's vectors go one at a time, not by the groups of
     * 2 and 4 of {@link #product}: its entries stream from memory once a block anyway, and one kernel below this
     * method keeps it a compile unit of its own (KernelInliningBoundaryTest).
     */
    private static void blockedRow(MemorySegment col, MemorySegment val, long ks, long ke, long st, int nc,
            MemorySegment xs, MemorySegment ys, long ro) {
        int n = nc * L;
        float[] total = Scratch.get().floats(2, n);
        Arrays.fill(total, 0, n, 0);
        MemorySegment yx = exact(ys);
        for (long bs = ks; bs < ke; ) {
            // the block of this entry's column ends before the first entry at or past the next block's first column:
            // a binary search among the next BLOCK entries (a block holds at most BLOCK, the columns being distinct)
            long next = (col.getAtIndex(ValueLayout.JAVA_INT, bs) / SparseKernels.BLOCK + 1L) * SparseKernels.BLOCK;
            long lo = bs + 1;
            long be = Math.min(ke, bs + SparseKernels.BLOCK);
            while (lo < be) {
                long mid = (lo + be) >>> 1;
                if (col.getAtIndex(ValueLayout.JAVA_INT, mid) < next) {
                    lo = mid + 1;
                } else {
                    be = mid;
                }
            }
            for (int e = 0; e < n; e += L) {
                // the factors seen from this vector's offset, as product's last single vector sees them
                long off = e * BYTES;
                product1(col, val, bs, be, st, off == 0 ? xs : xs.asSlice(off), off == 0 ? ys : ys.asSlice(off), ro);
                VT.cast(VT.cast(FloatVector.fromArray(S, total, e))
                        .add(VT.cast(FloatVector.fromMemorySegment(S, yx, ro + off, NO)))).intoArray(total, e);
            }
            bs = be;
        }
        for (int e = 0; e < n; e += L) {
            VT.cast(FloatVector.fromArray(S, total, e)).intoMemorySegment(yx, ro + e * BYTES, NO);
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

    /**
     * Chunk {@code chunk}'s step of MV and MᵀU from M's aligned form ({@link SparsePanels#aligned}) in panel
     * {@code panel}, for rows of the factors of one vector (u.cols() ≤ L): chunk 0 first sets the panel's rows of MᵀU
     * to 0 (the contract's order: no other chunk reaches the panel before it), then every slice of the chunk in turn
     * gathers its rows of MV as {@link #panelProduct} does and, in the same loop, scatter-adds m·U[i] into MᵀU[j]
     * entry by entry: M's entries read once, V's and MᵀU's rows of the panel kept in L2 (native-notes/sparse.md,
     * "Twenty-sixth session"). A slice runs as two pairs of lanes, lanes 0 and 1 then lanes 2 and 3 (their entries
     * interleaved in the pair's loop): MᵀU[j] still adds its rows in increasing order (the form's wait within each
     * pair, the pairs in row order, the chunks in order). Why pairs, not the 4 lanes in one loop: C1 could not compile
     * that method (out of virtual registers: the Vector API's methods inlined), and a method whose tier-3 compile
     * failed could stay in tier-2 code, every vector boxed, for a whole run in a JVM without the launcher's options
     * (1.7 s an iteration instead of 0.05; native-notes/sparse.md).
     */
    static void panelFusedProduct(SparsePanels a, int chunk, int panel, DenseMatrix u, DenseMatrix v, DenseMatrix mv,
            DenseMatrix mtu) {
        long st = (long) u.stride() * BYTES;
        MemorySegment rows = a.sliceRows();
        MemorySegment starts = a.starts();
        MemorySegment col = a.columns();
        MemorySegment val = a.values();
        MemorySegment us = u.segment();
        MemorySegment vs = v.segment();
        MemorySegment mvs = mv.segment();
        MemorySegment mts = mtu.segment();
        long w = a.width();
        if (chunk == 0) {
            long from = panel * w * st;
            exact(mts).asSlice(from, Math.min(from + w * st, a.cols() * st) - from).fill((byte) 0);
        }
        long base = (long) panel * a.slices();
        int se = a.chunkSlice(chunk + 1);
        for (int s = a.chunkSlice(chunk); s < se; s++) {
            int first = rows.getAtIndex(ValueLayout.JAVA_INT, s);
            int nr = rows.getAtIndex(ValueLayout.JAVA_INT, s + 1) - first;
            long ks = starts.getAtIndex(ValueLayout.JAVA_LONG, base + s);
            long ke = starts.getAtIndex(ValueLayout.JAVA_LONG, base + s + 1);
            fusedPair(col, val, ks, ke, st, us, vs, mvs, mts, first, 0, nr, panel > 0);
            if (nr > 2) {
                fusedPair(col, val, ks, ke, st, us, vs, mvs, mts, first, 2, nr, panel > 0);
            }
        }
    }

    /**
     * Lanes q and q + 1 (q = 0 or 2) of one slice of one panel of the aligned form: rows first + q and first + q + 1
     * (of nr rows; a lane past nr holds only padding, whose 0·U[first + q] adds ±0 and whose MV row is not stored),
     * their MV rows in 2 FMA chains (from 0 in the first panel, {@code carry} false, else from the output rows) and,
     * entry by entry in the layout's order, MᵀU[j] += m·U[i].
     */
    private static void fusedPair(MemorySegment col, MemorySegment val, long ks, long ke, long st, MemorySegment us,
            MemorySegment vs, MemorySegment mvs, MemorySegment mts, int first, int q, int nr, boolean carry) {
        long r0 = (first + q) * st;
        long r1 = nr > q + 1 ? r0 + st : r0;
        int n = (int) (ke - ks);
        MemorySegment c = exact(col).asSlice(ks * Integer.BYTES, n * (long) Integer.BYTES);
        MemorySegment w = exact(val).asSlice(ks * BYTES, n * BYTES);
        // typed once: exact(...) at each access of the 4-lane loop was left a call by C2 (not inlined in a method
        // that large) in the prototype, and the pass ran 2.1–2.5 times slower
        MemorySegment x = exact(vs);
        MemorySegment y = exact(mvs);
        MemorySegment z = exact(mts);
        MemorySegment uu = exact(us);
        FloatVector a0 = VT.cast(FloatVector.zero(S));
        FloatVector a1 = a0;
        if (carry) {
            a0 = VT.cast(FloatVector.fromMemorySegment(S, y, r0, NO));
            a1 = VT.cast(FloatVector.fromMemorySegment(S, y, r1, NO));
        }
        FloatVector u0 = VT.cast(FloatVector.fromMemorySegment(S, uu, r0, NO));
        FloatVector u1 = VT.cast(FloatVector.fromMemorySegment(S, uu, r1, NO));
        for (int t = q; t < n; t += SparsePanels.SLICE) {
            long j0 = c.getAtIndex(ValueLayout.JAVA_INT, t) * st;
            FloatVector m0 = VT.cast(FloatVector.broadcast(S, w.getAtIndex(E, t)));
            a0 = VT.cast(m0.fma(VT.cast(FloatVector.fromMemorySegment(S, x, j0, NO)), a0));
            VT.cast(m0.fma(u0, VT.cast(FloatVector.fromMemorySegment(S, z, j0, NO)))).intoMemorySegment(z, j0, NO);
            long j1 = c.getAtIndex(ValueLayout.JAVA_INT, t + 1) * st;
            FloatVector m1 = VT.cast(FloatVector.broadcast(S, w.getAtIndex(E, t + 1)));
            a1 = VT.cast(m1.fma(VT.cast(FloatVector.fromMemorySegment(S, x, j1, NO)), a1));
            VT.cast(m1.fma(u1, VT.cast(FloatVector.fromMemorySegment(S, z, j1, NO)))).intoMemorySegment(z, j1, NO);
        }
        VT.cast(a0).intoMemorySegment(y, r0, NO);
        if (nr > q + 1) {
            VT.cast(a1).intoMemorySegment(y, r1, NO);
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

    /**
     * Entries per chunk of the observed pass's rows of 2 or more vectors, which run two kinds of loop per chunk — the
     * chunk's residuals into scratch, then its updates — instead of one per entry: the one-loop form was recompiled
     * again and again by C2 (a profiled loop predicate failing at its loop entry, about 45 times in a JVM before
     * HotSpot gave up speculating, each round ~60× slower), the two-loop form settles after a few. Same operations in
     * the same order (a row's columns are distinct, so an entry's update never feeds a later residual): bit-identical
     * results. native-notes/sparse.md.
     */
    private static final int CHUNK = 64;

    /**
     * Rows per call of the observed pass's row kernels: many calls per pass, so that each kernel reaches C2 within a
     * pass or two in a JVM without the launcher's options (native-notes/kernels.md, section 23), and few enough that
     * the call costs nothing next to the rows' entries.
     */
    private static final int ROWS = 16;

    /**
     * The observed-entries pass: per stored entry e = uᵢ·vⱼ − m once, then pu row i −= e·vⱼ (accumulated over the row,
     * then stored) and pv row j −= e·uᵢ. 1-vector rows do it all in one loop ({@link #observedRows}); wider rows go by
     * chunks of {@link #CHUNK} entries, the chunk's residuals into {@code es}, then its updates in blocks of 2 vectors
     * whose pu accumulators stay in registers for the chunk and in the pu row (L1) between chunks.
     *
     * <p>This driver only counts blocks of {@link #ROWS} rows and calls {@link #observedRows} for each. Every method
     * below it that holds vector code and has a caller in this class ({@code observedRows}, {@code observed2}, {@code
     * observedWide}, {@link #update}, {@link #dot}) is larger than HotSpot's FreqInlineSize (325 bytes of bytecode),
     * which C2 does not inline unless a directive forces it: each stays a call and each C2 compile holds one of them,
     * the same whatever HotSpot compiled first. Before, this driver called a kernel per row and the kernels were
     * smaller: when C2 compiled it while they had no compiled code (made not entrant a moment before, or compiled later
     * than the driver), it inlined {@code observed1}, {@code observed2} and {@code update2} into it, the unit passed
     * C2's node cutoff for inlining, and the JDK's store calls after that were inlined late, with the vector's exact
     * type lost and its class bound from the type profile every species shares (KernelJitTest failed so in a plain JVM;
     * native-notes/sparse.md, "The observed pass's profile-bound stores"). Same operations in the same order as then,
     * the squares still added row by row: the bits are the same.
     *
     * <p>Panels: the entries are read from {@code ptr}, {@code col} and {@code val} as {@link
     * org.autobalance.kernel.CsrPanels} lays them out, row i's piece in panel p at {@code ptr[p·rows + i]} (M's own
     * CSR is the one-panel case). Each thread runs the panels in turn over its rows [rs, re). Before a block of rows
     * in the first panel this driver zeroes the block's pu rows and sums of squares; the kernels then continue every
     * row's sums from what is there, in every panel alike (a row without entries in a panel is skipped), so each
     * row's sums are the chains they are over M, and a column of pv, which lives in one panel, still receives its
     * rows' updates in row order: the bits of the one-panel pass whatever the panel count (native-notes/sparse.md,
     * "Twenty-third session"). The kernels take no flag for the first panel: with one (zero the row there, continue
     * it elsewhere) the pass over 2 panels took 83 ms against 47 with the flag always true, the same code for a
     * different branch profile, as the twenty-second session's prototype had found for its carry flag (1.7×); a
     * zero vector as the first panel's accumulator would also be a vector merged from two branches, which was boxed
     * (see {@link #update}).
     *
     * <p>The per-row loops count their entries by {@code int} from 0, not by {@code long} from the row's start. C2
     * turns a {@code long}-counted loop into a nest (a {@code long} outer loop around an {@code int} inner one) and
     * puts a profiled loop predicate before the inner loop, with the state of the loop's back-edge; in some JVMs that
     * predicate failed on every few rows, and since HotSpot keeps no per-bytecode count of such traps the recompiled
     * method had the same predicate again, until 100 traps (PerMethodTrapLimit): {@code observed1} compiled about 100
     * times, each a blocking compile under the command line's options (0.7 s runs became 55–84 s).
     * native-notes/kernels.md, section 25. A row's count fits an {@code int}: its columns are distinct column
     * indices, so ke − ks ≤ cols ≤ Integer.MAX_VALUE. Not the whole cure: an {@code int} loop with {@code long}
     * range checks (every segment access) is made a nest too, with the same predicate. What failed was the owner
     * check of a segment's session, hoisted on a profile that confined arenas had taught the JDK's memory-access
     * code (one profile for every caller): the segments here are shared, without owner. The sparse builder's
     * sorting arena (every reader builds through it), spark's shard reads and every other arena of main code are
     * shared (native-notes/sparse.md, "observed1's recompile loop: its cause"); a program that reads much through
     * confined segments before it factorizes can still meet the loop, up to 100 compiles.
     */
    static double observedPass(MemorySegment ptr, MemorySegment col, MemorySegment val, int panels, int rows,
            DenseMatrix u, DenseMatrix v, int rs, int re, DenseMatrix pu, DenseMatrix pv, Scratch sc) {
        int nc = (u.cols() + L - 1) / L;
        long st = (long) u.stride() * BYTES;
        MemorySegment us = u.segment();
        MemorySegment vs = v.segment();
        MemorySegment pus = pu.segment();
        MemorySegment pvs = pv.segment();
        float[] es = nc > 1 ? sc.floats(1, CHUNK) : null;
        // each row's sum of squares: over one panel a block's, added after the block; over several every row's,
        // carried from panel to panel and added at the end; in row order either way
        double[] sq = sc.doubles(0, panels == 1 ? ROWS : re - rs);
        double squares = 0.0;
        for (int p = 0; p < panels; p++) {
            long pb = (long) p * rows;
            for (int i = rs; i < re; ) {
                int i1 = i + Math.min(ROWS, re - i); // not i + ROWS, which can pass Integer.MAX_VALUE
                int so = panels == 1 ? i : rs;
                if (p == 0) {
                    // the block's sums start from 0: its pu rows (the accumulators' start in every panel) and squares
                    for (long o = i * st; o < i1 * st; o += Long.BYTES) {
                        exact(pus).set(ValueLayout.JAVA_LONG, o, 0L);
                    }
                    Arrays.fill(sq, i - so, i1 - so, 0.0);
                }
                observedRows(ptr, col, val, pb, i, i1, st, nc, us, vs, pus, pvs, es, sq, so);
                for (int k = 0; panels == 1 && k < i1 - i; k++) {
                    squares += sq[k];
                }
                i = i1;
            }
        }
        for (int k = 0; panels > 1 && k < re - rs; k++) {
            squares += sq[k];
        }
        return squares;
    }

    /**
     * Rows [i0, i1) of panel {@code pb / rows} of the pass: each row's pu row and sum of squared residuals
     * ({@code sq[i − so]}) continued from what is there (see {@link #observedPass}). Rows of one
     * vector are done here, in one loop per row; wider ones by {@code observed2} or {@code observedWide}. (The
     * one-vector loop is here rather than in a method of its own because it is what makes this method larger than
     * FreqInlineSize: see {@link #observedPass}.)
     */
    private static void observedRows(MemorySegment ptr, MemorySegment col, MemorySegment val, long pb, int i0,
            int i1, long st, int nc, MemorySegment us, MemorySegment vs, MemorySegment pus, MemorySegment pvs,
            float[] es, double[] sq, int so) {
        if (nc == 2) {
            observed2(ptr, col, val, pb, i0, i1, st, us, vs, pus, pvs, es, sq, so);
            return;
        } else if (nc > 2) {
            observedWide(ptr, col, val, pb, i0, i1, st, nc, us, vs, pus, pvs, es, sq, so);
            return;
        }
        for (int i = i0; i < i1; i++) {
            long ks = ptr.getAtIndex(ValueLayout.JAVA_LONG, pb + i);
            int n = (int) (ptr.getAtIndex(ValueLayout.JAVA_LONG, pb + i + 1) - ks); // counted by int: see observedPass
            long ro = i * st;
            if (n == 0) {
                continue; // nothing in this panel: the row's sums stay as they are
            }
            FloatVector u0 = VT.cast(FloatVector.fromMemorySegment(S, exact(us), ro, NO));
            FloatVector a0 = VT.cast(FloatVector.fromMemorySegment(S, exact(pus), ro, NO));
            double row = sq[i - so];
            for (int t = 0; t < n; t++) {
                long k = ks + t;
                long j = col.getAtIndex(ValueLayout.JAVA_INT, k) * st;
                FloatVector v0 = VT.cast(FloatVector.fromMemorySegment(S, exact(vs), j, NO));
                FloatVector d = VT.cast(u0).mul(v0);
                for (VectorShuffle<Float> s : TREE) {
                    FloatVector x = VT.cast(d); // loop-carried: typed exactly at each use (see FloatFused#VT)
                    d = x.add(x.rearrange(s));
                }
                float p = L == 2 ? VT.cast(d).lane(0) + VT.cast(d).lane(1) : VT.cast(d).lane(0); // see TREE
                float e = p - val.getAtIndex(E, k);
                row += (double) e * e;
                FloatVector ne = VT.cast(FloatVector.broadcast(S, -e));
                a0 = ne.fma(v0, a0);
                VT.cast(ne.fma(u0, VT.cast(FloatVector.fromMemorySegment(S, exact(pvs), j, NO))))
                        .intoMemorySegment(exact(pvs), j, NO);
            }
            VT.cast(a0).intoMemorySegment(exact(pus), ro, NO);
            sq[i - so] = row;
        }
    }

    /**
     * 2-vector rows [i0, i1), as {@link #observedRows}: per chunk the residuals, then the updates, with uᵢ and the pu
     * accumulators in registers for the whole row. The updates are written here rather than called ({@link #update}
     * does the same for the wide rows' blocks, through the pu row): a call per chunk, most rows' one, cost 5–7 % of
     * the pass (native-notes/sparse.md, "The observed pass's profile-bound stores: fixed by structure"), and a
     * smaller method that C2 may inline is what this structure avoids. Per lane the same FMAs in the same order as
     * one accumulator over the row: the same bits as through the pu row.
     */
    private static void observed2(MemorySegment ptr, MemorySegment col, MemorySegment val, long pb, int i0, int i1,
            long st, MemorySegment us, MemorySegment vs, MemorySegment pus, MemorySegment pvs, float[] es,
            double[] sq, int so) {
        long o1 = L * BYTES;
        for (int i = i0; i < i1; i++) {
            long ks = ptr.getAtIndex(ValueLayout.JAVA_LONG, pb + i);
            int m = (int) (ptr.getAtIndex(ValueLayout.JAVA_LONG, pb + i + 1) - ks); // counted by int: see observedPass
            long ro = i * st;
            if (m == 0) {
                continue; // see observedRows
            }
            FloatVector u0 = VT.cast(FloatVector.fromMemorySegment(S, exact(us), ro, NO));
            FloatVector u1 = VT.cast(FloatVector.fromMemorySegment(S, exact(us), ro + o1, NO));
            FloatVector a0 = VT.cast(FloatVector.fromMemorySegment(S, exact(pus), ro, NO));
            FloatVector a1 = VT.cast(FloatVector.fromMemorySegment(S, exact(pus), ro + o1, NO));
            double row = sq[i - so];
            // unsigned: m + CHUNK - 1 may pass Integer.MAX_VALUE (t0 += CHUNK would wrap there and start the row over)
            int chunks = Integer.divideUnsigned(m + CHUNK - 1, CHUNK);
            for (int c = 0; c < chunks; c++) {
                int t0 = c * CHUNK;
                long k0 = ks + t0;
                int n = Math.min(CHUNK, m - t0);
                // u0, u1, a0 and a1 cross loop boundaries: cast where used (kernels.md §9.7)
                for (int t = 0; t < n; t++) {
                    long j = col.getAtIndex(ValueLayout.JAVA_INT, k0 + t) * st;
                    FloatVector d = VT.cast(u1).fma(VT.cast(FloatVector.fromMemorySegment(S, exact(vs), j + o1, NO)),
                            VT.cast(u0).mul(VT.cast(FloatVector.fromMemorySegment(S, exact(vs), j, NO))));
                    for (VectorShuffle<Float> s : TREE) {
                        FloatVector x = VT.cast(d); // loop-carried: cast where used
                        d = x.add(x.rearrange(s));
                    }
                    float p = L == 2 ? VT.cast(d).lane(0) + VT.cast(d).lane(1) : VT.cast(d).lane(0); // see TREE
                    float e = p - val.getAtIndex(E, k0 + t);
                    row += (double) e * e;
                    es[t] = e;
                }
                for (int t = 0; t < n; t++) {
                    long j = col.getAtIndex(ValueLayout.JAVA_INT, k0 + t) * st;
                    FloatVector ne = VT.cast(FloatVector.broadcast(S, -es[t]));
                    a0 = ne.fma(VT.cast(FloatVector.fromMemorySegment(S, exact(vs), j, NO)), a0);
                    a1 = ne.fma(VT.cast(FloatVector.fromMemorySegment(S, exact(vs), j + o1, NO)), a1);
                    VT.cast(ne.fma(VT.cast(u0), VT.cast(FloatVector.fromMemorySegment(S, exact(pvs), j, NO))))
                            .intoMemorySegment(exact(pvs), j, NO);
                    VT.cast(ne.fma(VT.cast(u1), VT.cast(FloatVector.fromMemorySegment(S, exact(pvs), j + o1, NO))))
                            .intoMemorySegment(exact(pvs), j + o1, NO);
                }
            }
            VT.cast(a0).intoMemorySegment(exact(pus), ro, NO);
            VT.cast(a1).intoMemorySegment(exact(pus), ro + o1, NO);
            sq[i - so] = row;
        }
    }

    /**
     * Rows [i0, i1) of 3 or more vectors, as {@link #observedRows}: per chunk the residuals ({@link #dot}), then the
     * updates in blocks of 2 vectors and a last single one. The pu row is the accumulator between chunks: its
     * per-lane sums are the same FMAs in the same order as one accumulator per vector over the whole row, so the
     * block size does not change a bit. An earlier form kept the accumulators in a heap array and looped over the
     * row's vectors per entry: float64 r = 16 (4 vectors) cost 10× r = 8 per entry (native-notes/sparse.md, "The
     * observed pass's wide rows").
     */
    private static void observedWide(MemorySegment ptr, MemorySegment col, MemorySegment val, long pb, int i0,
            int i1, long st, int nc, MemorySegment us, MemorySegment vs, MemorySegment pus, MemorySegment pvs,
            float[] es, double[] sq, int so) {
        int pairs = nc & ~1;
        long tail = pairs * L * BYTES;
        for (int i = i0; i < i1; i++) {
            long ks = ptr.getAtIndex(ValueLayout.JAVA_LONG, pb + i);
            int m = (int) (ptr.getAtIndex(ValueLayout.JAVA_LONG, pb + i + 1) - ks); // counted by int: see observedPass
            long ro = i * st;
            if (m == 0) {
                continue; // see observedRows
            }
            double row = sq[i - so];
            int chunks = Integer.divideUnsigned(m + CHUNK - 1, CHUNK); // unsigned: see observed2
            for (int c = 0; c < chunks; c++) {
                int t0 = c * CHUNK;
                long k0 = ks + t0;
                int n = Math.min(CHUNK, m - t0);
                for (int t = 0; t < n; t++) {
                    long j = col.getAtIndex(ValueLayout.JAVA_INT, k0 + t) * st;
                    float e = dot(us, ro, vs, j, nc) - val.getAtIndex(E, k0 + t);
                    row += (double) e * e;
                    es[t] = e;
                }
                for (int b = 0; b < pairs; b += 2) {
                    update(col, k0, n, st, b * L * BYTES, true, us, vs, pus, pvs, ro, es);
                }
                if (pairs < nc) {
                    update(col, k0, n, st, tail, false, us, vs, pus, pvs, ro, es);
                }
            }
            sq[i - so] = row;
        }
    }

    /**
     * The updates of a chunk's n entries (from k0, residuals in es) for the 2 vectors ({@code pair}) or the 1 vector
     * at byte offset {@code off}: the pu row's vectors there, loaded, −= e·vⱼ over the chunk in registers, stored;
     * pv row j's += −e·uᵢ. For the wide rows' blocks; one method for both sizes so that it is larger than
     * FreqInlineSize and stays a call (see {@link #observedPass}): {@code observedWide} with the two inlined would pass
     * C2's node cutoff for inlining (the 2-vector update alone is 9 400 nodes of the 18 000).
     */
    private static void update(MemorySegment col, long k0, int n, long st, long off, boolean pair, MemorySegment us,
            MemorySegment vs, MemorySegment pus, MemorySegment pvs, long ro, float[] es) {
        // each branch loads and stores its own vectors: one merged after the branches (a phi of two vectors) was
        // boxed, a heap vector per entry, in JVMs where both branches had run before the compile
        if (pair) {
            long o1 = off + L * BYTES;
            FloatVector u0 = VT.cast(FloatVector.fromMemorySegment(S, exact(us), ro + off, NO));
            FloatVector u1 = VT.cast(FloatVector.fromMemorySegment(S, exact(us), ro + o1, NO));
            FloatVector a0 = VT.cast(FloatVector.fromMemorySegment(S, exact(pus), ro + off, NO));
            FloatVector a1 = VT.cast(FloatVector.fromMemorySegment(S, exact(pus), ro + o1, NO));
            for (int t = 0; t < n; t++) {
                long j = col.getAtIndex(ValueLayout.JAVA_INT, k0 + t) * st;
                FloatVector ne = VT.cast(FloatVector.broadcast(S, -es[t]));
                a0 = ne.fma(VT.cast(FloatVector.fromMemorySegment(S, exact(vs), j + off, NO)), a0);
                a1 = ne.fma(VT.cast(FloatVector.fromMemorySegment(S, exact(vs), j + o1, NO)), a1);
                // u0 and u1 cross the loop boundary: cast where used (kernels.md §9.7)
                VT.cast(ne.fma(VT.cast(u0), VT.cast(FloatVector.fromMemorySegment(S, exact(pvs), j + off, NO))))
                        .intoMemorySegment(exact(pvs), j + off, NO);
                VT.cast(ne.fma(VT.cast(u1), VT.cast(FloatVector.fromMemorySegment(S, exact(pvs), j + o1, NO))))
                        .intoMemorySegment(exact(pvs), j + o1, NO);
            }
            VT.cast(a0).intoMemorySegment(exact(pus), ro + off, NO);
            VT.cast(a1).intoMemorySegment(exact(pus), ro + o1, NO);
        } else {
            FloatVector u0 = VT.cast(FloatVector.fromMemorySegment(S, exact(us), ro + off, NO));
            FloatVector a0 = VT.cast(FloatVector.fromMemorySegment(S, exact(pus), ro + off, NO));
            for (int t = 0; t < n; t++) {
                long j = col.getAtIndex(ValueLayout.JAVA_INT, k0 + t) * st;
                FloatVector ne = VT.cast(FloatVector.broadcast(S, -es[t]));
                a0 = ne.fma(VT.cast(FloatVector.fromMemorySegment(S, exact(vs), j + off, NO)), a0);
                VT.cast(ne.fma(VT.cast(u0), VT.cast(FloatVector.fromMemorySegment(S, exact(pvs), j + off, NO))))
                        .intoMemorySegment(exact(pvs), j + off, NO);
            }
            VT.cast(a0).intoMemorySegment(exact(pus), ro + off, NO);
        }
    }

    /**
     * uᵢ·vⱼ over nc vectors: two FMA chains (even and odd vectors), added, then the fixed lane tree. Four vectors a
     * step: C2 keeps this loop as it is, so with the step of 2 it had, a 4-vector row (float64 r = 16) paid the loop's
     * overhead twice per entry (the wide observed pass 1.3–2× slower; native-notes/sparse.md). Its bytecode (700
     * bytes with the loads written in place) is over FreqInlineSize (325): a shorter one could be inlined into {@code
     * observedWide} in one compile order and not another, which KernelInliningBoundaryTest refuses (see {@code
     * observedPass}, in the large-width classes, which also hold observedWide).
     */
    private static float dot(MemorySegment us, long uo, MemorySegment vs, long vo, int nc) {
        FloatVector p0 = VT.cast(FloatVector.zero(S));
        FloatVector p1 = VT.cast(FloatVector.zero(S));
        long w = L * BYTES;
        int c = 0;
        for (; c + 4 <= nc; c += 4) {
            long o = c * w;
            p0 = VT.cast(FloatVector.fromMemorySegment(S, exact(us), uo + o, NO))
                    .fma(VT.cast(FloatVector.fromMemorySegment(S, exact(vs), vo + o, NO)), p0);
            p1 = VT.cast(FloatVector.fromMemorySegment(S, exact(us), uo + o + w, NO))
                    .fma(VT.cast(FloatVector.fromMemorySegment(S, exact(vs), vo + o + w, NO)), p1);
            p0 = VT.cast(FloatVector.fromMemorySegment(S, exact(us), uo + o + 2 * w, NO))
                    .fma(VT.cast(FloatVector.fromMemorySegment(S, exact(vs), vo + o + 2 * w, NO)), p0);
            p1 = VT.cast(FloatVector.fromMemorySegment(S, exact(us), uo + o + 3 * w, NO))
                    .fma(VT.cast(FloatVector.fromMemorySegment(S, exact(vs), vo + o + 3 * w, NO)), p1);
        }
        if (c + 2 <= nc) {
            long o = c * w;
            p0 = VT.cast(FloatVector.fromMemorySegment(S, exact(us), uo + o, NO))
                    .fma(VT.cast(FloatVector.fromMemorySegment(S, exact(vs), vo + o, NO)), p0);
            p1 = VT.cast(FloatVector.fromMemorySegment(S, exact(us), uo + o + w, NO))
                    .fma(VT.cast(FloatVector.fromMemorySegment(S, exact(vs), vo + o + w, NO)), p1);
            c += 2;
        }
        if (c < nc) {
            p0 = VT.cast(FloatVector.fromMemorySegment(S, exact(us), uo + c * w, NO))
                    .fma(VT.cast(FloatVector.fromMemorySegment(S, exact(vs), vo + c * w, NO)), p0);
        }
        FloatVector d = VT.cast(p0).add(p1);
        for (VectorShuffle<Float> s : TREE) {
            FloatVector x = VT.cast(d); // loop-carried: cast where used
            d = x.add(x.rearrange(s));
        }
        return L == 2 ? VT.cast(d).lane(0) + VT.cast(d).lane(1) : VT.cast(d).lane(0); // see TREE
    }

}
