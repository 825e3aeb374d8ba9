package org.autobalance.bench.baseline;

import java.util.concurrent.TimeUnit;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
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
 * One gradient-descent iteration of each implementation ({@link GdIteration#NAMES}) on the inputs of
 * {@link BenchProblem}. Sample mode: every invocation is one iteration (milliseconds each), so JMH's percentiles give
 * the median that {@code bench report} tabulates. One implementation per fork, so one JIT profile never pollutes
 * another's; the iterate mutates U and V, which is harmless because the step is stable (see {@link BenchProblem}).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -jar bench/target/benchmarks.jar \
 *      BaselineIterationBenchmark -p dtype=float32 -rf json -rff baselines.json
 * ./autobalance bench report baselines.json
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class BaselineIterationBenchmark {
    @Param({"autobalance", "openblas-textbook", "openblas-gram", "ejml-gram"})
    public String impl;

    @Param({"float32", "float64"})
    public String dtype;

    @Param({"1", "16", "64"})
    public int r;

    @Param({"1", "2"})
    public int threads;

    @Param({"4096"})
    public int d;

    private DenseMatrix m;
    private DenseMatrix u;
    private DenseMatrix v;
    private GdIteration iteration;

    @Setup(Level.Trial)
    public void setUp() {
        String why = GdIteration.unavailableReason(impl);
        if (why != null) {
            throw new IllegalStateException(impl + " unavailable: " + why); // JMH reports it and goes on
        }
        DType type = DType.parse(dtype);
        m = BenchProblem.data(type, d, d, 1);
        u = BenchProblem.start(type, d, r, 2);
        v = BenchProblem.start(type, d, r, 3);
        iteration = GdIteration.create(impl, m, u, v, threads);
    }

    @Benchmark
    public void iterate() {
        iteration.iterate(BenchProblem.ETA);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        iteration.close();
        m.close();
        u.close();
        v.close();
    }
}
