package org.autobalance.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive lock on something one run writes for its whole length — its checkpoint directory, its staged
 * {@code --log} — held on a lock file that names the process holding it. Two runs given the same checkpoint directory
 * (the same command started twice, a restart script firing while the run still lives) replaced each other's
 * checkpoints, and one of them failed at its next write (both used the same temporary name), exit 1 and its results
 * lost; two given the same log truncated each other's staged records; two given the same {@code --out} could leave
 * one run's U beside the other's V and summary. Now the second is refused, before it reads its input
 * ({@link Destinations}). The system releases the lock when the process ends however it ends ({@code kill -9}
 * included), so a lock is never stale; a lock file left by a killed run is taken over by the next.
 */
public final class RunLock implements AutoCloseable {
    /**
     * The lock file of a checkpoint directory. It stays there once the directory holds a checkpoint (the directory is
     * the run's own); a run that ends before writing one removes it, and the directory too if the run made it, so that
     * a run refused for its input leaves nothing behind.
     */
    static final String CHECKPOINT_FILE = ".lock";
    /** The lock file of an output directory, removed when the run ends (another name than a checkpoint's: one
     * directory may be both). */
    static final String OUTPUT_FILE = ".autobalance-out.lock";
    /** Attempts at a lock file that its holder removed between this process's open and lock (see acquire). */
    private static final int ATTEMPTS = 5;

    private final FileChannel channel;
    /** The lock file opened again by its name, to read it back; closed only after the lock is let go (see acquire). */
    private final FileChannel named;
    private final FileLock lock;
    private final Path file;
    /**
     * Whether the lock file is removed when the lock is let go (a log's and an output directory's always, a checkpoint
     * directory's if the directory holds nothing else).
     */
    private final boolean removeAlways;
    /** The directory of the lock file if this run made it, removed at the end if it holds nothing else; else null. */
    private final Path madeDirectory;

    private RunLock(FileChannel channel, FileChannel named, FileLock lock, Path file, boolean removeAlways,
            Path madeDirectory) {
        this.channel = channel;
        this.named = named;
        this.lock = lock;
        this.file = file;
        this.removeAlways = removeAlways;
        this.madeDirectory = madeDirectory;
    }

    /** Locks checkpoint directory {@code dir} (made when missing) for this process; {@code option} names it. */
    static RunLock checkpoints(String option, Path dir) {
        return inDirectory(option + " " + dir, dir, CHECKPOINT_FILE, "writing its checkpoints there", false);
    }

    /** Locks output directory {@code dir} ({@code --out}, made when missing) for this process. */
    static RunLock output(Path dir) {
        return inDirectory("--out " + dir, dir, OUTPUT_FILE, "writing its results there", true);
    }

    /**
     * Locks {@code dir} (made when missing; then removed again at the end if it holds nothing else) on its lock file
     * {@code name}; {@code shown} is the option and its value, for a refusal.
     */
    private static RunLock inDirectory(String shown, Path dir, String name, String doing, boolean removeAlways) {
        boolean made = !Files.isDirectory(dir);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UsageException(shown + ": cannot write there (" + SolverRun.reason(e) + ")", e);
        }
        try {
            return acquire(shown, dir.resolve(name), doing, "directory", removeAlways, made ? dir : null);
        } catch (RuntimeException e) {
            if (made) {
                try {
                    Files.deleteIfExists(dir);
                } catch (IOException cleanup) {
                    e.addSuppressed(cleanup);
                }
            }
            throw e;
        }
    }

    /**
     * Locks the log staged at {@code staging} (beside it, in {@code .NAME.lock}, removed when the run ends: the log's
     * directory is the user's); {@code shown} is the option and its value, for a refusal; {@code madeDirectory} is
     * the log's directory if this run made it (removed at the end if the run wrote nothing there), else null.
     */
    static RunLock log(String shown, Path staging, Path madeDirectory) {
        String name = staging.getFileName().toString();
        Path file = staging.resolveSibling(name.substring(0, name.length() - ".partial".length()) + ".lock");
        return acquire(shown, file, "writing this log", "file", true, madeDirectory);
    }

    /**
     * Opens and locks {@code file}. A holder removes its lock file while it still holds the lock, so a run that opened
     * the file just before gets the lock on a file no longer under that name, while a third run may lock a new file
     * there: after locking, the file under the name must hold what this run wrote into the locked one, or the lock
     * is let go and taken again.
     */
    private static RunLock acquire(String shown, Path file, String doing, String another, boolean removeAlways,
            Path madeDirectory) {
        for (int attempt = 1; ; attempt++) {
            RunLock held = tryAcquire(shown, file, doing, another, removeAlways, madeDirectory);
            if (held != null) {
                return held;
            }
            if (attempt == ATTEMPTS) {
                throw new UsageException(shown + ": cannot lock " + file + ": other runs keep replacing it", null);
            }
        }
    }

    /** The lock, or null when the name no longer led to the locked file (see {@link #acquire}). */
    private static RunLock tryAcquire(String shown, Path file, String doing, String another, boolean removeAlways,
            Path madeDirectory) {
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
                    String pid = content(channel).strip();
                    throw new UsageException(shown + ": another run is " + doing + (pid.isEmpty() ? ""
                            : " (process " + pid + ")") + "; wait for it to end, or give another " + another,
                            null);
                }
                channel.truncate(0);
                String mine = ProcessHandle.current().pid() + "\n";
                channel.write(ByteBuffer.wrap(mine.getBytes(StandardCharsets.US_ASCII)), 0);
                // The file under the name is read through a descriptor kept open as long as the lock: a POSIX
                // lock is the process's, and closing any descriptor of the file lets it go (Files.readString did:
                // every second run took the lock too, found by a new user running two into one --out)
                FileChannel named;
                try {
                    named = FileChannel.open(file, StandardOpenOption.READ);
                } catch (NoSuchFileException removed) {
                    named = null;
                }
                boolean same = false;
                if (named != null) {
                    try {
                        same = mine.equals(content(named));
                    } finally {
                        if (!same) {
                            named.close(); // another file than the locked one: its closing lets nothing go
                        }
                    }
                }
                if (!same) {
                    channel.close(); // releases the lock on the file its holder removed
                    return null;
                }
                return new RunLock(channel, named, lock, file, removeAlways, madeDirectory);
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
            boolean empty = (!removeAlways || madeDirectory != null) && onlyTheLockIn(file.getParent());
            if (removeAlways || empty) {
                // removed while still held: a run starting now finds the lock taken or the file gone, never a file
                // that looks free while this run still writes (and one that locked the removed file sees so)
                Files.deleteIfExists(file);
            }
            if (empty && madeDirectory != null) {
                try {
                    Files.deleteIfExists(madeDirectory);
                } catch (DirectoryNotEmptyException written) {
                    // something came into it since: it stays
                }
            }
            lock.release();
        } finally {
            try {
                channel.close();
            } finally {
                named.close();
            }
        }
    }

    /** What a lock file holds (a process id and a newline), read from its start. */
    private static String content(FileChannel file) throws IOException {
        ByteBuffer holder = ByteBuffer.allocate(32);
        file.read(holder, 0);
        return new String(holder.array(), 0, holder.position(), StandardCharsets.US_ASCII);
    }

    /** Whether {@code dir} holds nothing but the lock file (no checkpoint, result or log was written). */
    private boolean onlyTheLockIn(Path dir) throws IOException {
        try (var entries = Files.list(dir)) {
            return entries.allMatch(file::equals);
        }
    }
}
