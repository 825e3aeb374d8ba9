package org.autobalance.kernel;

/** Prints the kernels the provider chose in this JVM and why, for {@link KernelSelectionTest}'s child JVMs. */
public final class KernelChoiceProbe {
    private KernelChoiceProbe() {
    }

    /** Prints {@code chosen <name>} and {@code reason <reason>}. */
    public static void main(String[] args) {
        System.out.println("chosen " + KernelProvider.kernels().name());
        System.out.println("reason " + KernelProvider.reason());
    }
}
