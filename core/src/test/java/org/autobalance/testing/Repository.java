package org.autobalance.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** The checkout the tests run in, for tests that read the project's own files (sources, templates, JIT options). */
public final class Repository {
    private static final String MARKER = "core/src/build/GenerateSimdVariants.java";

    private Repository() {
    }

    /**
     * The repository root: the nearest directory above the working directory (a module's, where surefire runs) that
     * holds the kernel generator.
     *
     * @throws IllegalStateException if there is none (the tests run outside a checkout)
     */
    public static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve(MARKER))) {
                return p;
            }
        }
        throw new IllegalStateException(MARKER + " not found above " + Path.of("").toAbsolutePath());
    }

    /**
     * Whether {@code relative} (to the root: the folders above the checkout do not count) lies under a build output,
     * the git directory or node_modules, which hold copies and generated files rather than the project's own.
     */
    public static boolean isBuildOutput(Path relative) {
        for (Path part : relative) {
            String s = part.toString();
            if (s.equals("target") || s.equals(".git") || s.equals("node_modules")) {
                return true;
            }
        }
        return false;
    }
}
