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
 * An exclusive lock on something one run writes for its whole length — its checkpoint directory, its staged
 * {@code --log} — held on a lock file that names the process holding it. Two runs given the same checkpoint directory
 * (the same command started twice, a restart script firing while the run still lives) replaced each other's
 * checkpoints, and one of them failed at its next write (both used the same temporary name), exit 1 and its results
 * lost; two given the same log truncated each other's staged records. Now the second is refused before it reads its
 * input. The system releases the lock when the process ends however it ends ({@code kill -9} included), so a lock is
 * never stale.
 */
final class RunLock implements AutoCloseable {
    /** The lock file of a checkpoint directory, which stays there (the directory is the run's own). */
    static final String CHECKPOINT_FILE = ".lock";

    private final FileChannel channel;
    private final FileLock lock;
    /** The lock file, removed when the lock is let go, or null to leave it. */
    private final Path removeOnClose;

    private RunLock(FileChannel channel, FileLock lock, Path removeOnClose) {
        this.channel = channel;
        this.lock = lock;
        this.removeOnClose = removeOnClose;
    }

    /** Locks checkpoint directory {@code dir} (made when missing) for this process; {@code option} names it. */
    static RunLock checkpoints(String option, Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UsageException(option + " " + dir + ": cannot write there (" + SolverRun.reason(e) + ")", e);
        }
        return acquire(option + " " + dir, dir.resolve(CHECKPOINT_FILE), "writing its checkpoints there", "directory",
                false);
    }

    /**
     * Locks the log staged at {@code staging} (beside it, in {@code .NAME.lock}, removed when the run ends: the log's
     * directory is the user's); {@code shown} is the option and its value, for a refusal.
     */
    static RunLock log(String shown, Path staging) {
        String name = staging.getFileName().toString();
        Path file = staging.resolveSibling(name.substring(0, name.length() - ".partial".length()) + ".lock");
        return acquire(shown, file, "writing this log", "file", true);
    }

    private static RunLock acquire(String shown, Path file, String doing, String another, boolean remove) {
        try {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
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
                    throw new UsageException(shown + ": another run is " + doing + (pid.isEmpty() ? ""
                            : " (process " + pid + ")") + "; wait for it to end, or give another " + another,
                            null);
                }
                channel.truncate(0);
                channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n")
                        .getBytes(StandardCharsets.US_ASCII)), 0);
                return new RunLock(channel, lock, remove ? file : null);
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
        } catch (IOException e) {
            throw new UsageException(shown + ": cannot write " + file + " (" + SolverRun.reason(e) + ")", e);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            if (removeOnClose != null) {
                // removed while still held: a run starting now finds the lock taken or the file gone, never a file
                // that looks free while this run still writes
                Files.deleteIfExists(removeOnClose);
            }
            lock.release();
        } finally {
            channel.close();
        }
    }
}
