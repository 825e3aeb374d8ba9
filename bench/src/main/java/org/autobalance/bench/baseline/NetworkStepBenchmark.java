package org.autobalance.bench.baseline;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.autobalance.kernel.GemmKernels;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.network.Architecture;
import org.autobalance.network.Layer;
import org.autobalance.network.Parameters;
import org.autobalance.network.TrainingStep;
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
 * One full-batch GD step of a 20–W–W–5 ReLU network on n samples ({@code part=step}), or the forward and backward
 * work of one of its layers ({@code part=layer1|layer2|layer3}), by the engine ({@link TrainingStep}; for a layer,
 * exactly the kernel calls the engine makes for it: the fused forward GEMM, the slope, the gradient and δ GEMMs) and
 * by OpenBLAS gemm calls ({@link OpenBlasNetwork}). Samples per second = n / (seconds per op).
 *
 * <pre>
 * java -jar bench/target/benchmarks.jar NetworkStepBenchmark -p part=step -rf json -rff network.json
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 4, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Dagrona.disable.bounds.checks=true"})
public class NetworkStepBenchmark {
    /** A step small enough that the weights stay where they started over a benchmark's thousands of steps. */
    static final double ETA = 1e-4;

    @Param({"autobalance", "openblas"})
    public String impl;

    @Param({"float32", "float64"})
    public String dtype;

    @Param({"1", "2"})
    public int threads;

    @Param({"256", "64"})
    public int width;

    @Param({"step"})
    public String part;

    @Param({"4096"})
    public int n;

    private DenseMatrix x;
    private DenseMatrix y;
    private Parameters params;
    private TrainingStep engine;
    private OpenBlasNetwork blas;
    private EngineLayer layer;
    private int h;

    @Setup(Level.Trial)
    public void setUp() {
        DType t = DType.parse(dtype);
        Architecture arch = Architecture.parse("dense:" + width + ",relu,dense:" + width + ",relu,dense:5", 20, null);
        x = gaussian(t, n, 20, 1, 1.0);
        y = gaussian(t, n, 5, 2, 1.0);
        params = new Parameters(arch, t, false);
        SplittableRandom r = new SplittableRandom(3);
        for (int k = 1; k <= arch.depth(); k++) {
            DenseMatrix w = params.weights(k);
            double std = Math.sqrt(2.0 / (w.rows() + w.cols()));
            for (int i = 0; i < w.rows(); i++) {
                for (int j = 0; j < w.cols(); j++) {
                    w.set(i, j, std * r.nextGaussian());
                }
            }
        }
        h = part.equals("step") ? 0 : Integer.parseInt(part.substring("layer".length()));
        if (impl.equals("openblas")) {
            if (!OpenBlas.available()) {
                throw new IllegalStateException("OpenBLAS unavailable: " + OpenBlas.unavailableReason());
            }
            OpenBlas.setThreads(threads);
            blas = new OpenBlasNetwork(x, y, params);
            blas.lossAndGradients(); // every layer's activations and δ in place for the per-layer parts
        } else if (h == 0) {
            engine = new TrainingStep(x, y, params, threads);
        } else {
            if (threads != 1) {
                throw new IllegalStateException("the per-layer parts run on one thread");
            }
            layer = new EngineLayer(KernelProvider.gemm(), t, n, arch.layer(h), params.weights(h), h > 1);
        }
    }

    @Benchmark
    public double run() {
        if (h == 0) {
            return blas != null ? blas.step(ETA) : stepEngine();
        }
        if (blas != null) {
            blas.forward(h);
            blas.backward(h);
            return 0;
        }
        layer.run();
        return 0;
    }

    private double stepEngine() {
        double loss = engine.lossAndGradients();
        engine.update(ETA);
        return loss;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (AutoCloseable c : new AutoCloseable[] {engine, blas, layer, params, x, y}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    static DenseMatrix gaussian(DType t, int rows, int cols, long seed, double std) {
        DenseMatrix m = DenseMatrix.allocate(t, rows, cols);
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                m.set(i, j, std * r.nextGaussian());
            }
        }
        return m;
    }

    /** The kernel calls the engine makes for one dense ReLU layer over all n rows, on its own buffers. */
    static final class EngineLayer implements AutoCloseable {
        private final GemmKernels gemm;
        private final DType t;
        private final int n;
        private final Layer l;
        private final DenseMatrix w;
        private final boolean propagate;
        private final DenseMatrix in;
        private final DenseMatrix wt;
        private final DenseMatrix out;
        private final DenseMatrix delta;
        private final DenseMatrix prev;
        private final DenseMatrix g;

        EngineLayer(GemmKernels gemm, DType t, int n, Layer l, DenseMatrix w, boolean propagate) {
            this.gemm = gemm;
            this.t = t;
            this.n = n;
            this.l = l;
            this.w = w;
            this.propagate = propagate;
            in = gaussian(t, n, l.fanIn(), 4, 1.0);
            wt = DenseMatrix.allocate(t, l.fanIn(), l.outChannels());
            for (int i = 0; i < w.rows(); i++) {
                for (int j = 0; j < w.cols(); j++) {
                    wt.set(j, i, w.get(i, j));
                }
            }
            out = DenseMatrix.allocate(t, n, l.outChannels());
            delta = gaussian(t, n, l.outChannels(), 5, 1e-3);
            prev = DenseMatrix.allocate(t, n, l.fanIn());
            g = DenseMatrix.allocate(t, l.outChannels(), l.fanIn());
        }

        void run() {
            gemm.gemmBiasActivation(t, n, l.outChannels(), l.fanIn(), in.segment(), 0, in.stride(), wt.segment(), 0,
                    wt.stride(), out.segment(), 0, out.stride(), null, false, l.activation().negativeSlope());
            if (!l.activation().isLinear()) {
                gemm.activationSlope(t, n, l.outChannels(), out.segment(), 0, out.stride(), delta.segment(), 0,
                        delta.stride(), l.activation().negativeSlope());
            }
            gemm.gemm(t, true, l.outChannels(), l.fanIn(), n, delta.segment(), 0, delta.stride(), in.segment(), 0,
                    in.stride(), g.segment(), 0, g.stride(), false);
            if (propagate) {
                gemm.gemm(t, false, n, l.fanIn(), l.outChannels(), delta.segment(), 0, delta.stride(), w.segment(),
                        0, w.stride(), prev.segment(), 0, prev.stride(), false);
            }
        }

        @Override
        public void close() {
            for (DenseMatrix m : new DenseMatrix[] {in, wt, out, delta, prev, g}) {
                m.close();
            }
        }
    }
}
