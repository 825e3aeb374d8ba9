package org.autobalance.bench;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.observe.IterationRecord;
import org.autobalance.schedule.StepSchedule;
import org.autobalance.solve.Factorizer;
import org.autobalance.solve.Initializer;
import org.autobalance.solve.Result;
import org.autobalance.solve.internal.Imbalance;
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
 * Balance versus convergence: one whole solve per invocation, from the same small start, on a d × d matrix of rank
 * {@value #RANK} with singular values from 1 down to 1/2. The primary score is the wall time of the solve; the
 * secondary results (JMH {@code @AuxCounters}) are the iterations and seconds until the relative loss
 * f_t/(½‖M‖²_F) first falls to 1e-3 and 1e-6, and the drift ‖D_T − D_0‖_F of the imbalance D = UᵀU − VᵀV over the
 * whole run: the price in balance of each schedule's speed.
 *
 * <pre>
 * java -jar bench/target/benchmarks.jar BalanceConvergence -p d=1024 -p dtype=float64
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector",
    "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 1)
@Measurement(iterations = 3)
public class BalanceConvergenceBenchmark {
    static final int RANK = 8;
    /**
     * Iteration cap; each solve stops at relative loss 1e-6. The constant and auto steps need under a hundred
     * iterations here; the decay may not get there within the cap or the one-minute limit (its counters then read
     * NaN). Measured at d = 1024 on two busy cores: about 25–35 ms per iteration, so the decay's 3000 take 60–100 s.
     * The gradient test is off (tolerance 0), so the relative loss ends each solve; the stall test ({@code
     * StopReason.STALLED}, a step that rounds away entirely) cannot end one sooner: until the relative loss is 1e-6
     * (relative error 1e-3) a step moves the factors by about η·σ·10⁻³ relative, at least 3·10⁻⁵ for these schedules
     * (σ ≥ ½, η ≥ 0.5/3001^¼ = 0.068 within the cap), far above float32's half unit in the last place, 6·10⁻⁸.
     */
    static final int MAX_ITERATIONS = 3000;

    @Param({"1024", "4096"})
    public int d;

    @Param({"float32", "float64"})
    public String dtype;

    /** constant:0.5 and auto (0.5/σ̂₁) take the same step up to the σ₁ estimate; decay is the paper's regime. */
    @Param({"constant:0.5", "decay:0.5,0.25", "auto"})
    public String schedule;

    private DenseMatrix m;
    private DenseMatrix u0;
    private DenseMatrix v0;
    private double[] d0;
    private double halfNormMSquared;

    /** The secondary results, per invocation (JMH averages them over the measurement iterations). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Convergence {
        public double iterationsTo1e3;
        public double secondsTo1e3;
        public double iterationsTo1e6;
        public double secondsTo1e6;
        public double drift;
    }

    @Setup(Level.Trial)
    public void setUp() {
        DType type = DType.parse(dtype);
        double[][] x = KnownMatrices.gaussian(d, RANK, 1.0, 2018);
        double[][] y = KnownMatrices.gaussian(d, RANK, 1.0, 2019);
        m = DenseMatrix.allocate(type, d, d);
        double sum = 0;
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double s = 0;
                for (int k = 0; k < RANK; k++) {
                    // Gaussian columns scaled by 1/√d are orthonormal up to O(1/√d): singular values ≈ 1 … 1/2
                    s += (1.0 - 0.5 * k / (RANK - 1)) * x[i][k] * y[j][k] / d;
                }
                m.set(i, j, s);
                sum += s * s;
            }
        }
        halfNormMSquared = sum / 2;
        double scale = 1e-3 / Math.sqrt(d);
        double[][] u = KnownMatrices.gaussian(d, RANK, scale, 2020);
        double[][] v = KnownMatrices.gaussian(d, RANK, scale, 2021);
        u0 = DenseMatrix.of(type, u);
        v0 = DenseMatrix.of(type, v);
        d0 = Imbalance.of(u0, v0);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        m.close();
        u0.close();
        v0.close();
    }

    @Benchmark
    public double solve(Convergence c) {
        double[] at = {Double.NaN, Double.NaN, Double.NaN, Double.NaN};
        Factorizer f = Factorizer.builder(m, RANK).schedule(StepSchedule.parse(schedule))
                .initializer(Initializer.given(u0, v0)).maxIterations(MAX_ITERATIONS).tolerance(0)
                .timeLimit(Duration.ofMinutes(1)).threads(Runtime.getRuntime().availableProcessors())
                .listener((IterationRecord r) -> {
                    double relative = r.loss() / halfNormMSquared;
                    if (Double.isNaN(at[0]) && relative <= 1e-3) {
                        at[0] = r.iteration();
                        at[1] = r.seconds();
                    }
                    if (Double.isNaN(at[2]) && relative <= 1e-6) {
                        at[2] = r.iteration();
                        at[3] = r.seconds();
                    }
                }).stopWhen(r -> r.loss() <= 1e-6 * halfNormMSquared).build();
        try (Result result = f.run()) {
            c.iterationsTo1e3 = at[0];
            c.secondsTo1e3 = at[1];
            c.iterationsTo1e6 = at[2];
            c.secondsTo1e6 = at[3];
            c.drift = Imbalance.drift(d0, Imbalance.of(result.u(), result.v()));
            return result.loss();
        }
    }
}
