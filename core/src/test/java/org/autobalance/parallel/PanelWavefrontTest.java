package org.autobalance.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.autobalance.kernel.SparsePanels;
import org.autobalance.memory.DType;
import org.autobalance.memory.SparseMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The wavefront's order, that a failure or a close during a run ends it instead of leaving a thread waiting, and its
 * chunks.
 */
class PanelWavefrontTest {
    private static final int PANELS = 5;

    /**
     * Over many calls, with chunks that take uneven time, chunk c starts panel p only after chunk c − 1 has finished
     * it, runs its panels in increasing order, and every (chunk, panel) runs once a call: a runner per chunk, and
     * fewer runners than chunks (each runs several chunks in turn, so a chunk may wait for one that a runner runs
     * later: the call must still end).
     */
    @ParameterizedTest
    @CsvSource({"3, 3", "5, 2", "4, 1"})
    void eachChunkStartsAPanelAfterTheChunkBeforeFinishedIt(int threads, int runners) {
        assertTimeoutPreemptively(Duration.ofMinutes(1), () -> wavefrontOrder(threads, runners));
    }

    private static void wavefrontOrder(int threads, int runners) {
        try (ParallelPass pass = new ParallelPass(threads, runners)) {
            PanelWavefront wavefront = new PanelWavefront(pass, PANELS);
            AtomicInteger clock = new AtomicInteger();
            int[][] started = new int[threads][PANELS];
            int[][] finished = new int[threads][PANELS];
            PanelWavefront.PanelTask task = (c, p) -> {
                started[c][p] = clock.incrementAndGet();
                // uneven work: the later chunk would overtake the earlier one if nothing held it back
                LockSupport.parkNanos(c == 0 ? 200_000 : 10_000);
                finished[c][p] = clock.incrementAndGet();
            };
            for (int call = 0; call < 20; call++) {
                for (int[] row : started) {
                    java.util.Arrays.fill(row, 0);
                }
                wavefront.begin();
                pass.run((c, start, end) -> {
                    wavefront.run(c, task);
                    return 0;
                }, threads);
                for (int c = 0; c < threads; c++) {
                    for (int p = 0; p < PANELS; p++) {
                        assertTrue(started[c][p] > 0, "call " + call + ": chunk " + c + " ran panel " + p);
                        if (p > 0) {
                            assertTrue(started[c][p] > finished[c][p - 1], "panels in order");
                        }
                        if (c > 0) {
                            assertTrue(started[c][p] > finished[c - 1][p], "call " + call + ": chunk " + c
                                    + " started panel " + p + " at " + started[c][p] + ", chunk " + (c - 1)
                                    + " finished it at " + finished[c - 1][p]);
                        }
                    }
                }
            }
        }
    }

    /**
     * A task that fails in chunk 0 does not leave the later chunks waiting: the pass rethrows its exception, and the
     * next call runs every panel again.
     */
    @Test
    void aFailureEndsTheRunAndTheNextCallRunsWhole() {
        int threads = 3;
        try (ParallelPass pass = new ParallelPass(threads)) {
            PanelWavefront wavefront = new PanelWavefront(pass, PANELS);
            IllegalStateException failure = new IllegalStateException("panel 1 of chunk 0 failed");
            AtomicInteger runs = new AtomicInteger();
            assertSame(failure, assertThrows(IllegalStateException.class, () -> assertTimeoutPreemptively(
                    Duration.ofSeconds(30), () -> {
                        wavefront.begin();
                        pass.run((c, start, end) -> {
                            wavefront.run(c, (chunk, p) -> {
                                if (chunk == 0 && p == 1) {
                                    throw failure;
                                }
                            });
                            return 0;
                        }, threads);
                    })));
            wavefront.begin();
            pass.run((c, start, end) -> {
                wavefront.run(c, (chunk, p) -> runs.incrementAndGet());
                return 0;
            }, threads);
            assertEquals(threads * PANELS, runs.get());
        }
    }

    /**
     * A pass closed by another thread while later chunks wait for chunk 0: close() returns (the waiting workers give
     * up) and the run throws instead of hanging.
     */
    @Test
    void aCloseDuringARunEndsTheWaits() throws Exception {
        int threads = 3;
        ParallelPass pass = new ParallelPass(threads);
        PanelWavefront wavefront = new PanelWavefront(pass, PANELS);
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread caller = Thread.ofPlatform().start(() -> {
            try {
                wavefront.begin();
                pass.run((c, start, end) -> {
                    wavefront.run(c, (chunk, p) -> {
                        if (chunk == 0 && p == 0) {
                            entered.countDown();
                            try {
                                release.await();
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                    });
                    return 0;
                }, threads);
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        assertTrue(entered.await(30, java.util.concurrent.TimeUnit.SECONDS));
        Thread.sleep(50); // the other chunks are waiting for panel 0 by now
        assertTimeoutPreemptively(Duration.ofSeconds(30), pass::close);
        release.countDown();
        caller.join(30_000);
        assertTrue(!caller.isAlive(), "the run ended");
        assertTrue(thrown.get() instanceof IllegalStateException, "the run says the pass was closed: " + thrown.get());
    }

    /**
     * Two chunks: where the columns are uniform the bounds are about equal work; where the first columns hold most
     * entries chunk 0 takes more; either way the span in the model (each chunk's entries per panel plus a unit per
     * row spread over the panels, simulated here from M's entries) is within a block's work and the heaviest row of
     * the best over every single bound, found by trying them all.
     */
    @Test
    void twoChunksReachTheLeastSpanWithinABlock() {
        int rows = 3_000;
        int cols = 2_100;
        int panels = 7;
        for (boolean skewed : new boolean[] {false, true}) {
            try (SparseMatrix m = matrix(rows, cols, 60_000, skewed, 3)) {
                int width = SparsePanels.width(cols, panels);
                double[][] prefix = new double[rows + 1][panels]; // work of rows [0, i) in each panel
                double heaviest = 0;
                for (int i = 0; i < rows; i++) {
                    System.arraycopy(prefix[i], 0, prefix[i + 1], 0, panels);
                    for (long k = m.rowStart(i); k < m.rowStart(i + 1); k++) {
                        prefix[i + 1][m.column(k) / width]++;
                    }
                    for (int p = 0; p < panels; p++) {
                        prefix[i + 1][p] += 1.0 / panels;
                    }
                    heaviest = Math.max(heaviest, m.rowStart(i + 1) - m.rowStart(i) + 1.0);
                }
                double best = Double.MAX_VALUE;
                for (int b = 0; b <= rows; b++) {
                    best = Math.min(best, span(prefix, new int[] {0, b, rows}));
                }
                int[] chunks = PanelWavefront.chunks(m, panels, 2);
                assertEquals(0, chunks[0]);
                assertEquals(rows, chunks[2]);
                double total = m.nonZeros() + rows;
                double got = span(prefix, chunks);
                assertTrue(got <= best + total / (2 * 64) + heaviest, (skewed ? "skewed" : "uniform") + ": span "
                        + got + ", best " + best);
                double share = (m.rowStart(chunks[1]) + chunks[1]) / total;
                if (skewed) {
                    assertTrue(share > 0.55, "chunk 0's share of the work: " + share);
                } else {
                    assertEquals(0.5, share, 0.05, "chunk 0's share of the work");
                }
            }
        }
    }

    /** One chunk is all the rows; more chunks than rows leave some empty, the bounds in order. */
    @Test
    void chunksCoverTheRowsInOrder() {
        try (SparseMatrix m = matrix(3, 50, 40, true, 5)) {
            assertTrue(java.util.Arrays.equals(new int[] {0, 3}, PanelWavefront.chunks(m, 4, 1)));
            int[] chunks = PanelWavefront.chunks(m, 4, 5);
            assertEquals(6, chunks.length);
            assertEquals(0, chunks[0]);
            assertEquals(3, chunks[5]);
            for (int c = 0; c < 5; c++) {
                assertTrue(chunks[c] <= chunks[c + 1], java.util.Arrays.toString(chunks));
            }
        }
    }

    /** The model's span of these row chunks: chunk c finishes panel p after itself on p − 1 and chunk c − 1 on p. */
    private static double span(double[][] prefix, int[] chunks) {
        int panels = prefix[0].length;
        double[] done = new double[panels];
        for (int c = 0; c + 1 < chunks.length; c++) {
            double t = 0;
            for (int p = 0; p < panels; p++) {
                t = Math.max(t, done[p]) + prefix[chunks[c + 1]][p] - prefix[chunks[c]][p];
                done[p] = t;
            }
        }
        return done[panels - 1];
    }

    /** Entries at uniform rows and at uniform columns or, {@code skewed}, columns crowded to the left (c² draws). */
    private static SparseMatrix matrix(int rows, int cols, int entries, boolean skewed, long seed) {
        SplittableRandom g = new SplittableRandom(seed);
        try (SparseMatrix.Builder b = SparseMatrix.builder(rows, cols, entries)) {
            for (int e = 0; e < entries; e++) {
                double c = g.nextDouble();
                b.add(g.nextInt(rows), (int) ((skewed ? c * c : c) * cols), 1.0);
            }
            return b.build(DType.FLOAT32);
        }
    }
}
