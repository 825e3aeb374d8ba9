package org.autobalance.kernel.simd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Per-thread work arrays of the SIMD kernels. Each thread keeps one {@code Scratch} (one {@link ThreadLocal} lookup
 * per kernel call) whose arrays grow to the largest shape seen and are then reused: no allocation per call once warm.
 * A {@code ParallelPass} starts its workers when it is created and they end when it is closed (a fit's team, say),
 * so a worker's {@code Scratch} lives as long as its pass and becomes garbage when the worker ends (the calling
 * thread, which runs chunk 0, keeps its own); a buffer replaced on growth becomes garbage at once. Both are freed at a
 * later collection, native memory included.
 *
 * <p>Slots are numbered; a kernel uses each slot for one purpose during one call and never assumes anything about
 * their contents on entry (it fills what it reads).
 */
final class Scratch {
    private static final ThreadLocal<Scratch> PER_THREAD = ThreadLocal.withInitial(Scratch::new);

    private final float[][] floats = new float[8][0];
    private final double[][] doubles = new double[8][0];
    private final MemorySegment[] aligned = {MemorySegment.NULL, MemorySegment.NULL};

    private Scratch() {
    }

    static Scratch get() {
        return PER_THREAD.get();
    }

    /** A float array of at least {@code n} elements for slot {@code slot}; contents unspecified. */
    float[] floats(int slot, int n) {
        float[] a = floats[slot];
        if (a.length < n) {
            a = new float[grow(a.length, n)];
            floats[slot] = a;
        }
        return a;
    }

    /** A double array of at least {@code n} elements for slot {@code slot}; contents unspecified. */
    double[] doubles(int slot, int n) {
        double[] a = doubles[slot];
        if (a.length < n) {
            a = new double[grow(a.length, n)];
            doubles[slot] = a;
        }
        return a;
    }

    /**
     * Native memory of at least {@code bytes} bytes starting on a 64-byte boundary (a cache line, and the largest
     * vector) for slot {@code slot} (0 or 1); contents unspecified. A heap array cannot be had aligned: its data starts
     * wherever the collector put the array. The memory comes from an automatic arena: it counts against
     * {@code -XX:MaxDirectMemorySize} (as a direct buffer's does) and is freed by a collection some time after the
     * segment becomes unreachable (its thread's end, or its replacement on growth), not at that moment.
     */
    MemorySegment aligned(int slot, long bytes) {
        MemorySegment s = aligned[slot];
        if (s.byteSize() < bytes) {
            s = Arena.ofAuto().allocate(Math.max(bytes, s.byteSize() + (s.byteSize() >> 1)), 64);
            aligned[slot] = s;
        }
        return s;
    }

    private static int grow(int current, int needed) {
        long target = Math.max(needed, current + (current >> 1));
        return (int) Math.min(target, Integer.MAX_VALUE - 16);
    }
}
