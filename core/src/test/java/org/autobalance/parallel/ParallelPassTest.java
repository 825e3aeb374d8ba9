package org.autobalance.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ParallelPassTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 7})
    void everyRowIsVisitedExactlyOnceInContiguousChunks(int threads) {
        try (ParallelPass pass = new ParallelPass(threads)) {
            for (int rows : new int[] {1, 2, 5, 100, 1001}) {
                AtomicIntegerArray visits = new AtomicIntegerArray(rows);
                double sum = pass.run((chunk, start, end) -> {
                    assertEquals(pass.chunkStart(chunk, rows), start);
                    assertEquals(pass.chunkStart(chunk + 1, rows), end);
                    for (int i = start; i < end; i++) {
                        visits.incrementAndGet(i);
                    }
                    return end - start;
                }, rows);
                assertEquals(rows, sum);
                for (int i = 0; i < rows; i++) {
                    assertEquals(1, visits.get(i), "row " + i);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void givenBoundariesAreTheChunks(int threads) {
        try (ParallelPass pass = new ParallelPass(threads)) {
            int[] bounds = new int[threads + 1];
            for (int c = 1; c <= threads; c++) {
                bounds[c] = bounds[c - 1] + c * c; // uneven, and chunk 0 may be empty only when given so
            }
            double sum = pass.run((chunk, start, end) -> {
                assertEquals(bounds[chunk], start);
                assertEquals(bounds[chunk + 1], end);
                return 1000.0 * chunk + (end - start);
            }, bounds);
            double expected = 0;
            for (int c = 0; c < threads; c++) {
                expected += 1000.0 * c + (bounds[c + 1] - bounds[c]);
            }
            assertEquals(expected, sum);
            assertThrows(IllegalArgumentException.class, () -> pass.run((c, s, e) -> 0, new int[threads + 2]));
            // the even split still works after a call with boundaries
            assertEquals(10.0, pass.run((chunk, start, end) -> end - start, 10));
        }
    }

    /**
     * With fewer runners than chunks the calls see the same chunks and sum the same values in the same order as a
     * runner per chunk: the terms below span nine decades, so their sum's last bits depend on the order (checked
     * against the reverse order). Every chunk runs once, on at most {@code runners} threads.
     */
    @ParameterizedTest
    @CsvSource({"7, 1", "7, 2", "16, 3", "5, 5"})
    void fewerRunnersThanChunksGiveTheSameChunksAndTheSameSum(int threads, int runners) {
        int rows = 1001;
        double[] terms = new double[threads];
        double inChunkOrder = 0.0;
        for (int c = 0; c < threads; c++) {
            terms[c] = (c % 3 == 0 ? 1e9 : 1.0) / (c + 3.0);
            inChunkOrder += terms[c];
        }
        double reversed = 0.0;
        for (int c = threads - 1; c >= 0; c--) {
            reversed += terms[c];
        }
        assertNotEquals(inChunkOrder, reversed, "terms whose sum does not depend on the order");
        Set<Thread> ran = ConcurrentHashMap.newKeySet();
        AtomicIntegerArray visits = new AtomicIntegerArray(threads);
        try (ParallelPass pass = new ParallelPass(threads, runners)) {
            for (int call = 0; call < 50; call++) {
                double sum = pass.run((chunk, start, end) -> {
                    assertEquals(ParallelPass.chunkStart(chunk, rows, threads), start);
                    assertEquals(ParallelPass.chunkStart(chunk + 1, rows, threads), end);
                    visits.incrementAndGet(chunk);
                    ran.add(Thread.currentThread());
                    return terms[chunk];
                }, rows);
                assertEquals(Double.doubleToRawLongBits(inChunkOrder), Double.doubleToRawLongBits(sum));
            }
        }
        for (int c = 0; c < threads; c++) {
            assertEquals(50, visits.get(c), "chunk " + c);
        }
        assertTrue(ran.size() <= runners, ran.size() + " threads ran the chunks of " + runners + " runners");
    }

    /** However many threads are asked for, no more run the chunks than the machine has processors. */
    @Test
    void theTeamHasNoMoreRunnersThanProcessors() {
        int processors = Runtime.getRuntime().availableProcessors();
        try (ParallelPass pass = new ParallelPass(64)) {
            assertEquals(64, pass.threads());
            assertEquals(Math.min(64, processors), pass.runners());
            Set<Thread> ran = ConcurrentHashMap.newKeySet();
            assertEquals(64.0, pass.run((chunk, start, end) -> {
                ran.add(Thread.currentThread());
                return 1;
            }, 640));
            assertTrue(ran.size() <= processors, ran.size() + " threads on " + processors + " processors");
        }
    }

    @Test
    void manyShortPassesInARow() {
        try (ParallelPass pass = new ParallelPass(3)) {
            double total = 0;
            for (int k = 0; k < 5_000; k++) {
                total += pass.run((chunk, start, end) -> chunk, 3);
            }
            assertEquals(5_000 * 3.0, total);
        }
    }

    @Test
    void aFailingChunkIsRethrownAfterAllChunksFinish() {
        try (ParallelPass pass = new ParallelPass(2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> pass.run((chunk, s, e2) -> {
                if (chunk == 1) {
                    throw new IllegalStateException("boom in chunk 1");
                }
                return 0;
            }, 10));
            assertEquals("boom in chunk 1", e.getMessage());
            assertEquals(10.0, pass.run((chunk, start, end) -> end - start, 10));
        }
    }

    @Test
    void rejectsBadThreadCountsAndUseAfterClose() {
        assertThrows(IllegalArgumentException.class, () -> new ParallelPass(0));
        assertThrows(IllegalArgumentException.class, () -> new ParallelPass(3, 4));
        assertThrows(IllegalArgumentException.class, () -> new ParallelPass(3, 0));
        ParallelPass pass = new ParallelPass(2);
        pass.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> pass.run((c, s, x) -> 0, 1));
        assertTrue(e.getMessage().contains("closed"));
    }
}
