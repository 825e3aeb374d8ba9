package org.autobalance.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import org.autobalance.json.Json;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;

/**
 * The reference fixtures in {@code src/test/resources/fixtures/} (made independently with numpy/scipy; see the
 * project's fixture notes), loaded from the classpath so that tests in this module and in modules using its test-jar
 * find them the same way.
 */
public final class Fixtures {
    private static final String ROOT = "/fixtures/";

    /** Where fixtures found inside a jar are copied, created on first need. */
    private static Path extracted;

    private Fixtures() {
    }

    /**
     * A new empty file in the temporary directory, deleted when the JVM exits: for a fuzz target that hands its input
     * to a reader that takes a path (a {@code @TempDir} is made per test, not per execution of the fuzzer).
     */
    public static Path scratchFile(String prefix, String suffix) {
        try {
            Path f = Files.createTempFile(prefix, suffix);
            f.toFile().deleteOnExit();
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A named pipe at {@code path} (the test is skipped where {@code mkfifo} is missing), with {@code bytes} written
     * into it by a thread of its own once a reader opens it; join the thread to know the writer is done.
     */
    public static Thread pipeFeeding(Path path, byte[] bytes) throws IOException, InterruptedException {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                new ProcessBuilder("mkfifo", path.toString()).start().waitFor() == 0, "mkfifo is needed");
        return Thread.ofVirtual().start(() -> {
            try {
                Files.write(path, bytes);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /**
     * A file system path to fixture {@code name} (e.g. {@code "gd_M.mtx"}). From a directory on the classpath this is
     * the file itself; from a jar (the core test-jar, as other modules see it) it is a copy in a temporary directory
     * that is deleted when the JVM exits.
     *
     * @throws IllegalArgumentException if there is no such fixture
     */
    public static Path fixture(String name) {
        URL url = Fixtures.class.getResource(ROOT + name);
        if (url == null) {
            throw new IllegalArgumentException("no test fixture '" + name + "' on the classpath under " + ROOT);
        }
        try {
            if (url.getProtocol().equals("file")) {
                return Path.of(url.toURI());
            }
            return extract(name, url);
        } catch (URISyntaxException e) {
            throw new IllegalStateException("fixture URL " + url + " is not a valid URI", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy fixture " + url + " to a temporary file", e);
        }
    }

    /** A reader of a matrix file into a given precision, such as {@code MatrixMarket::read} or {@code Npy::read}. */
    @FunctionalInterface
    public interface MatrixReader {
        DenseMatrix read(Path file, DType dtype) throws IOException;
    }

    /**
     * Reads fixture {@code name} with {@code reader} in both precisions: in float64 it must be {@code expected}
     * exactly, in float32 {@code expected} with each value rounded once to float (float32 data comes back unchanged).
     */
    public static void assertReadsExactly(MatrixReader reader, String name, double[][] expected) throws IOException {
        try (DenseMatrix m = reader.read(fixture(name), DType.FLOAT64)) {
            assertArrayEquals(expected, m.toArray(), name + " as float64");
        }
        try (DenseMatrix m = reader.read(fixture(name), DType.FLOAT32)) {
            assertArrayEquals(Dense.roundedToFloat(expected), m.toArray(), name + " as float32");
        }
    }

    /** The numbers of comma-separated fixture {@code name}, one array per line. */
    public static double[][] csv(String name) {
        List<String> lines;
        try {
            lines = Files.readAllLines(fixture(name), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read fixture " + name, e);
        }
        return lines.stream()
                .filter(line -> !line.isBlank())
                .map(line -> {
                    String[] fields = line.split(",");
                    double[] row = new double[fields.length];
                    for (int j = 0; j < fields.length; j++) {
                        row[j] = Double.parseDouble(fields[j].trim());
                    }
                    return row;
                })
                .toArray(double[][]::new);
    }

    private static synchronized Path extract(String name, URL url) throws IOException {
        if (extracted == null) {
            extracted = Files.createTempDirectory("autobalance-fixtures");
            // Registered first, so it is deleted last, after the files in it.
            extracted.toFile().deleteOnExit();
        }
        Path copy = extracted.resolve(name);
        if (!Files.exists(copy)) {
            try (InputStream in = url.openStream()) {
                Files.copy(in, copy, StandardCopyOption.REPLACE_EXISTING);
            }
            copy.toFile().deleteOnExit();
        }
        return copy;
    }

    /**
     * The number under {@code key} in JSON text, searched depth-first through nested objects and arrays (the first
     * match wins); fails the test when there is none.
     */
    public static double jsonNumber(String json, String key) {
        Object found = find(Json.parse(json), key);
        if (!(found instanceof Number n)) {
            throw new AssertionError("no number under \"" + key + "\" in " + json);
        }
        return n.doubleValue();
    }

    private static Object find(Object node, String key) {
        if (node instanceof Map<?, ?> map) {
            if (map.containsKey(key)) {
                return map.get(key);
            }
            node = map.values();
        }
        if (node instanceof Iterable<?> items) {
            for (Object item : items) {
                Object f = find(item, key);
                if (f != null) {
                    return f;
                }
            }
        }
        return null;
    }
}
