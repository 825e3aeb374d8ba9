package org.autobalance.io;

import java.io.IOException;

/**
 * A Matrix Market file that is malformed or uses a feature this reader does not support. The message has the form
 * {@code "<source>, line <L>: <problem>"}, where {@code L} is 1-based, so it can be shown to a user as it is.
 */
public final class MatrixFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final long line;
    private final String problem;

    /**
     * @param source the file or stream the text came from, as it should appear in the message
     * @param line the 1-based line the problem was found on
     * @param problem what is wrong, without the source and line
     */
    public MatrixFormatException(String source, long line, String problem) {
        super(source + ", line " + line + ": " + problem);
        this.source = source;
        this.line = line;
        this.problem = problem;
    }

    /** The file or stream the text came from. */
    public String source() {
        return source;
    }

    /** The 1-based line the problem was found on. */
    public long line() {
        return line;
    }

    /** What is wrong, without the source and line. */
    public String problem() {
        return problem;
    }
}
