package org.autobalance.consumer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.DenseMatrix.Order;
import org.autobalance.solve.Factorizer;
import org.autobalance.solve.Result;
import org.autobalance.solve.StopReason;
import org.autobalance.testing.ChildJvm;
import org.junit.jupiter.api.Test;

/**
 * The core module as a consumer on the module path sees it: the five API packages usable with no JVM flag but
 * (optionally) {@code --add-modules jdk.incubator.vector}, the internals closed, and the SIMD kernels only when the
 * vector module is resolved. Each case is a child JVM whose module path holds only the core module and whose class
 * path holds only this test's classes (a package of its own, not split with the module's).
 */
class ModuleConsumerTest {

    /** Uses the API, then tries an internal class; prints what it saw, one fact per line. */
    public static final class Probe {
        public static void main(String[] args) throws Exception {
            System.out.println("module " + Factorizer.class.getModule().getName());
            int rows = 30;
            int cols = 20;
            float[] flat = new float[rows * cols];
            // exactly rank 2: the sum of two outer products
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    flat[i * cols + j] = (float) (Math.sin(i + 1) * Math.cos(j) + 0.5 * (i % 3) * (j % 5 - 2));
                }
            }
            try (DenseMatrix m = DenseMatrix.copyOf(DType.FLOAT32, rows, cols, flat, Order.ROW_MAJOR);
                    Result r = Factorizer.builder(m, 2).maxIterations(20_000).build().run()) {
                float[] u = new float[rows * 2];
                r.u().copyTo(u, Order.ROW_MAJOR);
                System.out.println("kernels " + r.kernels());
                System.out.println("stop " + (r.stopReason() == StopReason.CONVERGED ? "converged" : r.stopReason()));
                System.out.println("relerr " + r.relativeError());
            }
            try {
                Class.forName("org.autobalance.kernel.KernelProvider").getMethod("kernels").invoke(null);
                System.out.println("internal open");
            } catch (IllegalAccessException expected) {
                System.out.println("internal closed");
            }
        }
    }

    private static String location(Class<?> c) throws Exception {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    private static String run(boolean vectorModule) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        if (vectorModule) {
            cmd.add("--add-modules=jdk.incubator.vector");
        }
        cmd.add("--module-path");
        cmd.add(location(Factorizer.class));
        cmd.add("--add-modules=org.autobalance.core");
        cmd.add("-cp");
        cmd.add(location(Probe.class));
        cmd.add(Probe.class.getName());
        return ChildJvm.run(cmd, Duration.ofMinutes(2));
    }

    private static void assertApiWorks(String out) {
        assertTrue(out.contains("module org.autobalance.core\n"), out);
        assertTrue(out.contains("stop converged\n"), out);
        // an exactly rank-2 matrix fitted at rank 2: converged means the error is down at float32 rounding (u ≈ 6e-8
        // per entry; the gradient tolerance 1e-5 leaves a residual well below 1e-4)
        double relerr = Double.parseDouble(out.lines().filter(l -> l.startsWith("relerr ")).findFirst()
                .orElseThrow().substring("relerr ".length()));
        assertTrue(relerr < 1e-4, out);
        assertTrue(out.contains("internal closed\n"), out);
    }

    @Test
    void onTheModulePathWithTheVectorModule() throws Exception {
        String out = run(true);
        assertApiWorks(out);
        assertTrue(out.contains("kernels simd-"), out);
    }

    @Test
    void onTheModulePathWithoutIt() throws Exception {
        String out = run(false);
        assertApiWorks(out);
        assertTrue(out.contains("kernels scalar\n") && out.contains("--add-modules jdk.incubator.vector"), out);
    }

    @Test
    void theProbeItselfRunsOnTheClassPath() throws Exception {
        // the same probe in this JVM (class path, as the cli and the benchmarks use core): everything is open there
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        java.io.PrintStream old = System.out;
        System.setOut(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            Probe.main(new String[0]);
        } finally {
            System.setOut(old);
        }
        String out = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(out.contains("stop converged\n") && out.contains("internal open\n"), out);
    }
}
