package org.autobalance.cli;

import static org.autobalance.cli.SolverOptions.option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.autobalance.io.internal.RunLock;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.NativeMemory;
import org.autobalance.network.Architecture;
import org.autobalance.network.Layer;
import org.autobalance.network.NetworkDivergenceException;
import org.autobalance.network.NetworkInitializer;
import org.autobalance.network.NetworkResult;
import org.autobalance.network.NetworkTrainer;
import org.autobalance.network.ParameterFiles;
import org.autobalance.network.Parameters;
import org.autobalance.observe.NetworkRecord;
import org.autobalance.schedule.StepSchedule;
import org.autobalance.solve.Checkpoint;
import org.autobalance.solve.StopReason;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code autobalance network}: train a deep homogeneous network by full-batch gradient descent. */
@Command(name = "network", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a deep homogeneous network (dense, conv1d, conv2d layers; linear, relu or leaky "
                + "activations) by full-batch gradient descent on L = 1/(2n) sum_i |f(x_i) - y_i|^2, every layer "
                + "updated from the same old iterate, and watch the conserved differences of squared layer norms.",
            "Writes W1.npy, W2.npy, ... (and b1.npy, ... with --bias) and summary.json to --out (all or nothing) "
                + "and one JSON object per iteration to --log."})
final class NetworkCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--data", required = true, paramLabel = "X.npy,Y.npy",
            description = "Inputs X (n x n_in, one sample per row, channel-major for convolutions) and targets Y "
                    + "(n x n_out): 2-D .npy files, delimited text (.csv, .tsv, .txt, .dat, also .gz) or Matrix "
                    + "Market files, by extension.")
    private String data;

    @Option(names = "--layers", required = true, paramLabel = "SPEC",
            description = {"Comma-separated layers, each dense:N, conv1d:C,K or conv2d:C,KH,KW (stride 1, no "
                    + "padding), optionally followed by linear, relu or leaky:A (0 < A < 1); none means linear.",
                "Example: dense:64,relu,dense:64,relu,dense:5"})
    private String layers;

    @Option(names = "--input-shape", paramLabel = "C,L|C,H,W",
            description = "Shape of one input sample for convolutions (its product must be X's columns).")
    private String inputShape;

    @Option(names = "--bias", description = "Give every layer a bias (the paper's model has none).")
    private boolean bias;

    @Option(names = "--dtype", paramLabel = "float32|float64", defaultValue = "float64",
            description = "Precision of the computation (default: ${DEFAULT-VALUE}).")
    private String dtype;

    @Option(names = "--schedule", paramLabel = "SPEC", defaultValue = "auto",
            description = {"Step sizes: auto[:C], constant:ETA or decay:ETA0,DELTA. Default: ${DEFAULT-VALUE}.",
                "auto: eta = C/sigma, C default 0.5; sigma = (N/2) lambda s^(2(N-1)/N) with lambda = "
                    + "lambda_max(X'X/n), s = sigma1(Y'X/n)/lambda: half the top Hessian eigenvalue at a balanced "
                    + "minimum of the depth-N linear network on white inputs; with --bias at least 1/2 (the last "
                    + "bias alone has curvature 1). ReLU networks grow sharper than that, so auto also backs off: "
                    + "when the loss becomes non-finite or exceeds twice max(L_0, |Y|^2/(2n)), the weights go back "
                    + "to the best iterate so far and eta halves (summary: step_halved_at; 30 halvings at most, "
                    + "then the run fails as diverged). constant and decay run as given."})
    private String schedule;

    @Option(names = "--init", paramLabel = "SPEC", defaultValue = "small",
            description = {"Starting weights: small[:S] (i.i.d. N(0, S^2), S default 0.01), xavier "
                    + "(N(0, 2/(fan_in + fan_out))) or file:DIR (DIR/W1.npy, ..., and DIR/b1.npy, ... with --bias). "
                    + "Biases start at 0 unless read. Default: ${DEFAULT-VALUE}."})
    private String init;

    @Option(names = "--max-iter", paramLabel = "N", defaultValue = "10000",
            description = "Iteration limit (default: ${DEFAULT-VALUE}).")
    private long maxIterations;

    @Option(names = "--tol", paramLabel = "EPS",
            description = {"Stop when |grad L| * sqrt(sum_h |W_h|^2 + |b_h|^2) <= EPS * |Y|_F^2 / n, at a minimiser "
                    + "(not a saddle plateau). 0 turns the test off: the run ends at --max-iter, or earlier where a "
                    + "step no longer changes the weights (stalled). Default: 1.0536712127723509e-8 (the square root "
                    + "of float64's unit roundoff 2^-53; in full, as a --resume compares it exactly) in float64, 1e-5 "
                    + "in float32."})
    private Double tolerance;

    @Option(names = "--max-seconds", paramLabel = "S",
            description = "Stop after S seconds of iterations (checked after every iteration). Default: no limit "
                    + "(inf says so too).")
    private String maxSeconds;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42",
            description = "Seed of the random start and of the sigma estimate (default: ${DEFAULT-VALUE}).")
    private long seed;

    @Option(names = "--threads", paramLabel = "T",
            description = "Worker threads (default: the number of processors). Results are bit-for-bit "
                    + "reproducible for a fixed seed, dtype and thread count.")
    private Integer threads;

    @Option(names = "--out", paramLabel = "DIR", description = "Directory for W*.npy, b*.npy and summary.json.")
    private Path out;

    @Option(names = "--log", paramLabel = "FILE.jsonl", description = "Write one JSON object per iteration here.")
    private Path log;

    @Mixin
    private Checkpointing checkpointing;

    @Override
    public Integer call() throws IOException {
        Interruption.preparingRun();
        DType type = option("--dtype", () -> DType.parse(dtype));
        String[] files = data.split(",", -1);
        if (files.length != 2 || files[0].isBlank() || files[1].isBlank()) {
            throw new UsageException("--data: expected X.npy,Y.npy, got '" + data + "'", null);
        }
        Path xFile = SolverOptions.path("--data", files[0].trim());
        Path yFile = SolverOptions.path("--data", files[1].trim());
        int[] shape = inputShape == null ? null : parseShape(inputShape);
        StepSchedule steps = option("--schedule", () -> StepSchedule.parse(schedule));
        SolverOptions.checkLimits(maxIterations, tolerance, threads);
        Duration timeLimit = SolverOptions.timeLimit(maxSeconds);
        // the start is checked before the data is read, as factorize checks its --init (a typo should not cost a load);
        // which files file:DIR must hold depends on the layers' shapes, known once X is read
        if (init.startsWith("file:") && init.substring("file:".length()).isBlank()) {
            // an empty path is the working directory, and the message named ": W1.npy"
            throw new UsageException("--init: file: names no directory (file:DIR, DIR holding W1.npy, W2.npy, ...)",
                    null);
        }
        Path initDirectory = init.startsWith("file:")
                ? SolverOptions.path("--init", init.substring("file:".length()).trim()) : null;
        if (initDirectory != null && !Files.isDirectory(initDirectory)) {
            throw new UsageException("--init: " + initDirectory + (Files.exists(initDirectory) ? " is not a directory"
                    : ": no such directory") + " (file:DIR names a directory of W1.npy, W2.npy, ...)", null);
        }
        NetworkInitializer parsedInit = initDirectory != null ? null
                : option("--init", () -> NetworkInitializer.parse(init));
        checkpointing.validate();
        Checkpoint resuming = checkpointing.plan().resume();
        if (resuming != null) {
            // before the data is read, as factorize does: a mistaken option should not cost a long read
            try {
                NetworkTrainer.requireSameOptions(resuming, type, bias, steps,
                        parsedInit != null ? parsedInit.describe() : NetworkInitializer.GIVEN, seed,
                        threads == null ? Runtime.getRuntime().availableProcessors() : threads,
                        tolerance == null ? Double.NaN : tolerance);
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage(), e);
            }
        }
        List<AutoCloseable> owned = new ArrayList<>();
        Destinations destinations = Destinations.claim(out, RunOutputs.PARAMETER_FILES, log, checkpointing,
                startFiles(initDirectory), xFile, yFile);
        owned.add(destinations);
        try {
            PrintWriter printer = spec.commandLine().getOut();
            SolverOptions.noteThreads(threads, printer::println);
            Heartbeat.current().phase("reading X and Y from " + data);
            DenseMatrix x = SolverOptions.read(xFile, type, "X", printer::println);
            owned.add(x);
            DenseMatrix y = SolverOptions.read(yFile, type, "Y", printer::println);
            owned.add(y);
            Architecture arch = option("--layers", () -> Architecture.parse(layers, x.cols(), shape));
            requireMemory(arch, x.rows(), type);
            noteRoom(printer, destinations, arch, steps, type);
            NetworkInitializer initializer = parsedInit;
            if (initDirectory != null) {
                try {
                    Parameters p = ParameterFiles.read(initDirectory, arch, type, bias);
                    owned.add(p);
                    initializer = NetworkInitializer.given(p);
                    noteUnreadFiles(printer, initDirectory, arch);
                } catch (IOException e) {
                    throw new UsageException("--init: cannot read the starting parameters from " + initDirectory
                            + ": " + e.getMessage(), e);
                }
            }
            NetworkTrainer.Builder b = NetworkTrainer.builder(x, y, arch).biases(bias).seed(seed)
                    .cancelToken(Interruption.token());
            option("--schedule", () -> b.schedule(steps));
            b.initializer(initializer);
            option("--max-iter", () -> b.maxIterations(maxIterations));
            if (tolerance != null) {
                option("--tol", () -> b.tolerance(tolerance));
            }
            b.timeLimit(timeLimit);
            option("--threads", () -> b.threads(threads == null ? Runtime.getRuntime().availableProcessors()
                    : threads));
            checkpointing.applyTo(b::resumeFrom, b::checkpoint);
            NetworkTrainer trainer = b.build();
            RunLog inPlace = SolverRun.openInPlace(log, destinations.logStaging(), checkpointing.resumedAt());
            if (inPlace != null) {
                owned.add(inPlace);
            }
            // Ctrl-C from here on ends the training after its iteration and writes what it reached, as factorize does
            Interruption.runStarted();
            try {
                Map<String, Object> configuration = configuration(type, shape, initDirectory);
                SolverRun.sayingWhatWasKept(destinations, () -> train(spec.commandLine().getOut(), trainer, arch, x,
                        files, steps, configuration, destinations.logStaging(), inPlace));
            } catch (NetworkDivergenceException e) {
                UsageException start = SolverOptions.startOutOfRange(init, e.iteration(), e.getMessage(), type);
                throw start != null ? start : e;
            }
        } finally {
            for (AutoCloseable c : owned.reversed()) {
                try {
                    c.close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return 0;
    }

    /**
     * Says that {@code --init file:DIR} holds files this run does not read: biases (a run with {@code --bias} wrote
     * them, and its continuation without the option started from the weights alone, without a word: its loss then far
     * above the one it continued), or the weights of a layer past the network's last.
     */
    private void noteUnreadFiles(PrintWriter printer, Path initDirectory, Architecture arch) {
        // a layer past the network's: the directory of a deeper network, or a --layers that lost a layer (a new
        // user's W3.npy went unread without a word, where unread biases were named)
        String next = ParameterFiles.weightFile(arch.depth() + 1);
        if (Files.exists(initDirectory.resolve(next))) {
            printer.println("note: --init " + initDirectory + " also holds " + next + ", not read: --layers has "
                    + arch.depth() + " parametric layers (a start for a deeper network?)");
        }
        if (bias) {
            return;
        }
        List<String> unread = new ArrayList<>();
        for (int h = 1; h <= arch.depth(); h++) {
            if (Files.exists(initDirectory.resolve(ParameterFiles.biasFile(h)))) {
                unread.add(ParameterFiles.biasFile(h));
            }
        }
        if (!unread.isEmpty()) {
            printer.println("note: --init " + initDirectory + " also holds " + String.join(", ", unread)
                    + ", not read: without --bias the network has no biases (give --bias to start from them)");
        }
    }

    /**
     * The parameter files in {@code --init file:DIR} ({@code W1.npy}, {@code b1.npy}, ...; none without it), which
     * {@code --log} must not name: they are read before the run and the log renamed over its target at the end.
     */
    private static List<Path> startFiles(Path initDirectory) throws IOException {
        if (initDirectory == null) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(initDirectory)) {
            return files.filter(f -> ParameterFiles.isParameterFile(f.getFileName().toString())).toList();
        }
    }

    /**
     * What reproduces the run beside the configuration {@link NetworkResult#summary} names, as factorize's summary
     * holds its seed: the seed, the tolerance that ran (the default in full), the limits, the input shape where given,
     * and a start read from files in the option's words (the result says "given").
     */
    private Map<String, Object> configuration(DType type, int[] shape, Path initDirectory) {
        Map<String, Object> c = new LinkedHashMap<>();
        if (initDirectory != null) {
            c.put("init", "file:" + initDirectory);
        }
        if (shape != null) {
            c.put("input_shape", String.join(",", Arrays.stream(shape).mapToObj(Integer::toString).toList()));
        }
        c.put("seed", seed);
        c.putAll(SolverOptions.limits(tolerance, maxIterations, maxSeconds, type));
        return c;
    }

    private void train(PrintWriter printer, NetworkTrainer trainer, Architecture arch, DenseMatrix x,
            String[] files, StepSchedule steps, Map<String, Object> configuration, Path logStaging, RunLog inPlace)
            throws IOException {
        boolean learnedNothing;
        try (RunOutputs outputs = out == null ? null : new RunOutputs(out)) {
            NetworkRecord[] first = new NetworkRecord[1];
            NetworkRecord[] last = new NetworkRecord[1];
            NetworkResult finished = null;
            RunLog logWriter = inPlace != null || logStaging == null ? inPlace
                    : RunLog.open(log, logStaging, checkpointing.resumedAt());
            try (logWriter; ProgressDisplay progress = ProgressDisplay.create(arch.describe(), maxIterations)) {
                List<org.autobalance.observe.NetworkListener> listeners = new ArrayList<>();
                listeners.add(progress);
                listeners.add(rec -> {
                    if (first[0] == null) {
                        first[0] = rec;
                    }
                    last[0] = rec;
                });
                if (logWriter != null) {
                    listeners.add(logWriter);
                }
                finished = trainer.run(listeners.toArray(org.autobalance.observe.NetworkListener[]::new));
            } catch (RuntimeException e) {
                throw RunLog.closing(e, finished);
            } finally {
                if (logWriter != null) {
                    logWriter.finish(false, checkpointing.resumedAt() >= 0);
                }
            }
            Heartbeat.current().phase(out == null ? arch.describe() + ": finishing the run"
                    : arch.describe() + ": writing the weights to " + out);
            try (NetworkResult result = finished) {
                Map<String, Object> summary = result.summary();
                summary.putAll(configuration);
                summary.put("samples", x.rows());
                summary.put("data", files[0].trim() + "," + files[1].trim());
                // with the result, not before the run, whose log or checkpoint may still refuse the resume
                SolverRun.noteResumeAtLimit(printer, checkpointing.resumedAt(), maxIterations);
                printer.printf("%s on %d samples (%s): %d iteration%s, stopped: %s, %.2f s%n", arch.describe(),
                        x.rows(), x.dtype().label(), result.iterations(), result.iterations() == 1 ? "" : "s",
                        result.stopReason().label(), result.seconds());
                // against the start's loss, a resumed run's from its checkpoint (NaN from one written before it was
                // kept: no fit, no line), so that it says what the whole run says
                double startLoss = result.startLoss();
                String nothing = Double.isNaN(startLoss) ? null : limitLearnedNothing(result.stopReason(),
                        Math.sqrt(result.loss() / startLoss), result.initializer(), arch.depth());
                if (nothing != null) {
                    printer.println(nothing);
                } else if (result.stopReason() == StopReason.PLATEAU) {
                    printer.println("the limit ended the run on a saddle plateau (some directions not yet learned): "
                            + "more iterations (--max-iter, --max-seconds) would lower the loss");
                }
                learnedNothing = result.stopReason() == StopReason.STALLED && !Double.isNaN(startLoss)
                        && !(result.loss() < startLoss);
                if (result.stopReason() == StopReason.STALLED) {
                    printer.println(stalled(x.dtype(), result.initializer(), arch.depth(), learnedNothing,
                            steps.needsSpectralNorm() || last[0] == null ? Double.NaN : last[0].eta(),
                            last[0] == null ? Double.NaN : relativeChange(last[0])));
                }
                printer.printf("loss %.6e   %s %s%n", result.loss(), bias ? "|W_h|^2 + |b_h|^2" : "|W_h|^2",
                        numbers(result.layerSquaredNorms()));
                double[] start = result.startLayerDifferences();
                // with --bias the differences are not those of the printed norms: b_{h+1} is not subtracted (the
                // conserved quantity), and a reader took 23.53 - 21.79 for the 1.943 printed
                String differences = "differences " + (bias ? "(|W_h|^2 + |b_h|^2) - |W_{h+1}|^2 "
                        : "|W_h|^2 - |W_{h+1}|^2 ") + numbers(result.layerDifferences());
                if (start != null) {
                    // the paper's point: the differences stay (nearly) where they started while the layers grow;
                    // a resumed run's too, against the same start as its unit drift (and as summary.json's drift)
                    printer.printf("%s (at the start %s), max unit drift %.3e%n", differences, numbers(start),
                            result.maxUnitInvariantChange());
                } else if (first[0] != null) {
                    // a checkpoint written before the start's differences were kept: its own, named as such
                    printer.printf("%s (%s %s), max unit drift %.3e since the start%n", differences,
                            SolverRun.firstRecord(first[0].iteration()), numbers(first[0].layerDifferences()),
                            result.maxUnitInvariantChange());
                }
                double[] baseline = start != null ? start : first[0] != null ? first[0].layerDifferences() : null;
                String drift = baseline == null || last[0] == null ? null : driftNote(baseline,
                        result.layerDifferences(), result.layerSquaredNorms(), last[0].eta());
                if (drift != null) {
                    printer.println(drift);
                }
                printer.printf("schedule %s, init %s, %s kernels, %d thread(s)%n", result.schedule(),
                        summary.get("init"), result.kernels(), result.threads());
                if (outputs != null) {
                    List<String> names = new ArrayList<>();
                    for (int h = 1; h <= arch.depth(); h++) {
                        names.add(ParameterFiles.weightFile(h));
                        if (bias) {
                            names.add(ParameterFiles.biasFile(h));
                        }
                    }
                    List<Path> written = outputs.commit(names,
                            dir -> ParameterFiles.write(dir, result.parameters()), summary);
                    outputs.report(printer, written);
                }
            }
            if (log != null) {
                printer.println("iteration log " + log);
            }
        }
        if (learnedNothing) {
            throw new SolverRun.LearnedNothing("the run learned nothing (its loss never fell below the start's): see "
                    + "the stalled line above");
        }
    }

    /**
     * The largest change of a layer difference, over the larger squared norm of its two layers, above which a run
     * says its step broke the conservation ({@link #driftNote}): 10 %, the balance the start's differences predict
     * then off by that much. Measured on the README's data (a 20-64-64-5 ReLU network, 10 000 iterations, and the
     * conv1d:8,5,relu,conv1d:8,3,relu,dense:5 one): steps that keep the differences give at most 0.8 % (constant:0.2
     * 0.17 %, constant:0.05 0.04 %, decay:1,0.1 0.009 %; conv1d at constant:0.025 0.05 %, constant:0.01 0.03 %; a
     * linear 3-layer network at auto 0.78 %); the auto step on these ReLU networks 28 %, 38 % with --bias, 82 % for the
     * conv1d one, 65 % for a 5-layer one from xavier; conv1d at constant:0.05 37 %, constant:0.1 58 % (network.md,
     * "Run-time notes").
     */
    static final double DRIFT_NOTE_FRACTION = 0.1;

    /**
     * The note of a run whose step moved the conserved differences by more than {@link #DRIFT_NOTE_FRACTION} of what
     * they measure — max_h |D_h − D_h(start)| / max(s_h, s_{h+1}), s the layers' squared norms at the end — or null.
     * Gradient descent changes them by η²(‖g_in‖² − ‖g_out‖²) a step; a step at the edge of stability (the auto step on
     * a ReLU network that has grown sharper than the linear one it is scaled to) makes that large. The advice: a step
     * twenty times smaller, which kept them on both README networks (conv1d's at a tenth still moved 37 %).
     */
    static String driftNote(double[] start, double[] end, double[] squaredNorms, double eta) {
        double worst = 0.0;
        for (int h = 0; h < end.length; h++) {
            double change = Math.abs(end[h] - start[h]) / Math.max(squaredNorms[h], squaredNorms[h + 1]);
            worst = change > worst || Double.isNaN(change) ? change : worst;
        }
        if (!(worst > DRIFT_NOTE_FRACTION)) {
            return null;
        }
        return String.format(Locale.ROOT, "note: the step is too large for the conserved differences to hold: "
                + "they moved by up to %.0f%% of their layers' squared norms (gradient descent changes them by O(η²) "
                + "a step); a smaller step keeps them: --schedule constant:%.2g (a twentieth of this run's η) with a "
                + "larger --max-iter, or decay:ETA0,DELTA", 100 * worst, eta / 20);
    }

    /**
     * What a run that a limit ended (max_iterations, time_limit, plateau) says when it learned nothing, its loss the
     * start's to six digits ({@link SolverRun#nothingLearned} of {@code fit}, √(L/L₀)); null otherwise. From a small
     * start the zero network is a saddle point flat to order N − 1: the iterations to leave it grow like 1/S^(N−2)
     * (a 5-layer ReLU network on the README's data: small:0.01 left it, 1 % below the start's loss, at iteration
     * 55 598, small:0.02 at 6 934, 55 598/8; small:0.03, small:0.1 and xavier learned within the default 10 000),
     * so a larger start is the advice, not more iterations; the plateau line's "more iterations would lower the loss"
     * was useless from small:1e-4.
     */
    static String limitLearnedNothing(StopReason reason, double fit, String initializer, int depth) {
        if (reason != StopReason.MAX_ITERATIONS && reason != StopReason.TIME_LIMIT && reason != StopReason.PLATEAU
                || !SolverRun.nothingLearned(fit)) {
            return null;
        }
        String fact = "the limit ended the run before it learned anything (the loss is still the start's to 6 digits)";
        if (!initializer.startsWith("small:")) {
            return fact + ": with this step the start may need many more iterations: more iterations (--max-iter, "
                    + "--max-seconds), a larger step (--schedule) or a larger start (--init)";
        }
        String growth = depth >= 3 ? String.format(Locale.ROOT, " grow like 1/S^%d as S falls", depth - 2) : "";
        String larger = depth >= 3 ? String.format(Locale.ROOT, " with S 3 times larger needs %d times fewer",
                (int) Math.pow(3, depth - 2)) : " with a larger S";
        return fact + ": from " + initializer + " the zero network is a saddle point, and the iterations " + depth
                + " layers need to leave it" + growth + ", so give a larger start rather than more iterations: "
                + "--init small:S" + larger + ", or --init xavier (scaled to the layers)";
    }

    /** η·‖∇L‖ / ‖θ‖ at {@code record}: how much a step changes the parameters, relative to their size. */
    private static double relativeChange(NetworkRecord record) {
        double squares = 0.0;
        for (double s : record.layerSquaredNorms()) {
            squares += s;
        }
        return record.eta() * record.gradientNorm() / Math.sqrt(squares);
    }

    /**
     * What a stalled run says ({@link StopReason#STALLED}): the fact, and — when the loss never fell below the start's
     * — why. A given step ({@code givenEta}; NaN for auto's, scaled to the data) whose {@code change} (η·‖∇L‖/‖θ‖ at
     * the stall) is below the rounding unit, and would be from the default start too, is named: a larger start was
     * advised to a run from small:1 at constant:1e-300, larger than the default it offered. Else, from a start below
     * the default: the gradients of N layers at scale S are of order S^{N−1} and round away, so the network stays at
     * the zero network, a saddle point.
     */
    static String stalled(DType dtype, String initializer, int depth, boolean learnedNothing, double givenEta,
            double change) {
        String fact = "the step leaves every weight and bias unchanged (each change rounds away in " + dtype.label()
                + "): no further iteration can move them";
        if (!learnedNothing) {
            return fact;
        }
        double scale = initializer.startsWith("small:") ? Double.parseDouble(initializer.substring("small:".length()))
                : Double.NaN;
        boolean smallStart = scale < NetworkInitializer.DEFAULT_SMALL_SCALE;
        // from the default start every layer is default/S times larger, and each layer's gradient, a product of the
        // other N − 1, (default/S)^(N−1) times: the relative change (default/S)^(N−2) times
        double fromDefault = smallStart ? change * Math.pow(NetworkInitializer.DEFAULT_SMALL_SCALE / scale, depth - 2)
                : change;
        if (!Double.isNaN(givenEta) && fromDefault < dtype.unitRoundoff()) {
            return fact + String.format(Locale.ROOT, "; the step is too small for these data: η = %.3g changes the "
                    + "weights by about %.2g of their size%s, below %s's rounding unit %.2g: give a larger step, or "
                    + "leave --schedule out for the default, auto, scaled to the data", givenEta, change,
                    smallStart ? String.format(Locale.ROOT, ", and would from the default start, small:%s, by about "
                            + "%.2g", NetworkInitializer.DEFAULT_SMALL_SCALE, fromDefault) : "", dtype.label(),
                    dtype.unitRoundoff());
        }
        if (!smallStart) {
            return fact;
        }
        return fact + "; from " + initializer + " the gradients of " + depth + " layers (of order S^" + (depth - 1)
                + ") are too small to move the weights, and the zero network is a saddle point, not a solution: "
                + "give a larger --init small:S, or leave --init out for the default start, small:"
                + NetworkInitializer.DEFAULT_SMALL_SCALE;
    }

    /**
     * Refuses a network that cannot fit this machine's memory before anything of its size is allocated (a
     * dense:99999999 layer used to fill the memory with its weights, for minutes, before the next allocation
     * failed). The bound is a floor of what the trainer holds: the weights and their gradient, and one activation
     * per layer for each of the n samples.
     */
    private void requireMemory(Architecture arch, int n, DType type) {
        long parameters = 0;
        long activations = 0;
        long needed;
        try {
            parameters = arch.parameters(bias);
            for (int h = 1; h <= arch.depth(); h++) {
                Layer l = arch.layer(h);
                activations = Math.addExact(activations, Math.multiplyExact((long) n,
                        (long) l.outChannels() * l.positions()));
            }
            needed = Math.multiplyExact(Math.addExact(Math.multiplyExact(2, parameters), activations), type.bytes());
        } catch (ArithmeticException e) {
            needed = Long.MAX_VALUE;
        }
        long memory = NativeMemory.physicalBytes();
        if (needed > memory) {
            throw new UsageException("--layers: " + arch.describe() + " needs at least " + InputMatrix.bytes(needed)
                    + " of memory (" + parameters + " parameters and their gradient, " + activations
                    + " activations of the " + n + " samples), more than this machine's " + InputMatrix.bytes(memory),
                    null);
        }
    }

    /**
     * The room note of {@code factorize} ({@link SolverRun#noteRoom}): a checkpoint as
     * {@link NetworkTrainer#checkpointBytes} counts it; {@code --out} gets one {@code .npy} file a parameter block,
     * each of a header (at most 128 bytes here) and the values.
     */
    private void noteRoom(PrintWriter printer, Destinations destinations, Architecture arch, StepSchedule steps,
            DType type) {
        SolverRun.noteRoom(printer::println, destinations, NetworkTrainer.checkpointBytes(arch, bias, type, steps),
                arch.parameters(bias) * type.bytes() + NPY_HEADER_BYTES * arch.depth() * (bias ? 2 : 1),
                "the weights");
    }

    /** The most a {@code .npy} header of a weight or bias block takes: its dictionary padded to 64 bytes. */
    private static final long NPY_HEADER_BYTES = 128;

    private static String numbers(double[] a) {
        StringBuilder b = new StringBuilder("[");
        for (double v : a) {
            b.append(b.length() == 1 ? "" : ", ").append(String.format(java.util.Locale.ROOT, "%.4g", v));
        }
        return b.append(']').toString();
    }

    private static int[] parseShape(String text) {
        String[] parts = text.split(",", -1);
        if (parts.length != 2 && parts.length != 3) {
            throw new UsageException("--input-shape: expected C,L or C,H,W, got '" + text + "'", null);
        }
        int[] shape = new int[parts.length];
        for (int k = 0; k < parts.length; k++) {
            try {
                shape[k] = Integer.parseInt(parts[k].trim());
            } catch (NumberFormatException e) {
                throw new UsageException("--input-shape: '" + parts[k].trim() + "' is not an integer", e);
            }
            if (shape[k] <= 0) {
                // named here: the layers' parser, which checks it too, speaks for --layers
                throw new UsageException("--input-shape: dimensions must be positive, got " + shape[k], null);
            }
        }
        return shape;
    }

}
