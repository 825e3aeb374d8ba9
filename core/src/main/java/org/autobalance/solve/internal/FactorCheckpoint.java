package org.autobalance.solve.internal;

import static org.autobalance.solve.internal.CheckpointWriter.bits;
import static org.autobalance.solve.internal.CheckpointWriter.fromBits;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.solve.Checkpoint;

/**
 * The factorisation's own state in a {@link Checkpoint} (kind {@value #KIND}): written by {@link IterationMonitor}
 * for {@code Factorizer} and the Spark driver, read back when a run resumes. The public {@code Checkpoint} reads what
 * a user needs (iteration, configuration, σ₁, the factors); the divergence reference, the plateau verdict and the
 * plateau test's state are the monitor's business.
 */
public final class FactorCheckpoint {
    /** The kind of a factorisation's checkpoint. */
    public static final String KIND = "factorize";

    private FactorCheckpoint() {
    }

    /**
     * The factorisation loop's state after {@code iteration} iterations.
     *
     * @param plateau the plateau test's state, null for an objective without one
     * @param halvedAt the iterations at which auto's back-off halved the step
     * @param lowestLoss the lowest loss since the start or the last halving, for the oscillation test
     * @param nearLowestAt the last iteration whose loss was near it
     * @param start iterate 0's balance, ‖U‖_F and ‖V‖_F; null where unknown (a resume from a checkpoint without them)
     */
    record Progress(long iteration, double sigma1, double referenceLoss, double seconds, boolean onPlateau,
            EckartYoungCheck.State plateau, HeldOutBest heldOut, List<Long> halvedAt, double lowestLoss,
            long nearLowestAt, double[] start) {
    }

    /** The header keys of {@link Progress#start}, in its order. */
    private static final List<String> START_KEYS = List.of("start_balance", "start_norm_u", "start_norm_v");

    /**
     * Writes a factorisation's checkpoint to {@code dir} atomically (see {@link Checkpoint}'s class documentation).
     *
     * @param every {every iterations, every seconds} of the policy, for {@link Checkpoint#policy()}
     */
    static void write(Path dir, DenseMatrix u, DenseMatrix v, Progress progress, String inputHash,
            Map<String, Object> config, double[] every) throws IOException {
        CheckpointWriter w = CheckpointWriter.start(KIND, progress.iteration(), progress.seconds(), inputHash,
                config, every[0], every[1]).exact("sigma1", progress.sigma1())
                .exact("reference_loss", progress.referenceLoss()).field("dtype", u.dtype().label())
                .field("on_plateau", progress.onPlateau()).field("step_halved_at", progress.halvedAt())
                .exact("lowest_loss", progress.lowestLoss()).field("near_lowest_at", progress.nearLowestAt());
        if (progress.plateau() != null) {
            PlateauCheck.State p = progress.plateau().rationing();
            Map<String, Object> plateau = new LinkedHashMap<>();
            plateau.put("level", bits(progress.plateau().level()));
            plateau.put("fit_level", bits(progress.plateau().fitLevel()));
            plateau.put("last_check", p.lastCheck());
            plateau.put("last_unlearned", (long) p.lastUnlearned());
            plateau.put("last_plateau", p.lastPlateau());
            plateau.put("next_fit_check", progress.plateau().nextFitCheck());
            plateau.put("fit_check_gap", progress.plateau().fitCheckGap());
            w.field("plateau", plateau);
        }
        if (progress.heldOut() != null) {
            progress.heldOut().saveTo(w);
        }
        if (progress.start() != null) {
            for (int k = 0; k < START_KEYS.size(); k++) {
                w.exact(START_KEYS.get(k), progress.start()[k]);
            }
        }
        w.matrix("U", u).matrix("V", v).writeTo(dir);
    }

    /** The divergence test's reference loss. */
    static double referenceLoss(Checkpoint c) {
        return CheckpointReader.exact(c, "reference_loss");
    }

    /** The iterations at which auto's back-off halved the step (none in a checkpoint from before it). */
    static List<Long> halvedAt(Checkpoint c) {
        return CheckpointReader.field(c, "step_halved_at") instanceof List<?> at
                ? at.stream().map(t -> ((Number) t).longValue()).toList() : List.of();
    }

    /** The oscillation test's lowest loss (+∞, none yet, in a checkpoint from before the test). */
    static double lowestLoss(Checkpoint c) {
        return CheckpointReader.exactOr(c, "lowest_loss", Double.POSITIVE_INFINITY);
    }

    /** The last iteration whose loss was near the lowest ({@code first} in a checkpoint from before the test). */
    static long nearLowestAt(Checkpoint c, long first) {
        return CheckpointReader.field(c, "near_lowest_at") instanceof Number at ? at.longValue() : first;
    }

    /**
     * Iterate 0's balance, ‖U‖_F and ‖V‖_F, what a resumed run's summary compares its balance with; null in a
     * checkpoint from before they were kept (2026-12-06).
     */
    static double[] startMetrics(Checkpoint c) {
        if (CheckpointReader.field(c, START_KEYS.getFirst()) == null) {
            return null;
        }
        double[] start = new double[START_KEYS.size()];
        for (int k = 0; k < start.length; k++) {
            start[k] = CheckpointReader.exact(c, START_KEYS.get(k));
        }
        return start;
    }

    /** Whether the last iteration before the checkpoint passed the first-order test (the verdict of a run ending). */
    static boolean onPlateau(Checkpoint c) {
        return Boolean.TRUE.equals(CheckpointReader.field(c, "on_plateau"));
    }

    /** Whether the checkpoint holds the plateau test's state (one of the observed loss from before it had none). */
    static boolean hasPlateauState(Checkpoint c) {
        return CheckpointReader.field(c, "plateau") != null;
    }

    /** The plateau test's state (level ϑ and the rationing of its checks). */
    static EckartYoungCheck.State plateauState(Checkpoint c) {
        @SuppressWarnings("unchecked")
        Map<String, Object> p = (Map<String, Object>) CheckpointReader.field(c, "plateau");
        // a checkpoint from before the fit's test has none of its fields: ϑ for its level, tested at once
        double level = fromBits((String) p.get("level"));
        return new EckartYoungCheck.State(level,
                p.get("fit_level") instanceof String fit ? fromBits(fit) : level, new PlateauCheck.State(
                ((Number) p.get("last_check")).longValue(), ((Number) p.get("last_unlearned")).intValue(),
                Boolean.TRUE.equals(p.get("last_plateau"))),
                p.get("next_fit_check") instanceof Number next ? next.longValue() : 0,
                p.get("fit_check_gap") instanceof Number gap ? gap.longValue() : 1);
    }
}
