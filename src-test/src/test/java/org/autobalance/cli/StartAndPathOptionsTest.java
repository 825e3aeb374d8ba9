package org.autobalance.cli;

import static org.autobalance.cli.CommandLineTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.autobalance.cli.CommandLineTest.Run;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.Float32RangeException;
import org.autobalance.solve.DivergenceException;
import org.autobalance.solve.Factorizer;
import org.autobalance.solve.Initializer;
import org.autobalance.solve.LogCapture;
import org.autobalance.solve.internal.IterationMonitor;
import org.autobalance.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Option mistakes a new user makes that ran, or failed as a run, instead of being refused as mistakes (exit code 2,
 * one line naming the option): an --init scale out of the dtype's range, --out and --checkpoint one directory, a path
 * that starts with a ~ the shell did not expand.
 */
class StartAndPathOptionsTest {
    @TempDir
    Path dir;

    private static final String M = Fixtures.fixture("spectrum_64x48.npy").toString();

    /**
     * {@link SolverOptions#largestInitScale} is the edge for the smallest problem, a 1 x 1 M at rank 1, where the
     * balanced start is u = v = SCALE exactly, whatever the kernels (this test runs with and without the SIMD ones):
     * in float64 iteration 0 is finite just below it and not just above it; in float32 the start itself is a float32
     * number just below it and not just above it. Above it the command refuses the scale before the input is read
     * (here it does not exist).
     */
    @ParameterizedTest
    @ValueSource(strings = {"float64", "float32"})
    void anInitScaleBeyondTheDtypesRangeIsRefusedBeforeTheInputIsRead(String dtype) {
        DType type = DType.parse(dtype);
        double edge = SolverOptions.largestInitScale(type);
        try (DenseMatrix m = DenseMatrix.of(type, new double[][] {{1.0}})) {
            for (double scale : new double[] {0.999 * edge, 1.001 * edge}) {
                long failedAt = -1;
                try {
                    Factorizer.builder(m, 1).initializer(Initializer.balanced(scale)).maxIterations(1).threads(1)
                            .build().run().close();
                } catch (DivergenceException e) {
                    failedAt = e.iteration();
                } catch (Float32RangeException e) {
                    failedAt = -2;
                }
                boolean below = scale < edge;
                if (type == DType.FLOAT64) {
                    assertEquals(below, failedAt != 0, scale + ": diverged at iteration " + failedAt);
                } else {
                    assertEquals(below, failedAt != -2, scale + ": the start is not float32");
                }
            }
        }
        String above = "balanced:" + 1.001 * edge;
        Run r = run("factorize", "--input", dir.resolve("missing.npy").toString(), "--rank", "1", "--dtype", dtype,
                "--init", above);
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.err().startsWith("autobalance: error: --init " + above + ": SCALE is too large for " + dtype
                + " whatever M is"), r.err());
    }

    /** A start within that bound that this input's larger products overflow: found before the first step. */
    @ParameterizedTest
    @CsvSource({"factorize, balanced:1e51", "network, small:1e300"})
    void aStartOutOfRangeOnThisInputNamesInit(String command, String init) {
        Run r = command.equals("factorize")
                ? run("factorize", "--input", M, "--rank", "3", "--max-iter", "5", "--threads", "1", "--init", init)
                : run("network", "--data", Fixtures.fixture("net_X.npy") + "," + Fixtures.fixture("net_Y.npy"),
                        "--layers", "dense:4,relu,dense:2", "--max-iter", "5", "--threads", "1", "--init", init);
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.err().matches("autobalance: error: --init " + init + ": the start is out of float64's range on "
                + "this input: before the first step, the (loss|gradient norm) is (Infinity|NaN); give a smaller "
                + "scale \\(or leave --init out for the default start\\)\n"), r.err());
    }

    /**
     * A start that cannot move stops after two iterations as {@code stalled}, saying so and what to do, not as a
     * plateau whose advice was "more iterations": all-zero {@code --init file:} factors in float64 (U = V = 0, where
     * the gradient is zero), and {@code small:1e-45} in float32 (entries 0 and ±1.4e-45, whose steps round away). In
     * float64 {@code small:4.9e-324} is not a sure case: on this M at rank 3 some steps round to ±4.9e-324 and it
     * learns. One just above float32's edge, {@code small:1e-44}, learns.
     */
    @ParameterizedTest
    @CsvSource({"float64, zeros", "float32, small:1e-45"})
    void aStartThatCannotMoveStallsWithAdviceOnTheStart(String dtype, String start) throws IOException {
        String init = start;
        if (start.equals("zeros")) {
            Path u0 = Files.writeString(dir.resolve("U0.mtx"), zeros(64, 3));
            Path v0 = Files.writeString(dir.resolve("V0.mtx"), zeros(48, 3));
            init = "file:" + u0 + "," + v0;
        }
        Run r = run("factorize", "--input", M, "--rank", "3", "--dtype", dtype, "--threads", "1", "--init", init,
                "--out", dir.resolve("out").toString());
        // a run that learned nothing fails after its summary, its files written as asked
        assertEquals(1, r.exitCode(), r.err());
        assertEquals("autobalance: error: " + new SolverRun.LearnedNothing().getMessage() + "\n", r.err());
        assertTrue(Files.isRegularFile(dir.resolve("out").resolve("U.mtx")), r.out());
        // the scalar kernels form float32's products in double: their first step may still move an entry
        assertTrue(r.out().matches("(?s).*rank 3: [23] iterations, stopped: stalled.*"), r.out());
        assertTrue(r.out().contains("the step leaves U and V unchanged (each change rounds away in " + dtype
                + "): no further iteration can move them; U = V = 0 is a saddle point of the loss, and a start this "
                + "small (or zero) stays there: " + (start.equals("zeros") ? "give --init file: factors of M's scale"
                        : "give a larger --init SCALE") + ", or leave --init out for the default start, scaled to M\n"),
                r.out());
        assertFalse(r.out().contains("more iterations"), r.out());
        Run moving = run("factorize", "--input", M, "--rank", "3", "--dtype", "float32", "--threads", "1", "--init",
                "small:1e-44");
        assertTrue(moving.out().contains("stopped: converged"), moving.out());
    }

    /**
     * A stall whose cause is the step: a given {@code constant} step so small that, from the default start (scaled to
     * M), it changes U and V by far less than the dtype's rounding unit of their size — a ratio that does not depend on
     * the start's scale. The advice was the start's, "give a larger --init SCALE", which would change nothing (the
     * twenty-first session's walk through the README); it names the step now.
     */
    @ParameterizedTest
    @CsvSource({"float64, 1e-320, 1.00e-320", "float32, 1e-20, 1.00e-20"})
    void aStepTooSmallToMoveTheFactorsStallsWithAdviceOnTheStep(String dtype, String eta, String printed) {
        Run r = run("factorize", "--input", M, "--rank", "3", "--dtype", dtype, "--threads", "1", "--schedule",
                "constant:" + eta);
        assertEquals(1, r.exitCode(), r.err());
        assertTrue(r.out().matches("(?s).*rank 3: [23] iterations, stopped: stalled.*"), r.out());
        assertTrue(r.out().contains("no further iteration can move them; the step is too small for this M: η = "
                + printed + " changes U and V by about "), r.out());
        assertTrue(r.out().contains(" of their size, below " + dtype + "'s rounding unit "), r.out());
        assertFalse(r.out().contains("--init"), r.out());
    }

    /**
     * The other way to {@code stalled}: a fixed point of the rounded step near the optimum. An exactly rank-2 M
     * (integer entries (i + 1)(j + 1) + ((i mod 4) − 1)((j mod 3) − 1), 20 x 15) at rank 2 in float32 with the gradient
     * test off ({@code --tol 0}) ends {@code stalled} well before {@code --max-iter}, the fact said without the advice
     * about the start, which is for a run that learned nothing (relative error 1): here there is nothing to change.
     */
    @Test
    void aFixedPointNearTheOptimumStallsWithoutAdviceOnTheStart() throws IOException {
        Path input = rank2("rank2.mtx", "");
        Run r = run("factorize", "--input", input.toString(), "--rank", "2", "--dtype", "float32", "--threads", "1",
                "--tol", "0", "--max-iter", "100000");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("stopped: stalled"), r.out());
        assertTrue(r.out().contains("the step leaves U and V unchanged (each change rounds away in float32): no "
                + "further iteration can move them\n"), r.out());
        assertFalse(r.out().contains("--init"), r.out());
    }

    /**
     * A stall whose cause is M's scale, not the start: the rank-2 M of the test above scaled by 1e-33 (entries 1e-33
     * to 3e-31, normal in float32; σ₁ ≈ 1.9e-30) has products M·V of order 1e-50 from the default start, which is
     * scaled to M: they round to zero in float32, and with the SIMD kernels the run stalls after two iterations having
     * learned nothing. The advice was "give a larger --init SCALE, or leave --init out", to a user who gave none; it
     * names M's scale now, as the warning of IterationMonitor.checkScale does. The scalar kernels form the products in
     * double: their steps shrink the start (|U|_F 1.768e-18 to 1.661e-18 in 200 000 iterations) and the limit ends the
     * run on a "plateau", whose advice was "more iterations would lower the error": it names M's scale too.
     */
    @Test
    void aRunThatLearnsNothingBecauseOfTheScaleOfMAdvisesScalingM() throws IOException {
        Path input = rank2("tiny.mtx", "e-33");
        // the solver's warning of the scale (IterationMonitor.checkScale) is logged, not printed by the command:
        // caught here, so that the test prints nothing
        Run r;
        List<String> warnings;
        try (LogCapture log = LogCapture.of(IterationMonitor.class)) {
            r = run("factorize", "--input", input.toString(), "--rank", "2", "--dtype", "float32", "--threads", "1",
                    "--max-iter", "1000");
            warnings = log.messages();
        }
        // stalled having learned nothing fails (exit code 1); the scalar kernels' plateau is a limit reached
        assertEquals(r.out().contains("scalar kernels") ? 0 : 1, r.exitCode(), r.err());
        String scale = "M's scale is below float32's range: with σ₁(M) = ";
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).startsWith(scale), warnings.get(0));
        String remedy = "are subnormal in float32 (smallest normal 1.2e-38) and lose their precision; scale M up by a "
                + "constant c (the factors of c·M are √c times those of M, the relative error the same) or use "
                + "float64\n";
        if (r.out().contains("scalar kernels")) {
            assertTrue(r.out().contains("rank 2: 1000 iterations, stopped: plateau"), r.out());
            assertTrue(r.out().contains("the limit ended the run on a saddle plateau (some directions not yet "
                    + "learned): more iterations would not help, as " + scale), r.out());
        } else {
            assertTrue(r.out().matches("(?s).*rank 2: [23] iterations, stopped: stalled.*"), r.out());
            assertTrue(r.out().contains("no further iteration can move them; " + scale), r.out());
        }
        assertTrue(r.out().contains(remedy), r.out());
        assertFalse(r.out().contains("--init") || r.out().contains("would lower the error"), r.out());
    }

    /**
     * The stall's advice follows its cause, read from the summary: M's scale where σ₁^(3/2) is below the dtype's normal
     * range (float32 only: float64's range holds every M whose squares it can sum), else the start; none where the run
     * learned something (relative error below 1).
     */
    @Test
    void theStallsAdviceFollowsItsCause() {
        String fact = "the step leaves U and V unchanged (each change rounds away in float32): no further iteration "
                + "can move them";
        String scale = SolverRun.stalled(Map.of("dtype", "float32", "relative_error", 1.0, "sigma1", 1.6e-28));
        assertTrue(scale.startsWith(fact + "; M's scale is below float32's range: with σ₁(M) = 1.60e-28 the "
                + "iterates' products, of order σ₁^(3/2) = 2.02e-42, are subnormal"), scale);
        assertFalse(scale.contains("--init"), scale);
        String start = SolverRun.stalled(Map.of("dtype", "float32", "relative_error", 1.0, "sigma1", 1.6e-20));
        assertTrue(start.startsWith(fact + "; U = V = 0 is a saddle point") && start.contains("larger --init"), start);
        assertTrue(SolverRun.stalled(Map.of("dtype", "float64", "relative_error", 1.0, "sigma1", 1.6e-28))
                .contains("larger --init"));
        assertTrue(SolverRun.stalled(Map.of("dtype", "float32", "relative_error", 1.0, "sigma1", Double.NaN))
                .contains("larger --init"));
        assertEquals(fact, SolverRun.stalled(Map.of("dtype", "float32", "relative_error", 0.5, "sigma1", 1.6e-28)));
        // the step's share of U and V: η·|M|_F·max(|U|/|V|, |V|/|U|), |M|_F = √(2·loss)/relative error = 2 here
        String step = SolverRun.stalled(stalledRun("constant:1e-8", 2.0, 1.0));
        assertTrue(step.startsWith(fact + "; the step is too small for this M: η = 1.00e-08 changes U and V by "
                + "about 4.0e-08 of their size, below float32's rounding unit 6.0e-08"), step);
        assertFalse(step.contains("--init"), step);
        assertTrue(SolverRun.stalled(stalledRun("constant:1e-8", 4.0, 1.0)).contains("larger --init"));
        assertTrue(SolverRun.stalled(stalledRun("decay:1e-8,0.5", 2.0, 1.0)).contains("the step is too small"));
        assertTrue(SolverRun.stalled(stalledRun("auto:1e-30", 2.0, 1.0)).contains("larger --init"));
        assertTrue(SolverRun.stalled(stalledRun("constant:1e-8", 0.0, 0.0)).contains("larger --init"));
        assertEquals("the limit ended the run on a saddle plateau (some directions not yet learned): more iterations "
                + "(--max-iter, --max-seconds) would lower the error",
                SolverRun.plateau(Map.of("dtype", "float32", "relative_error", 0.5, "sigma1", 1.6e-28)));
    }

    /** A float32 run that learned nothing (relative error 1, loss 2: |M|_F = 2) and stalled at iteration 2. */
    private static Map<String, Object> stalledRun(String schedule, double normU, double normV) {
        return Map.of("dtype", "float32", "relative_error", 1.0, "loss", 2.0, "iterations", 2L, "schedule", schedule,
                "norm_u", normU, "norm_v", normV);
    }

    /**
     * The exactly rank-2 20 x 15 M of the stall tests, (i + 1)(j + 1) + ((i mod 4) − 1)((j mod 3) − 1), each entry
     * written with {@code exponent} after it (a scale in decimal: "e-33").
     */
    private Path rank2(String name, String exponent) throws IOException {
        StringBuilder m = new StringBuilder("%%MatrixMarket matrix array real general\n20 15\n");
        for (int j = 0; j < 15; j++) {
            for (int i = 0; i < 20; i++) {
                m.append((i + 1) * (j + 1) + (i % 4 - 1) * (j % 3 - 1)).append(exponent).append('\n');
            }
        }
        return Files.writeString(dir.resolve(name), m);
    }

    /** A d x r factor of zeros in Matrix Market's array form. */
    private static String zeros(int d, int r) {
        return "%%MatrixMarket matrix array real general\n" + d + " " + r + "\n" + "0\n".repeat(d * r);
    }

    @ParameterizedTest
    @ValueSource(strings = {"--checkpoint", "--resume"})
    void outAndTheCheckpointDirectoryCannotBeOne(String option) throws IOException {
        Path out = dir.resolve("res");
        if (option.equals("--resume")) {
            Run first = run("factorize", "--input", M, "--rank", "2", "--max-iter", "2", "--threads", "1",
                    "--checkpoint", out.toString(), "--checkpoint-every", "1");
            assertEquals(0, first.exitCode(), first.err());
        }
        String input = option.equals("--resume") ? M : dir.resolve("missing.npy").toString();
        Run r = run("factorize", "--input", input, "--rank", "2", "--threads", "1", "--out", out.toString(), option,
                dir.resolve("res/../res/").toString());
        assertEquals(2, r.exitCode(), r.err());
        assertEquals("autobalance: error: --out " + out + ": is the checkpoint directory too; give the checkpoints a "
                + "directory of their own (for example --checkpoint " + out.resolve("checkpoints") + ")\n", r.err());
        assertEquals(option.equals("--resume"), Files.exists(out), "a directory the run made is removed");
    }

    /**
     * The two directories named through a link in a parent, neither existing yet: compared by the paths the system
     * would make (they were compared as written, and the run put its results beside its checkpoint and .lock).
     */
    @Test
    void outAndTheCheckpointDirectoryCannotBeOneThroughALink() throws IOException {
        Path real = Files.createDirectory(dir.resolve("real"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), real);
        Path out = link.resolve("x");
        Run r = run("factorize", "--input", dir.resolve("missing.npy").toString(), "--rank", "2", "--out",
                out.toString(), "--checkpoint", real.resolve("x").toString());
        assertEquals(2, r.exitCode(), r.err());
        assertEquals("autobalance: error: --out " + out + ": is the checkpoint directory too; give the checkpoints a "
                + "directory of their own (for example --checkpoint " + out.resolve("checkpoints") + ")\n", r.err());
        assertFalse(Files.exists(real.resolve("x")), "nothing made");
    }

    /**
     * The shell expands ~ only at the start of a word: --out=~/res arrived as typed, and ./~/res was made (and the
     * next such run wrote into it). Refused whatever the working directory holds; ./~x still names a file here.
     */
    @ParameterizedTest
    @ValueSource(strings = {"~/res", "~nobody/res"})
    void aPathStartingWithAnUnexpandedTildeIsRefused(String path) {
        Run r = run("factorize", "--input", dir.resolve("missing.npy").toString(), "--rank", "2", "--out=" + path);
        assertEquals(2, r.exitCode(), r.err());
        assertEquals("autobalance: error: Invalid value for option '--out': '" + path + "': the shell did not expand ~ "
                + "(it does only at the start of a word, not after = or inside quotes); write "
                + (path.startsWith("~/") ? Path.of(System.getProperty("user.home"), "res") : "the full path")
                + " (or ./" + path + " for a name starting with ~ here); see 'autobalance factorize --help'\n",
                r.err());
    }

    /**
     * An empty path, as an unset shell variable gives it ({@code --out "$OUT"}): the JDK reads "" as the working
     * directory, so {@code --out ""} wrote U.mtx, V.mtx and summary.json there (the demo and reproduce the same), and
     * {@code --checkpoint ""} ran the whole run, then failed with a NullPointerException's words, exit 1, leaving a
     * .lock in the working directory. Refused as a usage error before anything is read.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "factorize --input M --rank 2 --out EMPTY|--out",
        "factorize --input M --rank 2 --checkpoint EMPTY|--checkpoint",
        "factorize --input M --rank 2 --resume EMPTY|--resume",
        "factorize --input M --rank 2 --log EMPTY|--log",
        "factorize --input EMPTY --rank 2|--input",
        "factorize --input M --rank 2 --test EMPTY|--test",
        "demo --out EMPTY|--out",
        "demo --log EMPTY|--log",
        "reproduce rank1 --out EMPTY|--out",
        "network --data M,M --layers dense:2 --out EMPTY|--out",
        "network --data M,M --layers dense:2 --log EMPTY|--log"})
    void anEmptyPathIsRefused(String command, String option) {
        String[] args = command.split(" ");
        for (int k = 0; k < args.length; k++) {
            args[k] = args[k].equals("EMPTY") ? "" : args[k].replace("M", dir.resolve("missing.npy").toString());
        }
        Run r = run(args);
        assertEquals(2, r.exitCode(), r.err());
        assertEquals("autobalance: error: Invalid value for option '" + option + "': '': an empty path (an unset "
                + "shell variable?); give a name (or ., the working directory, where a directory is asked for); see "
                + "'autobalance "
                + args[0] + " --help'\n", r.err());
    }

    /** {@code --init "file:$DIR"} with DIR unset: one line naming --init, before M is read. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "factorize --input M --rank 2 --init file:|--init: expected file:U0.mtx,V0.mtx or file:U0.npy,V0.npy, got "
            + "'file:'",
        "network --data M,M --layers dense:2 --init file:|--init: file: names no directory (file:DIR, DIR holding "
            + "W1.npy, W2.npy, ...)"})
    void anEmptyInitFileIsRefused(String command, String message) {
        String[] args = command.replace("M", dir.resolve("missing.npy").toString()).split(" ");
        Run r = run(args);
        assertEquals(2, r.exitCode(), r.err());
        assertEquals("autobalance: error: " + message + "\n", r.err());
    }

    /**
     * A ~ inside an option's value (paths picocli does not convert): it said "does not exist"; now the same hint as a
     * path option's, before the input is read.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "factorize --input MISSING --rank 2 --init file:~/U0.npy,V0.npy|--init",
        "network --data ~/X.npy,Y.npy --layers dense:2|--data",
        "network --data X.npy,Y.npy --layers dense:2 --init file:~/w|--init"})
    void aTildeInsideAnOptionsValueIsRefused(String command, String option) {
        String[] args = command.replace("MISSING", dir.resolve("missing.npy").toString()).split(" ");
        Run r = run(args);
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.err().startsWith("autobalance: error: " + option + ": '~/"), r.err());
        assertTrue(r.err().contains("the shell did not expand ~"), r.err());
    }

    /** A file named with a newline or an escape sequence: the error is still one line, the characters escaped. */
    @Test
    void aFileNameWithControlCharactersIsOneLine() {
        String name = dir.resolve("a\nb\u001B[31m.npy").toString();
        Run r = run("factorize", "--input", name, "--rank", "2");
        assertEquals(2, r.exitCode(), r.err());
        assertEquals("autobalance: error: cannot read M from " + dir + "/a\\x0Ab\\x1B[31m.npy: no such .npy file\n",
                r.err());
    }
}
