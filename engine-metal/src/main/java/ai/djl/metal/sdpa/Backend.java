/*
 * DJL Metal engine.
 */
package ai.djl.metal.sdpa;

import java.util.Locale;

/**
 * Where native SDPA kernels run. The order mirrors the native {@code BackendKind}.
 *
 * <p>Requested with the system property {@code ai.djl.metal.backend} = {@code auto} (Metal when a Metal
 * device exists, else none), {@code metal} or {@code simulator}.
 */
public enum Backend {
    /** No native backend: every call runs on PyTorch. */
    NONE,
    /** The MSL simulator: the unchanged Metal kernels executed on the CPU, for verification. */
    SIMULATOR,
    /** Metal on an Apple GPU. */
    METAL;

    /**
     * Returns the identifier used in logs and by the native side.
     *
     * @return the lower-case name
     */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
