package org.autobalance.spark.cli;

import java.io.PrintWriter;
import org.autobalance.cli.Main;

/**
 * The entry point of the application jar: {@code spark-factorize} alone, so that the launcher's other commands never
 * load Spark. Exit codes as {@link Main}: 0 success, 1 the run failed, 2 invalid usage or input.
 */
public final class SparkMain {
    private SparkMain() {
    }

    public static void main(String[] args) {
        System.exit(Main.execute(new SparkFactorizeCommand(), new PrintWriter(System.out, true),
                new PrintWriter(System.err, true), args));
    }
}
