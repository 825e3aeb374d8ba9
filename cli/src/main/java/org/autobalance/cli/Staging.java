package org.autobalance.cli;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The hidden directories in which the commands write their results before renaming them into place: {@link RunOutputs}
 * (factorize, demo, network, spark-factorize) and {@link ExperimentReport} (reproduce). A process killed outright (kill
 * -9, a machine lost) cannot remove its own; its name carries the process id, and the next command that stages in the
 * same directory removes those of processes no longer alive (a live one may be another command's, still writing).
 * {@code reproduce} named its own {@code .rank1.RANDOM}, without the pid, and a killed run's stayed for good.
 */
final class Staging {
    private static final String PREFIX = ".autobalance-staging-";
    private static final Pattern NAME = Pattern.compile(Pattern.quote(PREFIX) + "(\\d+)-.*");

    private Staging() {
    }

    /** Whether {@code name} is a staging directory's. */
    static boolean isStagingName(String name) {
        return name.startsWith(PREFIX);
    }

    /**
     * A new staging directory of this process in {@code directory} (which exists), once those of processes no longer
     * alive are removed from it.
     */
    static Path create(Path directory) throws IOException {
        removeAbandoned(directory);
        return Files.createTempDirectory(directory, PREFIX + ProcessHandle.current().pid() + "-");
    }

    /** Removes the staging directories in {@code directory} of processes no longer alive. */
    static void removeAbandoned(Path directory) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory, PREFIX + "*")) {
            for (Path entry : entries) {
                Matcher m = NAME.matcher(entry.getFileName().toString());
                if (m.matches() && !alive(m.group(1))) {
                    deleteTree(entry);
                }
            }
        }
    }

    private static boolean alive(String pid) {
        try {
            return ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false);
        } catch (NumberFormatException tooLong) {
            return false; // no process has such an id
        }
    }

    /** Deletes {@code root} and, if it is a directory (not a link to one), all it holds. */
    static void deleteTree(Path root) throws IOException {
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
