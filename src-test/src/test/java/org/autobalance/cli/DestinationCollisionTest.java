package org.autobalance.cli;

import static org.autobalance.cli.CommandLineTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.autobalance.cli.CommandLineTest.Run;
import org.autobalance.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A --log given the name of another file the run reads or writes (a new user's twelfth-session finding): it was
 * renamed over that file at the end, or that file over it. Each is refused before M is read, exit code 2, one line,
 * and the file is untouched.
 */
class DestinationCollisionTest {
    @TempDir
    Path dir;

    private static final String M = Fixtures.fixture("spectrum_64x48.mtx").toString();

    /** The start's U0 was replaced by the iteration records (exit 0, "iteration log U0.mtx"). */
    @Test
    void aLogNamedAsAStartFactorIsRefused() throws IOException {
        Path u0 = dir.resolve("U0.mtx");
        Path v0 = dir.resolve("V0.mtx");
        Run first = run("factorize", "--input", M, "--rank", "3", "--max-iter", "5", "--out", dir.toString());
        assertEquals(0, first.exitCode(), first.err());
        Files.move(dir.resolve("U.mtx"), u0);
        Files.move(dir.resolve("V.mtx"), v0);
        byte[] before = Files.readAllBytes(u0);
        for (String command : List.of("factorize", "demo")) {
            List<String> args = new ArrayList<>(List.of(command, "--init", "file:" + u0 + "," + v0,
                    "--max-iter", "5", "--log", u0.toString()));
            if (command.equals("factorize")) {
                args.addAll(List.of("--input", M, "--rank", "3"));
            }
            Run r = run(args.toArray(String[]::new));
            assertEquals(Main.EXIT_USAGE, r.exitCode(), command + ": " + r.err());
            assertEquals("autobalance: error: --log " + u0 + ": is " + u0 + ", which this run reads: the log would "
                    + "replace it; give another file" + System.lineSeparator(), r.err(), command);
            assertEquals("", r.out(), command + ": M was read");
            assertArrayEquals(before, Files.readAllBytes(u0), command);
        }
    }

    /** network --init file:DIR: a --log naming one of DIR's parameter files would replace that start too. */
    @Test
    void aNetworkLogNamedAsAStartParameterFileIsRefused() throws IOException {
        Path start = Files.createDirectories(dir.resolve("start"));
        for (int h = 1; h <= 3; h++) {
            Files.copy(Fixtures.fixture("net_W" + h + "_0.npy"), start.resolve("W" + h + ".npy"));
        }
        Path w2 = start.resolve("W2.npy");
        byte[] before = Files.readAllBytes(w2);
        Run r = run("network", "--data", Fixtures.fixture("net_X.npy") + "," + Fixtures.fixture("net_Y.npy"),
                "--layers", "conv1d:3,3,relu,dense:4,leaky:0.1,dense:2", "--input-shape", "2,8", "--init",
                "file:" + start, "--max-iter", "5", "--log", w2.toString());
        assertEquals(Main.EXIT_USAGE, r.exitCode(), r.err());
        assertEquals("autobalance: error: --log " + w2 + ": is " + w2 + ", which this run reads: the log would "
                + "replace it; give another file" + System.lineSeparator(), r.err());
        assertArrayEquals(before, Files.readAllBytes(w2));
    }

    /**
     * --log out/summary.json: the run printed "iteration log out/summary.json", which held the summary (the log was
     * lost); --log out/.autobalance-out.lock went with the lock; --log ck/checkpoint replaced the checkpoint, so
     * that a --resume was refused. A log beside the results or the checkpoint under a name of its own is fine.
     */
    @Test
    void aLogNamedAsAFileTheRunWritesIsRefused() throws IOException {
        Path out = dir.resolve("out");
        Path ck = dir.resolve("ck");
        // the names this run writes (its --out-format's: out/V.npy is a name of its own beside U.mtx and V.mtx)
        for (String name : List.of("summary.json", "U.mtx", "V.mtx", ".autobalance-out.lock")) {
            Path log = out.resolve(name);
            Run r = run("factorize", "--input", M, "--rank", "3", "--max-iter", "5", "--out", out.toString(),
                    "--log", log.toString());
            assertEquals(Main.EXIT_USAGE, r.exitCode(), name + ": " + r.err());
            assertEquals("autobalance: error: --log " + log + ": is " + name + " in --out " + out + ", which this "
                    + "run writes too: one would replace the other; give the log another name"
                    + System.lineSeparator(), r.err(), name);
            assertEquals("", r.out(), name + ": M was read");
            assertTrue(Files.notExists(out), name + ": --out was made");
        }
        for (String name : List.of("checkpoint", ".lock")) {
            Path log = ck.resolve(name);
            Run r = run("factorize", "--input", M, "--rank", "3", "--max-iter", "5", "--checkpoint", ck.toString(),
                    "--log", log.toString());
            assertEquals(Main.EXIT_USAGE, r.exitCode(), name + ": " + r.err());
            assertEquals("autobalance: error: --log " + log + ": is " + name + " in the checkpoint directory " + ck
                    + ", which this run writes too: one would replace the other; give the log another name"
                    + System.lineSeparator(), r.err(), name);
            assertTrue(Files.notExists(ck), name + ": the checkpoint directory was made");
        }
        // the same file through a symbolic link to it: the log is renamed to where the link leads
        Files.createDirectories(out);
        Path link = Files.createSymbolicLink(dir.resolve("run.jsonl"), out.resolve("summary.json"));
        Run throughLink = run("factorize", "--input", M, "--rank", "3", "--max-iter", "5", "--out", out.toString(),
                "--log", link.toString());
        assertEquals(Main.EXIT_USAGE, throughLink.exitCode(), throughLink.err());
        assertTrue(throughLink.err().startsWith("autobalance: error: --log " + link + ": is summary.json in --out "),
                throughLink.err());
        Files.delete(link);
        Run beside = run("factorize", "--input", M, "--rank", "3", "--max-iter", "5", "--out", out.toString(),
                "--checkpoint", ck.toString(), "--log", ck.resolve("run.jsonl").toString());
        assertEquals(0, beside.exitCode(), beside.err());
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(List.of("U.mtx", "V.mtx", "summary.json"), files.map(f -> f.getFileName().toString())
                    .sorted().toList());
        }
        assertEquals(5, Files.readAllLines(ck.resolve("run.jsonl")).size());
    }

    /**
     * A directory the run makes where it writes a file (a new user's finding, each run until its first write or its
     * end): --out o/q --log o/q lost its results when the log could not be renamed over their directory; --checkpoint
     * c --out c/checkpoint stopped at the first checkpoint with advice to resume from none; --out d --checkpoint
     * d/U.mtx left its results under another name; the log's directory at the checkpoint's file likewise. Each is
     * refused before M is read, and nothing is made. A directory inside another under a name of its own is fine.
     */
    @Test
    void aDirectoryWhereTheRunWritesAFileIsRefused() throws IOException {
        Path o = dir.resolve("o");
        String[][] cases = {
            {"--out", o.resolve("q").toString(), "--log", o.resolve("q").toString(),
                "--out " + o.resolve("q") + ": is where this run writes the log " + o.resolve("q")},
            {"--log", o.resolve("e/x.jsonl").toString(), "--checkpoint", o.resolve("e/x.jsonl").toString(),
                "the checkpoint directory " + o.resolve("e/x.jsonl") + ": is where this run writes the log "
                    + o.resolve("e/x.jsonl")},
            {"--checkpoint", o.resolve("c").toString(), "--out", o.resolve("c/checkpoint").toString(),
                "--out " + o.resolve("c/checkpoint") + ": is where this run writes checkpoint in the checkpoint "
                    + "directory " + o.resolve("c")},
            {"--out", o.resolve("d").toString(), "--checkpoint", o.resolve("d/U.mtx/deeper").toString(),
                "the checkpoint directory " + o.resolve("d/U.mtx/deeper") + ": is where this run writes U.mtx in "
                    + "--out " + o.resolve("d")},
            {"--checkpoint", o.resolve("c").toString(), "--log", o.resolve("c/checkpoint/x.jsonl").toString(),
                "--log " + o.resolve("c/checkpoint/x.jsonl") + ": its directory: is where this run writes checkpoint "
                    + "in the checkpoint directory " + o.resolve("c")}};
        for (String[] c : cases) {
            Run r = run("factorize", "--input", M, "--rank", "3", "--max-iter", "5", c[0], c[1], c[2], c[3]);
            assertEquals(Main.EXIT_USAGE, r.exitCode(), String.join(" ", c) + ": " + r.err());
            assertEquals("autobalance: error: " + c[4] + ": give it another path" + System.lineSeparator(), r.err());
            assertEquals("", r.out(), c[4] + ": M was read");
            assertTrue(Files.notExists(o), c[4] + ": " + o + " was made");
        }
        Path r = o.resolve("r");
        Run nested = run("factorize", "--input", M, "--rank", "3", "--max-iter", "5", "--out", r.toString(),
                "--checkpoint", r.resolve("checkpoints").toString(), "--log", r.resolve("logs/run.jsonl").toString());
        assertEquals(0, nested.exitCode(), nested.err());
        assertTrue(Files.isRegularFile(r.resolve("U.mtx")) && Files.isRegularFile(r.resolve("logs/run.jsonl")),
                nested.out());
    }

    /**
     * The log's directory removed by another program during the run: the records went on into the unlinked staging
     * file, and the run ended with exit code 0 saying "iteration log logs/run.jsonl" of a log that was nowhere. It
     * fails as a log that cannot be written does (exit code 1, nothing written to --out).
     */
    @Test
    void aLogRemovedDuringTheRunIsAFailureNotASuccess() throws Exception {
        Path logs = dir.resolve("logs");
        Path out = dir.resolve("out");
        Path staging = logs.resolve(".run.jsonl.partial");
        Throwable[] removerFailed = new Throwable[1];
        Thread remover = Thread.ofPlatform().start(() -> {
            try {
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (!Files.exists(staging)) {
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError("the log's staging file " + staging + " never appeared");
                    }
                    Thread.sleep(5);
                }
                // the directory with all in it: the staging file and the log's lock beside it
                try (Stream<Path> files = Files.list(logs)) {
                    for (Path f : files.toList()) {
                        Files.delete(f);
                    }
                }
                Files.delete(logs);
            } catch (Throwable e) {
                removerFailed[0] = e;
            }
        });
        Run r = run("factorize", "--input", M, "--rank", "3", "--tol", "0", "--max-iter", "100000000",
                "--max-seconds", "2", "--out", out.toString(), "--log", logs.resolve("run.jsonl").toString());
        remover.join();
        if (removerFailed[0] != null) {
            throw new AssertionError("the log's directory was not removed", removerFailed[0]);
        }
        assertTrue(Files.notExists(logs), "the log's directory is back");
        assertEquals(1, r.exitCode(), r.err());
        assertEquals("autobalance: error: --log " + logs.resolve("run.jsonl") + ": " + staging + ", where its records "
                + "were written, was removed during the run: the log is lost; nothing was written to " + out
                + System.lineSeparator(), r.err());
        assertTrue(Files.notExists(out.resolve("summary.json")), "results were written");
    }
}
