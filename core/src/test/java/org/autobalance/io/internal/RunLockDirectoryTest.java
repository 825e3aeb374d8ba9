package org.autobalance.io.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The directories a lock makes for its file, and a file where a directory was asked for. */
class RunLockDirectoryTest {
    @TempDir
    Path dir;

    /**
     * A checkpoint directory given as the path of a file (a library caller's mistake) is refused, and the file kept:
     * it was deleted, as a directory the lock had made (it was "not a directory", so taken for one to be made).
     */
    @Test
    void aFileWhereTheDirectoryShouldBeIsRefusedAndKept() throws IOException {
        Path file = Files.writeString(dir.resolve("results.csv"), "precious");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RunLock.forSolver(file));
        assertEquals("checkpoint directory " + file + ": exists and is not a directory", e.getMessage());
        assertEquals("precious", Files.readString(file));
    }

    /** A dangling link where the directory should be is the user's too: refused, and kept. */
    @Test
    void aDanglingLinkWhereTheDirectoryShouldBeIsKept() throws IOException {
        Path link = Files.createSymbolicLink(dir.resolve("ck"), dir.resolve("gone"));
        assertThrows(IllegalArgumentException.class, () -> RunLock.checkpoints("--checkpoint", link));
        assertTrue(Files.isSymbolicLink(link));
    }

    /**
     * {@code --out new1/new2} makes both directories; a run that wrote nothing there removes both (new1 was left), and
     * a directory that came to hold something else meanwhile stays.
     */
    @Test
    void everyDirectoryMadeForTheLockGoesWhenNothingWasWritten() throws IOException {
        Path out = dir.resolve("new1/new2/new3");
        RunLock.output(out).close();
        assertFalse(Files.exists(dir.resolve("new1")), "new1 left");
        try (RunLock _ = RunLock.output(out)) {
            Files.writeString(dir.resolve("new1/notes.txt"), "mine");
        }
        assertFalse(Files.exists(dir.resolve("new1/new2")), "new2 left");
        assertEquals("mine", Files.readString(dir.resolve("new1/notes.txt")));
    }
}
