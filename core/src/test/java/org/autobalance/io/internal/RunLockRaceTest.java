package org.autobalance.io.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.autobalance.testing.ChildJvm;
import org.autobalance.testing.SmallFileSystem;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Threads of one process racing for one lock: exactly one takes it, and the others' refusals leave it held against
 * other processes. The in-process check (by file key) came before the open, not in one step with it, so two threads
 * could both open the lock file; the one refused (by the JVM's own lock table) then closed its descriptor, and a POSIX
 * lock belongs to the process: closing any descriptor of the file let the winner's lock go, and a second process
 * took the directory while the winner still wrote there.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class RunLockRaceTest {
    private static final int THREADS = 8;
    private static final int ROUNDS = 300;

    @TempDir
    Path dir;

    /** Another JVM that tries the lock file named on each line of its input and answers whether it got the lock. */
    private Process prober;
    private PrintStream toProber;
    private BufferedReader fromProber;

    @BeforeEach
    void startProber() throws IOException {
        prober = new ProcessBuilder(ChildJvm.command(List.of(), Prober.class))
                .redirectError(dir.resolve("prober.err").toFile()).start();
        toProber = new PrintStream(prober.getOutputStream(), true, StandardCharsets.UTF_8);
        fromProber = new BufferedReader(new InputStreamReader(prober.getInputStream(), StandardCharsets.UTF_8));
    }

    @AfterEach
    void stopProber() throws Exception {
        toProber.close();
        assertTrue(prober.waitFor(1, TimeUnit.MINUTES), "the prober did not end");
        assertEquals(0, prober.exitValue(), () -> readQuietly(dir.resolve("prober.err")));
    }

    @Test
    void oneThreadOfManyTakesACheckpointDirectoryAndTheRefusalsKeepIt() throws Exception {
        Path ck = dir.resolve("ck");
        race(_ -> RunLock.checkpoints("--checkpoint", ck), ck.resolve(".lock"),
                "--checkpoint " + ck + ": another run is writing its checkpoints there (process "
                        + ProcessHandle.current().pid() + ", this one); wait for it to end, or give another directory");
        // the directory was made by the race and held nothing else: the last holder removed it
        assertFalse(Files.exists(ck));
    }

    @Test
    void oneThreadOfManyTakesAnOutputDirectoryAndTheRefusalsKeepIt() throws Exception {
        Path out = dir.resolve("out");
        race(_ -> RunLock.output(out), out.resolve(".autobalance-out.lock"),
                "--out " + out + ": another run is writing its results there (process "
                        + ProcessHandle.current().pid() + ", this one); wait for it to end, or give another directory");
    }

    /**
     * The same directory named differently by each thread (through a symbolic link, with {@code ..}): one lock file,
     * so one holder.
     */
    @Test
    void oneLockWhateverTheNameOfItsDirectory() throws Exception {
        Path real = Files.createDirectory(dir.resolve("real"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), real);
        List<Path> names = List.of(real, link, real.resolve("..").resolve("real"), link.resolve("."));
        race(t -> RunLock.checkpoints("--checkpoint", names.get(t % names.size())), real.resolve(".lock"), null);
    }

    /**
     * One directory reached through two mounts (a bind mount; the same holds for any two mounts of one file system)
     * has two real paths, so two claims by path, and while its lock file did not exist yet there was no file key to
     * claim either: two threads both opened it, and the refused one's close let the winner's lock go (15 rounds of
     * 300 before the claim by the directory's key). Mounting needs root: skipped where it is not allowed.
     */
    @Test
    void oneLockThroughTwoMountsOfItsDirectory() throws Exception {
        Path real = Files.createDirectory(dir.resolve("real"));
        try (SmallFileSystem mounted = SmallFileSystem.bind(real, dir.resolve("mounted"))) {
            List<Path> names = List.of(real.resolve("ck"), mounted.root().resolve("ck"));
            race(t -> RunLock.checkpoints("--checkpoint", names.get(t % 2)), real.resolve("ck").resolve(".lock"),
                    null);
        }
    }

    /**
     * A second name of a lock file this process holds (a hard link, from a directory moved and linked back) is
     * refused without being opened: its refusal's close would let the held lock go.
     */
    @Test
    void aHardLinkToAHeldLockFileIsRefusedAndTheLockHolds() throws Exception {
        Path first = dir.resolve("first");
        Path second = Files.createDirectory(dir.resolve("second"));
        try (RunLock _ = RunLock.checkpoints("--checkpoint", first)) {
            Files.createLink(second.resolve(".lock"), first.resolve(".lock"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> RunLock.checkpoints("--checkpoint", second));
            assertTrue(e.getMessage().contains("(process " + ProcessHandle.current().pid() + ", this one)"),
                    e.getMessage());
            assertEquals("refused", probe(first.resolve(".lock")));
        }
    }

    /**
     * Each round, {@link #THREADS} threads released at once by a barrier call {@code lock} (with their index): one
     * must win and every other be refused (with {@code refusal}, when given); then, the winner still holding it,
     * another process must be refused the lock file {@code file}.
     */
    private void race(ThrowingLock lock, Path file, String refusal) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            for (int round = 0; round < ROUNDS; round++) {
                CyclicBarrier start = new CyclicBarrier(THREADS);
                List<Future<Object>> attempts = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    int thread = t;
                    attempts.add(pool.submit(() -> {
                        start.await();
                        try {
                            return lock.take(thread);
                        } catch (IllegalArgumentException refused) {
                            return refused.getMessage();
                        }
                    }));
                }
                List<RunLock> won = new ArrayList<>();
                List<Object> refusals = new ArrayList<>();
                for (Future<Object> attempt : attempts) {
                    Object outcome = attempt.get(1, TimeUnit.MINUTES);
                    if (outcome instanceof RunLock held) {
                        won.add(held);
                    } else {
                        refusals.add(outcome);
                    }
                }
                try {
                    assertEquals(1, won.size(), "winners of round " + round);
                    assertEquals("refused", probe(file), "another process, round " + round);
                    if (refusal != null) {
                        assertEquals(Collections.nCopies(THREADS - 1, refusal), refusals, "round " + round);
                    }
                } finally {
                    won.forEach(RunLock::close);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** What the prober answers for {@code file}: "locked" (it got the lock), "refused" or "missing". */
    private String probe(Path file) throws IOException {
        toProber.println(file);
        String answer = fromProber.readLine();
        assertNotNull(answer, () -> "the prober ended: " + readQuietly(dir.resolve("prober.err")));
        return answer;
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** The lock a racing thread takes, given its index; a refusal is thrown. */
    @FunctionalInterface
    private interface ThrowingLock {
        RunLock take(int thread);
    }

    /** The prober's main: for each line (a path), try the lock of that file without creating it, answer, let go. */
    public static final class Prober {
        private Prober() {
        }

        public static void main(String[] args) throws IOException {
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                String answer;
                try (FileChannel channel = FileChannel.open(Path.of(line), StandardOpenOption.READ,
                        StandardOpenOption.WRITE)) {
                    FileLock lock = channel.tryLock();
                    answer = lock == null ? "refused" : "locked";
                } catch (NoSuchFileException missing) {
                    answer = "missing";
                }
                System.out.println(answer);
                System.out.flush();
            }
        }
    }
}
