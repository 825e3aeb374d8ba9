package org.autobalance.solve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.network.Architecture;
import org.autobalance.network.NetworkResult;
import org.autobalance.network.NetworkTrainer;
import org.autobalance.solve.internal.IterationMonitor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checkpoint a cancelled run writes of the iterate it returns is at best: when it cannot be written the run still
 * returns its factors, and says so in one line (through {@code System.Logger}, read here: a test in core's module
 * cannot). Before, the write's failure propagated, the factors were freed, and the command wrote nothing.
 */
class CancelCheckpointFailureTest {
    @TempDir
    Path dir;

    /** The reviewer's trick: the checkpoint file made a directory (not empty: a move may replace an empty one). */
    @Test
    void aCancelledRunWhoseCheckpointFailsReturnsItsFactors() {
        Path ck = dir.resolve("ck");
        CancelToken token = new CancelToken();
        List<String> warnings;
        try (LogCapture log = LogCapture.of(IterationMonitor.class);
                DenseMatrix m = DenseMatrix.of(DType.FLOAT64, new double[][] {{1, 2}, {3, 4}, {5, 6}});
                Result r = Factorizer.builder(m, 1).maxIterations(100).tolerance(0).threads(1).checkpoint(ck, 10, null)
                        .cancelToken(token).listener(rec -> {
                            if (rec.iteration() == 24) {
                                token.cancel();
                                blockWithADirectory(ck.resolve(Checkpoint.FILE));
                            }
                        }).build().run()) {
            assertEquals(StopReason.CANCELLED, r.stopReason());
            assertEquals(25, r.iterations());
            assertEquals(3, r.u().toArray().length, "the factors are returned");
            warnings = log.messages();
        }
        assertEquals(1, warnings.size(), warnings.toString());
        String line = warnings.get(0);
        assertTrue(line.startsWith("checkpoint of iteration 25 not written (cannot write the checkpoint of iteration "
                + "25 to " + ck + " (") && line.endsWith("); --resume continues from 20"), line);
        assertTrue(Files.isDirectory(ck.resolve(Checkpoint.FILE)), "nothing half-written over the directory");
    }

    /** The same for a network. */
    @Test
    void aCancelledNetworkWhoseCheckpointFailsReturnsItsParameters() {
        Path ck = dir.resolve("ck");
        CancelToken token = new CancelToken();
        List<String> warnings;
        try (LogCapture log = LogCapture.of(IterationMonitor.class);
                DenseMatrix x = DenseMatrix.of(DType.FLOAT64, new double[][] {{1, 0}, {0, 1}, {1, 1}});
                DenseMatrix y = DenseMatrix.of(DType.FLOAT64, new double[][] {{1}, {2}, {3}});
                NetworkResult r = NetworkTrainer.builder(x, y, Architecture.parse("dense:2,dense:1", 2, null))
                        .maxIterations(100).tolerance(0).checkpoint(ck, 10, null).cancelToken(token).listener(rec -> {
                            if (rec.iteration() == 24) {
                                token.cancel();
                                blockWithADirectory(ck.resolve(Checkpoint.FILE));
                            }
                        }).build().run()) {
            assertEquals(StopReason.CANCELLED, r.stopReason());
            assertEquals(25, r.iterations());
            assertEquals(2, r.parameters().weights(1).rows(), "the parameters are returned");
            warnings = log.messages();
        }
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).startsWith("checkpoint of iteration 25 not written (cannot write the checkpoint of "
                + "iteration 25 to " + ck + " (") && warnings.get(0).endsWith("); --resume continues from 20"),
                warnings.get(0));
    }

    private static void blockWithADirectory(Path file) {
        try {
            Files.delete(file);
            Files.createDirectories(file.resolve("block"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
