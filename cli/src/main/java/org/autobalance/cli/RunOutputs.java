package org.autobalance.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.autobalance.io.MatrixMarket;
import org.autobalance.io.Npy;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.observe.Json;

/**
 * The output directory of a run: the factors (U.mtx and V.mtx, or U.npy and V.npy, or what a {@link Writer}
 * writes) and summary.json appear together or not at all.
 *
 * <p>A staging directory inside the output directory is created before the run, so an unwritable destination fails
 * before any work is done. The files are written there and moved into place (atomic renames, summary.json last)
 * only after the run succeeded; a failed or diverged run removes the staging directory and leaves the destination as
 * it was.
 */
public final class RunOutputs implements AutoCloseable {
    static final String SUMMARY_FILE = "summary.json";

    /** Writes a run's factors into the staging directory; returns the names written there (files or directories). */
    @FunctionalInterface
    public interface Writer {
        List<String> write(Path staging, Format format) throws IOException;
    }

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

        /** Writes U and V as {@code U.<ext>} and {@code V.<ext>} into {@code dir}; returns their names. */
        public List<String> writeFactors(Path dir, DenseMatrix u, DenseMatrix v) throws IOException {
            String comment = "autobalance " + u.rows() + " x " + u.cols() + " factor";
            String uFile = "U." + extension();
            String vFile = "V." + extension();
            write(dir.resolve(uFile), u, "U: " + comment);
            write(dir.resolve(vFile), v, "V: " + comment);
            return List.of(uFile, vFile);
        }
    }

    private final Path directory;
    private final Path staging;
    private final Format format;

    RunOutputs(Path directory, Format format) {
        this.directory = directory;
        this.format = format;
        try {
            Files.createDirectories(directory);
            this.staging = Files.createTempDirectory(directory, ".autobalance-staging-");
        } catch (FileAlreadyExistsException e) {
            throw new UsageException("--out " + directory + ": exists and is not a directory", e);
        } catch (IOException e) {
            throw new UsageException("--out " + directory + ": cannot write there (" + e + ")", e);
        }
    }

    /** Writes the factors and the summary and moves them into the output directory; returns the paths written. */
    List<Path> commit(Writer factors, Map<String, Object> summary) throws IOException {
        List<String> names = new ArrayList<>(factors.write(staging, format));
        Files.writeString(staging.resolve(SUMMARY_FILE), Json.object(summary) + "\n", StandardCharsets.UTF_8);
        names.add(SUMMARY_FILE);
        List<Path> written = new ArrayList<>();
        for (String name : names) {
            Path target = directory.resolve(name);
            if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                // a directory of shards from an earlier run: replaced whole (a rename cannot replace a full one)
                deleteTree(target);
            }
            Files.move(staging.resolve(name), target, StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
            written.add(target);
        }
        return written;
    }

    /** Removes the staging directory and anything left in it. */
    @Override
    public void close() throws IOException {
        if (Files.exists(staging)) {
            deleteTree(staging);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            try (DirectoryStream<Path> children = Files.newDirectoryStream(root)) {
                for (Path p : children) {
                    deleteTree(p);
                }
            }
        }
        Files.deleteIfExists(root);
    }
}
