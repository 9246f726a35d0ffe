/*
 * DJL Metal engine.
 */
package ai.djl.metal.it.util;

import org.testng.SkipException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where tests write their files, and where the shared fixtures are. */
public final class Workspace {

    private Workspace() {}

    /**
     * Returns the directory for test files ({@code target/it-work}).
     *
     * @return the directory, created if needed
     */
    public static Path root() {
        Path dir = Path.of(System.getProperty("djl.metal.work", "target/it-work"));
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Returns a new empty directory under {@link #root()}.
     *
     * @param prefix its name prefix
     * @return the directory
     */
    public static Path newDirectory(String prefix) {
        try {
            return Files.createTempDirectory(root(), prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Returns the shared fixtures directory ({@code ../shared/fixtures}), skipping the calling test with
     * a visible message when it is absent. Under CI ({@code CI=true}) a missing directory fails instead.
     *
     * @return the fixtures directory
     */
    public static Path fixtures() {
        Path dir = Path.of(System.getProperty("djl.metal.shared", "../shared"), "fixtures");
        if (!Files.isDirectory(dir)) {
            String message = "shared fixtures not found at " + dir.toAbsolutePath();
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                throw new IllegalStateException(message + " (CI must run the fixture tests)");
            }
            System.err.println("SKIPPED: " + message + "; fixture tests skipped");
            throw new SkipException(message);
        }
        return dir;
    }
}
