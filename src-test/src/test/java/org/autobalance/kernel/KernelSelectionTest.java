package org.autobalance.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
    void vmCheckAcceptsThisVm() {
        // the test JVMs are HotSpot with C2: a false alarm here would silently disable SIMD everywhere
        assertEquals(null, KernelProvider.vmProblem());
    }
}
