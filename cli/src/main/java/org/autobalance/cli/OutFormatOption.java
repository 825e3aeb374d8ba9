package org.autobalance.cli;

import picocli.CommandLine.Option;

/** {@code --out-format}, shared by the commands that write factors to {@code --out}. */
public final class OutFormatOption {
    @Option(names = "--out-format", paramLabel = "mtx|npy", defaultValue = "mtx",
            description = "File format of the factors in --out: mtx (Matrix Market text, U.mtx and V.mtx) or npy "
                    + "(NumPy, U.npy and V.npy: np.load reads them). Default: ${DEFAULT-VALUE}.")
    String outFormat;

    /** The parsed format; an unknown one is a usage error. */
    public RunOutputs.Format format() {
        return RunOutputs.Format.parse(outFormat);
    }
}
