package org.autobalance.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive lock on a directory that one run writes into for its whole length — its checkpoints — held on the
 * file {@value #FILE} in it, which names the process holding it. Two runs given the same checkpoint directory (the
 * same command started twice, a restart script firing while the run still lives) replaced each other's checkpoints,
 * and one of them failed at its next write (both used the same temporary name), exit 1 and its results lost; now the
 * second is refused before it reads its input. The system releases the lock when the process ends however it ends
 * ({@code kill -9} included), so a lock is never stale; the file stays, empty of meaning once unlocked.
 */
final class DirectoryLock implements AutoCloseable {
    static final String FILE = ".lock";

    private final FileChannel channel;
    private final FileLock lock;

    private DirectoryLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** Locks {@code dir} (made when missing) for this process; {@code option} names it in a refusal. */
    static DirectoryLock acquire(String option, Path dir) {
        try {
            Files.createDirectories(dir);
            FileChannel channel = FileChannel.open(dir.resolve(FILE), StandardOpenOption.CREATE,
                    StandardOpenOption.READ, StandardOpenOption.WRITE);
            try {
                FileLock lock;
                try {
                    lock = channel.tryLock();
                } catch (OverlappingFileLockException inThisProcess) {
                    lock = null;
                }
                if (lock == null) {
                    ByteBuffer holder = ByteBuffer.allocate(32);
                    channel.read(holder, 0);
                    String pid = new String(holder.array(), 0, holder.position(), StandardCharsets.US_ASCII).strip();
                    throw new UsageException(option + " " + dir + ": another run is writing its checkpoints there"
                            + (pid.isEmpty() ? "" : " (process " + pid + ")") + "; wait for it to end, or give "
                            + "another directory", null);
                }
                channel.truncate(0);
                channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n")
                        .getBytes(StandardCharsets.US_ASCII)), 0);
                return new DirectoryLock(channel, lock);
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
        } catch (IOException e) {
            throw new UsageException(option + " " + dir + ": cannot write there (" + SolverRun.reason(e) + ")", e);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
