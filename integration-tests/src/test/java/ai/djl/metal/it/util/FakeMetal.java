/*
 * DJL Metal engine.
 */
package ai.djl.metal.it.util;

import org.testng.SkipException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;

/** The fake Metal (jni/test/fake_metal) to preload into a child JVM. */
public final class FakeMetal {

    private FakeMetal() {}

    /**
     * Returns the environment that preloads the fake, with faults armed.
     *
     * @param faults {@code DJL_FAKE_METAL_FAULTS}: comma-separated fault names, each optionally {@code
     *     :times}; empty for none
     * @return the child's environment
     * @throws SkipException if the fake is not built
     */
    public static Map<String, String> env(String faults) {
        Path library = Paths.get(System.getProperty("djl.metal.fake", ""));
        if (!Files.isRegularFile(library)) {
            throw new SkipException("the fake Metal library is not built at " + library);
        }
        return faults.isEmpty()
                ? Map.of("LD_PRELOAD", library.toString())
                : Map.of("LD_PRELOAD", library.toString(), "DJL_FAKE_METAL_FAULTS", faults);
    }
}
