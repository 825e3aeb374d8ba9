package org.autobalance.io;

import java.io.IOException;

/**
 * A matrix file that is malformed or uses a feature its reader does not support. For a text format (Matrix Market)
 * the message has the form {@code "<source>, line <L>: <problem>"}, where {@code L} is 1-based; for a binary format
 * ({@code .npy}), which has no lines, it is {@code "<source>: <problem>"}. Either can be shown to a user as it is.
 */
public final class MatrixFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The file or stream the text came from. */
    private final String source;
    /** The 1-based line of the problem, or 0 for a format without lines. */
    private final long line;
    /** What is wrong, without the source and line. */
    private final String problem;

    /**
     * A problem on a line of a text file.
     *
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

    /**
     * A problem in a binary file, which has no lines: {@link #line()} is 0.
     *
     * @param source the file or stream the bytes came from, as it should appear in the message
     * @param problem what is wrong, without the source
     */
    public MatrixFormatException(String source, String problem) {
        super(source + ": " + problem);
        this.source = source;
        this.line = 0;
        this.problem = problem;
    }

    /** The file or stream the text came from. */
    public String source() {
        return source;
    }

    /** The 1-based line the problem was found on, or 0 for a binary file. */
    public long line() {
        return line;
    }

    /** What is wrong, without the source and line. */
    public String problem() {
        return problem;
    }
}
