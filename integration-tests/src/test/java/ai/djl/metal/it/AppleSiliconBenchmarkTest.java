/*
 * DJL Metal engine.
 */
package ai.djl.metal.it;

import ai.djl.metal.examples.AppleSiliconBenchmark;
import ai.djl.metal.it.util.AppleGpu;
import ai.djl.metal.it.util.Workspace;
import ai.djl.util.JsonUtils;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import org.testng.Assert;
import org.testng.annotations.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The Mac benchmark itself, in its quick mode, run as a Mac user would run it: on Linux against the fake
 * Metal this JVM preloads (its numbers mean nothing there; that it runs, measures every path it can and
 * writes a report whose JSON holds every figure is what is checked), on a Mac against the GPU.
 */
@Test(groups = "metal-native")
public class AppleSiliconBenchmarkTest {

    @Test(groups = "metal-native")
    public void quickRunWritesACompleteReport() throws IOException, InterruptedException {
        AppleGpu.skipOnMacWithoutMetal();
        Path out = Workspace.newDirectory("apple-benchmark-");
        List<String> command =
                List.of(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        AppleSiliconBenchmark.class.getName(),
                        "quick=true",
                        "out=" + out);
        Path output = out.resolve("output.txt");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            Assert.fail("the benchmark did not finish in 10 minutes:\n" + Files.readString(output));
        }
        String log = Files.readString(output);
        Assert.assertEquals(p.exitValue(), 0, log);

        Path report;
        try (Stream<Path> files = Files.list(out)) {
            report = files.filter(f -> f.toString().endsWith(".md")).findFirst().orElse(null);
        }
        Assert.assertNotNull(report, "no report in " + out + ":\n" + log);
        String md = Files.readString(report);
        for (String section :
                new String[] {"## Prefill", "## Decode", "## Small-call threshold", "## Shadow mode", "## Data", "Quick run"}) {
            Assert.assertTrue(md.contains(section), "report lacks " + section + ":\n" + md);
        }
        String json = md.substring(md.indexOf("```json\n") + 8, md.lastIndexOf("\n```"));
        JsonObject root = JsonUtils.GSON.fromJson(json, JsonObject.class);
        Assert.assertEquals(root.get("format").getAsString(), "djl-metal-apple-silicon-benchmark/1");
        Assert.assertTrue(root.get("complete").getAsBoolean(), md);
        Map<String, Integer> measured = new HashMap<>();
        for (JsonElement e : root.getAsJsonArray("results")) {
            JsonObject r = e.getAsJsonObject();
            String path = r.get("engine").getAsString() + " " + r.get("device").getAsString();
            boolean mps = "mps".equals(r.get("device").getAsString());
            if (mps && !AppleGpu.isMac()) {
                Assert.assertTrue(r.has("error"), "an MPS measurement off a Mac: " + r);
                continue;
            }
            Assert.assertFalse(r.has("error"), path + ": " + r);
            Assert.assertTrue(r.get("ms").getAsDouble() > 0, path + ": " + r);
            if ("metal cpu".equals(path)) {
                // Every call through the Metal backend's own command buffers, timed by their timestamps.
                Assert.assertTrue(r.has("gpu_ms") && r.get("gpu_ms").getAsDouble() > 0, r.toString());
            }
            if ("shadow cpu".equals(path)) {
                // Every call checked, none divergent; the checks take part of each call's time.
                double check = r.get("shadow_check_ms").getAsDouble();
                Assert.assertTrue(check > 0 && check < r.get("ms").getAsDouble(), r.toString());
                Assert.assertEquals(r.get("shadow_divergences").getAsLong(), 0L, r.toString());
            } else {
                Assert.assertFalse(r.has("shadow_check_ms"), r.toString());
            }
            measured.merge(path, 1, Integer::sum);
        }
        // Quick mode: 6 cases on CPU tensors (4 of them shadowed), 4 of them on MPS tensors too.
        Map<String, Integer> expected = new HashMap<>(Map.of("metal cpu", 6, "pytorch cpu", 6, "shadow cpu", 4));
        if (AppleGpu.isMac()) {
            expected.put("metal mps", 4);
            expected.put("pytorch mps", 4);
        }
        Assert.assertEquals(measured, expected, md);
    }
}
