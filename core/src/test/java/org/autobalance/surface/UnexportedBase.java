package org.autobalance.surface;

/**
 * A public class for {@link PublicSurfaceTest}: the supertype of an exported type, in a package that the test treats
 * as exported or not. Test sources only, so it is not in core's API.
 */
public class UnexportedBase {
    /**
     * A public method a user of the exported subtype can call.
     *
     * @return a constant
     */
    public String inheritedFromUnexported() {
        return "inherited";
    }
}
