package org.autobalance.cli;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.autobalance.io.internal.FileChecks;

/**
 * A hidden directory in which a command writes its results before renaming them into place: {@link RunOutputs}
 * (factorize, demo, network, spark-factorize) and {@link ExperimentReport} (reproduce). A process killed outright (kill
 * -9, a machine lost) cannot remove its own; the next command that stages in the same directory removes those no
 * process holds. Each holds a lock on a file inside its directory for as long as it lives, which the kernel releases
 * when its process dies however it dies: a directory whose lock can be taken is abandoned. The process id in the name
 * decided before, and a pid says little: a run killed as pid 1 in a container left a directory that every later
 * container's pid 1 took for its own, a reused pid looks alive, and a volume shared by two pid namespaces holds the
 * other's pids. Only a directory without the lock file (one made by an earlier version, or a process killed between
 * making the directory and the file) is still judged by its pid.
 */
final class Staging implements AutoCloseable {
    private static final String PREFIX = ".autobalance-staging-";
    private static final Pattern NAME = Pattern.compile(Pattern.quote(PREFIX) + "(\\d+)-.*");
    private static final String LOCK_FILE = "lock";
    /**
     * This process's directories by their real paths (a directory named as {@code ./out}, {@code a/../out} or through
     * a link is the same one), which its own look at another's must not open: closing any channel of a file drops
     * every lock the process holds on it (POSIX record locks), so the look would free the lock it tested.
     */
    private static final Set<Path> OWN = ConcurrentHashMap.newKeySet();


    private final Path path;
    /** The channel holding the lock on the lock file; null where the file system has no locks. */
    private final FileChannel lock;

    private Staging(Path path, FileChannel lock) {
        this.path = path;
        this.lock = lock;
    }

    /** Whether {@code name} is a staging directory's. */
    static boolean isStagingName(String name) {
        return name.startsWith(PREFIX);
    }

    /**
     * A new staging directory of this process in {@code directory} (which exists), once the abandoned ones are removed
     * from it.
     */
    static Staging create(Path directory) throws IOException {
        removeAbandoned(directory);
        Path path = Files.createTempDirectory(directory, PREFIX + ProcessHandle.current().pid() + "-").toRealPath();
        OWN.add(path);
        FileChannel channel = null;
        try {
            channel = FileChannel.open(path.resolve(LOCK_FILE), StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE);
            try {
                channel.lock();
            } catch (IOException noLocksHere) {
                // a file system without locks (an NFS mount without its lock service): without the file, the
                // directory is judged by its pid, as before the locks
                channel.close();
                Files.delete(path.resolve(LOCK_FILE));
                channel = null;
            }
            return new Staging(path, channel);
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                channel.close();
            }
            deleteTree(path);
            OWN.remove(path);
            throw e;
        }
    }

    /** The directory. */
    Path path() {
        return path;
    }

    /**
     * Renames the directory to {@code kept} (a visible name, the results kept), then removes its lock file there: moved
     * while still locked, so no other command can take it for abandoned on the way (deleting the file does not free
     * the lock; closing the channel does, in {@link #close}).
     */
    void renameTo(Path kept) throws IOException {
        Files.move(path, kept, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Files.delete(kept.resolve(LOCK_FILE));
    }

    /** Removes the directory and anything left in it, then lets go of its lock. */
    @Override
    public void close() throws IOException {
        try {
            deleteTree(path);
        } finally {
            if (lock != null) {
                lock.close();
            }
            OWN.remove(path);
        }
    }

    /**
     * Removes the abandoned staging directories in {@code directory}. One that cannot be removed is said on one line
     * (the command's standard error) and left: it is in no one's way, only hidden clutter.
     *
     * @throws IOException if {@code directory} cannot be listed
     */
    static void removeAbandoned(Path directory) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory, PREFIX + "*")) {
            for (Path entry : entries) {
                Matcher m = NAME.matcher(entry.getFileName().toString());
                if (!m.matches()) {
                    continue;
                }
                try {
                    if (OWN.contains(entry.toRealPath())) {
                        continue;
                    }
                    removeIfAbandoned(entry, m.group(1));
                } catch (NoSuchFileException goneMeanwhile) {
                    // another command removed it at the same time
                } catch (IOException e) {
                    if (Files.exists(entry, LinkOption.NOFOLLOW_LINKS)) {
                        Heartbeat.warn("autobalance: warning: cannot remove " + entry + ", a killed run's "
                                + "staging directory (" + FileChecks.reason(e) + "); remove it by hand");
                    }
                }
            }
        }
    }

    private static void removeIfAbandoned(Path entry, String pid) throws IOException {
        FileChannel channel;
        try {
            channel = FileChannel.open(entry.resolve(LOCK_FILE), StandardOpenOption.READ);
        } catch (NoSuchFileException | AccessDeniedException noLockFileToTest) {
            // an older version's, or another user's (its directory closed to this one): judged by its pid
            if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS) && !alive(pid)) {
                deleteTree(entry);
            }
            return;
        }
        FileLock taken;
        try (channel) {
            try {
                // shared, so a file this user may only read (another user's staging) can be tested too
                taken = channel.tryLock(0, Long.MAX_VALUE, true);
            } catch (OverlappingFileLockException heldHere) {
                // this process holds it, though OWN did not know the directory (a Staging of another class loader):
                // kept, but closing this channel has freed the lock (see OWN)
                return;
            } catch (IOException noLocksHere) {
                if (!alive(pid)) {
                    deleteTree(entry);
                }
                return;
            }
            try (taken) {
                if (taken != null) {
                    deleteTree(entry);
                }
            }
        }
    }

    private static boolean alive(String pid) {
        try {
            return ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false);
        } catch (NumberFormatException tooLong) {
            return false; // no process has such an id
        }
    }

    /** Deletes {@code root} and, if it is a directory (not a link to one), all it holds. */
    static void deleteTree(Path root) throws IOException {
        if (Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            try (DirectoryStream<Path> children = Files.newDirectoryStream(root)) {
                for (Path p : children) {
                    deleteTree(p);
                }
            }
        }
        Files.deleteIfExists(root);
    }
}
