package org.autobalance.bench.baseline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.autobalance.memory.DType;
import org.autobalance.parallel.ParallelPass;
import org.junit.jupiter.api.Test;

/**
 * The order statistics behind the probe's median bandwidth and its spread, its rule for a concurrent sweep, the read
 * behind the floor, its note on a multi-thread FMA peak that did not scale, and its lines on ceilings that moved
 * during a run.
 */
class RooflineProbeTest {
    /**
     * However long the warm-up takes, sweeps are timed: the time limit counted from the first warm-up sweep, so on a
     * machine busy enough for the warm-up to outlast it (BenchOptionsTest's report at load 12 here) none was timed,
     * and the median of none was an ArrayIndexOutOfBoundsException with its stack trace. A limit of 0 stands for it.
     */
    @Test
    void sweepsAreTimedWhenTheWarmUpOutlastsTheTimeLimit() {
        for (int threads : new int[] {1, 2}) {
            RooflineProbe.Sweeps sweeps = RooflineProbe.readSweeps(threads, 0, (chunk, k) -> chunk + k);
            assertTrue(sweeps.seconds().length >= RooflineProbe.MIN_SWEEPS, threads + " threads: "
                    + sweeps.seconds().length + " sweeps");
        }
    }


    /**
     * The floor's read is the read of M's size, not the 256 MiB one: on the Intel host M (64 MiB) stays between
     * iterations in a cache that holds ~64 MiB (measured, kernels.md §31.2) and the r = 1 cell ran at "134 % of its
     * floor" with the 256 MiB rate (kernels.md §31).
     */
    @Test
    void theFloorReadsMAtTheRateOfAMatrixOfItsSize() {
        RooflineProbe.Ceilings c = new RooflineProbe.Ceilings(1, 18.4e9, 0.04, 41, 246.7e9, 119.5e9);
        RooflineProbe.Read m = new RooflineProbe.Read(1, 64 << 20, 24.8e9, 0.01, 41);
        // r = 1: 4096²·4 B / 24.8 GB/s = 2.7060 ms (by hand), not 64 MiB / 18.4 GB/s = 3.6472 ms
        assertEquals(2.7060e-3, c.floorSeconds(DType.FLOAT32, 4096, 4096, 1, m), 1e-7);
        assertTrue(c.readBound(DType.FLOAT32, 4096, 4096, 1, m));
        // r = 16: the FMAs, 4·4096²·16 / 246.7 GFLOP/s = 4.3524 ms, whatever the read
        assertEquals(4.3524e-3, c.floorSeconds(DType.FLOAT32, 4096, 4096, 16, m), 1e-7);
        assertFalse(c.readBound(DType.FLOAT32, 4096, 4096, 16, m));
        // float64 takes its own peak: 4·4096²·16 / 119.5 GFLOP/s = 8.9853 ms
        assertEquals(8.9853e-3, c.floorSeconds(DType.FLOAT64, 4096, 4096, 16, m), 1e-7);
    }

    /** Every row is read, in groups of four and the last ones (fewer than four) alone, at the given row length. */
    @Test
    void readRowsReadsEveryRowOfTheRange() {
        long rowBytes = 256; // 64 floats: one, two or four vectors, whatever the width
        int rows = 11;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = rowsOfKnownValues(arena, rows, rowBytes);
            // rows 2..10 (9 rows: two groups of four and one alone): 64 · (3 + 4 + … + 11) = 64 · 63
            assertEquals(64.0 * 63, RooflineProbe.readRows(data, 2 * rowBytes, 9, rowBytes));
            // three rows, all read alone: 64 · (1 + 2 + 3)
            assertEquals(64.0 * 6, RooflineProbe.readRows(data, 0, 3, rowBytes));
        }
    }

    /**
     * A row that is not a whole number of vectors (80 bytes: 1¼ vectors of 512 bits, 2½ of 256) is read to its end
     * and not past it: a whole vector at a row's end would add the next row's first values, or throw past the
     * segment's end (the segment ends with the last row).
     */
    @Test
    void readRowsReadsARowThatEndsInsideAVector() {
        long rowBytes = 80;
        int rows = 6;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = rowsOfKnownValues(arena, rows, rowBytes);
            // rows 0..5 (a group of four, then two alone): 20 · (1 + … + 6) = 20 · 21
            assertEquals(20.0 * 21, RooflineProbe.readRows(data, 0, rows, rowBytes));
        }
    }

    /**
     * The shares of {@link RooflineProbe#readMatrix} (the passes' split: {@code ParallelPass.chunkStart}) cover the
     * rows once: consecutive, from 0 to d1, each of
     * floor(d1 / threads) or one more rows, also with fewer rows than threads (empty shares).
     */
    @Test
    void theSharesOfASweepCoverEveryRowOnce() {
        int[][] cases = {{4096, 2}, {4096, 3}, {5, 2}, {7, 4}, {1, 2}, {3, 8}, {0, 2}, {1000, 7}};
        for (int[] dt : cases) {
            int d1 = dt[0];
            int threads = dt[1];
            String where = d1 + " rows, " + threads + " threads";
            assertEquals(0, ParallelPass.chunkStart(0, d1, threads), where);
            assertEquals(d1, ParallelPass.chunkStart(threads, d1, threads), where);
            for (int c = 0; c < threads; c++) {
                long size = ParallelPass.chunkStart(c + 1, d1, threads) - ParallelPass.chunkStart(c, d1, threads);
                assertTrue(size == d1 / threads || size == d1 / threads + 1, where + ": chunk " + c + " has " + size);
            }
        }
    }

    /**
     * The threads of a sweep read the matrix once between them: rows of known values (row i holds i + 1), the sum of
     * every chunk's reads is repeats · 16 · (1 + … + d1); a thread reading more than its share (every row, say)
     * would add more.
     */
    @Test
    void theChunksOfASweepTogetherReadTheMatrixOnce() {
        long rowBytes = 64; // 16 floats: a row padded as DenseMatrix pads it
        int[][] cases = {{11, 2}, {11, 3}, {3, 8}, {8, 1}};
        for (int[] dt : cases) {
            int d1 = dt[0];
            int threads = dt[1];
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment data = rowsOfKnownValues(arena, d1, rowBytes);
                double sum = 0;
                for (int c = 0; c < threads; c++) {
                    sum += RooflineProbe.readShare(data, d1, rowBytes, c, threads, 3);
                }
                assertEquals(3 * 16.0 * d1 * (d1 + 1) / 2, sum, d1 + " rows, " + threads + " threads");
            }
        }
    }

    /** A matrix smaller than a sweep's minimum is read several times per sweep: the bytes say how many. */
    @Test
    void aSmallMatrixIsReadSeveralTimesPerSweep() {
        for (int threads : new int[] {1, 2}) {
            // 5 × 3 float32: rows padded to 64 bytes, 320 bytes per pass; 2 threads read 2 and 3 rows
            RooflineProbe.Read read = RooflineProbe.readMatrix(DType.FLOAT32, 5, 3, threads);
            assertEquals(RooflineProbe.MIN_SWEEP_BYTES / 320 * 320.0, read.bytes());
            assertTrue(read.bytesPerSecond() > 0 && Double.isFinite(read.bytesPerSecond()), read.toString());
            assertEquals(threads, read.threads());
        }
    }

    @Test
    void quantileInterpolatesBetweenOrderStatistics() {
        double[] odd = {1, 2, 3, 4, 5};
        assertEquals(3.0, RooflineProbe.quantile(odd, 0.5));
        assertEquals(2.0, RooflineProbe.quantile(odd, 0.25));
        assertEquals(4.0, RooflineProbe.quantile(odd, 0.75));
        assertEquals(1.0, RooflineProbe.quantile(odd, 0.0));
        assertEquals(5.0, RooflineProbe.quantile(odd, 1.0));
        // even count: the median is halfway between the middle two; q = 0.25 lies a quarter past the first
        double[] even = {10, 20, 30, 40};
        assertEquals(25.0, RooflineProbe.quantile(even, 0.5));
        assertEquals(17.5, RooflineProbe.quantile(even, 0.25));
    }

    @Test
    void aSweepCountsOnlyIfEveryThreadWasOnACoreForNearlyAllOfIt() {
        double span = 0.010; // a 10 ms sweep
        // both threads on a core for 9.9 ms of it: they read together
        assertTrue(RooflineProbe.concurrent(new long[] {9_900_000, 9_950_000}, span));
        // the second thread waited 2 ms for a core: for that time the first read alone, faster than together
        assertFalse(RooflineProbe.concurrent(new long[] {9_900_000, 8_000_000}, span));
        // one thread: descheduled for 1 ms of the sweep (its wall clock then overstates the read time)
        assertFalse(RooflineProbe.concurrent(new long[] {9_000_000}, span));
        assertTrue(RooflineProbe.concurrent(new long[] {9_600_000}, span));
    }

    @Test
    void aMultiThreadPeakThatDoesNotScaleIsFlagged() {
        RooflineProbe.Ceilings one = new RooflineProbe.Ceilings(1, 20e9, 0.01, 41, 117.2e9, 58.4e9);
        // the quiet runs: two threads at twice the peak, and a busier one still at 1.5×
        RooflineProbe.Ceilings doubled = new RooflineProbe.Ceilings(2, 30e9, 0.03, 41, 234e9, 115e9);
        RooflineProbe.Ceilings busier = new RooflineProbe.Ceilings(2, 30e9, 0.03, 41, 176e9, 88e9);
        assertNull(RooflineProbe.unscaledPeakNote(one, doubled, 2));
        assertNull(RooflineProbe.unscaledPeakNote(one, busier, 2));
        // the run that read 121 GFLOP/s with two threads: flagged, naming both peaks
        String note = RooflineProbe.unscaledPeakNote(one, new RooflineProbe.Ceilings(2, 25e9, 0.04, 41, 121e9, 58.8e9),
                2);
        assertNotNull(note);
        assertTrue(note.contains("121.0") && note.contains("117.2"), note);
        // more threads than processors cannot scale: no note (oversubscription is the user's choice), nor for one
        RooflineProbe.Ceilings four = new RooflineProbe.Ceilings(4, 25e9, 0.04, 41, 121e9, 58.8e9);
        assertNull(RooflineProbe.unscaledPeakNote(one, four, 2));
        assertNull(RooflineProbe.unscaledPeakNote(one, one, 2));
    }

    /**
     * The ceilings again at a run's end: each thread count's changes signed, in per cent of the start; a note naming
     * the largest change only past {@link RooflineProbe#DRIFT_NOTED}; the read alone for the sparse bench, whose FMA
     * ceilings no floor uses (so they raise no note there).
     */
    @Test
    void ceilingsThatMovedDuringARunAreSaid() {
        Map<Integer, RooflineProbe.Ceilings> start = ceilings(new RooflineProbe.Ceilings(1, 40e9, 0.02, 41, 200e9,
                100e9), new RooflineProbe.Ceilings(2, 80e9, 0.03, 41, 400e9, 200e9));
        Map<Integer, RooflineProbe.Ceilings> steady = ceilings(new RooflineProbe.Ceilings(1, 41.2e9, 0.02, 41,
                190e9, 100e9), new RooflineProbe.Ceilings(2, 80e9, 0.03, 41, 436e9, 200e9));
        List<String> lines = RooflineProbe.driftLines(start, steady, false);
        assertEquals(List.of("ceilings again at the end, 1 thread: read 256 MiB 41.2 GB/s (+3.0 % since the start), "
                + "float32 FMA 190.0 GFLOP/s (−5.0 %), float64 FMA 100.0 GFLOP/s (+0.0 %)",
                "ceilings again at the end, 2 threads: read 256 MiB 80.0 GB/s (+0.0 % since the start), float32 FMA "
                + "436.0 GFLOP/s (+9.0 %), float64 FMA 200.0 GFLOP/s (+0.0 %)"), lines);

        // the 2-thread read fell by a fifth, the 1-thread float64 peak by 12 %: the note names the larger
        Map<Integer, RooflineProbe.Ceilings> drifted = ceilings(new RooflineProbe.Ceilings(1, 40e9, 0.02, 41, 200e9,
                88e9), new RooflineProbe.Ceilings(2, 64e9, 0.03, 41, 400e9, 200e9));
        lines = RooflineProbe.driftLines(start, drifted, false);
        assertEquals(3, lines.size(), lines.toString());
        assertTrue(lines.get(1).contains("read 256 MiB 64.0 GB/s (−20.0 % since the start)"), lines.get(1));
        assertTrue(lines.get(2).startsWith("note: the machine's ceilings moved by up to 20 % (2 threads, read)"),
                lines.get(2));

        // the sparse bench: the read only, and FMA peaks that moved by half say nothing there
        Map<Integer, RooflineProbe.Ceilings> fmaOnly = ceilings(new RooflineProbe.Ceilings(1, 40e9, 0.02, 0, 100e9,
                50e9), new RooflineProbe.Ceilings(2, 80e9, 0.03, 41, 200e9, 100e9));
        assertEquals(List.of("read bandwidth again at the end, 1 thread: 40.0 GB/s (+0.0 % since the start, an upper "
                + "bound at one end or both)",
                "read bandwidth again at the end, 2 threads: 80.0 GB/s (+0.0 % since the start)"),
                RooflineProbe.driftLines(start, fmaOnly, true));
    }

    private static Map<Integer, RooflineProbe.Ceilings> ceilings(RooflineProbe.Ceilings... each) {
        Map<Integer, RooflineProbe.Ceilings> byThreads = new LinkedHashMap<>();
        for (RooflineProbe.Ceilings c : each) {
            byThreads.put(c.threads(), c);
        }
        return byThreads;
    }

    /** {@code rows} rows of {@code rowBytes} bytes, exactly, in which row i holds the float i + 1. */
    private static MemorySegment rowsOfKnownValues(Arena arena, int rows, long rowBytes) {
        MemorySegment data = arena.allocate(rowBytes * rows, 64);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < rowBytes / Float.BYTES; j++) {
                data.setAtIndex(ValueLayout.JAVA_FLOAT, i * rowBytes / Float.BYTES + j, i + 1);
            }
        }
        return data;
    }
}
