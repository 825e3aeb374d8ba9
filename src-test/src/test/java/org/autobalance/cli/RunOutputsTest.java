package org.autobalance.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The output directory's promise: a summary.json is never beside factors that are not its run's. */
class RunOutputsTest {
    @Test
    void anEarlierSummaryIsGoneBeforeTheFirstNewFileArrives(@TempDir Path out) throws IOException {
        Files.writeString(out.resolve("U.mtx"), "old U");
        Files.writeString(out.resolve("V.mtx"), "old V");
        Files.writeString(out.resolve(RunOutputs.SUMMARY_FILE), "{\"old\": true}");
        try (RunOutputs outputs = new RunOutputs(out)) {
            // U is written, V is not: its rename fails after U's, as a process killed between the two would stop
            assertThrows(IOException.class, () -> outputs.commit(List.of("U.mtx", "V.mtx"),
                    staging -> Files.writeString(staging.resolve("U.mtx"), "new U"), Map.of("new", true)));
        }
        assertEquals("new U", Files.readString(out.resolve("U.mtx")));
        assertFalse(Files.exists(out.resolve(RunOutputs.SUMMARY_FILE)),
                "the old summary must not describe the new U beside the old V");
    }

    /**
     * A directory under a result's name was deleted whole when the results moved in, whatever it held. An earlier
     * distributed run's U/ of shards, and an empty directory, are still replaced; one that appears during the run
     * with other content stops the commit before anything moves.
     */
    @Test
    void onlyAnEarlierRunsDirectoryIsReplaced(@TempDir Path out) throws IOException {
        Path shards = Files.createDirectories(out.resolve("U"));
        Files.writeString(shards.resolve("part-00000.npy"), "an earlier run's shard");
        Files.createDirectories(out.resolve("V.npy"));
        RunOutputs.refuseForeignDirectories(out, List.of("U", "V.npy")::contains);
        try (RunOutputs outputs = new RunOutputs(out)) {
            outputs.commit(List.of("U", "V.npy"), staging -> {
                Files.writeString(Files.createDirectories(staging.resolve("U")).resolve("part-00001.npy"), "new");
                Files.writeString(staging.resolve("V.npy"), "new V");
                // another program's, made while the run went on
                Files.writeString(Files.createDirectories(out.resolve("summary.json")).resolve("notes.txt"), "mine");
            }, Map.of("new", true));
            throw new AssertionError("the commit replaced summary.json/, a directory holding a file");
        } catch (IOException e) {
            Path kept;
            try (Stream<Path> entries = Files.list(out)) {
                kept = entries.filter(f -> f.getFileName().toString().startsWith(RunOutputs.KEPT_PREFIX)).findFirst()
                        .orElseThrow(() -> new AssertionError("the run's results were thrown away"));
            }
            assertEquals("--out " + out + ": " + out.resolve("summary.json") + " was made during the run, a "
                    + "directory holding notes.txt, which the results would replace: nothing was replaced; this run's "
                    + "results are in " + kept, e.getMessage());
            assertEquals("new V", Files.readString(kept.resolve("V.npy")));
            assertEquals("new", Files.readString(kept.resolve("U/part-00001.npy")));
            assertTrue(Files.exists(kept.resolve(RunOutputs.SUMMARY_FILE)), "the summary is kept with them");
        }
        assertEquals("mine", Files.readString(out.resolve("summary.json/notes.txt")));
        assertEquals("an earlier run's shard", Files.readString(shards.resolve("part-00000.npy")));
        Files.delete(out.resolve("summary.json/notes.txt"));
        Files.delete(out.resolve("summary.json"));
        try (RunOutputs outputs = new RunOutputs(out)) {
            outputs.commit(List.of("U", "V.npy"), staging -> {
                Files.writeString(Files.createDirectories(staging.resolve("U")).resolve("part-00001.npy"), "new");
                Files.writeString(staging.resolve("V.npy"), "new V");
            }, Map.of("new", true));
        }
        try (Stream<Path> left = Files.list(shards)) {
            assertEquals(List.of(shards.resolve("part-00001.npy")), left.toList(), "the earlier shards stayed");
        }
        assertEquals("new V", Files.readString(out.resolve("V.npy")));

        Files.writeString(Files.createDirectories(out.resolve("U.mtx")).resolve("keep"), "mine");
        UsageException refused = assertThrows(UsageException.class, () -> RunOutputs.refuseForeignDirectories(out,
                RunOutputs.Format.MTX.factorFiles()::contains));
        assertEquals("--out " + out + ": " + out.resolve("U.mtx") + " is a directory (holding keep), not an earlier "
                + "run's results, and a result of this name would replace it with all it holds; move it, or give "
                + "another --out", refused.getMessage());
    }

    /**
     * The refusal goes by the names this run writes: a folder U.mtx/ (or U/) of the user's beside a run that writes
     * U.npy was refused too, by every name any command writes. summary.json is every command's.
     */
    @Test
    void onlyTheNamesThisRunWritesAreGuarded(@TempDir Path out) throws IOException {
        for (String name : new String[] {"U", "U.mtx", "W1.npy"}) {
            Files.writeString(Files.createDirectories(out.resolve(name)).resolve("keep"), "mine");
        }
        RunOutputs.refuseForeignDirectories(out, RunOutputs.Format.NPY.factorFiles()::contains);
        assertThrows(UsageException.class, () -> RunOutputs.refuseForeignDirectories(out,
                RunOutputs.PARAMETER_FILES));
        assertThrows(UsageException.class, () -> RunOutputs.refuseForeignDirectories(out, List.of("U", "V.npy")
                ::contains));
        Files.writeString(Files.createDirectories(out.resolve(RunOutputs.SUMMARY_FILE)).resolve("keep"), "mine");
        assertThrows(UsageException.class, () -> RunOutputs.refuseForeignDirectories(out,
                RunOutputs.Format.NPY.factorFiles()::contains));
    }
}
