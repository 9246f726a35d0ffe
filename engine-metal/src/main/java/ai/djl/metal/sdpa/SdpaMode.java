/*
 * DJL Metal engine.
 */
package ai.djl.metal.sdpa;

import java.util.Locale;

/** What the engine does with scaled-dot-product-attention calls: system property {@code ai.djl.metal.sdpa}. */
public enum SdpaMode {
    /** Native kernel when the call is supported and a backend is active, PyTorch otherwise (default). */
    AUTO,
    /** Native kernel, or fail with an error naming the reason (for tests and benchmarks). */
    NATIVE,
    /** No override: every call runs on PyTorch. */
    OFF;

    /**
     * Parses a property value.
     *
     * @param value {@code auto}, {@code native} or {@code off} (any case), or {@code null} for the default
     * @return the mode
     * @throws IllegalArgumentException for any other value
     */
    public static SdpaMode parse(String value) {
        if (value == null || value.isBlank()) {
            return AUTO;
        }
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    SdpaRouter.SDPA_PROPERTY + " must be auto, native or off, not \"" + value + '"', e);
        }
    }
}
