package org.autobalance.cli;

import static org.autobalance.cli.CommandLineTest.run;
import static org.autobalance.testing.Fixtures.jsonNumber;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.autobalance.io.MatrixMarket;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.synthetic.KnownMatrices;
import org.autobalance.testing.Dense;
import org.autobalance.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code factorize} on sparse inputs: storage choice, both objectives, held-out sets, .npz, bad usage. */
class SparseCommandLineTest {
    @TempDir
    Path dir;

    /** A rank-2 d1 × d2 matrix written as a coordinate file listing a random {@code fraction} of its entries. */
    private Path lowRankSample(String name, int d1, int d2, double fraction, long seed) throws IOException {
        return lowRankSample(name, d1, d2, fraction, seed, 0);
    }

    /** As above, each listed entry plus Gaussian noise of standard deviation {@code noise}. */
    private Path lowRankSample(String name, int d1, int d2, double fraction, long seed, double noise)
            throws IOException {
        double[][] m = Dense.multiply(KnownMatrices.gaussian(d1, 2, 1.0, seed),
                Dense.transpose(KnownMatrices.gaussian(d2, 2, 1.0, seed + 1)));
        double[][] e = KnownMatrices.gaussian(d1, d2, noise, seed + 3);
        SplittableRandom random = new SplittableRandom(seed + 2);
        StringBuilder body = new StringBuilder();
        int count = 0;
        for (int i = 0; i < d1; i++) {
            for (int j = 0; j < d2; j++) {
                if (random.nextDouble() < fraction) {
                    double noisy = m[i][j] + e[i][j];
                    body.append(i + 1).append(' ').append(j + 1).append(' ')
                            .append(String.format(Locale.ROOT, "%.17g", noisy)).append('\n');
                    count++;
                }
            }
        }
        Path p = dir.resolve(name);
        Files.writeString(p, "%%MatrixMarket matrix coordinate real general\n" + d1 + " " + d2 + " " + count + "\n"
                + body);
        return p;
    }

    @Test
    void autoStorageSaysWhatItChoseAndBothStoragesAgree() throws IOException {
        Path m = lowRankSample("m.mtx", 60, 40, 0.05, 1);
        Path sparseOut = dir.resolve("sparse");
        Path denseOut = dir.resolve("dense");
        var sparse = run("factorize", "--input", m.toString(), "--rank", "2", "--max-iter", "40", "--tol", "0",
                "--threads", "2", "--out", sparseOut.toString());
        assertEquals(0, sparse.exitCode(), sparse.err());
        assertTrue(sparse.out().contains("storage: sparse (auto: density"), sparse.out());
        // the full loss keeps Mᵀ too, and the estimate says so
        assertTrue(sparse.out().contains(" MiB with its transpose, below 10 %)"), sparse.out());
        var dense = run("factorize", "--input", m.toString(), "--rank", "2", "--max-iter", "40", "--tol", "0",
                "--threads", "2", "--storage", "dense", "--out", denseOut.toString());
        assertEquals(0, dense.exitCode(), dense.err());
        assertTrue(dense.out().contains("storage: dense (--storage dense"), dense.out());
        String s = Files.readString(sparseOut.resolve("summary.json"));
        String d = Files.readString(denseOut.resolve("summary.json"));
        assertTrue(s.contains("\"storage\":\"sparse\""), s);
        assertTrue(d.contains("\"storage\":\"dense\""), d);
        // both summary losses are residual passes (a sparse M this small is exact under --exact-loss auto)
        assertTrue(s.contains("\"loss_exact\":true"), s);
        assertTrue(d.contains("\"loss_exact\":true"), d);
        assertFalse(sparse.out().contains("one-pass identity"), sparse.out());
        // the same full loss: summary losses agree to the iterates' rounding difference (float64), factors likewise
        assertEquals(jsonNumber(d, "loss"), jsonNumber(s, "loss"), 1e-9 * jsonNumber(d, "loss"));
        // --exact-loss never: the identity, and the summary and the output say so
        Path identityOut = dir.resolve("identity");
        var identity = run("factorize", "--input", m.toString(), "--rank", "2", "--max-iter", "40", "--tol", "0",
                "--threads", "2", "--exact-loss", "never", "--out", identityOut.toString());
        assertEquals(0, identity.exitCode(), identity.err());
        String i = Files.readString(identityOut.resolve("summary.json"));
        assertTrue(i.contains("\"loss_exact\":false"), i);
        assertTrue(identity.out().contains("loss and relative error from the one-pass identity"), identity.out());
        // a partial fit (relative error ≥ 0.1): the identity's few u·‖M‖² are far below 10⁻⁹ of the loss
        assertEquals(jsonNumber(s, "loss"), jsonNumber(i, "loss"), 1e-9 * jsonNumber(s, "loss"));
        try (DenseMatrix us = MatrixMarket.read(sparseOut.resolve("U.mtx"), DType.FLOAT64);
                DenseMatrix ud = MatrixMarket.read(denseOut.resolve("U.mtx"), DType.FLOAT64)) {
            assertTrue(Dense.maxAbsDifference(us.toArray(), ud.toArray()) <= 1e-10 * Dense.maxAbs(ud.toArray()));
        }
        // a dense-enough file stays dense under auto
        var denser = run("factorize", "--input", lowRankSample("d.mtx", 30, 20, 0.5, 2).toString(), "--rank", "2",
                "--max-iter", "5", "--exact-loss", "never");
        assertEquals(0, denser.exitCode(), denser.err());
        assertTrue(denser.out().contains("storage: dense (auto: density"), denser.out());
        // the option asked for what a dense M cannot give: said, not silently ignored
        assertTrue(denser.out().contains("note: --exact-loss has no effect on a dense M: its final loss is always "
                + "exact"), denser.out());
        // with its reason, as the sparse choice has one
        assertTrue(denser.out().contains(" with its transpose, at least 10 % and within half of the "), denser.out());
    }

    @Test
    void observedObjectiveWithHoldoutReportsTheHeldOutRmseEverywhere() throws IOException {
        Path m = lowRankSample("m.mtx", 80, 60, 0.3, 3);
        Path out = dir.resolve("out");
        Path log = dir.resolve("run.jsonl");
        var r = run("factorize", "--input", m.toString(), "--rank", "2", "--objective", "observed", "--holdout",
                "0.1", "--threads", "2", "--max-iter", "4000", "--out", out.toString(), "--log", log.toString());
        assertEquals(0, r.exitCode(), r.err());
        // each entry is held out with probability 0.1: the line says the share that came out, not the probability
        // as if it were one (a new user's finding), and the counts add up
        Matcher held = Pattern.compile("held out: (\\d+) entries \\((\\d+\\.\\d\\d) % of the (\\d+) stored, each "
                + "with probability 0\\.1, seed \\d+\\); training on (\\d+)").matcher(r.out());
        assertTrue(held.find(), r.out());
        long heldOut = Long.parseLong(held.group(1));
        long stored = Long.parseLong(held.group(3));
        assertEquals(stored, heldOut + Long.parseLong(held.group(4)), r.out());
        assertEquals(String.format(Locale.ROOT, "%.2f", 100.0 * heldOut / stored), held.group(2));
        assertTrue(r.out().contains("storage: sparse (--objective observed"), r.out());
        String summary = Files.readString(out.resolve("summary.json"));
        assertTrue(summary.contains("\"objective\":\"observed\""), summary);
        // what reproduces the held-out draw
        assertTrue(summary.contains("\"seed\":42") && summary.contains("\"holdout\":0.1"), summary);
        List<String> records = Files.readAllLines(log);
        assertFalse(records.isEmpty());
        for (String rec : records) {
            assertTrue(rec.contains("\"test_rmse\":"), rec);
        }
        // exactly rank 2 and 30 % observed: the held-out entries are predicted far better than at the start
        double first = jsonNumber(records.getFirst(), "test_rmse");
        assertTrue(jsonNumber(summary, "test_rmse") < 1e-3 * first, summary);
        assertTrue(jsonNumber(summary, "nnz") + jsonNumber(summary, "test_entries") > 0.25 * 80 * 60);
        assertTrue(jsonNumber(summary, "best_test_rmse") <= jsonNumber(summary, "test_rmse"), summary);

        // --early-stop ends the run when the held-out RMSE stops improving, and writes the best iterate. The exact
        // matrix above never gives it the chance (its held-out RMSE falls until the run converges), so: the same
        // rank-2 matrix plus noise of RMS 0.3, fitted at rank 8, whose extra columns fit the noise of the observed
        // entries once the two true directions are learned — the held-out RMSE then rises (README, Early stopping)
        Path noisy = lowRankSample("noisy.mtx", 80, 60, 0.3, 3, 0.3);
        Path early = dir.resolve("early");
        long patience = 50;
        var e = run("factorize", "--input", noisy.toString(), "--rank", "8", "--objective", "observed", "--holdout",
                "0.1", "--threads", "2", "--max-iter", "4000", "--early-stop", String.valueOf(patience), "--out",
                early.toString());
        assertEquals(0, e.exitCode(), e.err());
        String earlySummary = Files.readString(early.resolve("summary.json"));
        assertTrue(earlySummary.contains("\"stop_reason\":\"early_stopped\""), earlySummary);
        assertTrue(e.out().contains("stopped: early_stopped"), e.out());
        assertEquals(patience, jsonNumber(earlySummary, "early_stop"));
        // it stopped because the patience ran out, and no later: PATIENCE updates after the best iterate
        long iterations = (long) jsonNumber(earlySummary, "iterations");
        long best = (long) jsonNumber(earlySummary, "best_test_iteration");
        assertEquals(best + patience, iterations, earlySummary);
        assertEquals(jsonNumber(earlySummary, "best_test_rmse"), jsonNumber(earlySummary, "test_rmse"));
        // iterations is the updates made; the summary and the output say which iterate was written and measured
        assertEquals(best, (long) jsonNumber(earlySummary, "factors_iteration"), earlySummary);
        assertTrue(e.out().contains("stopped: early_stopped, ") && e.out().contains("\nwritten, and measured below: "
                + "the factors after " + best + " iterations, the lowest held-out RMSE of the run (--early-stop "
                + patience + "; summary.json: factors_iteration)\nrelative error "), e.out());
    }

    /**
     * A resume that leaves out the interrupted run's --early-stop is refused before M is read (it ran on without the
     * patience and overwrote the checkpoint: the patience is in the configuration only when set, and only the options
     * given were compared); with it, the resume runs.
     */
    @Test
    void aResumeWithoutTheRunsEarlyStopIsRefused() throws IOException {
        Path m = lowRankSample("es.mtx", 40, 30, 0.3, 5, 0.3);
        Path ck = dir.resolve("ck");
        var first = run("factorize", "--input", m.toString(), "--rank", "4", "--objective", "observed", "--holdout",
                "0.1", "--threads", "2", "--max-iter", "10", "--early-stop", "50", "--checkpoint", ck.toString(),
                "--checkpoint-every", "5");
        assertEquals(0, first.exitCode(), first.err());
        var without = run("factorize", "--input", m.toString(), "--rank", "4", "--objective", "observed", "--holdout",
                "0.1", "--threads", "2", "--max-iter", "20", "--resume", ck.toString());
        assertEquals(2, without.exitCode(), without.err());
        assertEquals("autobalance: error: the checkpoint was written with early_stop 50, this run has none: resume "
                + "with --early-stop 50", without.err().strip());
        assertFalse(without.out().contains("storage:"), "refused before M is read: " + without.out());
        var with = run("factorize", "--input", m.toString(), "--rank", "4", "--objective", "observed", "--holdout",
                "0.1", "--threads", "2", "--max-iter", "20", "--early-stop", "50", "--resume", ck.toString());
        assertEquals(0, with.exitCode(), with.err());
    }

    @Test
    void testFileAndNpzInput() throws IOException {
        Path train = dir.resolve("train.npz");
        Files.copy(Fixtures.fixture("npz_csr.npz"), train);
        Path test = Fixtures.fixture("npz_coo.npz");
        var r = run("factorize", "--input", train.toString(), "--rank", "2", "--objective", "observed:0.01",
                "--test", test.toString(), "--max-iter", "50", "--out", dir.resolve("o").toString());
        assertEquals(0, r.exitCode(), r.err());
        String summary = Files.readString(dir.resolve("o").resolve("summary.json"));
        assertTrue(summary.contains("\"objective\":\"observed:0.01\""), summary);
        assertTrue(summary.contains("\"test_rmse\":"), summary);
        // the penalty beside the data term, and their sum, the objective minimised (the summary gave loss alone)
        double penalty = 0.01 / 2 * (Math.pow(jsonNumber(summary, "norm_u"), 2)
                + Math.pow(jsonNumber(summary, "norm_v"), 2));
        assertEquals(penalty, jsonNumber(summary, "penalty"), 1e-12 * penalty, summary);
        assertEquals(jsonNumber(summary, "loss") + penalty, jsonNumber(summary, "objective_value"), 1e-12 * penalty,
                summary);
        assertTrue(r.out().contains(String.format(Locale.ROOT, "; penalty LAMBDA/2*(|U|_F^2 + |V|_F^2) %.6e, loss + "
                + "penalty (the objective minimised) %.6e%n", jsonNumber(summary, "penalty"),
                jsonNumber(summary, "objective_value"))), r.out());
        var full = run("factorize", "--input", train.toString(), "--rank", "2", "--max-iter", "10");
        assertEquals(0, full.exitCode(), full.err());
    }

    /**
     * A rank above a .npz's shape is refused before anything goes to standard output: the storage line was printed,
     * then the error, as if the run had begun.
     */
    @ParameterizedTest
    @ValueSource(strings = {"full", "observed"})
    void aRankAboveAnNpzsShapeIsRefusedBeforeTheStorageLine(String objective) throws IOException {
        var r = run("factorize", "--input", Fixtures.fixture("npz_csr.npz").toString(), "--rank", "1000",
                "--objective", objective);
        assertEquals(2, r.exitCode(), r.out() + r.err());
        assertTrue(r.err().startsWith("autobalance: error: rank must be between 1 and min(d1, d2) = "), r.err());
        assertEquals("", r.out());
    }

    /** An M without stored entries is refused as such, not advised a smaller --holdout fraction. */
    @Test
    void aHoldoutOfAnEmptyMatrixSaysItIsEmpty() throws IOException {
        Path m = dir.resolve("empty.mtx");
        Files.writeString(m, "%%MatrixMarket matrix coordinate real general\n20 10 0\n");
        var r = run("factorize", "--input", m.toString(), "--rank", "2", "--objective", "observed", "--holdout",
                "0.2");
        assertEquals(2, r.exitCode(), r.out() + r.err());
        assertFalse(r.err().contains("fraction"), r.err());
        assertTrue(r.err().contains("all zeros") || r.err().contains("no stored entries"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    /** One stored entry and one iteration are said in the singular (a walk read "1 stored entries", "1 iterations"). */
    @Test
    void oneEntryAndOneIterationAreSingular() throws IOException {
        Path m = dir.resolve("one.mtx");
        Files.writeString(m, "%%MatrixMarket matrix coordinate real general\n20 10 1\n3 4 2.5\n");
        var r = run("factorize", "--input", m.toString(), "--rank", "1", "--objective", "observed", "--max-iter", "1",
                "--out", dir.resolve("o").toString());
        assertEquals(0, r.exitCode(), r.out() + r.err());
        assertTrue(r.out().contains("storage: sparse (--objective observed, 1 stored entry)"), r.out());
        assertTrue(r.out().contains("rank 1: 1 iteration, stopped: max_iterations"), r.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.5", "0.999"})
    void aSingleStoredEntryIsNotToldToChangeTheHoldoutFraction(String fraction) throws IOException {
        // a walkthrough's finding: "give a larger fraction" for an M of one entry, which no fraction can split
        Path m = dir.resolve("one.mtx");
        Files.writeString(m, "%%MatrixMarket matrix coordinate real general\n20 10 1\n3 4 2.5\n");
        var r = run("factorize", "--input", m.toString(), "--rank", "1", "--objective", "observed", "--holdout",
                fraction);
        assertEquals(2, r.exitCode(), r.out() + r.err());
        assertTrue(r.err().contains("no fraction splits a single stored entry: give held-out entries with --test "
                + "FILE"), r.err());
        assertFalse(r.err().contains("give a larger fraction") || r.err().contains("give a smaller fraction"),
                r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    /** An empty --test file ran, reporting no held-out RMSE. */
    @Test
    void anEmptyTestFileIsRefused() throws IOException {
        Path m = lowRankSample("m.mtx", 20, 10, 0.3, 4);
        Path test = dir.resolve("test.mtx");
        Files.writeString(test, "%%MatrixMarket matrix coordinate real general\n20 10 0\n");
        var r = run("factorize", "--input", m.toString(), "--rank", "2", "--objective", "observed", "--test",
                test.toString());
        assertEquals(2, r.exitCode(), r.out() + r.err());
        assertEquals("autobalance: error: --test " + test + " holds no entries: there is nothing to measure the "
                + "held-out RMSE on" + System.lineSeparator(), r.err());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--holdout 0.1 | --holdout needs --objective observed",
        "--objective observed --holdout 1.5 | --holdout: FRACTION must be strictly between 0 and 1",
        "--objective observed --storage dense | --objective observed needs --storage sparse or auto",
        "--storage tiled | --storage: unknown storage 'tiled'",
        "--objective partial | --objective: unknown objective 'partial'",
        "--objective observed --holdout 0.1 --test x.mtx | --holdout and --test are alternatives",
        "--objective observed --test missing.mtx | --test: missing.mtx does not exist",
        "--exact-loss sometimes | --exact-loss: unknown exact-loss setting 'sometimes'",
        "--objective observed --early-stop 10 | --early-stop needs held-out entries (--holdout FRACTION or --test",
        "--objective observed --holdout 0.1 --early-stop 0 | --early-stop: PATIENCE must be at least 1 iteration",
        // each entry is held out with that chance: none left to train on was "matrix M is all zeros", none held out
        // ran reporting the RMSE of nothing (twelfth session)
        "--objective observed --holdout 0.99999999 | leaving none to train on; give a smaller fraction",
        "--objective observed --holdout 1e-9 | leaving all to train on; give a larger fraction",
        // the fraction as written, not Java's 1.0E-9
        "--objective observed --holdout 1e-9 | --holdout 0.000000001: held out 0 of the",
        // accepted and ignored before (thirty-fifth session)
        "--objective observed --exact-loss always | --exact-loss is for the full loss of a sparse M",
    })
    void badUsageIsOneLineAndExitCodeTwo(String options, String fragment) throws IOException {
        Path m = lowRankSample("m.mtx", 20, 10, 0.3, 4);
        List<String> args = new java.util.ArrayList<>(List.of("factorize", "--input", m.toString(), "--rank", "2"));
        args.addAll(List.of(options.trim().split(" ")));
        var r = run(args.toArray(String[]::new));
        assertEquals(2, r.exitCode(), r.out() + r.err());
        assertTrue(r.err().contains(fragment), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }
}
