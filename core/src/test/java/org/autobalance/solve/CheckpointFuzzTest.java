package org.autobalance.solve;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * A checkpoint file is checked by its SHA-256 first, so random bytes stop there; this target appends the right digest
 * to its input, so that the parser behind the checksum is fuzzed: any such file loads as a {@link Checkpoint} whose
 * accessors all answer, or fails with an {@link IOException} — never another exception (seeds: a checkpoint of a
 * small factorisation, without its digest, in {@code CheckpointFuzzTestInputs/digestedBytes/}).
 */
class CheckpointFuzzTest {
    private static final Path DIR = temporaryDirectory();

    private static Path temporaryDirectory() {
        try {
            Path d = Files.createTempDirectory("checkpoint-fuzz");
            d.toFile().deleteOnExit();
            return d;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "10s")
    void digestedBytes(byte[] data) throws IOException, NoSuchAlgorithmException {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(data);
        byte[] file = Arrays.copyOf(data, data.length + digest.length);
        System.arraycopy(digest, 0, file, data.length, digest.length);
        Path path = DIR.resolve(Checkpoint.FILE);
        Files.write(path, file);
        Checkpoint c;
        try {
            c = Checkpoint.load(DIR);
        } catch (IOException expected) {
            return;
        } finally {
            Files.delete(path);
        }
        assertTrue(c.iteration() >= 0 && c.seconds() >= 0 && c.kind() != null && c.inputHash() != null);
        c.configuration();
        c.policy();
    }
}
