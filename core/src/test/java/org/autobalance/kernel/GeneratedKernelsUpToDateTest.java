package org.autobalance.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;
import org.autobalance.testing.Repository;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SIMD kernel classes FloatFused, DoubleFused, FloatFusedLarge, DoubleFusedLarge, FloatGemm, DoubleGemm,
 * FloatSparse, DoubleSparse, FloatSparseLarge and DoubleSparseLarge are generated from the templates in
 * core/src/build/simd/ by core/src/build/GenerateSimdVariants.java. This runs that program's {@code --check} with the
 * JDK running the tests (no other tool needed): it fails when a generated file was edited by hand or a template changed
 * without regenerating. The second test shows that the check can fail.
 */
class GeneratedKernelsUpToDateTest {
    private static final String GENERATOR = "core/src/build/GenerateSimdVariants.java";
    private static final String TEMPLATES = "core/src/build/simd";
    private static final String SOURCES = "core/src/main/java/org/autobalance/kernel/simd";

    @Test
    void committedKernelsEqualTheTemplatesOutput() throws IOException, InterruptedException {
        Path root = Repository.root();
        Result r = check(root, root);
        assertEquals(0, r.exit(), r.output());
    }

    @Test
    void checkNamesAHandEditedKernel(@TempDir Path copy) throws IOException, InterruptedException {
        Path root = Repository.root();
        for (String dir : new String[] {TEMPLATES, SOURCES}) {
            Files.createDirectories(copy.resolve(dir));
            try (Stream<Path> files = Files.list(root.resolve(dir))) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Files.copy(f, copy.resolve(dir).resolve(f.getFileName()));
                }
            }
        }
        Result clean = check(root, copy);
        assertEquals(0, clean.exit(), "the unmodified copy: " + clean.output());
        Files.writeString(copy.resolve(SOURCES).resolve("DoubleFusedLarge.java"), "// edited by hand\n",
                StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        Result edited = check(root, copy);
        assertEquals(1, edited.exit(), edited.output());
        assertTrue(edited.output().contains("DoubleFusedLarge.java") && !edited.output().contains("FloatFused.java"),
                edited.output());
    }

    private record Result(int exit, String output) {
    }

    /** Runs the generator's check on the tree under {@code tree} with the JDK of this test. */
    private static Result check(Path root, Path tree) throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), root.resolve(GENERATOR).toString(), "--check", "--root",
                tree.toString()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(p.waitFor(), output);
    }
}
