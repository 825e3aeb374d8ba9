package org.autobalance.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The incubating Vector API may be named only in {@code org.autobalance.kernel.simd}: everywhere else the engine must
 * load and run on a JVM without {@code --add-modules jdk.incubator.vector} (Lucene keeps the same rule).
 */
class VectorImportConfinementTest {
    private static final Path SOURCES = Path.of("src", "main", "java");
    private static final Path ALLOWED = SOURCES.resolve(Path.of("org", "autobalance", "kernel", "simd"));

    @Test
    void vectorApiIsNamedOnlyInTheSimdPackage() throws IOException {
        assertTrue(Files.isDirectory(SOURCES), "run from the core module directory: " + SOURCES.toAbsolutePath());
        List<String> offenders;
        try (Stream<Path> files = Files.walk(SOURCES)) {
            offenders = files.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> !p.getParent().equals(ALLOWED))
                    .filter(VectorImportConfinementTest::usesVectorApi)
                    .map(Path::toString)
                    .toList();
        }
        assertEquals(List.of(), offenders, "jdk.incubator.vector used outside " + ALLOWED);
    }

    @Test
    void simdPackageExists() {
        assertTrue(Files.isDirectory(ALLOWED), "expected the SIMD kernels in " + ALLOWED);
    }

    /**
     * An import of the package (or of a member) or a fully qualified type name; the module name alone, as a string
     * (KernelProvider checks for the module), is fine.
     */
    private static final Pattern USE = Pattern.compile(
            "(?m)^\\s*import\\s+(static\\s+)?jdk\\.incubator\\.vector\\b|jdk\\.incubator\\.vector\\.\\p{Upper}");

    private static boolean usesVectorApi(Path p) {
        try {
            return USE.matcher(Files.readString(p)).find();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void patternRecognisesImportsAndQualifiedNames() {
        assertTrue(USE.matcher("package x;\nimport jdk.incubator.vector.FloatVector;\n").find());
        assertTrue(USE.matcher("import static jdk.incubator.vector.VectorOperators.ADD;").find());
        assertTrue(USE.matcher("var s = jdk.incubator.vector.FloatVector.SPECIES_256;").find());
        assertFalse(USE.matcher("String MODULE = \"jdk.incubator.vector\";").find());
    }
}
