package org.autobalance.cli;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.solve.Factorizer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * The solver options of {@code factorize} and {@code demo} as the command line parses them: any argument list gives a
 * valid configuration or a usage error ({@link CommandLine.ParameterException} from picocli, {@link UsageException}
 * from the option values, {@link IllegalArgumentException} from the builder's checks — all exit code 2), never another
 * exception. Each input line is one argument (seeds in {@code SolverOptionsFuzzTestInputs/arguments/}); arguments
 * naming files ({@code --init file:…}) are skipped, so that the fuzzer cannot make the test read the machine's files.
 */
class SolverOptionsFuzzTest {
    @Command(name = "fuzz")
    static final class Holder {
        @Mixin
        SolverOptions options;
    }

    @FuzzTest(maxDuration = "10s")
    void arguments(byte[] data) {
        String[] args = new String(data, StandardCharsets.UTF_8).split("\n", -1);
        for (String a : args) {
            if (a.contains("file:")) {
                return;
            }
        }
        Holder holder = new Holder();
        try {
            // configured as Main configures it: no @argument files
            new CommandLine(holder).setExpandAtFiles(false).parseArgs(args);
        } catch (CommandLine.ParameterException usage) {
            return;
        }
        List<DenseMatrix> owned = new ArrayList<>();
        DType dtype;
        try {
            dtype = holder.options.dtype();
        } catch (UsageException usage) {
            return;
        }
        try (DenseMatrix m = DenseMatrix.of(dtype, new double[][] {{1, 2}, {3, 4}, {5, 6}})) {
            Factorizer f = holder.options.builder(m, 1, owned).build();
            assertNotNull(f);
        } catch (UsageException | IllegalArgumentException usage) {
            // documented
        } finally {
            owned.forEach(DenseMatrix::close);
        }
    }
}
