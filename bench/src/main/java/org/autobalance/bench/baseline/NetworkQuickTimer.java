package org.autobalance.bench.baseline;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Locale;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.network.Architecture;
import org.autobalance.network.Parameters;
import org.autobalance.network.TrainingStep;

/**
 * A development timer for the network step (not a substitute for JMH): the engine and the OpenBLAS composition of
 * {@link NetworkStepBenchmark}, one thread, alternated in one process, reporting the minimum thread CPU time per
 * part — on a shared, overloaded machine the steadiest statistic for a ratio. Publish JMH numbers.
 *
 * <p>A layer part is timed on its second of two consecutive calls, the step on its only one (see the loop).
 *
 * <p>Usage: {@code java ... -cp benchmarks.jar org.autobalance.bench.baseline.NetworkQuickTimer float32 256 [reps]}
 */
public final class NetworkQuickTimer {
    private NetworkQuickTimer() {
    }

    public static void main(String[] args) throws Exception {
        DType t = DType.parse(args[0]);
        int width = Integer.parseInt(args[1]);
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        int n = 4096;
        var bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Architecture arch = Architecture.parse("dense:" + width + ",relu,dense:" + width + ",relu,dense:5", 20, null);
        OpenBlas.setThreads(1);
        try (DenseMatrix x = NetworkStepBenchmark.gaussian(t, n, 20, 1, 1.0);
                DenseMatrix y = NetworkStepBenchmark.gaussian(t, n, 5, 2, 1.0);
                Parameters p = new Parameters(arch, t, false)) {
            for (int h = 1; h <= 3; h++) {
                try (DenseMatrix w = NetworkStepBenchmark.gaussian(t, p.weights(h).rows(), p.weights(h).cols(), h,
                        0.1)) {
                    p.weights(h).copyFrom(w);
                }
            }
            String[] names = {"engine step", "openblas step", "engine layer1", "openblas layer1", "engine layer2",
                "openblas layer2", "engine layer3", "openblas layer3"};
            long[][] cpu = new long[names.length][reps];
            try (TrainingStep engine = new TrainingStep(x, y, p, 1);
                    OpenBlasNetwork blas = new OpenBlasNetwork(x, y, p);
                    NetworkStepBenchmark.EngineLayer l1 = new NetworkStepBenchmark.EngineLayer(KernelProvider.gemm(),
                            t, n, arch.layer(1), p.weights(1), false);
                    NetworkStepBenchmark.EngineLayer l2 = new NetworkStepBenchmark.EngineLayer(KernelProvider.gemm(),
                            t, n, arch.layer(2), p.weights(2), true);
                    NetworkStepBenchmark.EngineLayer l3 = new NetworkStepBenchmark.EngineLayer(KernelProvider.gemm(),
                            t, n, arch.layer(3), p.weights(3), true)) {
                NetworkStepBenchmark.EngineLayer[] layers = {l1, l2, l3};
                blas.lossAndGradients();
                // warm up for at least 4 s on the real shapes (C2 must have compiled every kernel: performance.md)
                long warm = System.nanoTime() + 4_000_000_000L;
                int rep = -1;
                while (rep < reps) {
                    if (rep < 0 && System.nanoTime() >= warm) {
                        rep = 0;
                    }
                    for (int k = 0; k < names.length; k++) {
                        // a layer part runs once untimed first, so that both sides find their operands where the
                        // part's own previous call left them (as in JMH's loop): timed after the other parts, the
                        // engine's layer read inputs untouched for a whole round while OpenBLAS's layer h read
                        // activations its layer h - 1 part had just written (the 64 -> 5 float64 layer: 0.94 ms
                        // against 0.57 that way, 0.43 against 0.47 each in a warm loop)
                        for (int run = k < 2 ? 1 : 0; run < 2; run++) {
                            long c0 = bean.getCurrentThreadCpuTime();
                            part(k, engine, blas, layers);
                            if (run == 1 && rep >= 0) {
                                cpu[k][rep] = bean.getCurrentThreadCpuTime() - c0;
                            }
                        }
                    }
                    if (rep >= 0) {
                        rep++;
                    }
                }
            }
            System.out.printf(Locale.ROOT, "%s width %d n %d, %s kernels, min / median thread CPU ms over %d%n",
                    t.label(), width, n, KernelProvider.gemm().name(), reps);
            for (int k = 0; k < names.length; k++) {
                long[] c = cpu[k].clone();
                Arrays.sort(c);
                System.out.printf(Locale.ROOT, "%-18s %9.3f %9.3f%n", names[k], c[0] / 1e6, c[reps / 2] / 1e6);
            }
        }
    }

    /** Part k of {@link #main}'s names: the two steps, then each layer by the engine and by OpenBLAS. */
    private static void part(int k, TrainingStep engine, OpenBlasNetwork blas,
            NetworkStepBenchmark.EngineLayer[] layers) {
        switch (k) {
            case 0 -> engine.lossAndGradients();
            case 1 -> blas.lossAndGradients();
            default -> {
                int h = (k - 2) / 2 + 1;
                if (k % 2 == 0) {
                    layers[h - 1].run();
                } else {
                    blas.forward(h);
                    blas.backward(h);
                }
            }
        }
    }
}
