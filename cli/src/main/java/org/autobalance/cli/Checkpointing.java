package org.autobalance.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;
import org.autobalance.io.internal.FileChecks;
import org.autobalance.io.internal.RunLock;
import org.autobalance.memory.DType;
import org.autobalance.solve.Checkpoint;
import picocli.CommandLine.Option;

/**
 * The checkpoint options of {@code factorize} and {@code network} (and of other front ends of the solver, as a
 * picocli mixin): where to write checkpoints, how often, and what to resume.
 */
public final class Checkpointing {
    /** Used when --checkpoint is given without --checkpoint-every or --checkpoint-seconds. */
    static final double DEFAULT_SECONDS = 60;

    @Option(names = "--checkpoint", paramLabel = "DIR",
            description = "Write a checkpoint (U and V or the network's parameters, the iteration, the configuration, "
                    + "a checksum) to DIR, atomically "
                    + "replacing the previous one, every --checkpoint-every iterations or --checkpoint-seconds "
                    + "seconds (default: every 60 s).")
    Path dir;

    @Option(names = "--checkpoint-every", paramLabel = "K", description = "Checkpoint after every K-th iteration.")
    Long everyIterations;

    /** As written: a number picocli would refuse ("'inf' is not a double") is refused here, saying what is expected. */
    @Option(names = "--checkpoint-seconds", paramLabel = "S", description = "Checkpoint every S seconds.")
    String everySecondsText;

    /** {@code --checkpoint-seconds}, once {@link #validate} has read it. */
    Double everySeconds;

    @Option(names = "--resume", paramLabel = "DIR",
            description = "Continue the run checkpointed in DIR, with the same input and options: the final "
                    + "factors (weights) are bit-for-bit those of the uninterrupted run, and --log continues without "
                    + "gaps or duplicates. Checkpoints go on to DIR, or to --checkpoint, at the same interval unless "
                    + "--checkpoint-every or --checkpoint-seconds gives another.")
    Path resume;

    /** The checkpoint to resume from, loaded once; null without --resume. */
    private Checkpoint loaded;

    /**
     * What the options ask for.
     *
     * @param dir where to write checkpoints, null for none
     * @param everyIterations after every this many iterations (0: not by iterations)
     * @param every whenever this much time has passed (null: not by time)
     * @param resume the checkpoint to continue, null for none
     */
    public record Plan(Path dir, long everyIterations, Duration every, Checkpoint resume) {
    }

    /** Validates the options and loads the checkpoint; a bad option or checkpoint is a usage error. */
    public Checkpointing validate() {
        if (everySecondsText != null) {
            double seconds;
            try {
                seconds = Double.parseDouble(everySecondsText.strip());
            } catch (NumberFormatException e) {
                seconds = Double.NaN;
            }
            // as written: "inf" (which --max-seconds takes) was "'inf' is not a double", 1e400 "got Infinity"
            if (!(seconds > 0 && seconds < 1e9)) {
                throw new UsageException("--checkpoint-seconds: must be a positive number of seconds below 1e9 (31 "
                        + "years), got " + everySecondsText.strip(), null);
            }
            everySeconds = seconds;
        }
        if (everyIterations != null && everySeconds != null) {
            throw new UsageException("--checkpoint-every and --checkpoint-seconds exclude each other", null);
        }
        if ((everyIterations != null || everySeconds != null) && dir == null && resume == null) {
            throw new UsageException("--checkpoint-every and --checkpoint-seconds need --checkpoint DIR", null);
        }
        if (everyIterations != null && everyIterations < 1) {
            throw new UsageException("--checkpoint-every: must be at least 1, got " + everyIterations, null);
        }
        if (resume != null) {
            try {
                loaded = Checkpoint.load(resume);
            } catch (NoSuchFileException e) {
                // a run killed before its first checkpoint leaves the directory without one: said so, with what to do
                // (the message was "--resume: ck/checkpoint: no checkpoint in ck", and a new user, after a kill -9
                // within the first minute, was left to guess)
                String none = "--resume: no checkpoint in " + resume;
                throw new UsageException(Files.isDirectory(resume) ? none + " (a run writes its first after an "
                        + "interval, 60 s unless --checkpoint-every or --checkpoint-seconds gave another, and one "
                        + "stopped before then leaves none): run the command without --resume to start afresh"
                        : none + ": " + (Files.exists(resume) ? "not a directory" : "no such directory"), e);
            } catch (IOException e) {
                throw new UsageException("--resume: " + e.getMessage(), e);
            }
        }
        if (dir != null) {
            FileChecks.requireWritableDirectory("--checkpoint", dir);
        }
        return this;
    }

    /**
     * Locks the directory the checkpoints go to (--checkpoint, else --resume) for this run, made when missing; null
     * when there is none. Close it when the run ends. Another run holding it is a usage error naming it, and so is a
     * --checkpoint directory that holds an earlier run's checkpoint this run does not continue: its first checkpoint
     * would replace it, and a forgotten --resume cost the earlier run's progress without a word (a new user's finding).
     */
    public RunLock lock() {
        Path target = directory();
        if (target == null) {
            return null;
        }
        RunLock lock = RunLock.checkpoints(dir != null ? "--checkpoint" : "--resume", target);
        try {
            if (dir != null && replacesAnEarlierCheckpoint()) {
                throw new UsageException("--checkpoint " + dir + ": holds the checkpoint of an earlier run, which this "
                        + "run would replace; --resume " + dir + " continues it, or give another directory (or remove "
                        + "it to start afresh)", null);
            }
            return lock;
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /** The directory the checkpoints go to: --checkpoint, else --resume; null for neither. */
    Path directory() {
        return dir != null ? dir : resume;
    }

    /** Whether --checkpoint holds a checkpoint that this run does not continue (--resume names another, or none). */
    private boolean replacesAnEarlierCheckpoint() {
        try {
            return Files.exists(dir.resolve(Checkpoint.FILE)) && (resume == null || !Files.isSameFile(resume, dir));
        } catch (IOException e) {
            throw new UsageException("--checkpoint " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Refuses a {@code --resume} whose checkpoint was written in another {@code dtype} or with other {@code options}
     * (configuration entries known before the input is read), in the words the library uses at {@code build()}: a
     * mistaken {@code --seed} was refused only after M was read, minutes on a large one. The input's shape and hash
     * are compared there, once M is read. Nothing without {@code --resume}.
     */
    public void requireSameOptions(DType dtype, Map<String, Object> options) {
        if (loaded != null) {
            try {
                loaded.requireSameOptions(dtype, options);
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage(), e);
            }
        }
    }

    /** The configuration saved with the checkpoint resumed (keys as in {@code summary.json}); empty without one. */
    public Map<String, Object> resumedConfiguration() {
        return loaded == null ? Map.of() : loaded.configuration();
    }

    /** The iteration the resumed run continues at, or −1 when not resuming. */
    public long resumedAt() {
        return loaded == null ? -1 : loaded.iteration();
    }

    /**
     * The plan of the validated options: checkpoints go to --checkpoint, or on to the --resume directory, with the
     * interval of the checkpoint resumed unless one is given; every 60 s by default.
     */
    public Plan plan() {
        Path target = directory();
        if (target == null) {
            return new Plan(null, 0, null, loaded);
        }
        long every = 0;
        double seconds = 0;
        if (everyIterations != null || everySeconds != null) {
            every = everyIterations == null ? 0 : everyIterations;
            seconds = everySeconds == null ? 0 : everySeconds;
        } else if (loaded != null) {
            // to --resume's directory or to another (--checkpoint): the help says "same interval", and --resume A
            // --checkpoint B checkpointed every 60 s, a new run's default
            every = (long) loaded.policy()[0];
            seconds = loaded.policy()[1];
        } else {
            seconds = DEFAULT_SECONDS;
        }
        return new Plan(target, every, seconds > 0 ? Duration.ofNanos((long) Math.ceil(seconds * 1e9)) : null,
                loaded);
    }

    /** A builder's {@code checkpoint(dir, everyIterations, every)}. */
    @FunctionalInterface
    public interface CheckpointSetter {
        void checkpoint(Path dir, long everyIterations, Duration every);
    }

    /**
     * Hands the plan to a builder (single-machine, network or Spark alike): the checkpoint to continue to
     * {@code resumeFrom}, the policy to {@code checkpoint}; neither is called for what the plan does not have.
     */
    public void applyTo(Consumer<Checkpoint> resumeFrom, CheckpointSetter checkpoint) {
        Plan plan = plan();
        if (plan.resume() != null) {
            resumeFrom.accept(plan.resume());
        }
        if (plan.dir() != null) {
            checkpoint.checkpoint(plan.dir(), plan.everyIterations(), plan.every());
        }
    }
}
