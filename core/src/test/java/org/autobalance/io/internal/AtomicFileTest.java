package org.autobalance.io.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A write that fails part-way (a full disk) names its file, keeps the earlier one and leaves no temporary file; a
 * target that is not a regular file is refused before the write.
 */
class AtomicFileTest {
    @TempDir
    Path dir;

    @Test
    void aWriteFailingPartWayNamesTheFileAndKeepsTheEarlierOne() throws IOException {
        Path target = dir.resolve("U.npy");
        Files.writeString(target, "earlier");
        // what write(2) says when the disk fills after part of the file: an IOException naming no file
        FileSystemException e = assertThrows(FileSystemException.class, () -> AtomicFile.replace(target, channel -> {
            channel.write(ByteBuffer.wrap(new byte[1000]));
            throw new IOException("No space left on device");
        }));
        assertEquals(target.toAbsolutePath().toString(), e.getFile());
        assertEquals("No space left on device", e.getReason());
        assertEquals("earlier", Files.readString(target));
        assertEquals(List.of(target), listing());
    }

    /** The directory removed while the file was written (a user's rm -rf): the target is named, not the temporary. */
    @Test
    void aTemporaryFileRemovedMeanwhileIsReportedAsTheTarget() throws IOException {
        Path target = dir.resolve("U.mtx");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> AtomicFile.replace(target, channel -> {
            for (Path p : listing()) {
                Files.delete(p);
            }
        }));
        assertEquals(target.toAbsolutePath().toString(), e.getFile());
        assertEquals("No such file or directory", e.getReason());
    }

    @Test
    void aFailureThatNamesItsFileIsPassedOn() throws IOException {
        Path target = dir.resolve("V.npy");
        FileSystemException own = new FileSystemException("elsewhere", null, "Input/output error");
        assertSame(own, assertThrows(FileSystemException.class, () -> AtomicFile.replace(target, channel -> {
            throw own;
        })));
        assertEquals(List.of(), listing());
    }

    /**
     * A target that is not a regular file is refused before anything is written, the file left as it was: the rename
     * put a regular file in its place (as root, {@code Npy.write} to /dev/null replaced the device node). A named pipe
     * stands for the device here (a test must not touch /dev), reached directly and through a link.
     */
    @Test
    void aTargetThatIsNotARegularFileIsRefusedAndKept() throws IOException, InterruptedException {
        Path fifo = dir.resolve("pipe.npy");
        assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0, "mkfifo is needed");
        Path link = Files.createSymbolicLink(dir.resolve("link.npy"), fifo);
        for (Path target : List.of(fifo, link)) {
            FileSystemException e = assertThrows(FileSystemException.class,
                    () -> AtomicFile.replace(target, channel -> {
                        throw new AssertionError("written into a temporary file beside " + target);
                    }));
            assertEquals(target.toAbsolutePath().toString(), e.getFile());
            assertEquals("is a named pipe, not a regular file: the new file, written beside it and renamed over it, "
                    + "would replace it; give a file name", e.getReason());
        }
        assertTrue(Files.readAttributes(fifo, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther());
        assertTrue(Files.isSymbolicLink(link));
        assertEquals(List.of(link, fifo), listing().stream().sorted().toList());
    }

    /** A directory: refused before the write (the rename failed only after the whole file was written and forced). */
    @Test
    void aDirectoryIsRefusedBeforeTheWrite() throws IOException {
        Path target = Files.createDirectory(dir.resolve("out.npy"));
        FileSystemException e = assertThrows(FileSystemException.class, () -> AtomicFile.replace(target, channel -> {
            throw new AssertionError("written into a temporary file beside " + target);
        }));
        assertEquals(target.toAbsolutePath().toString(), e.getFile());
        assertTrue(e.getReason().startsWith("is a directory, not a regular file"), e.getReason());
        assertEquals(List.of(target), listing());
    }

    private List<Path> listing() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.toList();
        }
    }
}
