// GENERATED from core/src/build/simd/Gemm.java.template by core/src/build/GenerateSimdVariants.java
// (variant FloatGemm). Do not edit: edit the template, then run
// java core/src/build/GenerateSimdVariants.java from the repository root.
package org.autobalance.kernel.simd;

import static org.autobalance.kernel.simd.NativeSegments.exact;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * C (+)= op(A)·B for float32, with an optional fused bias and activation on the store (see
 * {@link org.autobalance.kernel.GemmKernels}), blocked as GotoBLAS does: k in blocks of {@link #KC}, rows of C in
 * blocks of {@link #MC}; the block of A is packed into groups of {@link #R} = 8 rows ({@link #packA}); for each panel
 * of 2 vectors of columns, B's panel is packed into a contiguous per-thread array ({@link #pack}), then each group of
 * rows is one register tile of 8 rows × 2 vectors where 32 vector registers exist (16 accumulators), or two of 4 rows
 * × 2 vectors (8 accumulators, 11 of AVX2's 16 registers, no spill); a column tail is zero-padded in the panel and
 * stored under a mask, a row tail zero-padded in the packed A and not stored. When at most one vector of columns is
 * left (n ≤ L: a narrow output layer), the panel is one vector wide and the tiles 8 rows × 1 vector, so no FMA works on
 * lanes that are only padding. Every k-step loads one row of the panel and broadcasts elements of A; nothing is
 * reduced across lanes, so each element of C is one FMA chain in k order, whatever tile it falls in. A plain or
 * accumulating product with k ≤ {@link #THIN}, or any product with m ≤ R (m ≤ THIN below 32 k-steps) — the backward
 * GEMMs of a layer with few outputs, a convolution's Wᵀ·δ and forward product with few channels — takes
 * {@link #thinK} or {@link #thinM} instead, which keep that order. The one exception is {@link #gemmTransB}
 * (C (+)= A·Bᵀ, both operands read along k), which sums lanes.
 */
final class FloatGemm {
    /**
     * The normal width ({@code autobalance.simd.bits}); float64's is the large-rank one, and why float32's is not:
     * native-notes/network.md, twenty-fourth session.
     * Every element of C is one FMA chain in k order at any width, and {@link #gemmTransB} sums 256 bits' worth of
     * virtual lanes at any width, so the bits do not depend on it.
     */
    static final VectorSpecies<Float> S = SimdSpecies.FLOAT;
    static final int L = S.length();
    /** The exact class of S's vectors: see {@link FloatFused#VT} for why every vector goes through it. */
    @SuppressWarnings("unchecked")
    static final Class<FloatVector> VT = (Class<FloatVector>) (Class<?>) S.vectorType();
    static final ByteOrder NO = ByteOrder.nativeOrder();
    static final long BYTES = Float.BYTES;
    /** Scalar element reads (the broadcasts of A): unaligned, which skips an alignment check per read. */
    static final ValueLayout.OfFloat E = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private FloatGemm() {
    }

    /** The store of a tile: accumulate into C or overwrite it, optionally adding a bias and applying φ. */
    record Epilogue(boolean accumulate, boolean activate, MemorySegment bias, boolean biasPerRow, float slope) {
        static final Epilogue STORE = new Epilogue(false, false, null, false, 1f);
        static final Epilogue ACCUMULATE = new Epilogue(true, false, null, false, 1f);

        /**
         * The store of one k-block: the FMA chain of each element of C continues across k-blocks through C itself
         * (same bits as unblocked), and the bias and φ apply on the last block's store only.
         */
        Epilogue block(boolean first, boolean last) {
            return first && last ? this
                    : new Epilogue(accumulate || !first, last && activate, bias, biasPerRow, slope);
        }
    }

    /** The Scratch slot of the packed panel of B. */
    static final int PANEL_SLOT = 5;
    /** The Scratch slot of the packed block of A ({@link #packA}). */
    static final int A_SLOT = 6;
    /** The Scratch slot of one tile's accumulators on their way between C and the registers ({@link #load}). */
    static final int ACC_SLOT = 7;
    /** Rows of a packed group of A, and of a tile. */
    static final int R = 8;

    /**
     * Rows of the k-block: a panel of 2L columns (KC × 2 vectors: 16 KiB at 256 bits, 32 KiB at 512, in either
     * precision) and the A block stay in L1 and L2.
     */
    static final int KC = 256;
    /**
     * Rows of C per block: the block of A it reads (MC × KC elements, 256 KiB) stays in L2 while every panel of B
     * passes over it, instead of A streaming from memory once per panel (a 4096-row A was read 32 times per GEMM at
     * width 256).
     */
    static final int MC = (256 << 10) / (KC * (int) BYTES);
    /**
     * The largest k of {@link #thinK} and m of {@link #thinM}: 2R, the channels of a convolution up to 16 (its Wᵀ·δ
     * has k = the channels, its forward product m = the channels; native-notes/network.md, nineteenth session).
     */
    static final int THIN = 2 * R;

    static void gemm(boolean transA, int m, int n, int k, MemorySegment a, long aOff, int lda, MemorySegment b,
            long bOff, int ldb, MemorySegment c, long cOff, int ldc, Epilogue ep) {
        long ri = transA ? 1 : lda;
        long pi = transA ? lda : 1;
        if (k > 0) {
            // the backward GEMMs of a thin layer (few outputs: a regression head) have k or m at most R, a
            // convolution's Wᵀ·δ has k = its channels, and its forward GEMM m = its channels: there the blocked
            // tiles' fixed work per tile (C through acc, a packed panel few rows reuse) outweighs their FMAs. Rows
            // R+1..THIN go to thinM wherever the blocked path would read A in place (not packsA: below 32 k-steps,
            // below 2R rows, or n ≤ 9L): where it packs A, its packed 8-row tiles on a packed panel (two row groups
            // share it) measured as fast as thinM's in-place reads of B or faster (the 16-channel convolution's
            // forward product at k = 144: 0.85-0.92 ms against 1.0-1.1; at k = 27 thinM 0.25 against 0.40; a
            // 12-channel one, m = 12 and k = 108, which never packs A: thinM 0.24-0.31 ms float32 against
            // 0.33-0.37, nineteenth session's review). thinM takes any epilogue, so every
            // gemmBiasActivation it may take comes here, a dense layer's forward pass over a chunk of few samples
            // included (the same bits: each element one FMA chain in k order)
            if (k <= THIN && !ep.activate()) {
                thinK(m, n, k, a, aOff, ri, pi, b, bOff, ldb, c, cOff, ldc, ep);
                return;
            }
            if (m <= R || (m <= THIN && !packsA(m, n, Math.min(k, KC)))) {
                thinM(m, n, k, a, aOff, ri, pi, b, bOff, ldb, c, cOff, ldc, ep);
                return;
            }
        }
        int kc0 = Math.min(Math.max(1, k), KC);
        Scratch s = Scratch.get();
        float[] panel = s.floats(PANEL_SLOT, kc0 * 2 * L);
        int mc0 = Math.min(m, MC);
        float[] apack = packsA(mc0, n, kc0) ? s.floats(A_SLOT, (mc0 + R - 1) / R * R * kc0) : null;
        float[] acc = s.floats(ACC_SLOT, R * 2 * L);
        if (k == 0) {
            block(0, m, n, 0, a, aOff, ri, pi, b, bOff, ldb, c, cOff, ldc, ep, panel, apack, acc);
            return;
        }
        for (int p0 = 0; p0 < k; p0 += KC) {
            int kc = Math.min(KC, k - p0);
            Epilogue blockEp = ep.block(p0 == 0, p0 + kc == k);
            for (int i0 = 0; i0 < m; i0 += MC) {
                block(i0, Math.min(m, i0 + MC), n, kc, a, aOff + p0 * pi, ri, pi, b, bOff + (long) p0 * ldb, ldb,
                        c, cOff, ldc, blockEp, panel, apack, acc);
            }
        }
    }

    /** Row stride of a packed row of A in {@link #thinK}: {@link #THIN} elements, or one vector where L > THIN. */
    static final int KS = Math.max(THIN, L);
    /** Columns of B packed at once by {@link #thinK} (a multiple of 2L; k × NB elements, at most 128 KiB). */
    static final int NB = 1024;
    /** Rows of a {@link #thinK} tile: R (16 accumulators) where 32 vector registers exist, else 4. */
    static final int TK = SimdSpecies.WIDE_TILES ? R : 4;

    /**
     * C (+)= op(A)·B for k ≤ THIN (δ·W of a layer with few outputs: n × fanIn outputs from k products each; a
     * convolution's Wᵀ·δ: fanIn × the block's positions from one product per channel). B's
     * columns are packed NB at a time (k rows, zero beyond n), each group of TK rows of A into TK rows of KS
     * elements; each tile of TK rows × 2 vectors then runs its k steps on heap arrays only (no bounds check, no
     * per-row address arithmetic) and is stored straight into C, once; the column tail and the last rows go through
     * {@code acc} in tiles of 4 rows.
     */
    private static void thinK(int m, int n, int k, MemorySegment a, long aOff, long ri, long pi, MemorySegment b,
            long bOff, int ldb, MemorySegment c, long cOff, int ldc, Epilogue ep) {
        Scratch s = Scratch.get();
        float[] panel = s.floats(PANEL_SLOT, k * NB);
        float[] ap = s.floats(A_SLOT, TK * KS);
        float[] acc = s.floats(ACC_SLOT, R * 2 * L);
        for (int j0 = 0; j0 < n; j0 += NB) {
            int nb = Math.min(NB, n - j0);
            int nw = (nb + 2 * L - 1) / (2 * L) * (2 * L);
            packRows(b, bOff + j0, ldb, k, nb, nw, panel);
            for (int i = 0; i < m; i += TK) {
                int h = Math.min(TK, m - i);
                packRowsOfA(a, aOff + i * ri, ri, pi, h, k, ap);
                for (int j = 0; j < nb; j += 2 * L) {
                    long ci = cOff + (long) i * ldc + j0 + j;
                    if (h == TK && j0 + j + 2 * L <= n) {
                        // the common tile (all of them but a column tail and the last rows): straight into C
                        if (TK == R && !ep.accumulate()) {
                            thinK8x2Direct(k, ap, panel, j * k, c, ci, ldc);
                        } else {
                            for (int r = 0; r < TK; r += 4) {
                                thinK4x2Direct(k, ap, r * KS, panel, j * k, c, ci + (long) r * ldc, ldc,
                                        ep.accumulate());
                            }
                        }
                        continue;
                    }
                    for (int r = 0; r < h; r += 4) {
                        long cr = ci + (long) r * ldc;
                        load(c, cr, ldc, Math.min(4, h - r), 4, 2, j0 + j, n, ep, acc);
                        thinK4x2(k, ap, r * KS, panel, j * k, acc);
                        store(c, cr, ldc, Math.min(4, h - r), 2, i + r, j0 + j, n, ep, acc);
                    }
                }
            }
        }
    }

    /**
     * Rows [0, k) of B, columns [0, w) from b0, into {@code panel} as consecutive panels of 2L columns (zero beyond
     * w), each k rows of 2L: column j of row p at (j / 2L)·2L·k + p·2L + j mod 2L. A tile then steps through its panel
     * by the constant 2L, which lets C2 drop the bounds checks (with a row stride of nw it checked both loads and
     * multiplied per step: 26 instructions per 8 FMAs).
     */
    private static void packRows(MemorySegment b, long b0, int ldb, int k, int w, int nw, float[] panel) {
        for (int p = 0; p < k; p++) {
            long bb = (b0 + (long) p * ldb) * BYTES;
            for (int j = 0; j < nw; j += L) {
                FloatVector v = j + L <= w ? VT.cast(FloatVector.fromMemorySegment(S, exact(b), bb + j * BYTES, NO))
                        : VT.cast(FloatVector.fromMemorySegment(S, exact(b), bb + j * BYTES, NO,
                                S.indexInRange(j, w)));
                v.intoArray(panel, j / (2 * L) * (2 * L * k) + p * 2 * L + j % (2 * L));
            }
        }
    }

    /**
     * Rows [0, h) of A (A(r, p) at a[a0 + r·ri + p·pi], p < k ≤ THIN) into {@code ap}, row r at r·KS; rows h..TK − 1
     * zero (their tile rows are computed and not stored).
     */
    private static void packRowsOfA(MemorySegment a, long a0, long ri, long pi, int h, int k, float[] ap) {
        for (int r = 0; r < TK; r++) {
            long ar = a0 + r * ri;
            if (r >= h) {
                for (int p = 0; p < k; p++) {
                    ap[r * KS + p] = 0f;
                }
            } else if (pi == 1) {
                // a row of A is contiguous (δ of the layer above): masked vector copies, zero beyond k
                for (int v = 0; v < KS; v += L) {
                    VT.cast(FloatVector.fromMemorySegment(S, exact(a), (ar + v) * BYTES, NO, S.indexInRange(v, k)))
                            .intoArray(ap, r * KS + v);
                }
            } else {
                for (int p = 0; p < k; p++) {
                    ap[r * KS + p] = a.getAtIndex(E, ar + p * pi);
                }
            }
        }
    }

    /**
     * C[4 rows × 2 vectors] (+)= Σ_{p<k} ap[ao + r·KS + p]·panel[po + p·2L + (0..2L)], C at element c0 (row stride
     * ldc), a full tile. With few k-steps a round trip through {@code acc} ({@link #load}, {@link #store}) costs more
     * than the tile's FMAs: the float64 256 → 5 layer's δ·W took 2.7 ms that way, 0.8–1.0 ms this way (n = 4096,
     * thread CPU time). Unmasked loads and stores only: with masked ones inside, thinM's first tile (801 bytes of
     * bytecode) was refused by C1's profiling tier ("out of virtual registers") and ran as C1 code with its vectors
     * boxed until C2 compiled it, seconds later (float64 δᵀ·A: 38 ms a call instead of 0.7).
     */
    private static void thinK4x2Direct(int k, float[] ap, int ao, float[] panel, int po, MemorySegment c,
            long c0, int ldc, boolean accumulate) {
        long cs = (long) ldc * BYTES;
        long cb = c0 * BYTES;
        long lb = L * BYTES;
        FloatVector c00 = VT.cast(FloatVector.zero(S));
        FloatVector c01 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        if (accumulate) {
            c00 = VT.cast(FloatVector.fromMemorySegment(S, exact(c), cb, NO));
            c01 = VT.cast(FloatVector.fromMemorySegment(S, exact(c), cb + lb, NO));
            c10 = VT.cast(FloatVector.fromMemorySegment(S, exact(c), cb + cs, NO));
            c11 = VT.cast(FloatVector.fromMemorySegment(S, exact(c), cb + cs + lb, NO));
            c20 = VT.cast(FloatVector.fromMemorySegment(S, exact(c), cb + 2 * cs, NO));
            c21 = VT.cast(FloatVector.fromMemorySegment(S, exact(c), cb + 2 * cs + lb, NO));
            c30 = VT.cast(FloatVector.fromMemorySegment(S, exact(c), cb + 3 * cs, NO));
            c31 = VT.cast(FloatVector.fromMemorySegment(S, exact(c), cb + 3 * cs + lb, NO));
        }
        for (int p = 0; p < k; p++) {
            FloatVector b0v = VT.cast(FloatVector.fromArray(S, panel, po + p * 2 * L));
            FloatVector b1v = VT.cast(FloatVector.fromArray(S, panel, po + p * 2 * L + L));
            FloatVector x = VT.cast(FloatVector.broadcast(S, ap[ao + p]));
            c00 = x.fma(b0v, c00);
            c01 = x.fma(b1v, c01);
            x = VT.cast(FloatVector.broadcast(S, ap[ao + KS + p]));
            c10 = x.fma(b0v, c10);
            c11 = x.fma(b1v, c11);
            x = VT.cast(FloatVector.broadcast(S, ap[ao + 2 * KS + p]));
            c20 = x.fma(b0v, c20);
            c21 = x.fma(b1v, c21);
            x = VT.cast(FloatVector.broadcast(S, ap[ao + 3 * KS + p]));
            c30 = x.fma(b0v, c30);
            c31 = x.fma(b1v, c31);
        }
        c00.intoMemorySegment(exact(c), cb, NO);
        c01.intoMemorySegment(exact(c), cb + lb, NO);
        c10.intoMemorySegment(exact(c), cb + cs, NO);
        c11.intoMemorySegment(exact(c), cb + cs + lb, NO);
        c20.intoMemorySegment(exact(c), cb + 2 * cs, NO);
        c21.intoMemorySegment(exact(c), cb + 2 * cs + lb, NO);
        c30.intoMemorySegment(exact(c), cb + 3 * cs, NO);
        c31.intoMemorySegment(exact(c), cb + 3 * cs + lb, NO);
    }

    /**
     * {@link #thinK4x2Direct} for R rows, overwriting C: 16 accumulators, so only where 32 vector registers exist.
     * Without the accumulating loads of C (the network's thinK products overwrite: δ·W, Wᵀ·δ; an accumulating one
     * runs two 4-row tiles): with them this method was 1471 bytes of bytecode, and C1's profiling tier gave up on
     * its on-stack compile ("out of virtual registers in linear scan"); once that happened to it while its
     * non-profiling C1 code was installed (C2 busy), nothing moved it on: the 16-channel convolution's Wᵀ·δ ran 50x
     * slower for as long as the JVM lived (66 ms a call instead of 1.3).
     */
    private static void thinK8x2Direct(int k, float[] ap, float[] panel, int po, MemorySegment c, long c0,
            int ldc) {
        long cs = (long) ldc * BYTES;
        long cb = c0 * BYTES;
        long lb = L * BYTES;
        FloatVector c00 = VT.cast(FloatVector.zero(S));
        FloatVector c01 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        FloatVector c40 = c00;
        FloatVector c41 = c00;
        FloatVector c50 = c00;
        FloatVector c51 = c00;
        FloatVector c60 = c00;
        FloatVector c61 = c00;
        FloatVector c70 = c00;
        FloatVector c71 = c00;
        for (int p = 0; p < k; p++) {
            FloatVector b0v = VT.cast(FloatVector.fromArray(S, panel, po + p * 2 * L));
            FloatVector b1v = VT.cast(FloatVector.fromArray(S, panel, po + p * 2 * L + L));
            FloatVector x = VT.cast(FloatVector.broadcast(S, ap[p]));
            c00 = x.fma(b0v, c00);
            c01 = x.fma(b1v, c01);
            x = VT.cast(FloatVector.broadcast(S, ap[KS + p]));
            c10 = x.fma(b0v, c10);
            c11 = x.fma(b1v, c11);
            x = VT.cast(FloatVector.broadcast(S, ap[2 * KS + p]));
            c20 = x.fma(b0v, c20);
            c21 = x.fma(b1v, c21);
            x = VT.cast(FloatVector.broadcast(S, ap[3 * KS + p]));
            c30 = x.fma(b0v, c30);
            c31 = x.fma(b1v, c31);
            x = VT.cast(FloatVector.broadcast(S, ap[4 * KS + p]));
            c40 = x.fma(b0v, c40);
            c41 = x.fma(b1v, c41);
            x = VT.cast(FloatVector.broadcast(S, ap[5 * KS + p]));
            c50 = x.fma(b0v, c50);
            c51 = x.fma(b1v, c51);
            x = VT.cast(FloatVector.broadcast(S, ap[6 * KS + p]));
            c60 = x.fma(b0v, c60);
            c61 = x.fma(b1v, c61);
            x = VT.cast(FloatVector.broadcast(S, ap[7 * KS + p]));
            c70 = x.fma(b0v, c70);
            c71 = x.fma(b1v, c71);
        }
        c00.intoMemorySegment(exact(c), cb, NO);
        c01.intoMemorySegment(exact(c), cb + lb, NO);
        c10.intoMemorySegment(exact(c), cb + cs, NO);
        c11.intoMemorySegment(exact(c), cb + cs + lb, NO);
        c20.intoMemorySegment(exact(c), cb + 2 * cs, NO);
        c21.intoMemorySegment(exact(c), cb + 2 * cs + lb, NO);
        c30.intoMemorySegment(exact(c), cb + 3 * cs, NO);
        c31.intoMemorySegment(exact(c), cb + 3 * cs + lb, NO);
        c40.intoMemorySegment(exact(c), cb + 4 * cs, NO);
        c41.intoMemorySegment(exact(c), cb + 4 * cs + lb, NO);
        c50.intoMemorySegment(exact(c), cb + 5 * cs, NO);
        c51.intoMemorySegment(exact(c), cb + 5 * cs + lb, NO);
        c60.intoMemorySegment(exact(c), cb + 6 * cs, NO);
        c61.intoMemorySegment(exact(c), cb + 6 * cs + lb, NO);
        c70.intoMemorySegment(exact(c), cb + 7 * cs, NO);
        c71.intoMemorySegment(exact(c), cb + 7 * cs + lb, NO);
    }

    /** As {@link #thinK4x2Direct} with the accumulators in {@code acc}: column tails and the last rows. */
    private static void thinK4x2(int k, float[] ap, int ao, float[] panel, int po, float[] acc) {
        FloatVector c00 = VT.cast(FloatVector.fromArray(S, acc, 0));
        FloatVector c01 = VT.cast(FloatVector.fromArray(S, acc, L));
        FloatVector c10 = VT.cast(FloatVector.fromArray(S, acc, 2 * L));
        FloatVector c11 = VT.cast(FloatVector.fromArray(S, acc, 3 * L));
        FloatVector c20 = VT.cast(FloatVector.fromArray(S, acc, 4 * L));
        FloatVector c21 = VT.cast(FloatVector.fromArray(S, acc, 5 * L));
        FloatVector c30 = VT.cast(FloatVector.fromArray(S, acc, 6 * L));
        FloatVector c31 = VT.cast(FloatVector.fromArray(S, acc, 7 * L));
        for (int p = 0; p < k; p++) {
            FloatVector b0v = VT.cast(FloatVector.fromArray(S, panel, po + p * 2 * L));
            FloatVector b1v = VT.cast(FloatVector.fromArray(S, panel, po + p * 2 * L + L));
            FloatVector x = VT.cast(FloatVector.broadcast(S, ap[ao + p]));
            c00 = x.fma(b0v, c00);
            c01 = x.fma(b1v, c01);
            x = VT.cast(FloatVector.broadcast(S, ap[ao + KS + p]));
            c10 = x.fma(b0v, c10);
            c11 = x.fma(b1v, c11);
            x = VT.cast(FloatVector.broadcast(S, ap[ao + 2 * KS + p]));
            c20 = x.fma(b0v, c20);
            c21 = x.fma(b1v, c21);
            x = VT.cast(FloatVector.broadcast(S, ap[ao + 3 * KS + p]));
            c30 = x.fma(b0v, c30);
            c31 = x.fma(b1v, c31);
        }
        c00.intoArray(acc, 0);
        c01.intoArray(acc, L);
        c10.intoArray(acc, 2 * L);
        c11.intoArray(acc, 3 * L);
        c20.intoArray(acc, 4 * L);
        c21.intoArray(acc, 5 * L);
        c30.intoArray(acc, 6 * L);
        c31.intoArray(acc, 7 * L);
    }

    /**
     * C (+)= op(A)·B for m ≤ R, or m ≤ THIN below 32 k-steps (δᵀ·A, the weight gradient of a layer with few
     * outputs: k = the samples; the forward product of a convolution with few channels, with its bias and φ: n = the
     * block's positions). Per k-block of KC steps the block of A is packed once ({@link #packA}: one or two groups of
     * R rows); each full panel of 2 vectors of B is then read in place — by one or two tiles per group (8 rows where
     * 32 vector registers exist, else 4; 5 and single rows for the rest), so a packed copy would hardly be reused —
     * and the last, partial one packed ({@link #packRows}); the accumulators stay in registers over the block.
     */
    private static void thinM(int m, int n, int k, MemorySegment a, long aOff, long ri, long pi, MemorySegment b,
            long bOff, int ldb, MemorySegment c, long cOff, int ldc, Epilogue ep) {
        Scratch s = Scratch.get();
        float[] apack = s.floats(A_SLOT, THIN * KC);
        float[] panel = s.floats(PANEL_SLOT, KC * 2 * L);
        float[] acc = s.floats(ACC_SLOT, R * 2 * L);
        for (int p0 = 0; p0 < k; p0 += KC) {
            int kc = Math.min(KC, k - p0);
            packA(kc, a, aOff + p0 * pi, ri, pi, m, apack);
            Epilogue blockEp = ep.block(p0 == 0, p0 + kc == k);
            long bb = bOff + (long) p0 * ldb;
            for (int j = 0; j < n; j += 2 * L) {
                boolean full = j + 2 * L <= n;
                if (!full) {
                    packRows(b, bb + j, ldb, kc, n - j, 2 * L, panel);
                }
                for (int g = 0; g < m; g += R) {
                    thinMGroup(g, Math.min(m, g + R), j, n, kc, full, apack, b, bb, ldb, panel, c, cOff, ldc,
                            blockEp, acc);
                }
            }
        }
    }

    /**
     * Rows [g, end) of {@link #thinM} (one packed group: g a multiple of R, at {@code g·kc} in {@code apack}) over
     * the panel of 2 vectors from column j: B in place when {@code full}, else the packed {@code panel}.
     */
    private static void thinMGroup(int g, int end, int j, int n, int kc, boolean full, float[] apack,
            MemorySegment b, long bb, int ldb, float[] panel, MemorySegment c, long cOff, int ldc, Epilogue ep,
            float[] acc) {
        int ga = g * kc; // row i of the group at ga + (i − g) + p·R
        int i = g;
        if (SimdSpecies.WIDE_TILES && end - g == R) {
            // 16 chains from one load of each B row: the forward product of a convolution with 8 or 16 channels
            long ci = cOff + (long) g * ldc + j;
            load(c, ci, ldc, R, R, 2, j, n, ep, acc);
            if (full) {
                thinM8x2(kc, apack, ga, b, bb + j, ldb, acc);
            } else {
                packedTile8x2(kc, apack, ga, panel, acc);
            }
            store(c, ci, ldc, R, 2, g, j, n, ep, acc);
            return;
        }
        if (full && end - g >= 5 && end - g < R) {
            // 5 rows in one tile (10 FMA chains): as 4 rows and 1, the single row's 2 chains would wait on FMA
            // latency as long as the 4-row tile's 8 take (the float64 64 -> 5 layer's δᵀ·A)
            long ci = cOff + (long) g * ldc + j;
            load(c, ci, ldc, 5, 5, 2, j, n, ep, acc);
            thinM5x2(kc, apack, ga, b, bb + j, ldb, acc);
            store(c, ci, ldc, 5, 2, g, j, n, ep, acc);
            i = g + 5;
        }
        for (; i + 4 <= end; i += 4) {
            long ci = cOff + (long) i * ldc + j;
            load(c, ci, ldc, 4, 4, 2, j, n, ep, acc);
            if (full) {
                thinM4x2(kc, apack, ga + i - g, b, bb + j, ldb, acc);
            } else {
                packedTile4x2(kc, apack, ga + i - g, panel, acc, 0);
            }
            store(c, ci, ldc, 4, 2, i, j, n, ep, acc);
        }
        for (; i < end; i++) {
            long ci = cOff + (long) i * ldc + j;
            load(c, ci, ldc, 1, 1, 2, j, n, ep, acc);
            if (full) {
                thinM1x2(kc, apack, ga + i - g, b, bb + j, ldb, acc);
            } else {
                packedTile1x2(kc, apack, ga + i - g, panel, acc);
            }
            store(c, ci, ldc, 1, 2, i, j, n, ep, acc);
        }
    }

    /**
     * Accumulators [4 rows × 2 vectors] in {@code acc} (+)= Σ_{p<kc} A(ao + r, p)·B[p, 0..2L), A packed
     * ({@link #packA}), B in place from element b0 with row stride ldb (a full panel: no mask).
     */
    private static void thinM4x2(int kc, float[] ap, int ao, MemorySegment b, long b0, int ldb, float[] acc) {
        long bs = (long) ldb * BYTES;
        long bb = b0 * BYTES;
        FloatVector c00 = VT.cast(FloatVector.fromArray(S, acc, 0));
        FloatVector c01 = VT.cast(FloatVector.fromArray(S, acc, L));
        FloatVector c10 = VT.cast(FloatVector.fromArray(S, acc, 2 * L));
        FloatVector c11 = VT.cast(FloatVector.fromArray(S, acc, 3 * L));
        FloatVector c20 = VT.cast(FloatVector.fromArray(S, acc, 4 * L));
        FloatVector c21 = VT.cast(FloatVector.fromArray(S, acc, 5 * L));
        FloatVector c30 = VT.cast(FloatVector.fromArray(S, acc, 6 * L));
        FloatVector c31 = VT.cast(FloatVector.fromArray(S, acc, 7 * L));
        for (int p = 0; p < kc; p++, bb += bs) {
            FloatVector b0v = VT.cast(FloatVector.fromMemorySegment(S, exact(b), bb, NO));
            FloatVector b1v = VT.cast(FloatVector.fromMemorySegment(S, exact(b), bb + L * BYTES, NO));
            int q = p * R + ao;
            FloatVector x = VT.cast(FloatVector.broadcast(S, ap[q]));
            c00 = x.fma(b0v, c00);
            c01 = x.fma(b1v, c01);
            x = VT.cast(FloatVector.broadcast(S, ap[q + 1]));
            c10 = x.fma(b0v, c10);
            c11 = x.fma(b1v, c11);
            x = VT.cast(FloatVector.broadcast(S, ap[q + 2]));
            c20 = x.fma(b0v, c20);
            c21 = x.fma(b1v, c21);
            x = VT.cast(FloatVector.broadcast(S, ap[q + 3]));
            c30 = x.fma(b0v, c30);
            c31 = x.fma(b1v, c31);
        }
        c00.intoArray(acc, 0);
        c01.intoArray(acc, L);
        c10.intoArray(acc, 2 * L);
        c11.intoArray(acc, 3 * L);
        c20.intoArray(acc, 4 * L);
        c21.intoArray(acc, 5 * L);
        c30.intoArray(acc, 6 * L);
        c31.intoArray(acc, 7 * L);
    }

    /**
     * {@link #thinM4x2} for a whole packed group of R rows (at {@code ao}): 16 accumulators, 2 vectors of B and a
     * broadcast need 19 vector registers, so only where 32 exist ({@link SimdSpecies#WIDE_TILES}). Each row of B
     * loaded feeds 16 FMAs, where two 4-row tiles load it twice.
     */
    private static void thinM8x2(int kc, float[] ap, int ao, MemorySegment b, long b0, int ldb, float[] acc) {
        long bs = (long) ldb * BYTES;
        long bb = b0 * BYTES;
        FloatVector c00 = VT.cast(FloatVector.fromArray(S, acc, 0));
        FloatVector c01 = VT.cast(FloatVector.fromArray(S, acc, L));
        FloatVector c10 = VT.cast(FloatVector.fromArray(S, acc, 2 * L));
        FloatVector c11 = VT.cast(FloatVector.fromArray(S, acc, 3 * L));
        FloatVector c20 = VT.cast(FloatVector.fromArray(S, acc, 4 * L));
        FloatVector c21 = VT.cast(FloatVector.fromArray(S, acc, 5 * L));
        FloatVector c30 = VT.cast(FloatVector.fromArray(S, acc, 6 * L));
        FloatVector c31 = VT.cast(FloatVector.fromArray(S, acc, 7 * L));
        FloatVector c40 = VT.cast(FloatVector.fromArray(S, acc, 8 * L));
        FloatVector c41 = VT.cast(FloatVector.fromArray(S, acc, 9 * L));
        FloatVector c50 = VT.cast(FloatVector.fromArray(S, acc, 10 * L));
        FloatVector c51 = VT.cast(FloatVector.fromArray(S, acc, 11 * L));
        FloatVector c60 = VT.cast(FloatVector.fromArray(S, acc, 12 * L));
        FloatVector c61 = VT.cast(FloatVector.fromArray(S, acc, 13 * L));
        FloatVector c70 = VT.cast(FloatVector.fromArray(S, acc, 14 * L));
        FloatVector c71 = VT.cast(FloatVector.fromArray(S, acc, 15 * L));
        for (int p = 0; p < kc; p++, bb += bs) {
            FloatVector b0v = VT.cast(FloatVector.fromMemorySegment(S, exact(b), bb, NO));
            FloatVector b1v = VT.cast(FloatVector.fromMemorySegment(S, exact(b), bb + L * BYTES, NO));
            int q = p * R + ao;
            FloatVector x = VT.cast(FloatVector.broadcast(S, ap[q]));
            c00 = x.fma(b0v, c00);
            c01 = x.fma(b1v, c01);
            x = VT.cast(FloatVector.broadcast(S, ap[q + 1]));
            c10 = x.fma(b0v, c10);
            c11 = x.fma(b1v, c11);
            x = VT.cast(FloatVector.broadcast(S, ap[q + 2]));
            c20 = x.fma(b0v, c20);
            c21 = x.fma(b1v, c21);
            x = VT.cast(FloatVector.broadcast(S, ap[q + 3]));
            c30 = x.fma(b0v, c30);
            c31 = x.fma(b1v, c31);
            x = VT.cast(FloatVector.broadcast(S, ap[q + 4]));
            c40 = x.fma(b0v, c40);
            c41 = x.fma(b1v, c41);
            x = VT.cast(FloatVector.broadcast(S, ap[q + 5]));
            c50 = x.fma(b0v, c50);
            c51 = x.fma(b1v, c51);
            x = VT.cast(FloatVector.broadcast(S, ap[q + 6]));
            c60 = x.fma(b0v, c60);
            c61 = x.fma(b1v, c61);
            x = VT.cast(FloatVector.broadcast(S, ap[q + 7]));
            c70 = x.fma(b0v, c70);
            c71 = x.fma(b1v, c71);
        }
        c00.intoArray(acc, 0);
        c01.intoArray(acc, L);
        c10.intoArray(acc, 2 * L);
        c11.intoArray(acc, 3 * L);
        c20.intoArray(acc, 4 * L);
        c21.intoArray(acc, 5 * L);
        c30.intoArray(acc, 6 * L);
        c31.intoArray(acc, 7 * L);
        c40.intoArray(acc, 8 * L);
        c41.intoArray(acc, 9 * L);
        c50.intoArray(acc, 10 * L);
        c51.intoArray(acc, 11 * L);
        c60.intoArray(acc, 12 * L);
        c61.intoArray(acc, 13 * L);
        c70.intoArray(acc, 14 * L);
        c71.intoArray(acc, 15 * L);
    }

    /** {@link #thinM4x2} for the first 5 rows of a packed group: 10 accumulators, 13 vector registers. */
    private static void thinM5x2(int kc, float[] ap, int ao, MemorySegment b, long b0, int ldb, float[] acc) {
        long bs = (long) ldb * BYTES;
        long bb = b0 * BYTES;
        FloatVector c00 = VT.cast(FloatVector.fromArray(S, acc, 0));
        FloatVector c01 = VT.cast(FloatVector.fromArray(S, acc, L));
        FloatVector c10 = VT.cast(FloatVector.fromArray(S, acc, 2 * L));
        FloatVector c11 = VT.cast(FloatVector.fromArray(S, acc, 3 * L));
        FloatVector c20 = VT.cast(FloatVector.fromArray(S, acc, 4 * L));
        FloatVector c21 = VT.cast(FloatVector.fromArray(S, acc, 5 * L));
        FloatVector c30 = VT.cast(FloatVector.fromArray(S, acc, 6 * L));
        FloatVector c31 = VT.cast(FloatVector.fromArray(S, acc, 7 * L));
        FloatVector c40 = VT.cast(FloatVector.fromArray(S, acc, 8 * L));
        FloatVector c41 = VT.cast(FloatVector.fromArray(S, acc, 9 * L));
        for (int p = 0; p < kc; p++, bb += bs) {
            FloatVector b0v = VT.cast(FloatVector.fromMemorySegment(S, exact(b), bb, NO));
            FloatVector b1v = VT.cast(FloatVector.fromMemorySegment(S, exact(b), bb + L * BYTES, NO));
            int q = p * R + ao;
            FloatVector x = VT.cast(FloatVector.broadcast(S, ap[q]));
            c00 = x.fma(b0v, c00);
            c01 = x.fma(b1v, c01);
            x = VT.cast(FloatVector.broadcast(S, ap[q + 1]));
            c10 = x.fma(b0v, c10);
            c11 = x.fma(b1v, c11);
            x = VT.cast(FloatVector.broadcast(S, ap[q + 2]));
            c20 = x.fma(b0v, c20);
            c21 = x.fma(b1v, c21);
            x = VT.cast(FloatVector.broadcast(S, ap[q + 3]));
            c30 = x.fma(b0v, c30);
            c31 = x.fma(b1v, c31);
            x = VT.cast(FloatVector.broadcast(S, ap[q + 4]));
            c40 = x.fma(b0v, c40);
            c41 = x.fma(b1v, c41);
        }
        c00.intoArray(acc, 0);
        c01.intoArray(acc, L);
        c10.intoArray(acc, 2 * L);
        c11.intoArray(acc, 3 * L);
        c20.intoArray(acc, 4 * L);
        c21.intoArray(acc, 5 * L);
        c30.intoArray(acc, 6 * L);
        c31.intoArray(acc, 7 * L);
        c40.intoArray(acc, 8 * L);
        c41.intoArray(acc, 9 * L);
    }

    /** One row × 2 vectors of {@link #thinM4x2}: row ao of the packed group. */
    private static void thinM1x2(int kc, float[] ap, int ao, MemorySegment b, long b0, int ldb, float[] acc) {
        long bs = (long) ldb * BYTES;
        long bb = b0 * BYTES;
        FloatVector c0v = VT.cast(FloatVector.fromArray(S, acc, 0));
        FloatVector c1v = VT.cast(FloatVector.fromArray(S, acc, L));
        for (int p = 0; p < kc; p++, bb += bs) {
            FloatVector x = VT.cast(FloatVector.broadcast(S, ap[p * R + ao]));
            c0v = x.fma(VT.cast(FloatVector.fromMemorySegment(S, exact(b), bb, NO)), c0v);
            c1v = x.fma(VT.cast(FloatVector.fromMemorySegment(S, exact(b), bb + L * BYTES, NO)), c1v);
        }
        c0v.intoArray(acc, 0);
        c1v.intoArray(acc, L);
    }

    /** One row × 2 vectors of {@link #packedTile4x2}: row ao of the packed group, the panel packed. */
    private static void packedTile1x2(int kc, float[] ap, int ao, float[] panel, float[] acc) {
        FloatVector c0v = VT.cast(FloatVector.fromArray(S, acc, 0));
        FloatVector c1v = VT.cast(FloatVector.fromArray(S, acc, L));
        for (int p = 0; p < kc; p++) {
            FloatVector x = VT.cast(FloatVector.broadcast(S, ap[p * R + ao]));
            c0v = x.fma(VT.cast(FloatVector.fromArray(S, panel, p * 2 * L)), c0v);
            c1v = x.fma(VT.cast(FloatVector.fromArray(S, panel, p * 2 * L + L)), c1v);
        }
        c0v.intoArray(acc, 0);
        c1v.intoArray(acc, L);
    }

    /**
     * Whether a block of {@code rows} rows of C and {@code kc} k-steps packs A and runs the 8-row tiles: when at least
     * 5 panels of 2 vectors read the packed block, each tile runs at least 32 k-steps, and the block has at least two
     * groups of R rows. The copy costs about one panel's worth of tile work, and a group's padding rows their share
     * of it. Measured on the network's shapes (n = 4096 samples, thread CPU time, loaded machine:
     * native-notes/network.md), packed against the in-place tiles (while these still allocated): float64 Aᵀ·B with 20
     * columns (2 panels) 1.3x slower, A·B with k = 5 1.3x slower, Aᵀ·B with 5 rows 1.3x slower, the float32 64 → 64
     * layer (4 panels) 1.07x slower, the 256 → 256 GEMMs (16 or 32 panels) 1.1–1.3x faster. The other shapes run the
     * in-place 4-row tiles.
     */
    static boolean packsA(int rows, int n, int kc) {
        return rows >= 2 * R && n > 9 * L && kc >= 32;
    }

    /**
     * Rows [i0, i1) of C over one k-block of {@code kc} steps (A and B already offset to the block). The tiles keep
     * their accumulators in registers over the k-steps and meet C only through {@code acc} ({@link #load},
     * {@link #store}): the masked loads, the bias and the activation stay out of the tile methods, whose compiled
     * size they would otherwise multiply (with them inline, 8-row tiles did not compile in C1 — out of virtual
     * registers — nor inline fully in C2, and ran ~50x slower with their vectors boxed; the 4-row tile, written that
     * way before, boxed its epilogue's vectors too: 464 bytes allocated per tile, 8 MB per call of the first layer's
     * forward GEMM at width 256).
     */
    private static void block(int i0, int i1, int n, int kc, MemorySegment a, long aOff, long ri, long pi,
            MemorySegment b, long bOff, int ldb, MemorySegment c, long cOff, int ldc, Epilogue ep, float[] panel,
            float[] apack, float[] acc) {
        int j = 0;
        boolean packed = packsA(i1 - i0, n, kc);
        if (packed) {
            packA(kc, a, aOff + i0 * ri, ri, pi, i1 - i0, apack);
        }
        for (; n - j > L; j += 2 * L) {
            pack(b, bOff + j, ldb, kc, Math.min(2 * L, n - j), panel);
            if (!packed) {
                int i = i0;
                for (; i + 4 <= i1; i += 4) {
                    long ci = cOff + (long) i * ldc + j;
                    load(c, ci, ldc, 4, 4, 2, j, n, ep, acc);
                    tile4x2(kc, a, aOff + i * ri, ri, pi, panel, acc);
                    store(c, ci, ldc, 4, 2, i, j, n, ep, acc);
                }
                for (; i < i1; i++) {
                    long ci = cOff + (long) i * ldc + j;
                    load(c, ci, ldc, 1, 1, 2, j, n, ep, acc);
                    tile1x2(kc, a, aOff + i * ri, pi, panel, acc);
                    store(c, ci, ldc, 1, 2, i, j, n, ep, acc);
                }
                continue;
            }
            for (int i = i0; i < i1; i += R) {
                int h = Math.min(R, i1 - i);
                int g = (i - i0) * kc;
                long ci = cOff + (long) i * ldc + j;
                load(c, ci, ldc, h, R, 2, j, n, ep, acc);
                if (SimdSpecies.WIDE_TILES) {
                    packedTile8x2(kc, apack, g, panel, acc);
                } else {
                    packedTile4x2(kc, apack, g, panel, acc, 0);
                    if (h > 4) {
                        packedTile4x2(kc, apack, g + 4, panel, acc, 8 * L);
                    }
                }
                store(c, ci, ldc, h, 2, i, j, n, ep, acc);
            }
        }
        if (j < n) {
            // at most one vector of columns left (all of them when n <= L: the 5 outputs of a regression head):
            // a 2-vector panel would fill n - j of its 2L lanes, so these columns get a 1-vector panel and tiles
            // of 8 rows × 1 vector, which keep 8 FMA chains in flight (FMA latency 4 × 2 pipes)
            pack(b, bOff + j, ldb, kc, n - j, panel);
            int i = i0;
            for (; i + R <= i1; i += R) {
                long ci = cOff + (long) i * ldc + j;
                load(c, ci, ldc, R, R, 1, j, n, ep, acc);
                if (pi == 1) {
                    tile8x1Rows(kc, a, aOff + i * ri, ri, panel, acc);
                } else {
                    tile8x1(kc, a, aOff + i * ri, ri, pi, panel, acc);
                }
                store(c, ci, ldc, R, 1, i, j, n, ep, acc);
            }
            for (; i < i1; i++) {
                long ci = cOff + (long) i * ldc + j;
                load(c, ci, ldc, 1, 1, 1, j, n, ep, acc);
                tile1x1(kc, a, aOff + i * ri, pi, panel, acc);
                store(c, ci, ldc, 1, 1, i, j, n, ep, acc);
            }
        }
    }

    /**
     * Copies rows [0, rows) of A's k-block (A(r, p) at a[a0 + r·ri + p·pi], p < kc) into {@code apack} as groups of R
     * rows, each group p-major (element (r, p) of group g at g·R·kc + p·R + r mod R), the last group padded with zero
     * rows so that every tile is R rows. A tile's broadcasts are then R consecutive elements of one array, where in
     * place they were R rows apart (or, for op(A) = Aᵀ, a row of lda apart per k-step).
     */
    private static void packA(int kc, MemorySegment a, long a0, long ri, long pi, int rows, float[] apack) {
        if (ri == 1 && L <= R) {
            packATransposed(kc, a, a0, pi, rows, apack);
            return;
        }
        int q = 0;
        for (int g = 0; g < rows; g += R) {
            int h = Math.min(R, rows - g);
            long ag = a0 + g * ri;
            for (int p = 0; p < kc; p++, q += R) {
                long ap = ag + p * pi;
                for (int r = 0; r < h; r++) {
                    apack[q + r] = a.getAtIndex(E, ap + r * ri);
                }
                for (int r = h; r < R; r++) {
                    apack[q + r] = 0f;
                }
            }
        }
    }

    /**
     * {@link #packA} where a k-step's rows are contiguous (ri = 1: op(A) = Aᵀ, the δᵀ of a weight gradient): each
     * group's R elements of a step are R/L vector copies (masked in a row tail, which zero-fills the padding rows)
     * instead of R scalar ones.
     */
    private static void packATransposed(int kc, MemorySegment a, long a0, long pi, int rows, float[] apack) {
        int q = 0;
        for (int g = 0; g < rows; g += R) {
            int h = Math.min(R, rows - g);
            long ab = (a0 + g) * BYTES;
            long ps = pi * BYTES;
            for (int p = 0; p < kc; p++, q += R, ab += ps) {
                for (int r = 0; r < R; r += L) {
                    FloatVector v = r + L <= h
                            ? VT.cast(FloatVector.fromMemorySegment(S, exact(a), ab + r * BYTES, NO))
                            : VT.cast(FloatVector.fromMemorySegment(S, exact(a), ab + r * BYTES, NO,
                                    S.indexInRange(r, h)));
                    v.intoArray(apack, q + r);
                }
            }
        }
    }

    /**
     * Copies B[0..k, j..j + w) into {@code panel}: k rows of 2L (zero beyond w) when w > L, else k rows of L (zero
     * beyond w) for the 1-vector tiles. Contiguous and reused by every row tile, where B itself, read in place,
     * strides by ldb between k-steps — at power-of-two strides (256 columns: 1 or 2 KiB) every row of the panel falls
     * into the same few L1 sets and the tiles ran from L2 (float64 3x slower than OpenBLAS at width 256 before
     * packing).
     */
    private static void pack(MemorySegment b, long b0, int ldb, int k, int w, float[] panel) {
        long bb = b0 * BYTES;
        long bs = (long) ldb * BYTES;
        if (w == 2 * L) {
            for (int p = 0; p < k; p++, bb += bs) {
                VT.cast(FloatVector.fromMemorySegment(S, exact(b), bb, NO)).intoArray(panel, p * 2 * L);
                VT.cast(FloatVector.fromMemorySegment(S, exact(b), bb + L * BYTES,
                        NO)).intoArray(panel, p * 2 * L + L);
            }
        } else if (w > L) {
            VectorMask<Float> m0 = S.indexInRange(0, w);
            VectorMask<Float> m1 = S.indexInRange(L, w);
            for (int p = 0; p < k; p++, bb += bs) {
                VT.cast(FloatVector.fromMemorySegment(S, exact(b), bb, NO, m0)).intoArray(panel, p * 2 * L);
                VT.cast(FloatVector.fromMemorySegment(S, exact(b), bb + L * BYTES, NO,
                        m1)).intoArray(panel, p * 2 * L + L);
            }
        } else {
            VectorMask<Float> m0 = S.indexInRange(0, w);
            for (int p = 0; p < k; p++, bb += bs) {
                VT.cast(FloatVector.fromMemorySegment(S, exact(b), bb, NO, m0)).intoArray(panel, p * L);
            }
        }
    }

    /**
     * The starting accumulators of a tile of th rows into {@code acc} (row r, vector v at (r·nv + v)·L): rows [0, h)
     * of C from {@code c0} (row stride ldc), nv vectors from column j (masked at n), when accumulating; zero otherwise
     * and for the padding rows h..th.
     */
    private static void load(MemorySegment c, long c0, int ldc, int h, int th, int nv, int j, int n, Epilogue ep,
            float[] acc) {
        FloatVector zero = VT.cast(FloatVector.zero(S));
        boolean full = j + nv * L <= n; // no column tail: unmasked loads
        for (int r = 0; r < th; r++) {
            long cb = (c0 + (long) r * ldc) * BYTES;
            for (int v = 0; v < nv; v++) {
                FloatVector x = !(r < h && ep.accumulate()) ? zero
                        : full ? VT.cast(FloatVector.fromMemorySegment(S, exact(c), cb + v * L * BYTES, NO))
                        : VT.cast(FloatVector.fromMemorySegment(S, exact(c), cb + v * L * BYTES, NO,
                                S.indexInRange(j + v * L, n)));
                x.intoArray(acc, (r * nv + v) * L);
            }
        }
    }

    /** Stores rows [0, h) of a tile's accumulators (layout of {@link #load}) into C with the bias and φ. */
    private static void store(MemorySegment c, long c0, int ldc, int h, int nv, int i, int j, int n, Epilogue ep,
            float[] acc) {
        boolean full = j + nv * L <= n; // no column tail: unmasked stores (a masked store costs more)
        for (int r = 0; r < h; r++) {
            long cb = (c0 + (long) r * ldc) * BYTES;
            for (int v = 0; v < nv; v++) {
                VectorMask<Float> mask = S.indexInRange(j + v * L, n);
                FloatVector z = finish(VT.cast(FloatVector.fromArray(S, acc, (r * nv + v) * L)), ep, i + r, j + v * L,
                        mask);
                if (full) {
                    z.intoMemorySegment(exact(c), cb + v * L * BYTES, NO);
                } else {
                    z.intoMemorySegment(exact(c), cb + v * L * BYTES, NO, mask);
                }
            }
        }
    }

    /** The bias and activation of one stored vector: row i, columns from j. */
    private static FloatVector finish(FloatVector acc, Epilogue ep, int i, int j, VectorMask<Float> mask) {
        FloatVector z = VT.cast(acc); // an accumulator from a loop: not typed exactly where C2 parses the calls below
        if (!ep.activate()) {
            return z;
        }
        if (ep.bias() != null) {
            z = z.add(ep.biasPerRow() ? VT.cast(FloatVector.broadcast(S, ep.bias().getAtIndex(E, i)))
                    : VT.cast(FloatVector.fromMemorySegment(S, exact(ep.bias()), j * BYTES, NO, mask)));
        }
        return z.blend(z.mul(ep.slope()), z.compare(VectorOperators.LT, 0f));
    }

    /**
     * Accumulators [R rows × 2 vectors] in {@code acc} (+)= Σ_p A(r, p)·panel[p, 0..2L) with A packed ({@link #packA};
     * group at {@code ao}): 16 accumulators, 2 panel vectors and 1 broadcast need 19 vector registers, so only where 32
     * exist ({@link SimdSpecies#WIDE_TILES}). Each panel row loaded feeds 16 FMAs; the 8 broadcasts are consecutive
     * elements of one array.
     */
    private static void packedTile8x2(int k, float[] ap, int ao, float[] panel, float[] acc) {
        FloatVector c00 = VT.cast(FloatVector.fromArray(S, acc, 0));
        FloatVector c01 = VT.cast(FloatVector.fromArray(S, acc, L));
        FloatVector c10 = VT.cast(FloatVector.fromArray(S, acc, 2 * L));
        FloatVector c11 = VT.cast(FloatVector.fromArray(S, acc, 3 * L));
        FloatVector c20 = VT.cast(FloatVector.fromArray(S, acc, 4 * L));
        FloatVector c21 = VT.cast(FloatVector.fromArray(S, acc, 5 * L));
        FloatVector c30 = VT.cast(FloatVector.fromArray(S, acc, 6 * L));
        FloatVector c31 = VT.cast(FloatVector.fromArray(S, acc, 7 * L));
        FloatVector c40 = VT.cast(FloatVector.fromArray(S, acc, 8 * L));
        FloatVector c41 = VT.cast(FloatVector.fromArray(S, acc, 9 * L));
        FloatVector c50 = VT.cast(FloatVector.fromArray(S, acc, 10 * L));
        FloatVector c51 = VT.cast(FloatVector.fromArray(S, acc, 11 * L));
        FloatVector c60 = VT.cast(FloatVector.fromArray(S, acc, 12 * L));
        FloatVector c61 = VT.cast(FloatVector.fromArray(S, acc, 13 * L));
        FloatVector c70 = VT.cast(FloatVector.fromArray(S, acc, 14 * L));
        FloatVector c71 = VT.cast(FloatVector.fromArray(S, acc, 15 * L));
        for (int p = 0; p < k; p++) {
            FloatVector b0v = VT.cast(FloatVector.fromArray(S, panel, p * 2 * L));
            FloatVector b1v = VT.cast(FloatVector.fromArray(S, panel, p * 2 * L + L));
            int q = ao + p * R;
            FloatVector x = VT.cast(FloatVector.broadcast(S, ap[q]));
            c00 = x.fma(b0v, c00);
            c01 = x.fma(b1v, c01);
            x = VT.cast(FloatVector.broadcast(S, ap[q + 1]));
            c10 = x.fma(b0v, c10);
            c11 = x.fma(b1v, c11);
            x = VT.cast(FloatVector.broadcast(S, ap[q + 2]));
            c20 = x.fma(b0v, c20);
            c21 = x.fma(b1v, c21);
            x = VT.cast(FloatVector.broadcast(S, ap[q + 3]));
            c30 = x.fma(b0v, c30);
            c31 = x.fma(b1v, c31);
            x = VT.cast(FloatVector.broadcast(S, ap[q + 4]));
            c40 = x.fma(b0v, c40);
            c41 = x.fma(b1v, c41);
            x = VT.cast(FloatVector.broadcast(S, ap[q + 5]));
            c50 = x.fma(b0v, c50);
            c51 = x.fma(b1v, c51);
            x = VT.cast(FloatVector.broadcast(S, ap[q + 6]));
            c60 = x.fma(b0v, c60);
            c61 = x.fma(b1v, c61);
            x = VT.cast(FloatVector.broadcast(S, ap[q + 7]));
            c70 = x.fma(b0v, c70);
            c71 = x.fma(b1v, c71);
        }
        c00.intoArray(acc, 0);
        c01.intoArray(acc, L);
        c10.intoArray(acc, 2 * L);
        c11.intoArray(acc, 3 * L);
        c20.intoArray(acc, 4 * L);
        c21.intoArray(acc, 5 * L);
        c30.intoArray(acc, 6 * L);
        c31.intoArray(acc, 7 * L);
        c40.intoArray(acc, 8 * L);
        c41.intoArray(acc, 9 * L);
        c50.intoArray(acc, 10 * L);
        c51.intoArray(acc, 11 * L);
        c60.intoArray(acc, 12 * L);
        c61.intoArray(acc, 13 * L);
        c70.intoArray(acc, 14 * L);
        c71.intoArray(acc, 15 * L);
    }

    /**
     * As {@link #packedTile8x2} for 4 rows (rows {@code ao mod R} onwards of a packed group; accumulators from
     * {@code co}): 8 accumulators, 2 panel vectors and 1 broadcast, 11 of AVX2's 16 registers, no spill.
     */
    private static void packedTile4x2(int k, float[] ap, int ao, float[] panel, float[] acc, int co) {
        FloatVector c00 = VT.cast(FloatVector.fromArray(S, acc, co));
        FloatVector c01 = VT.cast(FloatVector.fromArray(S, acc, co + L));
        FloatVector c10 = VT.cast(FloatVector.fromArray(S, acc, co + 2 * L));
        FloatVector c11 = VT.cast(FloatVector.fromArray(S, acc, co + 3 * L));
        FloatVector c20 = VT.cast(FloatVector.fromArray(S, acc, co + 4 * L));
        FloatVector c21 = VT.cast(FloatVector.fromArray(S, acc, co + 5 * L));
        FloatVector c30 = VT.cast(FloatVector.fromArray(S, acc, co + 6 * L));
        FloatVector c31 = VT.cast(FloatVector.fromArray(S, acc, co + 7 * L));
        for (int p = 0; p < k; p++) {
            FloatVector b0v = VT.cast(FloatVector.fromArray(S, panel, p * 2 * L));
            FloatVector b1v = VT.cast(FloatVector.fromArray(S, panel, p * 2 * L + L));
            int q = ao + p * R;
            FloatVector x = VT.cast(FloatVector.broadcast(S, ap[q]));
            c00 = x.fma(b0v, c00);
            c01 = x.fma(b1v, c01);
            x = VT.cast(FloatVector.broadcast(S, ap[q + 1]));
            c10 = x.fma(b0v, c10);
            c11 = x.fma(b1v, c11);
            x = VT.cast(FloatVector.broadcast(S, ap[q + 2]));
            c20 = x.fma(b0v, c20);
            c21 = x.fma(b1v, c21);
            x = VT.cast(FloatVector.broadcast(S, ap[q + 3]));
            c30 = x.fma(b0v, c30);
            c31 = x.fma(b1v, c31);
        }
        c00.intoArray(acc, co);
        c01.intoArray(acc, co + L);
        c10.intoArray(acc, co + 2 * L);
        c11.intoArray(acc, co + 3 * L);
        c20.intoArray(acc, co + 4 * L);
        c21.intoArray(acc, co + 5 * L);
        c30.intoArray(acc, co + 6 * L);
        c31.intoArray(acc, co + 7 * L);
    }

    /**
     * Accumulators [4 rows × 2 vectors] in {@code acc} (+)= Σ_p A(r, p)·panel[p, 0..2L), A read in place (A(r, p) at
     * a[a0 + r·ri + p·pi]): 8 accumulators, 2 panel vectors and 1 broadcast, 11 of AVX2's 16 registers.
     */
    private static void tile4x2(int k, MemorySegment a, long a0, long ri, long pi, float[] panel, float[] acc) {
        FloatVector c00 = VT.cast(FloatVector.fromArray(S, acc, 0));
        FloatVector c01 = VT.cast(FloatVector.fromArray(S, acc, L));
        FloatVector c10 = VT.cast(FloatVector.fromArray(S, acc, 2 * L));
        FloatVector c11 = VT.cast(FloatVector.fromArray(S, acc, 3 * L));
        FloatVector c20 = VT.cast(FloatVector.fromArray(S, acc, 4 * L));
        FloatVector c21 = VT.cast(FloatVector.fromArray(S, acc, 5 * L));
        FloatVector c30 = VT.cast(FloatVector.fromArray(S, acc, 6 * L));
        FloatVector c31 = VT.cast(FloatVector.fromArray(S, acc, 7 * L));
        for (int p = 0; p < k; p++) {
            FloatVector b0v = VT.cast(FloatVector.fromArray(S, panel, p * 2 * L));
            FloatVector b1v = VT.cast(FloatVector.fromArray(S, panel, p * 2 * L + L));
            long ap = a0 + p * pi;
            FloatVector x = VT.cast(FloatVector.broadcast(S, a.getAtIndex(E, ap)));
            c00 = x.fma(b0v, c00);
            c01 = x.fma(b1v, c01);
            x = VT.cast(FloatVector.broadcast(S, a.getAtIndex(E, ap + ri)));
            c10 = x.fma(b0v, c10);
            c11 = x.fma(b1v, c11);
            x = VT.cast(FloatVector.broadcast(S, a.getAtIndex(E, ap + 2 * ri)));
            c20 = x.fma(b0v, c20);
            c21 = x.fma(b1v, c21);
            x = VT.cast(FloatVector.broadcast(S, a.getAtIndex(E, ap + 3 * ri)));
            c30 = x.fma(b0v, c30);
            c31 = x.fma(b1v, c31);
        }
        c00.intoArray(acc, 0);
        c01.intoArray(acc, L);
        c10.intoArray(acc, 2 * L);
        c11.intoArray(acc, 3 * L);
        c20.intoArray(acc, 4 * L);
        c21.intoArray(acc, 5 * L);
        c30.intoArray(acc, 6 * L);
        c31.intoArray(acc, 7 * L);
    }

    /** One row × 2 vectors of accumulators in {@code acc}, A read in place: the rows below the last 4-row tile. */
    private static void tile1x2(int k, MemorySegment a, long a0, long pi, float[] panel, float[] acc) {
        FloatVector c0v = VT.cast(FloatVector.fromArray(S, acc, 0));
        FloatVector c1v = VT.cast(FloatVector.fromArray(S, acc, L));
        for (int p = 0; p < k; p++) {
            FloatVector x = VT.cast(FloatVector.broadcast(S, a.getAtIndex(E, a0 + p * pi)));
            c0v = x.fma(VT.cast(FloatVector.fromArray(S, panel, p * 2 * L)), c0v);
            c1v = x.fma(VT.cast(FloatVector.fromArray(S, panel, p * 2 * L + L)), c1v);
        }
        c0v.intoArray(acc, 0);
        c1v.intoArray(acc, L);
    }

    /**
     * Accumulators [R rows × 1 vector] in {@code acc} (+)= Σ_p A(r, p)·panel[p, 0..L), A read in place (A(r, p) at
     * a[a0 + r·ri + p·pi]): the panel of the last n − j ≤ L columns. 8 accumulators, 1 panel vector and a broadcast
     * (10 registers). A is not packed for it: when n ≤ L it is the only panel, and each element of A is used once.
     */
    private static void tile8x1(int k, MemorySegment a, long a0, long ri, long pi, float[] panel, float[] acc) {
        FloatVector c0 = VT.cast(FloatVector.fromArray(S, acc, 0));
        FloatVector c1 = VT.cast(FloatVector.fromArray(S, acc, L));
        FloatVector c2 = VT.cast(FloatVector.fromArray(S, acc, 2 * L));
        FloatVector c3 = VT.cast(FloatVector.fromArray(S, acc, 3 * L));
        FloatVector c4 = VT.cast(FloatVector.fromArray(S, acc, 4 * L));
        FloatVector c5 = VT.cast(FloatVector.fromArray(S, acc, 5 * L));
        FloatVector c6 = VT.cast(FloatVector.fromArray(S, acc, 6 * L));
        FloatVector c7 = VT.cast(FloatVector.fromArray(S, acc, 7 * L));
        for (int p = 0; p < k; p++) {
            FloatVector bv = VT.cast(FloatVector.fromArray(S, panel, p * L));
            long ap = a0 + p * pi;
            c0 = VT.cast(FloatVector.broadcast(S, a.getAtIndex(E, ap))).fma(bv, c0);
            c1 = VT.cast(FloatVector.broadcast(S, a.getAtIndex(E, ap + ri))).fma(bv, c1);
            c2 = VT.cast(FloatVector.broadcast(S, a.getAtIndex(E, ap + 2 * ri))).fma(bv, c2);
            c3 = VT.cast(FloatVector.broadcast(S, a.getAtIndex(E, ap + 3 * ri))).fma(bv, c3);
            c4 = VT.cast(FloatVector.broadcast(S, a.getAtIndex(E, ap + 4 * ri))).fma(bv, c4);
            c5 = VT.cast(FloatVector.broadcast(S, a.getAtIndex(E, ap + 5 * ri))).fma(bv, c5);
            c6 = VT.cast(FloatVector.broadcast(S, a.getAtIndex(E, ap + 6 * ri))).fma(bv, c6);
            c7 = VT.cast(FloatVector.broadcast(S, a.getAtIndex(E, ap + 7 * ri))).fma(bv, c7);
        }
        c0.intoArray(acc, 0);
        c1.intoArray(acc, L);
        c2.intoArray(acc, 2 * L);
        c3.intoArray(acc, 3 * L);
        c4.intoArray(acc, 4 * L);
        c5.intoArray(acc, 5 * L);
        c6.intoArray(acc, 6 * L);
        c7.intoArray(acc, 7 * L);
    }

    /**
     * {@link #tile8x1} where A's rows are contiguous along k (pi = 1: the forward GEMM of a narrow output layer): each
     * row's element is read at its own base plus p, a unit stride C2 can check once per loop instead of once per
     * element (tile8x1's general address, base + p·pi, cost a multiply and a bounds check per broadcast: 63
     * instructions per 8 FMAs).
     */
    private static void tile8x1Rows(int k, MemorySegment a, long a0, long ri, float[] panel, float[] acc) {
        long r0 = a0;
        long r1 = a0 + ri;
        long r2 = a0 + 2 * ri;
        long r3 = a0 + 3 * ri;
        long r4 = a0 + 4 * ri;
        long r5 = a0 + 5 * ri;
        long r6 = a0 + 6 * ri;
        long r7 = a0 + 7 * ri;
        FloatVector c0 = VT.cast(FloatVector.fromArray(S, acc, 0));
        FloatVector c1 = VT.cast(FloatVector.fromArray(S, acc, L));
        FloatVector c2 = VT.cast(FloatVector.fromArray(S, acc, 2 * L));
        FloatVector c3 = VT.cast(FloatVector.fromArray(S, acc, 3 * L));
        FloatVector c4 = VT.cast(FloatVector.fromArray(S, acc, 4 * L));
        FloatVector c5 = VT.cast(FloatVector.fromArray(S, acc, 5 * L));
        FloatVector c6 = VT.cast(FloatVector.fromArray(S, acc, 6 * L));
        FloatVector c7 = VT.cast(FloatVector.fromArray(S, acc, 7 * L));
        for (int p = 0; p < k; p++) {
            FloatVector bv = VT.cast(FloatVector.fromArray(S, panel, p * L));
            c0 = VT.cast(FloatVector.broadcast(S, a.getAtIndex(E, r0 + p))).fma(bv, c0);
            c1 = VT.cast(FloatVector.broadcast(S, a.getAtIndex(E, r1 + p))).fma(bv, c1);
            c2 = VT.cast(FloatVector.broadcast(S, a.getAtIndex(E, r2 + p))).fma(bv, c2);
            c3 = VT.cast(FloatVector.broadcast(S, a.getAtIndex(E, r3 + p))).fma(bv, c3);
            c4 = VT.cast(FloatVector.broadcast(S, a.getAtIndex(E, r4 + p))).fma(bv, c4);
            c5 = VT.cast(FloatVector.broadcast(S, a.getAtIndex(E, r5 + p))).fma(bv, c5);
            c6 = VT.cast(FloatVector.broadcast(S, a.getAtIndex(E, r6 + p))).fma(bv, c6);
            c7 = VT.cast(FloatVector.broadcast(S, a.getAtIndex(E, r7 + p))).fma(bv, c7);
        }
        c0.intoArray(acc, 0);
        c1.intoArray(acc, L);
        c2.intoArray(acc, 2 * L);
        c3.intoArray(acc, 3 * L);
        c4.intoArray(acc, 4 * L);
        c5.intoArray(acc, 5 * L);
        c6.intoArray(acc, 6 * L);
        c7.intoArray(acc, 7 * L);
    }

    /** One row × 1 vector of accumulators in {@code acc}, A read in place: the rows below the last 8-row tile. */
    private static void tile1x1(int k, MemorySegment a, long a0, long pi, float[] panel, float[] acc) {
        FloatVector c0v = VT.cast(FloatVector.fromArray(S, acc, 0));
        for (int p = 0; p < k; p++) {
            c0v = VT.cast(FloatVector.broadcast(S, a.getAtIndex(E, a0 + p * pi))).fma(
                    VT.cast(FloatVector.fromArray(S, panel, p * L)), c0v);
        }
        c0v.intoArray(acc, 0);
    }

    /**
     * Columns of a k-block of {@link #gemmTransB}, a multiple of every L: 4 rows of A (16 KiB in float64) stay in L1
     * while the k-block of every row of B passes over them from L2 (n = 144 rows: 576 KiB).
     */
    static final int KN = 512;

    /**
     * Virtual lanes of {@link #gemmTransB}: 256 bits' worth (8 in float32, 4 in float64) at every width, so that its
     * sums, and with them a convolution's weight gradient, have the same bits at 128, 256 and 512 bits. At 128 bits
     * each tile runs twice (the first and the second half of each 256-bit group of columns); at 512 the kernel uses
     * 256-bit vectors ({@link #SN}).
     */
    static final int V = 32 / (int) BYTES;
    /** {@link #gemmTransB}'s species: S up to 256 bits, the 256-bit one above (a wider lane would mix two chains). */
    static final VectorSpecies<Float> SN = L > V ? FloatVector.SPECIES_256 : S;
    /** Lanes of {@link #SN}: V or a divisor of it. */
    static final int LN = SN.length();
    /** The exact class of SN's vectors (as {@link #VT}). */
    @SuppressWarnings("unchecked")
    static final Class<FloatVector> VTN = (Class<FloatVector>) (Class<?>) SN.vectorType();

    /**
     * C (+)= A·Bᵀ (see {@link org.autobalance.kernel.GemmKernels#gemmTransB}): every element of C is a dot product
     * of a row of A and a row of B, both read at unit stride, so the vectors run along k and each element's lanes are
     * summed at the end of each k-block of {@link #KN} columns. Per element and k-block: {@link #V} virtual lane sums
     * (lane v holds the FMA chain over columns p ≡ v mod V), added in lane order, then the columns past the last
     * whole V in order, and that block sum added to C — the same at every SIMD width. Register tiles of 4 rows of A
     * × 2 rows of B (8 accumulators, 14 vector registers), 4 × 1 for an odd last row of B, 1 × 1 for the last rows
     * of A.
     */
    static void gemmTransB(int m, int n, int k, MemorySegment a, long aOff, int lda, MemorySegment b, long bOff,
            int ldb, MemorySegment c, long cOff, int ldc, boolean accumulate) {
        if (!accumulate) {
            for (int i = 0; i < m; i++) {
                c.asSlice((cOff + (long) i * ldc) * BYTES, n * BYTES).fill((byte) 0);
            }
        }
        float[] acc = Scratch.get().floats(ACC_SLOT, 8 * V);
        for (int p0 = 0; p0 < k; p0 += KN) {
            int kc = Math.min(KN, k - p0);
            int i = 0;
            for (; i + 4 <= m; i += 4) {
                long a0 = aOff + (long) i * lda + p0;
                long c0 = cOff + (long) i * ldc;
                int j = 0;
                for (; j + 2 <= n; j += 2) {
                    for (int g = 0; g < V; g += LN) {
                        tileNT4x2(kc, g, a, a0, lda, b, bOff + (long) j * ldb + p0, ldb, acc);
                    }
                    for (int r = 0; r < 8; r++) {
                        long q = c0 + (long) (r >> 1) * ldc + j + (r & 1);
                        c.setAtIndex(E, q, c.getAtIndex(E, q) + ntSum(acc, r, kc, a,
                                a0 + (long) (r >> 1) * lda, b, bOff + (long) (j + (r & 1)) * ldb + p0));
                    }
                }
                if (j < n) {
                    for (int g = 0; g < V; g += LN) {
                        tileNT4x1(kc, g, a, a0, lda, b, bOff + (long) j * ldb + p0, acc);
                    }
                    for (int r = 0; r < 4; r++) {
                        long q = c0 + (long) r * ldc + j;
                        c.setAtIndex(E, q, c.getAtIndex(E, q) + ntSum(acc, r, kc, a, a0 + (long) r * lda, b,
                                bOff + (long) j * ldb + p0));
                    }
                }
            }
            for (; i < m; i++) {
                long a0 = aOff + (long) i * lda + p0;
                for (int j = 0; j < n; j++) {
                    long b0 = bOff + (long) j * ldb + p0;
                    for (int g = 0; g < V; g += LN) {
                        tileNT1x1(kc, g, a, a0, b, b0, acc);
                    }
                    long q = cOff + (long) i * ldc + j;
                    c.setAtIndex(E, q, c.getAtIndex(E, q) + ntSum(acc, 0, kc, a, a0, b, b0));
                }
            }
        }
    }

    /**
     * The block sum of one element of {@link #gemmTransB}: the virtual lanes of accumulator {@code r} (in {@code acc}
     * from element r·V) in lane order, then the k-tail of the block (columns kc − kc mod V … kc − 1 of the rows at a0
     * and b0) in column order.
     */
    private static float ntSum(float[] acc, int r, int kc, MemorySegment a, long a0, MemorySegment b, long b0) {
        float s = 0f;
        for (int l = 0; l < V; l++) {
            s += acc[r * V + l];
        }
        for (int p = kc - kc % V; p < kc; p++) {
            s = Math.fma(a.getAtIndex(E, a0 + p), b.getAtIndex(E, b0 + p), s);
        }
        return s;
    }

    /**
     * acc[r·V + g …] = virtual lanes g … g + LN − 1 of the FMA chains over the whole V-column groups of kc columns,
     * for r = 2·(row of A) + (row of B): rows a0 + {0, 1, 2, 3}·lda of A against rows b0 and b0 + ldb of B.
     */
    private static void tileNT4x2(int kc, int g, MemorySegment a, long a0, int lda, MemorySegment b, long b0, int ldb,
            float[] acc) {
        long as = (long) lda * BYTES;
        long ab = a0 * BYTES;
        long bb = b0 * BYTES;
        long bs = (long) ldb * BYTES;
        FloatVector c00 = VTN.cast(FloatVector.zero(SN));
        FloatVector c01 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        int kv = kc - kc % V;
        for (int p = g; p < kv; p += V) {
            long o = (long) p * BYTES;
            FloatVector y0 = VTN.cast(FloatVector.fromMemorySegment(SN, exact(b), bb + o, NO));
            FloatVector y1 = VTN.cast(FloatVector.fromMemorySegment(SN, exact(b), bb + bs + o, NO));
            FloatVector x = VTN.cast(FloatVector.fromMemorySegment(SN, exact(a), ab + o, NO));
            c00 = x.fma(y0, c00);
            c01 = x.fma(y1, c01);
            x = VTN.cast(FloatVector.fromMemorySegment(SN, exact(a), ab + as + o, NO));
            c10 = x.fma(y0, c10);
            c11 = x.fma(y1, c11);
            x = VTN.cast(FloatVector.fromMemorySegment(SN, exact(a), ab + 2 * as + o, NO));
            c20 = x.fma(y0, c20);
            c21 = x.fma(y1, c21);
            x = VTN.cast(FloatVector.fromMemorySegment(SN, exact(a), ab + 3 * as + o, NO));
            c30 = x.fma(y0, c30);
            c31 = x.fma(y1, c31);
        }
        c00.intoArray(acc, g);
        c01.intoArray(acc, V + g);
        c10.intoArray(acc, 2 * V + g);
        c11.intoArray(acc, 3 * V + g);
        c20.intoArray(acc, 4 * V + g);
        c21.intoArray(acc, 5 * V + g);
        c30.intoArray(acc, 6 * V + g);
        c31.intoArray(acc, 7 * V + g);
    }

    /** {@link #tileNT4x2} against one row of B: acc[r·V + g …] for row r of A. */
    private static void tileNT4x1(int kc, int g, MemorySegment a, long a0, int lda, MemorySegment b, long b0,
            float[] acc) {
        long as = (long) lda * BYTES;
        long ab = a0 * BYTES;
        long bb = b0 * BYTES;
        FloatVector c0 = VTN.cast(FloatVector.zero(SN));
        FloatVector c1 = c0;
        FloatVector c2 = c0;
        FloatVector c3 = c0;
        int kv = kc - kc % V;
        for (int p = g; p < kv; p += V) {
            long o = (long) p * BYTES;
            FloatVector y = VTN.cast(FloatVector.fromMemorySegment(SN, exact(b), bb + o, NO));
            c0 = VTN.cast(FloatVector.fromMemorySegment(SN, exact(a), ab + o, NO)).fma(y, c0);
            c1 = VTN.cast(FloatVector.fromMemorySegment(SN, exact(a), ab + as + o, NO)).fma(y, c1);
            c2 = VTN.cast(FloatVector.fromMemorySegment(SN, exact(a), ab + 2 * as + o, NO)).fma(y, c2);
            c3 = VTN.cast(FloatVector.fromMemorySegment(SN, exact(a), ab + 3 * as + o, NO)).fma(y, c3);
        }
        c0.intoArray(acc, g);
        c1.intoArray(acc, V + g);
        c2.intoArray(acc, 2 * V + g);
        c3.intoArray(acc, 3 * V + g);
    }

    /** One row of A against one row of B: acc[g … g + LN) as in {@link #tileNT4x2}. */
    private static void tileNT1x1(int kc, int g, MemorySegment a, long a0, MemorySegment b, long b0, float[] acc) {
        long ab = a0 * BYTES;
        long bb = b0 * BYTES;
        FloatVector c0 = VTN.cast(FloatVector.zero(SN));
        int kv = kc - kc % V;
        for (int p = g; p < kv; p += V) {
            long o = (long) p * BYTES;
            c0 = VTN.cast(FloatVector.fromMemorySegment(SN, exact(a), ab + o, NO)).fma(
                    VTN.cast(FloatVector.fromMemorySegment(SN, exact(b), bb + o, NO)), c0);
        }
        c0.intoArray(acc, g);
    }

    /**
     * D += S over an m × n block (see {@link org.autobalance.kernel.GemmKernels#addBlock}): each row's whole vectors,
     * then its tail under one mask.
     */
    static void addBlock(int m, int n, MemorySegment s, long sOff, int lds, MemorySegment d, long dOff, int ldd) {
        int nv = n - n % L;
        for (int i = 0; i < m; i++) {
            long sb = (sOff + (long) i * lds) * BYTES;
            long db = (dOff + (long) i * ldd) * BYTES;
            for (int j = 0; j < nv; j += L) {
                VT.cast(FloatVector.fromMemorySegment(S, exact(d), db + j * BYTES, NO))
                        .add(VT.cast(FloatVector.fromMemorySegment(S, exact(s), sb + j * BYTES, NO)))
                        .intoMemorySegment(exact(d), db + j * BYTES, NO);
            }
            if (nv < n) {
                VectorMask<Float> tail = S.indexInRange(nv, n);
                VT.cast(FloatVector.fromMemorySegment(S, exact(d), db + nv * BYTES, NO, tail))
                        .add(VT.cast(FloatVector.fromMemorySegment(S, exact(s), sb + nv * BYTES, NO, tail)))
                        .intoMemorySegment(exact(d), db + nv * BYTES, NO, tail);
            }
        }
    }

    /** D ← D·φ'(Y) over an m × n block (see {@link org.autobalance.kernel.GemmKernels#activationSlope}). */
    static void activationSlope(int m, int n, MemorySegment y, long yOff, int ldy, MemorySegment d, long dOff,
            int ldd, float slope) {
        for (int i = 0; i < m; i++) {
            long yb = (yOff + (long) i * ldy) * BYTES;
            long db = (dOff + (long) i * ldd) * BYTES;
            int j = 0;
            for (; j + L <= n; j += L) {
                FloatVector yv = VT.cast(FloatVector.fromMemorySegment(S, exact(y), yb + j * BYTES, NO));
                FloatVector dv = VT.cast(FloatVector.fromMemorySegment(S, exact(d), db + j * BYTES, NO));
                dv.blend(dv.mul(slope), yv.compare(VectorOperators.GT, 0f).not())
                        .intoMemorySegment(exact(d), db + j * BYTES, NO);
            }
            if (j < n) {
                VectorMask<Float> mask = S.indexInRange(j, n);
                FloatVector yv = VT.cast(FloatVector.fromMemorySegment(S, exact(y), yb + j * BYTES, NO, mask));
                FloatVector dv = VT.cast(FloatVector.fromMemorySegment(S, exact(d), db + j * BYTES, NO, mask));
                dv.blend(dv.mul(slope), yv.compare(VectorOperators.GT, 0f).not())
                        .intoMemorySegment(exact(d), db + j * BYTES, NO, mask);
            }
        }
    }
}
