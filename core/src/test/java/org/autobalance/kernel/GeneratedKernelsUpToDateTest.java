package org.autobalance.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * DoubleFused, FloatFusedLarge and DoubleFusedLarge are generated from FloatFused, and DoubleGemm from FloatGemm, by
 * core/src/build/gen-simd-variants.py; this fails when one was edited by hand or its source changed without
 * regenerating.
 */
class GeneratedKernelsUpToDateTest {

    @Test
    void generatedSimdKernelsMatchTheirSource() throws IOException, InterruptedException {
        Path script = Path.of("src/build/gen-simd-variants.py").toAbsolutePath();
        assumeTrue(Files.exists(script), "not run from the core module directory");
        Process p;
        try {
            p = new ProcessBuilder("python3", script.toString(), "--check").redirectErrorStream(true).start();
        } catch (IOException noPython) {
            assumeTrue(false, "python3 is not installed: " + noPython.getMessage());
            return;
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), output);
    }
}
