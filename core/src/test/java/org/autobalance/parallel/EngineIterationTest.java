package org.autobalance.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.schedule.ConstantSchedule;
import org.autobalance.solve.Factorizer;
import org.autobalance.solve.Initializer;
import org.autobalance.solve.Result;
import org.autobalance.synthetic.KnownMatrices;
import org.autobalance.testing.Dense;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The benchmark hook must run the solver's iteration exactly: same bits as a Factorizer run with tolerance 0. */
class EngineIterationTest {

    @ParameterizedTest
    @CsvSource({"FLOAT64, 1", "FLOAT32, 1", "FLOAT64, 3", "FLOAT32, 2"})
    void matchesFactorizerBitForBit(DType dtype, int threads) {
        int d1 = 37;
        int d2 = 23;
        int r = 3;
        double eta = 0.05;
        int iterations = 7;
        try (DenseMatrix m = Dense.matrix(dtype, KnownMatrices.gaussian(d1, d2, 1.0 / Math.sqrt(d2), 1));
                DenseMatrix u0 = Dense.matrix(dtype, KnownMatrices.gaussian(d1, r, 0.1, 2));
                DenseMatrix v0 = Dense.matrix(dtype, KnownMatrices.gaussian(d2, r, 0.1, 3));
                DenseMatrix u = u0.copy(dtype);
                DenseMatrix v = v0.copy(dtype);
                Result expected = Factorizer.builder(m, r).initializer(Initializer.given(u0, v0))
                        .schedule(new ConstantSchedule(eta)).tolerance(0).maxIterations(iterations)
                        .threads(threads).build().run();
                EngineIteration engine = new EngineIteration(m, u, v, threads)) {
            for (int t = 0; t < iterations; t++) {
                engine.iterate(eta);
            }
            for (int i = 0; i < d1; i++) {
                for (int k = 0; k < r; k++) {
                    assertEquals(expected.u().get(i, k), u.get(i, k), 0.0, "U[" + i + "," + k + "]");
                }
            }
            for (int j = 0; j < d2; j++) {
                for (int k = 0; k < r; k++) {
                    assertEquals(expected.v().get(j, k), v.get(j, k), 0.0, "V[" + j + "," + k + "]");
                }
            }
        }
    }
}
