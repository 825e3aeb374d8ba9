package org.autobalance.spark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.autobalance.testing.ChildJvm;
import org.autobalance.testing.Fixtures;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code spark-factorize} stopped by a signal (SIGTERM, as {@link Process#destroy()} sends; Ctrl-C's SIGINT takes the
 * same path) ends its run after the current iteration and writes what {@code factorize} writes then: factors, a summary
 * with stop reason {@code cancelled}, the log of exactly the iterations done, no staging leftovers. Before, Spark's
 * shutdown hook stopped the context under the running job ("SparkContext has been shutdown", nothing written). A
 * child JVM with its own embedded Spark (10–20 s of the test's time: the one process test of the module). Its
 * {@code --checkpoint-dir} is left empty: Spark kept the files of every lineage cut there, and the directory it makes
 * for each context.
 */
@Tag("spark")
class SparkInterruptTest {
    @TempDir
    Path dir;

    @Test
    void aSignalledRunStopsAndWritesWhatItReached() throws Exception {
        Path out = dir.resolve("out");
        Path log = dir.resolve("run.jsonl");
        Path checkpoints = dir.resolve("ck");
        Path lineage = Files.createDirectory(dir.resolve("lineage"));
        // a run far longer than the test
        String childOut = ChildJvm.assertASignalledRunWritesWhatItReached(ChildJvm.command(List.of("--add-modules",
                "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-Dlog4j2.configurationFile=classpath:autobalance-spark-log4j2.properties"), SparkMain.class,
                "--master", "local[1]", "--input", Fixtures.fixture("shards-M.mtx").toString(), "--rank", "3",
                "--tol", "0", "--max-iter", "100000000", "--checkpoint", checkpoints.toString(),
                "--checkpoint-every", "20", "--checkpoint-dir", lineage.toString(), "--lineage-every", "5",
                "--out", out.toString(), "--log", log.toString()),
                checkpoints, out, log, dir.resolve("child.out"));
        assertFalse(childOut.contains("autobalance: error"), childOut);
        assertTrue(Files.readString(out.resolve("summary.json")).contains("\"engine\":\"spark\""));
        try (Stream<Path> left = Files.walk(lineage)) {
            assertEquals(List.of(lineage), left.toList(), "left in --checkpoint-dir");
        }
    }
}
