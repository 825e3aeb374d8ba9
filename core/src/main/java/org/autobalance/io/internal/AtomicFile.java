package org.autobalance.io.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * Replaces a file atomically: the content is written to a temporary file next to the target, forced to disk and then
 * renamed over the target, so the target is either the old file or the complete new one, and a failure leaves no
 * temporary file behind and is a {@link FileSystemException} naming the target (a full disk among them). Each write
 * has its own temporary name ({@code .NAME.RANDOM.tmp}), so two writers of one target never write into each other's
 * file; only a process killed while writing leaves one, which {@link #removeStale} removes once no writer can be
 * using it.
 *
 * <p>A target that exists and is not a regular file (a device, a named pipe, a socket, a directory, or a link to one)
 * is refused before anything is written: the rename would put a regular file in its place — as root,
 * {@code Npy.write(Path.of("/dev/null"), m)} replaced the machine's {@code /dev/null}. A caller that means to write
 * into such a file as it goes (the command line's {@code --log /dev/stdout}) opens it itself.
 *
 * <p>Not exported by the module: public for the project's own modules on the class path.
 */
public final class AtomicFile {
    /** Writes the content of the new file to a channel opened for reading and writing (reading lets it be mapped). */
    @FunctionalInterface
    public interface Content {
        void writeTo(FileChannel channel) throws IOException;
    }

    /** A temporary file's name: this with the target's name, a random number, then {@link #SUFFIX}. */
    private static final String PREFIX = ".%s.";
    private static final String SUFFIX = ".tmp";

    private AtomicFile() {
    }

    /**
     * Replaces the file {@code path} by what {@code content} writes (see the class documentation). On a thread whose
     * interrupt status is set, or is set meanwhile, it fails as {@link Interrupts#writing} says.
     */
    public static void replace(Path path, Content content) throws IOException {
        Path target = path.toAbsolutePath();
        if (Thread.currentThread().isInterrupted()) {
            throw Interrupts.writing(target.toString(), null);
        }
        requireRegularOrAbsent(target);
        // Not Files.createTempFile: it creates the file owner-only (0600), and the rename would pass that on.
        Path temp = target.resolveSibling(PREFIX.formatted(target.getFileName())
                + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + SUFFIX);
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                content.writeTo(channel);
                // Without this a crash soon after the rename could leave the new name pointing at unwritten data.
                channel.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            IOException named = naming(target, temp, e);
            removeAfterFailure(temp, named);
            throw named;
        } catch (RuntimeException | Error e) {
            removeAfterFailure(temp, e);
            throw e;
        }
    }

    /** Replaces the file {@code path} by {@code bytes} (see the class documentation). */
    public static void replace(Path path, byte[] bytes) throws IOException {
        replace(path, channel -> {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        });
    }

    /**
     * Fails, naming {@code target} and what it is, if it exists (its link followed) and is not a regular file. Checked
     * before the write, not at the rename: a file made there meanwhile is still replaced, as any file is.
     */
    private static void requireRegularOrAbsent(Path target) throws FileSystemException {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(target, BasicFileAttributes.class);
        } catch (IOException absent) {
            // nothing there (or nothing that can be looked at): the write itself reports what it finds
            return;
        }
        if (!attributes.isRegularFile()) {
            throw new FileSystemException(target.toString(), null, "is " + kind(target, attributes)
                    + ", not a regular file: the new file, written beside it and renamed over it, would replace it; "
                    + "give a file name");
        }
    }

    /** What a file that is not a regular one is, in words ("a character device"). */
    private static String kind(Path target, BasicFileAttributes attributes) {
        if (attributes.isDirectory()) {
            return "a directory";
        }
        try {
            // the type bits of st_mode (S_IFMT); the "unix" view is the JDK's on Linux and macOS
            return switch ((Integer) Files.getAttribute(target, "unix:mode") & 0170000) {
                case 0020000 -> "a character device";
                case 0060000 -> "a block device";
                case 0010000 -> "a named pipe";
                case 0140000 -> "a socket";
                default -> "a device, a pipe or a socket";
            };
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            // no unix view (another system): the general words
            return "a device, a pipe or a socket";
        }
    }

    private static void removeAfterFailure(Path temp, Throwable failure) {
        try {
            Files.deleteIfExists(temp);
        } catch (IOException cleanup) {
            failure.addSuppressed(cleanup);
        }
    }

    /**
     * A failure as a {@link FileSystemException} naming the target with the system's reason, so that a caller can say
     * which file it could not write: a failed {@code write(2)} or {@code fsync(2)} ("No space left on device") names
     * no file, and one of the temporary file (its open, its rename: the directory removed meanwhile) named that
     * hidden name. One that names another file is left as it is; an interrupt's closed channel is
     * {@link Interrupts#writing}.
     */
    private static IOException naming(Path target, Path temp, IOException e) {
        if (e instanceof ClosedByInterruptException) {
            return Interrupts.writing(target.toString(), e);
        }
        String reason = FileChecks.reason(e);
        if (e instanceof FileSystemException f) {
            if (!temp.toString().equals(f.getFile()) && !target.toString().equals(f.getFile())) {
                return e;
            }
            // the subclasses that carry no reason of their own
            reason = f.getReason() != null ? f.getReason() : e instanceof NoSuchFileException
                    ? "No such file or directory" : e instanceof AccessDeniedException ? "Permission denied" : reason;
        }
        // of the same kind where a caller may tell them apart (a missing directory, a refused permission)
        String file = target.toString();
        FileSystemException named = e instanceof NoSuchFileException ? new NoSuchFileException(file, null, reason)
                : e instanceof AccessDeniedException ? new AccessDeniedException(file, null, reason)
                : new FileSystemException(file, null, reason);
        named.initCause(e);
        return named;
    }

    /**
     * Removes the temporary files of {@code path} that writers killed while writing left (and the fixed name
     * {@code .NAME.tmp} that checkpoints used before each write had its own). Only for a caller that knows no other
     * writer of {@code path} is running, such as the holder of its directory's {@link RunLock}: a live writer's
     * file removed would fail its rename.
     */
    public static void removeStale(Path path) throws IOException {
        Path target = path.toAbsolutePath();
        String prefix = PREFIX.formatted(target.getFileName());
        try (Stream<Path> siblings = Files.list(target.getParent())) {
            for (Path p : (Iterable<Path>) siblings::iterator) {
                String name = p.getFileName().toString();
                // the old fixed name matches too: .NAME. + tmp
                if (name.startsWith(prefix) && name.endsWith(SUFFIX) && Files.isRegularFile(p)) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
