package org.autobalance.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.autobalance.io.MatrixMarket;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.testing.Dense;
import org.autobalance.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code --variant}, {@code --init ward-kolda} and {@code --schedule theory:…} on the command line. */
class VariantOptionsTest {
    @TempDir
    Path dir;

    private static int run(StringWriter err, String... args) {
        return Main.execute(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), args);
    }

    private static double[][] read(Path p) throws IOException {
        try (DenseMatrix m = MatrixMarket.read(p, DType.FLOAT64)) {
            return m.toArray();
        }
    }

    @ParameterizedTest
    @CsvSource({"alternating", "regularized:0.5"})
    void variantsReproduceTheirTextbookIterates(String variant) throws IOException {
        Path out = dir.resolve("out");
        StringWriter err = new StringWriter();
        int code = run(err, "factorize", "--input", Fixtures.fixture("gd_M.mtx").toString(), "--rank", "2",
                "--init", "file:" + Fixtures.fixture("gd_U0.mtx") + "," + Fixtures.fixture("gd_V0.mtx"),
                "--schedule", "constant:0.01", "--variant", variant, "--max-iter", "20", "--tol", "0", "--threads",
                "2", "--out", out.toString());
        assertEquals(0, code, err.toString());
        double[][] m = read(Fixtures.fixture("gd_M.mtx"));
        double[][] u = read(Fixtures.fixture("gd_U0.mtx"));
        double[][] v = read(Fixtures.fixture("gd_V0.mtx"));
        for (int t = 0; t < 20; t++) {
            double[][][] next = variant.equals("alternating") ? Dense.alternatingStep(m, u, v, 0.01)
                    : Dense.regularizedStep(m, u, v, 0.01, 0.5);
            u = next[0];
            v = next[1];
        }
        // summation order only: a few ulps per step
        assertTrue(Dense.maxAbsDifference(read(out.resolve("U.mtx")), u) <= 1e-12 * Dense.maxAbs(u), variant);
        assertTrue(Dense.maxAbsDifference(read(out.resolve("V.mtx")), v) <= 1e-12 * Dense.maxAbs(v), variant);
        String summary = Files.readString(out.resolve("summary.json"));
        assertTrue(summary.contains("\"variant\":\"" + variant + "\""), summary);
    }

    @Test
    void wardKoldaStartWithAlternatingStepsReachesTheOptimum() throws IOException {
        Path out = dir.resolve("out");
        StringWriter err = new StringWriter();
        int code = run(err, "factorize", "--input", Fixtures.fixture("spectrum_64x48.mtx").toString(), "--rank", "5",
                "--variant", "alternating", "--init", "ward-kolda", "--schedule", "auto:0.5625", "--max-iter",
                "20000", "--out", out.toString());
        assertEquals(0, code, err.toString());
        double optimum = Fixtures.jsonNumber(Files.readString(Fixtures.fixture("spectrum_64x48.json")), "5");
        String summary = Files.readString(out.resolve("summary.json"));
        double loss = Fixtures.jsonNumber(summary, "loss");
        // the stop rule is ‖∇f‖ ≤ √u·‖M‖·‖(U,V)‖: the loss is then within a relative 1e-3 of the Eckart–Young value
        assertTrue(loss >= optimum * (1 - 1e-9) && loss <= optimum * 1.001, "loss " + loss + " vs " + optimum);
        assertTrue(summary.contains("\"init\":\"ward-kolda:4.0,"), summary);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--variant momentum|--variant: unknown variant 'momentum'",
        "--variant regularized:x|LAMBDA 'x' is not a number",
        "--variant regularized:-1|must be finite and non-negative",
        "--init ward-kolda:1|expected ward-kolda or ward-kolda:C,D",
        "--schedule theory:0.01|expected theory:EPS,DELTA",
        "--schedule theory:0.01,0.9|delta must lie in (0, 1/2]"})
    void badOptionsAreUsageErrors(String options, String message) {
        StringWriter err = new StringWriter();
        String[] extra = options.split(" ");
        String[] args = new String[5 + extra.length];
        args[0] = "factorize";
        args[1] = "--input";
        args[2] = Fixtures.fixture("spectrum_64x48.mtx").toString();
        args[3] = "--rank";
        args[4] = "2";
        System.arraycopy(extra, 0, args, 5, extra.length);
        assertEquals(Main.EXIT_USAGE, run(err, args), err.toString());
        assertTrue(err.toString().contains(message), err.toString());
    }
}
