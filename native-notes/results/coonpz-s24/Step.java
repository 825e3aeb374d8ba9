import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import org.autobalance.kernel.FactorKernels;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;

/** Thread CPU time of float64 gradientStep over 100 000 rows at ranks 1, 3, 5, 4 (η = 0: X stays as it is). */
public class Step {
    public static void main(String[] a) {
        FactorKernels k = KernelProvider.simd();
        var threads = ManagementFactory.getThreadMXBean();
        int d1 = 100_000;
        for (int r : new int[] {1, 3, 5, 4}) {
            SparseFill f = new SparseFill(d1 * r);
            try (DenseMatrix x = DenseMatrix.copyOf(DType.FLOAT64, d1, r, f.values, DenseMatrix.Order.ROW_MAJOR);
                    DenseMatrix p = DenseMatrix.copyOf(DType.FLOAT64, d1, r, f.values, DenseMatrix.Order.ROW_MAJOR)) {
                double[] g = new SparseFill(r * r).values;
                double sink = 0;
                for (int w = 0; w < 200; w++) {
                    sink += k.gradientStep(x, p, g, 0.0, 0, d1);
                }
                long best = Long.MAX_VALUE;
                for (int round = 0; round < 5; round++) {
                    long t = threads.getCurrentThreadCpuTime();
                    for (int n = 0; n < 50; n++) {
                        sink += k.gradientStep(x, p, g, 0.0, 0, d1);
                    }
                    best = Math.min(best, threads.getCurrentThreadCpuTime() - t);
                }
                System.out.printf("r %d: %.3f ms a step (best of 5 x 50) sink %s%n", r, best / 50e6, sink);
            }
        }
    }

    private static final class SparseFill {
        final double[] values;

        SparseFill(int n) {
            values = new SplittableRandom(n).doubles(n, -1, 1).toArray();
        }
    }
}
