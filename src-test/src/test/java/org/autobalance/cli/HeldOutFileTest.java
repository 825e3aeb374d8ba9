package org.autobalance.cli;

import static org.autobalance.cli.CommandLineTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.autobalance.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code factorize --objective observed --test FILE} where FILE's entries are M's own: every held-out entry was a
 * training entry, and the run reported a "held-out" RMSE that measured the fit (accepted silently before).
 */
class HeldOutFileTest {
    @TempDir
    Path dir;

    /** The input itself, under its own name or another (through a directory, a link), is refused before it is read. */
    @Test
    void theInputGivenAsItsOwnTestSetIsRefused() throws IOException {
        Path m = dir.resolve("m.npz");
        Files.copy(Fixtures.fixture("npz_csr.npz"), m);
        Path link = Files.createSymbolicLink(dir.resolve("link.npz"), m);
        Path sub = Files.createDirectory(dir.resolve("sub"));
        for (Path test : new Path[] {m, sub.resolve("..").resolve("m.npz"), link}) {
            var r = run("factorize", "--input", m.toString(), "--rank", "2", "--objective", "observed", "--test",
                    test.toString(), "--out", dir.resolve("o").toString());
            assertEquals(2, r.exitCode(), r.out() + r.err());
            assertEquals("autobalance: error: --test " + test + " is the input M (" + m + "): its entries would be "
                    + "trained on, so their RMSE would not be a held-out error; give entries kept out of M, or "
                    + "--holdout FRACTION" + System.lineSeparator(), r.err());
            assertFalse(Files.exists(dir.resolve("o")), "nothing written");
        }
    }

    /**
     * Names are not compared: {@code x/../m.npz} with x a link to another directory is that directory's parent's
     * m.npz, another file, and was refused as the input; one missing file given as both was called the input M, not
     * missing.
     */
    @Test
    void onlyOneExistingFileIsTheInput() throws IOException {
        Path m = Files.copy(Fixtures.fixture("npz_csr.npz"), dir.resolve("m.npz"));
        Path deep = Files.createDirectories(dir.resolve("other").resolve("deep"));
        Files.copy(Fixtures.fixture("npz_coo.npz"), dir.resolve("other").resolve("m.npz"));
        Path test = Files.createSymbolicLink(dir.resolve("x"), deep).resolve("..").resolve("m.npz");
        var r = run("factorize", "--input", m.toString(), "--rank", "2", "--objective", "observed", "--test",
                test.toString(), "--max-iter", "5");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("note: 12 of the 13 entries of --test " + test + " are also stored in M"),
                r.out());
        Path missing = dir.resolve("missing.npz");
        r = run("factorize", "--input", missing.toString(), "--rank", "2", "--objective", "observed", "--test",
                missing.toString(), "--out", dir.resolve("o").toString());
        assertEquals(2, r.exitCode(), r.out() + r.err());
        // refused as missing (before M is read), not as the input
        assertEquals("autobalance: error: --test: " + missing + " does not exist" + System.lineSeparator(), r.err());
    }

    /**
     * "-" (standard input to many tools) as --test or as an --init factor was named missing without the hint the
     * readers give: the check before M is read lost it ("--test: - does not exist").
     */
    @Test
    void aDashIsNamedMissingWithWhereStandardInputIs() {
        Path m = Fixtures.fixture("npz_csr.npz");
        String hint = " does not exist (for standard input, give /dev/stdin)" + System.lineSeparator();
        var test = run("factorize", "--input", m.toString(), "--rank", "2", "--objective", "observed", "--test", "-");
        assertEquals(2, test.exitCode(), test.out() + test.err());
        assertEquals("autobalance: error: --test: -" + hint, test.err());
        var init = run("factorize", "--input", m.toString(), "--rank", "2", "--init", "file:-,-");
        assertEquals(2, init.exitCode(), init.out() + init.err());
        assertEquals("autobalance: error: --init: U0 -" + hint, init.err());
    }

    /**
     * Another file that holds M's entries (a copy of it), or some of them (npz_coo.npz: npz_csr.npz's 12 positions
     * and one more, listed twice), is run, with one line saying how many are trained on; disjoint entries get no
     * such line.
     */
    @Test
    void aTestFileSharingEntriesWithMIsNoted() throws IOException {
        Path m = Fixtures.fixture("npz_csr.npz");
        Path copy = Files.copy(m, dir.resolve("copy.npz"));
        Path coo = Fixtures.fixture("npz_coo.npz");
        Path none = dir.resolve("none.mtx");
        Files.writeString(none, "%%MatrixMarket matrix coordinate real general\n6 5 1\n6 5 2.0\n");
        String[] notes = {
            "note: 12 of the 12 entries of --test " + copy + " are also stored in M and trained on: the held-out RMSE "
                    + "is not an error on unseen entries at all (a copy of M?)" + System.lineSeparator(),
            "note: 12 of the 13 entries of --test " + coo + " are also stored in M and trained on: the held-out RMSE "
                    + "is not an error on unseen entries" + System.lineSeparator(),
            null};
        Path[] tests = {copy, coo, none};
        for (int k = 0; k < tests.length; k++) {
            var r = run("factorize", "--input", m.toString(), "--rank", "2", "--objective", "observed", "--test",
                    tests[k].toString(), "--max-iter", "5");
            assertEquals(0, r.exitCode(), r.err());
            assertTrue(notes[k] == null ? !r.out().contains("trained on") : r.out().contains(notes[k]), r.out());
        }
    }
}
