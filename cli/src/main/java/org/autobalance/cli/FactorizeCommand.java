package org.autobalance.cli;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import org.autobalance.memory.DenseMatrix;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code autobalance factorize}: factorise a Matrix Market or NumPy file. */
@Command(name = "factorize", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Find U (d1 x r) and V (d2 x r) minimising 1/2 |UV' - M|_F^2 by gradient descent.",
            "Writes U and V (.mtx or .npy, --out-format) and summary.json to --out (all or nothing) and one JSON "
                + "object per iteration to --log."})
final class FactorizeCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--input", required = true, paramLabel = "M.mtx|M.npy",
            description = "The matrix M: a NumPy .npy file (2-D, float32 or float64, C or Fortran order) if the name "
                    + "ends in .npy, otherwise a Matrix Market file (array or coordinate; real or integer; general "
                    + "or symmetric).")
    private Path input;

    @Option(names = "--rank", required = true, paramLabel = "R", description = "The rank r, 1 <= r <= min(d1, d2).")
    private int rank;

    @Mixin
    private SolverOptions options;

    @Option(names = "--out", paramLabel = "DIR", description = "Directory for U, V and summary.json.")
    private Path out;

    @Mixin
    private OutFormatOption outFormat;

    @Option(names = "--log", paramLabel = "FILE.jsonl", description = "Write one JSON object per iteration here.")
    private Path log;

    @Override
    public Integer call() throws Exception {
        RunOutputs.Format format = outFormat.format();
        RunClock clock = new RunClock();
        clock.mark("load_start");
        try (DenseMatrix m = SolverOptions.read(input, options.dtype(), "M")) {
            clock.mark("loaded");
            SolverRun.execute(spec.commandLine().getOut(), input.toString(), m, rank, options, out, format, log,
                    clock, Map.of("input", input.toString(), "load_seconds", clock.between("load_start", "loaded")));
        }
        return 0;
    }
}
