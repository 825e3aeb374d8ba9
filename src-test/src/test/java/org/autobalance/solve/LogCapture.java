package org.autobalance.solve;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The messages a class logs through {@code System.Logger} (java.util.logging in tests) while this is open, kept from
 * the console, which a passing test leaves silent. Closing restores the logger.
 */
public final class LogCapture implements AutoCloseable {
    private final Logger logger;
    private final boolean parents;
    private final List<String> messages = new ArrayList<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            messages.add(record.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    private LogCapture(Class<?> source) {
        logger = Logger.getLogger(source.getName());
        parents = logger.getUseParentHandlers();
        logger.addHandler(handler);
        logger.setUseParentHandlers(false);
    }

    /** Captures what {@code source} logs under its own name. */
    public static LogCapture of(Class<?> source) {
        return new LogCapture(source);
    }

    /** The messages logged so far, oldest first. */
    public List<String> messages() {
        return List.copyOf(messages);
    }

    @Override
    public void close() {
        logger.removeHandler(handler);
        logger.setUseParentHandlers(parents);
    }
}
