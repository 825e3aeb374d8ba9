package org.autobalance.spark.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.autobalance.cli.Main;
import org.autobalance.io.MatrixMarket;
import org.autobalance.json.Json;
import org.autobalance.io.Npy;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.spark.SharedSpark;
import org.autobalance.testing.Fixtures;
import org.autobalance.testing.SmallFileSystem;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code spark-factorize} end to end (in the shared Spark), against {@code factorize}. */
@Tag("spark")
class SparkFactorizeCommandTest {
    /** Options with nothing that needs σ₁, so both commands take the same step from the same start. */
    static final List<String> OPTIONS = List.of("--rank", "3", "--schedule", "constant:0.01", "--init", "small:0.05",
            "--seed", "9", "--max-iter", "40", "--tol", "0");

    @TempDir
    Path dir;

    record Outcome(int exitCode, String out, String err) {
    }

    static Outcome spark(List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new SparkFactorizeCommand(SharedSpark.context()), new PrintWriter(out, true),
                new PrintWriter(err, true), args.toArray(String[]::new));
        return new Outcome(code, out.toString(), err.toString());
    }

    static List<String> with(List<String> base, String... more) {
        List<String> all = new ArrayList<>(base);
        all.addAll(List.of(more));
        return all;
    }

    @Test
    void reproducesFactorizeOnTheSameInputAndStart() throws IOException {
        Path input = Fixtures.fixture("shards-M.mtx");
        Path local = dir.resolve("local");
        StringWriter err = new StringWriter();
        List<String> factorize = new ArrayList<>(List.of("factorize"));
        factorize.addAll(with(OPTIONS, "--input", input.toString(), "--threads", "2", "--out", local.toString()));
        int code = Main.execute(new PrintWriter(new StringWriter()), new PrintWriter(err, true),
                factorize.toArray(String[]::new));
        assertEquals(0, code, err.toString());
        // two partitions where factorize's two threads split the rows, two driver threads: the same bits, so the
        // same text in the factor files; and so for one partition whose task splits it among two threads
        String summary = sameFactorFiles(local, dir.resolve("spark"), with(OPTIONS, "--input", input.toString(),
                "--partitions", "2", "--threads", "2"));
        assertTrue(summary.contains("\"engine\":\"spark\"") && summary.contains("\"partitions\":2")
                && summary.contains("\"iterations\":40"), summary);
        String localSummary = Files.readString(local.resolve("summary.json")).strip();
        String relativeError = localSummary.replaceAll(".*(\"relative_error\":[^,]*),.*", "$1");
        assertTrue(summary.contains(relativeError), summary + " lacks " + relativeError);
        // the seed too, without which the run cannot be repeated from its summary (a new user's finding)
        String seed = localSummary.replaceAll(".*(\"seed\":[^,]*),.*", "$1");
        assertTrue(seed.startsWith("\"seed\":") && summary.contains(seed), summary + " lacks " + seed);
        String fat = sameFactorFiles(local, dir.resolve("fat"), with(OPTIONS, "--input", input.toString(),
                "--partitions", "1", "--task-threads", "2", "--threads", "2"));
        assertTrue(fat.contains("\"threads\":2") && fat.contains("\"partitions\":1")
                && fat.contains("\"task_threads\":2") && fat.contains("\"driver_threads\":2"), fat);
    }

    /** Runs spark-factorize with {@code args} into {@code out}: its factor files have {@code local}'s text. */
    private static String sameFactorFiles(Path local, Path out, List<String> args) throws IOException {
        Outcome run = spark(with(args, "--out", out.toString()));
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(Files.readString(local.resolve("U.mtx")), Files.readString(out.resolve("U.mtx")));
        assertEquals(Files.readString(local.resolve("V.mtx")), Files.readString(out.resolve("V.mtx")));
        return Files.readString(out.resolve("summary.json"));
    }

    @Test
    void factorizesSparseOptionsAreNamedAsFactorizes() {
        // "unknown option '--objective'" read as a typing slip to a user who had just run factorize with it
        for (String option : List.of("--objective=observed", "--holdout")) {
            StringWriter err = new StringWriter();
            assertEquals(2, Main.execute(new SparkFactorizeCommand(), new PrintWriter(new StringWriter()),
                    new PrintWriter(err, true), with(OPTIONS, option, "--input",
                            Fixtures.fixture("shards-M.mtx").toString()).toArray(String[]::new)), err.toString());
            assertEquals("autobalance: error: unknown option '" + option + "' (an option of factorize's sparse "
                    + "engine: spark-factorize holds M dense and minimises the full loss); see "
                    + "'spark-factorize --help'",
                    err.toString().strip());
        }
        // an option no command has is only unknown
        StringWriter err = new StringWriter();
        assertEquals(2, Main.execute(new SparkFactorizeCommand(), new PrintWriter(new StringWriter()),
                new PrintWriter(err, true), with(OPTIONS, "--bogus", "--input",
                        Fixtures.fixture("shards-M.mtx").toString()).toArray(String[]::new)), err.toString());
        assertEquals("autobalance: error: unknown option '--bogus'; see 'spark-factorize --help'",
                err.toString().strip());
    }

    @Test
    void moreTaskThreadsThanTheLocalMastersCoresIsAUsageError() {
        // refused before an embedded Spark starts (Spark itself would fail to start, with a stack trace)
        StringWriter err = new StringWriter();
        int code = Main.execute(new SparkFactorizeCommand(), new PrintWriter(new StringWriter()),
                new PrintWriter(err, true), with(OPTIONS, "--master", "local[1]", "--task-threads", "2", "--input",
                        Fixtures.fixture("shards-M.mtx").toString()).toArray(String[]::new));
        assertEquals(2, code, err.toString());
        assertEquals("autobalance: error: --task-threads 2: more than the 1 core(s) of --master local[1]",
                err.toString().strip());
        // so is a master URL Spark would fail on (with a stack trace, exit code 1, after seconds)
        for (String bad : List.of("foo[2]", "local[0]", "local[two]", "")) {
            StringWriter badErr = new StringWriter();
            assertEquals(2, Main.execute(new SparkFactorizeCommand(), new PrintWriter(new StringWriter()),
                    new PrintWriter(badErr, true), with(OPTIONS, "--master", bad, "--input",
                            Fixtures.fixture("shards-M.mtx").toString()).toArray(String[]::new)), badErr.toString());
            assertEquals("autobalance: error: --master " + bad + ": not a Spark master URL (local[N], local[*], "
                    + "spark://HOST:PORT, yarn, k8s://HOST:PORT, ...)", badErr.toString().strip());
        }
        // a standalone master nothing listens at: Spark retried for a minute and failed in hundreds of lines
        StringWriter unreachable = new StringWriter();
        long start = System.nanoTime();
        assertEquals(2, Main.execute(new SparkFactorizeCommand(), new PrintWriter(new StringWriter()),
                new PrintWriter(unreachable, true), with(OPTIONS, "--master", "spark://127.0.0.1:1", "--input",
                        Fixtures.fixture("shards-M.mtx").toString()).toArray(String[]::new)), unreachable.toString());
        assertEquals("autobalance: error: --master spark://127.0.0.1:1: cannot connect (127.0.0.1:1: Connection "
                + "refused)", unreachable.toString().strip());
        assertTrue(System.nanoTime() - start < 30_000_000_000L, "took " + (System.nanoTime() - start) / 1e9 + " s");
    }

    /**
     * --checkpoint and --resume as for factorize: a run of 30 of the 40 iterations, checkpointed at 20, resumed with
     * the 40-iteration limit, writes the factor files of the uninterrupted run, and its log continues at 20 without
     * gaps or duplicates.
     */
    @Test
    void aCheckpointedRunResumesToTheUninterruptedFactors() throws IOException {
        List<String> base = with(OPTIONS.subList(0, OPTIONS.indexOf("--max-iter")), "--tol", "0", "--input",
                Fixtures.fixture("shards-M.mtx").toString(), "--partitions", "2", "--threads", "2");
        Path whole = dir.resolve("whole");
        Outcome uninterrupted = spark(with(base, "--max-iter", "40", "--out", whole.toString()));
        assertEquals(0, uninterrupted.exitCode(), uninterrupted.err());
        Path checkpoint = dir.resolve("ck");
        Path log = dir.resolve("run.jsonl");
        Outcome first = spark(with(base, "--max-iter", "30", "--checkpoint", checkpoint.toString(),
                "--checkpoint-every", "20", "--log", log.toString()));
        assertEquals(0, first.exitCode(), first.err());
        Path resumed = dir.resolve("resumed");
        Outcome second = spark(with(base, "--max-iter", "40", "--resume", checkpoint.toString(), "--log",
                log.toString(), "--out", resumed.toString()));
        assertEquals(0, second.exitCode(), second.err());
        for (String file : List.of("U.mtx", "V.mtx")) {
            assertEquals(Files.readString(whole.resolve(file)), Files.readString(resumed.resolve(file)), file);
        }
        // the start's balance and norms are the checkpoint's, as in factorize: not those of the resumed iterate
        assertEquals(startLine(uninterrupted.out()), startLine(second.out()));
        List<String> lines = Files.readAllLines(log);
        assertEquals(40, lines.size(), "log lines");
        for (int t = 0; t < lines.size(); t++) {
            assertEquals((double) t, ((Map<?, ?>) Json.parse(lines.get(t))).get("t"), lines.get(t));
        }
    }

    /** The line that gives the run's start: "at the start: balance …". */
    private static String startLine(String out) {
        return out.lines().filter(l -> l.startsWith("at the start: ")).findFirst().orElseThrow(() ->
                new AssertionError("no start line in " + out));
    }

    /**
     * A --resume with another option than the checkpoint's is refused before the input is read and before Spark
     * starts, in the library's words, as factorize refuses it: it was refused only once the run began (Spark started,
     * M read and hashed). The refused runs name a copy of the input cut short, which a read would refuse; the same
     * options on the whole input resume.
     */
    @Test
    void aResumeWithOtherOptionsIsRefusedBeforeTheInputIsRead() throws IOException {
        JavaSparkContext shared = SharedSpark.context();
        String text = Files.readString(Fixtures.fixture("shards-M.mtx"));
        Path input = Files.writeString(dir.resolve("M.mtx"), text);
        Path cut = Files.writeString(dir.resolve("cut.mtx"), text.substring(0, text.length() / 2));
        Path checkpoint = dir.resolve("ck");
        Map<String, String> options = new LinkedHashMap<>();
        for (int k = 0; k < OPTIONS.size(); k += 2) {
            options.put(OPTIONS.get(k), OPTIONS.get(k + 1));
        }
        options.putAll(Map.of("--partitions", "2", "--threads", "2", "--task-threads", "1"));
        Outcome first = spark(arguments(options, "--input", input.toString(), "--checkpoint", checkpoint.toString(),
                "--checkpoint-every", "20"));
        assertEquals(0, first.exitCode(), first.err());
        Path single = dir.resolve("ck-factorize");
        Map<String, String> engine = new LinkedHashMap<>(options);
        engine.remove("--partitions");
        engine.remove("--task-threads");
        List<String> factorize = with(List.of("factorize"), arguments(engine, "--input", input.toString(),
                "--checkpoint", single.toString(), "--checkpoint-every", "20").toArray(String[]::new));
        StringWriter err = new StringWriter();
        assertEquals(0, Main.execute(new PrintWriter(new StringWriter()), new PrintWriter(err, true),
                factorize.toArray(String[]::new)), err.toString());
        String same = ": resume with the same configuration";
        Map<List<String>, String> refusals = Map.ofEntries(
                Map.entry(List.of("--seed", "5"), "the checkpoint was written with seed 9, this run has 5" + same),
                Map.entry(List.of("--threads", "1"),
                        "the checkpoint was written with driver_threads 2, this run has 1" + same),
                Map.entry(List.of("--tol", "1e-6"),
                        "the checkpoint was written with tolerance 0, this run has 1.0E-6" + same),
                Map.entry(List.of("--rank", "2"), "the checkpoint was written with rank 3, this run has 2" + same),
                Map.entry(List.of("--dtype", "float32"), "the checkpoint is of a float64 run, this run is float32"),
                Map.entry(List.of("--schedule", "constant:0.02"), "the checkpoint was written with schedule "),
                Map.entry(List.of("--variant", "alternating"), "the checkpoint was written with variant "),
                Map.entry(List.of("--init", "small:0.1"), "the checkpoint was written with init "),
                Map.entry(List.of("--partitions", "3"),
                        "the checkpoint was written with partitions 2, this run has 3" + same),
                Map.entry(List.of("--task-threads", "2"),
                        "the checkpoint was written with task_threads 1, this run has 2" + same),
                Map.entry(List.of("--resume", single.toString()), "the checkpoint was written by the single-machine "
                        + "engine, this run is on the spark engine: resume it on the engine that wrote it"));
        for (Map.Entry<List<String>, String> refusal : refusals.entrySet()) {
            Map<String, String> other = new LinkedHashMap<>(options);
            other.put("--resume", checkpoint.toString());
            other.put(refusal.getKey().get(0), refusal.getKey().get(1));
            Path out = dir.resolve("refused");
            StringWriter refusedOut = new StringWriter();
            StringWriter refusedErr = new StringWriter();
            int code = Main.execute(new SparkFactorizeCommand(), new PrintWriter(refusedOut, true),
                    new PrintWriter(refusedErr, true), arguments(other, "--master", "local[2]", "--input",
                            cut.toString(), "--out", out.toString()).toArray(String[]::new));
            String where = refusal.getKey() + ": " + refusedErr;
            assertEquals(2, code, where);
            assertTrue(refusedErr.toString().startsWith("autobalance: error: " + refusal.getValue()), where);
            assertEquals(1, refusedErr.toString().strip().lines().count(), where);
            assertEquals("", refusedOut.toString(), where);
            assertFalse(Files.exists(out), where);
            assertFalse(shared.sc().isStopped(), "the command started (and stopped) Spark for " + where);
        }
        options.put("--max-iter", "45");
        Outcome resumed = spark(arguments(options, "--input", input.toString(), "--resume", checkpoint.toString()));
        assertEquals(0, resumed.exitCode(), resumed.err());
        assertTrue(resumed.out().contains("45 iterations"), resumed.out());
    }

    /** The options as arguments, then {@code more}. */
    private static List<String> arguments(Map<String, String> options, String... more) {
        List<String> args = new ArrayList<>();
        options.forEach((option, value) -> args.addAll(List.of(option, value)));
        args.addAll(List.of(more));
        return args;
    }

    @Test
    void stopsWhereFactorizeStops() throws IOException {
        // the default tolerance: both runs pass the first-order test at the same iterate (same bits) and confirm it
        // from the Grams (a well-separated rank-3 signal), so they stop together, converged
        List<String> common = List.of("--input", Fixtures.fixture("shards-M.mtx").toString(), "--rank", "3",
                "--schedule", "constant:0.01", "--init", "small:0.05", "--seed", "9", "--threads", "2");
        Path local = dir.resolve("local");
        List<String> factorize = new ArrayList<>(List.of("factorize"));
        factorize.addAll(with(common, "--out", local.toString()));
        StringWriter err = new StringWriter();
        assertEquals(0, Main.execute(new PrintWriter(new StringWriter()), new PrintWriter(err, true),
                factorize.toArray(String[]::new)), err.toString());
        Path distributed = dir.resolve("spark");
        Outcome run = spark(with(common, "--partitions", "2", "--out", distributed.toString()));
        assertEquals(0, run.exitCode(), run.err());
        String expected = Files.readString(local.resolve("summary.json"));
        String actual = Files.readString(distributed.resolve("summary.json"));
        assertTrue(expected.contains("\"stop_reason\":\"converged\""), expected);
        for (String key : List.of("\"iterations\":", "\"stop_reason\":")) {
            String field = expected.replaceAll("(?s).*(" + key + "[^,]*),.*", "$1");
            assertTrue(actual.contains(field), actual + " lacks " + field);
        }
    }

    @Test
    void shardsInShardsOut() throws IOException {
        Path out = dir.resolve("out");
        Outcome run = spark(with(OPTIONS, "--input", Fixtures.fixture("shards").toString(), "--out",
                out.toString()));
        assertEquals(0, run.exitCode(), run.err());
        Path single = dir.resolve("single");
        Outcome reference = spark(with(OPTIONS, "--input", Fixtures.fixture("shards-M.mtx").toString(),
                "--partitions", "3", "--out", single.toString()));
        assertEquals(0, reference.exitCode(), reference.err());
        try (DenseMatrix u = MatrixMarket.read(single.resolve("U.mtx"), DType.FLOAT64);
                DenseMatrix v = MatrixMarket.read(single.resolve("V.mtx"), DType.FLOAT64);
                DenseMatrix vOut = Npy.read(out.resolve("V.npy"), DType.FLOAT64)) {
            assertArrayEquals(v.toArray(), vOut.toArray());
            int first = 0;
            for (int p = 0; p < 3; p++) {
                try (DenseMatrix shard = Npy.read(out.resolve("U").resolve(String.format("part-%05d.npy", p)),
                        DType.FLOAT64)) {
                    for (int i = 0; i < shard.rows(); i++) {
                        for (int j = 0; j < shard.cols(); j++) {
                            assertEquals(u.get(first + i, j), shard.get(i, j), 0.0, "U row " + (first + i));
                        }
                    }
                    first += shard.rows();
                }
            }
            assertEquals(u.rows(), first);
        }
        assertTrue(Files.exists(out.resolve("summary.json")));
    }

    /**
     * Results written into the shard directory the run reads (a new user's finding): {@code --input r/U --out r}, an
     * earlier run's U shards given as M, replaced them with the new run's (exit 0); {@code --out S} and a log inside S
     * wrote among the shards, which the next read of S refused. Each is refused before the read, the shards untouched.
     */
    @Test
    void resultsAreNeverWrittenIntoTheShardDirectoryRead() throws IOException {
        Path earlier = dir.resolve("earlier");
        Path shards = earlier.resolve("U");
        Files.createDirectories(shards);
        List<byte[]> before = new ArrayList<>();
        for (int p = 0; p < 3; p++) {
            String name = String.format("part-%05d.npy", p);
            Files.copy(Fixtures.fixture("shards").resolve(name), shards.resolve(name));
            before.add(Files.readAllBytes(shards.resolve(name)));
        }
        String[][] cases = {
            {"--out", earlier.toString(), "--out " + earlier + ": holds " + shards + ", which this run reads, under "
                + "the name of a result it writes (U); give another directory"},
            {"--out", shards.toString(), "--out " + shards + ": is " + shards + ", the directory this run reads: give "
                + "another directory"},
            {"--log", shards.resolve("run.jsonl").toString(), "--log " + shards.resolve("run.jsonl") + ": is inside "
                + shards + ", the directory this run reads: give the log another directory"}};
        for (String[] c : cases) {
            Outcome run = spark(with(OPTIONS, "--input", shards.toString(), c[0], c[1]));
            assertEquals(2, run.exitCode(), run.err());
            assertEquals("autobalance: error: " + c[2] + System.lineSeparator(), run.err());
        }
        // a format for U and V files that shards do not take: ignored without a word before
        Outcome mtx = spark(with(OPTIONS, "--input", shards.toString(), "--out", dir.resolve("o").toString(),
                "--out-format", "mtx"));
        assertEquals(2, mtx.exitCode(), mtx.err());
        assertEquals("autobalance: error: --out-format mtx: a directory of shards or Parquet gives U as .npy shards "
                + "(U/) and V.npy; --out-format is for a single-file input" + System.lineSeparator(), mtx.err());
        assertTrue(Files.notExists(dir.resolve("o")));
        try (var files = Files.list(shards)) {
            assertEquals(3, files.count());
        }
        for (int p = 0; p < 3; p++) {
            assertArrayEquals(before.get(p), Files.readAllBytes(shards.resolve(String.format("part-%05d.npy", p))));
        }
    }

    /**
     * Hostile inputs, each refused in one line with exit code 2 and nothing written: a missing file, a truncated
     * {@code .npy} and {@code .mtx}, headers that lie about the size (more rows than the data holds, fewer), more
     * partitions than rows, no partition. (All of them are refused before an embedded Spark would start.)
     */
    @Test
    void hostileInputsAreOneLineAndExitCodeTwoWithNothingWritten() throws IOException {
        Path mtx = Fixtures.fixture("shards-M.mtx");
        String text = Files.readString(mtx);
        Path npy = dir.resolve("M.npy");
        try (DenseMatrix m = MatrixMarket.read(mtx, DType.FLOAT64)) {
            Npy.write(npy, m);
        }
        byte[] npyBytes = Files.readAllBytes(npy);
        Path truncatedNpy = Files.write(dir.resolve("truncated.npy"),
                java.util.Arrays.copyOf(npyBytes, npyBytes.length - 100));
        Path truncatedMtx = Files.writeString(dir.resolve("truncated.mtx"),
                text.substring(0, text.lastIndexOf('\n', text.length() * 2 / 3) + 1));
        Path moreRowsNpy = Files.write(dir.resolve("more.npy"), new String(npyBytes, StandardCharsets.ISO_8859_1)
                .replace("(40, 23)", "(41, 23)").getBytes(StandardCharsets.ISO_8859_1));
        Path fewerRowsMtx = Files.writeString(dir.resolve("fewer.mtx"), text.replace("\n40 23\n", "\n39 23\n"));
        Path moreRowsMtx = Files.writeString(dir.resolve("more.mtx"), text.replace("\n40 23\n", "\n41 23\n"));
        Map<List<String>, String> refusals = Map.of(
                List.of("--input", dir.resolve("absent.mtx").toString()), "does not exist",
                List.of("--input", truncatedNpy.toString()), "truncated.npy: the header declares a (40, 23)",
                List.of("--input", truncatedMtx.toString()), "truncated: expected 920 values",
                List.of("--input", moreRowsNpy.toString()), "more.npy: the header declares a (41, 23)",
                List.of("--input", fewerRowsMtx.toString()), "too many values: expected 897",
                List.of("--input", moreRowsMtx.toString()), "truncated: expected 943 values, found 920",
                List.of("--input", mtx.toString(), "--partitions", "41"),
                "--partitions must be between 1 and the 40 rows of",
                List.of("--input", npy.toString(), "--partitions", "0"), "--partitions: must be at least 1, got 0");
        for (Map.Entry<List<String>, String> refusal : refusals.entrySet()) {
            Path out = dir.resolve("out");
            Outcome run = spark(with(with(OPTIONS, "--out", out.toString()), refusal.getKey().toArray(String[]::new)));
            String where = refusal.getKey() + ": " + run.err();
            assertEquals(2, run.exitCode(), where);
            assertTrue(run.err().startsWith("autobalance: error: ") && run.err().contains(refusal.getValue()), where);
            assertEquals(1, run.err().strip().lines().count(), where);
            assertFalse(Files.exists(out), where);
        }
    }

    /**
     * A rank below 1 is refused in factorize's words before M is read (it was refused after the header, with the
     * rank-range line): here the input does not even exist, and the rank is what the line names.
     */
    @Test
    void aRankBelowOneIsRefusedBeforeTheInputIsRead() {
        Path out = dir.resolve("out");
        Outcome run = spark(List.of("--rank", "0", "--input", dir.resolve("absent.npy").toString(), "--out",
                out.toString()));
        assertEquals(2, run.exitCode(), run.err());
        assertEquals("autobalance: error: --rank: must be at least 1, got 0", run.err().strip());
        assertFalse(Files.exists(out));
    }

    /** Without --partitions a single file gets Spark's default parallelism (2 here) but never more than its rows. */
    @Test
    void theDefaultPartitioningHasNoMorePartitionsThanRows() throws IOException {
        Path row = dir.resolve("row.npy");
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, new double[][] {{1, 2, 3, 4, 5}})) {
            Npy.write(row, m);
        }
        Path out = dir.resolve("out");
        Outcome run = spark(List.of("--input", row.toString(), "--rank", "1", "--max-iter", "3", "--tol", "0",
                "--out", out.toString()));
        assertEquals(0, run.exitCode(), run.err());
        String summary = Files.readString(out.resolve("summary.json"));
        assertTrue(summary.contains("\"partitions\":1,") && summary.contains("\"iterations\":3"), summary);
    }

    /**
     * A value the executors find bad (the driver checks headers only: a shard's values are read by its task) is the
     * same one line and exit code 2 as a bad header, naming the shard, the row and the column — not Spark's "Job
     * aborted due to stage failure" with the task's stack trace, exit code 1.
     */
    @Test
    void aNonFiniteValueInAShardIsOneLineNamingIt() throws IOException {
        Path shards = Files.createDirectories(dir.resolve("nan-shards"));
        for (int p = 0; p < 3; p++) {
            String name = String.format("part-%05d.npy", p);
            Files.copy(Fixtures.fixture("shards").resolve(name), shards.resolve(name));
        }
        // the fixture's last shard is a C-order (14, 23) '<f8' array: its data are the file's last 14·23·8 bytes
        Path last = shards.resolve("part-00002.npy");
        byte[] bytes = Files.readAllBytes(last);
        java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putDouble(bytes.length - 14 * 23 * 8 + (23 + 2) * 8, Double.NaN);
        Files.write(last, bytes);
        Path out = dir.resolve("out");
        Outcome run = spark(with(OPTIONS, "--input", shards.toString(), "--out", out.toString()));
        assertEquals(2, run.exitCode(), run.err());
        // core's one rule for a file's message (FileChecks.cannotRead), as for a single-file input
        // placed by M's row, as a single file's: the shard's row 2 (rows 0 and 1 of the first two shards' before it)
        long before = 0;
        for (int p = 0; p < 2; p++) {
            try (DenseMatrix shard = Npy.read(shards.resolve(String.format("part-%05d.npy", p)), DType.FLOAT64)) {
                before += shard.rows();
            }
        }
        assertEquals("autobalance: error: cannot read M from " + last + " (its row 0 is row " + before
                + " of M): non-finite value NaN at row " + (before + 1) + ", column 2 (0-based)", run.err().strip());
        assertFalse(Files.exists(out.resolve("summary.json")));
    }

    /**
     * What can be checked without Spark is refused before an embedded Spark starts (10–20 s, hundreds of MB): a rank
     * the input's shape does not allow (its header is read first), a --checkpoint-dir that cannot be made, and
     * --partitions that contradict a directory of shards, a format only factorize reads, a word without its option.
     * The command runs with its own master here; the shared context is up, so a command that started Spark would get it
     * from {@code getOrCreate} and stop it on the way out.
     */
    @Test
    void whatNeedsNoSparkIsCheckedBeforeSparkStarts() throws IOException {
        JavaSparkContext shared = SharedSpark.context();
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        String mtx = Fixtures.fixture("shards-M.mtx").toString();
        String shards = Fixtures.fixture("shards").toString();
        Path csv = Files.writeString(dir.resolve("M.csv"), "1,2\n3,4\n");
        Path npz = Files.writeString(dir.resolve("S.npz"), "not read");
        Path out = dir.resolve("out-with-U");
        Files.writeString(Files.createDirectories(out.resolve("U")).resolve("keep"), "mine");
        String formats = ": spark-factorize reads a .mtx or .npy file, a directory of .npy shards or Parquet, not ";
        Map<List<String>, String> refusals = Map.of(
                // read as Matrix Market, they were refused with the advice to name them as they were named
                List.of("--input", csv.toString(), "--rank", "1"), "--input " + csv + formats + "delimited text; "
                        + "convert it: numpy.save('M.npy', numpy.loadtxt('" + csv + "', delimiter=',')) (factorize "
                        + "reads it as it is)",
                List.of("--input", npz.toString(), "--rank", "1"), "--input " + npz + formats + "a scipy .npz; "
                        + "convert it: scipy.io.mmwrite('M.mtx', scipy.sparse.load_npz('" + npz + "')) (factorize "
                        + "reads it as it is)",
                List.of("--input", mtx, "--rank", "24"),
                "rank must be between 1 and min(d1, d2) = 23 for a 40 x 23 matrix, got 24",
                List.of("--input", mtx, "--rank", "3", "--checkpoint-dir", file.resolve("ck").toString()),
                "--checkpoint-dir " + file.resolve("ck") + ": " + file + " is not a directory",
                // the shards are the partitioning: another --partitions was ignored without a word
                List.of("--input", shards, "--rank", "3", "--partitions", "2"),
                "--partitions 2: a directory of shards has one partition per shard (3 in " + shards + ")",
                // U/ is what a run on shards writes: refused before the run rather than after it, at the commit
                List.of("--input", shards, "--rank", "3", "--out", out.toString()), "--out " + out + ": "
                        + out.resolve("U") + " is a directory (holding keep), not an earlier run's results, and a "
                        + "result of this name would replace it with all it holds; move it, or give another --out",
                // an unset variable: Spark's checkpoints went into the working directory
                List.of("--input", mtx, "--rank", "3", "--checkpoint-dir", ""), "--checkpoint-dir: '': an empty "
                        + "path (an unset shell variable?); give a name (or ., the working directory, where a "
                        + "directory is asked for)",
                // the run printed its results and wrote no factors
                List.of("--input", mtx, "--rank", "3", "--out-format", "npy"), "--out-format npy: no --out to write "
                        + "the factors in (without --out nothing is written); give --out DIR",
                // a command without subcommands run at the top level: "unknown command 'M.npy': the commands are ;"
                List.of("M.npy", "--rank", "3"), "unexpected argument 'M.npy' (a value needs its option's name "
                        + "before it, such as --input M.npy); see 'spark-factorize --help'",
                List.of("--input", mtx, "--rank", "3", "extra"), "unexpected argument 'extra' (a value needs its "
                        + "option's name before it); see 'spark-factorize --help'");
        for (Map.Entry<List<String>, String> refusal : refusals.entrySet()) {
            StringWriter err = new StringWriter();
            List<String> args = with(List.of("--master", "local[1]"), refusal.getKey().toArray(String[]::new));
            int code = Main.execute(new SparkFactorizeCommand(), new PrintWriter(new StringWriter()),
                    new PrintWriter(err, true), args.toArray(String[]::new));
            assertEquals(2, code, err.toString());
            assertEquals("autobalance: error: " + refusal.getValue(), err.toString().strip());
            assertFalse(shared.sc().isStopped(), "the command started (and stopped) Spark for " + args);
        }
    }

    /**
     * A Matrix Market file named as delimited text is refused before Spark starts as factorize refuses it: by its name
     * alone it was delimited text, with advice to convert it by {@code numpy.loadtxt}, which fails on its {@code %%}
     * lines (before that, as every name went to the Matrix Market reader, it was read).
     */
    @Test
    void aFileWhoseBytesAreAnotherFormatThanItsNameIsRefusedAsByFactorize() throws IOException {
        JavaSparkContext shared = SharedSpark.context();
        Path mtxAsTxt = Files.writeString(dir.resolve("M.txt"), Files.readString(Fixtures.fixture("shards-M.mtx")));
        StringWriter err = new StringWriter();
        int code = Main.execute(new SparkFactorizeCommand(), new PrintWriter(new StringWriter()),
                new PrintWriter(err, true), "--master", "local[1]", "--input", mtxAsTxt.toString(), "--rank", "1");
        assertEquals(2, code, err.toString());
        assertEquals("autobalance: error: --input " + mtxAsTxt + ": not delimited text: a Matrix Market file: give it "
                + "a name ending in .mtx", err.toString().strip());
        assertFalse(shared.sc().isStopped(), "the command started (and stopped) Spark");
    }

    /**
     * A checkpoint directory another run holds is refused as for factorize (the README said "as for factorize", and
     * spark-factorize took no lock): here the lock is held by this JVM, as a second run's would be by its own.
     */
    @Test
    void aCheckpointDirectoryInUseIsRefused() throws IOException {
        JavaSparkContext shared = SharedSpark.context();
        Path checkpoints = Files.createDirectories(dir.resolve("ck-held"));
        try (FileChannel channel = FileChannel.open(checkpoints.resolve(".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock _ = channel.lock()) {
            StringWriter err = new StringWriter();
            List<String> args = with(List.of("--master", "local[1]"), "--input",
                    Fixtures.fixture("shards-M.mtx").toString(), "--rank", "3", "--checkpoint", checkpoints.toString(),
                    "--out", dir.resolve("held-out").toString());
            int code = Main.execute(new SparkFactorizeCommand(), new PrintWriter(new StringWriter()),
                    new PrintWriter(err, true), args.toArray(String[]::new));
            assertEquals(2, code, err.toString());
            assertTrue(err.toString().startsWith("autobalance: error: --checkpoint " + checkpoints + ": another run is "
                    + "writing its checkpoints there"), err.toString());
            assertFalse(shared.sc().isStopped(), "the command started (and stopped) Spark");
        }
    }

    /**
     * A --log that is the input, or an --out holding the input under a result's name, is refused before the input is
     * read, as by factorize (review: spark-factorize claimed its destinations without its input, so the log was
     * renamed over M.mtx at the end, and U.mtx over an input read from --out).
     */
    @Test
    void theInputIsNotReplacedByTheLogOrTheResults() throws IOException {
        JavaSparkContext shared = SharedSpark.context();
        String text = Files.readString(Fixtures.fixture("shards-M.mtx"));
        Path input = Files.writeString(dir.resolve("M.mtx"), text);
        Path out = Files.createDirectories(dir.resolve("o"));
        Path inOut = Files.writeString(out.resolve("U.mtx"), text);
        Map<List<String>, String> refusals = Map.of(
                List.of("--input", input.toString(), "--log", input.toString()),
                "--log " + input + ": is " + input + ", which this run reads: the log would replace it; give another "
                        + "file",
                List.of("--input", inOut.toString(), "--out", out.toString()),
                "--out " + out + ": holds " + inOut + ", which this run reads, under the name of a result file it "
                        + "writes (U.mtx); give another directory");
        for (Map.Entry<List<String>, String> refusal : refusals.entrySet()) {
            StringWriter err = new StringWriter();
            List<String> args = with(List.of("--master", "local[1]", "--rank", "3"),
                    refusal.getKey().toArray(String[]::new));
            int code = Main.execute(new SparkFactorizeCommand(), new PrintWriter(new StringWriter()),
                    new PrintWriter(err, true), args.toArray(String[]::new));
            assertEquals(2, code, err.toString());
            assertEquals("autobalance: error: " + refusal.getValue(), err.toString().strip());
            assertFalse(shared.sc().isStopped(), "the command started (and stopped) Spark for " + args);
        }
        assertEquals(text, Files.readString(input));
        assertEquals(text, Files.readString(inOut));
    }

    /**
     * {@code spark-factorize} says before Spark starts, as {@code factorize} does, when U and V or a checkpoint will
     * not fit (it said nothing: the first checkpoint, or the end of the run, found the full disk).
     */
    @Test
    void saysBeforeTheRunWhatWillNotFit() throws Exception {
        Path input = dir.resolve("M.npy");
        java.util.SplittableRandom random = new java.util.SplittableRandom(3);
        try (DenseMatrix m = DenseMatrix.allocate(DType.FLOAT64, 400, 300)) {
            for (int i = 0; i < 400; i++) {
                for (int j = 0; j < 300; j++) {
                    m.set(i, j, random.nextGaussian());
                }
            }
            Npy.write(input, m);
        }
        try (SmallFileSystem fs = SmallFileSystem.mount(dir.resolve("small"), 256)) {
            Path out = fs.root().resolve("out");
            Path ck = fs.root().resolve("ck");
            Outcome run = spark(List.of("--input", input.toString(), "--rank", "50", "--max-iter", "1",
                    "--partitions", "2", "--out", out.toString(), "--out-format", "npy", "--checkpoint",
                    ck.toString()));
            assertEquals(1, run.exitCode(), run.err());
            // U and V: (400 + 300) · 50 float64 values, 0.28 MB as .npy and in a checkpoint
            assertTrue(run.out().matches("(?s)note: --checkpoint " + ck + ": 0\\.[0-3] MB free there; a checkpoint "
                    + "takes 0\\.3 MB, and two while one replaces the last: the run will stop at the first that does "
                    + "not fit \\(make room, or give another directory\\)\nnote: --out " + out + ": 0\\.[0-3] MB "
                    + "free there; U and V take up to 0\\.3 MB: they will not be written unless room is made before "
                    + "the run ends\n.*"), run.out());
            assertTrue(run.err().contains("--out " + out + ": cannot write "), run.err());
        }
    }

    @Test
    void aBadShardIsAUsageErrorNamingIt() {
        Path out = dir.resolve("bad");
        Outcome run = spark(with(OPTIONS, "--input", Fixtures.fixture("shards-mixed-dtype").toString(), "--out",
                out.toString()));
        assertEquals(2, run.exitCode());
        assertTrue(run.err().startsWith("autobalance: error: shard ") && run.err().contains("part-00001.npy"),
                run.err());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertFalse(Files.exists(out.resolve("summary.json")));
    }

    /**
     * After a run that started its own Spark, whatever its end: the context's directory in --checkpoint-dir that
     * cannot be removed (a lineage cut's files the run could not delete are in it) is named on one line and left; a
     * Spark that fails to stop is one line too, and neither throws: before, a failing stop() in the command's finally
     * replaced the run's result or its exception, and a directory left was not named. (The shared context's own
     * checkpoint directory is moved for the test: a context of its own takes 10–20 s to start.)
     */
    @Test
    void whatTheEndOfARunLeavesIsNamedAndMasksNothing() throws IOException {
        JavaSparkContext shared = SharedSpark.context();
        String sharedCheckpoints = shared.getCheckpointDir().get();
        Path given = Files.createDirectories(dir.resolve("checkpoints"));
        shared.setCheckpointDir(given.toString());
        try {
            String made = shared.getCheckpointDir().get();
            Path cut = Files.createDirectories(Path.of(URI.create(made)).resolve("rdd-7"));
            Files.writeString(cut.resolve("part-00000"), "a cut's file the run could not delete");
            StringWriter err = new StringWriter();
            SparkFactorizeCommand.release(new JavaSparkContext(shared.sc()) {
                @Override
                public void stop() {
                    throw new IllegalStateException("the block manager did not answer");
                }
            }, given.toString(), new PrintWriter(err, true));
            assertEquals("autobalance: note: --checkpoint-dir: left " + made + " (rdd-7 left in it)\n"
                    + "autobalance: note: Spark did not stop cleanly "
                    + "(java.lang.IllegalStateException: the block manager did not answer)\n",
                    err.toString().replace(System.lineSeparator(), "\n"));
            assertTrue(Files.exists(cut.resolve("part-00000")), "what it holds is left as it is");
            // emptied (its cut's files deleted), it is removed without a word; without --checkpoint-dir it is not
            // the command's
            Files.delete(cut.resolve("part-00000"));
            Files.delete(cut);
            StringWriter quiet = new StringWriter();
            JavaSparkContext stops = new JavaSparkContext(shared.sc()) {
                @Override
                public void stop() {
                    // the shared context stays up for the other tests
                }
            };
            SparkFactorizeCommand.release(stops, null, new PrintWriter(quiet, true));
            assertTrue(Files.isDirectory(Path.of(URI.create(made))), "removed without --checkpoint-dir");
            SparkFactorizeCommand.release(stops, given.toString(), new PrintWriter(quiet, true));
            assertEquals("", quiet.toString());
            assertFalse(Files.exists(Path.of(URI.create(made))), made + " left");
        } finally {
            shared.setCheckpointDir(Path.of(URI.create(sharedCheckpoints)).getParent().toString());
        }
    }
}
