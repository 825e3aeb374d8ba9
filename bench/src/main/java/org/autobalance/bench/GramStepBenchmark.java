package org.autobalance.bench;

import java.util.concurrent.TimeUnit;
import org.autobalance.kernel.FactorKernels;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.synthetic.KnownMatrices;
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
 * The two d·r² kernels of an iteration besides the fused pass, one thread, d rows: the Gram matrix UᵀU (r × r, summed
 * in double) and the gradient step U += −η·(U·A − P) with its ‖G‖² (QuickTimer's step: A = I, P = V, η = 0, so U
 * stays as it is however many calls run, and the work per call is the same). At d = 4096 they are 1–2 % of an
 * iteration (the pass streams d² entries of M); they matter at small d and in the network engine. Secondary result
 * {@code cpuMs}: thread CPU time per call ({@link FusedPassBenchmark.CpuTime}; an EVENTS counter, whose printed score
 * sums the measurement iterations: read the per-iteration values).
 *
 * <p>State: {@code gram} accumulates across invocations ({@code gram += UᵀU} is the kernel's contract); its entries
 * grow linearly and stay finite, which does not change the work done.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class GramStepBenchmark {
    @Param({"4096"})
    public int d;

    @Param({"1", "4", "16", "64"})
    public int r;

    @Param({"float32", "float64"})
    public String dtype;

    private FactorKernels k;
    private DenseMatrix u;
    private DenseMatrix v;
    private double[] identity;
    private double[] gram;

    @Setup(Level.Trial)
    public void setUp() {
        DType t = DType.parse(dtype);
        k = KernelProvider.simd();
        u = KnownMatrices.gaussian(t, d, r, 1.0, 2);
        v = KnownMatrices.gaussian(t, d, r, 1.0, 3);
        identity = new double[r * r];
        for (int i = 0; i < r; i++) {
            identity[i * r + i] = 1.0;
        }
        gram = new double[r * r];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        u.close();
        v.close();
    }

    @Benchmark
    public double[] gram(FusedPassBenchmark.CpuTime cpu) {
        long c0 = FusedPassBenchmark.CpuTime.THREADS.getCurrentThreadCpuTime();
        k.gram(u, 0, d, gram);
        cpu.add(FusedPassBenchmark.CpuTime.THREADS.getCurrentThreadCpuTime() - c0);
        return gram;
    }

    @Benchmark
    public double step(FusedPassBenchmark.CpuTime cpu) {
        long c0 = FusedPassBenchmark.CpuTime.THREADS.getCurrentThreadCpuTime();
        double g = k.gradientStep(u, v, identity, 0.0, 0, d);
        cpu.add(FusedPassBenchmark.CpuTime.THREADS.getCurrentThreadCpuTime() - c0);
        return g;
    }
}
