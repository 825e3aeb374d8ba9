package org.autobalance.kernel;

import java.lang.management.ManagementFactory;

/**
 * Chooses the {@link FactorKernels} implementation once per JVM (the pattern of Lucene's
 * {@code VectorizationProvider}) and logs the choice with its reason through {@link System.Logger} (logger
 * {@code org.autobalance.kernel.KernelProvider}), so it goes wherever the host application sends its logs: the choice
 * at DEBUG, a fallback to the scalar kernels at WARNING. A library must not talk on every start-up; a slow fallback is
 * worth a warning.
 *
 * <p>The SIMD kernels ({@code org.autobalance.kernel.simd}) are used when all of these hold:
 * <ol>
 *   <li>the module {@code jdk.incubator.vector} is in the boot layer ({@code --add-modules jdk.incubator.vector});
 *       otherwise a WARNING names the flag;
 *   <li>the VM is HotSpot with its optimising compiler C2 available (not {@code -Xint}, not
 *       {@code -XX:TieredStopAtLevel} below 4 with tiered compilation): without C2 the Vector API runs its Java
 *       fallback, about 100× slower than scalar code;
 *   <li>the platform's preferred vector width is at least 128 bits (checked by the SIMD class itself).
 * </ol>
 * The system property {@code autobalance.kernels} = {@code auto} (default) | {@code simd} | {@code scalar} forces a
 * choice (another value is refused, {@link EngineProperties}); {@code simd} skips the VM check (useful for tests) but
 * still needs the module, and falls back to scalar with a WARNING when it is missing. The SIMD class is loaded
 * reflectively, so a JVM without the module never links it.
 */
public final class KernelProvider {
    /** System property that forces the implementation. */
    public static final String PROPERTY = "autobalance.kernels";
    static final String SIMD_CLASS = "org.autobalance.kernel.simd.SimdKernels";
    static final String SIMD_SPARSE_CLASS = "org.autobalance.kernel.simd.SimdSparseKernels";
    static final String VECTOR_MODULE = "jdk.incubator.vector";

    private static final System.Logger LOG = System.getLogger(KernelProvider.class.getName());
    private static final FactorKernels SCALAR = new ScalarKernels();
    private static final SparseKernels SPARSE_SCALAR = new ScalarSparseKernels();
    static final String SIMD_GEMM_CLASS = "org.autobalance.kernel.simd.SimdGemm";

    /**
     * The choice, made when first asked for, after {@link EngineProperties#check}: the SIMD classes read the
     * properties in their static initialisers, which must not throw.
     */
    private static final class Chosen {
        static final Choice CHOICE = choose(EngineProperties.KERNELS.or("auto"));
        static final GemmKernels GEMM = CHOICE.kernels == SCALAR ? new ScalarGemm() : loadSimdGemm();
        /** The sparse kernels follow the dense choice: SIMD exactly when {@link #kernels()} is SIMD. */
        static final SparseKernels SPARSE = CHOICE.kernels == SCALAR ? SPARSE_SCALAR
                : (SparseKernels) instantiate(SIMD_SPARSE_CLASS);
    }

    private KernelProvider() {
    }

    /**
     * The implementation chosen for this JVM.
     *
     * @throws IllegalArgumentException if an {@code autobalance.*} system property is not valid ({@link
     *         EngineProperties#check}), naming it
     */
    public static FactorKernels kernels() {
        EngineProperties.check();
        return Chosen.CHOICE.kernels;
    }

    /** Why {@link #kernels()} was chosen, as logged. */
    public static String reason() {
        EngineProperties.check();
        return Chosen.CHOICE.reason;
    }

    /**
     * The GEMM kernels of the network engine: SIMD exactly when {@link #kernels()} chose SIMD (same checks, same
     * property), the scalar reference otherwise.
     */
    public static GemmKernels gemm() {
        EngineProperties.check();
        return Chosen.GEMM;
    }

    /** A new SIMD GEMM, whatever {@link #gemm()} chose (tests and benchmarks). */
    public static GemmKernels simdGemm() {
        EngineProperties.check();
        if (!vectorModulePresent()) {
            throw new UnsupportedOperationException(VECTOR_MODULE + " is not in the boot layer: run the JVM with "
                    + "--add-modules " + VECTOR_MODULE);
        }
        return loadSimdGemm();
    }

    private static GemmKernels loadSimdGemm() {
        try {
            return (GemmKernels) simdClass(SIMD_GEMM_CLASS).getConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new UnsupportedOperationException("cannot load " + SIMD_GEMM_CLASS, e);
        }
    }

    /**
     * Loads a class of the SIMD kernels, first letting this module read {@code jdk.incubator.vector} when the boot
     * layer has it: the module descriptor does not require it (see module-info.java), so on the module path nothing
     * else gives the kernels access to it. On the class path (the unnamed module reads every module) this does nothing.
     */
    static Class<?> simdClass(String name) throws ClassNotFoundException {
        ModuleLayer.boot().findModule(VECTOR_MODULE).ifPresent(KernelProvider.class.getModule()::addReads);
        return Class.forName(name);
    }

    /** The scalar reference implementation. */
    public static FactorKernels scalar() {
        return SCALAR;
    }

    /** The sparse kernels for this JVM: SIMD when {@link #kernels()} is, else the scalar reference. */
    public static SparseKernels sparseKernels() {
        EngineProperties.check();
        return Chosen.SPARSE;
    }

    /** The scalar reference implementation of the sparse kernels. */
    public static SparseKernels sparseScalar() {
        return SPARSE_SCALAR;
    }

    /**
     * A new SIMD implementation of the sparse kernels, whatever {@link #sparseKernels()} chose, for tests and
     * benchmarks.
     *
     * @throws UnsupportedOperationException if the vector module is missing or the platform cannot run it
     */
    public static SparseKernels sparseSimd() {
        simd(); // the same checks
        return (SparseKernels) instantiate(SIMD_SPARSE_CLASS);
    }

    /** True when the module {@code jdk.incubator.vector} is in the boot layer of this JVM. */
    public static boolean vectorModulePresent() {
        return ModuleLayer.boot().findModule(VECTOR_MODULE).isPresent();
    }

    /**
     * A new SIMD implementation, whatever {@link #kernels()} chose, for tests and benchmarks that compare the two.
     *
     * @throws UnsupportedOperationException if the vector module is missing or the platform cannot run it
     */
    public static FactorKernels simd() {
        EngineProperties.check();
        if (!vectorModulePresent()) {
            throw new UnsupportedOperationException(VECTOR_MODULE + " is not in the boot layer: run the JVM with "
                    + "--add-modules " + VECTOR_MODULE);
        }
        return loadSimd();
    }

    /** An implementation and why it was chosen. */
    record Choice(FactorKernels kernels, String reason) {
    }

    /**
     * The choice for the value {@code mode} of {@link #PROPERTY} ({@code auto}, {@code simd} or {@code scalar}, as
     * {@link EngineProperties#KERNELS} checked it), logged (package-private for the tests).
     */
    static Choice choose(String mode) {
        Choice c = switch (mode) {
            case "scalar" -> new Choice(SCALAR, "forced by -D" + PROPERTY + "=scalar");
            case "simd" -> trySimd(true);
            case "auto" -> trySimd(false);
            default -> throw new IllegalArgumentException("unknown kernel mode '" + mode + "'");
        };
        LOG.log(System.Logger.Level.DEBUG, "autobalance kernels: {0} ({1})", c.kernels.name(), c.reason);
        return c;
    }

    private static Choice trySimd(boolean forced) {
        if (!vectorModulePresent()) {
            String why = VECTOR_MODULE + " is not in the boot layer; pass --add-modules " + VECTOR_MODULE
                    + " to the JVM to enable the SIMD kernels";
            LOG.log(System.Logger.Level.WARNING, "autobalance: falling back to scalar kernels: {0}", why);
            return new Choice(SCALAR, why);
        }
        if (!forced) {
            String vmProblem = vmProblem();
            if (vmProblem != null) {
                LOG.log(System.Logger.Level.WARNING, "autobalance: falling back to scalar kernels: {0}", vmProblem);
                return new Choice(SCALAR, vmProblem);
            }
        }
        try {
            FactorKernels k = loadSimd();
            return new Choice(k, (forced ? "forced by -D" + PROPERTY + "=simd; " : "") + VECTOR_MODULE
                    + " present, " + System.getProperty("java.vm.name") + " with C2");
        } catch (UnsupportedOperationException | LinkageError e) {
            String why = "SIMD kernels unusable: " + e;
            LOG.log(System.Logger.Level.WARNING, "autobalance: falling back to scalar kernels: {0}", why);
            return new Choice(SCALAR, why);
        }
    }

    private static FactorKernels loadSimd() {
        return (FactorKernels) instantiate(SIMD_CLASS);
    }

    private static Object instantiate(String className) {
        try {
            return simdClass(className).getConstructor().newInstance();
        } catch (java.lang.reflect.InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new UnsupportedOperationException("cannot create " + className, e);
        } catch (ReflectiveOperationException e) {
            throw new UnsupportedOperationException("cannot load " + className, e);
        }
    }

    /** Why this VM cannot run the Vector API fast, or null if it can. */
    static String vmProblem() {
        String vmName = System.getProperty("java.vm.name", "");
        String vmInfo = System.getProperty("java.vm.info", "");
        if (!(vmName.contains("HotSpot") || vmName.contains("OpenJDK")) || vmName.contains("OpenJ9")) {
            return "VM '" + vmName + "' is not HotSpot; the Vector API is only fast with HotSpot's C2";
        }
        if (vmInfo.contains("interpreted mode")) {
            return "the JIT is disabled (-Xint); the Vector API would run interpreted";
        }
        try {
            var bean = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            if (bean != null) {
                boolean tiered = Boolean.parseBoolean(bean.getVMOption("TieredCompilation").getValue());
                int stopAt = Integer.parseInt(bean.getVMOption("TieredStopAtLevel").getValue());
                if (tiered && stopAt < 4) {
                    return "C2 is disabled (-XX:TieredStopAtLevel=" + stopAt + "); the Vector API needs C2";
                }
            }
        } catch (RuntimeException | LinkageError e) {
            // jdk.management missing or the option unknown: cannot tell, assume the default (C2 present)
            return null;
        }
        return null;
    }
}
