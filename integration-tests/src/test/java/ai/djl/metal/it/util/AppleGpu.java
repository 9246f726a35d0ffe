/*
 * DJL Metal engine.
 */
package ai.djl.metal.it.util;

import ai.djl.metal.sdpa.Backend;
import ai.djl.metal.sdpa.SdpaRouter;

import org.testng.SkipException;

import java.util.Locale;

/** Where the Metal backend's tests meet a real Mac. */
public final class AppleGpu {

    private AppleGpu() {}

    /**
     * Whether this JVM runs on macOS arm64.
     *
     * @return true on Apple silicon
     */
    public static boolean isMac() {
        return System.getProperty("os.name").toLowerCase(Locale.ROOT).startsWith("mac")
                && "aarch64".equals(System.getProperty("os.arch"));
    }

    /**
     * In a JVM that asked for the Metal backend, on a Mac where it did not start (no Metal device, or one too
     * old), skips the calling tests, saying why; on Linux, where the fake Metal stands in, does nothing (the
     * tests must then fail instead).
     */
    public static void skipOnMacWithoutMetal() {
        boolean asked = "metal".equals(System.getProperty(SdpaRouter.BACKEND_PROPERTY));
        if (isMac() && asked && SdpaRouter.getBackend() != Backend.METAL) {
            throw new SkipException("no Metal backend on this Mac: " + SdpaRouter.status());
        }
    }

    /** Skips the calling tests anywhere but on a Mac with a working Metal backend, saying why. */
    public static void require() {
        if (!isMac()) {
            throw new SkipException(
                    "Apple GPU tests skipped: this is " + System.getProperty("os.name") + " "
                            + System.getProperty("os.arch")
                            + "; they run on macOS arm64 with a Metal device (README, Apple Silicon)");
        }
        if (SdpaRouter.getBackend() != Backend.METAL) {
            throw new SkipException("no Metal backend on this Mac: " + SdpaRouter.status());
        }
    }
}
