/*
 * DJL Metal engine.
 */
package ai.djl.metal.it;

import ai.djl.engine.Engine;
import ai.djl.metal.it.util.Fixtures;
import ai.djl.metal.it.util.ModelRun;
import ai.djl.metal.it.util.Npy;
import ai.djl.metal.it.util.PlainPyTorch;
import ai.djl.metal.it.util.RandomInputs;
import ai.djl.metal.it.util.SdpaModule;
import ai.djl.metal.it.util.Workspace;
import ai.djl.metal.sdpa.Attention;
import ai.djl.metal.sdpa.AttentionOptions;
import ai.djl.metal.sdpa.FloatType;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;

import org.testng.Assert;
import org.testng.annotations.BeforeClass;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Calls that need gradients keep PyTorch's autograd: the backward of {@code sum(out * w)} gives bitwise the
 * plain PyTorch engine's gradients for q, k, v (and a learned additive mask), both for TorchScript run in
 * training mode and for the Java API under a GradientCollector.
 */
public class GradientTest {

    private final Map<String, ModelRun.Request> requests = new LinkedHashMap<>();
    private final Map<String, SdpaModule> modules = new LinkedHashMap<>();
    private ModelRun.Request sparse;
    private Map<String, ModelRun.Result> reference;

    @BeforeClass
    public void computeReference() throws IOException {
        Path dir = Workspace.newDirectory("grad-");
        RandomInputs in = new RandomInputs(77, dir);
        add(dir, in, new SdpaModule("grad_f32"), new long[] {2, 4, 6, 16}, new long[] {2, 4, 9, 16}, null);
        SdpaModule causal = new SdpaModule("grad_f32_causal_scaled");
        causal.causal = true;
        causal.scale = 0.2;
        add(dir, in, causal, new long[] {1, 2, 9, 8}, new long[] {1, 2, 9, 8}, null);
        SdpaModule masked = new SdpaModule("grad_f64_bool_mask");
        masked.dtype = "float64";
        masked.mask = SdpaModule.Mask.BOOL;
        add(dir, in, masked, new long[] {2, 2, 5, 8}, new long[] {2, 2, 7, 8},
                in.boolMask("grad_f64_bool_mask.mask", new long[] {}, 2, 1, 5, 7));
        SdpaModule additive = new SdpaModule("grad_f32_learned_additive_mask");
        additive.mask = SdpaModule.Mask.FLOAT32;
        add(dir, in, additive, new long[] {1, 2, 5, 8}, new long[] {1, 2, 6, 8},
                in.normal("grad_f32_learned_additive_mask.mask", 1, 2, 5, 6));
        SdpaModule gqa = new SdpaModule("grad_f32_gqa");
        gqa.enableGqa = true;
        add(dir, in, gqa, new long[] {1, 4, 5, 8}, new long[] {1, 2, 5, 8}, null);
        // Sparse masks reach the router only outside inference mode, where the call needs gradients.
        SdpaModule sparseMask = new SdpaModule("grad_f32_sparse_additive_mask");
        sparseMask.mask = SdpaModule.Mask.SPARSE;
        add(dir, in, sparseMask, new long[] {4, 5, 8}, new long[] {4, 7, 8},
                in.normal("grad_f32_sparse_additive_mask.mask", 4, 5, 7));
        sparse = requests.remove(sparseMask.name);
        modules.remove(sparseMask.name);
        List<ModelRun.Request> all = new ArrayList<>(requests.values());
        all.add(sparse);
        reference = PlainPyTorch.run(all);
    }

    private void add(Path dir, RandomInputs in, SdpaModule m, long[] qShape, long[] kvShape, Path mask)
            throws IOException {
        List<Path> inputs = new ArrayList<>();
        inputs.add(in.normal(m.name + ".q", qShape));
        inputs.add(in.normal(m.name + ".k", kvShape));
        inputs.add(in.normal(m.name + ".v", kvShape));
        if (mask != null) {
            inputs.add(mask);
        }
        ModelRun.Request r = new ModelRun.Request(m.name, m.write(dir), inputs);
        long[] outShape = qShape.clone();
        r.gradientWeights = in.normal(m.name + ".w", outShape);
        requests.put(m.name, r);
        modules.put(m.name, m);
    }

    @DataProvider(name = "cases")
    public Object[][] cases() {
        return Fixtures.rows(new ArrayList<>(requests.keySet()));
    }

    @Test(dataProvider = "cases")
    public void torchScriptTrainingGradientsArePyTorchs(String name) throws IOException {
        assertTrainingLikePlain(requests.get(name));
    }

    @Test
    public void sparseMaskTrainingGradientsArePyTorchs() throws IOException {
        assertTrainingLikePlain(sparse);
    }

    private void assertTrainingLikePlain(ModelRun.Request r) throws IOException {
        String name = r.name;
        ModelRun.Result plain = reference.get(name);
        ModelRun.Result metal = ModelRun.run("Metal", r);
        Assert.assertNull(plain.error, plain.error);
        Assert.assertNull(metal.error, metal.error);
        assertSame(name, metal.outputs.get(0), plain.outputs.get(0));
        Assert.assertEquals(metal.gradients.size(), plain.gradients.size());
        for (int i = 0; i < plain.gradients.size(); ++i) {
            assertSame(name + " gradient " + i, metal.gradients.get(i), plain.gradients.get(i));
        }
        for (Npy.Data g : plain.gradients) {
            double sum = 0;
            for (double x : g.toDoubles()) {
                sum += Math.abs(x);
            }
            Assert.assertTrue(sum > 0, name + ": a reference gradient is all zero");
        }
    }

    @Test(dataProvider = "cases")
    public void javaApiGradientsArePyTorchs(String name) throws IOException {
        ModelRun.Request r = requests.get(name);
        SdpaModule m = modules.get(name);
        ModelRun.Result plain = reference.get(name);
        FloatType type = "float64".equals(m.dtype) ? FloatType.FLOAT64 : FloatType.FLOAT32;
        try (NDManager manager = NDManager.newBaseManager("Metal")) {
            NDList inputs = new NDList();
            for (Path p : r.inputs) {
                inputs.add(Npy.read(manager, p));
            }
            NDArray weights = Npy.read(manager, r.gradientWeights);
            for (NDArray a : inputs) {
                if (a.getDataType().isFloating()) {
                    a.setRequiresGradient(true);
                }
            }
            NDArray out;
            try (GradientCollector collector = Engine.getEngine("Metal").newGradientCollector()) {
                AttentionOptions.Builder options =
                        AttentionOptions.builder().optCausal(m.causal).optEnableGqa(m.enableGqa);
                if (m.scale != null) {
                    options.optScale(m.scale);
                }
                if (inputs.size() == 4) {
                    NDArray mask = inputs.get(3);
                    options.optAttnMask(m.mask == SdpaModule.Mask.BOOL ? mask : type.cast(mask));
                }
                out =
                        Attention.scaledDotProductAttention(
                                type.cast(inputs.get(0)),
                                type.cast(inputs.get(1)),
                                type.cast(inputs.get(2)),
                                options.build());
                collector.backward(FloatType.FLOAT64.cast(out).mul(weights).sum());
            }
            assertSame(name + " output", snapshot(FloatType.FLOAT64.cast(out)), plain.outputs.get(0));
            for (int i = 0; i < plain.gradients.size(); ++i) {
                NDArray input = inputs.get(i);
                if (input.getDataType().isBoolean()) {
                    continue;
                }
                assertSame(name + " gradient " + i, snapshot(input.getGradient()), plain.gradients.get(i));
            }
        }
    }

    private static Npy.Data snapshot(NDArray a) {
        return new Npy.Data(a.getDataType(), a.getShape(), a.toByteBuffer());
    }

    private static void assertSame(String what, Npy.Data actual, Npy.Data expected) {
        Assert.assertNull(actual.bitwiseDifference(expected), what);
    }
}
