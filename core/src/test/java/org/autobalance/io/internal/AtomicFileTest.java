package org.autobalance.io.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A write that fails part-way (a full disk) names its file, keeps the earlier one and leaves no temporary file. */
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

    private List<Path> listing() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.toList();
        }
    }
}
