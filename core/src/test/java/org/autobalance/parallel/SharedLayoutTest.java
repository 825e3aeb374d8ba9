package org.autobalance.parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.kernel.SparseKernels;
import org.autobalance.kernel.SparsePanels;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.NativeMemory;
import org.autobalance.memory.Shared;
import org.autobalance.memory.SparseMatrix;
import org.junit.jupiter.api.Test;

/**
 * The panel layouts built once per matrix, panels and chunks and shared by the engines over it, and the layout of Mᵀ
 * built from M (native-notes/sparse.md, "Twenty-second session").
 */
class SharedLayoutTest {
    /** One vector a row at 256 and 512 bits (float32), where the kernels run the layouts on AVX2 hosts too. */
    private static final int R = 8;

    /** Mᵀ's layout built from M's entries is byte for byte the one built from Mᵀ's CSR, for every shape here. */
    @Test
    void transposedLayoutFromMEqualsTheOneFromMt() {
        for (DType t : DType.values()) {
            for (int[] shape : new int[][] {{1, 1, 1}, {7, 5, 0}, {40, 90, 300}, {90, 40, 300}, {300, 200, 6_000},
                    {257, 1_031, 2_000}, {64, 3, 150}}) {
                try (SparseMatrix m = random(shape[0], shape[1], shape[2], t, shape[2] * 31L + shape[0])) {
                    SparseMatrix mt = m.transposed();
                    int n = m.cols();
                    for (int panels : new int[] {1, 2, 3, 7, m.rows()}) {
                        for (int[] chunks : new int[][] {{0, n}, {0, n / 3, n}, {0, 0, n / 2, n / 2, n},
                                IterationEngine.equalWork(mt, 3)}) {
                            String what = t + " " + m + " panels " + panels + " chunks " + chunks.length;
                            try (SparsePanels direct = SparsePanels.ofTransposed(m, panels, chunks);
                                    SparsePanels fromCsr = SparsePanels.of(mt, panels, chunks)) {
                                assertSameLayout(fromCsr, direct, what);
                            }
                        }
                    }
                }
            }
        }
    }

    /** Two leases with the same key share one layout, counted once; another key is another layout. */
    @Test
    void equalKeysShareOneLayoutCountedOnce() {
        try (SparseMatrix m = random(300, 200, 6_000, DType.FLOAT32, 5)) {
            int[] chunks = {0, 100, 300};
            long before = NativeMemory.liveBytes();
            try (Shared<SparsePanels> a = SparsePanels.shared(m, false, 2, chunks)) {
                long one = NativeMemory.liveBytes() - before;
                assertEquals(a.get().bytes(), one, "one layout counted");
                try (Shared<SparsePanels> b = SparsePanels.shared(m, false, 2, chunks.clone());
                        Shared<SparsePanels> c = SparsePanels.shared(m, false, 3, chunks);
                        Shared<SparsePanels> d = SparsePanels.shared(m, true, 2, new int[] {0, 200});
                        Shared<SparsePanels> e = SparsePanels.shared(m, false, 2, new int[] {0, 150, 300})) {
                    assertSame(a.get(), b.get());
                    assertNotSame(a.get(), c.get());
                    assertNotSame(a.get(), e.get());
                    assertEquals(one + c.get().bytes() + d.get().bytes() + e.get().bytes(),
                            NativeMemory.liveBytes() - before);
                }
                assertEquals(one, NativeMemory.liveBytes() - before, "the other keys' last leases freed theirs");
                assertEquals(2, a.get().panels(), "still readable while a lease holds it");
            }
            assertEquals(before, NativeMemory.liveBytes(), "the last lease freed it");
        }
    }

    /** Engines built on several threads at once (library use) get one layout, built once. */
    @Test
    void concurrentLeasesBuildOnce() throws Exception {
        try (SparseMatrix m = random(300, 200, 6_000, DType.FLOAT32, 5)) {
            long before = NativeMemory.liveBytes();
            AtomicInteger builds = new AtomicInteger();
            Object key = new Object();
            int threads = 4;
            CyclicBarrier start = new CyclicBarrier(threads);
            List<Future<Shared<SparsePanels>>> leases = new ArrayList<>();
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                for (int t = 0; t < threads; t++) {
                    leases.add(pool.submit(() -> {
                        start.await();
                        return Shared.acquire(m, key, () -> {
                            builds.incrementAndGet();
                            return SparsePanels.of(m, 2, new int[] {0, 300});
                        });
                    }));
                }
                SparsePanels first = leases.get(0).get().get();
                for (Future<Shared<SparsePanels>> f : leases) {
                    assertSame(first, f.get().get());
                }
                assertEquals(1, builds.get());
                assertEquals(first.bytes(), NativeMemory.liveBytes() - before);
                for (Future<Shared<SparsePanels>> f : leases) {
                    f.get().close();
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(before, NativeMemory.liveBytes());
        }
    }

    /**
     * Two full-loss engines over one M (as the iterations' and σ₁'s) on the layouts of M and Mᵀ (the engine's way to
     * them on every host): the second adds only its MV and MᵀU, and no engine builds Mᵀ's CSR; closing them in either
     * order frees the layouts with the last.
     */
    @Test
    void enginesShareTheLayoutsAndHoldNoTranspose() {
        SparseKernels sk = panelledKernels();
        try (SparseMatrix m = random(2_000, 1_500, 60_000, DType.FLOAT32, 9);
                DenseMatrix u = factor(2_000, 1);
                DenseMatrix v = factor(1_500, 2);
                DenseMatrix y = factor(2_000, 3);
                DenseMatrix x = factor(1_500, 4);
                ParallelPass pass = new ParallelPass(2)) {
            assertTrue(SparsePanels.paysBoth(m.rows(), m.cols(), m.nonZeros(), DType.FLOAT32, 64));
            long work = (u.segment().byteSize() + v.segment().byteSize());
            long before = NativeMemory.liveBytes();
            IterationEngine first = new IterationEngine(KernelProvider.kernels(), sk, pass, m, u, v,
                    SparsePanels::shared);
            long withFirst = NativeMemory.liveBytes() - before;
            // the layouts' bytes, from leases on the same keys (no new build: the engine holds them)
            long layouts;
            try (Shared<SparsePanels> pm = SparsePanels.shared(m, false, SparsePanels.panelCount(m.cols(), 64),
                    IterationEngine.equalWork(m, 2));
                    Shared<SparsePanels> pt = SparsePanels.shared(m, true, SparsePanels.panelCount(m.rows(), 64),
                            IterationEngine.equalWork(m.columnStarts(), 2))) {
                layouts = pm.get().bytes() + pt.get().bytes();
                assertEquals(withFirst, layouts + work, "layouts, MV and MtU; no CSR of Mt");
            }
            IterationEngine second = new IterationEngine(KernelProvider.kernels(), sk, pass, m, y, x,
                    SparsePanels::shared);
            assertEquals(withFirst + work, NativeMemory.liveBytes() - before, "the second adds MV and MtU only");
            first.close();
            assertEquals(layouts + work, NativeMemory.liveBytes() - before, "the second's leases keep the layouts");
            second.multiply(); // still runs on them
            second.close();
            assertEquals(before, NativeMemory.liveBytes(), "the last lease freed them");
            // the other order
            first = new IterationEngine(KernelProvider.kernels(), sk, pass, m, u, v, SparsePanels::shared);
            second = new IterationEngine(KernelProvider.kernels(), sk, pass, m, y, x, SparsePanels::shared);
            second.close();
            first.close();
            assertEquals(before, NativeMemory.liveBytes());
        }
    }

    /**
     * At 1, 2 and 3 threads the full loss reads M's aligned form alone, in 6 panels here (two a thread at 3), built
     * for the engine's chunks (no layout of Mt, no CSR of Mt: the memory is the form's and MV's and MtU's), and MV
     * and MtU have, at every thread count, the bits of the two gather products over the layouts of M and Mt (the
     * wavefront keeps one thread's order).
     */
    @Test
    void everyThreadCountReadsTheAlignedFormWithTheBitsOfTheTwoProducts() {
        SparseKernels sk = panelledKernels();
        // 6 panels: two a thread at 3 threads
        try (SparseMatrix m = alignedPanelMatrix(11);
                DenseMatrix u = factor(2_000, 1);
                DenseMatrix v = factor(m.cols(), 2);
                DenseMatrix mv = DenseMatrix.allocate(DType.FLOAT32, 2_000, R);
                DenseMatrix mtu = DenseMatrix.allocate(DType.FLOAT32, m.cols(), R)) {
            int cols = m.cols();
            assertEquals(6, SparsePanels.alignedPanelCount(cols, 64));
            assertTrue(SparsePanels.paysAligned(m.rows(), m.cols(), m.nonZeros(), DType.FLOAT32, 64, 3));
            assertTrue(SparsePanels.paysBoth(m.rows(), m.cols(), m.nonZeros(), DType.FLOAT32, 64), "the gather"
                    + " products run over the layouts (else the CSR products' even and odd chains, other bits)");
            try (SparsePanels pm = SparsePanels.of(m, SparsePanels.panelCount(cols, 64), new int[] {0, 2_000});
                    SparsePanels pt = SparsePanels.ofTransposed(m, SparsePanels.panelCount(2_000, 64),
                            new int[] {0, cols})) {
                sk.panelProduct(pm, v, 0, mv);
                sk.panelProduct(pt, u, 0, mtu);
            }
            long work = u.segment().byteSize() + v.segment().byteSize();
            long before = NativeMemory.liveBytes();
            for (int threads = 1; threads <= 3; threads++) {
                try (ParallelPass pass = new ParallelPass(threads);
                        IterationEngine fused = new IterationEngine(KernelProvider.kernels(), sk, pass, m, false, null,
                                u, v)) {
                    long built = NativeMemory.liveBytes() - before - work;
                    try (Shared<SparsePanels> aligned = SparsePanels.sharedAligned(m, 6, threads, () -> {
                        throw new AssertionError("the chunks computed again: the engine's form is not shared");
                    })) {
                        assertTrue(aligned.get().isAligned());
                        assertArrayEquals(PanelWavefront.chunks(m, 6, threads), aligned.get().chunkRows(),
                                threads + " threads: the wavefront's chunks");
                        assertEquals(aligned.get().bytes(), built, threads + " threads: the aligned form, MV and MtU; "
                                + "no layout or CSR of Mt");
                        assertEquals(built + work, NativeMemory.liveBytes() - before, "the engine's form, not a "
                                + "second");
                    }
                    assertTrue(built >= IterationEngine.panelBytes(sk, m, false, R, threads), "the solver's floor");
                    for (int call = 0; call < 2; call++) {
                        fused.multiply();
                        assertSameBytes(mv.segment(), fused.mv().segment(), threads + " threads: MV");
                        assertSameBytes(mtu.segment(), fused.mtu().segment(), threads + " threads: MtU");
                    }
                }
            }
            assertEquals(before, NativeMemory.liveBytes());
        }
    }

    /**
     * Above one thread the aligned form needs two panels a thread (its wavefront): with 3 panels, 1 thread reads it
     * and 2 threads do not (they take the layouts of M and Mt, on in the tests), and the solver's floor says so.
     */
    @Test
    void twoThreadsOverThreePanelsLeaveTheAlignedForm() {
        SparseKernels sk = panelledKernels();
        try (SparseMatrix m = alignedPanelMatrix(5);
                DenseMatrix u = factor(2_000, 1);
                DenseMatrix v = factor(m.cols(), 2)) {
            assertEquals(3, SparsePanels.alignedPanelCount(m.cols(), 64));
            assertTrue(SparsePanels.paysBoth(m.rows(), m.cols(), m.nonZeros(), DType.FLOAT32, 64));
            assertEquals(SparsePanels.floorBytesOfAligned(m.rows(), m.cols(), m.nonZeros(), DType.FLOAT32, 64, 1),
                    IterationEngine.panelBytes(sk, m, false, R, 1));
            assertEquals(SparsePanels.floorBytesOfBoth(m.rows(), m.cols(), m.nonZeros(), DType.FLOAT32, 64),
                    IterationEngine.panelBytes(sk, m, false, R, 2));
            for (int threads = 1; threads <= 2; threads++) {
                AtomicInteger builds = new AtomicInteger();
                try (ParallelPass pass = new ParallelPass(threads);
                        IterationEngine _ = new IterationEngine(KernelProvider.kernels(), sk, pass, m, false, null,
                                u, v);
                        Shared<SparsePanels> _ = SparsePanels.sharedAligned(m, 3, threads, () -> {
                            builds.incrementAndGet();
                            return PanelWavefront.chunks(m, 3, 2);
                        })) {
                    assertEquals(threads == 1 ? 0 : 1, builds.get(), threads + " threads: the engine "
                            + (threads == 1 ? "did not build" : "built") + " the aligned form");
                }
            }
        }
    }

    /** M closed before its engine: M frees the layouts, the engine's close later frees only its own, once. */
    @Test
    void matrixClosedBeforeItsEngine() {
        SparseKernels sk = panelledKernels();
        try (DenseMatrix u = factor(2_000, 1);
                DenseMatrix v = factor(1_500, 2);
                ParallelPass pass = new ParallelPass(2)) {
            long before = NativeMemory.liveBytes();
            SparseMatrix m = random(2_000, 1_500, 60_000, DType.FLOAT32, 9);
            IterationEngine engine = new IterationEngine(KernelProvider.kernels(), sk, pass, m, false, null, u, v);
            long work = u.segment().byteSize() + v.segment().byteSize();
            m.close();
            assertEquals(work, NativeMemory.liveBytes() - before, "M and its layouts freed with M");
            assertThrows(IllegalStateException.class, engine::multiply);
            engine.close();
            assertEquals(before, NativeMemory.liveBytes());
            engine.close(); // again: nothing
            assertEquals(before, NativeMemory.liveBytes());
            assertThrows(IllegalStateException.class, () -> SparsePanels.shared(m, false, 1, new int[] {0, 2_000}));
        }
    }

    /**
     * A build that fails half-way (the second layout of an engine) leaves nothing in M's table, and the first
     * layout's lease, closed by the engine's clean-up, frees it.
     */
    @Test
    void aFailedBuildLeavesNothing() {
        try (SparseMatrix m = random(300, 200, 6_000, DType.FLOAT32, 5)) {
            long before = NativeMemory.liveBytes();
            Shared<SparsePanels> first = SparsePanels.shared(m, false, 2, new int[] {0, 300});
            // chunks that do not cover Mᵀ's rows: refused in the build
            assertThrows(IllegalArgumentException.class, () -> SparsePanels.shared(m, true, 2, new int[] {0, 300}));
            // bounds for 1 chunk given for 2 threads: refused before anything is built
            assertThrows(IllegalArgumentException.class, () -> SparsePanels.sharedAligned(m, 2, 2,
                    () -> new int[] {0, 300}));
            AtomicInteger builds = new AtomicInteger();
            Object key = new Object();
            assertThrows(IllegalStateException.class, () -> Shared.acquire(m, key, () -> {
                builds.incrementAndGet();
                throw new IllegalStateException("failed half-way");
            }));
            try (Shared<SparsePanels> again = Shared.acquire(m, key, () -> {
                builds.incrementAndGet();
                return SparsePanels.of(m, 1, new int[] {0, 300});
            })) {
                assertEquals(2, builds.get(), "the failed build left no entry");
                assertEquals(first.get().bytes() + again.get().bytes(), NativeMemory.liveBytes() - before);
            }
            first.close();
            assertEquals(before, NativeMemory.liveBytes());
        }
    }

    /**
     * The solver counts a run's layouts once: at a rank the layouts serve, those of that rank whatever the loss (σ₁'s
     * engine is full loss); above it, the 1-column pair of the full loss's plateau test, and none for the observed
     * loss.
     */
    @Test
    void aRunCountsItsLayoutsOnce() {
        SparseKernels sk = panelledKernels();
        int above = R;
        while (above < 4_096 && sk.panelled(DType.FLOAT32, above)) {
            above++;
        }
        assumeTrue(!sk.panelled(DType.FLOAT32, above), "these kernels run the layouts at every rank tried");
        try (SparseMatrix m = random(2_000, 1_500, 60_000, DType.FLOAT32, 17)) {
            long oneColumn = IterationEngine.panelBytes(sk, m, false, 1, 1);
            long atR = IterationEngine.panelBytes(sk, m, false, R, 1);
            assertTrue(oneColumn > 0 && atR > 0, "M pays for its layouts");
            assertEquals(atR, IterationEngine.runPanelBytes(sk, m, false, R, 1));
            assertEquals(atR, IterationEngine.runPanelBytes(sk, m, true, R, 1));
            assertEquals(0, IterationEngine.panelBytes(sk, m, false, above, 1));
            assertEquals(oneColumn, IterationEngine.runPanelBytes(sk, m, false, above, 1));
            assertEquals(0, IterationEngine.runPanelBytes(sk, m, true, above, 1));
        }
    }

    /**
     * M's close closes every shared structure though each close throws, throws the first failure with the other
     * suppressed, and empties M's table (a lease still open then closes nothing again).
     */
    @Test
    void matrixCloseClosesEveryStructureThoughOneFails() {
        SparseMatrix m = random(300, 200, 6_000, DType.FLOAT32, 7);
        AtomicInteger closes = new AtomicInteger();
        AutoCloseable failing = () -> {
            closes.incrementAndGet();
            throw new IllegalStateException("close failed");
        };
        Shared<AutoCloseable> first = Shared.acquire(m, "first", () -> failing);
        Shared<AutoCloseable> second = Shared.acquire(m, "second", () -> failing);
        assertThrows(IllegalStateException.class, second::close);
        assertEquals(1, closes.get(), "the last lease closed its structure");
        Shared<AutoCloseable> third = Shared.acquire(m, "third", () -> failing);
        IllegalStateException thrown = assertThrows(IllegalStateException.class, m::close);
        assertEquals(3, closes.get(), "both structures still in the table closed");
        assertEquals(1, thrown.getSuppressed().length);
        first.close();
        third.close();
        assertEquals(3, closes.get(), "the table was emptied: the open leases close nothing");
    }

    /**
     * The engine's own clean-up closes the lease it took when the next one fails (Mᵀ's, here made to throw inside the
     * constructor): M's layout is freed, which its lease does only as it leaves M's table.
     */
    @Test
    void aLeaseFailingInsideTheEngineLeavesNothing() {
        SparseKernels sk = panelledKernels();
        try (SparseMatrix m = random(2_000, 1_500, 60_000, DType.FLOAT32, 13);
                DenseMatrix u = factor(2_000, 1);
                DenseMatrix v = factor(1_500, 2);
                ParallelPass pass = new ParallelPass(2)) {
            long before = NativeMemory.liveBytes();
            IllegalStateException failure = new IllegalStateException("Mᵀ's lease failed");
            AtomicInteger leasesOfM = new AtomicInteger();
            IterationEngine.LayoutLease failingForMt = (matrix, transposed, panels, chunks) -> {
                if (transposed) {
                    throw failure;
                }
                leasesOfM.incrementAndGet();
                return SparsePanels.shared(matrix, false, panels, chunks);
            };
            assertSame(failure, assertThrows(IllegalStateException.class,
                    () -> new IterationEngine(KernelProvider.kernels(), sk, pass, m, u, v, failingForMt)));
            assertEquals(1, leasesOfM.get(), "M's layout was leased before Mᵀ's failed");
            assertEquals(before, NativeMemory.liveBytes(), "M's lease closed, its layout freed and out of M's table");
        }
    }

    /**
     * The iterates are the same bits whether an engine builds its layouts or leases those another engine built (σ₁'s
     * next to the iterations', in the solver) and runs on other factors in between, and whether the layouts came
     * from M or Mᵀ's CSR (above).
     */
    @Test
    void iteratesAreTheSameBitsWithAndWithoutSharing() {
        SparseKernels sk = panelledKernels();
        try (SparseMatrix m = random(2_000, 1_500, 60_000, DType.FLOAT32, 11);
                ParallelPass pass = new ParallelPass(2)) {
            int[][] alone = iterate(m, pass, false);
            int[][] shared = iterate(m, pass, true);
            assertArrayEquals(alone[0], shared[0], "U");
            assertArrayEquals(alone[1], shared[1], "V");
        }
    }

    /**
     * U and V's bits after 5 steps from fixed factors; {@code beside}: with another engine, built first, holding the
     * layouts (the one measured then adds only its own scratch: it leased them) and stepping other factors before
     * each of its passes, so a layout that its use changed would show.
     */
    private static int[][] iterate(SparseMatrix m, ParallelPass pass, boolean beside) {
        SparseKernels sk = KernelProvider.sparseKernels();
        try (DenseMatrix u = factor(m.rows(), 1);
                DenseMatrix v = factor(m.cols(), 2);
                DenseMatrix y = factor(m.rows(), 3);
                DenseMatrix x = factor(m.cols(), 4);
                IterationEngine other = beside
                        ? new IterationEngine(KernelProvider.kernels(), sk, pass, m, false, null, y, x) : null) {
            long scratch = scratchBytes(m, u.cols());
            long before = NativeMemory.liveBytes();
            try (IterationEngine engine = new IterationEngine(KernelProvider.kernels(), sk, pass, m, false, null, u,
                    v)) {
                if (beside) {
                    assertEquals(scratch, NativeMemory.liveBytes() - before, "the layouts were leased, not built");
                }
                for (int t = 0; t < 5; t++) {
                    if (beside) {
                        stepOnce(other);
                    }
                    stepOnce(engine);
                }
            }
            return new int[][] {PanelLayoutRuleTest.bits(u), PanelLayoutRuleTest.bits(v)};
        }
    }

    /** One fused pass and simultaneous step of an engine's factors. */
    private static void stepOnce(IterationEngine engine) {
        engine.fusedPass();
        double[] a = engine.gramV.clone();
        double[] b = engine.gramU.clone();
        engine.step(a, b, 1e-5);
    }

    /** The bytes of a full-loss engine's own scratch over {@code m} at rank r: MV and MᵀU (one chunk of MᵀU). */
    private static long scratchBytes(SparseMatrix m, int r) {
        long before = NativeMemory.liveBytes();
        try (DenseMatrix _ = DenseMatrix.allocate(m.dtype(), m.rows(), r);
                DenseMatrix _ = DenseMatrix.allocate(m.dtype(), m.cols(), r)) {
            return NativeMemory.liveBytes() - before;
        }
    }

    /** The sparse kernels, if they run the layouts at rank {@link #R} (else the test is skipped). */
    private static SparseKernels panelledKernels() {
        SparseKernels sk = KernelProvider.sparseKernels();
        assumeTrue(sk.panelled(DType.FLOAT32, R), "these kernels never use the layout");
        return sk;
    }

    private static void assertSameLayout(SparsePanels expected, SparsePanels actual, String what) {
        assertEquals(expected.rows(), actual.rows(), what);
        assertEquals(expected.cols(), actual.cols(), what);
        assertEquals(expected.panels(), actual.panels(), what);
        assertEquals(expected.width(), actual.width(), what);
        assertEquals(expected.slices(), actual.slices(), what);
        assertEquals(expected.bytes(), actual.bytes(), what);
        assertSameBytes(expected.sliceRows(), actual.sliceRows(), what + " slice rows");
        assertSameBytes(expected.order(), actual.order(), what + " order");
        assertSameBytes(expected.starts(), actual.starts(), what + " starts");
        assertSameBytes(expected.columns(), actual.columns(), what + " columns");
        assertSameBytes(expected.values(), actual.values(), what + " values");
    }

    private static void assertSameBytes(MemorySegment expected, MemorySegment actual, String what) {
        assertEquals(expected.byteSize(), actual.byteSize(), what);
        assertEquals(-1, expected.mismatch(actual), what);
    }

    /**
     * A float32 M of 2 000 rows whose columns fill {@code halves} / 2 panels of the aligned form at 64-byte rows,
     * whatever its panel bytes (so ⌈halves / 2⌉ panels), with entries enough that Mt's layout (one panel of 2 000
     * rows, 24 bytes of index a column) pays too: at least 3 a column.
     */
    private static SparseMatrix alignedPanelMatrix(int halves) {
        int cols = (int) (SparsePanels.ALIGNED_PANEL_BYTES / (2 * 64) * halves / 2);
        return random(2_000, cols, Math.max(120_000, 4 * cols), DType.FLOAT32, 11);
    }

    /** A rows × cols matrix of about {@code entries} drawn entries (duplicates summed), some rows and columns empty. */
    private static SparseMatrix random(int rows, int cols, int entries, DType t, long seed) {
        SplittableRandom g = new SplittableRandom(seed);
        try (SparseMatrix.Builder b = SparseMatrix.builder(rows, cols, Math.max(1, entries))) {
            for (int e = 0; e < entries; e++) {
                // squared draws crowd the low rows and columns: uneven rows, long and empty ones
                double a = g.nextDouble();
                double c = g.nextDouble();
                b.add((int) (a * a * rows), (int) (c * c * cols), g.nextGaussian());
            }
            return b.build(t);
        }
    }

    private static DenseMatrix factor(int rows, int seed) {
        return PanelLayoutRuleTest.factor(rows, R, seed);
    }
}
