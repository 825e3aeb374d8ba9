package org.autobalance.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole worker team under stress: real threads, their spin-then-park waits, teams larger than the machine. The
 * protocol is two volatile handshakes (see {@link ParallelPass}); the jcstress harness (jcstress/) races its steps
 * sample by sample, and these tests make each direction observable on the real team — a worker that ran a stale
 * task would return the previous pass's value, and a caller that read a result before its worker's volatile write
 * would see the previous pass's plain write — 10⁴ times per team of 2, 3 and 4 runners, one a chunk, and of 3 runners
 * for 7 chunks (jcstress schedules no more actors than CPUs; these teams run more threads than this machine's
 * processors, which the public constructor never starts), while the JIT compiles both loops. Failure paths: an
 * exception or Error in any chunk reaches the caller, and {@code close()} from another thread never hangs a run.
 */
class ParallelPassConcurrencyTest {

    @ParameterizedTest
    @CsvSource({"2, 2", "3, 3", "4, 4", "7, 3"})
    void everyPassSeesItsOwnTaskAndTheCallerSeesEveryResult(int threads, int runners) {
        assertTimeoutPreemptively(Duration.ofMinutes(2), () -> {
            long[] plainSlots = new long[threads]; // written by the workers without synchronisation of their own
            try (ParallelPass pass = new ParallelPass(threads, runners)) {
                for (int k = 1; k <= 10_000; k++) {
                    long call = k;
                    double sum = pass.run((chunk, start, end) -> {
                        plainSlots[chunk] = call;
                        return call * (chunk + 1);
                    }, threads);
                    assertEquals(call * threads * (threads + 1) / 2.0, sum, "a worker ran a stale task at pass " + k);
                    for (int c = 0; c < threads; c++) {
                        if (plainSlots[c] != call) {
                            fail("pass " + k + ": chunk " + c + "'s write not visible to the caller");
                        }
                    }
                }
            }
        });
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void anExceptionOrErrorInAnyChunkReachesTheCaller(int threads) {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (ParallelPass pass = new ParallelPass(threads, threads)) {
                for (int failing = 0; failing < threads; failing++) {
                    int f = failing;
                    StackOverflowError error = new StackOverflowError("chunk " + f);
                    assertSame(error, assertThrows(StackOverflowError.class, () -> pass.run((chunk, s, e) -> {
                        if (chunk == f) {
                            throw error;
                        }
                        return 1;
                    }, 100)));
                    // several failures: the first in chunk order wins, the others are dropped, the team lives on
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> pass.run((chunk, s, x) -> {
                                throw new IllegalArgumentException("chunk " + chunk);
                            }, 100));
                    assertEquals("chunk 0", e.getMessage());
                    assertEquals(100.0, pass.run((chunk, s, x) -> x - s, 100));
                }
            }
        });
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void closingFromAnotherThreadNeverHangsARun(int threads) throws Exception {
        SplittableRandom random = new SplittableRandom(threads);
        for (int round = 0; round < 200; round++) {
            ParallelPass pass = new ParallelPass(threads, threads);
            AtomicReference<Throwable> outcome = new AtomicReference<>();
            Thread caller = Thread.ofPlatform().daemon().start(() -> {
                try {
                    while (true) {
                        pass.run((chunk, s, e) -> e - s, 64);
                    }
                } catch (Throwable t) {
                    outcome.set(t);
                }
            });
            TimeUnit.MICROSECONDS.sleep(random.nextInt(2000));
            pass.close();
            caller.join(TimeUnit.SECONDS.toMillis(20));
            assertTrue(!caller.isAlive(), "round " + round + ": a run hung after close() from another thread");
            Throwable t = outcome.get();
            assertTrue(t instanceof IllegalStateException && t.getMessage().contains("closed"),
                    "round " + round + ": " + t);
        }
    }
}
