package org.autobalance.spark.cli;

import static org.autobalance.testing.Fixtures.jsonNumber;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
 * child JVM with its own embedded Spark (10–20 s of the test's time: the one process test of the module).
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
        // a run far longer than the test; its first checkpoint says that it is iterating
        Process p = ChildJvm.start(ChildJvm.command(List.of("--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-Dlog4j2.configurationFile=classpath:autobalance-spark-log4j2.properties"), SparkMain.class,
                "--master", "local[1]", "--input", Fixtures.fixture("shards-M.mtx").toString(), "--rank", "3",
                "--tol", "0", "--max-iter", "100000000", "--checkpoint", checkpoints.toString(),
                "--checkpoint-every", "20", "--out", out.toString(), "--log", log.toString()),
                dir.resolve("child.out"));
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (!Files.exists(checkpoints.resolve("checkpoint"))) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroyForcibly().waitFor();
                fail("the child never iterated:\n" + Files.readString(dir.resolve("child.out")));
            }
            Thread.sleep(20);
        }
        p.destroy();
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), "the signalled child did not exit");
        String childOut = Files.readString(dir.resolve("child.out"));
        assertEquals(128 + 15, p.exitValue(), childOut);
        assertTrue(childOut.contains("interrupted: stopping after this iteration"), childOut);
        assertTrue(!childOut.contains("autobalance: error"), childOut);
        String summary = Files.readString(out.resolve("summary.json"));
        assertTrue(summary.contains("\"stop_reason\":\"cancelled\"") && summary.contains("\"engine\":\"spark\""),
                summary);
        long iterations = (long) jsonNumber(summary, "iterations");
        assertTrue(iterations >= 20, "stopped after " + iterations + " iterations, before the first checkpoint");
        assertEquals(iterations, Files.readAllLines(log).size(), "records in the log");
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(List.of("U.mtx", "V.mtx", "summary.json"),
                    files.map(f -> f.getFileName().toString()).sorted().toList(), "files in --out");
        }
    }
}
