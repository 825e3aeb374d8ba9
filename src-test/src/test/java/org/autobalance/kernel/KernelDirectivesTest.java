package org.autobalance.kernel;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.autobalance.testing.Repository;
import org.junit.jupiter.api.Test;

/**
 * The launcher's compiler directives (cli/jit/kernels.json) name kernel methods one by one (the drivers, compiled
 * without inlining the per-block kernels: native-notes/startup.md, fourteenth session). HotSpot ignores a pattern
 * that matches nothing, so a driver renamed in the templates would silently be compiled the old, slower way; every
 * named method must exist.
 */
class KernelDirectivesTest {
    /** A quoted method pattern of the kernel package without wildcards: "org/autobalance/kernel/simd/Class.method". */
    private static final Pattern NAMED = Pattern.compile("\"(org/autobalance/kernel/simd/\\w+)\\.(\\w+)\"");

    @Test
    void everyKernelMethodTheDirectivesNameExists() throws IOException, ClassNotFoundException {
        // the kernel classes' methods name Vector API types: without the module their list cannot be read
        assumeTrue(KernelProvider.vectorModulePresent(), "jdk.incubator.vector not in the boot layer");
        String directives = Files.readString(Repository.root().resolve("cli/jit/kernels.json"));
        Matcher m = NAMED.matcher(directives);
        List<String> missing = new ArrayList<>();
        int named = 0;
        while (m.find()) {
            named++;
            Class<?> kernels = Class.forName(m.group(1).replace('/', '.'));
            String method = m.group(2);
            if (Arrays.stream(kernels.getDeclaredMethods()).map(Method::getName).noneMatch(method::equals)) {
                missing.add(m.group(1) + "." + method);
            }
        }
        assertTrue(named > 0, "kernels.json names no kernel method, so this test checked nothing");
        assertTrue(missing.isEmpty(), "cli/jit/kernels.json names methods that do not exist: " + missing);
    }
}
