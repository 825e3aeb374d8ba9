package org.autobalance.observe;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A listener that writes one JSON object per record (see {@link IterationRecord#toMap()} and
 * {@link NetworkRecord#toMap()}) to a file.
 */
public final class JsonLinesLog implements IterationListener, NetworkListener, AutoCloseable {
    private final BufferedWriter out;

    /** Creates or truncates {@code path}. */
    public JsonLinesLog(Path path) throws IOException {
        this.out = Files.newBufferedWriter(path, StandardCharsets.UTF_8);
    }

    @Override
    public void onIteration(IterationRecord record) {
        write(record.toMap());
    }

    @Override
    public void onIteration(NetworkRecord record) {
        write(record.toMap());
    }

    private void write(Map<String, Object> fields) {
        try {
            out.write(Json.object(fields));
            out.write('\n');
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the iteration log", e);
        }
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
