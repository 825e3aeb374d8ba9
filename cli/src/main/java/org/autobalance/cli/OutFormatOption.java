package org.autobalance.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --out-format}, shared by the commands that write factors to {@code --out}. */
public final class OutFormatOption {
    @Option(names = "--out-format", paramLabel = "mtx|npy",
            description = "File format of the factors in --out: mtx (Matrix Market text, U.mtx and V.mtx) or npy "
                    + "(NumPy, U.npy and V.npy: np.load reads them). Default: mtx.")
    String outFormat;

    /** Whether the option was given (not the default). */
    public boolean given() {
        return outFormat != null;
    }

    /** The parsed format (mtx when not given); an unknown one is a usage error. */
    public RunOutputs.Format format() {
        return RunOutputs.Format.parse(outFormat == null ? "mtx" : outFormat);
    }

    /**
     * The parsed format of the factors written to {@code out}; a format given without a directory to write in is a
     * usage error: {@code factorize --input M.npy --rank 5 --out-format npy} ran, printed its result lines and wrote
     * nothing, the user looking for the U.npy it had asked for.
     */
    public RunOutputs.Format format(Path out) {
        if (outFormat != null && out == null) {
            throw new UsageException("--out-format " + outFormat + ": no --out to write the factors in (without --out "
                    + "nothing is written); give --out DIR", null);
        }
        return format();
    }
}
