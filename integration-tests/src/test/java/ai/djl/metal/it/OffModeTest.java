/*
 * DJL Metal engine.
 */
package ai.djl.metal.it;

import ai.djl.metal.it.util.ModelRun;
import ai.djl.metal.it.util.PlainPyTorch;
import ai.djl.metal.it.util.RandomInputs;
import ai.djl.metal.it.util.SdpaModule;
import ai.djl.metal.it.util.Workspace;
import ai.djl.metal.sdpa.Attention;
import ai.djl.metal.sdpa.FallbackReason;
import ai.djl.metal.sdpa.SdpaMode;
import ai.djl.metal.sdpa.SdpaRouter;
import ai.djl.metal.sdpa.SdpaStats;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import org.testng.Assert;
import org.testng.annotations.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code ai.djl.metal.sdpa=off}: no override, models run exactly as on plain PyTorch and are not counted;
 * Java API calls run on PyTorch and count as "disabled". Runs in its own JVM (surefire execution
 * "off-mode").
 */
@Test(groups = "off-mode")
public class OffModeTest {

    @Test(groups = "off-mode")
    public void nothingIsIntercepted() throws IOException {
        Assert.assertEquals(SdpaRouter.getMode(), SdpaMode.OFF);
        Assert.assertFalse(SdpaRouter.isOverrideInstalled());
        Path dir = Workspace.newDirectory("off-");
        RandomInputs in = new RandomInputs(4, dir);
        SdpaModule causal = new SdpaModule("off_causal");
        causal.causal = true;
        ModelRun.Request r =
                new ModelRun.Request(
                        causal.name,
                        causal.write(dir),
                        List.of(in.normal("q", 1, 2, 5, 8), in.normal("k", 1, 2, 7, 8), in.normal("v", 1, 2, 7, 8)));
        SdpaStats before = SdpaStats.snapshot();
        ModelRun.Result metal = ModelRun.run("Metal", r);
        Assert.assertEquals(SdpaStats.snapshot().since(before).getTotalCalls(), 0);
        ModelRun.Result plain = PlainPyTorch.run(List.of(r)).get(r.name);
        Assert.assertNull(metal.outputs.get(0).bitwiseDifference(plain.outputs.get(0)));

        try (NDManager m = NDManager.newBaseManager("Metal")) {
            NDArray q = m.randomNormal(new Shape(1, 2, 5, 8));
            before = SdpaStats.snapshot();
            Attention.scaledDotProductAttention(q, q, q);
            Assert.assertEquals(
                    SdpaStats.snapshot().since(before).getFallbackCalls(FallbackReason.DISABLED), 1);
        }
    }
}
