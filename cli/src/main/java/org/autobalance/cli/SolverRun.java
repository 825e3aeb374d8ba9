package org.autobalance.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.observe.IterationListener;
import org.autobalance.observe.IterationRecord;
import org.autobalance.observe.JsonLinesLog;
import org.autobalance.solve.Factorizer;
import org.autobalance.solve.Result;
import org.autobalance.solve.StopReason;

/** Runs the solver for a command: progress, the iteration log, the outputs and the printed summary. */
final class SolverRun {
    private SolverRun() {
    }

    /**
     * Factorises {@code m} and reports.
     *
     * @param label what M is, for the printed summary (a file name or "demo problem")
     * @param out the output directory, or null for none
     * @param outFormat the file format of the factors written to {@code out}
     * @param log the JSON-lines iteration log, or null for none
     * @param clock the phases so far (loading M); the first iteration and the end are added, and all go to the
     *        summary as {@code "clock"}
     */
    static void execute(PrintWriter printer, String label, DenseMatrix m, int rank, SolverOptions options, Path out,
            RunOutputs.Format outFormat, Path log, RunClock clock, Map<String, Object> extraSummary)
            throws IOException {
        List<DenseMatrix> owned = new ArrayList<>();
        try (RunOutputs outputs = out == null ? null : new RunOutputs(out, outFormat)) {
            Factorizer factorizer = options.builder(m, rank, owned).build();
            Path logStaging = log == null ? null : stagingFor(log);
            Result finished;
            IterationRecord[] first = new IterationRecord[1];
            IterationListener keepFirst = rec -> {
                if (first[0] == null) {
                    first[0] = rec;
                    clock.mark("first_iteration");
                }
            };
            try (JsonLinesLog logWriter = logStaging == null ? null : new JsonLinesLog(logStaging);
                    ProgressDisplay progress = ProgressDisplay.create("rank " + rank, options.maxIterations)) {
                finished = logWriter == null ? factorizer.run(progress, keepFirst)
                        : factorizer.run(progress, keepFirst, logWriter);
            } finally {
                if (logStaging != null && Files.exists(logStaging)) {
                    // the log of a diverged run is complete too: it shows how the run diverged
                    Files.move(logStaging, log, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                }
            }
            try (Result result = finished) {
                clock.mark("done");
                Map<String, Object> summary = result.summary();
                summary.putAll(extraSummary);
                summary.put("clock", clock.marks());
                printer.printf("%s (%d x %d, %s), rank %d: %d iterations, stopped: %s, %.2f s%n", label, m.rows(),
                        m.cols(), m.dtype().label(), rank, result.iterations(), result.stopReason().label(),
                        result.seconds());
                if (result.stopReason() == StopReason.PLATEAU) {
                    printer.println("the limit ended the run on a saddle plateau (some directions not yet learned): "
                            + "more iterations (--max-iter, --max-seconds) would lower the error");
                }
                printer.printf("relative error %.6e   loss %.6e   balance |U'U - V'V|_F %.3e   |U|_F %.4g"
                        + "   |V|_F %.4g%n", result.relativeError(), result.loss(), result.balance(), result.normU(),
                        result.normV());
                if (first[0] != null) {
                    // the paper's point: |U'U - V'V| is (nearly) conserved while the factors grow
                    printer.printf("at the start: balance %.3e, |U|_F %.4g, |V|_F %.4g%n", first[0].balance(),
                            first[0].normU(), first[0].normV());
                }
                printer.printf("schedule %s, %s kernels, %d thread(s)%n", result.schedule(), result.kernels(),
                        result.threads());
                if (outputs != null) {
                    List<Path> written = outputs.commit(result, summary);
                    printer.println("wrote " + String.join(", ", written.stream().map(Path::toString).toList()));
                }
            }
            if (log != null) {
                printer.println("iteration log " + log);
            }
        } finally {
            owned.forEach(DenseMatrix::close);
        }
    }

    /** Where the log is written during the run (moved to {@code log} at the end); its directory must exist. */
    static Path stagingFor(Path log) {
        Path parent = log.toAbsolutePath().getParent();
        if (!Files.isDirectory(parent)) {
            throw new UsageException("--log " + log + ": directory " + parent + " does not exist", null);
        }
        return parent.resolve("." + log.getFileName() + ".partial");
    }
}
