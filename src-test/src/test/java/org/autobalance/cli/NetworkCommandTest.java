package org.autobalance.cli;

import static org.autobalance.cli.CommandLineTest.run;
import static org.autobalance.cli.CommandLineTest.withoutSecondsOrOut;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.autobalance.cli.CommandLineTest.Run;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.autobalance.io.Npy;
import org.autobalance.json.Json;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.network.ParameterFiles;
import org.autobalance.solve.Checkpoint;
import org.autobalance.synthetic.KnownMatrices;
import org.autobalance.testing.Dense;
import org.autobalance.testing.Fixtures;
import org.autobalance.testing.OldCheckpoints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code autobalance network} end to end, in-process, against a numpy-written trajectory and bad inputs. */
class NetworkCommandTest {
    @TempDir
    Path dir;

    /** X 100 × 6 Gaussian and Y its image under a ReLU teacher of 2 outputs, saved: "X,Y" for --data. */
    private String teacherData() throws IOException {
        double[][] xs = KnownMatrices.gaussian(100, 6, 1.0, 3);
        return save("x.npy", xs) + "," + save("y.npy", reluTeacher(xs, 2, 5));
    }

    /** The arguments of a small network run without a stop test: 20 samples, dense:6,relu,dense:2, one thread. */
    private List<String> smallNetwork() throws IOException {
        Path x = save("x.npy", KnownMatrices.gaussian(20, 4, 1.0, 1));
        Path y = save("y.npy", KnownMatrices.gaussian(20, 2, 1.0, 2));
        return List.of("network", "--data", x + "," + y, "--layers", "dense:6,relu,dense:2", "--tol", "0",
                "--threads", "1");
    }

    /** X 100 × 6 and Y 100 × 2, both Gaussian, saved: "X,Y" for --data. */
    private String gaussianData() throws IOException {
        return save("x.npy", KnownMatrices.gaussian(100, 6, 1.0, 3)) + ","
                + save("y.npy", KnownMatrices.gaussian(100, 2, 1.0, 4));
    }

    private Path save(String name, double[][] a) throws IOException {
        Path p = dir.resolve(name);
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, a)) {
            Npy.write(p, m);
        }
        return p;
    }

    /**
     * net_fixtures.py: conv1d:3,3,relu,dense:4,leaky:0.1,dense:2 with biases, 10 GD steps at η = 0.1 written with
     * numpy alone. The CLI, started from the same W*_0/b*_0 (read through file:DIR, conv weights as 3-D arrays),
     * must write the same W*_10/b*_10 (same shapes) up to summation order: 1e-12 of the largest entry; from the
     * data as .npy and as the CSV np.savetxt wrote of it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"npy", "csv"})
    void convolutionalNetworkWithBiasesReproducesTheNumpyTrajectory(String data) throws IOException {
        Path start = Files.createDirectories(dir.resolve("start"));
        for (int h = 1; h <= 3; h++) {
            Files.copy(Fixtures.fixture("net_W" + h + "_0.npy"), start.resolve("W" + h + ".npy"));
            Files.copy(Fixtures.fixture("net_b" + h + "_0.npy"), start.resolve("b" + h + ".npy"));
        }
        Path out = dir.resolve("out");
        Path log = dir.resolve("log.jsonl");
        Run r = run("network", "--data", Fixtures.fixture("net_X." + data) + "," + Fixtures.fixture("net_Y." + data),
                "--layers", "conv1d:3,3,relu,dense:4,leaky:0.1,dense:2", "--input-shape", "2,8", "--bias",
                "--init", "file:" + start, "--schedule", "constant:0.1", "--max-iter", "10", "--tol", "0",
                "--threads", "2", "--out", out.toString(), "--log", log.toString());
        assertEquals(0, r.exitCode(), r.err());
        for (int h = 1; h <= 3; h++) {
            for (String kind : List.of("W", "b")) {
                Path expectedFile = Fixtures.fixture("net_" + kind + h + "_10.npy");
                Path actualFile = out.resolve(kind + h + ".npy");
                assertEquals(shape(expectedFile), shape(actualFile), kind + h + " shape");
                double[][] expected = flat(expectedFile);
                double[][] actual = flat(actualFile);
                assertTrue(Dense.maxAbsDifference(expected, actual) <= 1e-12 * Dense.maxAbs(expected),
                        kind + h + " after 10 steps");
            }
        }
        String summary = Files.readString(out.resolve("summary.json"));
        for (String key : List.of("iterations", "loss", "layer_sq_norms", "layer_differences",
                "max_unit_invariant_change", "seconds", "stop_reason")) {
            assertTrue(summary.contains("\"" + key + "\":"), key + " missing: " + summary);
        }
        assertTrue(summary.contains("\"iterations\":10"), summary);
        assertEquals(10, Files.readAllLines(log).size());
        assertTrue(Files.readAllLines(log).getFirst().startsWith("{\"t\":0,\"eta\":0.1,\"loss\":"));
    }

    private static double[][] flat(Path p) throws IOException {
        try (DenseMatrix m = ParameterFiles.readFlattened(p, DType.FLOAT64)) {
            return m.toArray();
        }
    }

    /** The shape in a .npy header, e.g. {@code (3, 2, 3)}. */
    private static String shape(Path p) throws IOException {
        Matcher m = Pattern.compile("'shape': (\\([^)]*\\))").matcher(new String(Files.readAllBytes(p),
                java.nio.charset.StandardCharsets.ISO_8859_1));
        assertTrue(m.find(), "no shape in " + p);
        return m.group(1);
    }

    /** conv2d and float32 train, and --out then file: round-trips the parameters exactly. */
    @Test
    void conv2dTrainsInFloat32AndItsOutputRestartsExactly() throws IOException {
        SplittableRandom random = new SplittableRandom(3);
        Path x = save("x.npy", KnownMatrices.gaussian(30, 2 * 5 * 6, 1.0, random.nextLong()));
        Path y = save("y.npy", KnownMatrices.gaussian(30, 2, 1.0, random.nextLong()));
        String data = x + "," + y;
        Path first = dir.resolve("first");
        Run a = run("network", "--data", data, "--layers", "conv2d:3,2,3,relu,dense:2", "--input-shape", "2,5,6",
                "--dtype", "float32", "--max-iter", "30", "--tol", "0", "--threads", "1", "--out", first.toString());
        assertEquals(0, a.exitCode(), a.err());
        assertEquals("(3, 2, 2, 3)", shape(first.resolve("W1.npy")));
        Path again = dir.resolve("again");
        Run b = run("network", "--data", data, "--layers", "conv2d:3,2,3,relu,dense:2", "--input-shape", "2,5,6",
                "--dtype", "float32", "--init", "file:" + first, "--max-iter", "0", "--out", again.toString());
        assertEquals(0, b.exitCode(), b.err());
        assertSameFiles(first, again, "W1.npy", "W2.npy");
    }

    /**
     * summary.json holds what reproduces the run, as factorize's holds its seed: the seed, the tolerance that ran (the
     * default in full), the iteration limit, the input shape where given, and the start in the option's words, where
     * file:DIR was "given" (in summary.json and in the printed line).
     */
    @Test
    void theSummaryHoldsWhatReproducesTheRun() throws IOException {
        String data = save("x.npy", KnownMatrices.gaussian(20, 72, 1.0, 5)) + ","
                + save("y.npy", KnownMatrices.gaussian(20, 3, 1.0, 6));
        Path ns = dir.resolve("ns");
        Run a = run("network", "--data", data, "--layers", "conv2d:2,3,3,relu,dense:3", "--input-shape", "2,6,6",
                "--seed", "7", "--tol", "1e-3", "--max-iter", "20", "--threads", "1", "--out", ns.toString());
        assertEquals(0, a.exitCode(), a.err());
        Map<?, ?> first = (Map<?, ?>) Json.parse(Files.readString(ns.resolve("summary.json")));
        assertEquals(7.0, first.get("seed"), first.toString());
        assertEquals(1e-3, first.get("tol"), first.toString());
        assertEquals(20.0, first.get("max_iter"), first.toString());
        assertEquals("2,6,6", first.get("input_shape"), first.toString());
        assertEquals("small:0.01", first.get("init"), first.toString());
        Path again = dir.resolve("again");
        Run b = run("network", "--data", data, "--layers", "conv2d:2,3,3,relu,dense:3", "--input-shape", "2,6,6",
                "--init", "file:" + ns, "--max-iter", "3", "--threads", "1", "--out", again.toString());
        assertEquals(0, b.exitCode(), b.err());
        Map<?, ?> second = (Map<?, ?>) Json.parse(Files.readString(again.resolve("summary.json")));
        assertEquals("file:" + ns, second.get("init"), second.toString());
        assertEquals(42.0, second.get("seed"), second.toString());
        // the default, as it ran: --tol with this number runs the same
        assertEquals(Math.sqrt(Math.ulp(1.0) / 2), second.get("tol"), second.toString());
        assertTrue(b.out().contains(", init file:" + ns + ", "), b.out());
        // a flat input has no shape to record
        Run c = run("network", "--data", data, "--layers", "dense:3", "--max-iter", "1", "--out",
                dir.resolve("flat").toString());
        assertEquals(0, c.exitCode(), c.err());
        assertFalse(Files.readString(dir.resolve("flat").resolve("summary.json")).contains("input_shape"));
    }

    /**
     * A start directory holding biases (a run with --bias wrote them) given to a run without --bias: said, since only
     * the weights are read (it said nothing, and the continued run started from another network than the one saved).
     */
    @Test
    void biasesOfAStartThatARunWithoutBiasDoesNotReadAreNoted() throws IOException {
        String data = save("X.npy", new double[][] {{1, 2}, {3, 4}, {5, 7}}) + ","
                + save("Y.npy", new double[][] {{1}, {2}, {3}});
        Path saved = dir.resolve("with-biases");
        Run first = run("network", "--data", data, "--layers", "dense:2,relu,dense:1", "--bias", "--max-iter", "3",
                "--out", saved.toString());
        assertEquals(0, first.exitCode(), first.err());
        Run without = run("network", "--data", data, "--layers", "dense:2,relu,dense:1", "--init", "file:" + saved,
                "--max-iter", "1");
        assertEquals(0, without.exitCode(), without.err());
        assertTrue(without.out().contains("note: --init " + saved + " also holds b1.npy, b2.npy, not read: without "
                + "--bias the network has no biases (give --bias to start from them)"), without.out());
        Run with = run("network", "--data", data, "--layers", "dense:2,relu,dense:1", "--init", "file:" + saved,
                "--bias", "--max-iter", "1");
        assertEquals(0, with.exitCode(), with.err());
        assertFalse(with.out().contains("note: --init"), with.out());
        // the start of a deeper network given to a shallower one: its last layer's weights unread, without a word
        Files.copy(saved.resolve("W2.npy"), saved.resolve("W3.npy"));
        Run deeper = run("network", "--data", data, "--layers", "dense:2,relu,dense:1", "--init", "file:" + saved,
                "--bias", "--max-iter", "1");
        assertEquals(0, deeper.exitCode(), deeper.err());
        assertTrue(deeper.out().contains("note: --init " + saved + " also holds W3.npy, not read: --layers has 2 "
                + "parametric layers (a start for a deeper network?)"), deeper.out());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "dense:8,relu,dense:3 | | Y has 2 outputs per sample but the network dense:8,relu,dense:3 produces 3",
        "dense:8,relu,relu,dense:2 | | activation 'relu' must follow a parametric layer",
        "dense:0,dense:2 | | dense sizes must be positive integers",
        // other scripts' digits and a sign were read as numbers ("٣" ran as 3), a hexadecimal slope as 0.0625
        "dense:٣,dense:2 | | dense sizes must be positive integers, got '٣'",
        "dense:+8,dense:2 | | dense sizes must be positive integers, got '+8'",
        // a size past an int was said to be no positive integer
        "dense:99999999999,dense:2 | | dense sizes must be at most 2147483647, got 99999999999",
        "conv1d:99999999999,3,dense:2 | 2,6 | conv1d sizes must be at most 2147483647, got 99999999999",
        "dense:4,leaky:0x0.1p0,dense:2 | | the slope A is not a number",
        "conv1d:3,3,dense:2 | | layer 1 (conv1d:3,3) needs a C x L input: give the input shape C,L (--input-shape "
            + "on the command line)",
        "conv1d:3,9,dense:2 | 2,6 | kernel width 9 exceeds the input length 6",
        "conv1d:2,1,dense:4,conv1d:3,3,dense:2 | 2,6 | layer 3 (conv1d:3,3) needs a C x L input: it follows a flat "
            + "vector",
        // a shape only a first convolution reads was ignored without a word when the network started dense
        "dense:4,dense:2 | 2,6 | layer 1 (dense:4) reads a flat vector, so the input shape 2,6 would be ignored",
        "conv2d:3,2,2,dense:2 | 2,6 | needs a C x H x W input",
        // a size left out was said as "conv2d sizes must be positive integers, got 'relu'"
        "conv2d:4,3,relu,dense:2 | 1,3,4 | conv2d needs conv2d:C,KH,KW (3 sizes), got 'conv2d:4,3' followed by 'relu'",
        "conv1d:4,dense:2 | 2,6 | conv1d needs conv1d:C,K (2 sizes), got 'conv1d:4' followed by 'dense:2'",
        "dense:2 | 5,3 | input shape 5,3 has 15 features but the data have 12 per sample",
        "dense:4,leaky:1.5,dense:2 | | the slope A must satisfy 0 < A < 1",
        "dense:4,tanh,dense:2 | | unknown item 'tanh'",
        // 10^16 weights: refused from the sizes before anything is allocated (this used to fill the memory with
        // the first layer's 10^9 weights, for minutes, before the second allocation failed)
        "dense:99999999,dense:99999999,dense:2 | | needs at least"})
    void badSpecsAndShapesAreUsageErrorsNamingTheProblem(String layers, String shape, String message)
            throws IOException {
        Path x = save("x.npy", KnownMatrices.gaussian(10, 12, 1.0, 1));
        Path y = save("y.npy", KnownMatrices.gaussian(10, 2, 1.0, 2));
        Path out = dir.resolve("out");
        Run r = shape == null
                ? run("network", "--data", x + "," + y, "--layers", layers, "--out", out.toString())
                : run("network", "--data", x + "," + y, "--layers", layers, "--input-shape", shape, "--out",
                        out.toString());
        assertEquals(Main.EXIT_USAGE, r.exitCode(), r.out() + r.err());
        assertTrue(r.err().contains(message), r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        assertFalse(Files.exists(out), "nothing written");
    }

    /**
     * Schedules that make no sense for a network, and auto on targets it cannot scale by (Y orthogonal to X, built
     * from one orthonormal basis: YᵀX = 0 up to rounding): one line naming the problem, exit 2, nothing written.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "auto:0 | auto step scale C must be finite and positive, got 0.0",
        "auto:-1 | auto step scale C must be finite and positive, got -1.0",
        "auto:NaN | auto step scale C must be finite and positive, got NaN",
        "auto:x | schedule auto:C: C 'x' is not a number",
        "theory:0.1,0.1 | is derived for the matrix factorization; for a network use auto[:C]",
        "auto | the targets Y are uncorrelated with the inputs X (YᵀX = 0 up to rounding)"})
    void nonsenseSchedulesAreUsageErrors(String schedule, String message) throws IOException {
        double[][] q = KnownMatrices.orthonormalColumns(KnownMatrices.gaussian(10, 5, 1.0, 3));
        double[][] x = new double[10][3];
        double[][] y = new double[10][2];
        for (int i = 0; i < 10; i++) {
            for (int k = 0; k < 3; k++) {
                x[i][k] = q[i][k];
            }
            y[i][0] = q[i][3];
            y[i][1] = q[i][4];
        }
        Path out = dir.resolve("out");
        Run r = run("network", "--data", save("x.npy", x) + "," + save("y.npy", y), "--layers", "dense:4,dense:2",
                "--schedule", schedule, "--out", out.toString());
        assertEquals(Main.EXIT_USAGE, r.exitCode(), r.out() + r.err());
        assertTrue(r.err().contains(message), r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        assertFalse(Files.exists(out), "nothing written");
    }

    /**
     * auto on a step it cannot keep (auto:3 on a linear network: η·λ_max = 6 at the minimum) backs off instead of
     * diverging: exit 0, and the summary and the printed schedule say where it halved η.
     */
    @Test
    void autoReportsWhereItHalvedTheStep() throws IOException {
        Path x = save("x.npy", KnownMatrices.gaussian(20, 4, 1.0, 1));
        Path y = save("y.npy", KnownMatrices.gaussian(20, 2, 1.0, 2));
        Path out = dir.resolve("out");
        Run r = run("network", "--data", x + "," + y, "--layers", "dense:4,dense:2", "--init", "xavier",
                "--schedule", "auto:3", "--max-iter", "300", "--tol", "0", "--threads", "1", "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        Matcher printed = Pattern.compile("schedule auto:3.0 = constant:\\S+, halved at iterations? \\[([0-9, ]+)\\]")
                .matcher(r.out());
        assertTrue(printed.find(), r.out());
        String summary = Files.readString(out.resolve("summary.json"));
        assertTrue(summary.contains("\"step_halved_at\":[" + printed.group(1).replace(" ", "") + "]"), summary);
    }

    /**
     * A limit reached on a saddle plateau says so: a depth-4 linear network with biases from small:0.001 in float32
     * fits the targets' mean (b_N) at once and then sits on the mean-only saddle, where the gradient test holds, for
     * far longer than 200 iterations (the escape rate of a depth-4 path at scale ε is ∝ ε²; NetworkPlateauTest has
     * the same case with the gradient test alone).
     */
    @Test
    void aRunEndingOnASaddlePlateauReportsPlateau() throws IOException {
        double[][] xs = KnownMatrices.gaussian(200, 10, 1.0, 3);
        double[][] a = KnownMatrices.gaussian(10, 3, 1 / Math.sqrt(10), 4);
        double[][] ys = new double[200][3];
        for (int i = 0; i < 200; i++) {
            for (int j = 0; j < 3; j++) {
                ys[i][j] = 3 - 2 * j;
                for (int k = 0; k < 10; k++) {
                    ys[i][j] += xs[i][k] * a[k][j];
                }
            }
        }
        Path out = dir.resolve("out");
        Run r = run("network", "--data", save("x.npy", xs) + "," + save("y.npy", ys), "--layers",
                "dense:8,dense:8,dense:8,dense:3", "--bias", "--dtype", "float32", "--init", "small:0.001",
                "--max-iter", "200", "--threads", "1", "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("200 iterations, stopped: plateau"), r.out());
        assertTrue(r.out().contains("\nthe limit ended the run on a saddle plateau (some directions not yet learned): "
                + "more iterations (--max-iter, --max-seconds) would lower the loss\n"), r.out());
        String summary = Files.readString(out.resolve("summary.json"));
        assertTrue(summary.contains("\"stop_reason\":\"plateau\""), summary);
    }

    /**
     * A deep network from a small start that a limit ends before it leaves the zero network's saddle (its loss the
     * start's to 6 digits) says so, with a larger start as the advice: at max_iterations it said nothing, exit 0
     * (a 5-layer ReLU network at the default start needs ~55 600 iterations), and from small:1e-4 it was labelled
     * plateau with "more iterations (--max-iter, --max-seconds) would lower the loss", useless at gradients of S^4.
     * The xavier start it names learns within the same limit, and says nothing of the kind.
     */
    @Test
    void aLimitBeforeTheNetworkLearnsAnythingSaysToStartLarger() throws IOException {
        String data = teacherData();
        String layers = "dense:4,relu,dense:4,relu,dense:4,relu,dense:4,relu,dense:2";
        for (String init : new String[] {"small", "small:1e-4"}) {
            Run r = run("network", "--data", data, "--layers", layers, "--init", init, "--max-iter", "300",
                    "--threads", "1");
            assertEquals(0, r.exitCode(), r.err());
            assertTrue(r.out().contains("\nthe limit ended the run before it learned anything (the loss is still the "
                    + "start's to 6 digits): from small:" + (init.equals("small") ? "0.01" : "1.0E-4") + " the zero "
                    + "network is a saddle point, and the iterations 5 layers need to leave it grow like 1/S^3 as S "
                    + "falls, so give a larger start rather than more iterations: --init small:S with S 3 times larger "
                    + "needs 27 times fewer, or --init xavier (scaled to the layers)\n"), r.out());
            assertFalse(r.out().contains("would lower the loss"), r.out());
        }
        Run xavier = run("network", "--data", data, "--layers", layers, "--init", "xavier", "--max-iter", "300",
                "--threads", "1");
        assertEquals(0, xavier.exitCode(), xavier.err());
        assertFalse(xavier.out().contains("learned anything"), xavier.out());
    }

    /**
     * A run resumed from a checkpoint says what the uninterrupted run says: that the limit ended it before it learned
     * anything (its loss compared with the start's, which the checkpoint keeps; it was said only by a run that had made
     * iteration 0 itself), and its output is the whole run's but for the seconds. A checkpoint written before the
     * start's loss was kept (that key removed) still resumes, to the same weights, without the line (it cannot tell)
     * and without summary.json's start_loss.
     */
    @Test
    void aResumedRunThatLearnedNothingSaysSoAsTheWholeRun() throws IOException {
        String data = teacherData();
        List<String> common = List.of("network", "--data", data, "--layers",
                "dense:4,relu,dense:4,relu,dense:4,relu,dense:4,relu,dense:2", "--threads", "1");
        String note = "\nthe limit ended the run before it learned anything (the loss is still the start's to 6 "
                + "digits): from small:0.01 the zero network is a saddle point";
        Path whole = dir.resolve("whole");
        Run uninterrupted = run(args(common, "--max-iter", "40", "--out", whole.toString()));
        assertEquals(0, uninterrupted.exitCode(), uninterrupted.err());
        assertTrue(uninterrupted.out().contains(note), uninterrupted.out());
        Path ck = dir.resolve("ck");
        assertEquals(0, run(args(common, "--max-iter", "25", "--checkpoint", ck.toString(), "--checkpoint-every",
                "10")).exitCode());
        Path old = dir.resolve("ck-old");
        OldCheckpoints.withoutExact(ck, old, "start_loss");
        Path out = dir.resolve("out");
        Run resumed = run(args(common, "--max-iter", "40", "--resume", ck.toString(), "--out", out.toString()));
        assertEquals(0, resumed.exitCode(), resumed.err());
        assertEquals(withoutSecondsOrOut(uninterrupted.out()), withoutSecondsOrOut(resumed.out()));
        Path fromOld = dir.resolve("from-old");
        Run oldResumed = run(args(common, "--max-iter", "40", "--resume", old.toString(), "--out",
                fromOld.toString()));
        assertEquals(0, oldResumed.exitCode(), oldResumed.err());
        assertFalse(oldResumed.out().contains("learned anything"), oldResumed.out());
        assertSameFiles(whole, out, "W1.npy", "W5.npy");
        assertSameFiles(whole, fromOld, "W1.npy", "W5.npy");
        // summary.json has the start's loss beside the end's, the resumed run's the whole run's
        Map<?, ?> wholeSummary = (Map<?, ?>) Json.parse(Files.readString(whole.resolve("summary.json")));
        assertTrue(wholeSummary.get("start_loss") instanceof Double, wholeSummary.toString());
        assertEquals(wholeSummary.get("start_loss"),
                ((Map<?, ?>) Json.parse(Files.readString(out.resolve("summary.json")))).get("start_loss"));
        assertFalse(Files.readString(fromOld.resolve("summary.json")).contains("start_loss"));
    }

    /**
     * A run that --max-iter ends is checkpointed there, as factorize's is and as the README says ("so a long run can
     * ... be extended"): a network run shorter than the checkpoint interval (60 s by default) wrote none, and its
     * --checkpoint directory was removed, so --resume with a larger --max-iter had nothing to continue.
     */
    @Test
    void aRunTheIterationLimitEndsIsCheckpointedThere() throws IOException {
        List<String> common = smallNetwork();
        Path whole = dir.resolve("whole");
        assertEquals(0, run(args(common, "--max-iter", "40", "--out", whole.toString())).exitCode());
        Path ck = dir.resolve("ck");
        assertEquals(0, run(args(common, "--max-iter", "25", "--checkpoint", ck.toString())).exitCode());
        assertEquals(25, Checkpoint.load(ck).iteration());
        Path out = dir.resolve("out");
        Run extended = run(args(common, "--max-iter", "40", "--resume", ck.toString(), "--out", out.toString()));
        assertEquals(0, extended.exitCode(), extended.err());
        assertSameFiles(whole, out, "W1.npy", "W2.npy");
    }

    /**
     * A run whose steps round away from a tiny start stalls having learned nothing, and fails (exit code 1) saying
     * so; resumed from a checkpoint written before the stall (after iteration 1 of the 2), it stalls where the whole
     * run does and fails the same way: it ended with exit code 0 and without the advice, its start loss unknown.
     */
    @Test
    void aResumedRunThatStallsHavingLearnedNothingFailsAsTheWholeRun() throws IOException {
        String data = gaussianData();
        List<String> common = List.of("network", "--data", data, "--layers", "dense:4,relu,dense:4,relu,dense:4,relu,"
                + "dense:2", "--init", "small:1e-20", "--threads", "1");
        Run whole = run(args(common));
        assertEquals(Main.EXIT_FAILED, whole.exitCode(), whole.err());
        Path ck = dir.resolve("ck");
        assertEquals(0, run(args(common, "--max-iter", "1", "--checkpoint", ck.toString(), "--checkpoint-every", "1"))
                .exitCode());
        Run resumed = run(args(common, "--resume", ck.toString()));
        assertEquals(Main.EXIT_FAILED, resumed.exitCode(), resumed.err());
        assertEquals(whole.err(), resumed.err());
        assertEquals(withoutSecondsOrOut(whole.out()), withoutSecondsOrOut(resumed.out()));
        assertTrue(resumed.out().contains("2 iterations, stopped: stalled"), resumed.out());
    }

    /**
     * With --bias the printed differences are (|W_h|^2 + |b_h|^2) - |W_{h+1}|^2, the conserved quantity, not the
     * differences of the printed norms (b_{h+1} is not subtracted): the line says which, with and without biases,
     * and so does the norms' line (it named |b_h|^2 without biases).
     */
    @Test
    void theDifferencesLineSaysWhatItSubtracts() throws IOException {
        double[][] xs = KnownMatrices.gaussian(30, 4, 1.0, 3);
        String data = save("x.npy", xs) + "," + save("y.npy", reluTeacher(xs, 2, 5));
        for (boolean bias : new boolean[] {true, false}) {
            List<String> common = new ArrayList<>(List.of("network", "--data", data, "--layers",
                    "dense:4,relu,dense:2", "--max-iter", "5", "--threads", "1"));
            if (bias) {
                common.add("--bias");
            }
            Run r = run(args(common));
            assertEquals(0, r.exitCode(), r.err());
            assertTrue(differencesLine(r.out()).startsWith(bias ? "differences (|W_h|^2 + |b_h|^2) - |W_{h+1}|^2 ["
                    : "differences |W_h|^2 - |W_{h+1}|^2 ["), r.out());
            assertTrue(r.out().contains(bias ? "   |W_h|^2 + |b_h|^2 [" : "   |W_h|^2 ["), r.out());
        }
    }

    /** Y = relu(X·W1ᵀ)·W2ᵀ/√12 for Gaussian W1 (12 × X's columns) and W2 ({@code outputs} × 12). */
    private static double[][] reluTeacher(double[][] xs, int outputs, long seed) {
        double[][] w1 = KnownMatrices.gaussian(12, xs[0].length, 1.0, seed);
        double[][] w2 = KnownMatrices.gaussian(outputs, 12, 1.0 / Math.sqrt(12), seed + 1);
        double[][] ys = new double[xs.length][outputs];
        for (int i = 0; i < xs.length; i++) {
            for (int k = 0; k < 12; k++) {
                double z = 0;
                for (int j = 0; j < xs[i].length; j++) {
                    z += w1[k][j] * xs[i][j];
                }
                for (int o = 0; o < outputs && z > 0; o++) {
                    ys[i][o] += w2[o][k] * z;
                }
            }
        }
        return ys;
    }

    /**
     * The default auto step on a ReLU network moves the conserved differences by tens of % of the layers' squared
     * norms (the README's conv1d example: [-0.015, -0.033] to [-13.75, -16.55]) and said nothing at run time; a note
     * says so now, with a smaller step, and the step it names keeps them (no note).
     */
    @Test
    void aStepThatBreaksTheConservationIsNoted() throws IOException {
        String data = teacherData();
        List<String> common = List.of("network", "--data", data, "--layers", "dense:16,relu,dense:16,relu,dense:2",
                "--max-iter", "2000", "--threads", "1");
        Run auto = run(args(common));
        assertEquals(0, auto.exitCode(), auto.err());
        Matcher note = Pattern.compile("\nnote: the step is too large for the conserved differences to hold: they "
                + "moved by up to [0-9]+% of their layers' squared norms \\(gradient descent changes them by O\\(η²\\) "
                + "a step\\); a smaller step keeps them: --schedule (constant:\\S+) \\(a twentieth of this run's η\\) "
                + "with a larger --max-iter, or decay:ETA0,DELTA\n").matcher(auto.out());
        assertTrue(note.find(), auto.out());
        Run advised = run(args(common, "--schedule", note.group(1)));
        assertEquals(0, advised.exitCode(), advised.err());
        assertFalse(advised.out().contains("note: the step"), advised.out());
    }

    /**
     * The threshold of the drift note: a change of a layer difference above 10 % of the larger squared norm of its
     * two layers, the end's; the suggested step a twentieth of the run's.
     */
    @Test
    void theDriftNoteFiresAboveATenthOfTheLayersSquaredNorms() {
        double[] start = {0.0, 1.0};
        double[] norms = {10.0, 20.0, 10.0};
        assertEquals(null, NetworkCommand.driftNote(start, new double[] {1.9, -0.9}, norms, 0.5));
        String note = NetworkCommand.driftNote(start, new double[] {-3.0, 1.0}, norms, 0.5);
        assertTrue(note != null && note.contains("up to 15% of their layers' squared norms"), note);
        assertTrue(note.contains("--schedule constant:0.025 (a twentieth of this run's η)"), note);
    }

    /**
     * {@code --max-seconds}, as factorize has it: a run of 10⁶ iterations stops at a 0.2 s limit as time_limit (the
     * summary says so), and a limit that is not positive is a usage error before the data is read.
     */
    @Test
    void maxSecondsEndsTheRunAsTimeLimit() throws IOException {
        String data = gaussianData();
        Path out = dir.resolve("limited");
        Run r = run("network", "--data", data, "--layers", "dense:4,relu,dense:2", "--tol", "0", "--max-iter",
                "1000000", "--max-seconds", "0.2", "--threads", "1", "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("stopped: time_limit"), r.out());
        String summary = Files.readString(out.resolve("summary.json"));
        assertTrue(summary.contains("\"stop_reason\":\"time_limit\""), summary);
        Run refused = run("network", "--data", dir.resolve("absent.npy") + "," + dir.resolve("absent.npy"),
                "--layers", "dense:2", "--max-seconds", "0");
        assertEquals(Main.EXIT_USAGE, refused.exitCode(), refused.err());
        assertEquals("autobalance: error: --max-seconds: must be positive and at most 9.2e9 (292 years), or inf, got "
                + "0\n", refused.err());
    }

    /**
     * A start whose steps round away (4 layers of 1e-20: gradients of 1e-60 against weights of 1e-20) stops as
     * stalled at iteration 2 and says why and what to do; before, it stopped "converged" after one iteration at the
     * zero network, a saddle point.
     */
    @Test
    void aStartTooSmallToMoveStallsAndSaysSo() throws IOException {
        String data = gaussianData();
        String layers = "dense:4,relu,dense:4,relu,dense:4,relu,dense:2";
        Path out = dir.resolve("out");
        String startAdvice = "; from small:1.0E-20 the gradients of 4 layers (of order S^3) are too small to move the "
                + "weights, and the zero network is a saddle point, not a solution: give a larger --init small:S, or "
                + "leave --init out for the default start, small:0.01\n";
        // a step that moves the default start: the start is what rounds away, with auto's step and with this one
        for (String schedule : new String[] {"auto", "constant:0.1"}) {
            Run r = run("network", "--data", data, "--layers", layers, "--init", "small:1e-20", "--schedule",
                    schedule, "--threads", "1", "--out", out.toString());
            // a run that learned nothing fails after its summary, its files written as asked, as factorize's does
            assertEquals(Main.EXIT_FAILED, r.exitCode(), r.err());
            assertEquals("autobalance: error: the run learned nothing (its loss never fell below the start's): see "
                    + "the stalled line above\n", r.err());
            assertTrue(Files.exists(out.resolve("summary.json")));
            assertTrue(r.out().contains("2 iterations, stopped: stalled"), r.out());
            assertTrue(r.out().contains("\nthe step leaves every weight and bias unchanged (each change rounds away "
                    + "in float64): no further iteration can move them" + startAdvice), r.out());
        }
    }

    /**
     * A step so small that it rounds away whatever the start: the advice was to start larger ("give a larger --init
     * small:S, or leave --init out for the default start, small:0.01", to a run from small:1, larger than that);
     * the step is named instead, as factorize names it. From a start below the default too, where the default start
     * would not move either.
     */
    @Test
    void aStepTooSmallToMoveIsNamedNotTheStart() throws IOException {
        String data = gaussianData();
        for (String init : new String[] {"small:1", "small:1e-20"}) {
            Run r = run("network", "--data", data, "--layers", "dense:4,relu,dense:4,relu,dense:4,relu,dense:2",
                    "--init", init, "--schedule", "constant:1e-300", "--threads", "1");
            assertEquals(Main.EXIT_FAILED, r.exitCode(), r.err());
            assertTrue(r.out().contains("stopped: stalled"), r.out());
            assertTrue(r.out().contains("no further iteration can move them; the step is too small for these data: "
                    + "η = 1.00e-300 changes the weights by about "), r.out());
            assertTrue(r.out().contains(", below float64's rounding unit 1.1e-16: give a larger step, or leave "
                    + "--schedule out for the default, auto, scaled to the data\n"), r.out());
            assertFalse(r.out().contains("--init small:S"), r.out());
            assertEquals(init.equals("small:1e-20"), r.out().contains("and would from the default start, "
                    + "small:0.01, by about "), r.out());
        }
    }

    @Test
    void nonFiniteDataAndMismatchedSamplesAreUsageErrors() throws IOException {
        double[][] bad = KnownMatrices.gaussian(10, 4, 1.0, 1);
        bad[2][3] = Double.POSITIVE_INFINITY;
        Path x = dir.resolve("x.npy");
        Files.write(x, npyWithInfinity(bad));
        Path y = save("y.npy", KnownMatrices.gaussian(10, 2, 1.0, 2));
        Run r = run("network", "--data", x + "," + y, "--layers", "dense:2");
        assertEquals(Main.EXIT_USAGE, r.exitCode());
        assertTrue(r.err().contains("non-finite value Infinity at row 2, column 3 (0-based)"), r.err());
        Path x9 = save("x9.npy", KnownMatrices.gaussian(9, 4, 1.0, 1));
        Run m = run("network", "--data", x9 + "," + y, "--layers", "dense:2");
        assertEquals(Main.EXIT_USAGE, m.exitCode());
        assertTrue(m.err().contains("X has 9 samples (rows) but Y has 10"), m.err());
        Run d = run("network", "--data", x9.toString(), "--layers", "dense:2");
        assertEquals(Main.EXIT_USAGE, d.exitCode());
        assertTrue(d.err().contains("--data: expected X.npy,Y.npy"), d.err());
    }

    /**
     * A scipy .npz given as data (or as an --init factor) was read as Matrix Market, its error ending "(a zip archive
     * (a scipy .npz?): give it a name ending in .npz)" for a name that ends so; these are read dense, and the line
     * now says so, with the conversion.
     */
    @Test
    void aSparseNpzGivenAsDenseDataIsNamedWithTheConversion() throws IOException {
        assertEquals("a scipy sparse .npz, and X is read as a dense matrix (.npy, delimited text or Matrix Market); "
                + "save it as .npy: numpy.save('X.npy', scipy.sparse.load_npz('x.npz').toarray())",
                npzRefusal("npz_csr.npz"));
    }

    /**
     * A dense numpy.savez archive given as data was called "a scipy sparse .npz", with a scipy line that fails on it
     * (scipy: "does not contain a sparse array or matrix"), and a missing .npz was called so before its absence was
     * named: the entry names decide now (no member read), and existence comes first.
     */
    @Test
    void aDenseNpzGivenAsDataIsNamedWithNumpysLineAndAMissingOneAsMissing() throws IOException {
        assertEquals("a numpy archive of arrays (numpy.savez), not a scipy.sparse.save_npz file; its array: arr_0; "
                + "save the matrix as .npy and give that: numpy.save('M.npy', numpy.load('x.npz')['arr_0']) (X is read "
                + "as a dense matrix: .npy, delimited text or Matrix Market)", npzRefusal("npz_dense_one.npz"));
        Path absent = dir.resolve("absent.npz");
        Run missing = run("network", "--data", absent + "," + dir.resolve("y.npy"), "--layers", "dense:2");
        assertEquals(Main.EXIT_USAGE, missing.exitCode(), missing.err());
        assertEquals("autobalance: error: cannot read X: " + absent + " does not exist" + System.lineSeparator(),
                missing.err());
    }

    /**
     * What a network run with the fixture {@code npz} as X (copied to x.npz) says of it, after "cannot read X from
     * DIR/x.npz: ", having refused it as a usage error in one line.
     */
    private String npzRefusal(String npz) throws IOException {
        Path x = Files.copy(Fixtures.fixture(npz), dir.resolve("x.npz"));
        Path y = save("y.npy", KnownMatrices.gaussian(10, 2, 1.0, 2));
        Run r = run("network", "--data", x + "," + y, "--layers", "dense:2");
        assertEquals(Main.EXIT_USAGE, r.exitCode(), r.err());
        String start = "autobalance: error: cannot read X from " + x + ": ";
        assertTrue(r.err().startsWith(start) && r.err().endsWith(System.lineSeparator()), r.err());
        return r.err().substring(start.length(), r.err().length() - System.lineSeparator().length());
    }

    /**
     * A mistake in --init (a directory that is not there, a bad spec) is named before the data is read, as factorize
     * names its own: it used to come after X and Y were loaded (here the data does not exist, so the load's error
     * came first).
     */
    @Test
    void initMistakesAreNamedBeforeTheDataIsRead() {
        String data = dir.resolve("none-x.npy") + "," + dir.resolve("none-y.npy");
        Run missing = run("network", "--data", data, "--layers", "dense:2", "--init", "file:" + dir.resolve("nodir"));
        assertEquals(Main.EXIT_USAGE, missing.exitCode(), missing.err());
        assertTrue(missing.err().startsWith("autobalance: error: --init: " + dir.resolve("nodir")
                + ": no such directory"), missing.err());
        Run bad = run("network", "--data", data, "--layers", "dense:2", "--init", "small:-1");
        assertEquals(Main.EXIT_USAGE, bad.exitCode(), bad.err());
        assertTrue(bad.err().startsWith("autobalance: error: --init: "), bad.err());
        // an empty DIR is the working directory: its missing W1.npy was reported as "from : W1.npy"
        Run empty = run("network", "--data", data, "--layers", "dense:2", "--init", "file:");
        assertEquals(Main.EXIT_USAGE, empty.exitCode(), empty.err());
        assertTrue(empty.err().startsWith("autobalance: error: --init: file: names no directory"), empty.err());
        // a shape's sign was refused under --layers' name
        Run shape = run("network", "--data", data, "--layers", "conv1d:2,2,dense:2", "--input-shape", "0,20");
        assertEquals(Main.EXIT_USAGE, shape.exitCode(), shape.err());
        assertTrue(shape.err().startsWith("autobalance: error: --input-shape: dimensions must be positive, got 0"),
                shape.err());
    }

    /** Our writer refuses infinities, so the test writes the file by hand: header from numpy's format, C order. */
    private static byte[] npyWithInfinity(double[][] a) {
        String dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + a.length + ", " + a[0].length + "), }";
        StringBuilder h = new StringBuilder(dict);
        while ((10 + h.length() + 1) % 64 != 0) {
            h.append(' ');
        }
        h.append('\n');
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(10 + h.length() + 8 * a.length * a[0].length)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).put((byte) 1)
                .put((byte) 0).putShort((short) h.length())
                .put(h.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        for (double[] row : a) {
            for (double v : row) {
                b.putDouble(v);
            }
        }
        return b.array();
    }

    /** More threads than processors: allowed, and said, as factorize says it (network said nothing). */
    @Test
    void moreThreadsThanProcessorsIsNoted() throws IOException {
        int processors = Runtime.getRuntime().availableProcessors();
        String data = save("X.npy", new double[][] {{1, 2}, {3, 4}, {5, 7}}) + ","
                + save("Y.npy", new double[][] {{1}, {2}, {3}});
        Run over = run("network", "--data", data, "--layers", "dense:1", "--max-iter", "2", "--threads",
                String.valueOf(processors + 1));
        assertEquals(0, over.exitCode(), over.err());
        assertTrue(over.out().contains("note: --threads " + (processors + 1) + " is more than the " + processors
                + " processors here"), over.out());
        Run fits = run("network", "--data", data, "--layers", "dense:1", "--max-iter", "2", "--threads", "1");
        assertFalse(fits.out().contains("note: --threads"), fits.out());
    }

    /** A diverging run exits 1, writes no parameters, and keeps its log. */
    @Test
    void divergenceExitsOneAndWritesNothing() throws IOException {
        Path x = save("x.npy", KnownMatrices.gaussian(20, 4, 3.0, 1));
        Path y = save("y.npy", KnownMatrices.gaussian(20, 2, 3.0, 2));
        Path out = dir.resolve("out");
        Path log = dir.resolve("log.jsonl");
        Run r = run("network", "--data", x + "," + y, "--layers", "dense:8,dense:2", "--init", "xavier",
                "--schedule", "constant:50", "--out", out.toString(), "--log", log.toString());
        assertEquals(Main.EXIT_FAILED, r.exitCode(), r.out());
        assertTrue(r.err().contains("diverged"), r.err());
        assertFalse(Files.exists(out.resolve("W1.npy")));
        assertTrue(Files.exists(log));
    }

    /**
     * A checkpoint at or past --max-iter: nothing is trained, and the run says so, as factorize's does (network has
     * its own run path, and printed "20 iterations, stopped: max_iterations" after --max-iter 10, and nothing else).
     */
    @Test
    void aResumeAtOrPastTheIterationLimitSaysNothingIsTrained() throws IOException {
        List<String> common = smallNetwork();
        String ck = dir.resolve("ck-limit").toString();
        assertEquals(0, run(args(common, "--max-iter", "20", "--checkpoint", ck, "--checkpoint-every", "5"))
                .exitCode());
        for (String limit : new String[] {"10", "20"}) {
            Run resumed = run(args(common, "--max-iter", limit, "--resume", ck));
            assertEquals(0, resumed.exitCode(), resumed.err());
            assertTrue(resumed.out().contains("note: the checkpoint resumed is at iteration 20, and --max-iter is "
                    + limit + ": no iteration is run, the result is the checkpoint's"), resumed.out());
        }
        Run further = run(args(common, "--max-iter", "21", "--resume", ck));
        assertEquals(0, further.exitCode(), further.err());
        assertFalse(further.out().contains("no iteration is run"), further.out());
    }

    /**
     * {@code network --checkpoint} then {@code --resume} with a larger {@code --max-iter}: the same weights, byte for
     * byte, as one run to the end, and the log continued without gaps or duplicates; other options or other data are
     * usage errors naming the difference. (Kills at random moments: KillNineTest.)
     */
    @Test
    void resumeContinuesBitForBitAndRefusesAnotherRun() throws IOException {
        Path x = save("x.npy", KnownMatrices.gaussian(20, 4, 1.0, 1));
        Path y = save("y.npy", KnownMatrices.gaussian(20, 2, 1.0, 2));
        List<String> common = List.of("network", "--data", x + "," + y, "--layers", "dense:6,relu,dense:2", "--bias",
                "--init", "xavier", "--schedule", "constant:0.05", "--tol", "0", "--threads", "2");
        Path whole = dir.resolve("whole");
        Run uninterrupted = run(args(common, "--max-iter", "40", "--out", whole.toString(), "--log",
                whole + ".jsonl"));
        assertEquals(0, uninterrupted.exitCode(), uninterrupted.err());
        Path ck = dir.resolve("ck");
        Path out = dir.resolve("out");
        Path log = dir.resolve("log.jsonl");
        assertEquals(0, run(args(common, "--max-iter", "25", "--checkpoint", ck.toString(), "--checkpoint-every", "10",
                "--log", log.toString())).exitCode());
        Run resumed = run(args(common, "--max-iter", "40", "--resume", ck.toString(), "--out", out.toString(),
                "--log", log.toString()));
        assertEquals(0, resumed.exitCode(), resumed.err());
        assertSameFiles(whole, out, "W1.npy", "b1.npy", "W2.npy", "b2.npy");
        // the records of iterations 20..24 were written twice (by the first run, then by the resumed one): once here
        assertEquals(withoutTimes(Files.readAllLines(Path.of(whole + ".jsonl"))),
                withoutTimes(Files.readAllLines(log)));
        // one baseline, the run's start, for the differences and the unit drift, as summary.json's: the differences
        // were compared with the checkpoint's and the drift with the start, in one line
        assertEquals(differencesLine(uninterrupted.out()), differencesLine(resumed.out()));
        assertTrue(differencesLine(resumed.out()).contains(" (at the start ["), resumed.out());

        Run seed = run(args(common, "--max-iter", "40", "--seed", "7", "--resume", ck.toString()));
        assertEquals(Main.EXIT_USAGE, seed.exitCode());
        assertTrue(seed.err().contains("the checkpoint was written with seed 42, this run has 7"), seed.err());
        Path y2 = save("y2.npy", KnownMatrices.gaussian(20, 2, 1.0, 3));
        List<String> otherData = new java.util.ArrayList<>(common);
        otherData.set(2, x + "," + y2);
        Run data = run(args(otherData, "--max-iter", "40", "--resume", ck.toString()));
        assertEquals(Main.EXIT_USAGE, data.exitCode());
        assertTrue(data.err().contains("another input"), data.err());
        Run none = run(args(common, "--resume", dir.resolve("nothing").toString()));
        assertEquals(Main.EXIT_USAGE, none.exitCode());
        assertEquals("autobalance: error: --resume: no checkpoint in " + dir.resolve("nothing") + ": no such "
                + "directory\n", none.err());
        // what a kill -9 before the first checkpoint leaves: the directory and its lock file; the message said
        // "--resume: DIR/checkpoint: no checkpoint in DIR", and nothing of what to do
        Path killed = Files.createDirectories(dir.resolve("killed"));
        Files.writeString(killed.resolve(".lock"), "12345\n");
        Run early = run(args(common, "--resume", killed.toString()));
        assertEquals(Main.EXIT_USAGE, early.exitCode());
        assertEquals("autobalance: error: --resume: no checkpoint in " + killed + " (a run writes its first after an "
                + "interval, 60 s unless --checkpoint-every or --checkpoint-seconds gave another, and one stopped "
                + "before then leaves none): run the command without --resume to start afresh\n", early.err());
    }

    /**
     * All-zero inputs with {@code --bias}: a bias-only fit, the targets' mean, is a problem to solve; it was refused
     * as "the inputs X are all zeros" (auto's λ_max(XᵀX/n) = 0), and with a constant step as a start too small to move
     * (every weight's gradient is 0, the biases' not). Without --bias the reason is said: the output is 0 whatever the
     * weights.
     */
    @Test
    void allZeroInputsWithBiasesFitTheTargetsMean() throws IOException {
        double[][] ys = KnownMatrices.gaussian(10, 2, 1.0, 4);
        String data = save("x.npy", new double[10][3]) + "," + save("y.npy", ys);
        double[] mean = new double[2];
        for (double[] row : ys) {
            mean[0] += row[0] / ys.length;
            mean[1] += row[1] / ys.length;
        }
        double spread = 0.0;
        for (double[] row : ys) {
            spread += ((row[0] - mean[0]) * (row[0] - mean[0]) + (row[1] - mean[1]) * (row[1] - mean[1]))
                    / (2.0 * ys.length);
        }
        for (String schedule : new String[] {"auto", "constant:0.5"}) {
            Path out = dir.resolve("out-" + schedule.replace(':', '-'));
            Run r = run("network", "--data", data, "--layers", "dense:3,relu,dense:2", "--bias", "--schedule",
                    schedule, "--threads", "1", "--out", out.toString());
            assertEquals(0, r.exitCode(), r.err());
            Map<?, ?> summary = (Map<?, ?>) Json.parse(Files.readString(out.resolve("summary.json")));
            assertEquals("converged", summary.get("stop_reason"), summary.toString());
            double loss = (Double) summary.get("loss");
            assertTrue(Math.abs(loss - spread) <= 1e-8 * spread, loss + " against the mean's " + spread);
        }
        Run plain = run("network", "--data", data, "--layers", "dense:3,relu,dense:2", "--threads", "1");
        assertEquals(Main.EXIT_USAGE, plain.exitCode(), plain.err());
        assertEquals("autobalance: error: the inputs X are all zeros: without biases the network's output is 0 "
                + "whatever its weights (biases fit the targets' mean: Builder.biases(true); --bias on the command "
                + "line)\n", plain.err());
    }

    /**
     * The default tolerance as {@code --help} prints it, given to a resume of a run that had the default, is the same
     * tolerance: the help printed 1.05e-8, which a resume refused against the 1.0536712127723509E-8 that ran. And one
     * iteration is said in the singular ("1 iterations").
     */
    @Test
    void theDefaultToleranceAsTheHelpPrintsItResumesTheDefaultsRun() throws IOException {
        Run help = run("network", "--help");
        Matcher printed = Pattern.compile("Default: ([0-9.e-]+) \\(the square root").matcher(
                help.out().replaceAll("\\s+", " "));
        assertTrue(printed.find(), help.out());
        List<String> common = smallNetwork("--threads", "1");
        Path ck = dir.resolve("ck");
        Run first = run(args(common, "--max-iter", "1", "--checkpoint", ck.toString(), "--checkpoint-every", "1"));
        assertEquals(0, first.exitCode(), first.err());
        assertTrue(first.out().contains("on 20 samples (float64): 1 iteration, stopped: "), first.out());
        Run resumed = run(args(common, "--max-iter", "3", "--resume", ck.toString(), "--tol", printed.group(1)));
        assertEquals(0, resumed.exitCode(), resumed.err());
        assertTrue(resumed.out().contains(": 3 iterations, stopped: "), resumed.out());
    }

    /**
     * {@code --resume A --checkpoint B} checkpoints to B at A's interval, as the help says ("same interval"): it
     * checkpointed every 60 s, the default of a new run. An interval given with it is B's.
     */
    @Test
    void aResumeCheckpointingElsewhereKeepsTheIntervalResumed() throws IOException {
        List<String> common = smallNetwork("--tol", "0", "--threads", "1");
        Path a = dir.resolve("a");
        assertEquals(0, run(args(common, "--max-iter", "10", "--checkpoint", a.toString(), "--checkpoint-every",
                "7")).exitCode());
        Path b = dir.resolve("b");
        Run resumed = run(args(common, "--max-iter", "20", "--resume", a.toString(), "--checkpoint", b.toString()));
        assertEquals(0, resumed.exitCode(), resumed.err());
        assertEquals(List.of(7.0, 0.0), Arrays.stream(Checkpoint.load(b).policy()).boxed().toList());
        Path c = dir.resolve("c");
        Run given = run(args(common, "--max-iter", "20", "--resume", a.toString(), "--checkpoint", c.toString(),
                "--checkpoint-every", "3"));
        assertEquals(0, given.exitCode(), given.err());
        assertEquals(List.of(3.0, 0.0), Arrays.stream(Checkpoint.load(c).policy()).boxed().toList());
    }

    /**
     * A --resume with another option than the checkpoint's was compared only once X and Y were read (minutes for
     * large data): now before, in the library's words. The data are gone here, so a run that reads them first says
     * so instead; the same resume with the data back runs.
     */
    @Test
    void aResumeWithOtherOptionsIsRefusedBeforeTheDataIsRead() throws IOException {
        Path x = save("x.npy", KnownMatrices.gaussian(20, 4, 1.0, 1));
        Path y = save("y.npy", KnownMatrices.gaussian(20, 2, 1.0, 2));
        Path ck = dir.resolve("ck");
        List<String> common = List.of("network", "--data", x + "," + y, "--layers", "dense:6,relu,dense:2", "--bias",
                "--init", "xavier", "--schedule", "constant:0.05", "--tol", "0", "--threads", "2");
        assertEquals(0, run(args(common, "--max-iter", "10", "--checkpoint", ck.toString(), "--checkpoint-every",
                "5")).exitCode());
        Path moved = dir.resolve("moved");
        Files.createDirectories(moved);
        Files.move(x, moved.resolve("x.npy"));
        // option, its other value, what the refusal says after "the checkpoint was written with "
        String[][] refusals = {
            {"--seed", "5", "seed 42, this run has 5: resume with the same configuration"},
            {"--threads", "1", "threads 2, this run has 1: resume with the same configuration"},
            {"--tol", "1e-6", "tolerance 0, this run has 1.0E-6: resume with the same configuration"},
            {"--dtype", "float32", "dtype float64, this run has float32"},
            {"--schedule", "constant:0.01", "schedule "},
            {"--init", "small", "init xavier, this run has small:0.01"},
            {"--bias", null, "biases true, this run has false"}};
        for (String[] refusal : refusals) {
            List<String> other = new ArrayList<>(common);
            int at = other.indexOf(refusal[0]);
            if (refusal[1] == null) {
                other.remove(at);
            } else if (at >= 0) {
                other.set(at + 1, refusal[1]);
            } else {
                other.addAll(List.of(refusal[0], refusal[1]));
            }
            Run r = run(args(other, "--max-iter", "20", "--resume", ck.toString()));
            assertEquals(Main.EXIT_USAGE, r.exitCode(), r.err());
            assertTrue(r.err().startsWith("autobalance: error: the checkpoint was written with " + refusal[2]),
                    r.err());
            assertEquals(1, r.err().lines().count(), r.err());
        }
        Files.move(moved.resolve("x.npy"), x);
        assertEquals(0, run(args(common, "--max-iter", "20", "--resume", ck.toString())).exitCode());
    }

    /**
     * Given weights whose every weight's gradient is exactly 0 (all-zero layers) at a positive loss are refused before
     * the first step, as a small start whose gradients underflow is: the escape test scales up what is there, nothing,
     * and the run stopped "converged" after one iteration at the zero network's loss — with --bias and zero biases too,
     * at the targets' mean (the thirty-sixth session's walk).
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void givenWeightsThatCannotMoveAreRefused(boolean bias) throws IOException {
        Path zeros = Files.createDirectories(dir.resolve("zeros"));
        save("zeros/W1.npy", new double[6][4]);
        save("zeros/W2.npy", new double[2][6]);
        if (bias) {
            save("zeros/b1.npy", new double[1][6]);
            save("zeros/b2.npy", new double[1][2]);
        }
        List<String> options = bias ? List.of("--init", "file:" + zeros, "--bias") : List.of("--init", "file:" + zeros);
        Run r = run(args(smallNetwork(options.toArray(String[]::new))));
        assertEquals(2, r.exitCode(), r.out() + r.err());
        assertTrue(r.err().startsWith("autobalance: error: the start (the given weights) cannot move: every weight's "
                + "gradient is exactly 0 there (all-zero layers, or a layer whose units are all inactive) while the "
                + "loss is "), r.err());
        assertEquals(bias, r.err().contains("(the biases alone fit the targets' mean at most)"), r.err());
        assertEquals("", r.out().lines().filter(l -> l.contains("stopped")).findFirst().orElse(""), r.out());
    }

    /** {@code network} on 20 samples of 4 inputs and 2 targets with dense:6,relu,dense:2, then {@code options}. */
    private List<String> smallNetwork(String... options) throws IOException {
        Path x = save("x.npy", KnownMatrices.gaussian(20, 4, 1.0, 1));
        Path y = save("y.npy", KnownMatrices.gaussian(20, 2, 1.0, 2));
        List<String> common = new ArrayList<>(List.of("network", "--data", x + "," + y, "--layers",
                "dense:6,relu,dense:2"));
        common.addAll(List.of(options));
        return List.copyOf(common);
    }

    /** The files {@code names} in directories {@code a} and {@code b} hold the same bytes. */
    private static void assertSameFiles(Path a, Path b, String... names) throws IOException {
        for (String f : names) {
            assertEquals(-1L, Files.mismatch(a.resolve(f), b.resolve(f)), b.resolve(f) + " against " + a);
        }
    }

    private static String differencesLine(String out) {
        return out.lines().filter(l -> l.startsWith("differences ")).findFirst().orElseThrow();
    }

    private static String[] args(List<String> common, String... more) {
        List<String> all = new java.util.ArrayList<>(common);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    private static List<String> withoutTimes(List<String> lines) {
        return lines.stream().map(l -> l.replaceAll(",\"seconds\":[^,}]*", "")).toList();
    }
}
