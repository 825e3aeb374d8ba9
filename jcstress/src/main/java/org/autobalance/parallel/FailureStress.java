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
 * A worker's exception reaches the caller: chunk 1's task throws, and a caller that sees the worker done must get
 * that very exception from {@link ParallelPass#collect} (the failure is a plain write published by the same volatile
 * {@code done} as a result). A team of two; the call is published when the state is made.
 */
@JCStressTest
@Description("A worker's exception is rethrown to the caller that sees the worker done")
@Outcome(id = "0", expect = ACCEPTABLE, desc = "the worker had not finished when the caller looked")
@Outcome(id = "1", expect = ACCEPTABLE, desc = "the caller got the worker's exception")
@Outcome(id = "2", expect = FORBIDDEN, desc = "the worker was done but its failure was lost: the call returned")
@Outcome(id = "3", expect = FORBIDDEN, desc = "the caller got some other exception")
@State
public class FailureStress {
    /** Without a stack trace: one is made per sample. */
    static final class ChunkFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ChunkFailure() {
            super("chunk 1", null, false, false);
        }
    }

    private final ParallelPass pass = new ParallelPass(2, false);
    private final ChunkFailure thrown = new ChunkFailure();
    private final long epoch;

    public FailureStress() {
        epoch = pass.publish((chunk, start, end) -> {
            if (chunk == 1) {
                throw thrown;
            }
            return 1;
        }, 2, null);
    }

    @Actor
    public void worker() {
        pass.poll(1);
    }

    @Actor
    public void caller(I_Result r) {
        pass.execute(0);
        if (!pass.completed(1, epoch)) {
            r.r1 = 0;
            return;
        }
        try {
            pass.collect();
            r.r1 = 2;
        } catch (RuntimeException e) {
            r.r1 = e == thrown ? 1 : 3;
        }
    }
}
