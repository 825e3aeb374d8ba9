package org.autobalance.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.autobalance.kernel.EngineProperties;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The machine's ceilings, measured in the same run as the kernels, so that kernel times can be stated as a fraction
 * of the roofline floor max(d1·d2·bytes / bandwidth, 4·d1·d2·r / peak): peak FMA throughput of the Vector API with
 * 12 independent accumulators (FMA latency 4 × 2 pipes = 8 in flight, plus margin), and streaming read bandwidth over
 * a 512 MiB native segment (16× the L3) with vector loads.
 *
 * <p>Scores are operations per second: vector FMA instructions per second for the FMA probes (FLOP/s = score × 2 ×
 * lanes; lanes = bits / 32 or bits / 64, and a JMH constant cannot depend on the run-time width), bytes/s for the
 * stream. Width:
 * {@code -Dautobalance.simd.bits} as for the kernels (default: preferred capped at 256). This benchmark lives in the
 * bench module, outside the engine, so it may name the incubator API itself.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", })
public class CeilingProbe {
    /** The kernels' width: the engine's rule for {@code autobalance.simd.bits}, so a bad value is refused alike. */
    static final int BITS = EngineProperties.SIMD_BITS.or(
            Math.min(256, FloatVector.SPECIES_PREFERRED.vectorBitSize()));
    static final VectorSpecies<Float> F = VectorSpecies.of(float.class, VectorShape.forBitSize(BITS));
    static final VectorSpecies<Double> D = VectorSpecies.of(double.class, VectorShape.forBitSize(BITS));
    static final int FMA_ITERS = 1 << 20;
    static final long STREAM_BYTES = 512L << 20;
    static final ByteOrder NO = ByteOrder.nativeOrder();

    private Arena arena;
    private MemorySegment big;
    public float xf = 1.0000001f;
    public float yf = 0.9999999f;
    public double xd = 1.0000001;
    public double yd = 0.9999999;

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        big = arena.allocate(STREAM_BYTES, 64);
        for (long o = 0; o < STREAM_BYTES; o += 4) {
            big.set(java.lang.foreign.ValueLayout.JAVA_FLOAT, o, (o & 1023) * 1e-3f);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    @OperationsPerInvocation(12 * FMA_ITERS)
    public float fmaFloat() {
        FloatVector x = FloatVector.broadcast(F, xf);
        FloatVector y = FloatVector.broadcast(F, yf);
        FloatVector a0 = FloatVector.broadcast(F, 0.1f);
        FloatVector a1 = FloatVector.broadcast(F, 0.2f);
        FloatVector a2 = FloatVector.broadcast(F, 0.3f);
        FloatVector a3 = FloatVector.broadcast(F, 0.4f);
        FloatVector a4 = FloatVector.broadcast(F, 0.5f);
        FloatVector a5 = FloatVector.broadcast(F, 0.6f);
        FloatVector a6 = FloatVector.broadcast(F, 0.7f);
        FloatVector a7 = FloatVector.broadcast(F, 0.8f);
        FloatVector a8 = FloatVector.broadcast(F, 0.9f);
        FloatVector a9 = FloatVector.broadcast(F, 1.0f);
        FloatVector a10 = FloatVector.broadcast(F, 1.1f);
        FloatVector a11 = FloatVector.broadcast(F, 1.2f);
        // the accumulator as the addend, updated in place by one FMA (RooflineProbe.fmaFloat, kernels.md §30.3)
        for (int i = 0; i < FMA_ITERS; i++) {
            a0 = x.fma(y, a0);
            a1 = x.fma(y, a1);
            a2 = x.fma(y, a2);
            a3 = x.fma(y, a3);
            a4 = x.fma(y, a4);
            a5 = x.fma(y, a5);
            a6 = x.fma(y, a6);
            a7 = x.fma(y, a7);
            a8 = x.fma(y, a8);
            a9 = x.fma(y, a9);
            a10 = x.fma(y, a10);
            a11 = x.fma(y, a11);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .lane(0) * F.length();
    }

    @Benchmark
    @OperationsPerInvocation(12 * FMA_ITERS)
    public double fmaDouble() {
        DoubleVector x = DoubleVector.broadcast(D, xd);
        DoubleVector y = DoubleVector.broadcast(D, yd);
        DoubleVector a0 = DoubleVector.broadcast(D, 0.1);
        DoubleVector a1 = DoubleVector.broadcast(D, 0.2);
        DoubleVector a2 = DoubleVector.broadcast(D, 0.3);
        DoubleVector a3 = DoubleVector.broadcast(D, 0.4);
        DoubleVector a4 = DoubleVector.broadcast(D, 0.5);
        DoubleVector a5 = DoubleVector.broadcast(D, 0.6);
        DoubleVector a6 = DoubleVector.broadcast(D, 0.7);
        DoubleVector a7 = DoubleVector.broadcast(D, 0.8);
        DoubleVector a8 = DoubleVector.broadcast(D, 0.9);
        DoubleVector a9 = DoubleVector.broadcast(D, 1.0);
        DoubleVector a10 = DoubleVector.broadcast(D, 1.1);
        DoubleVector a11 = DoubleVector.broadcast(D, 1.2);
        // the accumulator as the addend, updated in place by one FMA (RooflineProbe.fmaFloat, kernels.md §30.3)
        for (int i = 0; i < FMA_ITERS; i++) {
            a0 = x.fma(y, a0);
            a1 = x.fma(y, a1);
            a2 = x.fma(y, a2);
            a3 = x.fma(y, a3);
            a4 = x.fma(y, a4);
            a5 = x.fma(y, a5);
            a6 = x.fma(y, a6);
            a7 = x.fma(y, a7);
            a8 = x.fma(y, a8);
            a9 = x.fma(y, a9);
            a10 = x.fma(y, a10);
            a11 = x.fma(y, a11);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .lane(0) * D.length();
    }

    /** Streaming read: vector loads over the whole segment, 4 accumulators so the adds are not the limit. */
    @Benchmark
    @OperationsPerInvocation((int) STREAM_BYTES)
    public float streamRead() {
        FloatVector s0 = FloatVector.zero(F);
        FloatVector s1 = FloatVector.zero(F);
        FloatVector s2 = FloatVector.zero(F);
        FloatVector s3 = FloatVector.zero(F);
        long step = F.vectorByteSize();
        for (long o = 0; o < STREAM_BYTES; o += 4 * step) {
            s0 = s0.add(FloatVector.fromMemorySegment(F, big, o, NO));
            s1 = s1.add(FloatVector.fromMemorySegment(F, big, o + step, NO));
            s2 = s2.add(FloatVector.fromMemorySegment(F, big, o + 2 * step, NO));
            s3 = s3.add(FloatVector.fromMemorySegment(F, big, o + 3 * step, NO));
        }
        return s0.add(s1).add(s2.add(s3)).lane(1);
    }
}
