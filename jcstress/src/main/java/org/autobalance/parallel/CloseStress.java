package org.autobalance.parallel;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;

/**
 * {@link ParallelPass#close} from another thread never leaves a run hanging: the real team (a started worker thread,
 * its spin-then-park wait, the caller's wait with its closed check) runs calls back to back until one throws
 * {@link IllegalStateException}; jcstress closes the pass from its signal thread and waits for the caller to end.
 * Without the closed check in the caller's wait, a worker that read the old epoch and then the flag exits without
 * its chunk of the next call, and that call waits forever (the hang ParallelPassConcurrencyTest found).
 */
@JCStressTest(Mode.Termination)
@Description("close() from another thread ends every run: completed, or refused as closed")
@Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "the caller's last run was refused as closed")
@Outcome(id = "STALE", expect = FORBIDDEN, desc = "a run hung after close()")
@State
public class CloseStress {
    private static final ParallelPass.RangeTask ROWS = (chunk, start, end) -> end - start;
    private final ParallelPass pass = new ParallelPass(2);

    @Actor
    public void caller() {
        try {
            while (true) {
                pass.run(ROWS, 64);
            }
        } catch (IllegalStateException closed) {
            // the end this test waits for
        }
    }

    @Signal
    public void close() {
        pass.close();
    }
}
