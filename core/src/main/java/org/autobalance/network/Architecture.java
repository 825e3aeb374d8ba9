package org.autobalance.network;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A network of parametric layers separated by activations, with the shapes of every map resolved:
 * f(x) = φ_N(W_N ∗ φ_{N−1}(⋯ φ_1(W_1 ∗ x + b_1) ⋯) + b_N), ∗ a stride-1 unpadded convolution or a matrix product.
 *
 * <p>The spec is a comma-separated list such as {@code dense:64,relu,dense:64,relu,dense:5} or
 * {@code conv1d:8,5,relu,conv1d:8,3,leaky:0.1,dense:5}: {@code dense:N}, {@code conv1d:C,K} or
 * {@code conv2d:C,KH,KW}, each optionally followed by an activation ({@code linear} when none is written). A
 * convolution needs a map: {@code conv1d} reads C × L (from {@code --input-shape C,L} or a previous {@code conv1d}),
 * {@code conv2d} reads C × H × W; a dense layer reads the flattened, channel-major map (any input).
 *
 * @param layers the parametric layers, input first
 */
public record Architecture(List<Layer> layers) {

    /**
     * Copies the layers, and checks that each reads what the one before writes: a dense layer all of its features
     * (the flattened map), a convolution its C × H × W map.
     *
     * @throws IllegalArgumentException if there are none, or naming the first layer that does not fit
     */
    public Architecture {
        layers = List.copyOf(layers);
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("a network needs at least one parametric layer");
        }
        for (int h = 1; h < layers.size(); h++) {
            Layer before = layers.get(h - 1);
            Layer l = layers.get(h);
            boolean fits = l.isDense() ? l.inChannels() == before.outFeatures()
                    : l.inChannels() == before.outChannels() && l.inHeight() == before.outHeight()
                            && l.inWidth() == before.outWidth();
            if (!fits) {
                throw new IllegalArgumentException("layer " + (h + 1) + " (" + l.describe() + ") reads "
                        + l.inChannels() + " x " + l.inHeight() + " x " + l.inWidth() + " but layer " + h + " ("
                        + before.describe() + ") writes " + before.outChannels() + " x " + before.outHeight()
                        + " x " + before.outWidth());
            }
        }
    }

    /** Number of parametric layers N. */
    public int depth() {
        return layers.size();
    }

    /** Layer h, numbered from 1 as in the files W1.npy, W2.npy, …. */
    public Layer layer(int h) {
        return layers.get(h - 1);
    }

    /** Input features per sample (columns of X). */
    public int inputFeatures() {
        return layers.getFirst().inFeatures();
    }

    /** Output features per sample (columns of Y). */
    public int outputFeatures() {
        return layers.getLast().outFeatures();
    }

    /**
     * The weights, and with {@code biases} the biases, of all layers.
     *
     * @throws ArithmeticException past {@link Long#MAX_VALUE}
     */
    public long parameters(boolean biases) {
        long parameters = 0;
        for (Layer l : layers) {
            parameters = Math.addExact(parameters, Math.multiplyExact((long) l.outChannels(), l.fanIn())
                    + (biases ? l.outChannels() : 0));
        }
        return parameters;
    }

    /**
     * Weight columns of layer h + 1 that read one output channel of layer h: P_h (the positions of the channel) when
     * layer h + 1 is dense, its kernel size KH·KW when it is a convolution. Channel c of layer h is read by columns
     * [c·B, (c + 1)·B) of every row of W_{h+1}.
     */
    int readerBlock(int h) {
        return layer(h + 1).fanIn() / layer(h).outChannels();
    }

    /** The spec, normalised, e.g. {@code dense:64,relu,dense:5}. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        for (Layer l : layers) {
            b.append(b.isEmpty() ? "" : ",").append(l.describe());
            if (!l.activation().isLinear()) {
                b.append(',').append(l.activation().describe());
            }
        }
        return b.toString();
    }

    /**
     * Parses {@code spec} for inputs of {@code inputFeatures} features, shaped by {@code inputShape} ({@code null},
     * {@code {C, L}} or {@code {C, H, W}}, whose product must be {@code inputFeatures}).
     *
     * @throws IllegalArgumentException naming the first problem
     */
    public static Architecture parse(String spec, int inputFeatures, int[] inputShape) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("empty layer spec: expected e.g. dense:64,relu,dense:5");
        }
        int dims;
        int c;
        int h;
        int w;
        if (inputShape == null) {
            dims = 1;
            c = inputFeatures;
            h = 1;
            w = 1;
        } else {
            if (inputShape.length != 2 && inputShape.length != 3) {
                // the library's words: "C,L" is how the command line's --input-shape spells it
                throw new IllegalArgumentException("input shape must be {channels, length} or {channels, height, "
                        + "width}, got {" + join(inputShape) + "}");
            }
            long product = 1;
            for (int d : inputShape) {
                if (d < 1) {
                    throw new IllegalArgumentException("input shape dimensions must be positive, got " + d);
                }
                product *= d;
            }
            if (product != inputFeatures) {
                throw new IllegalArgumentException("input shape " + join(inputShape) + " has " + product
                        + " features but the data have " + inputFeatures + " per sample");
            }
            dims = inputShape.length;
            c = inputShape[0];
            h = dims == 3 ? inputShape[1] : 1;
            w = inputShape[dims - 1];
        }
        String[] tokens = spec.split(",", -1);
        List<Layer> layers = new ArrayList<>();
        int i = 0;
        while (i < tokens.length) {
            String t = tokens[i].trim();
            int colon = t.indexOf(':');
            String kind = colon < 0 ? t : t.substring(0, colon);
            Layer.Kind k;
            int arity;
            switch (kind) {
                case "dense" -> {
                    k = Layer.Kind.DENSE;
                    arity = 1;
                }
                case "conv1d" -> {
                    k = Layer.Kind.CONV1D;
                    arity = 2;
                }
                case "conv2d" -> {
                    k = Layer.Kind.CONV2D;
                    arity = 3;
                }
                case "linear", "relu", "leaky" -> throw new IllegalArgumentException("layer spec '" + spec
                        + "': activation '" + t + "' must follow a parametric layer"
                        + (layers.isEmpty() ? "" : " (only one activation per layer)"));
                default -> throw new IllegalArgumentException("layer spec '" + spec + "': unknown item '" + t
                        + "': expected dense:N, conv1d:C,K, conv2d:C,KH,KW, linear, relu or leaky:A");
            }
            if (colon < 0 || i + arity > tokens.length) {
                throw new IllegalArgumentException("layer spec '" + spec + "': " + kind + " needs "
                        + (arity == 1 ? "dense:N" : arity == 2 ? "conv1d:C,K" : "conv2d:C,KH,KW"));
            }
            int[] p = new int[arity];
            p[0] = positive(t.substring(colon + 1), spec, kind);
            for (int a = 1; a < arity; a++) {
                String size = tokens[i + a].trim();
                if (isActivation(size) || size.contains(":")) {
                    // a size left out: conv2d:4,3,relu said "conv2d sizes must be positive integers, got 'relu'"
                    throw new IllegalArgumentException("layer spec '" + spec + "': " + kind + " needs "
                            + (arity == 2 ? "conv1d:C,K" : "conv2d:C,KH,KW") + " (" + arity + " sizes), got '"
                            + String.join(",", Arrays.copyOfRange(tokens, i, i + a)).trim() + "' followed by '"
                            + size + "'");
                }
                p[a] = positive(size, spec, kind);
            }
            i += arity;
            Activation act = Activation.LINEAR;
            if (i < tokens.length && isActivation(tokens[i])) {
                try {
                    act = Activation.parse(tokens[i]);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("layer spec '" + spec + "': " + e.getMessage(), e);
                }
                i++;
            }
            int n = layers.size() + 1;
            Layer layer = switch (k) {
                case DENSE -> {
                    if (n == 1 && inputShape != null) {
                        // a shape only a convolution reads, given for a dense start, is most likely a mistyped spec
                        throw new IllegalArgumentException("layer 1 (dense:" + p[0] + ") reads a flat vector, so the "
                                + "input shape " + join(inputShape) + " would be ignored: it is for a first conv1d "
                                + "or conv2d (drop the input shape; --input-shape on the command line)");
                    }
                    Layer l = new Layer(k, c * h * w, 1, 1, p[0], 1, 1, act);
                    dims = 1;
                    c = p[0];
                    h = 1;
                    w = 1;
                    yield l;
                }
                case CONV1D -> {
                    if (dims != 2) {
                        throw new IllegalArgumentException("layer " + n + " (conv1d:" + p[0] + "," + p[1]
                                + ") needs a C x L input: " + (dims == 1 && n == 1
                                        ? "give the input shape C,L (--input-shape on the command line)"
                                        : "it follows " + shapeText(dims, c, h, w)));
                    }
                    if (p[1] > w) {
                        throw new IllegalArgumentException("layer " + n + " (conv1d:" + p[0] + "," + p[1]
                                + "): kernel width " + p[1] + " exceeds the input length " + w);
                    }
                    Layer l = new Layer(k, c, 1, w, p[0], 1, p[1], act);
                    c = p[0];
                    w = l.outWidth();
                    yield l;
                }
                case CONV2D -> {
                    if (dims != 3) {
                        throw new IllegalArgumentException("layer " + n + " (conv2d:" + p[0] + "," + p[1] + ","
                                + p[2] + ") needs a C x H x W input: " + (dims == 1 && n == 1
                                        ? "give the input shape C,H,W (--input-shape on the command line)"
                                        : "it follows " + shapeText(dims, c, h, w)));
                    }
                    if (p[1] > h || p[2] > w) {
                        throw new IllegalArgumentException("layer " + n + " (conv2d:" + p[0] + "," + p[1] + ","
                                + p[2] + "): kernel " + p[1] + " x " + p[2] + " exceeds the input map " + h + " x "
                                + w);
                    }
                    Layer l = new Layer(k, c, h, w, p[0], p[1], p[2], act);
                    c = p[0];
                    h = l.outHeight();
                    w = l.outWidth();
                    yield l;
                }
            };
            layers.add(layer);
        }
        return new Architecture(layers);
    }

    private static boolean isActivation(String token) {
        String t = token.trim();
        return t.equals("linear") || t.equals("relu") || t.startsWith("leaky");
    }

    private static int positive(String text, String spec, String kind) {
        try {
            // ASCII digits alone: Integer.parseInt also took "+8" and other scripts' digits ("٣" ran as 3)
            if (text.trim().matches("[0-9]+")) {
                int v = Integer.parseInt(text.trim());
                if (v >= 1) {
                    return v;
                }
            }
        } catch (NumberFormatException e) {
            // digits alone that do not parse are past an int: said as too large, not as no positive integer
            throw new IllegalArgumentException("layer spec '" + spec + "': " + kind + " sizes must be at most "
                    + Integer.MAX_VALUE + ", got " + text.trim(), e);
        }
        throw new IllegalArgumentException("layer spec '" + spec + "': " + kind + " sizes must be positive integers, "
                + "got '" + text.trim() + "'");
    }

    private static String shapeText(int dims, int c, int h, int w) {
        return switch (dims) {
            case 1 -> "a flat vector of " + c + " features";
            case 2 -> "a " + c + " x " + w + " map";
            default -> "a " + c + " x " + h + " x " + w + " map";
        };
    }

    private static String join(int[] a) {
        StringBuilder b = new StringBuilder();
        for (int x : a) {
            b.append(b.isEmpty() ? "" : ",").append(x);
        }
        return b.toString();
    }
}
