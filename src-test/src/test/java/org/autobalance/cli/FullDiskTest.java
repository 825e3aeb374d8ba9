package org.autobalance.cli;

import static org.autobalance.cli.CommandLineTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.autobalance.cli.CommandLineTest.Run;
import org.autobalance.io.Npy;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.solve.Checkpoint;
import org.autobalance.testing.Fixtures;
import org.autobalance.testing.SmallFileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A destination that cannot be written during or at the end of a run — a full disk, met on a small tmpfs (skipped where
 * none can be mounted) or on /dev/full: one line naming the option, the file and the system's reason, exit code 1, the
 * run stopped at once, nothing half written under a final name, an earlier result, log or checkpoint kept, no
 * temporary file left, and the way on from the last checkpoint said.
 */
class FullDiskTest {
    @TempDir
    Path dir;

    private static final String M = Fixtures.fixture("spectrum_64x48.npy").toString();

    /** Files an earlier run left in {@code out}, which a failed run must leave as they are. */
    private static Map<String, String> earlierResults(Path out, String... names) throws IOException {
        Files.createDirectories(out);
        for (String name : names) {
            Files.writeString(out.resolve(name), "earlier " + name);
        }
        return contents(out);
    }

    private static Map<String, String> contents(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.collect(Collectors.toMap(p -> p.getFileName().toString(), p -> {
                try {
                    return Files.isDirectory(p) ? "(directory)" : Files.readString(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }));
        }
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** A log that the disk refuses at once (/dev/full): the run stops at its first record and writes nothing. */
    @ParameterizedTest
    @ValueSource(strings = {"factorize", "network"})
    void aLogThatCannotBeWrittenStopsTheRunAndSaysSo(String command) throws IOException {
        assumeTrue(Files.exists(Path.of("/dev/full")), "/dev/full is Linux's");
        Path out = dir.resolve("out");
        Map<String, String> earlier = earlierResults(out, "U.mtx", "V.mtx", "W1.npy", "summary.json");
        Run r = command.equals("factorize")
                ? run("factorize", "--input", M, "--rank", "3", "--max-iter", "50", "--threads", "1",
                        "--out", out.toString(), "--log", "/dev/full")
                : run("network", "--data", Fixtures.fixture("net_X.npy") + "," + Fixtures.fixture("net_Y.npy"),
                        "--layers", "dense:4,relu,dense:2", "--max-iter", "50", "--threads", "1",
                        "--out", out.toString(), "--log", "/dev/full");
        assertEquals(1, r.exitCode(), r.err());
        assertEquals("autobalance: error: --log /dev/full: cannot write it (No space left on device) at iteration 0: "
                + "the run stopped there; nothing was written to " + out + "\n", r.err());
        assertEquals(earlier, contents(out));
    }

    @ParameterizedTest
    @ValueSource(strings = {"mtx", "npy"})
    void resultsThatDoNotFitLeaveTheEarlierOnes(String format) throws Exception {
        try (SmallFileSystem fs = SmallFileSystem.mount(dir.resolve("small"), 1024)) {
            Path input = matrix(400, 300);
            Path out = fs.root().resolve("out");
            Map<String, String> earlier = earlierResults(out, "U." + format, "V." + format, "summary.json");
            // U is 400 x 60 float64: 192 kB as .npy, about 460 kB as text; the filler leaves 100 kB
            fs.fill("filler", 100);
            Run r = run("factorize", "--input", input.toString(), "--rank", "60", "--max-iter", "3", "--threads",
                    "1", "--out", out.toString(), "--out-format", format);
            assertEquals(1, r.exitCode(), r.err());
            assertTrue(r.err().endsWith("autobalance: error: --out " + out + ": cannot write U." + format
                    + " (No space left on device): nothing was written there\n"), r.err());
            // and said before the run: (400 + 300) x 60 values, 8 bytes each as .npy, up to 26 as text
            assertTrue(r.out().matches("(?s).*note: --out " + out + ": [0-9.]+ MB free there; U and V take up to "
                    + (format.equals("npy") ? "0.3" : "1.1") + " MB: they will not be written unless room is made "
                    + "before the run ends\n.*"), r.out());
            assertEquals(earlier, contents(out), "the earlier results, and nothing else (no staging directory)");
        }
    }

    @Test
    void aLogThatFillsTheDiskKeepsItsStagingNameAndTheEarlierLog() throws Exception {
        // 64 KiB: the log's ~260-byte records fill it in about 250 iterations, long before this run's iterate stops
        // changing (--tol 0 ends it as `stalled` after ~740: 190 kB of records, more than a larger disk holds)
        try (SmallFileSystem fs = SmallFileSystem.mount(dir.resolve("small"), 64)) {
            Path log = fs.root().resolve("run.jsonl");
            Files.writeString(log, "earlier log\n");
            Run r = run("factorize", "--input", M, "--rank", "3", "--max-iter", "100000", "--tol", "0", "--threads",
                    "1", "--log", log.toString());
            assertEquals(1, r.exitCode(), r.err());
            Path staging = fs.root().resolve(".run.jsonl.partial");
            assertTrue(r.err().matches("(?s).*autobalance: error: --log " + log + ": cannot write " + staging
                    + " \\(No space left on device\\) at iteration [0-9]+: the run stopped there \\(the log's records "
                    + "so far stay in " + staging + "\\)\n"), r.err());
            assertEquals("earlier log\n", Files.readString(log), "a log cut short must not take the log's name");
            assertTrue(Files.size(staging) > 32 * 1024, "the records written stay (more than half the disk)");
            assertEquals(List.of(".run.jsonl.partial", "run.jsonl"), names(fs.root()), "the log's lock is removed");
        }
    }

    /**
     * A checkpoint that does not fit stops the run at once (a run that went on without the checkpoints it was asked
     * for could lose hours to the next crash, unnoticed); the earlier checkpoint is kept, the message says how to go
     * on, and --resume continues once there is room.
     */
    @Test
    void aCheckpointThatDoesNotFitStopsTheRunAndKeepsTheEarlierOne() throws Exception {
        try (SmallFileSystem fs = SmallFileSystem.mount(dir.resolve("small"), 1024)) {
            Path input = matrix(400, 300);
            Path out = dir.resolve("out");
            Path ck = fs.root().resolve("ck");
            // each checkpoint holds U and V, 700 x 50 float64 (280 kB): the first fits in what the filler leaves,
            // the second's temporary file beside it does not
            Path filler = fs.fill("filler", 400);
            String[] args = {"factorize", "--input", input.toString(), "--rank", "50", "--max-iter", "10", "--tol",
                "0", "--threads", "1", "--checkpoint", ck.toString(), "--checkpoint-every", "2", "--out",
                out.toString()};
            Run r = run(args);
            assertEquals(1, r.exitCode(), r.err());
            assertTrue(r.out().matches("(?s).*note: --checkpoint " + ck + ": 0\\.[34] MB free there; a checkpoint "
                    + "takes 0.3 MB, and two while one replaces the last: the run will stop at the first that does not "
                    + "fit \\(make room, or give another directory\\)\n.*"), r.out());
            assertEquals("autobalance: error: cannot write the checkpoint of iteration 4 to " + ck + " (No space left "
                    + "on device): the run stopped there; nothing was written to " + out + "; " + ck + " keeps the "
                    + "run's last checkpoint: --resume " + ck + " continues from it\n", r.err());
            assertEquals(2, Checkpoint.load(ck).iteration());
            assertEquals(List.of(".lock", Checkpoint.FILE), names(ck), "no temporary file");
            assertFalse(Files.exists(out));

            Files.delete(filler);
            args[args.length - 6] = "--resume";
            Run resumed = run(args);
            assertEquals(0, resumed.exitCode(), resumed.err());
            assertTrue(resumed.out().contains("10 iterations"), resumed.out());
        }
    }

    /**
     * {@code network} says before the run, as {@code factorize} does, when the weights or a checkpoint will not fit
     * (it said nothing: the first checkpoint, or the end of the run, found the full disk).
     */
    @Test
    void aNetworkSaysBeforeTheRunWhatWillNotFit() throws Exception {
        try (SmallFileSystem fs = SmallFileSystem.mount(dir.resolve("small"), 1024)) {
            Path out = fs.root().resolve("out");
            Path ck = fs.root().resolve("ck");
            fs.fill("filler", 100);
            Run r = run("network", "--data", Fixtures.fixture("net_X.npy") + "," + Fixtures.fixture("net_Y.npy"),
                    "--layers", "dense:4000,relu,dense:2", "--max-iter", "1", "--threads", "1", "--out",
                    out.toString(), "--checkpoint", ck.toString());
            assertEquals(1, r.exitCode(), r.err());
            // 16·4000 + 4000·2 = 72 000 float64 weights: 0.58 MB in --out (two .npy files), and auto's back-off keeps
            // its best iterate in the checkpoint beside them
            assertTrue(r.out().matches("(?s).*note: --checkpoint " + ck + ": 0\\.[01] MB free there; a checkpoint "
                    + "takes 1\\.2 MB, and two while one replaces the last: the run will stop at the first that does "
                    + "not fit \\(make room, or give another directory\\)\n.*"), r.out());
            assertTrue(r.out().matches("(?s).*note: --out " + out + ": 0\\.[01] MB free there; the weights take up "
                    + "to 0\\.6 MB: they will not be written unless room is made before the run ends\n.*"), r.out());
            assertTrue(r.err().contains("--out " + out + ": cannot write W1.npy (No space left on device)"),
                    r.err());
        }
    }

    /**
     * A checkpoint of hidden layers followed by a linear activation also holds their matrix invariants Q_h at the
     * start, channels² float64 values each: the note counted only the weights, 2-3 times too little.
     */
    @Test
    void aNetworkNoteCountsTheMatrixInvariantsOfItsLinearLayers() throws Exception {
        try (SmallFileSystem fs = SmallFileSystem.mount(dir.resolve("small"), 1024)) {
            Path ck = fs.root().resolve("ck");
            fs.fill("filler", 100);
            Run r = run("network", "--data", Fixtures.fixture("net_X.npy") + "," + Fixtures.fixture("net_Y.npy"),
                    "--layers", "dense:500,dense:500,dense:2", "--max-iter", "1", "--threads", "1", "--checkpoint",
                    ck.toString());
            // 16·500 + 500·500 + 500·2 = 259 000 float64 weights, twice under auto's back-off: 4.144 MB, and two Q_h
            // of 500² float64 values: 4 MB
            assertTrue(r.out().matches("(?s).*note: --checkpoint " + ck + ": 0\\.[01] MB free there; a checkpoint "
                    + "takes 8\\.1 MB, and two while one replaces the last: the run will stop at the first that does "
                    + "not fit \\(make room, or give another directory\\)\n.*"), r.out() + r.err());
        }
    }

    /** A matrix of Gaussian entries as a .npy file in the test's directory (not on the small file system). */
    private Path matrix(int rows, int cols) throws IOException {
        Path path = dir.resolve("M" + rows + "x" + cols + ".npy");
        SplittableRandom random = new SplittableRandom(11);
        try (DenseMatrix m = DenseMatrix.allocate(DType.FLOAT64, rows, cols)) {
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    m.set(i, j, random.nextGaussian());
                }
            }
            Npy.write(path, m);
        }
        return path;
    }

    /** The output directory's failure names the file in the staging directory as the output directory will. */
    @Test
    void aResultThatCannotBeWrittenIsNamedAndTheEarlierResultsStay() throws IOException {
        Path out = dir.resolve("out");
        Map<String, String> earlier = earlierResults(out, "U.npy", "V.npy", "summary.json");
        try (RunOutputs outputs = new RunOutputs(out)) {
            IOException e = assertThrows(IOException.class,
                    () -> outputs.commit(List.of("U.npy", "V.npy"), staging -> {
                        Files.writeString(staging.resolve("U.npy"), "new U");
                        throw new FileSystemException(staging.resolve("V.npy").toString(), null,
                                "No space left on device");
                    }, Map.of("new", true)));
            assertEquals("--out " + out + ": cannot write V.npy (No space left on device): nothing was written there",
                    e.getMessage());
        }
        assertEquals(earlier, contents(out), "the earlier results, and no staging directory");
    }
}
