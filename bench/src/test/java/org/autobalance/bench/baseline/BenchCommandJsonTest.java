package org.autobalance.bench.baseline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.autobalance.json.Json;
import org.autobalance.memory.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench --json FILE}: a list of records with the keys other tools read. */
class BenchCommandJsonTest {

    @Test
    @SuppressWarnings("unchecked")
    void writesTheAgreedKeys(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("sub/out.json");
        BenchCommand.writeJson(List.of(
                new BenchCommand.Row("autobalance", DType.FLOAT32, 4096, 2048, 16, 1, 12.5, 11.75, 6.25,
                        new BenchCommand.FloorBasis(24.5e9, false, 18.25e9)),
                new BenchCommand.Row("openblas-gram", DType.FLOAT64, 4096, 2048, 16, 2, 50.0, Double.NaN, 6.25,
                        new BenchCommand.FloorBasis(30e9, true, 30e9))),
                file);
        List<Object> records = (List<Object>) Json.parse(Files.readString(file));
        assertEquals(2, records.size());
        Map<String, Object> first = (Map<String, Object>) records.getFirst();
        assertEquals(List.of("impl", "dtype", "d1", "d2", "r", "threads", "ms_per_iter", "cpu_ms_per_iter", "floor_ms",
                "floor_bound", "floor_read_gb_per_s", "read_256mib_gb_per_s", "gflops"),
                List.copyOf(first.keySet()));
        assertEquals("autobalance", first.get("impl"));
        assertEquals("float32", first.get("dtype"));
        assertEquals(4096.0, first.get("d1"));
        assertEquals(2048.0, first.get("d2"));
        assertEquals(12.5, first.get("ms_per_iter"));
        assertEquals(11.75, first.get("cpu_ms_per_iter"));
        assertEquals(6.25, first.get("floor_ms"));
        // what the floor came from: the FMAs here, with M read at 24.5 GB/s beside the 256 MiB read's 18.25
        assertEquals("fma", first.get("floor_bound"));
        assertEquals(24.5, first.get("floor_read_gb_per_s"));
        assertEquals(18.25, first.get("read_256mib_gb_per_s"));
        // 4·4096·2048·16 = 536 870 912 flops in 12.5 ms: 42.94967296 GFLOP/s (by hand); a few roundings
        assertEquals(42.94967296, (Double) first.get("gflops"), 4 * Math.ulp(42.9));
        Map<String, Object> second = (Map<String, Object>) records.get(1);
        assertEquals("float64", second.get("dtype"));
        // two threads: the timing thread's CPU time is not the iteration's, and none is written
        assertTrue(second.containsKey("cpu_ms_per_iter"));
        assertNull(second.get("cpu_ms_per_iter"));
        assertEquals("read", second.get("floor_bound"));
    }
}
