package org.autobalance.cli;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.autobalance.io.internal.FileChecks;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code autobalance reproduce EXPERIMENT}: runs one of the paper's checkable predictions (native-notes/paper.md) and
 * writes EXPERIMENT.json, EXPERIMENT.csv and EXPERIMENT.png. Exit code 0 when every verdict is pass, 1 otherwise.
 */
@Command(name = "reproduce", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Reproduce a prediction of Du, Hu & Lee (2018) and its follow-ups: fig1, decay, rank1, "
                + "flow-limit, stability, overparam, fig2 (deep networks), or all.",
            "Writes DIR/EXPERIMENT.json (parameters, measurements, prediction, verdict), DIR/EXPERIMENT.csv "
                + "(the plotted trajectories) and DIR/EXPERIMENT.png, and prints a one-line verdict."})
final class ReproduceCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Parameters(paramLabel = "EXPERIMENT",
            description = "fig1, decay, rank1, flow-limit, stability, overparam, fig2 or all.")
    private String experiment;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "reproduce",
            description = "Output directory (default: ${DEFAULT-VALUE}).")
    private Path out;

    @Override
    public Integer call() throws Exception {
        List<String> names = experiment.equals("all") ? Experiments.NAMES : List.of(experiment);
        for (String name : names) {
            if (!Experiments.ALL.containsKey(name)) {
                throw new UsageException("unknown experiment '" + name + "': expected one of "
                        + String.join(", ", Experiments.NAMES) + " or all", null);
            }
        }
        // written after each experiment's run (all of them take minutes): a destination that cannot be written is
        // named now, not as a bare path and exit 1 after the first run
        FileChecks.requireWritableDirectory("--out", out);
        if (Files.isDirectory(out)) {
            try {
                // what a reproduce killed while writing left, before minutes of experiments
                Staging.removeAbandoned(out);
            } catch (IOException e) {
                throw new UsageException("--out " + out + ": cannot list it (" + FileChecks.reason(e) + ")", e);
            }
        }
        // the plots are rendered off-screen: no display is needed (or wanted) on a build machine
        System.setProperty("java.awt.headless", "true");
        boolean made = !Files.exists(out);
        boolean allPass = true;
        var printer = spec.commandLine().getOut();
        for (String name : names) {
            ExperimentReport report = Experiments.ALL.get(name).get();
            ExperimentReport.Rendered files = report.render();
            // before the write: a report that cannot be written (a full disk) still says what the experiment found;
            // after the rendering, which a signal ends at once: then the verdict is not printed either (it was, and
            // no file followed it, found by a new user)
            printer.println(report.verdictLine());
            try (WriteGuard _ = WriteGuard.hold()) {
                files.write(out);
            } catch (FileSystemException e) {
                if (made) {
                    // this run made it, and it was left empty; not when an earlier experiment of `all` wrote there
                    try {
                        Files.deleteIfExists(out);
                    } catch (IOException _) {
                        // not empty: the earlier experiments' reports stay
                    }
                }
                throw new IOException("--out " + out + ": cannot write " + Path.of(e.getFile()).getFileName() + " ("
                        + FileChecks.reason(e) + ")", e);
            }
            allPass &= report.pass;
        }
        return allPass ? 0 : Main.EXIT_FAILED;
    }

    /**
     * Holds the JVM's shutdown (Ctrl-C, SIGTERM) while a report is written, until its three files are in place: the
     * JVM ends once its shutdown hooks have run, without the main thread's finally blocks, and a signal during the
     * write left the staging directory (.rank1.…, with rank1.json in it) in --out. The files are rendered before (see
     * {@link ExperimentReport#render}), so the write is file I/O alone, well under a second; the wait is bounded as
     * {@link Interruption}'s. A signal during an experiment's run or its rendering ends the process at once, as
     * before: nothing of that experiment is written.
     */
    private static final class WriteGuard implements AutoCloseable {
        private final CountDownLatch written = new CountDownLatch(1);
        private final Thread hook = new Thread(this::awaitWritten, "autobalance-reproduce-write");

        static WriteGuard hold() {
            WriteGuard guard = new WriteGuard();
            try {
                Runtime.getRuntime().addShutdownHook(guard.hook);
            } catch (IllegalStateException shuttingDown) {
                // the signal came before the write began: the JVM ends without it; System.exit blocks until then
                System.exit(Main.EXIT_FAILED);
            }
            return guard;
        }

        private void awaitWritten() {
            try {
                written.await(Interruption.GRACE_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void close() {
            written.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running, and returns now that the files are in place
            }
        }
    }
}
