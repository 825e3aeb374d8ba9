package org.autobalance.parallel;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * The epoch: a worker runs every call once, in order, never one twice and never the task of another call. The caller
 * publishes a first call, runs its own chunk, looks up to {@value #LOOKS} times whether the worker is done (its wait in
 * {@code run}, cut short) and if so collects and publishes a second call (as two passes of one iteration follow each
 * other); the worker polls {@value #POLLS} times, so that it still looks when the second call comes. The outcome is
 * (calls published, times the worker ran the first call's task, times it ran the second's). Forbidden: (2, 2, 0), the
 * second epoch run with the first call's task (the task field read before the epoch that published the new one);
 * a count above 1, a call run twice; (2, 0, 1), a call missed; -1 calls, the caller's {@link ParallelPass#collect}
 * threw, though no task can fail (the worker ran a task it could not see yet).
 */
@JCStressTest
@Description("A worker runs each published call exactly once, in order, with that call's task")
@Outcome(id = {"1, 0, 0", "1, 1, 0"}, expect = ACCEPTABLE,
        desc = "one call: the worker had not seen it yet, or ran it once")
@Outcome(id = {"2, 1, 0", "2, 1, 1"}, expect = ACCEPTABLE,
        desc = "two calls: the worker had not seen the second yet, or ran both once, in order")
@Outcome(expect = FORBIDDEN, desc = "a call missed, run twice, run with the other call's task, or failed (-1)")
@State
public class EpochStress {
    /** The caller's looks at the worker's {@code done} per sample. */
    static final int LOOKS = 16;
    /** The worker's polls per sample: each after its last call must find nothing new. */
    static final int POLLS = 64;
    private final ParallelPass pass = new ParallelPass(2, false);
    /** How often the worker's chunk ran each call's task (written by the worker only). */
    private final int[] runs = new int[3];
    private final ParallelPass.RangeTask first = (chunk, start, end) -> ranCall(chunk, 1);
    private final ParallelPass.RangeTask second = (chunk, start, end) -> ranCall(chunk, 2);

    private double ranCall(int chunk, int call) {
        if (chunk == 1) {
            runs[call]++;
        }
        return 0;
    }

    @Actor
    public void caller(III_Result r) {
        long e = pass.publish(first, 2, null);
        pass.execute(0);
        boolean done = pass.completed(1, e);
        for (int i = 1; i < LOOKS && !done; i++) {
            Thread.onSpinWait();
            done = pass.completed(1, e);
        }
        if (done) {
            try {
                pass.collect();
            } catch (RuntimeException failed) {
                r.r1 = -1;
                return;
            }
            pass.publish(second, 2, null);
            r.r1 = 2;
        } else {
            r.r1 = 1;
        }
    }

    @Actor
    public void worker(III_Result r) {
        for (int i = 0; i < POLLS; i++) {
            pass.poll(1);
        }
        r.r2 = runs[1];
        r.r3 = runs[2];
    }
}
