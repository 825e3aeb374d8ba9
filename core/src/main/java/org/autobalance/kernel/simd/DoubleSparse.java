// GENERATED from core/src/build/simd/Sparse.java.template by core/src/build/GenerateSimdVariants.java
// (variant DoubleSparse). Do not edit: edit the template, then run
// java core/src/build/GenerateSimdVariants.java from the repository root.
package org.autobalance.kernel.simd;

import static org.autobalance.kernel.simd.NativeSegments.exact;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;

/**
 * The sparse passes for float64: SIMD over r for every stored entry (the gathered row of V, the scatter-added row of
 * the d2-side output and the row of U are each ⌈r/L⌉ vectors; rows are padded to 64 bytes with zeros, so whole vectors
 * never leave a row and the padding lanes compute 0 + m·0).
 *
 * <p>Register use: for up to 4 vectors per factor row the d1-side accumulators and the row of U stay in registers
 * for the whole row of M ({@code fused1}, {@code fused2}, {@code fused4}; wider ranks loop over groups of 4 vectors,
 * re-reading the row's entries from L1). The accumulators of 1- and 2-vector rows are doubled (even and odd entries)
 * so that two FMA chains per lane hide the FMA latency; they are added in a fixed order at the end of the row.
 *
 * <p>Precision: everything is formed in double (error ≲ n·u·Σ|terms| for a row of n entries, the bound of the
 * contract tests). Dot products of the observed-entries pass sum their
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
final class DoubleSparse {
    static final VectorSpecies<Double> S = SimdSpecies.DOUBLE;
    static final int L = S.length();
    /** The exact class of S's vectors: see {@link FloatFused#VT} for why every vector goes through it. */
    @SuppressWarnings("unchecked")
    static final Class<DoubleVector> VT = (Class<DoubleVector>) (Class<?>) S.vectorType();
    static final ByteOrder NO = ByteOrder.nativeOrder();
    static final long BYTES = Double.BYTES;
    static final ValueLayout.OfDouble E = ValueLayout.JAVA_DOUBLE;
    /**
     * Lane permutations i → i xor h for h = L/2, L/4, …, 1: the fixed summation tree of a dot product's lanes, x =
     * x + x.rearrange(s) for each s in turn, then lane 0. Written in place where it is used, not in a method: see
     * below. Empty at 2 lanes, whose tree is lane 0 + lane 1 (the same bits as the one step): a 2-lane rearrange was
     * not intrinsified on the x86 hosts measured (float64 at 128 bits, AVX2 and AVX-512: the JDK's Java fallback ran,
     * 96 bytes allocated per stored entry: two 48-byte vectors). Wider vectors keep the last rearrange: lane 0 + lane 1
     * there read 3.5 % slower (float64 r = 4, native-notes/sparse.md, "Boxed vectors in the sparse passes").
     */
    private static final VectorShuffle<Double>[] TREE = tree();

    private DoubleSparse() {
    }

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Double>[] tree() {
        int steps = L == 2 ? 0 : Integer.numberOfTrailingZeros(L);
        VectorShuffle<Double>[] t = (VectorShuffle<Double>[]) new VectorShuffle<?>[steps];
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

    static void fusedPass(SparseMatrix m, DenseMatrix u, DenseMatrix v, int rs, int re, DenseMatrix mv,
            DenseMatrix mtu) {
        int nc = (u.cols() + L - 1) / L;
        // U, V, MV and MᵀU all have r columns of one dtype, hence one stride
        long st = (long) u.stride() * BYTES;
        MemorySegment ptr = m.rowStarts();
        MemorySegment col = m.columnIndices();
        MemorySegment val = m.values();
        MemorySegment us = u.segment();
        MemorySegment vs = v.segment();
        MemorySegment mvs = mv.segment();
        MemorySegment mts = mtu.segment();
        for (int i = rs; i < re; i++) {
            long ks = ptr.getAtIndex(ValueLayout.JAVA_LONG, i);
            long ke = ptr.getAtIndex(ValueLayout.JAVA_LONG, i + 1);
            long ro = i * st;
            int c = 0;
            for (; c + 4 <= nc; c += 4) {
                fused4(col, val, ks, ke, st, c * L * BYTES, us, vs, mvs, mts, ro);
            }
            if (c + 2 <= nc) {
                fused2(col, val, ks, ke, st, c * L * BYTES, us, vs, mvs, mts, ro);
                c += 2;
            }
            if (c < nc) {
                fused1(col, val, ks, ke, st, c * L * BYTES, us, vs, mvs, mts, ro);
            }
        }
    }

    /** One vector of the factor rows at byte offset {@code off}, for the entries [ks, ke) of the row at {@code ro}. */
    private static void fused1(MemorySegment col, MemorySegment val, long ks, long ke, long st, long off,
            MemorySegment us, MemorySegment vs, MemorySegment mvs, MemorySegment mts, long ro) {
        // typed once, here, in the three fused kernels: fused2 passes C2's node cutoff for inlining (~25 000 nodes of
        // 18 000), and a call of exact after it, in its odd entry, was not inlined
        MemorySegment ux = exact(us);
        MemorySegment vx = exact(vs);
        MemorySegment mvx = exact(mvs);
        MemorySegment mtx = exact(mts);
        DoubleVector u0 = VT.cast(DoubleVector.fromMemorySegment(S, ux, ro + off, NO));
        DoubleVector a0 = VT.cast(DoubleVector.zero(S));
        DoubleVector b0 = VT.cast(DoubleVector.zero(S));
        long k = ks;
        for (; k + 2 <= ke; k += 2) {
            long jo = col.getAtIndex(ValueLayout.JAVA_INT, k) * st + off;
            DoubleVector x = VT.cast(DoubleVector.broadcast(S, val.getAtIndex(E, k)));
            a0 = x.fma(VT.cast(DoubleVector.fromMemorySegment(S, vx, jo, NO)), a0);
            VT.cast(x.fma(u0, VT.cast(DoubleVector.fromMemorySegment(S, mtx, jo, NO))))
                    .intoMemorySegment(mtx, jo, NO);
            long jp = col.getAtIndex(ValueLayout.JAVA_INT, k + 1) * st + off;
            DoubleVector y = VT.cast(DoubleVector.broadcast(S, val.getAtIndex(E, k + 1)));
            b0 = y.fma(VT.cast(DoubleVector.fromMemorySegment(S, vx, jp, NO)), b0);
            VT.cast(y.fma(u0, VT.cast(DoubleVector.fromMemorySegment(S, mtx, jp, NO))))
                    .intoMemorySegment(mtx, jp, NO);
        }
        if (k < ke) {
            long jo = col.getAtIndex(ValueLayout.JAVA_INT, k) * st + off;
            DoubleVector x = VT.cast(DoubleVector.broadcast(S, val.getAtIndex(E, k)));
            a0 = x.fma(VT.cast(DoubleVector.fromMemorySegment(S, vx, jo, NO)), a0);
            VT.cast(x.fma(u0, VT.cast(DoubleVector.fromMemorySegment(S, mtx, jo, NO))))
                    .intoMemorySegment(mtx, jo, NO);
        }
        VT.cast(VT.cast(a0).add(b0)).intoMemorySegment(mvx, ro + off, NO);
    }

    private static void fused2(MemorySegment col, MemorySegment val, long ks, long ke, long st, long off,
            MemorySegment us, MemorySegment vs, MemorySegment mvs, MemorySegment mts, long ro) {
        MemorySegment ux = exact(us);
        MemorySegment vx = exact(vs);
        MemorySegment mvx = exact(mvs);
        MemorySegment mtx = exact(mts);
        long o1 = off + L * BYTES;
        DoubleVector u0 = VT.cast(DoubleVector.fromMemorySegment(S, ux, ro + off, NO));
        DoubleVector u1 = VT.cast(DoubleVector.fromMemorySegment(S, ux, ro + o1, NO));
        DoubleVector a0 = VT.cast(DoubleVector.zero(S));
        DoubleVector a1 = VT.cast(DoubleVector.zero(S));
        DoubleVector b0 = VT.cast(DoubleVector.zero(S));
        DoubleVector b1 = VT.cast(DoubleVector.zero(S));
        long k = ks;
        for (; k + 2 <= ke; k += 2) {
            long j = col.getAtIndex(ValueLayout.JAVA_INT, k) * st;
            DoubleVector x = VT.cast(DoubleVector.broadcast(S, val.getAtIndex(E, k)));
            a0 = x.fma(VT.cast(DoubleVector.fromMemorySegment(S, vx, j + off, NO)), a0);
            a1 = x.fma(VT.cast(DoubleVector.fromMemorySegment(S, vx, j + o1, NO)), a1);
            VT.cast(x.fma(u0, VT.cast(DoubleVector.fromMemorySegment(S, mtx, j + off, NO))))
                    .intoMemorySegment(mtx, j + off, NO);
            VT.cast(x.fma(u1, VT.cast(DoubleVector.fromMemorySegment(S, mtx, j + o1, NO))))
                    .intoMemorySegment(mtx, j + o1, NO);
            long jp = col.getAtIndex(ValueLayout.JAVA_INT, k + 1) * st;
            DoubleVector y = VT.cast(DoubleVector.broadcast(S, val.getAtIndex(E, k + 1)));
            b0 = y.fma(VT.cast(DoubleVector.fromMemorySegment(S, vx, jp + off, NO)), b0);
            b1 = y.fma(VT.cast(DoubleVector.fromMemorySegment(S, vx, jp + o1, NO)), b1);
            VT.cast(y.fma(u0, VT.cast(DoubleVector.fromMemorySegment(S, mtx, jp + off, NO))))
                    .intoMemorySegment(mtx, jp + off, NO);
            VT.cast(y.fma(u1, VT.cast(DoubleVector.fromMemorySegment(S, mtx, jp + o1, NO))))
                    .intoMemorySegment(mtx, jp + o1, NO);
        }
        if (k < ke) {
            long j = col.getAtIndex(ValueLayout.JAVA_INT, k) * st;
            DoubleVector x = VT.cast(DoubleVector.broadcast(S, val.getAtIndex(E, k)));
            a0 = x.fma(VT.cast(DoubleVector.fromMemorySegment(S, vx, j + off, NO)), a0);
            a1 = x.fma(VT.cast(DoubleVector.fromMemorySegment(S, vx, j + o1, NO)), a1);
            VT.cast(x.fma(u0, VT.cast(DoubleVector.fromMemorySegment(S, mtx, j + off, NO))))
                    .intoMemorySegment(mtx, j + off, NO);
            VT.cast(x.fma(u1, VT.cast(DoubleVector.fromMemorySegment(S, mtx, j + o1, NO))))
                    .intoMemorySegment(mtx, j + o1, NO);
        }
        VT.cast(VT.cast(a0).add(b0)).intoMemorySegment(mvx, ro + off, NO);
        VT.cast(VT.cast(a1).add(b1)).intoMemorySegment(mvx, ro + o1, NO);
    }

    private static void fused4(MemorySegment col, MemorySegment val, long ks, long ke, long st, long off,
            MemorySegment us, MemorySegment vs, MemorySegment mvs, MemorySegment mts, long ro) {
        MemorySegment ux = exact(us);
        MemorySegment vx = exact(vs);
        MemorySegment mvx = exact(mvs);
        MemorySegment mtx = exact(mts);
        long o1 = off + L * BYTES;
        long o2 = o1 + L * BYTES;
        long o3 = o2 + L * BYTES;
        DoubleVector u0 = VT.cast(DoubleVector.fromMemorySegment(S, ux, ro + off, NO));
        DoubleVector u1 = VT.cast(DoubleVector.fromMemorySegment(S, ux, ro + o1, NO));
        DoubleVector u2 = VT.cast(DoubleVector.fromMemorySegment(S, ux, ro + o2, NO));
        DoubleVector u3 = VT.cast(DoubleVector.fromMemorySegment(S, ux, ro + o3, NO));
        DoubleVector a0 = VT.cast(DoubleVector.zero(S));
        DoubleVector a1 = VT.cast(DoubleVector.zero(S));
        DoubleVector a2 = VT.cast(DoubleVector.zero(S));
        DoubleVector a3 = VT.cast(DoubleVector.zero(S));
        for (long k = ks; k < ke; k++) {
            long j = col.getAtIndex(ValueLayout.JAVA_INT, k) * st;
            DoubleVector x = VT.cast(DoubleVector.broadcast(S, val.getAtIndex(E, k)));
            a0 = x.fma(VT.cast(DoubleVector.fromMemorySegment(S, vx, j + off, NO)), a0);
            a1 = x.fma(VT.cast(DoubleVector.fromMemorySegment(S, vx, j + o1, NO)), a1);
            a2 = x.fma(VT.cast(DoubleVector.fromMemorySegment(S, vx, j + o2, NO)), a2);
            a3 = x.fma(VT.cast(DoubleVector.fromMemorySegment(S, vx, j + o3, NO)), a3);
            VT.cast(x.fma(u0, VT.cast(DoubleVector.fromMemorySegment(S, mtx, j + off, NO))))
                    .intoMemorySegment(mtx, j + off, NO);
            VT.cast(x.fma(u1, VT.cast(DoubleVector.fromMemorySegment(S, mtx, j + o1, NO))))
                    .intoMemorySegment(mtx, j + o1, NO);
            VT.cast(x.fma(u2, VT.cast(DoubleVector.fromMemorySegment(S, mtx, j + o2, NO))))
                    .intoMemorySegment(mtx, j + o2, NO);
            VT.cast(x.fma(u3, VT.cast(DoubleVector.fromMemorySegment(S, mtx, j + o3, NO))))
                    .intoMemorySegment(mtx, j + o3, NO);
        }
        VT.cast(a0).intoMemorySegment(mvx, ro + off, NO);
        VT.cast(a1).intoMemorySegment(mvx, ro + o1, NO);
        VT.cast(a2).intoMemorySegment(mvx, ro + o2, NO);
        VT.cast(a3).intoMemorySegment(mvx, ro + o3, NO);
    }

    /**
     * uᵢ·vⱼ over nc vectors: two FMA chains (even and odd vectors), added, then the fixed lane tree. Four vectors a
     * step: C2 keeps this loop as it is, so with the step of 2 it had, a 4-vector row (float64 r = 16) paid the loop's
     * overhead twice per entry (the wide observed pass 1.3–2× slower; native-notes/sparse.md). Its bytecode (700
     * bytes with the loads written in place) is over FreqInlineSize (325): a shorter one could be inlined into {@code
     * observedWide} in one compile order and not another, which KernelInliningBoundaryTest refuses (see {@code
     * observedPass}, in the large-width classes, which also hold observedWide).
     */
    private static double dot(MemorySegment us, long uo, MemorySegment vs, long vo, int nc) {
        DoubleVector p0 = VT.cast(DoubleVector.zero(S));
        DoubleVector p1 = VT.cast(DoubleVector.zero(S));
        long w = L * BYTES;
        int c = 0;
        for (; c + 4 <= nc; c += 4) {
            long o = c * w;
            p0 = VT.cast(DoubleVector.fromMemorySegment(S, exact(us), uo + o, NO))
                    .fma(VT.cast(DoubleVector.fromMemorySegment(S, exact(vs), vo + o, NO)), p0);
            p1 = VT.cast(DoubleVector.fromMemorySegment(S, exact(us), uo + o + w, NO))
                    .fma(VT.cast(DoubleVector.fromMemorySegment(S, exact(vs), vo + o + w, NO)), p1);
            p0 = VT.cast(DoubleVector.fromMemorySegment(S, exact(us), uo + o + 2 * w, NO))
                    .fma(VT.cast(DoubleVector.fromMemorySegment(S, exact(vs), vo + o + 2 * w, NO)), p0);
            p1 = VT.cast(DoubleVector.fromMemorySegment(S, exact(us), uo + o + 3 * w, NO))
                    .fma(VT.cast(DoubleVector.fromMemorySegment(S, exact(vs), vo + o + 3 * w, NO)), p1);
        }
        if (c + 2 <= nc) {
            long o = c * w;
            p0 = VT.cast(DoubleVector.fromMemorySegment(S, exact(us), uo + o, NO))
                    .fma(VT.cast(DoubleVector.fromMemorySegment(S, exact(vs), vo + o, NO)), p0);
            p1 = VT.cast(DoubleVector.fromMemorySegment(S, exact(us), uo + o + w, NO))
                    .fma(VT.cast(DoubleVector.fromMemorySegment(S, exact(vs), vo + o + w, NO)), p1);
            c += 2;
        }
        if (c < nc) {
            p0 = VT.cast(DoubleVector.fromMemorySegment(S, exact(us), uo + c * w, NO))
                    .fma(VT.cast(DoubleVector.fromMemorySegment(S, exact(vs), vo + c * w, NO)), p0);
        }
        DoubleVector d = VT.cast(p0).add(p1);
        for (VectorShuffle<Double> s : TREE) {
            DoubleVector x = VT.cast(d); // loop-carried: cast where used
            d = x.add(x.rearrange(s));
        }
        return L == 2 ? VT.cast(d).lane(0) + VT.cast(d).lane(1) : VT.cast(d).lane(0); // see TREE
    }

    /** Σ (uᵢ·vⱼ − m)² over the stored entries of rows [rs, re), residuals in double, squares in double. */
    static double residualSquared(SparseMatrix m, DenseMatrix u, DenseMatrix v, int rs, int re) {
        int nc = (u.cols() + L - 1) / L;
        long st = (long) u.stride() * BYTES;
        MemorySegment ptr = m.rowStarts();
        MemorySegment col = m.columnIndices();
        MemorySegment val = m.values();
        MemorySegment us = u.segment();
        MemorySegment vs = v.segment();
        double squares = 0.0;
        for (int i = rs; i < re; i++) {
            long ro = i * st;
            for (long k = ptr.getAtIndex(ValueLayout.JAVA_LONG, i); k < ptr.getAtIndex(ValueLayout.JAVA_LONG, i + 1);
                    k++) {
                double e = dot(us, ro, vs, col.getAtIndex(ValueLayout.JAVA_INT, k) * st, nc) - val.getAtIndex(E, k);
                squares += e * e;
            }
        }
        return squares;
    }
}
