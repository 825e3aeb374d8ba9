package org.autobalance.solve;

import java.util.List;
import java.util.function.UnaryOperator;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.observe.IterationRecord;
import org.autobalance.observe.Trajectory;
import org.autobalance.schedule.StepSchedule;

/** Runs the solver on {@code double[][]} data in float64 from given factors, for the tests of this package. */
final class Runs {
    private Runs() {
    }

    /** The final factors and every iteration record of a run. */
    record Run(double[][] u, double[][] v, List<IterationRecord> records, long iterations) {
        /** The last record (the iterate before the last update). */
        IterationRecord last() {
            return records.getLast();
        }
    }

    /** Exactly {@code iterations} steps (no stop rule) of {@code variant} with {@code schedule} from (u0, v0). */
    static Run run(double[][] m, double[][] u0, double[][] v0, Variant variant, StepSchedule schedule,
            int iterations) {
        return run(m, u0, v0, variant, schedule, iterations, 1, b -> b);
    }

    /** As the shorter {@code run}, with a thread count and more settings applied by {@code extra}. */
    static Run run(double[][] m, double[][] u0, double[][] v0, Variant variant, StepSchedule schedule,
            int iterations, int threads, UnaryOperator<Factorizer.Builder> extra) {
        try (DenseMatrix mm = DenseMatrix.of(DType.FLOAT64, m);
                DenseMatrix u = DenseMatrix.of(DType.FLOAT64, u0);
                DenseMatrix v = DenseMatrix.of(DType.FLOAT64, v0)) {
            Trajectory trajectory = new Trajectory();
            Factorizer.Builder b = Factorizer.builder(mm, u0[0].length).schedule(schedule).variant(variant)
                    .initializer(Initializer.given(u, v)).maxIterations(iterations).tolerance(0).threads(threads)
                    .listener(trajectory);
            try (Result result = extra.apply(b).build().run()) {
                return new Run(result.u().toArray(), result.v().toArray(), List.copyOf(trajectory.records()),
                        result.iterations());
            }
        }
    }
}
