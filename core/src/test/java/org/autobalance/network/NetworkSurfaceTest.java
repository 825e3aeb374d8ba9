package org.autobalance.network;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.observe.NetworkRecord;
import org.junit.jupiter.api.Test;

/**
 * The network package's results as the exported API hands them out, held to what issue 9 asked of {@code Result} and
 * {@code IterationRecord}: types that can grow without breaking callers (no public constructor to outgrow: they were
 * records with 14- and 9-argument public constructors), and values no caller can change under another (a record is
 * given to every listener in turn; its arrays were the record's own).
 */
class NetworkSurfaceTest {
    @Test
    void resultsAndRecordsHaveNoPublicConstructor() {
        for (Class<?> type : List.of(NetworkResult.class, NetworkRecord.class)) {
            assertFalse(type.isRecord(), type.getName());
            assertEquals(0, type.getConstructors().length, type.getName());
        }
    }

    @Test
    void aListenerCannotChangeWhatTheNextListenerOrTheCallerSees() {
        SplittableRandom random = new SplittableRandom(5);
        try (DenseMatrix x = DenseMatrix.of(DType.FLOAT64, Cases.gaussian(10, 4, 1, random));
                DenseMatrix y = DenseMatrix.of(DType.FLOAT64, Cases.gaussian(10, 2, 1, random))) {
            List<double[]> seen = new ArrayList<>();
            NetworkTrainer trainer = NetworkTrainer.builder(x, y, Architecture.parse("dense:3,dense:2", 4, null))
                    .maxIterations(3)
                    .listener(record -> {
                        // a careless listener writes into what it was given
                        record.layerSquaredNorms()[0] = -1;
                        record.layerDifferences()[0] = -1;
                    })
                    .listener(record -> seen.add(record.layerSquaredNorms()))
                    .build();
            try (NetworkResult result = trainer.run()) {
                for (double[] norms : seen) {
                    assertFalse(norms[0] < 0, "the second listener saw the first one's write");
                }
                double[] differences = result.layerDifferences();
                differences[0] = Double.NaN;
                assertArrayEquals(result.layerDifferences(), new double[] {
                    result.layerSquaredNorms()[0] - result.layerSquaredNorms()[1]}, 0.0);
                assertThrows(UnsupportedOperationException.class, () -> result.stepHalvedAt().add(1L));
            }
        }
    }
}
