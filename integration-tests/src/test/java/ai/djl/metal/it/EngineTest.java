/*
 * DJL Metal engine.
 */
package ai.djl.metal.it;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.metal.engine.MetalEngine;
import ai.djl.metal.engine.MetalModel;
import ai.djl.metal.it.util.AppleGpu;
import ai.djl.metal.it.util.EngineProbe;
import ai.djl.metal.it.util.FakeMetal;
import ai.djl.metal.it.util.PlainPyTorch;
import ai.djl.metal.it.util.Workspace;
import ai.djl.metal.sdpa.Backend;
import ai.djl.metal.sdpa.SdpaMode;
import ai.djl.metal.sdpa.SdpaRouter;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;

import org.testng.Assert;
import org.testng.annotations.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The engine's registration, delegation to DJL's PyTorch engine, and start-up configuration. */
public class EngineTest {

    @Test
    public void registeredAboveRankOfPyTorchAndDelegating() {
        Assert.assertTrue(Engine.getAllEngines().contains("Metal"));
        Engine metal = Engine.getEngine("Metal");
        Engine pytorch = Engine.getEngine("PyTorch");
        Assert.assertTrue(metal instanceof MetalEngine);
        Assert.assertTrue(metal.getRank() > pytorch.getRank(), "Metal must never be chosen by rank");
        Assert.assertEquals(Engine.getDefaultEngineName(), "PyTorch");
        Assert.assertTrue(
                metal.getVersion().matches("\\d+\\.\\d+\\.\\d+(-SNAPSHOT)? \\(PyTorch \\Q"
                        + pytorch.getVersion() + "\\E\\)"),
                metal.getVersion());
        Assert.assertEquals(((MetalEngine) metal).getPyTorchVersion(), pytorch.getVersion());
        // PyTorch's own capabilities pass through; Metal is there only with the Metal backend.
        boolean metalGpu = AppleGpu.isMac() && SdpaRouter.getBackend() == Backend.METAL;
        Assert.assertEquals(metal.hasCapability(MetalEngine.CAPABILITY_METAL), metalGpu);
        Assert.assertEquals(metal.hasCapability("MKL"), pytorch.hasCapability("MKL"));
        Assert.assertNull(metal.getAlternativeEngine());
        try (NDManager manager = metal.newBaseManager()) {
            Assert.assertTrue(manager instanceof PtNDManager);
            NDArray a = manager.ones(new Shape(2, 3));
            Assert.assertTrue(a instanceof PtNDArray, "arrays are PyTorch's own, never copied");
            Assert.assertEquals(a.add(a).sum().getFloat(), 12f);
        }
        try (Model model = metal.newModel("m", metal.defaultDevice())) {
            Assert.assertTrue(model instanceof MetalModel, model.getClass().getName());
            Assert.assertTrue(model.toString().startsWith("Metal engine "), model.toString());
            // Arrays stay PyTorch's: the model's manager is the PyTorch engine's.
            Assert.assertEquals(model.getNDManager().getEngine().getEngineName(), "PyTorch");
        }
        Assert.assertTrue(metal.toString().contains("SDPA override installed"), metal.toString());
    }

    @Test
    public void defaultEngineByProperty() {
        // DJL fixes its default at class initialisation: make that happen before the property is set.
        Assert.assertEquals(Engine.getDefaultEngineName(), "PyTorch");
        String old = System.getProperty("ai.djl.default_engine");
        System.setProperty("ai.djl.default_engine", "Metal");
        try {
            Assert.assertEquals(Engine.getInstance().getEngineName(), "Metal");
        } finally {
            if (old == null) {
                System.clearProperty("ai.djl.default_engine");
            } else {
                System.setProperty("ai.djl.default_engine", old);
            }
        }
    }

    @Test
    public void sdpaModeParsing() {
        Assert.assertEquals(SdpaMode.parse(null), SdpaMode.AUTO);
        Assert.assertEquals(SdpaMode.parse(" Native "), SdpaMode.NATIVE);
        Assert.assertEquals(SdpaMode.parse("OFF"), SdpaMode.OFF);
        IllegalArgumentException e =
                Assert.expectThrows(IllegalArgumentException.class, () -> SdpaMode.parse("fast"));
        Assert.assertTrue(e.getMessage().contains("ai.djl.metal.sdpa must be auto, native or off"));
    }

    private static String probe(String engine, Map<String, String> env, String... properties)
            throws IOException {
        Path dir = Workspace.newDirectory("probe-");
        Path report = dir.resolve("report.txt");
        List<String> command = new ArrayList<>(List.of(properties));
        command.add(EngineProbe.class.getName());
        command.add(report.toString());
        command.add(engine);
        PlainPyTorch.runChild(command, env, dir);
        return Files.readString(report);
    }

    @Test
    public void startupConfigurationInFreshJvms() throws IOException {
        Assert.assertTrue(
                probe("default", Map.of("DJL_DEFAULT_ENGINE", "Metal")).startsWith("engine=Metal"));
        String bad = probe("Metal", Map.of(), "-Dai.djl.metal.sdpa=fastest");
        Assert.assertTrue(bad.contains("ai.djl.metal.sdpa must be auto, native or off"), bad);
        String badBackend = probe("Metal", Map.of(), "-Dai.djl.metal.backend=cuda");
        Assert.assertTrue(
                badBackend.contains("ai.djl.metal.backend must be auto, metal or simulator"), badBackend);
        String metal = probe("Metal", Map.of(), "-Dai.djl.metal.backend=metal");
        Assert.assertTrue(
                metal.contains(
                        "ai.djl.metal.backend=metal: no Objective-C runtime in this process: Metal needs macOS"),
                metal);
        String noLibrary = probe("Metal", Map.of(), "-Dorg.bytedeco.javacpp.platform=linux-arm64");
        Assert.assertTrue(
                noLibrary.startsWith(
                        "error=Metal engine: no native library for this platform (linux-arm64); this jar has"
                                + " one for linux-x86_64, macosx-arm64. DJL's other engines are not affected."),
                noLibrary);
        Assert.assertTrue(noLibrary.endsWith("\npytorch=PyTorch"), noLibrary);
        String badBreaker = probe("Metal", Map.of(), "-Dai.djl.metal.breaker_failures=2.5");
        Assert.assertTrue(
                badBreaker.contains(
                        "ai.djl.metal.breaker_failures must be a whole number from 0 to 1000000000, not \"2.5\""),
                badBreaker);
        String badSeconds = probe("Metal", Map.of(), "-Dai.djl.metal.breaker_seconds=-1");
        Assert.assertTrue(
                badSeconds.contains("ai.djl.metal.breaker_seconds must be a number from 0 to 1000000"),
                badSeconds);
        String badFlops = probe("Metal", Map.of(), "-Dai.djl.metal.cpu_min_flops=-3");
        Assert.assertTrue(
                badFlops.contains("ai.djl.metal.cpu_min_flops must be a number >= 0, not \"-3\""), badFlops);
        String off = probe("Metal", Map.of(), "-Dai.djl.metal.sdpa=off");
        Assert.assertTrue(off.contains("SDPA override off"), off);
        // Reading the stats starts nothing: no native library, no override.
        String stats = probe("stats", Map.of());
        Assert.assertEquals(stats, "calls=0\nstarted=false");
    }


    @Test
    public void backendChoiceWithAMetalDeviceInFreshJvms() throws IOException {
        String auto = probe("Metal", FakeMetal.env(""));
        Assert.assertTrue(
                auto.contains(
                        "backend metal (a Metal device exists: Fake Metal device (MSL simulator), GPU family"
                                + " Apple9; CPU tensors in place"),
                auto);
        String threshold = probe("Metal", FakeMetal.env(""), "-Dai.djl.metal.cpu_min_flops=1e9");
        Assert.assertTrue(threshold.contains("calls under 1000000000 FLOPs stay on PyTorch"), threshold);
        String noDevice = probe("Metal", FakeMetal.env("no_device"));
        Assert.assertTrue(noDevice.contains("mode auto; backend none (no Metal device)"), noDevice);
        String required = probe("Metal", FakeMetal.env("no_device"), "-Dai.djl.metal.backend=metal");
        Assert.assertTrue(required.contains("ai.djl.metal.backend=metal: no Metal device"), required);
        String oldOs = probe("Metal", FakeMetal.env("old_os"), "-Dai.djl.metal.backend=metal");
        Assert.assertTrue(oldOs.contains("needs macOS 14 or later"), oldOs);
        String oldGpu = probe("Metal", FakeMetal.env("old_family"));
        Assert.assertTrue(oldGpu.contains("is not of GPU family Apple7 or later"), oldGpu);
    }

    @Test
    public void environmentVariablesWhenNoSystemProperty() throws IOException {
        String off = probe("Metal", Map.of("AI_DJL_METAL_SDPA", "off"));
        Assert.assertTrue(off.contains("SDPA override off"), off);
        String simulator = probe("Metal", Map.of("AI_DJL_METAL_BACKEND", "simulator"));
        Assert.assertTrue(simulator.contains("mode auto; backend simulator"), simulator);
        String property = probe("Metal", Map.of("AI_DJL_METAL_SDPA", "off"), "-Dai.djl.metal.sdpa=native");
        Assert.assertTrue(property.contains("SDPA override installed, mode native"), property);
    }
}
