package org.autobalance.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.synthetic.KnownMatrices;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code autobalance demo}: factorise a built-in problem, a rank-{@value #RANK} matrix plus Gaussian noise, so the
 * best achievable relative error is known in advance (about the noise level).
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Factorise a built-in problem: a " + DemoCommand.ROWS + " x " + DemoCommand.COLS
                + " matrix of rank " + DemoCommand.RANK + " plus noise, from a small random start.",
            "Shows progress, the final relative error, the balance |U'U - V'V|_F and where the outputs went."})
final class DemoCommand implements Callable<Integer> {
    static final int ROWS = 2000;
    static final int COLS = 1500;
    static final int RANK = 10;
    /** Standard deviation of the noise entries, relative to the typical entry of the low-rank part. */
    static final double NOISE = 0.01;

    @Spec
    private CommandSpec spec;

    @Mixin
    private SolverOptions options;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "autobalance-demo",
            description = "Directory for U, V and summary.json (default: ${DEFAULT-VALUE}).")
    private Path out;

    @Mixin
    private OutFormatOption outFormat;

    @Option(names = "--log", paramLabel = "FILE.jsonl", description = "Write one JSON object per iteration here.")
    private Path log;

    @Override
    public Integer call() throws Exception {
        Interruption.preparingRun();
        var printer = spec.commandLine().getOut();
        RunOutputs.Format format = outFormat.format();
        DType dtype = options.validate().dtype();
        try (Destinations destinations = Destinations.claim(out, format.factorFiles()::contains, log, null,
                options.startFiles());
                DenseMatrix m = DenseMatrix.allocate(dtype, ROWS, COLS)) {
            double noiseShare = fill(m);
            printer.printf("demo: M = A B' + noise, %d x %d, rank %d; noise |N|_F/|M|_F = %.3e "
                    + "(the best rank-%d relative error is just below this)%n", ROWS, COLS, RANK, noiseShare, RANK);
            Map<String, Object> extra = new LinkedHashMap<>(Map.of("input", "demo", "noise_relative", noiseShare));
            extra.putAll(options.limits(dtype));
            SolverRun.execute(printer, "demo problem", m, RANK, options, null, destinations, format, new RunClock(),
                    extra);
        }
        return 0;
    }

    /** Fills M = A·Bᵀ/√r + N with Gaussian A, B and N ~ N(0, NOISE²); returns ‖N‖_F / ‖M‖_F. */
    private static double fill(DenseMatrix m) {
        SplittableRandom random = new SplittableRandom(2018);
        double[][] a = KnownMatrices.gaussian(ROWS, RANK, 1.0, 2019);
        double[][] b = KnownMatrices.gaussian(COLS, RANK, 1.0, 2020);
        double scale = 1 / Math.sqrt(RANK);
        double noiseSquared = 0.0;
        double totalSquared = 0.0;
        for (int i = 0; i < ROWS; i++) {
            for (int j = 0; j < COLS; j++) {
                double x = 0.0;
                for (int k = 0; k < RANK; k++) {
                    x += a[i][k] * b[j][k];
                }
                double noise = NOISE * random.nextGaussian();
                double value = scale * x + noise;
                m.set(i, j, value);
                noiseSquared += noise * noise;
                totalSquared += value * value;
            }
        }
        return Math.sqrt(noiseSquared / totalSquared);
    }
}
