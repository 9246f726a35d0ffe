/*
 * DJL Metal engine.
 */
package ai.djl.metal.it;

import ai.djl.inference.Predictor;
import ai.djl.metal.engine.MetalModel;
import ai.djl.metal.engine.MetalPredictor;
import ai.djl.metal.engine.MetalSymbolBlock;
import ai.djl.metal.it.util.Npy;
import ai.djl.metal.it.util.RandomInputs;
import ai.djl.metal.it.util.SdpaModule;
import ai.djl.metal.it.util.Workspace;
import ai.djl.metal.sdpa.FallbackReason;
import ai.djl.metal.sdpa.SdpaRouter;
import ai.djl.metal.sdpa.SdpaStats;
import ai.djl.metric.Metrics;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;

import org.testng.Assert;
import org.testng.annotations.Test;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;

import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.openmbean.TabularData;

/**
 * What an operator of a serving JVM sees: a model of engine "Metal" says so, its predictors record how each
 * forward's SDPA calls ran in DJL's {@link Metrics}, and the stats are a JMX MBean.
 */
public class ServingVisibilityTest {

    @Test
    public void predictorMetricsAndJmx() throws Exception {
        Path dir = Workspace.newDirectory("serving-");
        RandomInputs in = new RandomInputs(11, dir);
        Path model = new SdpaModule("metrics_sdpa").write(dir);
        List<Path> inputs =
                List.of(in.normal("q", 1, 2, 5, 8), in.normal("k", 1, 2, 7, 8), in.normal("v", 1, 2, 7, 8));
        Criteria<NDList, NDList> criteria =
                Criteria.builder()
                        .setTypes(NDList.class, NDList.class)
                        .optModelPath(model)
                        .optEngine("Metal")
                        .optTranslator(new NoopTranslator())
                        .build();
        try (ZooModel<NDList, NDList> zoo = criteria.loadModel();
                NDManager manager = NDManager.newBaseManager("Metal")) {
            Assert.assertTrue(zoo.getWrappedModel() instanceof MetalModel, zoo.getWrappedModel().toString());
            Assert.assertTrue(zoo.getBlock() instanceof MetalSymbolBlock, zoo.getBlock().toString());
            NDList x = new NDList();
            for (Path p : inputs) {
                x.add(Npy.read(manager, p));
            }
            SdpaStats before = SdpaStats.snapshot();
            try (Predictor<NDList, NDList> predictor = zoo.newPredictor()) {
                Assert.assertTrue(predictor instanceof MetalPredictor, predictor.getClass().getName());
                Metrics metrics = new Metrics();
                predictor.setMetrics(metrics);
                predictor.predict(x);
                predictor.predict(x);
                SdpaStats delta = SdpaStats.snapshot().since(before);
                // No native kernel runs here (no backend; on a Mac, a call too small): both forwards' calls fell
                // back, counted on the predictor's thread.
                Assert.assertEquals(delta.getFallbackCalls(), 2, delta.toString());
                Assert.assertEquals(sum(metrics, MetalPredictor.FALLBACK_METRIC), 2);
                Assert.assertEquals(sum(metrics, MetalPredictor.NATIVE_METRIC), 0);
                Assert.assertEquals(metrics.getMetric(MetalPredictor.ERROR_METRIC).size(), 2);
            }
        }

        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName name = new ObjectName(SdpaRouter.MBEAN_NAME);
        Assert.assertTrue(server.isRegistered(name));
        Assert.assertEquals(server.getAttribute(name, "Backend"), SdpaRouter.getBackend().id());
        long total = (Long) server.getAttribute(name, "TotalCalls");
        Assert.assertEquals(total, SdpaStats.snapshot().getTotalCalls());
        TabularData byReason = (TabularData) server.getAttribute(name, "FallbackCallsByReason");
        SdpaStats now = SdpaStats.snapshot();
        for (FallbackReason r : FallbackReason.values()) {
            Assert.assertEquals(byReason.get(new Object[] {r.id()}).get("value"), now.getFallbackCalls(r), r.id());
        }
        Assert.assertEquals(server.getAttribute(name, "NativeSuspended"), false);

        SdpaStats stats = SdpaStats.snapshot();
        IllegalArgumentException e =
                Assert.expectThrows(IllegalArgumentException.class, () -> stats.getFallbackCalls(null));
        Assert.assertEquals(e.getMessage(), "reason is null");
        Assert.expectThrows(IllegalArgumentException.class, () -> stats.getRejectedCalls(null));
        Assert.expectThrows(IllegalArgumentException.class, () -> stats.getNativeCalls(null));
        Assert.expectThrows(IllegalArgumentException.class, () -> stats.since(null));
        Assert.expectThrows(IllegalArgumentException.class, () -> stats.getShadowMaxError(null));
    }

    private static long sum(Metrics metrics, String name) {
        return metrics.getMetric(name).stream().mapToLong(m -> m.getValue().longValue()).sum();
    }
}
