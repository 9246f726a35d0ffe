/*
 * DJL Metal engine.
 */
package ai.djl.metal.it;

import ai.djl.engine.EngineException;
import ai.djl.metal.it.util.AppleGpu;
import ai.djl.metal.it.util.ModelRun;
import ai.djl.metal.it.util.PlainPyTorch;
import ai.djl.metal.it.util.RandomInputs;
import ai.djl.metal.it.util.SdpaModule;
import ai.djl.metal.examples.TorchScriptFile;
import ai.djl.metal.it.util.Workspace;
import ai.djl.metal.sdpa.Attention;
import ai.djl.metal.sdpa.Backend;
import ai.djl.metal.sdpa.FallbackReason;
import ai.djl.metal.sdpa.SdpaMode;
import ai.djl.metal.sdpa.SdpaRouter;
import ai.djl.metal.sdpa.SdpaStats;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import org.testng.Assert;
import org.testng.SkipException;
import org.testng.annotations.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code ai.djl.metal.sdpa=native} with no native backend: SDPA calls fail naming the reason, models
 * without SDPA run, and models of engine "PyTorch" in the same JVM are not routed at all. Runs in its own
 * JVM (surefire execution "native-mode").
 */
@Test(groups = "native-mode")
public class NativeModeTest {

    @Test(groups = "native-mode")
    public void sdpaFailsWithReasonAndOtherModelsRun() throws IOException {
        if (AppleGpu.isMac() && SdpaRouter.getBackend() != Backend.NONE) {
            throw new SkipException(
                    "native mode without a backend: this Mac has one (NativeBackendTest covers native mode on it)");
        }
        Assert.assertEquals(SdpaRouter.getMode(), SdpaMode.NATIVE);
        Assert.assertEquals(SdpaRouter.getBackend(), Backend.NONE);
        Path dir = Workspace.newDirectory("native-");
        RandomInputs in = new RandomInputs(3, dir);
        List<Path> inputs =
                List.of(in.normal("q", 1, 2, 5, 8), in.normal("k", 1, 2, 7, 8), in.normal("v", 1, 2, 7, 8));

        SdpaStats before = SdpaStats.snapshot();
        SdpaModule sdpa = new SdpaModule("native_sdpa");
        ModelRun.Result failed = ModelRun.run("Metal", new ModelRun.Request("sdpa", sdpa.write(dir), inputs));
        Assert.assertNotNull(failed.error, "an SDPA model must fail in native mode without a backend");
        Assert.assertTrue(failed.error.contains("ai.djl.metal.sdpa=native"), failed.error);
        Assert.assertTrue(failed.error.contains("[no_backend]"), failed.error);
        SdpaStats delta = SdpaStats.snapshot().since(before);
        Assert.assertEquals(delta.getRejectedCalls(FallbackReason.NO_BACKEND), 1);
        Assert.assertEquals(delta.getFallbackCalls(), 0);

        Path plainModel =
                TorchScriptFile.write(
                        dir.resolve("no_sdpa.pt"),
                        "q: Tensor, k: Tensor, v: Tensor",
                        "Tensor",
                        List.of("return torch.add(torch.matmul(q, torch.transpose(k, -1, -2)), 1.0)"));
        ModelRun.Result ok = ModelRun.run("Metal", new ModelRun.Request("plain", plainModel, inputs));
        Assert.assertNull(ok.error, ok.error);
        Assert.assertEquals(ok.outputs.get(0).shape, new Shape(1, 2, 5, 7));

        // The same SDPA model loaded with engine "PyTorch" in this process is plain PyTorch: not routed, so
        // neither refused nor counted, bitwise what a PyTorch-only JVM computes, also while Metal models run
        // (and fail) on other threads.
        ModelRun.Request request = new ModelRun.Request("sdpa_pytorch", sdpa.write(dir), inputs);
        ModelRun.Result plain = PlainPyTorch.run(List.of(request)).get(request.name);
        Assert.assertNull(plain.error, plain.error);
        SdpaStats beforePyTorch = SdpaStats.snapshot();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<ModelRun.Result>> runs = new ArrayList<>();
            for (int i = 0; i < 8; ++i) {
                String engine = i % 2 == 0 ? "PyTorch" : "Metal";
                runs.add(pool.submit(() -> ModelRun.run(engine, request)));
            }
            for (int i = 0; i < runs.size(); ++i) {
                ModelRun.Result r = runs.get(i).get();
                if (i % 2 == 0) {
                    Assert.assertNull(r.error, r.error);
                    Assert.assertNull(r.outputs.get(0).bitwiseDifference(plain.outputs.get(0)));
                } else {
                    Assert.assertNotNull(r.error, "engine Metal must still be refused");
                }
            }
        } catch (InterruptedException | ExecutionException e) {
            throw new AssertionError(e);
        } finally {
            pool.shutdown();
        }
        SdpaStats pytorchDelta = SdpaStats.snapshot().since(beforePyTorch);
        Assert.assertEquals(pytorchDelta.getRejectedCalls(), 4, "only the Metal models' calls: " + pytorchDelta);
        Assert.assertEquals(pytorchDelta.getTotalCalls(), 4, pytorchDelta.toString());

        try (NDManager m = NDManager.newBaseManager("Metal")) {
            NDArray q = m.randomNormal(new Shape(1, 2, 5, 8));
            EngineException e =
                    Assert.expectThrows(
                            EngineException.class, () -> Attention.scaledDotProductAttention(q, q, q));
            Assert.assertTrue(e.getMessage().contains("no native backend"), e.getMessage());
        }
    }
}
