package org.autobalance.bench;

import java.util.concurrent.TimeUnit;
import org.autobalance.kernel.FactorKernels;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.synthetic.KnownMatrices;
import org.openjdk.jmh.annotations.AuxCounters;
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
 * The fused pass alone (MV and MᵀU in one sweep over M), one thread, d1 = d2 = d. Every invocation reads all of M, as
 * an iteration of the solver does, from wherever it stays between invocations: DRAM where M (64 MiB float32 at d =
 * 4096) exceeds the last-level cache (32 MiB on the EPYC hosts), a cache on the Intel host, which holds ~64 MiB
 * (measured, kernels.md §31.2).
 *
 * <p>State: {@code mtu} accumulates across invocations ({@code mtu += MᵀU} is the kernel's contract); its values grow
 * linearly and stay finite, which does not change the work done. The result is self-checked once in setup against
 * the scalar reference on a few rows.
 *
 * <p>Compare with the roofline floor: max(d²·bytes / bandwidth, 4·d²·r / peak FMA), the peak from
 * {@link CeilingProbe}, the bandwidth that of a matrix of M's size read again and again ({@code ./autobalance bench}
 * prints it).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 3, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class FusedPassBenchmark {
    @Param({"1024", "4096"})
    public int d;

    @Param({"1", "4", "16", "64", "256"})
    public int r;

    @Param({"float32", "float64"})
    public String dtype;

    @Param({"simd", "scalar"})
    public String kernels;

    private FactorKernels k;
    private DenseMatrix m;
    private DenseMatrix u;
    private DenseMatrix v;
    private DenseMatrix mv;
    private DenseMatrix mtu;

    @Setup(Level.Trial)
    public void setUp() {
        DType t = DType.parse(dtype);
        k = "simd".equals(kernels) ? KernelProvider.simd() : KernelProvider.scalar();
        m = KnownMatrices.gaussian(t, d, d, 1.0, 1);
        u = KnownMatrices.gaussian(t, d, r, 1.0, 2);
        v = KnownMatrices.gaussian(t, d, r, 1.0, 3);
        mv = DenseMatrix.allocate(t, d, r);
        mtu = DenseMatrix.allocate(t, d, r);
        selfCheck(t);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        m.close();
        u.close();
        v.close();
        mv.close();
        mtu.close();
    }

    @Benchmark
    public DenseMatrix fusedPass(CpuTime cpu) {
        long c0 = CpuTime.THREADS.getCurrentThreadCpuTime();
        k.fusedPass(m, u, v, 0, d, mv, mtu);
        cpu.add(CpuTime.THREADS.getCurrentThreadCpuTime() - c0);
        return mv;
    }

    /**
     * Secondary result {@code cpuMs}: the mean thread CPU time per call in each iteration. On a shared machine the
     * wall-clock score includes time the benchmark thread waited for a core; CPU time does not (it still includes
     * cache and memory-bandwidth interference from other processes). Reading the clock twice costs ~1 µs per call.
     * JMH sums an {@code EVENTS} counter over the measurement iterations, so the {@code cpuMs} it prints is the sum of
     * the iterations' means: divide it by the iteration count ({@code -i}) for the mean per call (kernels.md 36).
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class CpuTime {
        static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory
                .getThreadMXBean();
        private long nanos;
        private long calls;
        /** Mean CPU milliseconds per call in the current iteration (JMH reads public fields). */
        public double cpuMs;

        @Setup(Level.Iteration)
        public void reset() {
            nanos = 0;
            calls = 0;
            cpuMs = 0;
        }

        void add(long ns) {
            nanos += ns;
            calls++;
            cpuMs = nanos / 1e6 / calls;
        }
    }

    /** Rows [0, 8) of MV against a plain double-precision loop; fails the trial on a wrong kernel. */
    private void selfCheck(DType t) {
        int rows = Math.min(8, d);
        k.fusedPass(m, u, v, 0, rows, mv, mtu);
        for (int i = 0; i < rows; i++) {
            for (int a = 0; a < r; a++) {
                double s = 0;
                double mag = 0;
                for (int j = 0; j < d; j++) {
                    s += m.get(i, j) * v.get(j, a);
                    mag += Math.abs(m.get(i, j) * v.get(j, a));
                }
                if (Math.abs(mv.get(i, a) - s) > 4.0 * d * t.unitRoundoff() * mag) {
                    throw new IllegalStateException(k.name() + " MV[" + i + "," + a + "] = " + mv.get(i, a)
                            + ", expected " + s);
                }
            }
        }
    }
}
