package org.autobalance.spark;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.stream.Stream;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.junit.jupiter.api.Test;

/**
 * The native scratch a cached block lends its tasks (no Spark): the iterations' and the power iterations' passes take
 * the scratch of their shape back instead of allocating, two shapes are kept, and nothing outlives the block.
 */
class MatrixBlockScratchTest {
    private static final DType F64 = DType.FLOAT64;

    @Test
    void eachShapeGetsItsScratchBackTwoAreKeptAndTheBlockFreesThem() {
        MatrixBlock block = new MatrixBlock(0, 0, DenseMatrix.allocate(F64, 7, 5));
        // an iteration at rank 3, then a plateau test's residual pass: its one column and U's rows (rank 3) at once
        MatrixBlock.Scratch rank3 = block.takeScratch(F64, 3, 2);
        block.giveBack(rank3);
        MatrixBlock.Scratch column = block.takeScratch(F64, 1, 2);
        MatrixBlock.Scratch rank3Again = block.takeScratch(F64, 3, 2);
        assertSame(rank3, rank3Again, "the iterations' scratch, taken back");
        assertTrue(column.u().cols() == 1 && column.mtu().length == 2 && column.v().rows() == 5);
        block.giveBack(column);
        block.giveBack(rank3Again);
        for (int pass = 0; pass < 3; pass++) {
            MatrixBlock.Scratch c = block.takeScratch(F64, 1, 2);
            MatrixBlock.Scratch u = block.takeScratch(F64, 3, 2);
            assertSame(column, c, "pass " + pass);
            assertSame(rank3, u, "pass " + pass);
            block.giveBack(c);
            block.giveBack(u);
        }
        // another thread count is another shape; a third shape makes the least recently returned (the column) go
        MatrixBlock.Scratch fourThreads = block.takeScratch(F64, 3, 4);
        assertNotSame(rank3, fourThreads);
        block.giveBack(fourThreads);
        assertTrue(closed(column), "evicted, freed");
        assertFalse(closed(rank3) || closed(fourThreads), "kept");
        // a second scratch of a kept shape (a speculative task's) is freed when given back
        MatrixBlock.Scratch first = block.takeScratch(F64, 3, 2);
        MatrixBlock.Scratch second = block.takeScratch(F64, 3, 2);
        assertNotSame(first, second);
        block.giveBack(first);
        block.giveBack(second);
        assertTrue(closed(second) && !closed(first));

        block.close();
        assertTrue(closed(first) && closed(fourThreads) && block.rows().isClosed(), "freed with the block");
        MatrixBlock.Scratch late = block.takeScratch(F64, 3, 2);
        block.giveBack(late);
        assertTrue(closed(late), "given back after the block closed");
    }

    private static boolean closed(MatrixBlock.Scratch s) {
        return Stream.concat(Stream.of(s.u(), s.v(), s.mv()), Arrays.stream(s.mtu())).allMatch(DenseMatrix::isClosed);
    }
}
