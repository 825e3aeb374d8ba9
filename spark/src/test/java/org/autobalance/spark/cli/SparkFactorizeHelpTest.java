package org.autobalance.spark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.autobalance.cli.SparkFactorizeOptions;
import org.autobalance.spark.SparkFactorizer;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The launcher prints {@code spark-factorize --help} from the command line's jar, which has the command's options but
 * not Spark ({@link SparkFactorizeOptions}): that help must be the running command's, which adds no option of its own
 * and whose {@code --lineage-every} default is the factorizer's.
 */
class SparkFactorizeHelpTest {
    @Test
    void theCommandLinesHelpIsTheRunningCommands() {
        assertEquals(new CommandLine(new SparkFactorizeOptions()).getUsageMessage(),
                new CommandLine(new SparkFactorizeCommand()).getUsageMessage());
        assertEquals(SparkFactorizer.DEFAULT_LINEAGE_EVERY, SparkFactorizeOptions.DEFAULT_LINEAGE_EVERY);
    }
}
