package org.autobalance.bench.baseline;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.concurrent.CyclicBarrier;
import java.util.function.IntToDoubleFunction;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.autobalance.memory.DType;

/**
 * Measures the two ceilings of the roofline in the same run as the benchmark: streaming read bandwidth from native
 * memory with vector loads, and peak FMA throughput with many independent accumulators, each for a given number of
 * threads. The floor of one iteration of the engine (reads M once, 4·d1·d2·r flops) is then
 * max(d1·d2·bytes / bandwidth, 4·d1·d2·r / peak).
 *
 * <p>Bandwidth: the median of {@value #SWEEPS} timed sweeps over a 256 MiB matrix of 16 KiB rows (the rows of the
 * d = 4096 float32 benchmark), read the way the engine's small-rank kernels read M: four rows at a time, one vector
 * load from each per step. The spread (interquartile range over the median) is reported beside it. A best-of-3 of
 * a single stream timed by the wall clock, as before, moved by up to 30 % between runs in the same hour on this
 * shared host.
 *
 * <p>FMA peak: the best of a few short trials (a peak is a maximum; noise from other processes only lowers it).
 *
 * <p>Both are timed by the CPU time of the slowest thread (see {@link #runParallel}), so they are the machine's
 * ceilings while the benchmark runs, not its share of a busy machine: a table measured under load shows it as a lower
 * fraction of the floor.
 */
public final class RooflineProbe {
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    /**
     * The exact class of FS's vectors, through which the bandwidth probe types its vectors so that C2 binds its calls
     * statically (see FloatFused.VT in core). The probe keeps to one float species (FS) for both ceilings: a second
     * one in the same JVM would leave whichever loop compiles later type-switched, as it did the kernels.
     */
    @SuppressWarnings("unchecked")
    private static final Class<FloatVector> FT = (Class<FloatVector>) (Class<?>) FS.vectorType();
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;
    /** Far above the last-level cache (32 MiB on the 2-core EPYC here) so the read streams from DRAM. */
    private static final long STREAM_BYTES = 256L << 20;
    /** A row of the probe's matrix: a row of M at d = 4096, float32. */
    private static final long ROW_BYTES = 16L << 10;
    /** Timed sweeps of the bandwidth probe (about 11 ms each at 23 GB/s), after {@value #WARM_SWEEPS} untimed. */
    private static final int SWEEPS = 21;
    private static final int WARM_SWEEPS = 3;
    /**
     * Independent FMA chains per thread: latency 4 cycles × 2 FMA ports on Zen 3 needs ≥ 8 in flight; 12 leaves
     * margin and still fits in 16 ymm registers with the two operands (with 8, measurements here were unstable).
     */
    private static final int CHAINS = 12;
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();
    /** Whether this JVM measures thread CPU time (HotSpot on Linux does); otherwise the probe times wall clock. */
    private static final boolean CPU_TIME = CPU.isCurrentThreadCpuTimeSupported();
    private static final int TRIALS = 3;

    /**
     * Measured ceilings for one thread count; {@code readSpread} is the interquartile range of the bandwidth sweeps
     * divided by their median.
     */
    public record Ceilings(int threads, double bytesPerSecond, double readSpread, double float32FlopsPerSecond,
            double float64FlopsPerSecond) {

        public double flopsPerSecond(DType dtype) {
            return dtype == DType.FLOAT32 ? float32FlopsPerSecond : float64FlopsPerSecond;
        }

        /** The roofline floor, in seconds, of one iteration on a d1 × d2 matrix at rank r. */
        public double floorSeconds(DType dtype, int d1, int d2, int r) {
            double bytes = (double) d1 * d2 * dtype.bytes();
            double flops = 4.0 * d1 * d2 * r;
            return Math.max(bytes / bytesPerSecond, flops / flopsPerSecond(dtype));
        }
    }

    private RooflineProbe() {
    }

    /** Measures all three ceilings with {@code threads} threads (about a second in all). */
    public static Ceilings measure(int threads) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment data = arena.allocate(STREAM_BYTES, 64);
            data.fill((byte) 0x3f); // touch every page before timing; the value is a normal float (≈0.75)
            long rows = STREAM_BYTES / ROW_BYTES / 4 / threads * 4; // per thread, whole groups of 4 rows
            double[] seconds = new double[SWEEPS];
            for (int sweep = -WARM_SWEEPS; sweep < SWEEPS; sweep++) {
                double t = runParallel(threads, c -> readRows(data, c * rows * ROW_BYTES, rows));
                if (sweep >= 0) {
                    seconds[sweep] = t;
                }
            }
            Arrays.sort(seconds);
            double bytes = (double) rows * threads * ROW_BYTES;
            double bandwidth = bytes / quantile(seconds, 0.5);
            double spread = (bytes / quantile(seconds, 0.25) - bytes / quantile(seconds, 0.75)) / bandwidth;
            long fmaLoops = 2_000_000;
            double f32 = 2.0 * CHAINS * FS.length() * fmaLoops * threads / best(threads, c -> fmaFloat(fmaLoops));
            double f64 = 2.0 * CHAINS * DS.length() * fmaLoops * threads / best(threads, c -> fmaDouble(fmaLoops));
            return new Ceilings(threads, bandwidth, spread, f32, f64);
        }
    }

    /** The shortest wall time, in seconds, over the trials of {@code work} run on {@code threads} threads at once. */
    private static double best(int threads, IntToDoubleFunction work) {
        double best = Double.POSITIVE_INFINITY;
        for (int trial = 0; trial <= TRIALS; trial++) { // trial 0 warms up the JIT and is not counted
            double seconds = runParallel(threads, work);
            if (trial > 0) {
                best = Math.min(best, seconds);
            }
        }
        return best;
    }

    /**
     * Runs {@code work} on {@code threads} threads at once and returns the time of the slowest thread, in seconds: its
     * thread CPU time where the JVM measures that, else the wall time of the whole run. CPU time leaves out the time a
     * thread waited for a core, which on a shared machine is most of the variation (section 9.5 of kernels.md: at a
     * load average of 25 the wall-clock median read 4.5–5.4 GB/s with a 19–57 % spread, CPU time 20.5–22.9 GB/s with
     * 1–3 %); what remains is the memory system, which is what a ceiling is about.
     */
    private static double runParallel(int threads, IntToDoubleFunction work) {
        CyclicBarrier start = new CyclicBarrier(threads);
        double[] sink = new double[threads];
        double[] cpuSeconds = new double[threads];
        Thread[] workers = new Thread[threads];
        for (int c = 1; c < threads; c++) {
            int chunk = c;
            workers[c] = Thread.ofPlatform().start(() -> {
                await(start);
                long c0 = CPU.getCurrentThreadCpuTime();
                sink[chunk] = work.applyAsDouble(chunk);
                cpuSeconds[chunk] = (CPU.getCurrentThreadCpuTime() - c0) * 1e-9;
            });
        }
        await(start);
        long t0 = System.nanoTime();
        long c0 = CPU.getCurrentThreadCpuTime();
        sink[0] = work.applyAsDouble(0);
        cpuSeconds[0] = (CPU.getCurrentThreadCpuTime() - c0) * 1e-9;
        for (int c = 1; c < threads; c++) {
            try {
                workers[c].join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        double wallSeconds = (System.nanoTime() - t0) * 1e-9;
        double s = 0;
        for (double x : sink) {
            s += x;
        }
        if (s == 42.4242) { // keeps the results alive: the JIT cannot drop the work
            System.err.print("");
        }
        double slowest = Arrays.stream(cpuSeconds).max().orElse(0);
        return CPU_TIME && slowest > 0 ? slowest : wallSeconds;
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Linear interpolation between the order statistics of sorted {@code xs}. */
    static double quantile(double[] xs, double q) {
        double pos = q * (xs.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, xs.length - 1);
        return xs[lo] + (pos - lo) * (xs[hi] - xs[lo]);
    }

    /**
     * Sums {@code rows} rows of {@link #ROW_BYTES} from {@code offset}, four rows at a time with one vector load from
     * each per step: the access pattern of the engine's small-rank kernels (four concurrent row streams).
     */
    private static double readRows(MemorySegment data, long offset, long rows) {
        FloatVector a0 = FT.cast(FloatVector.zero(FS));
        FloatVector a1 = FT.cast(FloatVector.zero(FS));
        FloatVector a2 = FT.cast(FloatVector.zero(FS));
        FloatVector a3 = FT.cast(FloatVector.zero(FS));
        long step = FS.vectorByteSize();
        ByteOrder order = ByteOrder.nativeOrder();
        for (long row = 0; row < rows; row += 4) {
            long o = offset + row * ROW_BYTES;
            for (long j = 0; j < ROW_BYTES; j += step) {
                long p = o + j;
                a0 = FT.cast(FloatVector.fromMemorySegment(FS, data, p, order)).add(a0);
                a1 = FT.cast(FloatVector.fromMemorySegment(FS, data, p + ROW_BYTES, order)).add(a1);
                a2 = FT.cast(FloatVector.fromMemorySegment(FS, data, p + 2 * ROW_BYTES, order)).add(a2);
                a3 = FT.cast(FloatVector.fromMemorySegment(FS, data, p + 3 * ROW_BYTES, order)).add(a3);
            }
        }
        return FT.cast(a0).add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
    }

    private static double fmaFloat(long loops) {
        FloatVector x = FloatVector.broadcast(FS, 0.999999f);
        FloatVector y = FloatVector.broadcast(FS, 1e-7f);
        FloatVector c0 = FloatVector.broadcast(FS, 1f);
        FloatVector c1 = c0.add(1f);
        FloatVector c2 = c0.add(2f);
        FloatVector c3 = c0.add(3f);
        FloatVector c4 = c0.add(4f);
        FloatVector c5 = c0.add(5f);
        FloatVector c6 = c0.add(6f);
        FloatVector c7 = c0.add(7f);
        FloatVector c8 = c0.add(8f);
        FloatVector c9 = c0.add(9f);
        FloatVector c10 = c0.add(10f);
        FloatVector c11 = c0.add(11f);
        for (long i = 0; i < loops; i++) { // x·c + y stays bounded: no overflow, no denormals
            c0 = c0.fma(x, y);
            c1 = c1.fma(x, y);
            c2 = c2.fma(x, y);
            c3 = c3.fma(x, y);
            c4 = c4.fma(x, y);
            c5 = c5.fma(x, y);
            c6 = c6.fma(x, y);
            c7 = c7.fma(x, y);
            c8 = c8.fma(x, y);
            c9 = c9.fma(x, y);
            c10 = c10.fma(x, y);
            c11 = c11.fma(x, y);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .reduceLanes(VectorOperators.ADD);
    }

    private static double fmaDouble(long loops) {
        DoubleVector x = DoubleVector.broadcast(DS, 0.999999);
        DoubleVector y = DoubleVector.broadcast(DS, 1e-7);
        DoubleVector c0 = DoubleVector.broadcast(DS, 1);
        DoubleVector c1 = c0.add(1);
        DoubleVector c2 = c0.add(2);
        DoubleVector c3 = c0.add(3);
        DoubleVector c4 = c0.add(4);
        DoubleVector c5 = c0.add(5);
        DoubleVector c6 = c0.add(6);
        DoubleVector c7 = c0.add(7);
        DoubleVector c8 = c0.add(8);
        DoubleVector c9 = c0.add(9);
        DoubleVector c10 = c0.add(10);
        DoubleVector c11 = c0.add(11);
        for (long i = 0; i < loops; i++) {
            c0 = c0.fma(x, y);
            c1 = c1.fma(x, y);
            c2 = c2.fma(x, y);
            c3 = c3.fma(x, y);
            c4 = c4.fma(x, y);
            c5 = c5.fma(x, y);
            c6 = c6.fma(x, y);
            c7 = c7.fma(x, y);
            c8 = c8.fma(x, y);
            c9 = c9.fma(x, y);
            c10 = c10.fma(x, y);
            c11 = c11.fma(x, y);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .reduceLanes(VectorOperators.ADD);
    }
}
