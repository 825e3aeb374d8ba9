package org.autobalance.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A file system mounted for a test: a small tmpfs, so that a disk that fills up can be met for real (the system's own
 * "No space left on device" from write(2) and fsync(2), and the SIGBUS of a store into a mapped page the file system
 * cannot back, which no injected exception reproduces); or a directory bound at a second path, which gives it a
 * second real path. Mounting needs root (or CAP_SYS_ADMIN) on Linux: elsewhere the test is skipped by an assumption,
 * never passed. Close it to unmount.
 */
public final class SmallFileSystem implements AutoCloseable {
    private final Path root;

    private SmallFileSystem(Path root) {
        this.root = root;
    }

    /** Mounts a tmpfs of {@code kib} KiB at {@code mountPoint} (an empty directory), or skips the test. */
    public static SmallFileSystem mount(Path mountPoint, long kib) throws IOException, InterruptedException {
        return mounted(mountPoint, "a tmpfs", "-t", "tmpfs", "-o", "size=" + kib + "k", "tmpfs");
    }

    /** Binds directory {@code directory} at {@code mountPoint} (an empty directory) too, or skips the test. */
    public static SmallFileSystem bind(Path directory, Path mountPoint) throws IOException, InterruptedException {
        return mounted(mountPoint, "a bind mount", "--bind", directory.toString());
    }

    /** {@code mount ARGS mountPoint}, or the test skipped, saying it could not mount {@code what}. */
    private static SmallFileSystem mounted(Path mountPoint, String what, String... args)
            throws IOException, InterruptedException {
        assumeTrue(System.getProperty("os.name").startsWith("Linux"), "mounting here is Linux's");
        Files.createDirectories(mountPoint);
        String[] command = new String[args.length + 2];
        command[0] = "mount";
        System.arraycopy(args, 0, command, 1, args.length);
        command[command.length - 1] = mountPoint.toString();
        int code;
        try {
            code = run(command);
        } catch (IOException noMountCommand) {
            code = -1;
        }
        assumeTrue(code == 0, "cannot mount " + what + " here (not root?): the test is skipped");
        return new SmallFileSystem(mountPoint);
    }

    /** The mount point. */
    public Path root() {
        return root;
    }

    /** Fills the file system but for about {@code leaveKib} KiB, with a file named {@code name}. */
    public Path fill(String name, long leaveKib) throws IOException {
        Path filler = root.resolve(name);
        long free = Files.getFileStore(root).getUsableSpace();
        byte[] block = new byte[4096];
        long blocks = Math.max(0, free - leaveKib * 1024) / block.length;
        try (var out = Files.newOutputStream(filler)) {
            for (long k = 0; k < blocks; k++) {
                out.write(block);
            }
        }
        return filler;
    }

    @Override
    public void close() throws IOException {
        try {
            if (run("umount", root.toString()) == 0) {
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        throw new IOException("could not unmount the test's tmpfs at " + root);
    }

    private static int run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }
}
