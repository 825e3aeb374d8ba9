package org.autobalance.bench;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.DenseMatrix.Order;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Import and export bandwidth of a d × d float32 matrix from and to a flat {@code float[]} (64 MiB at d = 4095, far
 * beyond the caches), against a plain {@link MemorySegment#copy} of the same bytes (the floor any copy can reach:
 * one memcpy). d = 4095 makes the matrix's rows padded (stride 4096), so the bulk copy does the real work of
 * skipping the padding, one row copy per row. Also the transposing and the converting paths, and the element-wise
 * loop a caller had to write before ({@code set} per element), for scale.
 *
 * <p>The benchmarks overwrite the same destination each time (no allocation measured). Self-check in setup: the
 * row-major round trip returns the input.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class BulkCopyBenchmark {
    @Param({"4095"})
    public int d;

    private float[] flat;
    private double[] flatDouble;
    private DenseMatrix m;
    private MemorySegment packed;

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom random = new SplittableRandom(1);
        flat = new float[d * d];
        flatDouble = new double[d * d];
        for (int k = 0; k < flat.length; k++) {
            flat[k] = (float) random.nextGaussian();
            flatDouble[k] = flat[k];
        }
        m = DenseMatrix.allocate(DType.FLOAT32, d, d);
        packed = MemorySegment.ofArray(flat);
        m.copyFrom(flat, Order.ROW_MAJOR);
        float[] back = new float[flat.length];
        m.copyTo(back, Order.ROW_MAJOR);
        if (!java.util.Arrays.equals(flat, back)) {
            throw new IllegalStateException("row-major round trip changed the values");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        m.close();
    }

    /** The floor: the same number of bytes in one contiguous copy, heap array to native memory. */
    @Benchmark
    public MemorySegment plainCopyIn() {
        MemorySegment.copy(packed, 0, m.segment(), 0, packed.byteSize());
        return m.segment();
    }

    @Benchmark
    public DenseMatrix importRowMajor() {
        m.copyFrom(flat, Order.ROW_MAJOR);
        return m;
    }

    /** The floor for export: one contiguous copy from native memory to the heap array. */
    @Benchmark
    public float[] plainCopyOut() {
        MemorySegment.copy(m.segment(), 0, packed, 0, packed.byteSize());
        return flat;
    }

    @Benchmark
    public float[] exportRowMajor() {
        m.copyTo(flat, Order.ROW_MAJOR);
        return flat;
    }

    @Benchmark
    public DenseMatrix importColumnMajor() {
        m.copyFrom(flat, Order.COLUMN_MAJOR);
        return m;
    }

    @Benchmark
    public DenseMatrix importDoubleRowMajor() {
        m.copyFrom(flatDouble, Order.ROW_MAJOR);
        return m;
    }

    /** What a caller wrote before the bulk API: one bounds-checked {@code set} per element. */
    @Benchmark
    public DenseMatrix importElementBySet() {
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                m.set(i, j, flat[i * d + j]);
            }
        }
        return m;
    }
}
