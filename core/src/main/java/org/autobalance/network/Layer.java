package org.autobalance.network;

/**
 * One parametric layer with its geometry. Every kind is a stride-1, unpadded convolution over channel-major maps
 * (C × H × W): {@code conv2d} as written, {@code conv1d} with H = 1 and a 1-row kernel, and {@code dense} as a
 * 1 × 1 convolution whose input channels are the flattened features of the previous map. The weights are held as a
 * matrix {@code outChannels × fanIn} whose row c is the filter of output channel c, laid out (input channel,
 * kernel row, kernel column) — for a dense layer exactly W ∈ R^{N × n_in}.
 *
 * @param kind the kind as written
 * @param inChannels input channels (for a dense layer: all input features)
 * @param inHeight input rows of the map (1 for dense and conv1d)
 * @param inWidth input columns of the map (1 for dense)
 * @param outChannels output channels (N for a dense layer)
 * @param kernelHeight kernel rows (1 for dense and conv1d)
 * @param kernelWidth kernel columns (1 for dense)
 * @param activation the activation applied to this layer's output
 */
public record Layer(Kind kind, int inChannels, int inHeight, int inWidth, int outChannels, int kernelHeight,
        int kernelWidth, Activation activation) {

    /**
     * Checks the geometry: every size positive, the kernel within the input map, one row (and for a dense layer one
     * column) where the kind reads one, and every derived count ({@link #fanIn}, {@link #inFeatures},
     * {@link #outFeatures}) an int. {@link Architecture#parse} only builds such layers; a caller building one by hand
     * gets the same guarantee (without it, a kernel wider than its input made a matrix of negative size).
     *
     * @throws IllegalArgumentException naming the problem
     */
    public Layer {
        java.util.Objects.requireNonNull(kind, "kind");
        java.util.Objects.requireNonNull(activation, "activation");
        String what = kind.label + " layer (" + inChannels + " x " + inHeight + " x " + inWidth + " in, "
                + outChannels + " out, kernel " + kernelHeight + " x " + kernelWidth + ")";
        if (inChannels < 1 || inHeight < 1 || inWidth < 1 || outChannels < 1 || kernelHeight < 1 || kernelWidth < 1) {
            throw new IllegalArgumentException(what + ": every size must be positive");
        }
        if (kind != Kind.CONV2D && (inHeight != 1 || kernelHeight != 1)
                || kind == Kind.DENSE && (inWidth != 1 || kernelWidth != 1)) {
            throw new IllegalArgumentException(what + ": a " + kind.label + " layer reads "
                    + (kind == Kind.DENSE ? "a flat vector (height, width and kernel 1)" : "one row (height 1)"));
        }
        if (kernelHeight > inHeight || kernelWidth > inWidth) {
            throw new IllegalArgumentException(what + ": the kernel exceeds the input map");
        }
        long fan = (long) inChannels * kernelHeight * kernelWidth;
        long in = (long) inChannels * inHeight * inWidth;
        long out = (long) outChannels * (inHeight - kernelHeight + 1) * (inWidth - kernelWidth + 1);
        if (Math.max(fan, Math.max(in, out)) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(what + ": more than " + Integer.MAX_VALUE + " features or weights "
                    + "per channel");
        }
    }

    /** The kinds of parametric layer. */
    public enum Kind {
        /** Fully connected. */
        DENSE("dense"),
        /** One-dimensional convolution (valid positions, stride 1). */
        CONV1D("conv1d"),
        /** Two-dimensional convolution (valid positions, stride 1). */
        CONV2D("conv2d");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        /** The name in a layer specification ({@code dense:64}, {@code conv1d:8,3}, …). */
        public String label() {
            return label;
        }
    }

    /** Output height: inHeight − kernelHeight + 1 (valid positions, stride 1; 1 for dense and conv1d). */
    public int outHeight() {
        return inHeight - kernelHeight + 1;
    }

    /** Output width: inWidth − kernelWidth + 1 (valid positions, stride 1; 1 for dense). */
    public int outWidth() {
        return inWidth - kernelWidth + 1;
    }

    /** Output positions per channel, P = outHeight·outWidth (1 for dense). */
    public int positions() {
        return outHeight() * outWidth();
    }

    /** Weights per output channel: inChannels·kernelHeight·kernelWidth (n_in for dense). */
    public int fanIn() {
        return inChannels * kernelHeight * kernelWidth;
    }

    /** Features read per sample: inChannels·inHeight·inWidth. */
    public int inFeatures() {
        return inChannels * inHeight * inWidth;
    }

    /** Features written per sample: outChannels·positions. */
    public int outFeatures() {
        return outChannels * positions();
    }

    /** Whether the layer is fully connected. */
    public boolean isDense() {
        return kind == Kind.DENSE;
    }

    /** The shape of the weights as stored in W*.npy: N × n_in, C × C_in × K or C × C_in × KH × KW. */
    public long[] weightFileShape() {
        return switch (kind) {
            case DENSE -> new long[] {outChannels, inChannels};
            case CONV1D -> new long[] {outChannels, inChannels, kernelWidth};
            case CONV2D -> new long[] {outChannels, inChannels, kernelHeight, kernelWidth};
        };
    }

    /** The command-line spelling of the layer, e.g. {@code conv1d:8,5}. */
    public String describe() {
        return switch (kind) {
            case DENSE -> "dense:" + outChannels;
            case CONV1D -> "conv1d:" + outChannels + "," + kernelWidth;
            case CONV2D -> "conv2d:" + outChannels + "," + kernelHeight + "," + kernelWidth;
        };
    }
}
