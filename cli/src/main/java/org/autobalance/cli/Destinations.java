package org.autobalance.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.autobalance.io.internal.FileChecks;
import org.autobalance.io.internal.RunLock;
import org.autobalance.solve.Checkpoint;

/**
 * What a run writes — its checkpoint directory, {@code --out}, {@code --log} — checked and locked for the run before
 * its input is read, so that a second run given the same destination learns it at once rather than after a possibly
 * long load (the log's lock used to be taken where the log was opened, after M was read), and two runs into one
 * {@code --out} cannot leave one run's U beside the other's V and summary. Closing it lets every lock go and removes
 * the directories it made that hold nothing (a run refused for its input leaves nothing behind).
 */
public final class Destinations implements AutoCloseable {
    private final Path out;
    private final Path log;
    /** Where the log is written during the run ({@link SolverRun#stagingFor}), found once; null without a log. */
    private final Path logStaging;
    /** Where the run's checkpoints go (or the one it continues is), or null for none. */
    private final Path checkpoints;
    /** Held in the order taken; let go in the reverse order (a log's directory may be inside --out). */
    private final List<RunLock> locks;

    private Destinations(Path out, Path log, Path logStaging, Path checkpoints, List<RunLock> locks) {
        this.out = out;
        this.log = log;
        this.logStaging = logStaging;
        this.checkpoints = checkpoints;
        this.locks = locks;
    }

    /**
     * Checks and locks the destinations of a run (any may be null or absent): {@code checkpointing}'s directory, then
     * {@code out}, into which the run writes the files {@code results} names (and summary.json), then the staged
     * {@code log}. A destination that cannot be written, that another run holds, or that would replace one of the
     * files the run reads ({@code inputs}, null ones skipped) is a usage error naming it; the locks already taken are
     * then let go.
     */
    public static Destinations claim(Path out, Predicate<String> results, Path log, Checkpointing checkpointing,
            Path... inputs) {
        return claim(out, results, log, checkpointing, List.of(), inputs);
    }

    /**
     * As {@link #claim(Path, Predicate, Path, Checkpointing, Path...)}, also refusing a {@code log} that is one of the
     * files of {@code --init file:U0,V0} ({@code starts}): they are read before the run and the log renamed over its
     * target at the end, so the start was lost (found with {@code --init file:U0.npy,V0.npy --log U0.npy}). They may
     * be results in {@code out}: a warm start from the last run's factors, replaced by the new ones.
     */
    static Destinations claim(Path out, Predicate<String> results, Path log, Checkpointing checkpointing,
            List<Path> starts, Path... inputs) {
        if (out != null) {
            FileChecks.requireWritableDirectory("--out", out);
            RunOutputs.refuseForeignDirectories(out, results);
        }
        Path logStaging = log == null ? null : SolverRun.stagingFor(log);
        for (Path input : inputs) {
            refuseReplacing(out, results, log, input);
        }
        for (Path start : starts) {
            refuseReplacing(null, results, log, start);
        }
        Path checkpoints = checkpointing == null ? null : checkpointing.directory();
        refuseLogAmongTheRunsFiles(log, logStaging, out, results, checkpoints);
        if (out != null && checkpoints != null && sameDirectory(out, checkpoints)) {
            // the checkpoint directory's lock file stays while it holds a checkpoint (a --resume must find both),
            // so --out would keep a .lock and the checkpoint beside the results, and the next run into it would be
            // refused for holding an earlier run's checkpoint
            throw new UsageException("--out " + out + ": is the checkpoint directory too; give the checkpoints a "
                    + "directory of their own (for example --checkpoint " + out.resolve("checkpoints") + ")", null);
        }
        refuseDirectoriesWhereFilesGo(out, results, log, logStaging, checkpoints);
        List<RunLock> locks = new ArrayList<>();
        Destinations claimed = new Destinations(out, log, logStaging, checkpoints, locks);
        try {
            if (checkpointing != null) {
                add(locks, checkpointing.lock());
            }
            if (out != null) {
                add(locks, RunLock.output(out));
            }
            if (logStaging != null && !logStaging.equals(log)) {
                // two runs given the same log truncated each other's records; a log written in place (a device, a
                // pipe) has no staging file to share. The lock makes the log's directory, as opening the log would.
                add(locks, RunLock.log("--log " + log, logStaging));
            }
            Interruption.beforeRunCleanup(claimed::close);
            return claimed;
        } catch (RuntimeException e) {
            claimed.close();
            throw e;
        }
    }

    /**
     * Refuses a {@code log} that is the file {@code input}, or an {@code out} that holds it under the name of a result
     * file: the log is renamed over its target at the end, the results over theirs, and the input was gone (found by
     * giving {@code --log} the input's name: the matrix was replaced by the iteration records). Only a regular file is
     * compared: {@code --input /dev/stdin --log /dev/stdout} on one terminal are the same device, and nothing is
     * replaced there.
     */
    private static void refuseReplacing(Path out, Predicate<String> results, Path log, Path input) {
        if (input != null && Files.isDirectory(input)) {
            refuseWritingIntoInputDirectory(out, results, log, input);
        }
        if (input == null || !Files.isRegularFile(input)) {
            return;
        }
        try {
            if (log != null && Files.exists(log) && Files.isSameFile(log, input)) {
                throw new UsageException("--log " + log + ": is " + input + ", which this run reads: the log would "
                        + "replace it; give another file", null);
            }
            // where the input's bytes are: an input reached through a symbolic link into --out is lost just the same
            Path real = input.toRealPath();
            Path parent = real.getParent();
            String name = real.getFileName().toString();
            if (out != null && Files.isDirectory(out) && Files.isSameFile(out, parent)
                    && RunOutputs.writes(results, name)) {
                throw new UsageException("--out " + out + ": holds " + input + ", which this run reads, under the name "
                        + "of a result file it writes (" + name + "); give another directory", null);
            }
        } catch (IOException e) {
            throw new UsageException("--log/--out: cannot compare with " + input + " (" + FileChecks.reason(e) + ")",
                    e);
        }
    }

    /**
     * Refuses an {@code out} or {@code log} in the directory {@code input} the run reads (spark-factorize's shards),
     * and an {@code out} that holds it under the name of a result ({@code U}, the shards' directory): a new user's
     * {@code --input r/U --out r} replaced the four input shards with the results' (exit 0), and {@code --input S
     * --out S} wrote U/, V.npy and summary.json among the shards, which the next read of S refused.
     */
    private static void refuseWritingIntoInputDirectory(Path out, Predicate<String> results, Path log, Path input) {
        Path in = FileChecks.resolved(input);
        if (log != null && FileChecks.resolved(log).startsWith(in)) {
            throw new UsageException("--log " + log + ": is inside " + input + ", the directory this run reads: "
                    + "give the log another directory", null);
        }
        if (out == null) {
            return;
        }
        Path o = FileChecks.resolved(out);
        if (o.startsWith(in)) {
            throw new UsageException("--out " + out + ": is " + (o.equals(in) ? "" : "inside ") + input + ", the "
                    + "directory this run reads: give another directory", null);
        }
        writtenAt(in, out, outWrites(results)).ifPresent(name -> {
            throw new UsageException("--out " + out + ": holds " + input + ", which this run reads, under the name of "
                    + "a result it writes (" + name + "); give another directory", null);
        });
    }

    /** The names of the files and directories the run writes in {@code --out}: results, staging, lock. */
    private static Predicate<String> outWrites(Predicate<String> results) {
        return name -> RunOutputs.writes(results, name) || Staging.isStagingName(name) || RunLock.isLockFileName(name);
    }

    /** The names of the files the run writes in its checkpoint directory: the checkpoint and the lock. */
    private static boolean checkpointWrites(String name) {
        return name.equals(Checkpoint.FILE) || RunLock.isLockFileName(name);
    }

    /**
     * Refuses a {@code log} that is a file the run itself writes in {@code out} (a result, its lock, a staging
     * directory) or in the checkpoint directory (the checkpoint, its lock): at the end one was renamed over the other.
     * Found by giving {@code --log out/summary.json}: the run said "iteration log out/summary.json", which held the
     * summary; {@code --log ck/checkpoint} replaced the checkpoint with the records, so a later {@code --resume ck} was
     * refused; {@code --log out/.autobalance-out.lock} was removed with the lock.
     */
    private static void refuseLogAmongTheRunsFiles(Path log, Path logStaging, Path out, Predicate<String> results,
            Path checkpoints) {
        if (log == null || logStaging.equals(log)) {
            return; // none, or written in place (a device, a pipe): nothing is renamed over anything
        }
        // where the staged log is renamed to at the end: beside its staging file, under the target's name
        Path directory = logStaging.getParent();
        String name = SolverRun.targetName(logStaging);
        String writer = null;
        if (out != null && outWrites(results).test(name) && sameDirectory(out, directory)) {
            writer = "--out " + out;
        } else if (checkpoints != null && checkpointWrites(name) && sameDirectory(checkpoints, directory)) {
            writer = "the checkpoint directory " + checkpoints;
        }
        if (writer != null) {
            throw new UsageException("--log " + log + ": is " + name + " in " + writer + ", which this run writes "
                    + "too: one would replace the other; give the log another name", null);
        }
    }

    /**
     * Refuses a directory the run makes ({@code --out}, the checkpoint directory, the log's) where it writes a file:
     * at the log or inside its path, or at (or inside) a result, staging or lock file of {@code --out}, or the
     * checkpoint or its lock in the checkpoint directory. Found by a new user; each ran until its first write or its
     * end: {@code --out o/q --log o/q} could not rename the log over the results' directory, and the results were
     * lost; {@code --checkpoint c --out c/checkpoint} stopped at its first checkpoint with advice to resume from none;
     * {@code --out d --checkpoint d/U.mtx} left its results under another name. A directory inside another under a
     * name the run does not write is fine ({@code --out r --checkpoint r/checkpoints}).
     */
    private static void refuseDirectoriesWhereFilesGo(Path out, Predicate<String> results, Path log, Path logStaging,
            Path checkpoints) {
        // a log written in place (a device, a pipe) is no file the run makes
        Path logFile = log == null || logStaging.equals(log) ? null
                : FileChecks.resolved(logStaging).resolveSibling(SolverRun.targetName(logStaging));
        String[] names = {"--out " + out, "the checkpoint directory " + checkpoints,
            "--log " + log + ": its directory"};
        Path[] directories = {out, checkpoints, logFile == null ? null : logFile.getParent()};
        for (int k = 0; k < directories.length; k++) {
            if (directories[k] == null) {
                continue;
            }
            Path made = FileChecks.resolved(directories[k]);
            String file = logFile != null && made.startsWith(logFile) ? "the log " + log
                    : writtenAt(made, out, outWrites(results)).map(name -> name + " in " + names[0])
                            .or(() -> writtenAt(made, checkpoints, Destinations::checkpointWrites)
                                    .map(name -> name + " in " + names[1]))
                            .orElse(null);
            if (file != null) {
                throw new UsageException(names[k] + ": is where this run writes " + file + ": give it another path",
                        null);
            }
        }
    }

    /**
     * The name of the file or directory that directory {@code writer} receives (those {@code writes} takes) and path
     * {@code inside} is or lies within, if any: the first name of {@code inside} below {@code writer}.
     */
    private static Optional<String> writtenAt(Path inside, Path writer, Predicate<String> writes) {
        if (writer == null) {
            return Optional.empty();
        }
        Path w = FileChecks.resolved(writer);
        if (!inside.startsWith(w) || inside.equals(w)) {
            return Optional.empty();
        }
        String name = w.relativize(inside).getName(0).toString();
        return writes.test(name) ? Optional.of(name) : Optional.empty();
    }

    /** Whether two directories, either of which may not exist yet, are one. */
    private static boolean sameDirectory(Path a, Path b) {
        try {
            // a missing directory by the path the system would make: a link in a parent is followed
            return Files.exists(a) && Files.exists(b) ? Files.isSameFile(a, b)
                    : FileChecks.resolved(a).equals(FileChecks.resolved(b));
        } catch (IOException e) {
            throw new UsageException("--out " + a + ": cannot compare with " + b + " (" + FileChecks.reason(e) + ")",
                    e);
        }
    }

    private static void add(List<RunLock> locks, RunLock lock) {
        if (lock != null) {
            locks.add(lock);
        }
    }

    /** The output directory, or null for none. */
    Path out() {
        return out;
    }

    /** The iteration log, or null for none. */
    Path log() {
        return log;
    }

    /** The checkpoint directory of the run, or null for none. */
    Path checkpoints() {
        return checkpoints;
    }

    /** Where the iteration log is written during the run ({@link SolverRun#stagingFor}), or null for none. */
    Path logStaging() {
        return logStaging;
    }

    /**
     * Lets the locks go (once; the main thread and an interrupt's hook — Ctrl-C while the input is read — may both get
     * here). A lock that cannot be removed stays as after a kill, taken over by the next run ({@link RunLock#close}).
     */
    @Override
    public synchronized void close() {
        Interruption.beforeRunCleanup(null);
        for (int k = locks.size() - 1; k >= 0; k--) {
            locks.get(k).close();
        }
        locks.clear();
    }
}
