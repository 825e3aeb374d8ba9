package org.autobalance.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.autobalance.testing.ChildJvm;
import org.junit.jupiter.api.Test;

/**
 * Which implementation the provider picks. The build runs this class twice: with {@code --add-modules
 * jdk.incubator.vector} (SIMD must be chosen) and without it (scalar must be chosen, and the SIMD test skips).
 */
class KernelSelectionTest {
    private static boolean modulePresent() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    @Test
    void simdIsSelectedWhenTheVectorModuleIsPresent() {
        assumeTrue(modulePresent(), "jdk.incubator.vector not in the boot layer (the fallback run)");
        assumeTrue(System.getProperty(KernelProvider.PROPERTY) == null, "implementation forced by a property");
        assertTrue(KernelProvider.kernels().name().startsWith("simd-"),
                "vector module present but the provider chose " + KernelProvider.kernels().name() + ": "
                        + KernelProvider.reason());
    }

    @Test
    void scalarIsSelectedWithoutTheVectorModule() {
        assumeFalse(modulePresent(), "jdk.incubator.vector is present (the SIMD run)");
        assertEquals("scalar", KernelProvider.kernels().name());
        assertTrue(KernelProvider.reason().contains("--add-modules jdk.incubator.vector"),
                "the reason should name the flag: " + KernelProvider.reason());
        assertThrows(UnsupportedOperationException.class, KernelProvider::simd);
    }

    @Test
    void forcedScalarIsScalarWhateverTheSpellingAndTheModule() {
        for (String mode : new String[] {"scalar", " SCALAR ", "Scalar"}) {
            // the property's text, stripped and checked as EngineProperties reads it
            KernelProvider.Choice c = KernelProvider.choose(EngineProperties.KERNELS.value(mode.strip()));
            assertEquals("scalar", c.kernels().name(), mode);
            assertTrue(c.reason().contains("forced by -D" + KernelProvider.PROPERTY + "=scalar"), c.reason());
        }
    }

    @Test
    void forcedSimdIsSimdWithTheModule() {
        assumeTrue(modulePresent(), "jdk.incubator.vector not in the boot layer (the fallback run)");
        KernelProvider.Choice c = KernelProvider.choose("simd");
        assertTrue(c.kernels().name().startsWith("simd-"), c.kernels().name());
        assertTrue(c.reason().startsWith("forced by -D" + KernelProvider.PROPERTY + "=simd"), c.reason());
    }

    @Test
    void forcedSimdFallsBackToScalarWithoutTheModuleAndNamesTheFlag() {
        assumeFalse(modulePresent(), "jdk.incubator.vector is present (the SIMD run)");
        KernelProvider.Choice c = KernelProvider.choose("simd");
        assertEquals("scalar", c.kernels().name());
        assertTrue(c.reason().contains("pass --add-modules jdk.incubator.vector"), c.reason());
    }

    @Test
    void autoIsSimdExactlyWithTheModule() {
        assertEquals(modulePresent(), KernelProvider.choose("auto").kernels().name().startsWith("simd-"));
    }

    /**
     * Without C2 the Vector API runs its ~100× slower Java fallback: auto must refuse SIMD (and say why), a forced
     * {@code simd} must skip the VM check. Child JVMs with {@code -XX:TieredStopAtLevel=1} (C1 only).
     */
    @Test
    void autoFallsBackToScalarWithoutC2ButForcedSimdDoesNot() throws IOException, InterruptedException {
        assumeTrue(modulePresent(), "jdk.incubator.vector not in the boot layer (the fallback run)");
        String auto = childChoice("auto");
        assertTrue(auto.contains("chosen scalar\nreason C2 is disabled (-XX:TieredStopAtLevel=1)"), auto);
        String forced = childChoice("simd");
        assertTrue(forced.contains("chosen simd-"), forced);
    }

    private static String childChoice(String mode) throws IOException, InterruptedException {
        return ChildJvm.run(ChildJvm.command(List.of("-XX:TieredStopAtLevel=1", "--add-modules", "jdk.incubator.vector",
                "-D" + KernelProvider.PROPERTY + "=" + mode), KernelChoiceProbe.class), Duration.ofMinutes(1));
    }

    @Test
    void vmCheckAcceptsThisVm() {
        // the test JVMs are HotSpot with C2: a false alarm here would silently disable SIMD everywhere
        assertEquals(null, KernelProvider.vmProblem());
    }
}
