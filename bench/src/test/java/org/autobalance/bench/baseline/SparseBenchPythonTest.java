package org.autobalance.bench.baseline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code bench sparse} asks once whether python3 can import numpy and scipy, and says why not with how to install
 * them (a new user's walk, twenty-second session: without scipy each cell printed the import error again; without
 * python3 the command ended at its first cell with "Cannot run program"). The check's command is given here, so the
 * answers do not depend on what the test machine has installed.
 */
class SparseBenchPythonTest {
    private static final String INSTALL = "; install them, e.g. 'python3 -m pip install numpy scipy' or 'apt-get "
            + "install python3-numpy python3-scipy', or give --no-python";
    private static final Duration CHECK = SparseBenchCommand.CHECK_LIMIT;

    @Test
    void aCommandThatSucceedsIsNoProblem() throws InterruptedException {
        assertNull(SparseBenchCommand.pythonProblem(List.of("sh", "-c", "exit 0"), CHECK));
    }

    @Test
    void aFailedImportIsNamedByItsLastLine() throws InterruptedException {
        String problem = SparseBenchCommand.pythonProblem(List.of("sh", "-c", "echo 'Traceback (most recent call "
                + "last):'; echo \"ModuleNotFoundError: No module named 'scipy'\" >&2; exit 1"), CHECK);
        assertEquals("sh cannot import numpy and scipy (ModuleNotFoundError: No module named 'scipy')" + INSTALL,
                problem);
        assertEquals("sh cannot import numpy and scipy (exit code 3)" + INSTALL,
                SparseBenchCommand.pythonProblem(List.of("sh", "-c", "exit 3"), CHECK));
    }

    @Test
    void aMissingInterpreterIsNamedNotThrown() throws InterruptedException {
        String problem = SparseBenchCommand.pythonProblem(List.of("/nonexistent/walk-python3", "-c", "pass"), CHECK);
        assertTrue(problem.startsWith("/nonexistent/walk-python3 was not found (Cannot run program"), problem);
        assertTrue(problem.endsWith("); install python3 with numpy and scipy, e.g. "
                + "'apt-get install python3-numpy python3-scipy', or give --no-python"), problem);
    }

    /**
     * A check that hangs is ended at its limit: its output was read to the end before the wait, which blocked until
     * the child exited, so the limit could never fire (here the child would sleep 60 s and exit 0, "no problem").
     */
    @Test
    void aCheckPastItsLimitIsEndedAndNamed() throws InterruptedException {
        long start = System.nanoTime();
        String problem = SparseBenchCommand.pythonProblem(List.of("sh", "-c", "echo importing; exec sleep 60"),
                Duration.ofMillis(200));
        assertEquals("sh did not finish importing numpy and scipy in 0.2 s" + INSTALL, problem);
        // far below the child's 60 s, far above the limit, so a loaded machine does not fail it
        assertTrue(System.nanoTime() - start < 30e9, "waited for the child to exit");
    }

    /**
     * The check imports every module outside Python's standard library that the reference imports: one it left out
     * would pass the check and fail each cell again.
     */
    @Test
    void theCheckImportsWhatTheReferenceImports() throws java.io.IOException {
        List<String> imported = java.nio.file.Files.readAllLines(java.nio.file.Path.of("sparse", "reference.py"))
                .stream().filter(l -> l.startsWith("import ") || l.startsWith("from "))
                .map(l -> l.split("\\s+")[1].split("\\.")[0])
                .filter(m -> !List.of("argparse", "json", "time", "sys", "os", "math").contains(m)).distinct().toList();
        assertEquals(List.of("numpy", "scipy"), imported, "the reference's imports changed: check PYTHON_CHECK");
        String check = SparseBenchCommand.PYTHON_CHECK.get(2);
        for (String module : imported) {
            assertTrue(check.matches("import (.*[ ,])?" + module + "([ ,.].*)?"), check + " does not import " + module);
        }
    }
}
