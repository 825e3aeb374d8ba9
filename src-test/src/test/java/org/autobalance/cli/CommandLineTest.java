package org.autobalance.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.autobalance.io.MatrixMarket;
import org.autobalance.io.Npy;
import org.autobalance.io.internal.RunLock;
import org.autobalance.json.Json;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.observe.IterationRecord;
import org.autobalance.solve.CancelToken;
import org.autobalance.solve.Factorizer;
import org.autobalance.synthetic.KnownMatrices;
import org.autobalance.testing.Dense;
import org.autobalance.testing.Fixtures;
import org.autobalance.testing.OldCheckpoints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The command line end to end, in-process, against independent numpy/scipy fixtures. */
class CommandLineTest {
    @TempDir
    Path dir;

    /** A command's exit code and what it printed (shared with the other command-line tests). */
    record Run(int exitCode, String out, String err) {
    }

    /**
     * Runs the command in this JVM. Standard error comes without the heartbeat's progress lines ("autobalance: WHAT
     * (N s)", HeartbeatTest's subject): a command that passes 5 s on a loaded machine prints one, and the messages
     * the tests compare whole would then depend on the load.
     */
    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), PROGRESS_LINE.matcher(err.toString()).replaceAll(""));
    }

    private static final Pattern PROGRESS_LINE = Pattern.compile("(?m)^autobalance: (?!error: ).* \\(\\d+ s\\)\n");

    private static String fixture(String name) {
        return Fixtures.fixture(name).toString();
    }

    /** A factor file the command wrote, read as float64 by the reader its extension names. */
    private static double[][] read(Path p) throws IOException {
        try (DenseMatrix m = p.toString().endsWith(".npy") ? Npy.read(p, DType.FLOAT64)
                : MatrixMarket.read(p, DType.FLOAT64)) {
            return m.toArray();
        }
    }

    /** The inputs (M and the initial factors) in one format, the outputs in the other or the same. */
    @ParameterizedTest
    @CsvSource({"mtx, mtx", "npy, npy", "npy, mtx", "mtx, npy", "csv, npy"})
    void userSuppliedFactorsAndAConstantStepReproduceTextbookIterates(String in, String outFormat)
            throws IOException {
        String trajectory = Files.readString(Fixtures.fixture("gd_trajectory.json"));
        double eta = Fixtures.jsonNumber(trajectory, "eta");
        Path out = dir.resolve("out");
        Path log = dir.resolve("run.jsonl");
        Run r = run("factorize", "--input", fixture("gd_M." + in), "--rank", "2", "--dtype", "float64",
                "--init", "file:" + fixture("gd_U0." + in) + "," + fixture("gd_V0." + in), "--schedule",
                "constant:" + eta, "--max-iter", "50", "--tol", "0", "--threads", "2", "--out", out.toString(),
                "--out-format", outFormat, "--log", log.toString());
        assertEquals(0, r.exitCode(), r.err());
        double[][] u = read(out.resolve("U." + outFormat));
        double[][] v = read(out.resolve("V." + outFormat));
        double[][] u50 = read(Fixtures.fixture("gd_U50.mtx"));
        double[][] v50 = read(Fixtures.fixture("gd_V50.mtx"));
        assertTrue(Dense.maxAbsDifference(u, u50) <= 1e-12 * Dense.maxAbs(u50), "U after 50 steps");
        assertTrue(Dense.maxAbsDifference(v, v50) <= 1e-12 * Dense.maxAbs(v50), "V after 50 steps");
        assertEquals(50, Fixtures.jsonNumber(Files.readString(out.resolve("summary.json")), "iterations"));

        List<String> records = Files.readAllLines(log);
        assertEquals(50, records.size());
        double[][] mArray = read(Fixtures.fixture("gd_M.mtx"));
        double normMSquared = Math.pow(KnownMatrices.frobenius(mArray), 2);
        // worst-case rounding of the one-pass identity 2f = ‖M‖² − 2⟨U, MV⟩ + ⟨UᵀU, VᵀV⟩: each term is a sum of at
        // most n = d1·d2 products and is at most ‖M‖² in size here (f₀ ≈ ‖M‖²/2, the factors small), so
        // |error of f| ≤ ½·3·γ_n·‖M‖² with γ_n = n·u/(1 − n·u) (Higham §3.1); numpy's exact residual adds γ_n·f
        double n = (double) mArray.length * mArray[0].length * 0x1p-53;
        double lossTolerance = 2.5 * n / (1 - n) * normMSquared;
        double normM = Math.sqrt(normMSquared);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> expected = (List<Map<String, Object>>) ((Map<String, Object>) Json.parse(trajectory))
                .get("trajectory");
        for (int t = 0; t < records.size(); t++) {
            String record = records.get(t);
            double loss = (Double) expected.get(t).get("loss");
            double balance = (Double) expected.get(t).get("balance");
            assertEquals(loss, Fixtures.jsonNumber(record, "loss"), lossTolerance, record);
            assertEquals(balance, Fixtures.jsonNumber(record, "balance"), 1e-12 * balance, record);
            // relative_error = √(2·loss)/‖M‖_F moves by δloss/(‖M‖_F·√(2·loss)) for an error δloss of the loss
            assertEquals(Math.sqrt(2 * loss) / normM, Fixtures.jsonNumber(record, "relative_error"),
                    lossTolerance / (normM * Math.sqrt(2 * loss)), record);
        }
    }

    /**
     * The same matrix from numpy's .npy and from text, Matrix Market or the case,
     * {@code np.savetxt('M.csv', M, delimiter=',')}: the same run, bit for bit, in either precision (both texts hold
     * enough digits to read back as the very doubles).
     */
    @ParameterizedTest
    @CsvSource({"float32, mtx", "float64, mtx", "float32, csv", "float64, csv"})
    void npyAndTextInputsGiveTheSameRun(String dtype, String text) throws IOException {
        Path fromText = dir.resolve(text);
        Path fromNpy = dir.resolve("npy");
        for (Path out : List.of(fromText, fromNpy)) {
            String in = "spectrum_64x48." + (out == fromText ? text : "npy");
            Run r = run("factorize", "--input", fixture(in), "--rank", "5", "--dtype", dtype, "--max-iter", "300",
                    "--threads", "2", "--out", out.toString(), "--out-format", out == fromText ? "mtx" : "npy");
            assertEquals(0, r.exitCode(), r.err());
            assertTrue(r.out().contains(out == fromNpy ? "storage: dense (a .npy file is dense)" : text.equals("csv")
                    ? "storage: dense (a delimited text file is dense)" : "storage: dense (auto: an array file"),
                    r.out());
        }
        assertArrayEquals(read(fromText.resolve("U.mtx")), read(fromNpy.resolve("U.npy")));
        assertArrayEquals(read(fromText.resolve("V.mtx")), read(fromNpy.resolve("V.npy")));
        String a = Files.readString(fromText.resolve("summary.json"));
        String b = Files.readString(fromNpy.resolve("summary.json"));
        for (String key : List.of("iterations", "loss", "relative_error", "balance")) {
            assertEquals(Fixtures.jsonNumber(a, key), Fixtures.jsonNumber(b, key), key);
        }
    }

    /** A header row is skipped with a note on the output; the values are those of the file without it. */
    @Test
    void aCsvHeaderRowIsSkippedWithANote() throws IOException {
        Path csv = dir.resolve("named.csv");
        Files.writeString(csv, "a,b,c\n1,2,3\n4,5,6.5\n-1,0,2\n");
        Path out = dir.resolve("out");
        Run r = run("factorize", "--input", csv.toString(), "--rank", "1", "--max-iter", "1", "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("note: " + csv + ", line 1: skipped as a header (it holds no number): 3 names, "
                + "'a', 'b', 'c'" + System.lineSeparator()), r.out());
        assertTrue(r.out().contains(csv + " (3 x 3, float64), rank 1"), r.out());
    }

    /**
     * Delimited text holds a dense array: where a sparse matrix is needed it is refused by name, and a damaged file
     * is one line naming the line and column, exit code 2 and nothing written. A CSV under another name gets a hint
     * from the Matrix Market reader.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "M.csv|1,2\\n3,4\\n|--storage sparse|a delimited text file holds a dense array: --storage sparse needs a "
            + "coordinate .mtx or a scipy .npz",
        "M.tsv|1\\t2\\n3\\t4\\n|--objective observed|a delimited text file holds a dense array: --objective observed",
        "M.csv|1,2\\n3\\n|--max-iter 1|cannot read M from DIR/M.csv, line 2: row 2 has 1 values, row 1 "
            + "(line 1) has 2: column 2 is missing",
        "M.csv|1,2\\n3,nan\\n|--max-iter 1|cannot read M from DIR/M.csv, line 2: non-finite value 'nan' at "
            + "row 2, column 2",
        "M.txt||--max-iter 1|cannot read M from DIR/M.txt, line 1: empty input: no values",
        "M.mtx|1.5,2\\n3,4\\n|--max-iter 1|found '1.5,2' (numbers in rows? delimited text is read from a name "
            + "ending in .csv, .tsv, .txt or .dat, also for a named pipe)"})
    void delimitedTextWhereItCannotBeReadIsOneLine(String name, String text, String options, String message)
            throws IOException {
        Path input = Files.writeString(dir.resolve(name), text == null ? "" : text.replace("\\n", "\n")
                .replace("\\t", "\t"));
        Path out = dir.resolve("out");
        Run r = run(Stream.concat(Stream.of("factorize", "--input", input.toString(), "--rank", "1", "--out",
                out.toString()), Stream.of(options.split(" "))).toArray(String[]::new));
        assertEquals(Main.EXIT_USAGE, r.exitCode(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains(message.replace("DIR", dir.toString())), r.err());
        assertNoOutputs(out);
    }

    /**
     * A ratings file as MovieLens ships it ({@code userId,movieId,rating,timestamp}) is a list of entries, not a
     * matrix: read as delimited text it would be an n × 4 table, factorised as such. {@code --storage auto} refuses it
     * in one line that says what it looks like and what to do; {@code --storage dense} factorises the table; a table
     * whose first columns are not ids is read as ever.
     */
    @Test
    void aListOfEntriesIsNotTakenForAMatrix() throws IOException {
        StringBuilder ratings = new StringBuilder("userId,movieId,rating,timestamp\n");
        for (int k = 0; k < 40; k++) {
            ratings.append(1 + k / 8).append(',').append(1 + (k * 37) % 101).append(',').append(0.5 * (1 + k % 10))
                    .append(',').append(964982703L + 1000L * k).append('\n');
        }
        Path csv = Files.writeString(dir.resolve("ratings.csv"), ratings);
        Path out = dir.resolve("out");
        Run r = run("factorize", "--input", csv.toString(), "--rank", "2", "--out", out.toString());
        assertEquals(Main.EXIT_USAGE, r.exitCode(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains(csv + " holds 40 rows of 4 columns whose first two are distinct pairs of whole "
                + "numbers >= 0: a list of (row id, column id, value) entries"), r.err());
        assertTrue(r.err().contains("Write the entries as a coordinate .mtx or a scipy .npz (README: 'Lists of entries "
                + "(ratings, edges)'), or give --storage dense to factorize the table"), r.err());
        assertNoOutputs(out);
        // the sparse objective names the same way out before reading anything
        Run observed = run("factorize", "--input", csv.toString(), "--rank", "2", "--objective", "observed");
        assertEquals(Main.EXIT_USAGE, observed.exitCode(), observed.err());
        assertTrue(observed.err().contains("--objective observed needs a coordinate .mtx or a scipy .npz (README: "
                + "'Lists of entries (ratings, edges)')"), observed.err());
        // asked for, the table itself
        Run table = run("factorize", "--input", csv.toString(), "--rank", "2", "--storage", "dense", "--max-iter", "3",
                "--out", out.toString());
        assertEquals(0, table.exitCode(), table.err());
        assertTrue(table.out().contains("storage: dense (--storage dense)"), table.out());
        assertTrue(table.out().contains(csv + " (40 x 4, float64), rank 2"), table.out());
        // a table of small counts (found in review): its pairs repeat, so it is a matrix, read as ever
        StringBuilder counts = new StringBuilder();
        for (int k = 0; k < 40; k++) {
            counts.append(k % 3).append(',').append(k % 5 / 2).append(',').append(k % 7).append('\n');
        }
        Path table3 = Files.writeString(dir.resolve("counts.csv"), counts);
        Run countTable = run("factorize", "--input", table3.toString(), "--rank", "2", "--max-iter", "3");
        assertEquals(0, countTable.exitCode(), countTable.err());
        assertTrue(countTable.out().contains("storage: dense (a delimited text file is dense)"), countTable.out());
        // a first column that is not all whole numbers: a matrix, read as ever
        Files.writeString(csv, ratings.toString().replaceFirst("\n1,", "\n1.5,"));
        Run matrix = run("factorize", "--input", csv.toString(), "--rank", "2", "--max-iter", "3");
        assertEquals(0, matrix.exitCode(), matrix.err());
        assertTrue(matrix.out().contains("storage: dense (a delimited text file is dense)"), matrix.out());
    }

    @Test
    void heldOutEntriesMustBeSparse() throws IOException {
        Path test = Files.writeString(dir.resolve("test.csv"), "1,2\n");
        Run r = run("factorize", "--input", fixture("mm_coordinate_general.mtx"), "--rank", "1", "--objective",
                "observed", "--test", test.toString(), "--out", dir.resolve("out").toString());
        assertEquals(Main.EXIT_USAGE, r.exitCode(), r.err());
        assertTrue(r.err().contains("--test: " + test + " is a delimited text file, which holds a dense array: give "
                + "the entries as a coordinate .mtx or a scipy .npz"), r.err());
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 5, 10, 20})
    void defaultsReachTheTruncatedSvdOptimum(int rank) throws IOException {
        Path out = dir.resolve("out");
        Run r = run("factorize", "--input", fixture("spectrum_64x48.mtx"), "--rank", String.valueOf(rank),
                "--max-iter", "20000", "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        double optimum = Fixtures.jsonNumber(Files.readString(Fixtures.fixture("spectrum_64x48.json")),
                String.valueOf(rank));
        double loss = Fixtures.jsonNumber(Files.readString(out.resolve("summary.json")), "loss");
        assertTrue(loss >= optimum * (1 - 1e-9), "below the Eckart–Young optimum: " + loss);
        assertTrue(loss <= optimum * 1.001, "loss " + loss + " vs optimum " + optimum);
    }

    /**
     * A pipe (a shell's {@code <(…)}, /dev/stdin) can be read once: the command must not look at its header before
     * reading it (it did, and then read the rest as the header: "found '01753e-01'"). The same run as from the file.
     * A second open of a drained pipe blocks for ever, hence the time limit on a thread of its own.
     */
    @Test
    @org.junit.jupiter.api.Timeout(value = 120, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void aMatrixThroughAPipeGivesTheFilesRun() throws Exception {
        Path fifo = dir.resolve("fifo");
        Thread writer = Fixtures.pipeFeeding(fifo, Files.readAllBytes(Path.of(fixture("spectrum_64x48.mtx"))));
        Run piped = run("factorize", "--input", fifo.toString(), "--rank", "3", "--max-iter", "20", "--out",
                dir.resolve("piped").toString());
        writer.join();
        assertEquals(0, piped.exitCode(), piped.err());
        Run file = run("factorize", "--input", fixture("spectrum_64x48.mtx"), "--rank", "3", "--max-iter", "20",
                "--out", dir.resolve("file").toString());
        assertEquals(0, file.exitCode(), file.err());
        assertEquals(Files.readString(dir.resolve("file/U.mtx")), Files.readString(dir.resolve("piped/U.mtx")));
    }

    /**
     * A --log that is a link is followed: the file it leads to is replaced whole at the end, as a plain log is, and the
     * link stays a link (also one that leads nowhere yet). A pipe, a device or this process's standard output is
     * written in place as the run goes: a staged log renamed over /dev/stdout replaced the link with a regular file
     * (as root), and the records never reached the terminal.
     */
    @Test
    @org.junit.jupiter.api.Timeout(value = 120, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void aLogThatIsALinkOrAPipeKeepsBeingOne() throws Exception {
        Path target = dir.resolve("records.txt");
        Files.writeString(target, "an earlier run's log\n");
        Path link = Files.createSymbolicLink(dir.resolve("link.jsonl"), target);
        Path nowhere = Files.createSymbolicLink(dir.resolve("dangling.jsonl"), dir.resolve("new.jsonl"));
        for (Path log : List.of(link, nowhere)) {
            Run linked = run("factorize", "--input", fixture("spectrum_64x48.mtx"), "--rank", "3", "--max-iter",
                    "4", "--log", log.toString());
            assertEquals(0, linked.exitCode(), linked.err());
            assertTrue(Files.isSymbolicLink(log), "the link was replaced: " + log);
            List<String> lines = Files.readAllLines(log);
            assertEquals(4, lines.size(), lines.toString());
            assertTrue(lines.get(0).startsWith("{\"t\":0,") && lines.get(3).startsWith("{\"t\":3,"), lines.toString());
        }

        Path fifo = dir.resolve("fifo.jsonl");
        org.junit.jupiter.api.Assumptions.assumeTrue(
                new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0, "mkfifo is needed");
        java.util.concurrent.CompletableFuture<List<String>> read = java.util.concurrent.CompletableFuture
                .supplyAsync(() -> {
                    try {
                        return Files.readAllLines(fifo);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
        Run piped = run("factorize", "--input", fixture("spectrum_64x48.mtx"), "--rank", "3", "--max-iter", "4",
                "--log", fifo.toString());
        assertEquals(0, piped.exitCode(), piped.err());
        assertEquals(4, read.get().size());
        assertFalse(Files.isRegularFile(fifo), "the pipe was replaced");
    }

    /** More threads than processors is allowed (the bits are those of that many threads anywhere) but said. */
    @Test
    void moreThreadsThanProcessorsIsNoted() {
        int processors = Runtime.getRuntime().availableProcessors();
        Run over = run("factorize", "--input", fixture("spectrum_64x48.mtx"), "--rank", "2", "--max-iter", "2",
                "--threads", String.valueOf(processors + 1));
        assertEquals(0, over.exitCode(), over.err());
        assertTrue(over.out().contains("note: --threads " + (processors + 1) + " is more than the " + processors
                + " processors here"), over.out());
        Run fits = run("factorize", "--input", fixture("spectrum_64x48.mtx"), "--rank", "2", "--max-iter", "2",
                "--threads", "1");
        assertFalse(fits.out().contains("note: --threads"), fits.out());
    }

    /** {@code --max-seconds inf} (any case, Infinity too) is no limit, as leaving it out is: it was "not a double". */
    @ParameterizedTest
    @ValueSource(strings = {"inf", "Infinity", "+INF"})
    void maxSecondsInfIsNoLimit(String infinite) throws IOException {
        Path out = dir.resolve("out");
        Run r = run("factorize", "--input", fixture("spectrum_64x48.mtx"), "--rank", "3", "--tol", "0",
                "--max-iter", "5", "--max-seconds", infinite, "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        String summary = Files.readString(out.resolve("summary.json"));
        assertTrue(summary.contains("\"stop_reason\":\"max_iterations\""), summary);
    }

    @Test
    void zeroToleranceRunsExactlyMaxIterations() throws IOException {
        Path out = dir.resolve("out");
        Run r = run("factorize", "--input", fixture("spectrum_64x48.mtx"), "--rank", "3", "--tol", "0",
                "--max-iter", "37", "--dtype", "float32", "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        String summary = Files.readString(out.resolve("summary.json"));
        assertEquals(37, Fixtures.jsonNumber(summary, "iterations"));
        assertTrue(summary.contains("\"stop_reason\":\"max_iterations\""), summary);
        for (String key : List.of("loss", "relative_error", "balance", "norm_u", "norm_v", "seconds")) {
            assertTrue(Double.isFinite(Fixtures.jsonNumber(summary, key)), key);
        }
        // the phases, as epoch seconds in the order they happen; load_seconds is the first gap
        double previous = 0;
        for (String phase : List.of("process_start", "load_start", "loaded", "first_iteration", "done")) {
            double t = Fixtures.jsonNumber(summary, phase);
            assertTrue(t >= previous && t > 1.7e9, phase + " at " + t + " in " + summary);
            previous = t;
        }
        assertEquals(Fixtures.jsonNumber(summary, "loaded") - Fixtures.jsonNumber(summary, "load_start"),
                Fixtures.jsonNumber(summary, "load_seconds"), 1e-6);
    }

    /**
     * The limit's line where its numbers would mislead: a float32 relative error below what the one-pass loss resolves
     * (√u ≈ 2.4e-4; "from 0.000000 to 1.230421e-05 (-1.0 of it)" before), a run that learned nothing (relative error
     * 1: "more iterations" alone was the advice for a step divided by 2·10⁶), one iteration (not "1 iterations").
     */
    @Test
    void theLimitsLineSaysWhatItCannotMeasure() {
        Map<String, Object> summary = new LinkedHashMap<>(Map.of("relative_error", 1.23e-5, "iterations", 40000L,
                "dtype", "float32", "schedule", "constant:0.5"));
        IterationRecord identity = IterationRecord.builder().iteration(36000).relativeError(0.0).loss(0, false)
                .build();
        assertTrue(SolverRun.limitReached(summary, identity).contains("the relative error, 1.230000e-05, is below "
                + "what the per-iteration loss resolves in float32 (about 0.0002), so its change over its last 4000 "
                + "iterations is not measured"), SolverRun.limitReached(summary, identity));
        summary.put("dtype", "float64");
        IterationRecord near = IterationRecord.builder().iteration(39999).relativeError(1.24e-5).loss(1, false)
                .build();
        assertTrue(SolverRun.limitReached(summary, near).contains("over its last 1 iteration the relative error "
                + "went from 1.240000e-05 to 1.230000e-05"), SolverRun.limitReached(summary, near));
        summary.put("relative_error", 1.0);
        assertTrue(SolverRun.limitReached(summary, near).contains("the relative error is still 1, nothing of M "
                + "learned; with the step constant:0.5"), SolverRun.limitReached(summary, near));
    }

    /**
     * A relative error that rose over the last tenth is not a descent to continue (a walkthrough's power-law sampled
     * completion at --schedule auto:0.25 oscillated from 0.48 to 0.51 and was told "(-0.055 of it); more iterations
     * (--max-iter) continue the descent"); a rise within what the records resolve (√u) still reads as before.
     */
    @Test
    void theLimitsLineSaysWhenTheErrorRose() {
        Map<String, Object> summary = new LinkedHashMap<>(Map.of("relative_error", 0.5115686, "iterations", 3000L,
                "dtype", "float64", "schedule", "constant:3.97e-4", "objective", "observed", "variant",
                "simultaneous"));
        IterationRecord before = IterationRecord.builder().iteration(2700).relativeError(0.4835207).loss(1, true)
                .build();
        String line = SolverRun.limitReached(summary, before);
        assertTrue(line.contains("over its last 300 iterations the relative error rose from 0.4835207 to 0.5115686, "
                + "so more iterations need not lower it: a step too large for this M makes the iterates oscillate "
                + "(give a smaller one, --schedule)"), line);
        assertFalse(line.contains("continue the descent") || line.contains("penalty"), line);
        summary.put("objective", "observed:20.0");
        line = SolverRun.limitReached(summary, before);
        assertTrue(line.endsWith(", or the penalty traded fit for smaller factors"), line);
        summary.put("dtype", "float32");
        summary.put("relative_error", 0.4835208);
        line = SolverRun.limitReached(summary, before);
        assertTrue(line.contains("went from 0.4835207 to 0.4835208") && line.contains("continue the descent"), line);
    }

    /**
     * The advice of a run that --max-iter ended before it learned anything names only what the user can change:
     * "leave --schedule out" where a schedule was given, a smaller LAMBDA where the variant is regularized (both were
     * said to a run with neither: a new user's finding).
     */
    @Test
    void nothingLearnedByTheLimitAdvisesOnlyWhatWasGiven() {
        String nothing = "nothing of M learned";
        String leaveOut = "leave --schedule out";
        Run byDefault = run("factorize", "--input", fixture("spectrum_64x48.mtx"), "--rank", "3", "--max-iter", "1");
        assertTrue(byDefault.out().contains(nothing) && !byDefault.out().contains(leaveOut)
                && !byDefault.out().contains("LAMBDA"), byDefault.out());
        Run given = run("factorize", "--input", fixture("spectrum_64x48.mtx"), "--rank", "3", "--max-iter", "1",
                "--schedule", "constant:1e-6");
        assertTrue(given.out().contains(nothing) && given.out().contains(leaveOut)
                && !given.out().contains("LAMBDA"), given.out());
        Run regularized = run("factorize", "--input", fixture("spectrum_64x48.mtx"), "--rank", "3", "--max-iter",
                "1", "--variant", "regularized:100");
        assertTrue(regularized.out().contains(nothing) && !regularized.out().contains(leaveOut)
                && regularized.out().contains("a smaller LAMBDA (--variant regularized:100"), regularized.out());
    }

    /**
     * A run that --max-iter ends short of the gradient test says so, with how far its relative error moved over the
     * last tenth of the iterations (from the log's record there to the summary's), and the summary records the limits
     * that ended it; with --tol 0 there is no test to miss and no such line.
     */
    @Test
    void aRunTheLimitEndsSaysHowFarTheErrorStillMoved() throws IOException {
        Path out = dir.resolve("out");
        Path log = dir.resolve("run.jsonl");
        Run r = run("factorize", "--input", fixture("spectrum_64x48.mtx"), "--rank", "3", "--max-iter", "40",
                "--out", out.toString(), "--log", log.toString());
        assertEquals(0, r.exitCode(), r.err());
        String summary = Files.readString(out.resolve("summary.json"));
        assertTrue(summary.contains("\"stop_reason\":\"max_iterations\""), summary);
        assertEquals(40, Fixtures.jsonNumber(summary, "max_iter"));
        assertEquals(Math.sqrt(0x1p-53), Fixtures.jsonNumber(summary, "tol"), 0.0);
        String record36 = Files.readAllLines(log).get(36);
        assertEquals(36, Fixtures.jsonNumber(record36, "t"));
        double before = Fixtures.jsonNumber(record36, "relative_error");
        double now = Fixtures.jsonNumber(summary, "relative_error");
        assertTrue(r.out().contains(String.format(Locale.ROOT, "\nthe gradient test (--tol) did not hold by "
                + "--max-iter: over its last 4 iterations the relative error went from %.7g to %.7g (%.2g of it); "
                + "more iterations (--max-iter) continue the descent\n", before, now, (before - now) / now)), r.out());
        Run untested = run("factorize", "--input", fixture("spectrum_64x48.mtx"), "--rank", "3", "--max-iter", "40",
                "--tol", "0");
        assertFalse(untested.out().contains("gradient test"), untested.out());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--rank 0|--rank: must be at least 1, got 0",
        "--rank 49|rank must be between 1 and min(d1, d2) = 48",
        "--rank 2 --schedule decay:0.1,0.7|delta must lie in (0, 1/2]",
        "--rank 2 --schedule decay:0.1,0|delta must lie in (0, 1/2]",
        "--rank 2 --schedule constant:0|constant step must be finite and positive",
        "--rank 2 --schedule constant:-1|constant step must be finite and positive",
        "--rank 2 --schedule constant:Infinity|constant step must be finite and positive",
        "--rank 2 --dtype float16|unknown dtype 'float16'",
        "--rank 2 --init file:nowhere.mtx,nowhere.mtx|--init: U0 nowhere.mtx does not exist",
        "--rank 2 --init file:only-one.mtx|expected file:U0.mtx,V0.mtx",
        "--rank 2 --threads 0|threads must be between 1 and 1024, got 0",
        "--rank 2 --threads 2000|threads must be between 1 and 1024, got 2000",
        "--rank 2 --tol -1|tolerance must be finite and non-negative",
        "--rank 2 --max-iter -5|max iterations must be non-negative",
        "--rank 2 --bogus|unknown option '--bogus'",
        "--rank 2 --out-format csv|--out-format: expected mtx or npy, got 'csv'",
        "--rank 2 --init file:nowhere.npy,nowhere.npy|--init: U0 nowhere.npy does not exist",
        "--rank 2 --max-seconds 0|--max-seconds: must be positive and at most 9.2e9 (292 years), or inf, got 0",
        "--rank 2 --max-seconds NaN|--max-seconds: must be positive and at most 9.2e9 (292 years), or inf, got NaN",
        "--rank 2 --max-seconds 1e400|--max-seconds: must be positive and at most 9.2e9 (292 years), or inf, got 1e400",
        // picocli's "'abc' is not a double" said neither seconds nor that inf is a value
        "--rank 2 --max-seconds abc|--max-seconds: 'abc' is not a number of seconds (a positive number up to 9.2e9, "
            + "or inf for no limit)",
        "--rank 2 --max-seconds -inf|--max-seconds: '-inf' is not a number of seconds",
        "--rank two|Invalid value for option '--rank'"})
    void badOptionsAreRejectedBeforeAnyOutput(String options, String message) {
        Path out = dir.resolve("out");
        String[] args = Stream.concat(Stream.of("factorize", "--input", fixture("spectrum_64x48.mtx"), "--out",
                out.toString()), Stream.of(options.split(" "))).toArray(String[]::new);
        Run r = run(args);
        assertEquals(Main.EXIT_USAGE, r.exitCode());
        assertTrue(r.err().contains(message), r.err());
        assertNoOutputs(out);
    }

    /**
     * A log that cannot be opened when the run starts, though the checks before the load passed (a file system that
     * refuses what access(2) allowed, as /proc does for root; here a directory where the staging file goes), is one
     * line naming --log and the reason, exit code 2 — it was the bare path of a NoSuchFileException, exit code 1.
     */
    @Test
    void aLogThatCannotBeOpenedAtTheStartIsNamed() throws IOException {
        Path log = dir.resolve("run.jsonl");
        Path staging = Files.createDirectory(dir.resolve(".run.jsonl.partial"));
        UsageException e = assertThrows(UsageException.class, () -> SolverRun.openLog(log, staging, -1));
        assertEquals("--log " + log + ": cannot write " + staging + " (Is a directory)", e.getMessage());
    }

    /** The README's first command: the log inside an --out directory that does not exist yet; both are made. */
    @Test
    void aLogInsideANewOutDirectoryIsWritten() throws IOException {
        Path out = dir.resolve("result");
        Run r = run("factorize", "--input", fixture("spectrum_64x48.mtx"), "--rank", "3", "--out", out + "/",
                "--log", out.resolve("iterations.jsonl").toString());
        assertEquals(0, r.exitCode(), r.err());
        long iterations = (long) Fixtures.jsonNumber(Files.readString(out.resolve("summary.json")), "iterations");
        assertEquals(iterations, Files.readAllLines(out.resolve("iterations.jsonl")).size(), "records in the log");
    }

    /**
     * A scipy .npz given as an --init factor (read dense) is refused by its name before M is read, with the conversion:
     * the input here does not exist, so its error would come first if the check came after the load (a walk's
     * finding: the factor's line came after the load).
     */
    @Test
    void anNpzStartingFactorIsRefusedBeforeMIsRead() throws IOException {
        Path u0 = Files.copy(Fixtures.fixture("npz_csr.npz"), dir.resolve("u0.npz"));
        Run r = run("factorize", "--input", dir.resolve("absent.mtx").toString(), "--rank", "2", "--init",
                "file:" + u0 + "," + u0);
        assertEquals(Main.EXIT_USAGE, r.exitCode(), r.err());
        assertEquals("autobalance: error: cannot read U0 from " + u0 + ": a scipy sparse .npz, and U0 is read as a "
                + "dense matrix (.npy, delimited text or Matrix Market); save it as .npy: numpy.save('U0.npy', "
                + "scipy.sparse.load_npz('u0.npz').toarray())" + System.lineSeparator(), r.err());
        assertEquals("", r.out());
    }

    /**
     * A directory where a file is expected is named as such by every reader: the system says only "Is a directory"
     * to a stream (without the name), "No such device" to a mapping (.npy), and the zip reader called it a missing
     * .npz file.
     */
    @ParameterizedTest
    @CsvSource({"M.npy, .npy", "M.npz, .npz", "M.mtx, Matrix Market", "M.csv, delimited text",
        "M.csv.gz, delimited text"})
    void aDirectoryGivenAsTheInputIsNamed(String name, String kind) throws IOException {
        Path input = Files.createDirectories(dir.resolve(name));
        Path out = dir.resolve("out");
        Run r = run("factorize", "--input", input.toString(), "--rank", "1", "--out", out.toString());
        assertEquals(Main.EXIT_USAGE, r.exitCode(), r.err());
        assertEquals("autobalance: error: cannot read M from " + input + ": a directory, not a " + kind
                + " file" + System.lineSeparator(), r.err());
        assertNoOutputs(out);
    }

    /**
     * A mistake in an option that does not depend on M is reported before M is read: the input here does not exist,
     * so a message naming the option (not the file) shows the check came first — with a large M, a typo used to
     * cost the whole load.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--rank 0|--rank: must be at least 1",
        "--threads 0|--threads: threads must be between 1 and 1024",
        "--schedule foo|--schedule: unknown schedule 'foo'",
        "--tol -1|--tol: tolerance must be finite and non-negative",
        "--max-iter -5|--max-iter: max iterations must be non-negative",
        "--init small:-1|--init: initialisation scale must be finite and positive",
        "--init file:one.mtx|--init: expected file:U0.mtx,V0.mtx",
        "--init file:DIR,FILE|--init: U0 DIR is a directory, not a file",
        "--init file:FILE,FILE.npy|--init: V0 FILE.npy does not exist",
        // found after M was read, at the end of a long load
        "--objective observed --test FILE.npz|--test: FILE.npz does not exist",
        "--objective observed --test DIR|--test: DIR is a directory, not a file",
        "--variant bogus|--variant: unknown variant 'bogus'",
        "--max-seconds 0|--max-seconds: must be positive and at most 9.2e9",
        // finite, but beyond what the time limit can hold: the message said "must be positive and finite"
        "--max-seconds 1e300|--max-seconds: must be positive and at most 9.2e9 (292 years), or inf, got 1e300",
        "--checkpoint DIR --checkpoint-seconds 1e300|--checkpoint-seconds: must be a positive number of seconds below "
                + "1e9 (31 years), got 1e300",
        // as --max-seconds takes it, but a checkpoint needs an interval: said so, not "'inf' is not a double"
        "--checkpoint DIR --checkpoint-seconds inf|--checkpoint-seconds: must be a positive number of seconds below "
                + "1e9 (31 years), got inf",
        // a path through a file was said not to exist, as if a name were mistyped
        "--init file:FILE/U.npy,FILE|--init: U0 FILE/U.npy does not exist: FILE is a file, not a directory",
        "--init file:LOOP,FILE|--init: U0 LOOP is a symbolic link that leads nowhere (a loop of links",
        // a loop of links was "cannot write there (LOOP)", and "--log LOOP: LOOP: Too many levels of symbolic links
        // or unable to access attributes of symbolic link"
        "--out LOOP|--out LOOP: is a symbolic link that leads nowhere (a loop of links, or one to a file that",
        "--out LOOP/sub|--out LOOP/sub: LOOP is a symbolic link that leads nowhere",
        "--log LOOP|--log LOOP: a loop of symbolic links (or a chain of them too long to follow)",
        "--checkpoint FILE|--checkpoint FILE: exists and is not a directory",
        "--log DIR|--log DIR: is a directory",
        "--log FILE/run.jsonl|--log FILE/run.jsonl: its directory FILE: exists and is not a directory",
        "--out FILE|--out FILE: exists and is not a directory",
        "--out FILE/sub|--out FILE/sub: FILE is not a directory",
        // /proc passes the permission test for root (and where the tests run as root, the old check let these through
        // to fail after the load, or at the first checkpoint): a file is made and removed to be sure
        "--out /proc/autobalance-out|--out /proc/autobalance-out: cannot write in /proc",
        "--log /proc/autobalance.jsonl|--log /proc/autobalance.jsonl: its directory /proc: cannot write in /proc",
        "--checkpoint /proc/autobalance-ck|--checkpoint /proc/autobalance-ck: cannot write in /proc",
        // ran, printed its results and wrote no U.npy anywhere
        "--out-format npy|--out-format npy: no --out to write the factors in (without --out nothing is written)"})
    void optionMistakesAreReportedBeforeMIsRead(String option, String message) throws IOException {
        Path file = Files.writeString(dir.resolve("a-file"), "mine");
        Path directory = Files.createDirectories(dir.resolve("a-directory"));
        Path loop = Files.createSymbolicLink(dir.resolve("loop1"), dir.resolve("loop2"));
        Files.createSymbolicLink(dir.resolve("loop2"), loop);
        String[] words = option.replace("FILE", file.toString()).replace("DIR", directory.toString())
                .replace("LOOP", loop.toString()).split(" ");
        Stream<String> rank = option.startsWith("--rank") ? Stream.of() : Stream.of("--rank", "2");
        Run r = run(Stream.of(Stream.of("factorize", "--input", dir.resolve("absent.mtx").toString()), rank,
                Stream.of(words)).flatMap(w -> w).toArray(String[]::new));
        assertEquals(Main.EXIT_USAGE, r.exitCode(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        String expected = message.replace("FILE", file.toString()).replace("DIR", directory.toString())
                .replace("LOOP", loop.toString());
        assertTrue(r.err().startsWith("autobalance: error: " + expected), r.err());
        assertFalse(r.err().contains(".autobalance-probe-"), "the message names our probe file: " + r.err());
        assertEquals("", r.out(), "M was read (its storage was printed)");
        assertEquals("mine", Files.readString(file), "the file given as a directory was changed");
        try (Stream<Path> left = Files.list(directory)) {
            assertEquals(List.of(), left.toList(), "something was written into the directory given as --log");
        }
    }

    /**
     * Two runs checkpointing into one directory (the same command started twice) replaced each other's checkpoints,
     * and one failed at its next write, exit 1 and its results lost: the directory is locked for a run's whole length,
     * and a second run is refused before it reads M, naming the holder; once the lock is let go, the run goes ahead.
     */
    @Test
    void aCheckpointDirectoryInUseByAnotherRunIsRefused() throws IOException {
        Path checkpoints = dir.resolve("ck");
        Path out = dir.resolve("out");
        String[] command = {"factorize", "--input", fixture("spectrum_64x48.mtx"), "--rank", "3", "--max-iter", "20",
            "--checkpoint", checkpoints.toString(), "--checkpoint-every", "5", "--out", out.toString()};
        try (RunLock _ = RunLock.checkpoints("--checkpoint", checkpoints)) {
            Run r = run(command);
            assertEquals(Main.EXIT_USAGE, r.exitCode(), r.err());
            assertEquals("autobalance: error: --checkpoint " + checkpoints + ": another run is writing its "
                    + "checkpoints there (process " + ProcessHandle.current().pid() + ", this one); wait for it to "
                    + "end, or give another directory" + System.lineSeparator(), r.err());
            assertEquals("", r.out(), "M was read (its storage was printed)");
        }
        assertNoOutputs(out);
        assertFalse(Files.exists(checkpoints.resolve("checkpoint")));
        Run r = run(command);
        assertEquals(0, r.exitCode(), r.err());
        byte[] checkpoint = Files.readAllBytes(checkpoints.resolve("checkpoint"));
        // a --resume goes on writing there: refused the same way, its checkpoint untouched
        String[] resume = {"factorize", "--input", fixture("spectrum_64x48.mtx"), "--rank", "3", "--max-iter", "40",
            "--resume", checkpoints.toString()};
        try (RunLock _ = RunLock.checkpoints("--checkpoint", checkpoints)) {
            Run refused = run(resume);
            assertEquals(Main.EXIT_USAGE, refused.exitCode(), refused.err());
            assertTrue(refused.err().startsWith("autobalance: error: --resume " + checkpoints + ": another run is "
                    + "writing its checkpoints there"), refused.err());
        }
        assertArrayEquals(checkpoint, Files.readAllBytes(checkpoints.resolve("checkpoint")));
        // the lock went with each run: the next one takes it
        assertEquals(0, run(resume).exitCode());
    }

    /**
     * A --checkpoint directory that holds an earlier run's checkpoint is not replaced by a new run (a forgotten
     * --resume used to cost the earlier run's progress without a word): refused before M is read, the checkpoint
     * untouched; --resume continues it, also with --checkpoint naming the same directory.
     */
    @Test
    void aCheckpointOfAnEarlierRunIsNotReplaced() throws IOException {
        Path checkpoints = dir.resolve("ck");
        String input = fixture("spectrum_64x48.mtx");
        String[] first = {"factorize", "--input", input, "--rank", "3", "--max-iter", "20", "--checkpoint",
            checkpoints.toString(), "--checkpoint-every", "5"};
        assertEquals(0, run(first).exitCode());
        byte[] checkpoint = Files.readAllBytes(checkpoints.resolve("checkpoint"));
        Run again = run(first);
        assertEquals(Main.EXIT_USAGE, again.exitCode(), again.err());
        assertEquals("autobalance: error: --checkpoint " + checkpoints + ": holds the checkpoint of an earlier run, "
                + "which this run would replace; --resume " + checkpoints + " continues it, or give another directory "
                + "(or remove it to start afresh)" + System.lineSeparator(), again.err());
        assertEquals("", again.out(), "M was read (its storage was printed)");
        assertArrayEquals(checkpoint, Files.readAllBytes(checkpoints.resolve("checkpoint")));
        assertTrue(Files.exists(checkpoints.resolve(".lock")), "the earlier run's lock file is the directory's");
        Run resumed = run("factorize", "--input", input, "--rank", "3", "--max-iter", "40", "--resume",
                checkpoints.toString(), "--checkpoint", checkpoints.toString(), "--checkpoint-every", "5");
        assertEquals(0, resumed.exitCode(), resumed.err());
    }

    /**
     * A Matrix Market size line (or a .npz's shape member) that rules the run out is refused before the body is read:
     * a 66-byte coordinate file declaring 10⁸ × 10⁸ with one entry was read sparse (17 s, 3.2 GB), then refused for
     * its factors; a rank above min(d1, d2) after the whole file was read. Here the size line's largest matrix, whose
     * U, V, MV and MᵀU at rank 1 take 550 GB; and 10⁹ x 10⁹ at rank 10⁹, whose 3.2·10¹⁹ bytes wrapped to a negative
     * count in long that fitted, so the body (here not an entry) was read.
     */
    @Test
    void aSizeLineThatRulesTheRunOutIsRefusedBeforeTheBodyIsRead() throws IOException {
        Path huge = Files.writeString(dir.resolve("huge.mtx"), "%%MatrixMarket matrix coordinate real general\n"
                + "2147483647 2147483647 1\n1 1 1.0\n");
        assertLargestShapeRefusedUnread(huge);
        // the same from a .npz's shape member: a coo archive of 3·10⁸ × 10 with 1000 entries (13 KB) was read first
        // (25 s, 4.8 GB resident: a long per row to count its entries, then the row pointers), then refused; here a
        // 945-byte coo archive of the largest shape with one entry
        assertLargestShapeRefusedUnread(Fixtures.fixture("npz_coo_huge_shape.npz"));
        Path wide = Files.writeString(dir.resolve("wide.mtx"), "%%MatrixMarket matrix coordinate real general\n"
                + "1000000000 1000000000 1\nnot an entry\n");
        Run wrapped = run("factorize", "--input", wide.toString(), "--rank", "1000000000");
        assertEquals(Main.EXIT_USAGE, wrapped.exitCode(), wrapped.err());
        // 2 · (10⁹ + 10⁹) rows of 10⁹ float64: 3.2·10¹⁹ bytes, which no long holds (it was shown saturated, as
        // 9223372036854775807 bytes); the rank is refused first, as its r x r arrays cannot be Java arrays
        assertEquals("autobalance: error: rank 1000000000 is above 46340, the most the solver takes: its r x r Gram "
                + "matrices are Java arrays, of at most 2147483639 elements" + System.lineSeparator(), wrapped.err());
        Path small = Files.writeString(dir.resolve("small.mtx"), "%%MatrixMarket matrix coordinate real general\n"
                + "3 2 1\n1 1 1.0\n");
        Run rank = run("factorize", "--input", small.toString(), "--rank", "3");
        assertEquals(Main.EXIT_USAGE, rank.exitCode(), rank.err());
        assertEquals("autobalance: error: rank must be between 1 and min(d1, d2) = 2 for a 3 x 2 matrix, got 3"
                + System.lineSeparator(), rank.err());
        assertEquals("", rank.out(), "M was read (its storage was printed)");
    }

    /** {@code input}, declaring 2147483647 x 2147483647, is refused at rank 1 for its factors before M is read. */
    private void assertLargestShapeRefusedUnread(Path input) {
        Run r = run("factorize", "--input", input.toString(), "--rank", "1");
        assertEquals(Main.EXIT_USAGE, r.exitCode(), r.err());
        assertTrue(r.err().startsWith("autobalance: error: cannot hold U, V and the products MV, MᵀU of the "
                + "2147483647 x 2147483647 matrix " + input + " declares, at rank 1 in float64 (549755813632 bytes of "
                + "native memory)"), r.err());
        assertEquals("", r.out(), "M was read (its storage was printed)");
    }

    /**
     * The solver's r x r arrays on the Java heap (two a thread and six more) are counted from the size line too: a run
     * that cannot hold them was refused only after M's body had been read. Here rank 2000 of a 2000 x 2000 M, the
     * threads chosen from this JVM's heap so that the arrays pass it (U, V and their products take 128 MB of native
     * memory); the body is not entries, so reading it would have failed with another line.
     */
    @Test
    void aSizeLineWhoseRunPassesTheHeapIsRefusedBeforeTheBodyIsRead() throws IOException {
        int r = 2000;
        long max = Runtime.getRuntime().maxMemory();
        int threads = (int) (max / (2L * r * r * Double.BYTES) + 1);
        assumeTrue(threads <= org.autobalance.parallel.ParallelPass.MAX_THREADS, "a heap this large: " + max);
        Path m = Files.writeString(dir.resolve("gram.mtx"), "%%MatrixMarket matrix coordinate real general\n"
                + "2000 2000 1\nnot an entry\n");
        Run run = run("factorize", "--input", m.toString(), "--rank", "2000", "--threads", String.valueOf(threads));
        assertEquals(Main.EXIT_USAGE, run.exitCode(), run.err());
        assertTrue(run.err().startsWith("autobalance: error: cannot factorise at rank 2000 with " + threads
                + " threads (r x r matrices of doubles, two a thread and six more): that takes at least "), run.err());
        assertEquals("", run.out().replaceAll("(?m)^note: .*\n", ""), "M was read (its storage was printed)");
    }

    /**
     * A directory of the user's under a result's name in --out (here U.mtx/ holding a file) was deleted with what it
     * held when the results moved in, after the run, exit 0: it is refused before M is read, and left as it was.
     */
    @Test
    void aDirectoryUnderAResultsNameIsNotReplaced() throws IOException {
        Path out = dir.resolve("out");
        Path keep = Files.createDirectories(out.resolve("U.mtx")).resolve("keep");
        Files.writeString(keep, "mine");
        Run r = run("factorize", "--input", fixture("spectrum_64x48.mtx"), "--rank", "2", "--max-iter", "2", "--out",
                out.toString());
        assertEquals(Main.EXIT_USAGE, r.exitCode(), r.err());
        assertTrue(r.err().startsWith("autobalance: error: --out " + out + ": " + out.resolve("U.mtx")
                + " is a directory (holding keep), not an earlier run's results"), r.err());
        assertEquals("", r.out(), "M was read (its storage was printed)");
        assertEquals("mine", Files.readString(keep));
        try (Stream<Path> left = Files.list(out)) {
            assertEquals(List.of(out.resolve("U.mtx")), left.toList());
        }
    }

    /**
     * The refusal of a directory goes by the names this run writes: a folder U/ or U.mtx/ of the user's beside a run
     * that writes U.npy was refused, as if every command's results were this one's; it runs, and they stay.
     */
    @Test
    void aDirectoryUnderANameThisRunDoesNotWriteIsLeftAlone() throws IOException {
        Path out = dir.resolve("out");
        for (String name : new String[] {"U", "U.mtx"}) {
            Files.writeString(Files.createDirectories(out.resolve(name)).resolve("keep"), "mine");
        }
        Run r = run("factorize", "--input", fixture("spectrum_64x48.mtx"), "--rank", "2", "--max-iter", "2", "--out",
                out.toString(), "--out-format", "npy");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("mine", Files.readString(out.resolve("U/keep")));
        assertEquals("mine", Files.readString(out.resolve("U.mtx/keep")));
        assertTrue(Files.isRegularFile(out.resolve("U.npy")) && Files.isRegularFile(out.resolve("V.npy")));
    }

    /**
     * A --resume with another option than the checkpoint's was refused only once M was read (minutes on a large one):
     * the options are compared with the checkpoint's configuration before, in the library's words.
     */
    @Test
    void aResumeWithOtherOptionsIsRefusedBeforeMIsRead() {
        String checkpoints = dir.resolve("ck").toString();
        Map<String, String> first = new LinkedHashMap<>(Map.of("--input", fixture("spectrum_64x48.mtx"), "--rank",
                "3", "--max-iter", "10", "--tol", "0", "--threads", "2"));
        Map<String, String> checkpointed = new LinkedHashMap<>(first);
        checkpointed.putAll(Map.of("--checkpoint", checkpoints, "--checkpoint-every", "5"));
        assertEquals(0, run(factorize(checkpointed)).exitCode());
        Map<String, String> resumed = new LinkedHashMap<>(first);
        resumed.put("--resume", checkpoints);
        String same = ": resume with the same configuration";
        Map<List<String>, String> refusals = Map.of(
                List.of("--seed", "5"), "the checkpoint was written with seed 42, this run has 5" + same,
                List.of("--threads", "1"), "the checkpoint was written with threads 2, this run has 1" + same,
                List.of("--tol", "1e-6"), "the checkpoint was written with tolerance 0, this run has 1.0E-6" + same,
                List.of("--rank", "2"), "the checkpoint was written with rank 3, this run has 2" + same,
                List.of("--dtype", "float32"), "the checkpoint is of a float64 run, this run is float32",
                List.of("--schedule", "constant:0.01"), "the checkpoint was written with schedule ",
                List.of("--variant", "alternating"), "the checkpoint was written with variant ",
                List.of("--init", "balanced"), "the checkpoint was written with init ");
        for (Map.Entry<List<String>, String> refusal : refusals.entrySet()) {
            Map<String, String> other = new LinkedHashMap<>(resumed);
            other.put(refusal.getKey().get(0), refusal.getKey().get(1));
            Run r = run(factorize(other));
            assertEquals(Main.EXIT_USAGE, r.exitCode(), r.err());
            assertTrue(r.err().startsWith("autobalance: error: " + refusal.getValue()), r.err());
            assertEquals(1, r.err().lines().count(), r.err());
            assertEquals("", r.out(), "M was read (its storage was printed) for " + refusal.getKey());
        }
        assertEquals(0, run(factorize(resumed)).exitCode());
    }

    /** The arguments of {@code factorize} with these options and their values. */
    private static String[] factorize(Map<String, String> options) {
        List<String> args = new ArrayList<>(List.of("factorize"));
        options.forEach((option, value) -> args.addAll(List.of(option, value)));
        return args.toArray(String[]::new);
    }

    /**
     * A resumed factorisation prints what the uninterrupted one prints, its "at the start:" line too: the start's
     * balance and norms are in the checkpoint, and in both runs' summary.json (the line gave the checkpoint's iterate,
     * "at iteration 20 (resumed)"). A checkpoint written before they were kept (their keys removed) still resumes, to
     * the same factors, and says where its first record is.
     */
    @Test
    void aResumedRunReportsTheStartAsTheWholeRun() throws IOException {
        String[] common = {"factorize", "--input", fixture("spectrum_64x48.mtx"), "--rank", "3", "--tol", "0",
            "--threads", "1"};
        Path whole = dir.resolve("whole");
        Run uninterrupted = run(with(common, "--max-iter", "40", "--out", whole.toString()));
        assertEquals(0, uninterrupted.exitCode(), uninterrupted.err());
        Path checkpoints = dir.resolve("ck");
        assertEquals(0, run(with(common, "--max-iter", "20", "--checkpoint", checkpoints.toString(),
                "--checkpoint-every", "10")).exitCode());
        Path old = dir.resolve("ck-old");
        OldCheckpoints.withoutExact(checkpoints, old, "start_balance");
        OldCheckpoints.withoutExact(old, old, "start_norm_u");
        OldCheckpoints.withoutExact(old, old, "start_norm_v");
        Path out = dir.resolve("out");
        Run resumed = run(with(common, "--max-iter", "40", "--resume", checkpoints.toString(), "--out",
                out.toString()));
        assertEquals(0, resumed.exitCode(), resumed.err());
        assertEquals(withoutSecondsOrOut(uninterrupted.out()), withoutSecondsOrOut(resumed.out()));
        assertTrue(resumed.out().contains("\nat the start: balance "), resumed.out());
        Map<?, ?> wholeSummary = (Map<?, ?>) Json.parse(Files.readString(whole.resolve("summary.json")));
        Map<?, ?> resumedSummary = (Map<?, ?>) Json.parse(Files.readString(out.resolve("summary.json")));
        for (String key : List.of("start_balance", "start_norm_u", "start_norm_v")) {
            assertTrue(wholeSummary.get(key) instanceof Number, key + " in " + wholeSummary);
            assertEquals(wholeSummary.get(key), resumedSummary.get(key), key);
        }
        Path fromOld = dir.resolve("from-old");
        Run oldResumed = run(with(common, "--max-iter", "40", "--resume", old.toString(), "--out",
                fromOld.toString()));
        assertEquals(0, oldResumed.exitCode(), oldResumed.err());
        assertTrue(oldResumed.out().contains("\nat iteration 20 (resumed): balance "), oldResumed.out());
        assertEquals(-1L, Files.mismatch(whole.resolve("U.mtx"), fromOld.resolve("U.mtx")));
        assertFalse(Files.readString(fromOld.resolve("summary.json")).contains("start_balance"));
    }

    private static String[] with(String[] common, String... more) {
        return Stream.concat(Arrays.stream(common), Arrays.stream(more)).toArray(String[]::new);
    }

    /** A command's output without its seconds ("…, stopped: max_iterations, 0.41 s") and the lines naming --out. */
    static String withoutSecondsOrOut(String out) {
        return out.lines().filter(l -> !l.startsWith("wrote ")).map(l -> l.replaceAll(", [0-9.]+ s$", ", S s"))
                .collect(java.util.stream.Collectors.joining("\n"));
    }

    /**
     * A checkpoint at or past --max-iter: nothing is iterated, and the run says so (it printed "20 iterations, stopped:
     * max_iterations" after --max-iter 10, and nothing else).
     */
    @Test
    void aResumeAtOrPastTheIterationLimitSaysNothingIsIterated() throws IOException {
        String checkpoints = dir.resolve("ck").toString();
        String input = fixture("spectrum_64x48.mtx");
        assertEquals(0, run("factorize", "--input", input, "--rank", "3", "--max-iter", "20", "--tol", "0",
                "--checkpoint", checkpoints, "--checkpoint-every", "5").exitCode());
        for (String limit : new String[] {"10", "20"}) {
            Run resumed = run("factorize", "--input", input, "--rank", "3", "--max-iter", limit, "--tol", "0",
                    "--resume", checkpoints);
            assertEquals(0, resumed.exitCode(), resumed.err());
            assertTrue(resumed.out().contains("note: the checkpoint resumed is at iteration 20, and --max-iter is "
                    + limit + ": no iteration is run, the result is the checkpoint's"), resumed.out());
        }
        // a resume refused (another M) said first that it would give the checkpoint's result (a new user's finding)
        Path other = dir.resolve("other.mtx");
        String text = Files.readString(Path.of(input));
        Files.writeString(other, text.substring(0, text.stripTrailing().lastIndexOf('\n') + 1) + "1.5\n");
        Run refused = run("factorize", "--input", other.toString(), "--rank", "3", "--max-iter", "20", "--tol", "0",
                "--resume", checkpoints);
        assertEquals(Main.EXIT_USAGE, refused.exitCode(), refused.err());
        assertFalse(refused.out().contains("note: the checkpoint resumed"), refused.out());
        Run further = run("factorize", "--input", input, "--rank", "3", "--max-iter", "21", "--tol", "0", "--resume",
                checkpoints);
        assertFalse(further.out().contains("no iteration is run"), further.out());
        // a resume that adds --log to a run that had none was told that run's log was missing
        Path log = dir.resolve("late.jsonl");
        Run logged = run("factorize", "--input", input, "--rank", "3", "--max-iter", "30", "--tol", "0", "--resume",
                checkpoints, "--log", log.toString());
        assertEquals(Main.EXIT_USAGE, logged.exitCode(), logged.err());
        assertEquals("autobalance: error: --log " + log + ": no log of the interrupted run to continue (neither "
                + dir.resolve(".late.jsonl.partial") + " nor " + log + " exists: it ran without --log, logged "
                + "elsewhere, or its log was removed): resume with its --log, or without --log\n", logged.err());
        assertFalse(Files.exists(log));
    }

    /**
     * A run refused for its input after it locked its checkpoint directory leaves nothing there: the directory it made
     * is removed, and in one that existed its lock file (found in review: ck/.lock stayed, "nothing half-written").
     */
    @Test
    void aRunRefusedForItsInputLeavesNoCheckpointDirectoryBehind() throws IOException {
        Path made = dir.resolve("ck-made");
        Path existing = Files.createDirectories(dir.resolve("ck-existing"));
        for (Path checkpoints : List.of(made, existing)) {
            Run r = run("factorize", "--input", dir.resolve("nosuch.mtx").toString(), "--rank", "2", "--checkpoint",
                    checkpoints.toString(), "--out", dir.resolve("out").toString());
            assertEquals(Main.EXIT_USAGE, r.exitCode(), r.err());
        }
        assertFalse(Files.exists(made), "the directory the run made stayed");
        try (Stream<Path> left = Files.list(existing)) {
            assertEquals(List.of(), left.toList(), "the lock file stayed");
        }
    }

    /**
     * Two runs given the same --log staged their records in the same file, and the second truncated the first's: the
     * staged log is locked for the run, a second run is refused before it reads M (the lock used to be taken where the
     * log was opened, after a possibly long load) without touching it, and the lock file goes with the run.
     */
    @Test
    void aLogInUseByAnotherRunIsRefused() throws IOException {
        Path log = dir.resolve("run.jsonl");
        Path staging = dir.resolve(".run.jsonl.partial");
        Files.writeString(log, "an earlier run's log\n");
        Files.writeString(staging, "the other run's records\n");
        Path out = dir.resolve("out");
        String[] command = {"factorize", "--input", fixture("spectrum_64x48.mtx"), "--rank", "3", "--max-iter", "20",
            "--log", log.toString(), "--out", out.toString()};
        try (RunLock _ = RunLock.log("--log " + log, staging)) {
            Run r = run(command);
            assertEquals(Main.EXIT_USAGE, r.exitCode(), r.err());
            assertEquals("autobalance: error: --log " + log + ": another run is writing this log (process "
                    + ProcessHandle.current().pid() + ", this one); wait for it to end, or give another file"
                    + System.lineSeparator(), r.err());
            assertEquals("", r.out(), "M was read (its storage was printed)");
        }
        assertEquals("the other run's records\n", Files.readString(staging));
        assertEquals("an earlier run's log\n", Files.readString(log));
        assertNoOutputs(out);
        Files.delete(staging);
        Run r = run(command);
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(20, Files.readAllLines(log).size());
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(), left.filter(p -> p.getFileName().toString().startsWith(".run.jsonl")).toList(),
                    "the staged log or its lock file was left");
        }
    }

    /**
     * Two runs into one --out each renamed their U, V and summary.json into it, so their renames could interleave and
     * leave one run's U beside the other's V and summary: the output directory is locked for the run, a second run is
     * refused before it reads M, and a run refused for its input removes the directory it made for --out (and for
     * --log inside it) with its lock file.
     */
    @Test
    void anOutputDirectoryInUseByAnotherRunIsRefusedBeforeTheLoad() throws IOException {
        Path out = dir.resolve("out");
        String[] command = {"factorize", "--input", fixture("spectrum_64x48.mtx"), "--rank", "3", "--max-iter", "20",
            "--out", out.toString()};
        try (RunLock _ = RunLock.output(out)) {
            Run r = run(command);
            assertEquals(Main.EXIT_USAGE, r.exitCode(), r.err());
            assertEquals("autobalance: error: --out " + out + ": another run is writing its results there (process "
                    + ProcessHandle.current().pid() + ", this one); wait for it to end, or give another directory"
                    + System.lineSeparator(), r.err());
            assertEquals("", r.out(), "M was read (its storage was printed)");
        }
        assertNoOutputs(out);
        Run r = run(command);
        assertEquals(0, r.exitCode(), r.err());
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(List.of("U.mtx", "V.mtx", "summary.json"), files.map(f -> f.getFileName().toString())
                    .sorted().toList(), "files in --out (its lock file left?)");
        }
        // refused for its input: the directories it made for --out and the --log inside it are gone
        Path madeOut = dir.resolve("made");
        Run refused = run("factorize", "--input", dir.resolve("nosuch.mtx").toString(), "--rank", "2", "--out",
                madeOut.toString(), "--log", madeOut.resolve("logs/run.jsonl").toString());
        assertEquals(Main.EXIT_USAGE, refused.exitCode(), refused.err());
        assertFalse(Files.exists(madeOut), "the directory made for --out stayed");
    }

    /**
     * A --log given the input's name (found by a new user's typo) was renamed over the input at the end of the run:
     * the matrix was replaced by iteration records. So was an input in --out under a result's name (U.mtx). Both are
     * refused before M is read, the input untouched; a warm start from the results in --out (--init file:out/U.mtx,…)
     * still writes its new results there.
     */
    @Test
    void aDestinationThatWouldReplaceTheInputIsRefused() throws IOException {
        Path input = Files.copy(Fixtures.fixture("spectrum_64x48.mtx"), dir.resolve("M.mtx"));
        byte[] before = Files.readAllBytes(input);
        Run r = run("factorize", "--input", input.toString(), "--rank", "3", "--max-iter", "5", "--log",
                input.toString());
        assertEquals(Main.EXIT_USAGE, r.exitCode(), r.err());
        assertEquals("autobalance: error: --log " + input + ": is " + input + ", which this run reads: the log would "
                + "replace it; give another file" + System.lineSeparator(), r.err());
        assertEquals("", r.out(), "M was read (its storage was printed)");
        assertArrayEquals(before, Files.readAllBytes(input));
        Path out = Files.createDirectories(dir.resolve("out"));
        Path inOut = Files.copy(input, out.resolve("U.mtx"));
        Run intoOut = run("factorize", "--input", inOut.toString(), "--rank", "3", "--max-iter", "5", "--out",
                out.toString());
        assertEquals(Main.EXIT_USAGE, intoOut.exitCode(), intoOut.err());
        assertTrue(intoOut.err().startsWith("autobalance: error: --out " + out + ": holds " + inOut
                + ", which this run reads, under the name of a result file it writes (U.mtx)"), intoOut.err());
        assertArrayEquals(before, Files.readAllBytes(inOut));
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(List.of("U.mtx"), files.map(f -> f.getFileName().toString()).toList(), "files in --out");
        }
        // the same input reached through a symbolic link from elsewhere (review: it was not recognised)
        Path link = Files.createSymbolicLink(dir.resolve("link.mtx"), inOut);
        Run throughLink = run("factorize", "--input", link.toString(), "--rank", "3", "--max-iter", "5", "--out",
                out.toString());
        assertEquals(Main.EXIT_USAGE, throughLink.exitCode(), throughLink.err());
        assertTrue(throughLink.err().startsWith("autobalance: error: --out " + out + ": holds " + link), throughLink
                .err());
        assertArrayEquals(before, Files.readAllBytes(inOut));
        Files.delete(link);
        // the results of one run as the start of the next, into the same directory: allowed
        Files.delete(inOut);
        Run first = run("factorize", "--input", input.toString(), "--rank", "3", "--max-iter", "5", "--out",
                out.toString());
        assertEquals(0, first.exitCode(), first.err());
        Run warm = run("factorize", "--input", input.toString(), "--rank", "3", "--max-iter", "5", "--init",
                "file:" + out.resolve("U.mtx") + "," + out.resolve("V.mtx"), "--out", out.toString());
        assertEquals(0, warm.exitCode(), warm.err());
    }

    /**
     * A parse error (an unknown option, a value of the wrong type, no command) is one line with picocli's suggestion
     * and where the help is, not the 80 lines of the usage after the message.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "factorize --input m.mtx --rank 2 --bogus|unknown option '--bogus'; see 'autobalance factorize --help'",
        "factorize --input m.mtx --rank two|Invalid value for option '--rank': 'two' is not an int; "
            + "see 'autobalance factorize --help'",
        // picocli counted the option's value as a second unknown option: "Unknown options: '--max-iterations', '4'"
        "factorize --input m.mtx --rank 2 --max-iterations 4|unknown option '--max-iterations' (did you mean "
            + "--max-iter or --max-seconds?); see 'autobalance factorize --help'",
        "factorize --input m.mtx --rank 2 --max-iterations -4 --bogus x|unknown options '--max-iterations', '--bogus' "
            + "(did you mean --max-iter or --max-seconds?); see 'autobalance factorize --help'",
        // "Unknown subcommand 'bogus'.; see …"
        "help bogus|Unknown subcommand 'bogus'; see 'autobalance --help'",
        "factorize --input m.mtx|Missing required option: '--rank=R'; see 'autobalance factorize --help'",
        // the required options were checked first: "Missing required option: '--rank=R'" for a one-dash -rank, and
        // "'--input=…'" for an input given without its option (the word at fault unnamed)
        "factorize --input m.mtx -rank 2|unknown option '-rank' (did you mean --rank?); see 'autobalance factorize "
            + "--help'",
        // a new user's way to give the engine a width: "unknown option" alone did not say where it goes
        "factorize -Dautobalance.simd.bits=256 --input m.mtx --rank 2|unknown option '-Dautobalance.simd.bits=256' "
            + "(a system property goes to the JVM, not to the command: JDK_JAVA_OPTIONS='-Dautobalance.simd.bits=256' "
            + "./autobalance …); see 'autobalance factorize --help'",
        // two properties: the suggested line keeps both (it named the first alone, and the second was lost)
        "factorize -Dautobalance.simd.bits=256 -Dautobalance.x=1 --input m.mtx --rank 2|unknown options "
            + "'-Dautobalance.simd.bits=256', '-Dautobalance.x=1' (a system property goes to the JVM, not to the "
            + "command: JDK_JAVA_OPTIONS='-Dautobalance.simd.bits=256 -Dautobalance.x=1' ./autobalance …); see "
            + "'autobalance factorize --help'",
        "factorize m.mtx --rank 2|unexpected argument 'm.mtx' (a value needs its option's name before it, such as "
            + "--input m.mtx); see 'autobalance factorize --help'",
        "factorize --input m.mtx --rank 2 3|unexpected argument '3' (a value needs its option's name before it); "
            + "see 'autobalance factorize --help'",
        "network --data x.npy,y.npy|Missing required option: '--layers=SPEC'; see 'autobalance network --help'",
        // picocli's "Unmatched argument at index 2: 'extra'" after a command's arguments
        "reproduce rank1 extra|unexpected argument 'extra' (reproduce takes EXPERIMENT); see 'autobalance reproduce "
            + "--help'",
        // picocli said "Unmatched argument at index 0: 'bogus'" (a new user's first typo)
        "bogus|unknown command 'bogus': the commands are factorize, network, demo, reproduce, spark-factorize, help, "
            + "and the launcher's bench, test; see 'autobalance --help'",
        // "spark" was "did you mean network?" when spark-factorize was the launcher's alone
        "spark --rank 2|unknown command 'spark' (did you mean spark-factorize?); see 'autobalance --help'",
        "spark_factorise|unknown command 'spark_factorise' (did you mean spark-factorize?); see 'autobalance --help'",
        "benchmark|unknown command 'benchmark' (did you mean bench?); see 'autobalance --help'",
        "tests|unknown command 'tests' (did you mean test?); see 'autobalance --help'",
        // picocli's suggestions, by shared letter pairs, were "factorize or network" and for 'frobnicate'
        // "reproduce"; the commands are listed when none is a close spelling
        "factorise --input m.mtx|unknown command 'factorise' (did you mean factorize?); see 'autobalance --help'",
        "fatcorize --input m.mtx|unknown command 'fatcorize' (did you mean factorize?); see 'autobalance --help'",
        "frobnicate|unknown command 'frobnicate': the commands are factorize, network, demo, reproduce, "
            + "spark-factorize, help, and the launcher's bench, test; see 'autobalance --help'",
        // the start of a command, and a longer form of it, still name it
        "repro|unknown command 'repro' (did you mean reproduce?); see 'autobalance --help'",
        "factorization --input m.mtx|unknown command 'factorization' (did you mean factorize?); see "
            + "'autobalance --help'"})
    void parseErrorsAreOneLine(String args, String message) {
        Run r = run(args.split(" "));
        assertEquals(Main.EXIT_USAGE, r.exitCode());
        assertEquals("autobalance: error: " + message + System.lineSeparator(), r.err());
        assertEquals("", r.out());
    }

    /**
     * An output directory that holds another run's results in names this run does not write (another
     * --out-format) keeps them — they may be the user's own — and the run says so, so they are not taken for its
     * own.
     */
    @Test
    void resultsOfAnEarlierRunBesideTheNewOnesAreNamed() throws IOException {
        Path out = dir.resolve("out");
        String[] base = {"factorize", "--input", fixture("spectrum_64x48.mtx"), "--rank", "2", "--max-iter", "3",
            "--out", out.toString()};
        Run first = run(base);
        assertEquals(0, first.exitCode(), first.err());
        assertFalse(first.out().contains("note:"), first.out());
        String earlierU = Files.readString(out.resolve("U.mtx"));
        Run second = run(Stream.concat(Stream.of(base), Stream.of("--out-format", "npy")).toArray(String[]::new));
        assertEquals(0, second.exitCode(), second.err());
        assertTrue(second.out().contains("note: " + out + " also holds U.mtx, V.mtx, not written by this run"),
                second.out());
        assertEquals(earlierU, Files.readString(out.resolve("U.mtx")));
        assertTrue(Files.exists(out.resolve("U.npy")));
    }

    /**
     * Ctrl-C before the first iteration (reading M done, σ₁ or the start under way) leaves --out as it was: the
     * factors reached would be the start, or zeros, and used to replace an earlier run's results there.
     */
    @Test
    void aRunCancelledBeforeItsFirstIterationWritesNothing() throws IOException {
        Path out = Files.createDirectories(dir.resolve("out"));
        Files.writeString(out.resolve("U.mtx"), "an earlier run's U");
        Path log = Files.writeString(dir.resolve("run.jsonl"), "an earlier run's log");
        CancelToken cancelled = new CancelToken();
        cancelled.cancel();
        StringWriter printed = new StringWriter();
        try (DenseMatrix m = MatrixMarket.read(Fixtures.fixture("spectrum_64x48.mtx"), DType.FLOAT64)) {
            SolverRun.execute(new PrintWriter(printed, true), "M", 2, 100, out, RunOutputs.Format.MTX, log,
                    new RunClock(), Map.of(), () -> listeners -> SolverRun.finished(Factorizer.builder(m, 2)
                            .cancelToken(cancelled).build().run(listeners)));
        }
        // one line, and no metrics: those of the start (relative error 1, |U| 0) would read as a result
        assertEquals("M (64 x 48, float64), rank 2: cancelled before the first iteration: nothing written to " + out,
                printed.toString().strip());
        assertEquals("an earlier run's U", Files.readString(out.resolve("U.mtx")));
        assertEquals("an earlier run's log", Files.readString(log), "the --log was replaced");
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("out", "run.jsonl"), files.map(f -> f.getFileName().toString()).sorted().toList(),
                    "files beside the log (a staged log left behind?)");
        }
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(List.of("U.mtx"), files.map(f -> f.getFileName().toString()).toList(), "files in --out");
        }
    }

    @Test
    void mismatchedInitialFactorsNameTheShape() {
        Run r = run("factorize", "--input", fixture("spectrum_64x48.mtx"), "--rank", "3", "--init",
                "file:" + fixture("gd_U0.mtx") + "," + fixture("gd_V0.mtx"));
        assertEquals(Main.EXIT_USAGE, r.exitCode());
        assertTrue(r.err().contains("initial factor U0 is 23 x 2, expected 64 x 3"), r.err());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "%%MatrixMarket matrix array real general\\n2 2\\n1\\n2\\n3\\n|line",
        "%%MatrixMarket matrix array real general\\n2 2\\n1\\nNaN\\n3\\n4\\n|non-finite",
        "%%MatrixMarket matrix array real general\\n2 2\\n1\\n2\\nthree\\n4\\n|line 5",
        "%%MatrixMarket vector array real general\\n2 2\\n1\\n2\\n3\\n4\\n|vector",
        "not a header\\n|line 1"})
    void malformedMatrixFilesAreRejected(String content, String message) throws IOException {
        Path input = dir.resolve("bad.mtx");
        Files.writeString(input, content.replace("\\n", "\n"));
        Path out = dir.resolve("out");
        Run r = run("factorize", "--input", input.toString(), "--rank", "1", "--out", out.toString());
        assertEquals(Main.EXIT_USAGE, r.exitCode());
        assertTrue(r.err().contains("bad.mtx") && r.err().contains(message), r.err());
        assertNoOutputs(out);
    }

    @Test
    void malformedNpyFilesAreRejected() throws IOException {
        byte[] good = Files.readAllBytes(Fixtures.fixture("spectrum_64x48.npy"));
        Path input = dir.resolve("bad.npy");
        Files.write(input, Arrays.copyOf(good, good.length - 1));
        Path out = dir.resolve("out");
        Run r = run("factorize", "--input", input.toString(), "--rank", "1", "--out", out.toString(),
                "--out-format", "npy");
        assertEquals(Main.EXIT_USAGE, r.exitCode());
        assertTrue(r.err().contains("cannot read M from " + input + ": truncated: the header declares "
                + "a 64 x 48 <f8 array (24576 bytes of data), the file holds 24575"), r.err());
        assertNoOutputs(out);
    }

    @Test
    void aDivergingRunFailsClearlyAndWritesNoFactors() throws IOException {
        Path out = dir.resolve("out");
        Path log = dir.resolve("log.jsonl");
        Run r = run("factorize", "--input", fixture("spectrum_64x48.mtx"), "--rank", "2", "--schedule",
                "constant:1", "--out", out.toString(), "--log", log.toString());
        assertEquals(Main.EXIT_FAILED, r.exitCode());
        assertTrue(r.err().contains("diverged at iteration"), r.err());
        assertTrue(r.err().contains("--schedule auto:C with a smaller C"), "the CLI names its options: " + r.err());
        assertNoOutputs(out);
        // the log is kept: it shows how the run diverged, every record finite
        List<String> records = Files.readAllLines(log);
        assertFalse(records.isEmpty());
        assertFalse(records.getLast().contains("null"), records.getLast());
    }

    @Test
    void anExistingOutputIsLeftIntactWhenARunFails() throws IOException {
        Path out = dir.resolve("out");
        Files.createDirectories(out);
        Files.writeString(out.resolve("U.mtx"), "previous");
        run("factorize", "--input", fixture("spectrum_64x48.mtx"), "--rank", "2", "--schedule", "constant:1",
                "--out", out.toString());
        assertEquals("previous", Files.readString(out.resolve("U.mtx")));
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(1, files.count());
        }
    }

    /**
     * A process killed outright leaves its hidden staging directory behind; the next run into the same directory
     * removes it, but not the staging directory of a process still alive (another run writing there now).
     */
    @Test
    void theStagingOfAKilledRunIsRemovedByTheNextRun() throws Exception {
        Path out = dir.resolve("out");
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path abandoned = out.resolve(".autobalance-staging-" + gone.pid() + "-1");
        Path live = out.resolve(".autobalance-staging-" + ProcessHandle.current().pid() + "-2");
        Files.createDirectories(abandoned);
        Files.writeString(abandoned.resolve("U.mtx"), "half-written");
        Files.createDirectories(live);
        Run r = run("factorize", "--input", fixture("spectrum_64x48.mtx"), "--rank", "2", "--max-iter", "3",
                "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertFalse(Files.exists(abandoned), "the killed run's staging directory is still there");
        assertTrue(Files.isDirectory(live), "a live process's staging directory was removed");
        assertTrue(Files.exists(out.resolve("summary.json")));
    }

    /**
     * A file name whose bytes are not in the character set the JVM decodes names by (UTF-8, or ASCII without a
     * locale) reaches it with U+FFFD in their place, and names another file: it was reported as missing ("no such
     * .npy file"), which it is not. A file that is named with U+FFFD itself is still read.
     */
    @Test
    void aNameThatTheJvmCannotDecodeIsSaidToBeSo() throws IOException {
        String undecoded = dir.resolve("bad\uFFFD\uFFFD.npy").toString();
        String expected = "'" + undecoded.replace("\uFFFD", "\\uFFFD") + "': the name holds bytes that are not "
                + System.getProperty("sun.jnu.encoding") + " (each shown as \\uFFFD)";
        Path out = dir.resolve("out");
        Run input = run("factorize", "--input", undecoded, "--rank", "2", "--out", out.toString());
        assertEquals(Main.EXIT_USAGE, input.exitCode(), input.err());
        assertTrue(input.err().startsWith("autobalance: error: Invalid value for option '--input': " + expected),
                input.err());
        assertEquals(1, input.err().lines().count(), input.err());
        Run start = run("factorize", "--input", fixture("spectrum_64x48.mtx"), "--rank", "2", "--init",
                "file:" + undecoded + "," + undecoded, "--out", out.toString());
        assertEquals(Main.EXIT_USAGE, start.exitCode(), start.err());
        assertTrue(start.err().startsWith("autobalance: error: --init: " + expected), start.err());
        assertNoOutputs(out);

        org.junit.jupiter.api.Assumptions.assumeTrue("UTF-8".equals(System.getProperty("sun.jnu.encoding")));
        Path named = Files.copy(Path.of(fixture("spectrum_64x48.mtx")), Path.of(undecoded.replace(".npy", ".mtx")));
        Run read = run("factorize", "--input", named.toString(), "--rank", "2", "--max-iter", "1");
        assertEquals(0, read.exitCode(), read.err());
    }

    @ParameterizedTest
    @ValueSource(strings = {"factorize", "demo", "spark-factorize"})
    void everyCommandHasHelp(String command) {
        Run r = run(command, "--help");
        assertEquals(0, r.exitCode());
        assertTrue(r.out().contains("--schedule") && r.out().contains("--init") && r.out().contains("--out"),
                r.out());
    }

    /**
     * Every command's --version printed an empty line but the top level's (picocli leaves theirs unset); the version is
     * the POM's (it said 0.1.0 of a 0.1.0-SNAPSHOT build).
     */
    @ParameterizedTest
    @ValueSource(strings = {"", "factorize", "network", "demo", "reproduce", "spark-factorize"})
    void everyCommandSaysItsVersion(String command) throws IOException {
        String pom = Files.readString(Path.of("..", "pom.xml"));
        String version = pom.replaceAll("(?s).*?<artifactId>autobalance-parent</artifactId>\\s*<version>([^<]+)"
                + "</version>.*", "$1");
        Run r = command.isEmpty() ? run("--version") : run(command, "--version");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("autobalance " + version + System.lineSeparator(), r.out());
    }

    /**
     * spark-factorize's options and help are this jar's (the launcher answers its --help without building Spark), but
     * it runs on the Spark module's jar: asked to run here, it says where, before it reads anything.
     */
    @Test
    void sparkFactorizeRunsOnlyOnTheSparkModulesJar() {
        Run r = run("spark-factorize", "--input", dir.resolve("absent.npy").toString(), "--rank", "2");
        assertEquals(Main.EXIT_USAGE, r.exitCode());
        assertEquals("autobalance: error: spark-factorize runs on Apache Spark, from the Spark module's application "
                + "jar: ./autobalance spark-factorize (which builds it), or spark-submit with spark/target/"
                + "autobalance-spark.jar" + System.lineSeparator(), r.err());
    }

    /**
     * A command named first is built alone (Main.COMMANDS), "help NAME" with all of them: the same usage either way,
     * under the command's own name, and the top level still lists every command.
     */
    @ParameterizedTest
    @ValueSource(strings = {"factorize", "network", "demo", "reproduce", "spark-factorize"})
    void aCommandBuiltAloneHasTheSameHelpAsAmongAllTheOthers(String command) {
        Run alone = run(command, "--help");
        Run amongAll = run("help", command);
        assertEquals(0, alone.exitCode(), alone.err());
        assertEquals(0, amongAll.exitCode(), amongAll.err());
        assertTrue(alone.out().startsWith("Usage: autobalance " + command + " "), alone.out());
        assertEquals(amongAll.out(), alone.out());
        Run top = run("--help");
        assertTrue(top.out().contains("Commands:") && top.out().contains("  " + command + " "), top.out());
    }

    @Test
    void noCommandIsAUsageError() {
        Run r = run();
        assertEquals(Main.EXIT_USAGE, r.exitCode());
        assertEquals("autobalance: error: missing command: try 'autobalance demo' or 'autobalance factorize --help'; "
                + "see 'autobalance --help'" + System.lineSeparator(), r.err());
    }

    @Test
    void demoRunsAndSaysWhereTheOutputsWent() throws IOException {
        Path out = dir.resolve("demo");
        Run r = run("demo", "--max-iter", "3", "--out", out.toString(), "--threads", "2");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("relative error") && r.out().contains("balance"), r.out());
        assertTrue(r.out().contains(out.resolve("summary.json").toString()), r.out());
        assertEquals(3, Fixtures.jsonNumber(Files.readString(out.resolve("summary.json")), "iterations"));
    }

    private static void assertNoOutputs(Path out) {
        for (String name : List.of("U.mtx", "V.mtx", "U.npy", "V.npy", "summary.json")) {
            assertFalse(Files.exists(out.resolve(name)), name + " was written");
        }
        if (Files.isDirectory(out)) {
            try (Stream<Path> files = Files.list(out)) {
                assertEquals(List.of(), files.toList(), "leftovers in " + out);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
    }
}
