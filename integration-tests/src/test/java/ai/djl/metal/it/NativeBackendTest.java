/*
 * DJL Metal engine.
 */
package ai.djl.metal.it;

import ai.djl.metal.it.util.AppleGpu;
import ai.djl.metal.it.util.ConcurrentForwards;
import ai.djl.metal.it.util.Fixtures;
import ai.djl.metal.it.util.ModelRun;
import ai.djl.metal.it.util.Npy;
import ai.djl.metal.it.util.PlainPyTorch;
import ai.djl.metal.it.util.Tolerance;
import ai.djl.metal.it.util.Workspace;
import ai.djl.metal.sdpa.Backend;
import ai.djl.metal.sdpa.SdpaMode;
import ai.djl.metal.sdpa.SdpaRouter;
import ai.djl.metal.sdpa.SdpaStats;
import ai.djl.ndarray.NDManager;

import org.testng.Assert;
import org.testng.annotations.BeforeClass;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ai.djl.metal.sdpa=native} with a native backend: the shared fixtures (models, and SDPA cases both
 * as TorchScript modules through Criteria and through the Java API) run every SDPA call through the real
 * Metal kernels, with results within the dtype's tolerance of PyTorch, and 8 threads x 50 forwards give
 * identical outputs with every call counted as native. Runs in its own JVM per backend: surefire execution
 * "simulator-native" (the MSL simulator backend) and "metal-native" (the Metal backend against the fake
 * Metal preloaded into the JVM, whose dispatches run the same kernels on the simulator).
 */
@Test(groups = {"simulator-native", "metal-native"})
public class NativeBackendTest {

    /** Whole-model outputs after layer norms and projections: float32 kernels vs PyTorch's. */
    private static final double MODEL_TOLERANCE = 1e-4;

    private static final int THREADS = 8;
    private static final int FORWARDS = 50;

    private Map<String, ModelRun.Result> plainModels;

    /** The backend this JVM was started with. */
    private static Backend expected() {
        return Backend.valueOf(
                System.getProperty(SdpaRouter.BACKEND_PROPERTY, "none").toUpperCase(Locale.ROOT));
    }

    @BeforeClass(groups = {"simulator-native", "metal-native"})
    public void onAMacOnlyWithMetal() {
        AppleGpu.skipOnMacWithoutMetal();
    }

    @Test(groups = {"simulator-native", "metal-native"})
    public void configuration() {
        Assert.assertEquals(SdpaRouter.getMode(), SdpaMode.NATIVE);
        Assert.assertNotEquals(expected(), Backend.NONE);
        Assert.assertEquals(SdpaRouter.getBackend(), expected());
    }

    @DataProvider(name = "cases")
    public Object[][] cases() {
        return Fixtures.rows(Fixtures.sdpaCases());
    }

    @Test(groups = {"simulator-native", "metal-native"}, dataProvider = "cases")
    public void fixtureCasesRunNativelyWithinTolerance(Fixtures.SdpaCase c) throws IOException {
        try (NDManager manager = NDManager.newBaseManager("Metal")) {
            SdpaStats before = SdpaStats.snapshot();
            Npy.Data out = FixtureSdpaCaseTest.runJavaApi(manager, c);
            SdpaStats delta = SdpaStats.snapshot().since(before);
            Assert.assertEquals(delta.getNativeCalls(expected()), 1, delta.toString());
            double error = Tolerance.maxError(out.toDoubles(), Npy.read(c.ref64).toDoubles());
            Assert.assertTrue(error <= Tolerance.of(c.dtype), c + ": max error vs float64 " + error);
        }
    }

    @Test(groups = {"simulator-native", "metal-native"}, dataProvider = "cases")
    public void fixtureCasesThroughCriteriaRunNativelyWithinTolerance(Fixtures.SdpaCase c)
            throws IOException {
        Path dir = Workspace.newDirectory("native-case-");
        ModelRun.Request request =
                new ModelRun.Request(
                        c.name, FixtureSdpaCaseTest.module(c).write(dir), FixtureSdpaCaseTest.inputs(c));
        SdpaStats before = SdpaStats.snapshot();
        ModelRun.Result actual = ModelRun.run("Metal", request);
        SdpaStats delta = SdpaStats.snapshot().since(before);
        Assert.assertNull(actual.error, actual.error);
        Assert.assertEquals(delta.getNativeCalls(expected()), 1, delta.toString());
        double error =
                Tolerance.maxError(actual.outputs.get(0).toDoubles(), Npy.read(c.ref64).toDoubles());
        Assert.assertTrue(error <= Tolerance.of(c.dtype), c + ": max error vs float64 " + error);
    }

    @DataProvider(name = "models")
    public Object[][] models() {
        return Fixtures.rows(Fixtures.models());
    }

    private synchronized ModelRun.Result plain(Fixtures.Model model) throws IOException {
        if (plainModels == null) {
            List<ModelRun.Request> requests = new ArrayList<>();
            for (Fixtures.Model m : Fixtures.models()) {
                requests.add(new ModelRun.Request(m.name, m.file, m.inputs));
            }
            plainModels = PlainPyTorch.run(requests);
        }
        return plainModels.get(model.name);
    }

    @Test(groups = {"simulator-native", "metal-native"}, dataProvider = "models")
    public void fixtureModelsRunNativelyWithinTolerance(Fixtures.Model model) throws IOException {
        ModelRun.Result expected = plain(model);
        SdpaStats before = SdpaStats.snapshot();
        ModelRun.Result actual =
                ModelRun.run("Metal", new ModelRun.Request(model.name, model.file, model.inputs));
        SdpaStats delta = SdpaStats.snapshot().since(before);
        Assert.assertNull(actual.error, actual.error);
        Assert.assertEquals(delta.getNativeCalls(expected()), model.sdpaNodes, delta.toString());
        Assert.assertEquals(delta.getTotalCalls(), model.sdpaNodes, delta.toString());
        double error =
                Tolerance.maxError(
                        actual.outputs.get(model.outIndex).toDoubles(),
                        expected.outputs.get(model.outIndex).toDoubles());
        Assert.assertTrue(error <= MODEL_TOLERANCE, model + ": max error vs plain PyTorch " + error);
    }

    @Test(groups = {"simulator-native", "metal-native"})
    public void concurrentForwardsAreIdenticalAndAllNative() throws Exception {
        Fixtures.Model model = Fixtures.models().get(0);
        SdpaStats before = SdpaStats.snapshot();
        ConcurrentForwards.run(model, THREADS, FORWARDS);
        SdpaStats delta = SdpaStats.snapshot().since(before);
        long calls = (long) (THREADS * FORWARDS + 1) * model.sdpaNodes;
        Assert.assertEquals(delta.getTotalCalls(), calls, delta.toString());
        Assert.assertEquals(delta.getNativeCalls(expected()), calls, delta.toString());
    }
}
