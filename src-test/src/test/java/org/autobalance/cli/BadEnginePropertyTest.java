package org.autobalance.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.autobalance.io.MatrixMarket;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.solve.Factorizer;
import org.autobalance.solve.Result;
import org.autobalance.testing.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bad {@code autobalance.*} system property is one line naming it and its value, before any work: the command line
 * printed a 40-line {@code ExceptionInInitializerError} at the first fused pass (the tuning constants are read in
 * static initialisers), and the library's class stayed dead for the JVM's life ({@code NoClassDefFoundError} after the
 * property was set right). Child JVMs: the properties' values are fixed once valid, for the JVM's life, and a change
 * after that is refused.
 */
class BadEnginePropertyTest {
    private static final String VECTOR = "--add-modules=jdk.incubator.vector";

    /** Each bad value: what its first use throws. */
    private static final List<String[]> BAD = List.of(
            new String[] {"autobalance.simd.smallRank.float32", "x", "an integer >= 0"},
            new String[] {"autobalance.simd.rowStream.blockBytes", "0", "an integer >= 1"},
            new String[] {"autobalance.simd.bits", "100", "128, 256 or 512"},
            new String[] {"autobalance.simd.largeRankBits", "wide", "128, 256 or 512"},
            new String[] {"autobalance.simd.wideTiles", "yes", "true or false"},
            new String[] {"autobalance.kernels", "scaler", "auto, simd or scalar"},
            new String[] {"autobalance.memory.hugePages", "no", "true or false"},
            new String[] {"autobalance.parallel.columnBlocks", "0", "an integer >= 1"});

    /** A name under the engine's prefixes that is not one of its properties: a misspelling of the width's. */
    private static final String MISSPELT = "autobalance.simd.bit";
    /** The width's name in the wrong case: it matched no prefix and was ignored without a word. */
    private static final String WRONG_CASE = "autobalance.SIMD.bits";

    /**
     * Sets each bad value in turn and, for each, allocates a matrix, reads one from a file (the first argument) and
     * factorises one, printing what each threw; then, with none set, factorises again: a class that failed to
     * initialise would fail that run too. Then sets the kernels after that first use, and unsets them.
     */
    public static final class LibraryProbe {
        public static void main(String[] args) {
            Path file = Path.of(args[0]);
            for (String[] bad : BAD) {
                System.setProperty(bad[0], bad[1]);
                System.out.println(use(() -> DenseMatrix.allocate(DType.FLOAT64, 10, 10).close()));
                System.out.println(use(() -> MatrixMarket.read(file, DType.FLOAT64).close()));
                System.out.println(factorise());
                System.clearProperty(bad[0]);
            }
            for (String name : List.of(MISSPELT, WRONG_CASE)) {
                System.setProperty(name, "128");
                System.out.println(factorise());
                System.clearProperty(name);
            }
            System.out.println(factorise());
            System.setProperty("autobalance.kernels", "scalar");
            System.out.println(factorise());
            System.clearProperty("autobalance.kernels");
            System.out.println(factorise());
        }

        private interface Use {
            void run() throws Exception;
        }

        private static String use(Use use) {
            try {
                use.run();
                return "ran";
            } catch (Throwable e) {
                return e.getClass().getName() + ": " + e.getMessage();
            }
        }

        private static String factorise() {
            try (DenseMatrix m = DenseMatrix.of(DType.FLOAT32, new double[][] {{1, 2}, {3, 4}, {5, 6}});
                    Result r = Factorizer.builder(m, 1).maxIterations(3).build().run()) {
                return "ran " + r.iterations();
            } catch (Throwable e) {
                return e.getClass().getName() + ": " + e.getMessage();
            }
        }
    }

    /** The command line, its exit code printed after it: {@link ChildJvm#run} fails a child that exits with 2. */
    public static final class CommandProbe {
        public static void main(String[] args) {
            int code = Main.execute(args);
            System.out.println("exit " + code);
        }
    }

    private static String refusal(String[] bad) {
        return "system property " + bad[0] + " must be " + bad[2] + ", got '" + bad[1] + "'";
    }

    /**
     * With native access (as the launcher runs) and transparent huge pages on request, the allocation read
     * {@code hugePages} inside its try: any bad property's message came as "cannot allocate a 10 x 10 float64 matrix
     * ...", and from a file as "size 2 x 1 cannot be held in memory: ...", blaming the file for a JVM flag.
     */
    @Test
    void aBadValueIsRefusedNamingItAndSetRightTheEngineRuns(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("m.mtx"), "%%MatrixMarket matrix array real general\n2 1\n1\n2\n");
        String out = ChildJvm.run(ChildJvm.command(List.of(VECTOR, "--enable-native-access=ALL-UNNAMED"),
                LibraryProbe.class, file.toString()), Duration.ofMinutes(2));
        List<String> expected = new ArrayList<>();
        for (String[] bad : BAD) {
            String refused = IllegalArgumentException.class.getName() + ": " + refusal(bad);
            expected.addAll(List.of(refused, refused, refused));
        }
        for (String name : List.of(MISSPELT, WRONG_CASE)) {
            expected.add(IllegalArgumentException.class.getName() + ": system property " + name
                    + " is not one of the engine's: autobalance.kernels, autobalance.simd.bits, "
                    + "autobalance.simd.largeRankBits, autobalance.simd.wideTiles, autobalance.simd.smallRank.float32, "
                    + "autobalance.simd.smallRank.float64, autobalance.simd.rowStream.float32, "
                    + "autobalance.simd.rowStream.float64, autobalance.simd.rowStream.blockBytes, "
                    + "autobalance.simd.halfPanel.float32, autobalance.simd.halfPanel.float64, "
                    + "autobalance.memory.hugePages, autobalance.kernel.sparsePanelBytes, "
                    + "autobalance.parallel.columnBlocks");
        }
        expected.add("ran 3");
        expected.add(IllegalArgumentException.class.getName() + ": system property autobalance.kernels changed from "
                + "unset to 'scalar' after the engine read it at its first use; set it before the first matrix or "
                + "kernel");
        expected.add("ran 3");
        assertEquals(expected, out.lines().filter(l -> !l.contains("Using incubator modules")).toList());
    }

    @Test
    void theCommandLineSaysItInOneLineBeforeReadingTheInput(@TempDir Path dir) throws Exception {
        for (String[] bad : List.of(BAD.get(0), BAD.get(2))) {
            List<String> command = ChildJvm.command(List.of(VECTOR, "-D" + bad[0] + "=" + bad[1]), CommandProbe.class,
                    "factorize", "--input", dir.resolve("missing.npy").toString(), "--rank", "2", "--out",
                    dir.resolve("out").toString());
            String out = ChildJvm.run(command, Duration.ofMinutes(2));
            // the input does not exist: reading it would have said so instead
            assertEquals(List.of("autobalance: error: " + refusal(bad), "exit 2"),
                    out.lines().filter(l -> !l.contains("Using incubator modules")).toList());
        }
    }
}
