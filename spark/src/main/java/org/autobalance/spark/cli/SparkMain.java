package org.autobalance.spark.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.util.ShutdownHookManager;
import org.autobalance.cli.Interruption;
import org.autobalance.cli.Main;
import org.autobalance.cli.StandardOutput;

/**
 * The entry point of the application jar: {@code spark-factorize} alone, so that the launcher's other commands never
 * load Spark. Exit codes as {@link Main}: 0 success, 1 the run failed, 2 invalid usage or input.
 */
public final class SparkMain {
    private SparkMain() {
    }

    /**
     * Spark's shutdown hooks (among them the one that stops the context) run inside one hook of Hadoop's manager at
     * priority 40 (checked in the bytecode of Spark 4.2's {@code SparkShutdownHookManager.install}); the manager runs
     * its hooks one after another, highest priority first. Ctrl-C's hook goes there at a higher one, so the context
     * stays up while the run ends its iteration and writes its outputs.
     */
    private static final int BEFORE_SPARK = 50;

    /** Runs {@code spark-factorize} with {@code args} (its options, as README lists them) and exits with its code. */
    public static void main(String[] args) {
        // numbers in the results are read by scripts: 1.5e-03, never the locale's 1,5e-03 (a German LANG gave
        // "relative error 9,999999e-01"); all categories, as PrintWriter.printf formats in Locale.getDefault()
        Locale.setDefault(Locale.ROOT);
        Interruption.install(hook -> ShutdownHookManager.get().addShutdownHook(hook, BEFORE_SPARK,
                Interruption.GRACE_SECONDS + 5, TimeUnit.SECONDS));
        int code;
        try {
            code = Main.execute(new SparkFactorizeCommand(), StandardOutput.open(),
                    new PrintWriter(System.err, true), args);
        } finally {
            Interruption.reported();
        }
        System.exit(code);
    }
}
