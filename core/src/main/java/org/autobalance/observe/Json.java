package org.autobalance.observe;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Writes flat JSON objects: strings, numbers, booleans and nested maps. Non-finite numbers become {@code null}. */
public final class Json {
    private Json() {
    }

    /** The values of {@code a} as a list, for a JSON array. */
    public static List<Double> list(double[] a) {
        List<Double> l = new ArrayList<>(a.length);
        for (double v : a) {
            l.add(v);
        }
        return l;
    }

    /** {@code map} as one JSON object on one line. */
    public static String object(Map<String, ?> map) {
        StringBuilder sb = new StringBuilder(128);
        appendObject(sb, map);
        return sb.toString();
    }

    private static void appendObject(StringBuilder sb, Map<String, ?> map) {
        sb.append('{');
        Iterator<? extends Map.Entry<String, ?>> it = map.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, ?> e = it.next();
            appendString(sb, e.getKey());
            sb.append(':');
            appendValue(sb, e.getValue());
            if (it.hasNext()) {
                sb.append(',');
            }
        }
        sb.append('}');
    }

    @SuppressWarnings("unchecked")
    private static void appendValue(StringBuilder sb, Object v) {
        switch (v) {
            case null -> sb.append("null");
            case Double d -> sb.append(Double.isFinite(d) ? Double.toString(d) : "null");
            case Float f -> appendValue(sb, f.doubleValue());
            case Number n -> sb.append(n);
            case Boolean b -> sb.append(b);
            case Map<?, ?> m -> appendObject(sb, (Map<String, ?>) m);
            case Iterable<?> list -> {
                sb.append('[');
                Iterator<?> it = list.iterator();
                while (it.hasNext()) {
                    appendValue(sb, it.next());
                    if (it.hasNext()) {
                        sb.append(',');
                    }
                }
                sb.append(']');
            }
            default -> appendString(sb, v.toString());
        }
    }

    private static void appendString(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
