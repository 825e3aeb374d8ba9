package org.autobalance.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.DenseMatrix.Order;
import org.autobalance.solve.Factorizer;
import org.autobalance.solve.Result;
import org.autobalance.solve.StopReason;
import org.autobalance.testing.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

    /**
     * An application that is a named module itself ({@code requires org.autobalance.core}), compiled as a user's build
     * compiles it, with {@code -Xlint:all -Werror}: it must compile without a word. The core module required
     * {@code jdk.incubator.vector} ({@code requires static}), and javac resolves such a module for every module that
     * reads core, so each modular user got "using incubating module(s): jdk.incubator.vector", an error under
     * {@code -Werror}. Then it runs on the module path alone, with and without the vector module.
     */
    @Test
    void aNamedModuleRequiringCoreCompilesCleanlyAndRuns(@TempDir Path dir) throws Exception {
        Path src = dir.resolve("src");
        write(src.resolve("module-info.java"), "module com.example.app { requires org.autobalance.core; }");
        write(src.resolve("com/example/app/Main.java"), """
                package com.example.app;

                import org.autobalance.memory.DType;
                import org.autobalance.memory.DenseMatrix;
                import org.autobalance.solve.Factorizer;
                import org.autobalance.solve.Result;

                public final class Main {
                    private Main() {
                    }

                    public static void main(String[] args) {
                        double[][] a = new double[20][10];
                        for (int i = 0; i < 20; i++) {
                            for (int j = 0; j < 10; j++) {
                                a[i][j] = (i + 1) * (j + 2); // rank 1
                            }
                        }
                        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, a);
                                Result r = Factorizer.builder(m, 1).maxIterations(20_000).build().run()) {
                            System.out.println("kernels " + r.kernels());
                            System.out.println("stop " + r.stopReason());
                        }
                    }
                }
                """);
        Path classes = dir.resolve("classes");
        assertEquals("", compile(src, classes), "javac's diagnostics");
        for (boolean vectorModule : new boolean[] {true, false}) {
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            if (vectorModule) {
                cmd.add("--add-modules=jdk.incubator.vector");
            }
            cmd.addAll(List.of("--module-path", location(Factorizer.class) + java.io.File.pathSeparator + classes,
                    "-m", "com.example.app/com.example.app.Main"));
            String out = ChildJvm.run(cmd, Duration.ofMinutes(2));
            assertTrue(out.contains("stop CONVERGED\n"), out);
            assertTrue(out.contains(vectorModule ? "kernels simd-" : "kernels scalar\n"), out);
        }
    }

    /**
     * The internals are closed to a named module at compile time, not only to reflection: the run locks and the file
     * helpers of {@code io.internal}, the solvers' bookkeeping of {@code solve.internal} (public in {@code solve}
     * until the fourteenth session), the kernels and the worker team.
     */
    @Test
    void aNamedModuleCannotCompileAgainstTheInternals(@TempDir Path dir) throws Exception {
        for (String internal : List.of("org.autobalance.io.internal.RunLock",
                "org.autobalance.solve.internal.IterationMonitor", "org.autobalance.kernel.KernelProvider",
                "org.autobalance.kernel.simd.SimdKernels", "org.autobalance.parallel.ParallelPass")) {
            Path src = dir.resolve(internal);
            write(src.resolve("module-info.java"), "module com.example.app { requires org.autobalance.core; }");
            write(src.resolve("com/example/app/Main.java"), "package com.example.app;\n\npublic final class Main {\n"
                    + "    private Main() {\n    }\n\n    static Class<?> internal() {\n        return " + internal
                    + ".class;\n    }\n}\n");
            String diagnostics = compile(src, dir.resolve(internal + ".classes"));
            String pkg = internal.substring(0, internal.lastIndexOf('.'));
            assertTrue(diagnostics.contains("package " + pkg + " is not visible"), internal + ": " + diagnostics);
        }
    }

    /**
     * Compiles the module in {@code src} with this JDK's {@code javac}, against the core module alone, as a strict
     * build would; its diagnostics.
     */
    private static String compile(Path src, Path classes) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "javac").toString(),
                "-Xlint:all", "-Werror", "--module-path", location(Factorizer.class), "-d", classes.toString()));
        try (Stream<Path> files = Files.walk(src)) {
            files.filter(f -> f.toString().endsWith(".java")).forEach(f -> cmd.add(f.toString()));
        }
        Path diagnostics = src.resolveSibling(src.getFileName() + ".javac");
        Process javac = ChildJvm.start(cmd, diagnostics);
        assertTrue(javac.waitFor(2, TimeUnit.MINUTES), "javac did not end");
        return Files.readString(diagnostics);
    }

    private static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
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
