package org.autobalance.network;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * The layer specification of {@code network --layers} (with the input's feature count and {@code --input-shape})
 * parses to an {@link Architecture} or fails with an {@link IllegalArgumentException} (a usage error on the command
 * line), whatever the text; a parsed architecture's description parses back to itself. Input lines: the spec, the
 * feature count, the shape as C,L or C,H,W (seeds in {@code ArchitectureFuzzTestInputs/layerSpecs/}).
 */
class ArchitectureFuzzTest {
    @FuzzTest(maxDuration = "10s")
    void layerSpecs(byte[] data) {
        String[] lines = new String(data, StandardCharsets.UTF_8).split("\n", -1);
        int features;
        int[] shape = null;
        try {
            features = lines.length > 1 ? Integer.parseInt(lines[1].trim()) : 20;
            if (lines.length > 2 && !lines[2].isBlank()) {
                String[] parts = lines[2].split(",");
                shape = new int[parts.length];
                for (int k = 0; k < parts.length; k++) {
                    shape[k] = Integer.parseInt(parts[k].trim());
                }
            }
        } catch (NumberFormatException notThisTarget) {
            return; // the numbers are the command line's to parse (NetworkCommand), not the architecture's
        }
        try {
            Architecture a = Architecture.parse(lines[0], features, shape);
            assertEquals(a.describe(), Architecture.parse(a.describe(), features, shape).describe(), lines[0]);
        } catch (IllegalArgumentException expected) {
            // documented
        }
    }
}
