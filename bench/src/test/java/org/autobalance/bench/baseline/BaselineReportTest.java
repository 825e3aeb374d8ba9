package org.autobalance.bench.baseline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.autobalance.memory.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report pipeline on a canned JMH result file: parsing, units, the table, and a PNG that decodes. */
class BaselineReportTest {

    private static String sample() throws IOException {
        try (InputStream in = BaselineReportTest.class.getResourceAsStream("/jmh-sample.json")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /**
     * Fixed ceilings: M read at 10 GB/s (the 256 MiB read at 1, which the floor must not take), 100 GFLOP/s in
     * float32, so the floors are known exactly.
     */
    private static BaselineReport.Floors ceilings() {
        return new BaselineReport.Floors(Map.of(1, new RooflineProbe.Ceilings(1, 1e9, 0.02, 31, 100e9, 50e9)),
                Map.of(BaselineReport.Floors.key(DType.FLOAT32, 4096, 1),
                        new RooflineProbe.Read(1, 64 << 20, 10e9, 0.01, 41)));
    }

    @Test
    void parsesOnlyTheBaselineBenchmarkAndConvertsUnits() throws IOException {
        List<BaselineReport.Result> results = BaselineReport.parse(sample());
        assertEquals(2, results.size());
        BaselineReport.Result engine = results.get(0);
        assertEquals("autobalance", engine.impl());
        assertEquals(DType.FLOAT32, engine.dtype());
        assertEquals(40.0, engine.medianMs()); // the median (50th percentile), not the mean
        assertEquals(12, engine.samples());
        BaselineReport.Result gram = results.get(1);
        assertEquals("openblas-gram", gram.impl());
        assertEquals(80.0, gram.medianMs(), 1e-9); // s/op converted
        assertTrue(Double.isNaN(gram.errorMs()));
    }

    @Test
    void tableHasFloorsAndSpeedUps() throws IOException {
        List<BaselineReport.Result> results = BaselineReport.parse(sample());
        String md = BaselineReport.markdown(results, ceilings(), "the command", "jmh settings", "x.png");
        // floor at d = 4096, r = 16, float32: max(4096²·4 B / 10 GB/s, 4·4096²·16 / 100 GFLOP/s) = 10.74 ms (from
        // the 256 MiB read's 1 GB/s it would be 67.11 ms)
        assertTrue(md.contains("| 4096 | 16 | 1 | autobalance | 40.00 | 40.50 ± 1.25 | 26.8 | 10.74 | 27 % | — |"), md);
        assertTrue(md.contains("| 4096 | 16 | 1 | openblas-gram | 80.00 |"), md);
        assertTrue(md.contains("| 13.4 | 10.74 | 13 % | 2.00 |"), md); // engine twice as fast as the Gram baseline
        assertTrue(md.contains("the command"));
        assertTrue(md.contains("![median ms per iteration](x.png)"));
    }

    /**
     * The report replaced native-notes/baselines.md whole, and the analysis written by hand below its tables was
     * lost each time it was run again: what follows the marker line is kept, and a file without it is replaced.
     */
    @Test
    void aRewriteKeepsWhatFollowsTheMarker(@TempDir Path dir) throws IOException {
        String md = BaselineReport.markdown(BaselineReport.parse(sample()), ceilings(), "the command", "jmh settings",
                "x.png");
        Path file = dir.resolve("baselines.md");
        String notes = BaselineReport.KEPT + "\n\n## Against the targets\n\nWritten by hand.\n";
        Files.writeString(file, "# the old tables\n\n" + notes);
        assertEquals(md.stripTrailing() + "\n\n" + notes, BaselineReport.withKept(md, file));
        Files.writeString(file, "# the old tables, no notes\n");
        assertEquals(md, BaselineReport.withKept(md, file));
        assertEquals(md, BaselineReport.withKept(md, dir.resolve("absent.md")));
    }

    @Test
    void writesADecodablePng(@TempDir Path dir) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Path png = dir.resolve("chart.png");
        BaselineReport.chart(BaselineReport.parse(sample()), ceilings(), png);
        byte[] bytes = Files.readAllBytes(png);
        assertTrue(bytes.length > 1000);
        assertEquals((byte) 0x89, bytes[0]);
        assertEquals('P', bytes[1]);
        assertTrue(javax.imageio.ImageIO.read(png.toFile()).getWidth() > 0);
    }
}
