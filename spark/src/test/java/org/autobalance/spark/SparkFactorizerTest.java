package org.autobalance.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.autobalance.io.MatrixMarket;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.observe.IterationRecord;
import org.autobalance.schedule.ConstantSchedule;
import org.autobalance.solve.Factorizer;
import org.autobalance.solve.Initializer;
import org.autobalance.solve.Result;
import org.autobalance.solve.Variant;
import org.autobalance.testing.Dense;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Spark iteration against the single-machine engine, on {@code local[2]}. */
@Tag("spark")
class SparkFactorizerTest {
    static final int D1 = 150;
    static final int D2 = 97;
    static final int RANK = 4;
    static final int ITERATIONS = 100;

    @TempDir
    static Path dir;
    static Path input;
    static double[][] mValues;
    static double eta;

    @BeforeAll
    static void problem() throws IOException {
        // rank 4 plus noise with a known spectrum: σ₁ = 10 sets the step
        double[][] low = Dense.withSpectrum(D1, D2, new double[] {10, 7, 5, 3}, 11);
        mValues = Dense.addScaled(low, 0.05, Dense.gaussian(D1, D2, 1.0, 12));
        input = dir.resolve("M.mtx");
        try (DenseMatrix m = Dense.matrix(DType.FLOAT64, mValues)) {
            MatrixMarket.write(input, m, "test problem");
        }
        eta = 0.5 / 10;
    }

    /** The engine's factors after {@code iterations} from the given start, with {@code threads} threads. */
    static double[][][] engine(DenseMatrix m, DenseMatrix u0, DenseMatrix v0, Variant variant, int threads) {
        try (Result r = Factorizer.builder(m, RANK).initializer(Initializer.given(u0, v0))
                .schedule(new ConstantSchedule(eta)).variant(variant).tolerance(0).maxIterations(ITERATIONS)
                .threads(threads).build().run()) {
            return new double[][][] {r.u().toArray(), r.v().toArray()};
        }
    }

    static double[][][] spark(DenseMatrix u0, DenseMatrix v0, Variant variant, int partitions,
            List<IterationRecord> records, SparkFactorizer.Builder extra) {
        MatrixSource source = MatrixSource.open(SharedSpark.context(), input, partitions);
        SparkFactorizer.Builder b = extra == null ? SparkFactorizer.builder(RANK) : extra;
        try (SparkResult r = b.initializer(Initializer.given(u0, v0)).schedule(new ConstantSchedule(eta))
                .variant(variant).tolerance(0).maxIterations(ITERATIONS).driverThreads(2).checkpointEvery(30)
                .build().run(SharedSpark.context(), source, DType.FLOAT64, records::add);
                DenseMatrix u = r.collectU()) {
            return new double[][][] {u.toArray(), r.v().toArray()};
        }
    }

    @Test
    void samePartitioningAsTheEngineGivesTheEnginesBits() throws IOException {
        // two partitions split the rows where the engine's two threads do, the driver splits V as they do, and the
        // partials are added in the same order: every floating-point operation is the engine's
        try (DenseMatrix m = MatrixMarket.read(input, DType.FLOAT64);
                DenseMatrix u0 = Dense.matrix(DType.FLOAT64, Dense.gaussian(D1, RANK, 0.3, 21));
                DenseMatrix v0 = Dense.matrix(DType.FLOAT64, Dense.gaussian(D2, RANK, 0.3, 22))) {
            for (Variant variant : List.of(Variant.SIMULTANEOUS, Variant.ALTERNATING, Variant.parse("regularized"))) {
                double[][][] expected = engine(m, u0, v0, variant, 2);
                List<IterationRecord> records = new ArrayList<>();
                double[][][] actual = spark(u0, v0, variant, 2, records, null);
                for (int i = 0; i < D1; i++) {
                    assertArrayEquals(expected[0][i], actual[0][i], 0.0, variant.describe() + " U row " + i);
                }
                for (int j = 0; j < D2; j++) {
                    assertArrayEquals(expected[1][j], actual[1][j], 0.0, variant.describe() + " V row " + j);
                }
                assertEquals(ITERATIONS, records.size());
            }
        }
    }
}
