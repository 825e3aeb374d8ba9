package org.autobalance.parallel;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.I_Result;

/**
 * Caller → worker: a published call reaches the worker with its task, its row count and the data the caller wrote
 * before publishing. A team of three (the caller's chunk 0 and two workers), of which the actors play the caller and
 * the last worker, running the protocol's own steps ({@link ParallelPass#publish}, {@link ParallelPass#poll}); every
 * worker takes the same path on its own slot, and jcstress schedules no more actors than CPUs (two here). Chunk 2 of
 * 6 rows is [4, 6), so the task records {@code input·100 + start·10 + end} = 4246. A stale input gives 46, a stale
 * row count (0) 4200, a task not yet visible (null) leaves 0.
 */
@JCStressTest
@Description("A worker that sees a published call runs it with its task, row count and inputs")
@Outcome(id = "-1", expect = ACCEPTABLE, desc = "the worker has not seen the call yet")
@Outcome(id = "4246", expect = ACCEPTABLE, desc = "the worker ran the call with everything the caller wrote before")
@Outcome(expect = FORBIDDEN, desc = "the worker saw the call but ran a stale task, row count or input")
@State
public class PublishStress {
    private final ParallelPass pass = new ParallelPass(3, false);
    /** The task's input, written plainly before the call is published, as the solver writes U and V before a pass. */
    private int input;
    /** What each chunk's task computed, written by the thread that ran it. */
    private final int[] computed = new int[3];

    @Actor
    public void caller() {
        input = 42;
        pass.publish((chunk, start, end) -> {
            computed[chunk] = input * 100 + start * 10 + end;
            return 0;
        }, 6, null);
    }

    @Actor
    public void worker(I_Result r) {
        r.r1 = pass.poll(2) ? computed[2] : -1;
    }
}
