package org.autobalance.bench.baseline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.autobalance.memory.DType;
import org.autobalance.testing.ChildJvm;
import org.autobalance.testing.SmallFileSystem;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bench commands' options and inputs as a new user mistypes them: each is refused in one line naming the option
 * (exit code 2) before anything is measured — not a stack trace, and not after the probes and the run (a --json that
 * cannot be written was found only when the results were to be saved).
 */
class BenchOptionsTest {
    private static final String EMPTY = "'': an empty path (an unset shell variable?); give a name (or ., the "
            + "working directory, where a directory is asked for)";

    @TempDir
    Path dir;

    /** Runs {@code bench args} with standard output and error captured; returns the code, output and error. */
    private static String[] bench(String... args) throws IOException {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            code = BenchCommand.execute(args);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        return new String[] {Integer.toString(code), o.toString(StandardCharsets.UTF_8),
            e.toString(StandardCharsets.UTF_8)};
    }

    /**
     * A file that cannot be written after the measurements (a full disk, on a small tmpfs; skipped where none can be
     * mounted): one line naming it with the system's reason, exit code 1 — it was a stack trace.
     */
    @Test
    void aResultThatDoesNotFitOnTheDiskIsOneLine() throws Exception {
        try (SmallFileSystem fs = SmallFileSystem.mount(dir.resolve("small"), 256)) {
            fs.fill("filler", 0);
            Path sample = Path.of(BenchOptionsTest.class.getResource("/jmh-sample.json").toURI());
            Path out = fs.root().resolve("report");
            String[] r = bench("report", sample.toString(), "--out", out.toString());
            assertEquals("1", r[0], r[2]);
            assertEquals("autobalance: error: bench report: " + out.resolve("baselines.md").toAbsolutePath()
                    + ": No space left on device"
                    + System.lineSeparator(), r[2]);
        }
    }

    /** Each argument list is refused with its line on standard error, exit code 2, and nothing printed before. */
    private static void assertRefused(Map<List<String>, String> refusals) throws IOException {
        for (Map.Entry<List<String>, String> refusal : refusals.entrySet()) {
            String[] run = bench(refusal.getKey().toArray(String[]::new));
            assertEquals("2", run[0], refusal.getKey() + ": " + run[2]);
            assertEquals("autobalance: error: " + refusal.getValue(), run[2].strip(), refusal.getKey().toString());
            assertEquals("", run[1], refusal.getKey() + " printed before it was refused");
        }
    }

    @Test
    void mistakesAreOneLineNamingTheOptionWithExitCodeTwo() throws IOException {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        Path oddFile = Files.writeString(dir.resolve("a\nb"), "x");
        Path notJson = Files.writeString(dir.resolve("M.mtx"), "%%MatrixMarket matrix array real general\n1 1\n1\n");
        Path object = Files.writeString(dir.resolve("bench.json"), "{\"results\": []}\n");
        Map<List<String>, String> refusals = Map.ofEntries(
                Map.entry(List.of("--shape", "100"), "bench: --shape needs D1xD2, e.g. 4096x2048, got '100'"),
                Map.entry(List.of("--size", "abc"), "bench: --size needs a positive integer up to 2147483647, got "
                        + "'abc'"),
                Map.entry(List.of("--rank", "1,x"), "bench: --rank needs a positive integer up to 2147483647, got "
                        + "'x'"),
                Map.entry(List.of("--size", "100", "--rank", "101"), "bench: --rank 101 outside [1, min(d1, d2)] = "
                        + "[1, 100]"),
                Map.entry(List.of("--threads", "0"), "bench: --threads needs a positive integer up to 2147483647, "
                        + "got '0'"),
                Map.entry(List.of("--json", file.resolve("x.json").toString(), "--size", "64", "--rank", "1"),
                        "bench: --json " + file.resolve("x.json") + ": its directory " + file
                                + ": exists and is not a directory"),
                Map.entry(List.of("--json", dir.toString()), "bench: --json " + dir + ": is a directory"),
                Map.entry(List.of("sparse", "--shape", "100"), "bench sparse: --shape needs D1xD2, e.g. 4096x2048, "
                        + "got '100'"),
                Map.entry(List.of("sparse", "--rank", "0"), "bench sparse: --rank needs a positive integer up to "
                        + "2147483647, got '0'"),
                Map.entry(List.of("sparse", "--pattern", "foo"), "bench sparse: unknown pattern 'foo': expected one "
                        + "of [uniform, powerlaw]"),
                Map.entry(List.of("sparse", "--warmup", "x"), "bench sparse: --warmup needs a number of seconds, got "
                        + "'x'"),
                Map.entry(List.of("sparse", "--nnz", "1e20"), "bench sparse: --nnz needs a positive integer up to "
                        + "9223372036854775807, got '1e20'"),
                // a new user's way to give the engine a width: "unknown option" alone did not say where it goes
                Map.entry(List.of("--quick", "-Dautobalance.simd.bits=256"), "bench: unknown option "
                        + "'-Dautobalance.simd.bits=256'; a system property goes to the JVM, not to the command: "
                        + "JDK_JAVA_OPTIONS='-Dautobalance.simd.bits=256' ./autobalance … (try --help)"),
                Map.entry(List.of("sparse", "-Dautobalance.simd.bits=256"), "bench sparse: unknown option "
                        + "'-Dautobalance.simd.bits=256'; a system property goes to the JVM, not to the command: "
                        + "JDK_JAVA_OPTIONS='-Dautobalance.simd.bits=256' ./autobalance … (try --help)"),
                Map.entry(List.of("report", dir.resolve("absent.json").toString()), "bench report: "
                        + dir.resolve("absent.json") + ": cannot read it (no such file)"),
                // the exception's class in the line: "cannot read it (java.io.IOException: Is a directory)"
                Map.entry(List.of("report", dir.toString()), "bench report: " + dir + ": is a directory, not a JMH "
                        + "result file (-rf json)"),
                Map.entry(List.of("report", notJson.toString()), "bench report: " + notJson + ": not a JMH result "
                        + "file (-rf json): JSON: unexpected '%' at offset 0"),
                Map.entry(List.of("report", notJson.toString(), "--out"), "bench report: --out needs a value"),
                // JSON of another shape: the message was a ClassCastException's, naming Java classes
                Map.entry(List.of("report", object.toString()), "bench report: " + object + ": not a JMH result "
                        + "file (-rf json): not the list of results JMH writes"),
                // an endless input: an OutOfMemoryError's stack trace once the heap was full
                Map.entry(List.of("report", "/dev/zero"), "bench report: /dev/zero: not a JMH result file (-rf json): "
                        + "longer than 67108864 bytes"),
                // one line whatever the name holds (it was two, the newline printed as is)
                Map.entry(List.of("--json", oddFile.resolve("x.json").toString(), "--size", "64", "--rank", "1"),
                        "bench: --json " + dir + "/a\\x0Ab/x.json: its directory " + dir + "/a\\x0Ab: exists and is "
                                + "not a directory"),
                // an unset variable, named without its option: "bench: '': an empty path …"
                Map.entry(List.of("--json", ""), "bench: --json " + EMPTY),
                Map.entry(List.of("sparse", "--json", ""), "bench sparse: --json " + EMPTY),
                Map.entry(List.of("report", notJson.toString(), "--out", ""), "bench report: --out " + EMPTY),
                Map.entry(List.of("--json", "~/x.json"), "bench: --json '~/x.json': the shell did not expand ~ (it "
                        + "does only at the start of a word, not after = or inside quotes); write "
                        + Path.of(System.getProperty("user.home"), "x.json") + " (or ./~/x.json for a name starting "
                        + "with ~ here)"));
        assertRefused(refusals);
    }

    /**
     * A bad engine property (JAVA_TOOL_OPTIONS, JDK_JAVA_OPTIONS) is the command's one line, exit code 2, before
     * anything is printed: the table and the sequence printed their header line first (and the table would have named
     * the machine and probed it had the check come later). A child JVM: the properties are fixed once per JVM.
     */
    @Test
    void aBadEnginePropertyIsOneLineBeforeTheHeader() throws Exception {
        for (List<String> args : List.of(List.of("--quick"), List.of("--sequence", "--quick"))) {
            Path output = dir.resolve("bad-property.out");
            Process p = ChildJvm.start(ChildJvm.command(List.of("--add-modules", "jdk.incubator.vector",
                    "-Dautobalance.simd.bits=100"), BenchCommand.class, args.toArray(String[]::new)), output);
            if (!p.waitFor(2, TimeUnit.MINUTES)) {
                p.destroyForcibly(); // not left running after the test (a bench --quick would measure for minutes)
                throw new AssertionError("the command did not end");
            }
            String out = Files.readString(output);
            assertEquals(2, p.exitValue(), out);
            assertEquals(List.of("autobalance: error: bench: system property autobalance.simd.bits must be 128, 256 "
                    + "or 512, got '100'"),
                    out.lines().filter(l -> !l.contains("Using incubator modules")).toList(), args.toString());
        }
    }

    /**
     * A --json that is a device, a pipe or a socket is refused before the run: the results are written beside it and
     * renamed over it, and as root `bench --json /dev/full` replaced the machine's /dev/full with a regular file
     * holding them, exit code 0 ("wrote /dev/full"). A FIFO here stands for the device (the old code replaced it
     * too, harmlessly, after the run; bench sparse wrote into it in place, which blocks without a reader).
     */
    @Test
    void aJsonThatIsNotARegularFileIsRefusedBeforeTheRun() throws Exception {
        Path fifo = dir.resolve("results.fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());
        String expected = "--json " + fifo + ": is not a regular file (a device, a pipe or a socket): the results, "
                + "written beside it and renamed over it, would replace it; give a file name";
        for (String[] args : new String[][] {{"--json", fifo.toString(), "--size", "64", "--rank", "1", "--dtype",
            "float32", "--threads", "1", "--warmup", "0.05", "--measure", "0.05"}, {"sparse", "--json",
            fifo.toString(), "--shape", "64x64", "--nnz", "100", "--rank", "1", "--no-python", "--warmup", "0.05",
            "--measure", "0.05"}}) {
            String[] run = bench(args);
            assertEquals("2", run[0], run[2]);
            String command = args[0].equals("sparse") ? "bench sparse: " : "bench: ";
            assertEquals("autobalance: error: " + command + expected, run[2].strip());
            assertEquals("", run[1], "printed before it was refused");
            assertFalse(Files.isRegularFile(fifo), "replaced by a file");
        }
    }

    /** A matrix bigger than the machine (200000² float64 is 320 GB) is refused before the probes allocate theirs. */
    @Test
    void aProblemBiggerThanTheMachineIsRefusedBeforeAnythingRuns() throws IOException {
        String[] dense = bench("--size", "200000000", "--rank", "1");
        assertEquals("2", dense[0], dense[2]);
        assertTrue(dense[2].startsWith("autobalance: error: bench: cannot benchmark a 200000000 x 200000000 float64 "
                + "matrix")
                && dense[2].strip().lines().count() == 1, dense[2]);
        String[] sparse = bench("sparse", "--nnz", "100000000000");
        assertEquals("2", sparse[0], sparse[2]);
        assertTrue(sparse[2].startsWith("autobalance: error: bench sparse: cannot allocate 100000000000 staged "
                + "sparse entries"),
                sparse[2]);
        assertEquals("", dense[1] + sparse[1]);
    }

    @Test
    void helpNamesEverySubcommandAndExitsZero() throws IOException {
        String[] help = bench("--help");
        assertEquals("0", help[0]);
        for (String sub : List.of("bench --sequence", "bench report", "bench sparse", "bench e2e")) {
            assertTrue(help[1].contains("./autobalance " + sub), help[1]);
        }
        for (List<String> args : List.of(List.of("sparse", "--help"), List.of("report", "--help"))) {
            String[] sub = bench(args.toArray(String[]::new));
            assertEquals("0", sub[0], args.toString());
            assertTrue(sub[1].startsWith("usage: ./autobalance bench " + args.getFirst()), sub[1]);
            assertFalse(sub[1].isBlank());
        }
    }

    /**
     * {@code bench e2e --json "$F"} with F unset: Python takes the empty name for no --json, so every cell ran
     * (minutes) and nothing was written, exit 0. Refused before the first process starts, as an empty path is by
     * every command.
     */
    @Test
    void e2eRefusesAnEmptyPathBeforeItRuns() throws IOException, InterruptedException {
        for (String option : List.of("--json", "--work")) {
            Process p;
            try {
                p = new ProcessBuilder("python3", Path.of("e2e", "run.py").toString(), "--size", "2x2:1", option, "")
                        .redirectErrorStream(true).start();
            } catch (IOException noPython) {
                Assumptions.abort("python3 is not on PATH: bench e2e needs it");
                return;
            }
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(2, p.waitFor(), output);
            assertEquals("autobalance: error: bench e2e: " + option + " '': an empty path (an unset shell variable?); "
                    + "give a name (try --help)", output.strip());
        }
    }

    /**
     * Lists with a stray comma, an item twice, an option twice, two options that exclude each other, a value without
     * its option: each was taken (the comma dropped, one value of two kept, an empty --impl list measuring nothing) and
     * is now one line naming it. Found by a new user's session (native-notes/reliability.md, "Sixteenth session: bench
     * options").
     */
    @Test
    void contradictionsAndMalformedListsAreRefused() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        Path sample = Path.of(BenchOptionsTest.class.getResource("/jmh-sample.json").toURI());
        Map<List<String>, String> refusals = Map.ofEntries(
                Map.entry(List.of("--dtype", "float32,"), "bench: --dtype 'float32,': an empty item (a stray comma?)"),
                Map.entry(List.of("--dtype", ","), "bench: --dtype ',': an empty item (a stray comma?)"),
                Map.entry(List.of("--dtype", "float64,float64"), "bench: --dtype float64,float64: an item given "
                        + "twice"),
                Map.entry(List.of("--impl", "autobalance,"), "bench: --impl 'autobalance,': an empty item (a stray "
                        + "comma?)"),
                Map.entry(List.of("--impl", ","), "bench: --impl ',': an empty item (a stray comma?)"),
                Map.entry(List.of("--threads", "1,1"), "bench: --threads 1,1: an item given twice"),
                // the ceiling probe ran with 1025 threads (minutes) before the engine refused the count
                Map.entry(List.of("--threads", "1,1025"), "bench: --threads 1025: the engine runs at most 1024 "
                        + "threads"),
                Map.entry(List.of("sparse", "--threads", "1025"), "bench sparse: --threads 1025: the engine runs at "
                        + "most 1024 threads"),
                Map.entry(List.of("--rank", "16,16"), "bench: --rank 16,16: an item given twice"),
                Map.entry(List.of("--rank", "16", "--rank", "64"), "bench: --rank given twice"),
                Map.entry(List.of("--size", "100", "--shape", "100x200"), "bench: --size and --shape exclude each "
                        + "other (--size D is --shape DxD)"),
                Map.entry(List.of("--shape", "100x200", "--size", "100"), "bench: --size and --shape exclude each "
                        + "other (--size D is --shape DxD)"),
                Map.entry(List.of("--sequence", "--impl", "openblas-gram"), "bench: --impl: --sequence times the "
                        + "engine alone (autobalance), not the baselines"),
                Map.entry(List.of("--sequence", "full"), "bench: unexpected argument 'full': a value follows its "
                        + "option's name (try --help)"),
                Map.entry(List.of("--alone-cell", "float32"), "bench: --alone-cell needs DTYPE,R,THREADS, got "
                        + "'float32'"),
                Map.entry(List.of("sparse", "--pattern", "uniform,"), "bench sparse: --pattern 'uniform,': an empty "
                        + "item (a stray comma?)"),
                Map.entry(List.of("sparse", "--objective", "full,full"), "bench sparse: --objective full,full: an "
                        + "item given twice"),
                Map.entry(List.of("sparse", "--nnz", "5", "--nnz", "6"), "bench sparse: --nnz given twice"),
                Map.entry(List.of("sparse", "--dtype", "float32,float64"), "bench sparse: --dtype takes one dtype, "
                        + "float32 or float64"),
                // an option before the files printed the usage, naming nothing; here --out is read, and refused
                Map.entry(List.of("report", "--out", file.toString(), sample.toString()), "bench report: --out "
                        + file.resolve("baselines.md") + ": its directory " + file + ": exists and is not a "
                        + "directory"),
                Map.entry(List.of("report"), "bench report: no JMH result file given: bench report JMH.json... "
                        + "[--out DIR] [--name NAME] [--command TEXT] (try --help)"),
                Map.entry(List.of("report", sample.toString(), "-x"), "bench report: unknown option '-x' (try "
                        + "--help)"),
                Map.entry(List.of("report", sample.toString(), sample.toString()), "bench report: " + sample
                        + ": given twice"),
                Map.entry(List.of("report", sample.toString(), "--name", "../x"), "bench report: --name '../x': a "
                        + "file name without a directory (the files are DIR/NAME.md and DIR/NAME.png, DIR from "
                        + "--out)"));
        assertRefused(refusals);
    }

    /**
     * The refusals above stop short of what was right: the sequence goes back to a rank on purpose (its default is
     * 1,…,64,1), and {@code --impl autobalance} names the one implementation it times.
     */
    @Test
    void theSequenceTakesARepeatedRankAndItsOwnImpl() {
        assertArrayEquals(new int[] {1, 2, 1}, BenchCommand.parsed("--sequence", "--rank", "1,2,1").ranks());
        assertArrayEquals(new int[] {1, 2, 1},
                BenchCommand.parsed("--sequence", "--impl", "autobalance", "--rank", "1,2,1").ranks());
    }

    /**
     * {@code --quick} is a preset: what is spelt out beside it wins, in either order. "--dtype float64 --quick" kept
     * float32 only of float64, an empty list (a run that measured nothing), and "--warmup 5 --quick" lost the 5.
     */
    @Test
    void quickLeavesWhatIsSpeltOutBesideItInEitherOrder() {
        for (List<String> args : List.of(List.of("--quick", "--dtype", "float64", "--measure", "7"),
                List.of("--dtype", "float64", "--measure", "7", "--quick"))) {
            BenchCommand c = BenchCommand.parsed(args.toArray(String[]::new));
            assertEquals(List.of(DType.FLOAT64), c.dtypes(), args.toString());
            assertArrayEquals(new double[] {1.5, 7}, c.windows(), args.toString());
        }
        BenchCommand quick = BenchCommand.parsed("--sequence", "--quick");
        assertEquals(List.of(DType.FLOAT32), quick.dtypes());
        assertArrayEquals(new double[] {1.5, 2}, quick.windows());
        BenchCommand plain = BenchCommand.parsed();
        assertEquals(List.of(DType.FLOAT32, DType.FLOAT64), plain.dtypes());
        assertArrayEquals(new double[] {2, 3}, plain.windows());
    }

    /**
     * SIGTERM to the command alone (as timeout(1) and {@link Process#destroy()} send it) while a fresh JVM of
     * {@code --sequence} warms up: that JVM was left running, until the end of its warm-up (6 s here, up to 10× as
     * long while the JIT is busy). Now it ends with the command.
     */
    @Test
    void aSignalToTheCommandEndsTheProcessesItStarted() throws Exception {
        Path output = dir.resolve("bench.out");
        // a process the JVM inherits through exec is its child too, not the command's: the hook ended it as well
        List<String> command = new java.util.ArrayList<>(List.of("sh", "-c", "sleep 1000 & exec \"$0\" \"$@\""));
        command.addAll(ChildJvm.command(List.of("--add-modules", "jdk.incubator.vector"), BenchCommand.class,
                "--sequence", "--size", "64", "--rank", "1", "--threads", "1", "--dtype", "float32", "--warmup", "6",
                "--measure", "0.1"));
        Process p = ChildJvm.start(command, output);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        ProcessHandle fresh = null;
        ProcessHandle inherited = null;
        try {
            while (fresh == null) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    fail("no fresh JVM was started:\n" + Files.readString(output));
                }
                // not the ps that the command runs to name the busiest processes
                fresh = child(p, "--alone-cell");
                Thread.sleep(10);
            }
            inherited = child(p, "sleep");
            assertTrue(inherited != null, "no inherited sleep");
            p.destroy();
            assertTrue(p.waitFor(1, TimeUnit.MINUTES), "the command did not end");
            try {
                fresh.onExit().get(4, TimeUnit.SECONDS);
            } catch (TimeoutException stillRunning) {
                fail("the fresh JVM outlived the command by 4 s");
            }
            assertTrue(running(inherited), "the command ended a process it did not start");
            assertEquals("", Files.readString(output).lines().filter(l -> l.contains("ended early"))
                    .collect(java.util.stream.Collectors.joining("\n")), "the main thread's word on its own signal");
        } finally {
            p.destroyForcibly();
            if (fresh != null) {
                fresh.destroyForcibly();
            }
            if (inherited != null) {
                inherited.destroyForcibly();
            }
        }
    }

    /**
     * Whether {@code h} runs: {@link ProcessHandle#isAlive} is true of a zombie, and a process ended here outlives
     * its parent as one where the init process (a container's) reaps late.
     */
    private static boolean running(ProcessHandle h) throws IOException {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(h.pid()), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (java.nio.file.NoSuchFileException ended) {
            return false;
        }
    }

    /** A child of {@code p} whose command line contains {@code text}, or null. */
    private static ProcessHandle child(Process p, String text) {
        return p.toHandle().children().filter(c -> c.info().commandLine().orElse("").contains(text)).findFirst()
                .orElse(null);
    }

    @Test
    void shapesAndListsParse() {
        assertArrayEquals(new int[] {4096, 2048}, BenchCommand.shape("4096X2048", "--shape"));
        assertArrayEquals(new int[] {1, 16, 64}, BenchCommand.ints("1, 16,64", "--rank"));
        assertThrows(IllegalArgumentException.class, () -> BenchCommand.ints("1,,2", "--rank"));
        assertThrows(IllegalArgumentException.class, () -> BenchCommand.shape("4096x", "--shape"));
    }
}
