package org.autobalance.io.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.autobalance.solve.Checkpoint;

/**
 * An exclusive lock on something one run writes for its whole length — its checkpoint directory, a staged log, its
 * output directory — held on a lock file that names the process holding it. Two runs given the same checkpoint
 * directory (the same command started twice, a restart script firing while the run still lives, two solvers of one
 * service) replaced each other's checkpoints, and one of them failed at its next write (both used the same temporary
 * name), its results lost; two given the same log truncated each other's staged records; two given the same
 * {@code --out} could leave one run's U beside the other's V and summary. Now the second is refused with an
 * {@link IllegalArgumentException} naming the directory or file, the holder and what to do (the command line does so
 * before it reads its input). The system releases the
 * lock when the process ends however it ends ({@code kill -9} included), so a lock is never stale; a lock file left by
 * a killed run is taken over by the next.
 *
 * <p>The solvers of the library ({@code Factorizer}, {@code NetworkTrainer}, {@code SparkFactorizer}) lock their
 * checkpoint directory for their run ({@link #forSolver}). A front end that locks it itself before reading the input
 * (the command line: a directory in use is refused before a long load) and then runs the solver on the same thread
 * is joined by the solver's lock instead of refused; any other holder, in this process or another, refuses it.
 *
 * <p>A POSIX lock belongs to the process, and closing <em>any</em> descriptor of its file lets it go: nothing in the
 * process may open and close a lock file while its lock is held (reading it back by name with {@code
 * Files.readString} did, so every lock was let go as soon as it was taken, and a second process took them all). So
 * a lock file is claimed in this process ({@link #CLAIMED}) before any descriptor of it is opened, and a lock
 * whose claim another thread holds is refused without opening the file. (The claim was once a check before the
 * open, not one step with it: two threads locking one file at the same instant both opened it, the JVM's own lock
 * table refused one, and its close let the other's lock go against other processes.)
 *
 * <p>Not exported by the module: public for the project's own modules on the class path.
 */
public final class RunLock implements AutoCloseable {
    /**
     * The lock file of a checkpoint directory. It stays there once the directory holds a checkpoint (the directory is
     * the run's own); a run that ends before writing one removes it, and the directory too if the run made it, so that
     * a run refused for its input leaves nothing behind.
     */
    private static final String CHECKPOINT_FILE = ".lock";
    /**
     * The lock file of an output directory, removed when the run ends (another name than a checkpoint's: one
     * directory may be both).
     */
    private static final String OUTPUT_FILE = ".autobalance-out.lock";
    /**
     * The end of the name a log is written under during its run, {@code .NAME.partial} beside it ({@link #log} locks
     * it in {@code .NAME.lock}); the one home of the name for the front ends that stage it.
     */
    public static final String LOG_STAGING_SUFFIX = ".partial";
    /** Attempts at a lock file that its holder removed between this process's open and lock (see acquire). */
    private static final int ATTEMPTS = 5;
    /**
     * The locks held by this process that a solver on their thread may join ({@link #checkpoints}), by their claim.
     */
    private static final Map<Path, RunLock> JOINABLE = new ConcurrentHashMap<>();
    /**
     * The lock files this process holds or is opening, each by its claim (the real path of its directory and its
     * name) and by its file key (device and inode: a hard link is another path to the same file). One is added, in one
     * step with the check that no other thread holds it, before the file is opened; whoever finds it there is refused
     * without opening the file, whose close would let the held lock go against other processes.
     */
    private static final Set<Object> CLAIMED = ConcurrentHashMap.newKeySet();

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
    /**
     * The topmost directory this run made for the lock file (its directory or an ancestor: {@code --out new1/new2}
     * makes both), removed at the end with those below it where they hold nothing else; else null.
     */
    private final Path madeDirectory;
    /** The thread that took a joinable lock, null for one that cannot be joined. */
    private final Thread joinableBy;
    /** The claim of the lock file (see {@link #claimOf}), in {@link #CLAIMED} while the lock is held. */
    private final Path claim;
    /** The file key of the locked file, in {@link #CLAIMED} while the lock is; null if the file system has none. */
    private final Object key;
    /** The claim of the lock file by its directory's file key (see {@link #placeOf}); null if it has none. */
    private final Object place;

    private RunLock(FileChannel channel, FileChannel named, FileLock lock, Path file, boolean removeAlways,
            Path madeDirectory, Thread joinableBy, Path claim, Object key, Object place) {
        this.channel = channel;
        this.named = named;
        this.lock = lock;
        this.file = file;
        this.removeAlways = removeAlways;
        this.madeDirectory = madeDirectory;
        this.joinableBy = joinableBy;
        this.claim = claim;
        this.key = key;
        this.place = place;
    }

    /** A solver's share of a lock its thread holds already: letting it go leaves the lock to its holder. */
    private static final RunLock JOINED = new RunLock(null, null, null, null, false, null, null, null, null, null);

    /**
     * Locks checkpoint directory {@code dir} (made when missing) for a front end's run; {@code option} names it
     * ("--checkpoint"). A solver started later on this thread with the same directory joins this lock.
     *
     * @throws IllegalArgumentException if another run holds it, or it cannot be written
     */
    public static RunLock checkpoints(String option, Path dir) {
        return checkpoints(option + " " + dir, dir, true);
    }

    /**
     * Locks checkpoint directory {@code dir} (made when missing) for a solver's run: joins the lock this thread took
     * with {@link #checkpoints}, else takes it, which removes the temporary files that runs killed while writing a
     * checkpoint left there. Nothing can join it.
     *
     * @throws IllegalArgumentException if another run holds it, or it cannot be written
     */
    public static RunLock forSolver(Path dir) {
        RunLock held = JOINABLE.get(claimOf(lockFile(dir)));
        if (held != null && held.joinableBy == Thread.currentThread()) {
            return JOINED;
        }
        return checkpoints("checkpoint directory " + dir, dir, false);
    }

    /** The lock file of checkpoint directory {@code dir}. */
    private static Path lockFile(Path dir) {
        return dir.resolve(CHECKPOINT_FILE);
    }

    /**
     * The name under which this process claims lock file {@code file}: the real path of its nearest existing directory
     * (symbolic links and {@code ..} resolved, as the system resolves them) and the rest of the path as given, so that
     * one directory named in two ways has one claim, whether or not it exists yet.
     */
    private static Path claimOf(Path file) {
        Path absolute = file.toAbsolutePath();
        return FileChecks.resolved(absolute.getParent()).resolve(absolute.getFileName());
    }

    private static RunLock checkpoints(String shown, Path dir, boolean joinable) {
        RunLock held = inDirectory(shown, dir, lockFile(dir), "writing its checkpoints there", "directory", false,
                joinable ? Thread.currentThread() : null);
        try {
            // no other run can be writing here now: what a killed one was writing is debris
            AtomicFile.removeStale(dir.resolve(Checkpoint.FILE));
        } catch (IOException e) {
            held.close();
            throw new IllegalArgumentException(shown + ": cannot remove what a killed run left there ("
                    + FileChecks.reason(e) + ")", e);
        }
        if (joinable) {
            JOINABLE.put(held.claim, held);
        }
        return held;
    }

    /**
     * Whether {@code name} is that of a lock file in a checkpoint or output directory, which a run removes or keeps
     * as a lock: not a name to write anything else under there.
     */
    public static boolean isLockFileName(String name) {
        return name.equals(CHECKPOINT_FILE) || name.equals(OUTPUT_FILE);
    }

    /**
     * Locks output directory {@code dir} ({@code --out}, made when missing) for this process.
     *
     * @throws IllegalArgumentException if another run holds it, or it cannot be written
     */
    public static RunLock output(Path dir) {
        return inDirectory("--out " + dir, dir, dir.resolve(OUTPUT_FILE), "writing its results there", "directory",
                true, null);
    }

    /**
     * Locks {@code file} in {@code dir} (made when missing; then removed again at the end if it holds nothing else);
     * {@code shown} is the option and its value, {@code another} what to give instead, for a refusal.
     */
    private static RunLock inDirectory(String shown, Path dir, Path file, String doing, String another,
            boolean removeAlways, Thread joinableBy) {
        // claimed before the directory is made: a thread refused here has made nothing, so removes nothing that the
        // holder is about to use
        Path claim = claimOf(file);
        if (!CLAIMED.add(claim)) {
            throw refusedHere(shown, doing, another);
        }
        boolean made = false;
        Path top = dir;
        Object place = null;
        try {
            if (Files.exists(dir) && !Files.isDirectory(dir)) {
                throw new IllegalArgumentException(shown + ": exists and is not a directory");
            }
            // missing, not "not a directory": a file of that name is the user's, never removed here (it was, by a
            // library checkpoint given a file's path)
            made = Files.notExists(dir, LinkOption.NOFOLLOW_LINKS);
            while (made && top.getParent() != null && Files.notExists(top.getParent(), LinkOption.NOFOLLOW_LINKS)) {
                top = top.getParent();
            }
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                throw new IllegalArgumentException(shown + ": cannot write there (" + FileChecks.reason(e) + ")", e);
            }
            place = placeOf(dir, file);
            if (place != null && !CLAIMED.add(place)) {
                // the directory is another thread's under another real path (a bind mount): it may have made it too
                place = null;
                made = false;
                throw refusedHere(shown, doing, another);
            }
            return acquire(shown, file, doing, another, removeAlways, made ? top : null, joinableBy, claim, place);
        } catch (RuntimeException e) {
            if (place != null) {
                CLAIMED.remove(place);
            }
            if (made) {
                try {
                    removeMade(dir, top);
                } catch (IOException cleanup) {
                    e.addSuppressed(cleanup);
                }
            }
            CLAIMED.remove(claim);
            throw e;
        }
    }

    /**
     * Removes directory {@code dir} and its ancestors up to {@code top}, which this run made, stopping at the first
     * that holds something (another run's, or written since).
     */
    private static void removeMade(Path dir, Path top) throws IOException {
        for (Path d = dir; d != null; d = d.getParent()) {
            try {
                Files.deleteIfExists(d);
            } catch (DirectoryNotEmptyException inUse) {
                return;
            }
            if (d.equals(top)) {
                return;
            }
        }
    }

    /**
     * The claim of lock file {@code file} in existing directory {@code dir} by the directory's file key (device and
     * inode) and the file's name: a directory reached through two mounts (a bind mount) has two real paths, so two
     * claims by path, but one key. Null where the file system gives no key.
     */
    private static Object placeOf(Path dir, Path file) {
        Object dirKey = fileKey(dir);
        return dirKey == null ? null : List.of(dirKey, file.getFileName().toString());
    }

    /**
     * Locks the log staged at {@code staging} (beside it, in {@code .NAME.lock}, removed when the run ends: the log's
     * directory is the user's; made when missing, as opening the log would, and then removed at the end if the run
     * wrote nothing there); {@code shown} is the option and its value, for a refusal.
     *
     * @throws IllegalArgumentException if another run holds it, or it cannot be written
     */
    public static RunLock log(String shown, Path staging) {
        String name = staging.getFileName().toString();
        Path file = staging.resolveSibling(name.substring(0, name.length() - LOG_STAGING_SUFFIX.length()) + ".lock");
        return inDirectory(shown, staging.getParent(), file, "writing this log", "file", true, null);
    }

    /**
     * Opens and locks {@code file}. A holder removes its lock file while it still holds the lock, so a run that opened
     * the file just before gets the lock on a file no longer under that name, while a third run may lock a new file
     * there: after locking, the file under the name must hold what this run wrote into the locked one, or the lock
     * is let go and taken again.
     */
    private static RunLock acquire(String shown, Path file, String doing, String another, boolean removeAlways,
            Path madeDirectory, Thread joinableBy, Path claim, Object place) {
        // the lock of a run whose thread is interrupted before it starts: the run then stops at once, normally
        return Uninterruptible.cleared(() -> acquireAttempts(shown, file, doing, another, removeAlways, madeDirectory,
                joinableBy, claim, place));
    }

    private static RunLock acquireAttempts(String shown, Path file, String doing, String another,
            boolean removeAlways, Path madeDirectory, Thread joinableBy, Path claim, Object place) {
        for (int attempt = 1; ; attempt++) {
            RunLock held = tryAcquire(shown, file, doing, another, removeAlways, madeDirectory, joinableBy, claim,
                    place);
            if (held != null) {
                return held;
            }
            if (attempt == ATTEMPTS) {
                throw new IllegalArgumentException(shown + ": cannot lock " + file + ": other runs keep replacing it");
            }
        }
    }

    /**
     * The lock, or null when the name no longer led to the locked file (see {@link #acquire}); {@code claim} is this
     * thread's already. The file's key is claimed too before the file is opened, and then that of the file locked.
     */
    private static RunLock tryAcquire(String shown, Path file, String doing, String another, boolean removeAlways,
            Path madeDirectory, Thread joinableBy, Path claim, Object place) {
        Object existing = fileKey(file);
        if (existing != null && !CLAIMED.add(existing)) {
            throw refusedHere(shown, doing, another);
        }
        Object key = null;
        try {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            boolean madeAndLocked = false;
            try {
                FileLock lock;
                boolean here = false;
                try {
                    lock = channel.tryLock();
                } catch (OverlappingFileLockException inThisProcess) {
                    lock = null;
                    here = true;
                }
                if (lock == null) {
                    throw refused(shown, doing, another, content(channel).strip(), here);
                }
                madeAndLocked = existing == null;
                channel.truncate(0);
                String mine = ProcessHandle.current().pid() + "\n";
                channel.write(ByteBuffer.wrap(mine.getBytes(StandardCharsets.US_ASCII)), 0);
                // the file under the name is read through a descriptor kept open as long as the lock (see the class
                // documentation: closing it would let the lock go)
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
                key = fileKey(file);
                if (key != null && !key.equals(existing) && !CLAIMED.add(key)) {
                    // created or replaced since the check, and under another name claimed by another thread
                    madeAndLocked = false;
                    named.close();
                    key = null;
                    throw refusedHere(shown, doing, another);
                }
                return new RunLock(channel, named, lock, file, removeAlways, madeDirectory, joinableBy, claim, key,
                        place);
            } catch (IOException | RuntimeException e) {
                if (madeAndLocked) {
                    // a lock file this run made and could not write (a full disk) goes, removed while still held
                    try {
                        Files.deleteIfExists(file);
                    } catch (IOException cleanup) {
                        e.addSuppressed(cleanup);
                    }
                }
                channel.close();
                throw e;
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(shown + ": cannot write " + file + " (" + FileChecks.reason(e) + ")",
                    e);
        } finally {
            if (existing != null && !existing.equals(key)) {
                CLAIMED.remove(existing);
            }
        }
    }

    /**
     * Lets the lock go, removing the lock file (a log's; a checkpoint directory's if it holds nothing else, and then
     * the directory if this run made it). A lock file or directory that cannot be removed stays, as after a kill, and
     * the next run takes it over: nothing here fails a run that has finished its work.
     */
    @Override
    public void close() {
        if (this == JOINED) {
            return;
        }
        JOINABLE.remove(claim, this);
        try (named; channel) {
            boolean empty = (!removeAlways || madeDirectory != null) && onlyTheLockIn(file.getParent());
            if (removeAlways || empty) {
                // removed while still held: a run starting now finds the lock taken or the file gone, never a file
                // that looks free while this run still writes (and one that locked the removed file sees so)
                Files.deleteIfExists(file);
            }
            if (empty && madeDirectory != null) {
                removeMade(file.getParent(), madeDirectory);
            }
            lock.release();
        } catch (IOException leftAsAfterAKill) {
            // the channel's close releases the lock; what stays is what a killed run leaves, taken over by the next
        } finally {
            if (key != null) {
                CLAIMED.remove(key);
            }
            if (place != null) {
                CLAIMED.remove(place);
            }
            CLAIMED.remove(claim);
        }
    }

    /** The refusal of a lock that another thread of this process holds or is taking. */
    private static IllegalArgumentException refusedHere(String shown, String doing, String another) {
        return refused(shown, doing, another, Long.toString(ProcessHandle.current().pid()), true);
    }

    /** The refusal of a lock that process {@code pid} (this one if {@code here}) holds. */
    private static IllegalArgumentException refused(String shown, String doing, String another, String pid,
            boolean here) {
        return new IllegalArgumentException(shown + ": another run is " + doing + (pid.isEmpty() ? ""
                : " (process " + pid + (here ? ", this one" : "") + ")") + "; wait for it to end, or give another "
                + another);
    }

    /** The file key (device and inode) of {@code file}, read without opening it; null if it has none or is missing. */
    private static Object fileKey(Path file) {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
        } catch (IOException missing) {
            return null;
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
