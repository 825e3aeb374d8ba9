package org.autobalance.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.autobalance.memory.DType;
import org.autobalance.memory.SparseMatrix;
import org.autobalance.testing.RandomSparse;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The parallel pass's row chunks of a sparse M: contiguous, covering, each within one row of an equal share. */
class EqualWorkTest {
    @ParameterizedTest
    @EnumSource(RandomSparse.Pattern.class)
    void chunksSplitRowsByStoredEntries(RandomSparse.Pattern pattern) {
        RandomSparse.Sample s = RandomSparse.sample(pattern, 200, 150, 3);
        try (SparseMatrix m = s.matrix(DType.FLOAT64)) {
            for (int parts : new int[] {1, 2, 3, 8}) {
                int[] b = IterationEngine.equalWork(m, parts);
                assertEquals(parts + 1, b.length);
                assertEquals(0, b[0]);
                assertEquals(m.rows(), b[parts]);
                long work = m.nonZeros() + m.rows();
                long heaviestRow = 0;
                for (int i = 0; i < m.rows(); i++) {
                    heaviestRow = Math.max(heaviestRow, m.rowStart(i + 1) - m.rowStart(i) + 1);
                }
                for (int c = 0; c < parts; c++) {
                    assertTrue(b[c] <= b[c + 1]);
                    long chunk = m.rowStart(b[c + 1]) - m.rowStart(b[c]) + (b[c + 1] - b[c]);
                    // each chunk is within one row of its even share
                    assertTrue(chunk <= work / parts + heaviestRow + 1, pattern + " chunk " + c + " of " + parts
                            + " holds " + chunk + " of " + work);
                }
            }
        }
    }
}
