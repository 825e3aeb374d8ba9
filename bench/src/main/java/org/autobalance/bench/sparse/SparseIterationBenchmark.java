package org.autobalance.bench.sparse;

import java.util.concurrent.TimeUnit;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;
import org.autobalance.parallel.EngineIteration;
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
 * One engine iteration on a sparse M (the fused pass over the stored entries, the reduction, the step), full loss or
 * observed-entries loss, exactly the calls of a {@code Factorizer} iteration ({@link EngineIteration}).
 *
 * <pre>
 * java -jar bench/target/benchmarks.jar SparseIterationBenchmark -p pattern=uniform,powerlaw -p r=16,64 \
 *     -p threads=1,2 -p objective=full,observed
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector",
    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Dagrona.disable.bounds.checks=true"})
public class SparseIterationBenchmark {
    @Param({"uniform", "powerlaw"})
    public String pattern;
    @Param({"100000"})
    public int d1;
    @Param({"50000"})
    public int d2;
    @Param({"5000000"})
    public long nnz;
    @Param({"16", "64"})
    public int r;
    @Param({"1", "2"})
    public int threads;
    @Param({"full", "observed"})
    public String objective;
    @Param({"float32"})
    public String dtype;

    private SparseMatrix m;
    private DenseMatrix u;
    private DenseMatrix v;
    private EngineIteration iteration;

    @Setup(Level.Trial)
    public void setUp() {
        DType t = DType.parse(dtype);
        m = SparseProblem.matrix(pattern, t, d1, d2, nnz, 1);
        u = SparseProblem.start(t, d1, r, 2);
        v = SparseProblem.start(t, d2, r, 3);
        iteration = new EngineIteration(KernelProvider.kernels(), KernelProvider.sparseKernels(), m, u, v, threads,
                objective.equals("observed"));
    }

    @Benchmark
    public double iterate() {
        return iteration.iterate(SparseProblem.ETA);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (u.firstNonFinite() != null || v.firstNonFinite() != null) {
            throw new IllegalStateException("non-finite factors: the timing is meaningless");
        }
        iteration.close();
        m.close();
        u.close();
        v.close();
    }
}
