package org.autobalance.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.function.Function;
import org.autobalance.io.internal.RunLock;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.solve.Checkpoint;
import org.autobalance.solve.internal.CheckpointWriter;
import org.autobalance.testing.SmallFileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The writers on a disk that fills up (a 1 MiB tmpfs; skipped where one cannot be mounted): an IOException naming the
 * file with the system's reason, the earlier file kept whole, no temporary file left. The .npy writer used to store
 * through a mapping of the file, and a full tmpfs answered with SIGBUS: an InternalError with the JVM's stack trace.
 */
class FullDiskTest {
    @TempDir
    Path dir;

    @Test
    void aFullDiskIsAnIOExceptionNamingTheFileAndTheEarlierFileStays() throws Exception {
        try (SmallFileSystem fs = SmallFileSystem.mount(dir.resolve("small"), 1024);
                DenseMatrix big = DenseMatrix.allocate(DType.FLOAT64, 400, 400)) {
            // 1.28 MB of float64 values: more than the file system holds in either format
            for (int i = 0; i < big.rows(); i++) {
                for (int j = 0; j < big.cols(); j++) {
                    big.set(i, j, Math.sin(i * 401.0 + j));
                }
            }
            for (String name : List.of("M.npy", "M.mtx")) {
                Path target = fs.root().resolve(name);
                Files.writeString(target, "earlier");
                IOException e = assertThrows(IOException.class, () -> {
                    if (name.endsWith(".npy")) {
                        Npy.write(target, big);
                    } else {
                        MatrixMarket.write(target, big, null);
                    }
                }, name);
                FileSystemException named = assertInstanceOf(FileSystemException.class, e, name);
                assertEquals(target.toAbsolutePath().toString(), named.getFile(), name);
                assertEquals("No space left on device", named.getReason(), name);
                assertEquals("earlier", Files.readString(target), name);
                Files.delete(target);
                assertEquals(List.of(), listing(fs.root()), name + ": a temporary file was left");
            }
            // a checkpoint that fits, then one that does not: the first must survive the failed write of the second
            Path ck = fs.root().resolve("ck");
            try (DenseMatrix small = DenseMatrix.allocate(DType.FLOAT64, 40, 40)) {
                small.fill(0.5);
                CheckpointWriter.start("test", 7, 1.0, "hash", Map.of(), 1, 0).matrix("U", small).writeTo(ck);
            }
            assertThrows(FileSystemException.class,
                    () -> CheckpointWriter.start("test", 8, 2.0, "hash", Map.of(), 1, 0).matrix("U", big).writeTo(ck));
            assertEquals(7, Checkpoint.load(ck).iteration());
            assertEquals(List.of(ck.resolve(Checkpoint.FILE)), listing(ck));
        }
    }

    private static List<Path> listing(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.toList();
        }
    }

    /**
     * A lock whose file is made but cannot be written (the disk is full: the lock file is created empty, the process
     * id does not fit) is refused, and leaves nothing behind: the empty lock file and the directory made for it were
     * left (a review's finding), in the user's directory for a log's.
     */
    @Test
    void aLockOnAFullDiskIsRefusedAndLeavesNothing() throws Exception {
        try (SmallFileSystem fs = SmallFileSystem.mount(dir.resolve("small"), 64)) {
            Path filler = fs.fill("filler", 0);
            Map<String, Function<Path, RunLock>> locks = Map.of(
                    "output", root -> RunLock.output(root.resolve("out")),
                    "checkpoints", root -> RunLock.checkpoints("--checkpoint", root.resolve("ck")),
                    "log", root -> RunLock.log("--log", root.resolve("logs/.run.jsonl.partial")));
            for (var lock : locks.entrySet()) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> lock.getValue().apply(fs.root()), lock.getKey());
                assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
                try (Stream<Path> left = Files.list(fs.root())) {
                    assertEquals(List.of(filler), left.toList(), lock.getKey());
                }
            }
        }
    }
}
