package org.autobalance.parallel;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * Worker → caller: once the caller sees a worker's {@code done} for the call, it sees its result and every write its
 * task made. A team of two; the call is published when the state is made, the worker runs {@link ParallelPass#poll},
 * the caller runs its own chunk, then {@link ParallelPass#completed} and {@link ParallelPass#collect}, as
 * {@code run} does for each worker in turn. Chunk c returns 10^c·(c + 1) and writes c + 1 into its element of
 * {@code out} (as a pass writes its rows of MV): the sum is 21 and {@code out} reads 12; a result not visible is the
 * initial 0 (sum 1), a write not visible leaves a 0 digit (10).
 */
@JCStressTest
@Description("After seeing the worker done, the caller sees its result and its task's writes")
@Outcome(id = "-1, -1", expect = ACCEPTABLE, desc = "the worker had not finished when the caller looked")
@Outcome(id = "21, 12", expect = ACCEPTABLE, desc = "the worker finished: its result and its write visible")
@Outcome(expect = FORBIDDEN, desc = "the caller saw the worker done but not its result or its write")
@State
public class ResultStress {
    private final ParallelPass pass = new ParallelPass(2, false);
    /** Written by the tasks, one element per chunk, plainly. */
    private final int[] out = new int[2];
    private final long epoch;

    public ResultStress() {
        epoch = pass.publish((chunk, start, end) -> {
            out[chunk] = chunk + 1;
            return Math.pow(10, chunk) * (chunk + 1);
        }, 2, null);
    }

    @Actor
    public void worker() {
        pass.poll(1);
    }

    @Actor
    public void caller(II_Result r) {
        pass.execute(0);
        if (pass.completed(1, epoch)) {
            r.r1 = (int) pass.collect();
            r.r2 = out[0] * 10 + out[1];
        } else {
            r.r1 = -1;
            r.r2 = -1;
        }
    }
}
