/**
 * autobalance: low-rank matrix factorization by gradient descent (Du, Hu &amp; Lee, NeurIPS 2018), with the balance
 * ‖UᵀU − VᵀV‖_F of the factors observable at every iteration.
 *
 * <p>Start with {@link org.autobalance.solve.Factorizer}: matrices are {@link org.autobalance.memory.DenseMatrix}
 * (off-heap; bulk copies from and to arrays, buffers and segments), read from files by {@link org.autobalance.io}.
 * The kernels, the worker team and the Vector API code are internal. The module {@code jdk.incubator.vector} is
 * optional: resolve it ({@code --add-modules jdk.incubator.vector}) for the SIMD kernels; without it the scalar
 * kernels run, correctly and slower, after one warning.
 */
module org.autobalance.core {
    // jdk.incubator.vector is not required, not even `requires static`: javac resolves a module's static requirements
    // for every module that reads it, so each modular user's build warned "using incubating module(s)" (an error under
    // -Werror) for a module it never named. The SIMD kernels are compiled with --add-reads to it, and the kernel
    // choice adds the read edge at run time when the module is in the boot layer (KernelProvider).
    // the kernel choice checks that C2 is on through the HotSpot diagnostic bean
    requires java.management;
    requires jdk.management;

    exports org.autobalance.memory;
    exports org.autobalance.solve;
    exports org.autobalance.schedule;
    exports org.autobalance.observe;
    exports org.autobalance.io;
    exports org.autobalance.network;
}
