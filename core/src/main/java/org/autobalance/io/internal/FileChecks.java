package org.autobalance.io.internal;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The words for what went wrong with a file, and the check that a directory can be written, shared by the library
 * and every front end (command line, Spark module, benchmarks), so that a message reads the same wherever it comes
 * from. Not exported by the module: public for the project's own modules on the class path.
 */
public final class FileChecks {
    private static final String LEADS_NOWHERE = "a symbolic link that leads nowhere (a loop of links, or one to a "
            + "file that does not exist)";

    private FileChecks() {
    }

    /**
     * What went wrong in an I/O operation, in words, without the exception's class name: the reason the system gave
     * (a {@code FileSystemException}'s message is the file's name, then the reason).
     */
    public static String reason(IOException e) {
        if (e instanceof FileSystemException f && f.getReason() != null
                && f.getReason().startsWith("Too many levels of symbolic links")) {
            // the system's ELOOP, in the JDK's words "… or unable to access attributes of symbolic link"
            return "a loop of symbolic links (or a chain of them too long to follow)";
        }
        if (e instanceof FileSystemException f && f.getReason() == null && f.getFile() != null
                && Files.isSymbolicLink(Path.of(f.getFile())) && !Files.exists(Path.of(f.getFile()))) {
            // a directory made where such a link is came back as the link's name alone: "cannot write there (loop1)"
            return LEADS_NOWHERE;
        }
        if (e instanceof FileSystemException f) {
            return f.getReason() != null ? f.getReason() : e instanceof NoSuchFileException
                    ? "no such file or directory: " + f.getFile() + standardInputHint(f.getFile())
                    : e instanceof AccessDeniedException ? "permission denied: " + f.getFile() : f.getMessage();
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /**
     * The words that follow "does not exist" or "no such file" of a file named {@code name}: for "-", standard input
     * to many tools but a file name here, where standard input is; nothing for any other name. The one home of that
     * hint, for the command line's checks and the readers alike.
     */
    public static String standardInputHint(String name) {
        return "-".equals(name) ? " (for standard input, give /dev/stdin)" : "";
    }

    /**
     * Why {@code path}, which does not exist, cannot be read, as words to follow its name: "does not exist", and where
     * a part of it is a file ({@code M.npy/U}) or a link that leads nowhere, which.
     */
    public static String missing(Path path) {
        if (!standardInputHint(path.toString()).isEmpty()) {
            return "does not exist" + standardInputHint(path.toString());
        }
        if (Files.isSymbolicLink(path)) {
            return "is " + LEADS_NOWHERE;
        }
        for (Path parent = path.getParent(); parent != null; parent = parent.getParent()) {
            if (Files.exists(parent)) {
                return Files.isDirectory(parent) ? "does not exist"
                        : "does not exist: " + parent + " is a file, not a directory";
            }
            if (Files.isSymbolicLink(parent)) {
                return "does not exist: " + parent + " is " + LEADS_NOWHERE;
            }
        }
        return "does not exist";
    }

    /**
     * {@code text} with its control characters written as escapes ({@code \x1B}, {@code \x0A}), and the replacement
     * character U+FFFD of undecodable bytes as {@code \uFFFD}: a message must not put escape sequences or carriage
     * returns on the terminal, nor become several lines — a binary file's bytes quoted, or a file named with a
     * newline.
     */
    public static String printable(String text) {
        StringBuilder b = new StringBuilder(text.length());
        for (int k = 0; k < text.length(); k++) {
            char c = text.charAt(k);
            if (Character.isISOControl(c) || c == '\uFFFD') {
                b.append(c <= 0xFF ? String.format(Locale.ROOT, "\\x%02X", (int) c)
                        : String.format(Locale.ROOT, "\\u%04X", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /**
     * "cannot read WHAT from PATH: REASON", with the path said once: the readers' messages begin with the file they
     * read ("P: truncated: …", "P, line 2: …"), which was printed twice ("… from P: P: truncated").
     */
    public static String cannotRead(String what, Path path, IOException e) {
        String reason = reason(e);
        String file = path.toString();
        // a reason that names the file already, also with a note on which rows it holds ("F (rows 151 to 300): …")
        return "cannot read " + what + " from " + (reason.startsWith(file + ":") || reason.startsWith(file + ",")
                || reason.startsWith(file + " (") ? reason : file + ": " + reason);
    }

    /**
     * Fails, naming {@code option}, unless {@code dir} is a writable directory or could be created as one (it is not
     * created): results and checkpoints are written after the work, and a run should not work that long to learn it
     * cannot save.
     *
     * @param option how the directory was given (an option, "checkpoint directory"), the message's first words
     * @throws IllegalArgumentException "OPTION DIR: " and what is wrong
     */
    public static void requireWritableDirectory(String option, Path dir) {
        for (Path missing = dir; missing != null && !Files.exists(missing); missing = missing.getParent()) {
            if (Files.isSymbolicLink(missing)) {
                // a directory cannot be made where the link is, nor where it leads: found only after the work
                // (reproduce all), when the results were written
                throw new IllegalArgumentException(option + " " + dir + ": " + (missing.equals(dir) ? ""
                        : missing + " ") + "is " + LEADS_NOWHERE);
            }
        }
        Path existing = nearestExisting(dir);
        if (!Files.isDirectory(existing)) {
            throw new IllegalArgumentException(option + " " + dir + ": " + (existing.equals(dir.toAbsolutePath())
                    ? "exists and is not a directory" : existing + " is not a directory"));
        }
        if (!Files.isWritable(existing)) {
            // with the reason, as the probe below gives one (a read-only mount said no more than "cannot write in")
            throw new IllegalArgumentException(option + " " + dir + ": cannot write in " + existing + " ("
                    + (readOnlyStore(existing) ? "read-only file system" : "permission denied") + ")");
        }
        // the permission bits are not the whole answer (root on /sys or /proc, or on NFS whose server maps root to
        // nobody; a file system that is full of inodes): a file made and removed is
        try {
            Files.delete(Files.createTempFile(existing, ".autobalance-probe-", null));
        } catch (IOException e) {
            // the system's reason without the probe file's name, which is ours, not the user's (/proc said "no such
            // file or directory: /proc/.autobalance-probe-….tmp")
            String why = e instanceof NoSuchFileException ? (Files.isDirectory(existing) ? "it takes no new files"
                    : "it was removed meanwhile")
                    : e instanceof AccessDeniedException ? "permission denied" : reason(e);
            throw new IllegalArgumentException(option + " " + dir + ": cannot write in " + existing + " (" + why
                    + ")", e);
        }
    }

    /** Whether {@code path} is on a file system mounted read-only (false where that cannot be told). */
    private static boolean readOnlyStore(Path path) {
        try {
            return Files.getFileStore(path).isReadOnly();
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The nearest of {@code path} (made absolute) and its ancestors that exists — where a file or directory to be made
     * there would go; the root at the farthest.
     */
    public static Path nearestExisting(Path path) {
        Path existing = path.toAbsolutePath();
        while (existing.getParent() != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        return existing;
    }

    /**
     * {@code path} as the system resolves it, whether or not it exists yet: the real path of its nearest existing
     * directory (symbolic links and {@code ..} resolved) and the rest as given, normalised — so that one directory or
     * file named in two ways, one of them through a link in a parent, has one name.
     */
    public static Path resolved(Path path) {
        Path absolute = path.toAbsolutePath();
        for (Path existing = absolute; existing != null; existing = existing.getParent()) {
            try {
                return existing.toRealPath().resolve(existing.relativize(absolute)).normalize();
            } catch (IOException missingOrUnreadable) {
                // try its parent
            }
        }
        return absolute.normalize();
    }

    /**
     * A path given on a command line, refused when it starts with ~: the shell expands ~ only at the start of a word,
     * so {@code --out=~/results} (one word) or a quoted {@code '~/x'} arrived as it was typed, and a directory named
     * "~" was made in the working directory (a new user's finding; a second run then wrote into it without a word). A
     * file whose name starts with ~ is still reached as {@code ./~x}.
     *
     * An empty path is refused too: it is what an unset shell variable ({@code --out "$OUT"}) gives, and the JDK reads
     * it as the working directory — {@code --out ""} wrote the results there, {@code --checkpoint ""} ran the whole
     * run and then failed on a null parent, leaving its lock.
     *
     * @throws IllegalArgumentException for an empty path or an unexpanded ~, saying what to write instead
     */
    public static Path path(String text) {
        if (text.isEmpty()) {
            // "." only where a directory is asked for: `bench --json .` was then refused as a directory
            throw new IllegalArgumentException("'': an empty path (an unset shell variable?); give a name (or ., the "
                    + "working directory, where a directory is asked for)");
        }
        if (text.startsWith("~")) {
            String home = System.getProperty("user.home");
            throw new IllegalArgumentException("'" + text + "': the shell did not expand ~ (it does only at the start "
                    + "of a word, not after = or inside quotes); write " + (text.equals("~") || text.startsWith("~/")
                    ? home + text.substring(1) : "the full path") + " (or ./" + text + " for a name starting with ~ "
                    + "here)");
        }
        if (text.indexOf('\uFFFD') >= 0) {
            // the JVM decodes a name's bytes by the locale's character set and puts U+FFFD for those that do not
            // decode: the name it then asks for is another, which was reported as missing ("no such .npy file")
            Path named = null;
            try {
                named = Path.of(text);
            } catch (InvalidPathException unmappable) {
                // ASCII: not even U+FFFD can be asked for
            }
            if (named == null || !Files.exists(named, LinkOption.NOFOLLOW_LINKS)) {
                String charset = System.getProperty("sun.jnu.encoding", "UTF-8");
                throw new IllegalArgumentException("'" + printable(text) + "': the name holds bytes that are not "
                        + charset + " (each shown as \\uFFFD), the character set Java decodes file names by here, "
                        + "so it cannot open that file; rename it" + (charset.equals("UTF-8") ? ""
                        : ", or run with LC_ALL=C.UTF-8 if the name is UTF-8"));
            }
        }
        return Path.of(text);
    }
}
