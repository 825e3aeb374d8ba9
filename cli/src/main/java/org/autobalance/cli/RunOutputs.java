package org.autobalance.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.autobalance.io.MatrixMarket;
import org.autobalance.io.Npy;
import org.autobalance.io.internal.AtomicFile;
import org.autobalance.io.internal.FileChecks;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.json.Json;

/**
 * The output directory of a run: its files (U and V as .mtx or .npy for a factorisation, a directory of U shards
 * and V.npy for a distributed one; W1.npy, … for a network) and summary.json appear together or not at all.
 *
 * <p>A staging directory inside the output directory is created before the run, so an unwritable destination fails
 * before any work is done. The files are written there and moved into place (atomic renames, summary.json last)
 * only after the run succeeded; a failed or diverged run removes the staging directory and leaves the destination as
 * it was. A process killed outright (kill -9, a machine lost) cannot remove its staging directory: the next run into
 * the same directory removes it ({@link Staging}).
 */
public final class RunOutputs implements AutoCloseable {
    static final String SUMMARY_FILE = "summary.json";

    /** The file format of the factors, {@code --out-format}. */
    public enum Format {
        MTX, NPY;

        /** Parses {@code mtx} or {@code npy} (case-insensitive); anything else is a usage error. */
        static Format parse(String text) {
            for (Format f : values()) {
                if (f.extension().equalsIgnoreCase(text.trim())) {
                    return f;
                }
            }
            throw new UsageException("--out-format: expected mtx or npy, got '" + text + "'", null);
        }

        String extension() {
            return name().toLowerCase(Locale.ROOT);
        }

        void write(Path path, DenseMatrix factor, String comment) throws IOException {
            if (this == NPY) {
                Npy.write(path, factor);
            } else {
                MatrixMarket.write(path, factor, comment);
            }
        }

        /** The names of U and V in this format: {@code U.<ext>}, {@code V.<ext>}. */
        public List<String> factorFiles() {
            return List.of("U." + extension(), "V." + extension());
        }

        /** Writes U and V into {@code dir} under the names of {@link #factorFiles()}. */
        public void writeFactors(Path dir, DenseMatrix u, DenseMatrix v) throws IOException {
            String comment = "autobalance " + u.rows() + " x " + u.cols() + " factor";
            write(dir.resolve(factorFiles().get(0)), u, "U: " + comment);
            write(dir.resolve(factorFiles().get(1)), v, "V: " + comment);
        }
    }

    /** Where a commit that cannot move its results in leaves them (a visible name: nothing removes it). */
    static final String KEPT_PREFIX = "autobalance-results-";
    private static final String PARAMETER_NAME = "[Wb][1-9][0-9]*\\.npy";
    /** The names of the result files of every command: U, V (.mtx, .npy, or U as a directory of shards), W1.npy, …. */
    private static final Pattern RESULT = Pattern.compile("[UV](\\.mtx|\\.npy)?|" + PARAMETER_NAME);
    /** The result files of {@code network}: W1.npy, … and b1.npy, … (of a depth known once X is read). */
    static final Predicate<String> PARAMETER_FILES = Pattern.compile(PARAMETER_NAME).asMatchPredicate();
    /** The files of a directory of U shards that a distributed run writes ({@code SparkOutputs}). */
    private static final Pattern SHARD = Pattern.compile("part-\\d+\\.npy");

    private final Path directory;
    private final Staging staging;

    /**
     * Whether a command whose result files are {@code results} (U.mtx and V.mtx, W3.npy, …) writes a file named
     * {@code name} into its output directory: one of them, or summary.json, which every command writes.
     */
    static boolean writes(Predicate<String> results, String name) {
        return name.equals(SUMMARY_FILE) || results.test(name);
    }

    /**
     * Refuses an output directory that holds, under the name of a file this command writes ({@link #writes}), a
     * directory that is not an earlier run's: the results replace what bears their names, and such a directory was
     * deleted whole with all it held, after the run (found with a directory {@code out/U.mtx} holding a file of the
     * user's). An empty one, or one of shards alone ({@code U/} of an earlier distributed run), is replaced. A
     * directory under a name only another command writes is left alone: a folder {@code U/} of the user's beside
     * {@code factorize}'s {@code U.mtx} was refused too (a new user's finding).
     */
    static void refuseForeignDirectories(Path directory, Predicate<String> results) {
        if (!Files.isDirectory(directory)) {
            return;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory, e -> writes(results,
                e.getFileName().toString()) && Files.isDirectory(e, LinkOption.NOFOLLOW_LINKS))) {
            for (Path entry : entries) {
                String foreign = foreignEntry(entry);
                if (foreign != null) {
                    throw new UsageException("--out " + directory + ": " + entry + " is a directory (holding "
                            + foreign + "), not an earlier run's results, and a result of this name would replace it "
                            + "with all it holds; move it, or give another --out", null);
                }
            }
        } catch (IOException e) {
            throw new UsageException("--out " + directory + ": cannot list it (" + FileChecks.reason(e) + ")", e);
        }
    }

    /** An entry of {@code dir} that is not a shard an earlier run wrote, or null when there is none. */
    private static String foreignEntry(Path dir) throws IOException {
        try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
            for (Path child : children) {
                if (!SHARD.matcher(child.getFileName().toString()).matches()
                        || !Files.isRegularFile(child, LinkOption.NOFOLLOW_LINKS)) {
                    return child.getFileName().toString();
                }
            }
        }
        return null;
    }

    RunOutputs(Path directory) {
        this.directory = directory;
        FileChecks.requireWritableDirectory("--out", directory);
        try {
            Files.createDirectories(directory);
            this.staging = Staging.create(directory);
        } catch (IOException e) {
            throw new UsageException("--out " + directory + ": cannot write there (" + FileChecks.reason(e) + ")", e);
        }
    }

    /** Writes the content of the result files into a directory. */
    @FunctionalInterface
    public interface Content {
        void writeInto(Path directory) throws IOException;
    }

    /**
     * Writes the files {@code names} (by {@code content}, into the staging directory) and the summary, and moves them
     * into the output directory, summary.json last; returns the paths written. A name may be a directory (of shards),
     * which replaces one of that name from an earlier run whole.
     */
    List<Path> commit(List<String> names, Content content, Map<String, Object> summary) throws IOException {
        try {
            content.writeInto(staging.path());
            byte[] text = (Json.object(summary) + "\n").getBytes(StandardCharsets.UTF_8);
            AtomicFile.replace(staging.path().resolve(SUMMARY_FILE), text);
        } catch (IOException e) {
            // a full disk, most likely: what was written is in the staging directory, which close() removes
            throw new IOException("--out " + directory + ": cannot write " + staged(e) + " (" + FileChecks.reason(e)
                    + "): nothing was written there", e);
        }
        List<String> all = new ArrayList<>(names);
        all.add(SUMMARY_FILE);
        for (String name : all) {
            // a rename cannot replace a directory that is not empty, and one that is not an earlier run's shards was
            // refused before the run (refuseForeignDirectories): one made since is left as it is, and nothing moved
            Path target = directory.resolve(name);
            String foreign = Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS) ? foreignEntry(target) : null;
            if (foreign != null) {
                // the results are kept under a visible name: in the staging directory close() would delete them (and
                // a later run would remove them as abandoned), losing the whole run to another program's directory
                Path kept = Files.createTempDirectory(directory, KEPT_PREFIX);
                staging.renameTo(kept);
                throw new IOException("--out " + directory + ": " + target + " was made during the run, a directory "
                        + "holding " + foreign + ", which the results would replace: nothing was replaced; this run's "
                        + "results are in " + kept);
            }
        }
        // An earlier run's summary goes first: between the renames below (or if the process dies among them) the
        // directory then holds no summary rather than an old one beside new factors, so "summary.json present" keeps
        // meaning "the files beside it are its run's" at every instant.
        Files.deleteIfExists(directory.resolve(SUMMARY_FILE));
        List<Path> written = new ArrayList<>();
        for (String name : all) {
            Path target = directory.resolve(name);
            if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                Staging.deleteTree(target); // empty, or an earlier run's shards (above)
            }
            Files.move(staging.path().resolve(name), target, StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
            written.add(target);
        }
        return written;
    }

    /** The file a write into the staging directory failed on, as the output directory will name it. */
    private String staged(IOException e) {
        if (e instanceof FileSystemException f && f.getFile() != null) {
            Path file = Path.of(f.getFile()).toAbsolutePath();
            Path root = staging.path().toAbsolutePath();
            return file.startsWith(root) ? root.relativize(file).toString() : file.toString();
        }
        return "the results";
    }

    /**
     * The names in the output directory that look like results (U.mtx, W3.npy, …) but were not written by the last
     * {@link #commit}: an earlier run's, in another format or of a deeper network. They are left alone (they may be
     * the user's own files), and the commands say so, as they could be taken for this run's.
     */
    private List<String> otherResults(List<Path> written) throws IOException {
        List<String> others = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (RESULT.matcher(name).matches() && !written.contains(entry)) {
                    others.add(name);
                }
            }
        }
        others.sort(null);
        return others;
    }

    /** Prints what {@link #commit} wrote and, on a second line, the {@link #otherResults} beside it. */
    void report(PrintWriter printer, List<Path> written) throws IOException {
        printer.println("wrote " + String.join(", ", written.stream().map(Path::toString).toList()));
        List<String> others = otherResults(written);
        if (!others.isEmpty()) {
            printer.println("note: " + directory + " also holds " + String.join(", ", others)
                    + ", not written by this run (an earlier run's results, left as they were)");
        }
    }

    /** Removes the staging directory and anything left in it. */
    @Override
    public void close() throws IOException {
        staging.close();
    }
}
