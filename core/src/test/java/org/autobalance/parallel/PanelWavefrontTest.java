package org.autobalance.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/** The wavefront's order, and that a failure or a close during a run ends it instead of leaving a thread waiting. */
class PanelWavefrontTest {
    private static final int PANELS = 5;

    /**
     * Over many calls at 3 threads, with chunks that take uneven time, chunk c starts panel p only after chunk c − 1
     * has finished it, runs its panels in increasing order, and every (chunk, panel) runs once a call.
     */
    @Test
    void eachChunkStartsAPanelAfterTheChunkBeforeFinishedIt() {
        int threads = 3;
        try (ParallelPass pass = new ParallelPass(threads)) {
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
}
