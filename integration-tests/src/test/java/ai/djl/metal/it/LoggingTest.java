/*
 * DJL Metal engine.
 */
package ai.djl.metal.it;

import ai.djl.metal.it.util.AppleGpu;
import ai.djl.metal.it.util.FakeMetal;
import ai.djl.metal.it.util.LoggingProbe;
import ai.djl.metal.it.util.PlainPyTorch;
import ai.djl.metal.it.util.Workspace;

import org.testng.Assert;
import org.testng.SkipException;
import org.testng.annotations.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The router's log lines, counted in fresh JVMs: one INFO line at start naming the backend, one WARN line
 * per new fallback reason however many calls share it (none for having no backend), one DEBUG line per call
 * only when DEBUG is on.
 */
public class LoggingTest {

    private static final String LOGGER = "org.slf4j.simpleLogger.log.ai.djl.metal.sdpa.SdpaRouter";

    /** Runs the probe (3 native calls, 4 float64 and 5 dropout fallbacks) and returns the router's lines. */
    private static List<String> routerLog(String level) throws IOException {
        return routerLog(level, "-Dai.djl.metal.backend=simulator");
    }

    private static List<String> routerLog(String level, String backend) throws IOException {
        return routerLog(level, Map.of(), backend);
    }

    private static List<String> routerLog(String level, Map<String, String> env, String... settings)
            throws IOException {
        Path dir = Workspace.newDirectory("logging-");
        List<String> command = new ArrayList<>();
        command.add("-D" + LOGGER + "=" + level);
        command.addAll(List.of(settings));
        command.addAll(List.of(LoggingProbe.class.getName(), "3", "4", "5"));
        PlainPyTorch.runChild(command, env, dir);
        List<String> lines = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("child.log"))) {
            if (line.contains("SdpaRouter")) {
                lines.add(line);
            }
        }
        return lines;
    }

    private static List<String> at(List<String> lines, String level) {
        List<String> out = new ArrayList<>();
        for (String line : lines) {
            if (line.startsWith(level + " ") || line.contains(" " + level + " ")) {
                out.add(line);
            }
        }
        return out;
    }

    private static long count(List<String> lines, String text) {
        return lines.stream().filter(l -> l.contains(text)).count();
    }

    @Test
    public void debugLinePerCallWarnOncePerReason() throws IOException {
        List<String> log = routerLog("debug");
        List<String> info = at(log, "INFO");
        Assert.assertEquals(info.size(), 1, log.toString());
        Assert.assertTrue(info.get(0).contains("backend simulator"), info.get(0));

        List<String> warn = at(log, "WARN");
        Assert.assertEquals(warn.size(), 2, log.toString());
        Assert.assertEquals(count(warn, "[dtype]"), 1, log.toString());
        Assert.assertEquals(count(warn, "[dropout]"), 1, log.toString());

        List<String> perCall = at(log, "DEBUG");
        Assert.assertEquals(perCall.size(), 12, log.toString());
        Assert.assertEquals(count(perCall, "-> native kernel on simulator"), 3, log.toString());
        Assert.assertEquals(count(perCall, "-> PyTorch [dtype]"), 4, log.toString());
        Assert.assertEquals(count(perCall, "-> PyTorch [dropout]"), 5, log.toString());
    }

    @Test
    public void noBackendIsOneInfoLineAndNoWarning() throws IOException {
        if (AppleGpu.isMac()) {
            throw new SkipException("auto selects the Metal backend on a Mac; this checks a machine without one");
        }
        // Linux has no Metal: auto selects no backend, and every call falls back for that one reason.
        List<String> log = routerLog("info", "-Dai.djl.metal.backend=auto");
        List<String> info = at(log, "INFO");
        Assert.assertEquals(info.size(), 1, log.toString());
        Assert.assertTrue(info.get(0).contains("backend none"), info.get(0));
        Assert.assertTrue(at(log, "WARN").isEmpty(), log.toString());
    }

    @Test
    public void shadowModeCatchesAWrongResultAndTurnsItsShapeOff() throws IOException {
        // The fake GPU computes the first call wrong (one flipped bit); shadow mode checks every call.
        List<String> log =
                routerLog(
                        "info",
                        FakeMetal.env("wrong_result:1"),
                        "-Dai.djl.metal.backend=metal",
                        "-Dai.djl.metal.cpu_min_flops=0",
                        "-Dai.djl.metal.shadow=1",
                        "-Dai.djl.metal.shadow_disable=true");
        List<String> warn = at(log, "WARN");
        Assert.assertEquals(
                count(warn, "SDPA shadow check: the native result differs from PyTorch's"), 1, log.toString());
        Assert.assertEquals(count(warn, "this call shape now runs on PyTorch [diverged]"), 1, log.toString());
        // The two later calls of that shape fall back, said once.
        Assert.assertEquals(count(warn, "SDPA falls back to PyTorch: shadow mode"), 1, log.toString());
        Assert.assertEquals(warn.size(), 4, log.toString());  // and [dtype], [dropout]
    }

    @Test
    public void noDebugLinesWhenDebugIsOff() throws IOException {
        List<String> log = routerLog("info");
        Assert.assertTrue(at(log, "DEBUG").isEmpty(), log.toString());
        Assert.assertEquals(at(log, "INFO").size(), 1, log.toString());
        Assert.assertEquals(at(log, "WARN").size(), 2, log.toString());
    }
}
