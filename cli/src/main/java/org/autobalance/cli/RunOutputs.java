package org.autobalance.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.autobalance.observe.Json;

/**
 * The output directory of a run: the factors (U.mtx and V.mtx, or what a {@link Writer} writes) and summary.json
 * appear together or not at all.
 *
 * <p>A staging directory inside the output directory is created before the run, so an unwritable destination fails
 * before any work is done. The files are written there and moved into place (atomic renames, summary.json last)
 * only after the run succeeded; a failed or diverged run removes the staging directory and leaves the destination as
 * it was.
 */
final class RunOutputs implements AutoCloseable {
    /** Writes a run's factors into the staging directory; returns the names written there. */
    @FunctionalInterface
    interface Writer {
        List<String> write(Path staging) throws IOException;
    }

    static final String U_FILE = "U.mtx";
    static final String V_FILE = "V.mtx";
    static final String SUMMARY_FILE = "summary.json";

    private final Path directory;
    private final Path staging;

    RunOutputs(Path directory) {
        this.directory = directory;
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
        List<String> names = new ArrayList<>(factors.write(staging));
        Files.writeString(staging.resolve(SUMMARY_FILE), Json.object(summary) + "\n", StandardCharsets.UTF_8);
        names.add(SUMMARY_FILE);
        List<Path> written = new ArrayList<>();
        for (String name : names) {
            Path target = directory.resolve(name);
            if (Files.isDirectory(target)) {
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
        if (Files.isDirectory(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            try (DirectoryStream<Path> children = Files.newDirectoryStream(root)) {
                for (Path p : children) {
                    deleteTree(p);
                }
            }
        }
        Files.deleteIfExists(root);
    }
}
