package org.autobalance.bench.baseline;

import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntToDoubleFunction;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.parallel.ParallelPass;

/**
 * Measures the ceilings of the roofline in the same run as the benchmark: read bandwidth from native memory with
 * vector loads, and peak FMA throughput with many independent accumulators, each for a given number of threads. The
 * floor of one iteration of the engine (reads M once, 4·d1·d2·r flops) is then max(d1·d2·bytes / bandwidth,
 * 4·d1·d2·r / peak), with the bandwidth of {@link #readMatrix}: a buffer of M's shape swept again and again, as the
 * iterations sweep M, from whichever level of the memory hierarchy then holds it.
 *
 * <p>Two read rates. {@link #measure} reads a 256 MiB matrix in 8 slices, sized so that on a host with a 32 MiB
 * last-level cache every sweep streams from DRAM: the DRAM rate, printed for reference. {@link #readMatrix} reads a
 * matrix of M's own size: where M fits a cache (the 64 MiB of d = 4096 float32 on the Intel host of kernels.md §31,
 * whose cache holds ~64 MiB: measured, §31.2), the iterations read it from there, faster than from DRAM, and a floor
 * from the DRAM rate was below what the iteration could reach (r = 1 at "134 % of its floor"); where it does not fit,
 * both rates are DRAM's. No cache size is assumed: the sweep finds out.
 *
 * <p>Reading: rows of the matrix read the way the engine's small-rank kernels read M: four rows at a time, one vector
 * load from each per step. With one thread the median of {@value #SWEEPS} sweeps is timed by the thread's CPU time
 * (which leaves out the time it waited for a core). Several threads sweep in turn, each thread its own contiguous
 * share of the rows, a fixed team of threads one sweep at a time; a sweep is timed by the wall clock from the first
 * thread's start to the last thread's end, and it counts only if every thread was on a core for nearly all of it (its
 * CPU time at least {@value #ON_CORE} of the sweep's span): in a sweep in which one thread waited for a core, or
 * started late, the others read alone, faster than together (kernels.md §9.7: the earlier version took the slowest
 * thread's CPU time and read 40.1, 27.8 and 28.2 GB/s with two threads in three idle runs). The spread (interquartile
 * range over the median) and the number of sweeps that counted are reported beside it.
 *
 * <p>FMA peak: the best of a few short trials (a peak is a maximum; noise from other processes only lowers it), timed
 * by the CPU time of the slowest thread (see {@link #runParallel}), so it is the machine's ceiling while the benchmark
 * runs, not its share of a busy machine.
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
    /**
     * Far above a 32 MiB last-level cache (the EPYC hosts of the notes): sweep k reads slice k mod 8 of it, so the 224
     * MiB read since a slice was last read have evicted it and every sweep streams from DRAM. A larger cache may hold
     * part of it (the Intel host's {@code lscpu} reports a 480 MiB L3, but only ~64 MiB behaves as a cache there and
     * its 256 MiB read is DRAM's: kernels.md §31.2), which is one more reason the floor takes {@link #readMatrix}.
     */
    private static final long STREAM_BYTES = 256L << 20;
    /**
     * The bytes of one sweep of several threads together: short sweeps (about 1.5 ms) are more often run by all
     * threads at once on a busy machine than the whole matrix would be. One thread sweeps the whole matrix (timed by
     * its CPU time, which needs no concurrency: §9.6 measured it to 1–3 % within a run).
     */
    private static final long SLICE_BYTES = 32L << 20;
    /** A row of the probe's matrix: a row of M at d = 4096, float32. */
    private static final long ROW_BYTES = 16L << 10;
    /** Sweeps of the bandwidth probe that count, after {@value #WARM_SWEEPS} untimed ones. */
    private static final int SWEEPS = 41;
    private static final int WARM_SWEEPS = 16;
    /** The most sweeps tried for {@value #SWEEPS} that count (a busy machine rejects many). */
    private static final int MAX_SWEEPS = 1000;
    /** The most time spent on timed sweeps: on a busy machine, every sweep waits for a core for its threads. */
    private static final long MAX_NANOS = 3_000_000_000L;
    /**
     * The fraction of a sweep's wall-clock span that each thread must have spent on a core (thread CPU time) for the
     * sweep to count: below it, a thread waited for a core or started late (a parked thread's wake-up takes tens of
     * microseconds here, a sweep 5–11 ms).
     */
    private static final double ON_CORE = 0.95;
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
     * Measured ceilings for one thread count: the read rate of the 256 MiB matrix ({@code bytesPerSecond}, with
     * {@code readSpread} and {@code readSweeps} as in {@link Read}) and the FMA peaks.
     */
    public record Ceilings(int threads, double bytesPerSecond, double readSpread, int readSweeps,
            double float32FlopsPerSecond, double float64FlopsPerSecond) {

        public double flopsPerSecond(DType dtype) {
            return dtype == DType.FLOAT32 ? float32FlopsPerSecond : float64FlopsPerSecond;
        }

        /**
         * The roofline floor, in seconds, of one iteration on a d1 × d2 matrix at rank r whose M is read at
         * {@code read}'s rate (a {@link #readMatrix} of M's shape with this thread count).
         */
        public double floorSeconds(DType dtype, int d1, int d2, int r, Read read) {
            return Math.max(readSeconds(dtype, d1, d2, read), fmaSeconds(dtype, d1, d2, r));
        }

        /** Whether that floor is the read of M (else the FMAs). */
        public boolean readBound(DType dtype, int d1, int d2, int r, Read read) {
            return readSeconds(dtype, d1, d2, read) >= fmaSeconds(dtype, d1, d2, r);
        }

        private double fmaSeconds(DType dtype, int d1, int d2, int r) {
            return 4.0 * d1 * d2 * r / flopsPerSecond(dtype);
        }

        private static double readSeconds(DType dtype, int d1, int d2, Read read) {
            return (double) d1 * d2 * dtype.bytes() / read.bytesPerSecond();
        }
    }

    /**
     * A read rate: {@code bytes} per sweep (of all threads together), {@code spread} the interquartile range of the
     * sweeps' rates divided by their median, {@code sweeps} the number of sweeps behind both; 0 when fewer than
     * {@value #MIN_SWEEPS} sweeps had all threads on cores at once (a busy machine): the rate is then the upper bound
     * that per-thread CPU times give (each thread's reads counted as if it read alone).
     */
    public record Read(int threads, double bytes, double bytesPerSecond, double spread, int sweeps) {
    }

    private RooflineProbe() {
    }

    /**
     * A note when the FMA peak measured with several threads is not clearly above the one-thread peak although each
     * thread could have had a processor of its own: the threads did not get a core each during the probe (on this
     * 2-vCPU guest it happened in one of three quiet runs, 121 against 234 GFLOP/s, while the engine's own
     * two-thread cells of the same run were unaffected; kernels.md §15), so that thread count's floors are wrong and
     * its 'of floor' can read above 100 %. {@code null} when there is nothing to say.
     */
    static String unscaledPeakNote(Ceilings one, Ceilings many, int processors) {
        int t = many.threads();
        if (t < 2 || t > processors || one.threads() != 1) {
            return null;
        }
        // a peak that scales at all is well above one thread's (ideally t times it); 1.2 leaves room for a busy core
        if (many.float32FlopsPerSecond() >= 1.2 * one.float32FlopsPerSecond()) {
            return null;
        }
        return String.format(Locale.ROOT, "note: the %d-thread FMA peak (%.1f GFLOP/s) is not above the "
                + "one-thread peak (%.1f): the threads did not run on cores of their own while it was measured, so "
                + "the %d-thread floors and 'of floor' of this run are not reliable", t,
                many.float32FlopsPerSecond() / 1e9, one.float32FlopsPerSecond() / 1e9, t);
    }

    /**
     * The change of a ceiling between a run's start and its end above which {@link #driftLines} adds its note: well
     * above the read probe's own spread on a quiet machine (an interquartile range of 2–6 % of the median on the
     * hosts of native-notes/kernels.md), well below the 30–50 % by which a 2-core guest's speed drifted within minutes
     * (kernels.md §40).
     */
    static final double DRIFT_NOTED = 0.10;
    /** The ceilings {@link #driftLines} compares, in its order. */
    private static final String[] CEILING_NAMES = {"read", "float32 FMA", "float64 FMA"};

    /**
     * The ceilings measured again after a run's cells ({@code end}) against those of its start, one line per thread
     * count of {@code start} (the read alone where {@code readOnly}: the sparse bench's floor uses nothing else), then
     * a note if any of them moved by more than {@link #DRIFT_NOTED}: every cell of the run was measured between the
     * two, so cells measured at different times may differ by that much for that reason alone. A guest whose speed
     * drifts otherwise leaves a table that nothing in it questions.
     */
    static List<String> driftLines(Map<Integer, Ceilings> start, Map<Integer, Ceilings> end, boolean readOnly) {
        List<String> lines = new ArrayList<>();
        double largest = 0;
        String where = null;
        for (Ceilings s : start.values()) {
            Ceilings e = end.get(s.threads());
            String threads = s.threads() + " thread" + (s.threads() == 1 ? "" : "s");
            String bound = s.readSweeps() == 0 || e.readSweeps() == 0 ? ", an upper bound at one end or both" : "";
            double[] changes = {e.bytesPerSecond() / s.bytesPerSecond() - 1,
                e.float32FlopsPerSecond() / s.float32FlopsPerSecond() - 1,
                e.float64FlopsPerSecond() / s.float64FlopsPerSecond() - 1};
            String line = String.format(Locale.ROOT, "%s again at the end, %s: %s%.1f GB/s (%s since the start%s)",
                    readOnly ? "read bandwidth" : "ceilings", threads, readOnly ? "" : "read 256 MiB ",
                    e.bytesPerSecond() / 1e9, percent(changes[0]), bound);
            if (!readOnly) {
                line += String.format(Locale.ROOT, ", float32 FMA %.1f GFLOP/s (%s), float64 FMA %.1f GFLOP/s (%s)",
                        e.float32FlopsPerSecond() / 1e9, percent(changes[1]), e.float64FlopsPerSecond() / 1e9,
                        percent(changes[2]));
            }
            lines.add(line);
            for (int k = 0; k < (readOnly ? 1 : changes.length); k++) {
                if (Math.abs(changes[k]) > largest) {
                    largest = Math.abs(changes[k]);
                    where = threads + ", " + CEILING_NAMES[k];
                }
            }
        }
        if (largest > DRIFT_NOTED) {
            lines.add(String.format(Locale.ROOT, "note: the machine's ceilings moved by up to %.0f %% (%s) between the "
                    + "start and the end of this run: cells measured at different times can differ by as much for "
                    + "that reason alone; repeat the cells to compare them", 100 * largest, where));
        }
        return lines;
    }

    /** Measures the ceilings again for every thread count of {@code start}: {@link #driftLines} of the two. */
    static List<String> measuredAgain(Map<Integer, Ceilings> start, boolean readOnly) {
        Map<Integer, Ceilings> end = new LinkedHashMap<>();
        for (int t : start.keySet()) {
            end.put(t, measure(t));
        }
        return driftLines(start, end, readOnly);
    }

    /** A signed change in per cent, e.g. {@code +3.2 %} or {@code −11.0 %}. */
    private static String percent(double change) {
        return String.format(Locale.ROOT, "%s%.1f %%", change < 0 ? "−" : "+", 100 * Math.abs(change));
    }

    /**
     * Measures the 256 MiB read rate (DRAM's where the cache holds less; see the class comment) and the FMA peaks
     * with {@code threads} threads (about a second in all, a few on a busy machine).
     */
    public static Ceilings measure(int threads) {
        // allocated as the engine's M is (a DenseMatrix: on Linux, on huge pages where they are given), so the probe
        // reads memory the way the kernels read it: in 4 KiB pages it read 20.6-20.8 GB/s with one thread against
        // 27.0-28.6 on huge pages, and with M on huge pages the r = 1 cell read 95-99 % of a floor that was too low
        // (kernels.md §22)
        try (DenseMatrix matrix = DenseMatrix.allocate(DType.FLOAT32, (int) (STREAM_BYTES / ROW_BYTES),
                (int) (ROW_BYTES / Float.BYTES))) {
            MemorySegment data = matrix.segment();
            data.fill((byte) 0x3f); // touch every page before timing; the value is a normal float (≈0.75)
            long slice = threads == 1 ? STREAM_BYTES : SLICE_BYTES;
            long rows = slice / ROW_BYTES / 4 / threads * 4; // per thread and sweep, whole groups of 4 rows
            long slices = STREAM_BYTES / slice;
            Read read = read(threads, (double) rows * threads * ROW_BYTES,
                    (c, k) -> readRows(data, (k % slices) * slice + c * rows * ROW_BYTES, rows, ROW_BYTES));
            long fmaLoops = 2_000_000;
            double f32 = 2.0 * CHAINS * FS.length() * fmaLoops * threads / best(threads, c -> fmaFloat(fmaLoops));
            double f64 = 2.0 * CHAINS * DS.length() * fmaLoops * threads / best(threads, c -> fmaDouble(fmaLoops));
            return new Ceilings(threads, read.bytesPerSecond(), read.spread(), read.sweeps(), f32, f64);
        }
    }

    /**
     * The rate at which {@code threads} threads read a d1 × d2 matrix of {@code dtype} (M's shape, allocated as M is)
     * swept again and again, each thread its contiguous share of the rows, as the iterations read M: the bandwidth
     * that bounds an iteration, from whichever level of the memory hierarchy holds a matrix of that size between
     * sweeps. A matrix smaller than {@value #MIN_SWEEP_BYTES} bytes is read several times per timed sweep, so that a
     * sweep is long against the clock's reads.
     */
    public static Read readMatrix(DType dtype, int d1, int d2, int threads) {
        try (DenseMatrix matrix = DenseMatrix.allocate(dtype, d1, d2)) {
            MemorySegment data = matrix.segment();
            data.fill((byte) 0x3f); // touch every page; a normal float and double
            long rowBytes = (long) matrix.stride() * dtype.bytes();
            long repeats = Math.max(1, MIN_SWEEP_BYTES / Math.max(1, d1 * rowBytes));
            return read(threads, (double) repeats * d1 * rowBytes,
                    (c, k) -> readShare(data, d1, rowBytes, c, threads, repeats));
        }
    }

    /** Chunk {@code chunk}'s rows of {@link #readMatrix}, read {@code repeats} times: the sum of what it read. */
    static double readShare(MemorySegment data, int d1, long rowBytes, int chunk, int threads, long repeats) {
        long r0 = ParallelPass.chunkStart(chunk, d1, threads);
        long r1 = ParallelPass.chunkStart(chunk + 1, d1, threads);
        double sum = 0;
        for (long i = 0; i < repeats; i++) {
            sum += readRows(data, r0 * rowBytes, r1 - r0, rowBytes);
        }
        return sum;
    }

    /** The bytes of the shortest timed sweep of {@link #readMatrix} (a few hundred microseconds of reading). */
    static final long MIN_SWEEP_BYTES = 8L << 20;

    /** The median rate of {@code bytes} per sweep over {@link #readSweeps}, with its spread. */
    private static Read read(int threads, double bytes, Sweep sweep) {
        Sweeps sweeps = readSweeps(threads, MAX_NANOS, sweep);
        double[] seconds = sweeps.seconds();
        double bandwidth = bytes / quantile(seconds, 0.5);
        double spread = (bytes / quantile(seconds, 0.25) - bytes / quantile(seconds, 0.75)) / bandwidth;
        return new Read(threads, bytes, bandwidth, spread, sweeps.concurrent());
    }

    /** Below this many concurrent sweeps the probe falls back to per-thread CPU times (see {@link Ceilings}). */
    static final int MIN_SWEEPS = 5;

    /** One thread's share of sweep {@code k}. */
    @FunctionalInterface
    interface Sweep {
        double run(int chunk, long k);
    }

    /**
     * Runs sweeps 0, 1, 2, … on a team of {@code threads} threads, one sweep at a time, until {@value #SWEEPS} count
     * or {@value #MAX_SWEEPS} were tried or {@code maxNanos} have passed since the first timed one (at least
     * {@value #MIN_SWEEPS} are timed). With several threads a sweep counts if every thread was on a core for nearly
     * all of it ({@link #concurrent}), and its time is its wall-clock span; with one thread every sweep counts, timed
     * by the thread's CPU time. The team waits for a sweep by spinning, not parking, so that all threads start within
     * a microsecond or so (waking a parked thread took tens of microseconds here, a few % of a sweep).
     */
    static Sweeps readSweeps(int threads, long maxNanos, Sweep sweep) {
        long[] start = new long[threads];
        long[] end = new long[threads];
        long[] cpu = new long[threads];
        double[] sink = new double[threads];
        // the main thread publishes the sweep number in go; each team thread reports through done (its writes to the
        // arrays above happen before its increment, which the main thread reads before the arrays)
        AtomicLong go = new AtomicLong(-1);
        AtomicInteger done = new AtomicInteger();
        Thread[] team = new Thread[threads];
        for (int c = 1; c < threads; c++) {
            int chunk = c;
            team[c] = Thread.ofPlatform().daemon().start(() -> {
                long seen = -1;
                while (true) {
                    long k;
                    while ((k = go.get()) == seen) {
                        Thread.onSpinWait();
                    }
                    if (k == STOP) {
                        return;
                    }
                    seen = k;
                    timeSweep(chunk, k, sweep, start, end, cpu, sink);
                    done.incrementAndGet();
                }
            });
        }
        List<Double> counted = new ArrayList<>();
        List<Double> cpuTimes = new ArrayList<>();
        try {
            // the time limit counts from the first timed sweep, and at least MIN_SWEEPS are timed: with the limit
            // counted from the first warm-up sweep, a machine so busy that the warm-up outlasted it timed none, and
            // the median of no sweeps was an ArrayIndexOutOfBoundsException
            long deadline = 0;
            for (long k = 0; k < WARM_SWEEPS + MAX_SWEEPS && counted.size() < SWEEPS
                    && (k < WARM_SWEEPS + MIN_SWEEPS || System.nanoTime() - deadline < 0); k++) {
                if (k == WARM_SWEEPS) {
                    deadline = System.nanoTime() + maxNanos;
                }
                done.set(0);
                go.set(k);
                timeSweep(0, k, sweep, start, end, cpu, sink);
                while (done.get() < threads - 1) {
                    Thread.onSpinWait();
                }
                long first = Arrays.stream(start).min().orElseThrow();
                double span = (Arrays.stream(end).max().orElseThrow() - first) * 1e-9;
                double slowestCpu = Arrays.stream(cpu).max().orElseThrow() * 1e-9;
                if (k < WARM_SWEEPS) {
                    continue;
                }
                if (!CPU_TIME) {
                    counted.add(span);
                } else if (threads == 1) {
                    // one thread shares nothing: its CPU time is the sweep's time on an idle core, and it leaves out
                    // the time it waited for a core (a wall-clock median read 4.5–5.8 GB/s under load, §9.6)
                    counted.add(slowestCpu);
                } else {
                    cpuTimes.add(slowestCpu);
                    if (concurrent(cpu, span)) {
                        counted.add(span);
                    }
                }
            }
        } finally {
            go.set(STOP);
            for (int c = 1; c < threads; c++) {
                join(team[c]);
            }
        }
        if (Arrays.stream(sink).sum() == 42.4242) { // keeps the sums alive: the JIT cannot drop the reads
            System.err.print("");
        }
        if (counted.size() < MIN_SWEEPS) {
            // the threads were seldom on cores together (a busy machine): the slowest thread's CPU time per sweep,
            // which counts each thread's reads as if alone, so the bandwidth is an upper bound; flagged by 0 sweeps
            return new Sweeps(cpuTimes.stream().mapToDouble(Double::doubleValue).sorted().toArray(), 0);
        }
        return new Sweeps(counted.stream().mapToDouble(Double::doubleValue).sorted().toArray(), counted.size());
    }

    private static final long STOP = Long.MAX_VALUE;

    /** Sorted sweep times in seconds, and how many were concurrent sweeps (0: none usable, CPU times instead). */
    record Sweeps(double[] seconds, int concurrent) {
    }

    private static void timeSweep(int chunk, long k, Sweep sweep, long[] start, long[] end, long[] cpu,
            double[] sink) {
        long c0 = CPU_TIME ? CPU.getCurrentThreadCpuTime() : 0;
        start[chunk] = System.nanoTime();
        sink[chunk] += sweep.run(chunk, k);
        end[chunk] = System.nanoTime();
        cpu[chunk] = CPU_TIME ? CPU.getCurrentThreadCpuTime() - c0 : 0;
    }

    /**
     * Whether every thread spent at least {@value #ON_CORE} of the sweep's span on a core, i.e. the threads read at
     * the same time for nearly all of it.
     */
    static boolean concurrent(long[] cpuNanos, double spanSeconds) {
        for (long c : cpuNanos) {
            if (c * 1e-9 < ON_CORE * spanSeconds) {
                return false;
            }
        }
        return true;
    }

    private static void join(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
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
     * thread CPU time where the JVM measures that, else the wall time of the whole run. For the FMA peak, which shares
     * nothing between threads, CPU time leaves out the time a thread waited for a core and nothing else (the
     * bandwidth probe shares the memory system, so it times concurrent sweeps instead: {@link #readSweeps}).
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
            join(workers[c]);
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
     * Sums {@code rows} rows of {@code rowBytes} (a multiple of 4) from {@code offset}, four rows at a time with one
     * vector load from each per step: the access pattern of the engine's small-rank kernels (four concurrent row
     * streams); the last rows, fewer than four, one at a time. A row that is not a whole number of vectors (rows are
     * padded to 64 bytes, and a vector may be wider) ends in a masked load, which reads nothing past the row.
     */
    static double readRows(MemorySegment data, long offset, long rows, long rowBytes) {
        FloatVector a0 = FT.cast(FloatVector.zero(FS));
        FloatVector a1 = FT.cast(FloatVector.zero(FS));
        FloatVector a2 = FT.cast(FloatVector.zero(FS));
        FloatVector a3 = FT.cast(FloatVector.zero(FS));
        long step = FS.vectorByteSize();
        long full = rowBytes / step * step;
        VectorMask<Float> tail = FS.indexInRange((int) (full / Float.BYTES), (int) (rowBytes / Float.BYTES));
        ByteOrder order = ByteOrder.nativeOrder();
        long row = 0;
        for (; row + 4 <= rows; row += 4) {
            long o = offset + row * rowBytes;
            for (long j = 0; j < full; j += step) {
                long p = o + j;
                a0 = FT.cast(FloatVector.fromMemorySegment(FS, data, p, order)).add(a0);
                a1 = FT.cast(FloatVector.fromMemorySegment(FS, data, p + rowBytes, order)).add(a1);
                a2 = FT.cast(FloatVector.fromMemorySegment(FS, data, p + 2 * rowBytes, order)).add(a2);
                a3 = FT.cast(FloatVector.fromMemorySegment(FS, data, p + 3 * rowBytes, order)).add(a3);
            }
            if (full < rowBytes) {
                long p = o + full;
                a0 = FT.cast(FloatVector.fromMemorySegment(FS, data, p, order, tail)).add(a0);
                a1 = FT.cast(FloatVector.fromMemorySegment(FS, data, p + rowBytes, order, tail)).add(a1);
                a2 = FT.cast(FloatVector.fromMemorySegment(FS, data, p + 2 * rowBytes, order, tail)).add(a2);
                a3 = FT.cast(FloatVector.fromMemorySegment(FS, data, p + 3 * rowBytes, order, tail)).add(a3);
            }
        }
        for (; row < rows; row++) {
            long o = offset + row * rowBytes;
            for (long j = 0; j < full; j += step) {
                a0 = FT.cast(FloatVector.fromMemorySegment(FS, data, o + j, order)).add(a0);
            }
            if (full < rowBytes) {
                a0 = FT.cast(FloatVector.fromMemorySegment(FS, data, o + full, order, tail)).add(a0);
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
        // each chain's accumulator is the addend (c = x·y + c), which C2 updates in place with one vfmadd231ps; with
        // c = c·x + y it copied y into a temporary before every FMA and, after unrolling, spilled the twelve chains to
        // the stack: 54–59 GFLOP/s per core where a C loop read 85–91 (kernels.md §30.3). The sums stay bounded (x·y
        // ≈ 1e-7 per step): no overflow, no denormals
        for (long i = 0; i < loops; i++) {
            c0 = x.fma(y, c0);
            c1 = x.fma(y, c1);
            c2 = x.fma(y, c2);
            c3 = x.fma(y, c3);
            c4 = x.fma(y, c4);
            c5 = x.fma(y, c5);
            c6 = x.fma(y, c6);
            c7 = x.fma(y, c7);
            c8 = x.fma(y, c8);
            c9 = x.fma(y, c9);
            c10 = x.fma(y, c10);
            c11 = x.fma(y, c11);
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
            c0 = x.fma(y, c0);
            c1 = x.fma(y, c1);
            c2 = x.fma(y, c2);
            c3 = x.fma(y, c3);
            c4 = x.fma(y, c4);
            c5 = x.fma(y, c5);
            c6 = x.fma(y, c6);
            c7 = x.fma(y, c7);
            c8 = x.fma(y, c8);
            c9 = x.fma(y, c9);
            c10 = x.fma(y, c10);
            c11 = x.fma(y, c11);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .reduceLanes(VectorOperators.ADD);
    }
}
