package org.autobalance.surface;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.autobalance.testing.Repository;
import org.junit.jupiter.api.Test;

/**
 * The project's sources keep to lines of at most 120 characters (its one layout rule, kept by hand until 42 lines over
 * it had accumulated): every Java file and kernel template of the checkout outside build outputs. Characters, not
 * bytes: the comments use Unicode (η, σ₁, ‖·‖), which a byte count takes for longer lines than they are.
 */
class SourceLinesTest {
    private static final int LIMIT = 120;

    @Test
    void everySourceLineIsAtMost120Characters() throws IOException {
        Path root = Repository.root();
        List<String> over = new ArrayList<>();
        int files = 0;
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path file : walk.filter(p -> isSource(root.relativize(p)) && Files.isRegularFile(p)).toList()) {
                files++;
                List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
                for (int i = 0; i < lines.size(); i++) {
                    int length = lines.get(i).codePointCount(0, lines.get(i).length());
                    if (length > LIMIT) {
                        over.add(root.relativize(file) + ":" + (i + 1) + " (" + length + ")");
                    }
                }
            }
        }
        assertTrue(files > 100, "only " + files + " source files found under " + root + ": the walk missed them");
        assertTrue(over.isEmpty(), over.size() + " lines over " + LIMIT + " characters:\n" + String.join("\n", over));
    }

    /**
     * Whether {@code relative} (to the root: the folders above the checkout do not count) names a Java source or kernel
     * template of the project, not one under a build output, the git directory or node_modules.
     */
    private static boolean isSource(Path relative) {
        String name = String.valueOf(relative.getFileName());
        return (name.endsWith(".java") || name.endsWith(".template")) && !Repository.isBuildOutput(relative);
    }
}
