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
 * The epoch: a worker runs every call once, in order, never one twice and never the task of another call. The caller
 * publishes a first call, runs its own chunk, looks up to {@value #LOOKS} times whether the worker is done (its wait in
 * {@code run}, cut short) and if so collects and publishes a second call (as two passes of one iteration follow each
 * other); the worker polls {@value #POLLS} times, so that it still looks when the second call comes. The worker's chunk appends the call's number to
 * {@code ran}: 1 = the first call only, 12 = both in order. 11 would be the second epoch run with the first call's
 * task (the task field read before the epoch that published the new one), 2 a call missed, 122 or 112 a call run
 * twice; a caller whose {@link ParallelPass#collect} throws saw a chunk fail that cannot fail (a task not yet
 * visible: -1).
 */
@JCStressTest
@Description("A worker runs each published call exactly once, in order, with that call's task")
@Outcome(id = {"1, 0", "1, 1"}, expect = ACCEPTABLE,
        desc = "one call: the worker had not seen it yet, or ran it once")
@Outcome(id = {"2, 1", "2, 12"}, expect = ACCEPTABLE,
        desc = "two calls: the worker had not seen the second yet, or ran both once, in order")
@Outcome(expect = FORBIDDEN, desc = "a call missed, run twice, run with the other call's task, or failed (-1)")
@State
public class EpochStress {
    /** The caller's looks at the worker's {@code done} per sample. */
    static final int LOOKS = 16;
    /** The worker's polls per sample: each after its last call must find nothing new. */
    static final int POLLS = 64;
    private final ParallelPass pass = new ParallelPass(2, false);
    /** The calls whose task the worker's chunk ran, as decimal digits in order (written by the worker only). */
    private int ran;
    private final ParallelPass.RangeTask first = (chunk, start, end) -> ranCall(chunk, 1);
    private final ParallelPass.RangeTask second = (chunk, start, end) -> ranCall(chunk, 2);

    private double ranCall(int chunk, int call) {
        if (chunk == 1) {
            ran = ran * 10 + call;
        }
        return 0;
    }

    @Actor
    public void caller(II_Result r) {
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
    public void worker(II_Result r) {
        for (int i = 0; i < POLLS; i++) {
            pass.poll(1);
        }
        r.r2 = ran;
    }
}
