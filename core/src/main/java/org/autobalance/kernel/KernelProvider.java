package org.autobalance.kernel;

/** Chooses the {@link FactorKernels} implementation once per JVM. */
public final class KernelProvider {
    private static final FactorKernels KERNELS = new ScalarKernels();

    private KernelProvider() {
    }

    /** The implementation chosen for this JVM. */
    public static FactorKernels kernels() {
        return KERNELS;
    }
}
