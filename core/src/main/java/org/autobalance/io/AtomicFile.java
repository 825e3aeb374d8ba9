package org.autobalance.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Replaces a file atomically: the content is written to a temporary file next to the target, forced to disk and then
 * renamed over the target, so the target is either the old file or the complete new one, and a failure leaves no
 * temporary file behind.
 */
final class AtomicFile {
    /** Writes the content of the new file to a channel opened for reading and writing (reading lets it be mapped). */
    @FunctionalInterface
    interface Content {
        void writeTo(FileChannel channel) throws IOException;
    }

    private AtomicFile() {
    }

    static void replace(Path path, Content content) throws IOException {
        Path target = path.toAbsolutePath();
        // Not Files.createTempFile: it creates the file owner-only (0600), and the rename would pass that on.
        Path temp = target.resolveSibling("." + target.getFileName() + "."
                + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                content.writeTo(channel);
                // Without this a crash soon after the rename could leave the new name pointing at unwritten data.
                channel.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException | Error e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }
}
