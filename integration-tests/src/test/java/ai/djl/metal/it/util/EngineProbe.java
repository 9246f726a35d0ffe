/*
 * DJL Metal engine.
 */
package ai.djl.metal.it.util;

import ai.djl.engine.Engine;
import ai.djl.metal.sdpa.SdpaRouter;
import ai.djl.metal.sdpa.SdpaStats;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Child JVM entry point for configuration tests: starts an engine, then DJL's PyTorch engine, and writes what
 * happened to a file.
 *
 * <p>Arguments: the output file, then {@code default} (DJL's default engine), an engine name, or {@code
 * stats} (read the SDPA stats only, start no engine).
 */
public final class EngineProbe {

    private EngineProbe() {}

    /**
     * Starts the engine and reports.
     *
     * @param args the output file and the engine to start
     * @throws IOException if the report cannot be written
     */
    public static void main(String[] args) throws IOException {
        if ("stats".equals(args[1])) {
            Files.writeString(Path.of(args[0]), readStatsOnly());
            return;
        }
        String report;
        try {
            Engine engine =
                    "default".equals(args[1]) ? Engine.getInstance() : Engine.getEngine(args[1]);
            report = "engine=" + engine.getEngineName() + "\nstatus=" + engine;
        } catch (RuntimeException e) {
            StringBuilder sb = new StringBuilder("error=");
            for (Throwable t = e; t != null; t = t.getCause()) {
                sb.append(t.getMessage()).append(" | ");
            }
            report = sb.toString();
        }
        // Whatever happened to that engine, DJL's PyTorch engine must still start.
        try {
            report += "\npytorch=" + Engine.getEngine("PyTorch").getEngineName();
        } catch (RuntimeException e) {
            report += "\npytorch=" + e;
        }
        Files.writeString(Path.of(args[0]), report);
    }

    /** A PyTorch-only application reading the stats: reports the calls and whether the router started. */
    private static String readStatsOnly() {
        SdpaStats stats = SdpaStats.snapshot();
        try {
            Method started = SdpaRouter.class.getDeclaredMethod("isStarted");
            started.setAccessible(true);
            return "calls=" + stats.getTotalCalls() + "\nstarted=" + started.invoke(null);
        } catch (ReflectiveOperationException e) {
            return "error=" + e;
        }
    }
}
