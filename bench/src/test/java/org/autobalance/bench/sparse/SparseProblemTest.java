package org.autobalance.bench.sparse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.autobalance.memory.DType;
import org.autobalance.memory.SparseMatrix;
import org.junit.jupiter.api.Test;

/** The two traffic counts of the benchmark's floor, on a matrix small enough to count by hand. */
class SparseProblemTest {

    @Test
    void trafficCountsTheStoredEntriesTheirTwoGatheredRowsAndTheDenseArrays() {
        // 3 × 2, 4 stored entries, float32 (b = 4), r = 5: every term an exact small integer, so equality is exact
        try (SparseMatrix.Builder b = SparseMatrix.builder(3, 2, 4)) {
            b.add(0, 0, 1.0);
            b.add(0, 1, 2.0);
            b.add(2, 1, 3.0);
            b.add(1, 0, 4.0);
            try (SparseMatrix m = b.build(DType.FLOAT32)) {
                int r = 5;
                // entries 4·(4 + 4) = 32, row pointers 8·4 = 32, dense arrays 5·4·(5·3 + 6·2) = 540
                assertEquals(32 + 32 + 540, SparseProblem.streamedBytes(m, r));
                // plus two gathered rows of 5·4 bytes per stored entry: 4·2·20 = 160
                assertEquals(32 + 32 + 540 + 160, SparseProblem.trafficBytes(m, r));
            }
        }
    }
}
