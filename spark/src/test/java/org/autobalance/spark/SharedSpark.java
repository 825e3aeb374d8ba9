package org.autobalance.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * One local Spark per test JVM (starting one takes 10–20 s): {@code local[2,3]}, two task threads and up to three
 * attempts per task (plain {@code local[2]} never retries a failed task, and the failure test needs a retry), with a
 * checkpoint directory so the tests run the reliable checkpoints a cluster would. Spark's own shutdown hook stops it.
 */
public final class SharedSpark {
    private static JavaSparkContext context;

    private SharedSpark() {
    }

    public static synchronized JavaSparkContext context() {
        if (context == null) {
            SparkConf conf = new SparkConf().setMaster("local[2,3]").setAppName("autobalance-spark-tests")
                    .set("spark.ui.enabled", "false")
                    .set("spark.driver.host", "127.0.0.1")
                    .set("spark.sql.shuffle.partitions", "2");
            context = new JavaSparkContext(conf);
            context.setLogLevel("ERROR");
            try {
                Path checkpoints = Files.createTempDirectory("autobalance-spark-checkpoints");
                context.setCheckpointDir(checkpoints.toString());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return context;
    }
}
