package org.autobalance.cli;

import java.nio.file.Path;
import java.util.List;
import org.autobalance.io.MatrixMarket;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.synthetic.KnownMatrices;
import org.autobalance.testing.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A factorisation stopped by a signal (SIGTERM here, as {@link Process#destroy()} sends; Ctrl-C's SIGINT takes the
 * same path) ends its run after the current iteration and writes everything a finished run writes: the factors, a
 * summary with stop reason {@code cancelled}, a log holding exactly the iterations done — and no staging leftovers.
 */
class InterruptTest {
    @TempDir
    Path dir;

    @Test
    void aSignalledRunStopsAndWritesWhatItReached() throws Exception {
        Path input = dir.resolve("M.mtx");
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, KnownMatrices.withSpectrum(300, 200,
                new double[] {5, 4, 3, 2.5, 2, 1.5, 1, 0.5}, 17))) {
            MatrixMarket.write(input, m, null);
        }
        Path out = dir.resolve("out");
        Path log = dir.resolve("run.jsonl");
        Path checkpoints = dir.resolve("ck");
        // a run far longer than the test
        ChildJvm.assertASignalledRunWritesWhatItReached(ChildJvm.command(List.of(), Main.class, "factorize",
                "--input", input.toString(), "--rank", "6", "--tol", "0", "--max-iter", "100000000", "--checkpoint",
                checkpoints.toString(), "--checkpoint-every", "20", "--out", out.toString(), "--log", log.toString()),
                checkpoints, out, log, dir.resolve("child.out"));
    }
}
