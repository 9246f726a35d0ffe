/*
 * DJL Metal engine.
 */
package ai.djl.metal.it;

import ai.djl.metal.it.util.Fixtures;
import ai.djl.metal.it.util.ModelRun;
import ai.djl.metal.it.util.Npy;
import ai.djl.metal.it.util.PlainPyTorch;
import ai.djl.metal.it.util.Tolerance;
import ai.djl.metal.sdpa.SdpaStats;

import org.testng.Assert;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Hugging Face models in {@code ../shared/fixtures} through Criteria with engine "Metal": every SDPA
 * node is intercepted on every forward, outputs are bitwise the plain PyTorch engine's, and bitwise the
 * stored eager outputs wherever plain libtorch on this CPU reproduces them.
 */
public class FixtureModelTest {

    private static final int FORWARDS = 3;
    private static final double EAGER_CPU_TOLERANCE = 1e-5;

    private Map<String, ModelRun.Result> reference;

    @DataProvider(name = "models")
    public Object[][] models() {
        return Fixtures.rows(Fixtures.models());
    }

    private static ModelRun.Request request(Fixtures.Model m) {
        ModelRun.Request r = new ModelRun.Request(m.name, m.file, m.inputs);
        r.forwards = FORWARDS;
        return r;
    }

    private synchronized ModelRun.Result reference(Fixtures.Model model) throws IOException {
        if (reference == null) {
            List<ModelRun.Request> requests = new ArrayList<>();
            for (Fixtures.Model m : Fixtures.models()) {
                requests.add(request(m));
            }
            reference = PlainPyTorch.run(requests);
        }
        return reference.get(model.name);
    }

    @Test(dataProvider = "models")
    public void everySdpaCallIsRoutedAndExact(Fixtures.Model model) throws IOException {
        ModelRun.Result plain = reference(model);
        Assert.assertNull(plain.error, "plain PyTorch failed: " + plain.error);

        SdpaStats before = SdpaStats.snapshot();
        ModelRun.Result metal = ModelRun.run("Metal", request(model));
        SdpaStats delta = SdpaStats.snapshot().since(before);
        Assert.assertNull(metal.error, metal.error);

        Assert.assertEquals(delta.getTotalCalls(), (long) model.sdpaNodes * FORWARDS, delta.toString());
        Assert.assertEquals(metal.outputs.size(), plain.outputs.size());
        Npy.Data eager = Npy.read(model.expectedOutput);
        int perForward = metal.outputs.size() / FORWARDS;
        // The eager outputs were made by torch 2.11 on another CPU. Where this machine's plain libtorch
        // reproduces them bit for bit, so must the Metal engine; where it does not (vectorised kernels
        // differ by CPU), both must stay within float32 rounding of them.
        boolean plainIsEager = plain.outputs.get(model.outIndex).bitwiseDifference(eager) == null;
        for (int f = 0; f < FORWARDS; ++f) {
            Npy.Data out = metal.outputs.get(f * perForward + model.outIndex);
            if (plainIsEager) {
                Assert.assertNull(out.bitwiseDifference(eager), model + " forward " + f + " vs eager");
            } else {
                double error = Tolerance.maxError(out.toDoubles(), eager.toDoubles());
                Assert.assertTrue(error <= EAGER_CPU_TOLERANCE, model + " vs eager: " + error);
            }
        }
        for (int i = 0; i < metal.outputs.size(); ++i) {
            Assert.assertNull(
                    metal.outputs.get(i).bitwiseDifference(plain.outputs.get(i)),
                    model + " output " + i + " vs plain PyTorch");
        }
    }
}
