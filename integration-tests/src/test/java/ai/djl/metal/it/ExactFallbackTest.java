/*
 * DJL Metal engine.
 */
package ai.djl.metal.it;

import static ai.djl.metal.it.util.SdpaModule.qkv;
import static ai.djl.metal.it.util.SdpaModule.shapes;

import ai.djl.metal.it.util.Fixtures;
import ai.djl.metal.it.util.ModelRun;
import ai.djl.metal.it.util.Npy;
import ai.djl.metal.it.util.PlainPyTorch;
import ai.djl.metal.it.util.RandomInputs;
import ai.djl.metal.it.util.SdpaModule;
import ai.djl.metal.it.util.SdpaModule.Layout;
import ai.djl.metal.it.util.SdpaModule.Mask;
import ai.djl.metal.it.util.Workspace;
import ai.djl.metal.sdpa.SdpaStats;

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
 * Every SDPA argument combination, as hand-written TorchScript modules loaded through Criteria with
 * engine "Metal": each call is routed (counted) and, falling back, must be bitwise what the plain PyTorch
 * engine computes in a child JVM (values, shape and strides), or fail where PyTorch fails.
 */
public class ExactFallbackTest {

    private final Map<String, Case> cases = new LinkedHashMap<>();
    private Map<String, ModelRun.Result> reference;

    private static final class Case {
        final ModelRun.Request request;
        final String expectedError;

        Case(ModelRun.Request request, String expectedError) {
            this.request = request;
            this.expectedError = expectedError;
        }
    }

    @BeforeClass
    public void computeReference() throws IOException {
        Path dir = Workspace.newDirectory("exact-");
        RandomInputs in = new RandomInputs(20261122, dir);
        long[] none = {};

        add(dir, in, mod("f32_plain"), qkv(2, 4, 5, 7, 8), null, null);
        add(dir, in, mod("f32_bool_mask_2d", Mask.BOOL), qkv(2, 4, 5, 7, 8), mask(in, true, none, 5, 7), null);
        add(dir, in, mod("f32_bool_mask_heads_broadcast_fully_masked", Mask.BOOL), qkv(2, 4, 5, 7, 8),
                mask(in, true, new long[] {1, 7}, 2, 1, 5, 7), null);
        add(dir, in, mod("f32_bool_mask_3d_batch_broadcast", Mask.BOOL), qkv(2, 4, 5, 7, 8),
                mask(in, true, new long[] {3}, 4, 5, 7), null);
        add(dir, in, mod("f32_bool_mask_padding_style", Mask.BOOL), qkv(2, 4, 6, 6, 8),
                mask(in, true, none, 2, 1, 1, 6), null);
        add(dir, in, mod("f32_additive_heads_broadcast_inf_rows", Mask.FLOAT32), qkv(2, 4, 5, 7, 8),
                mask(in, false, new long[] {0, 6}, 2, 1, 5, 7), null);
        SdpaModule f16Add = mod("f16_additive_same_dtype", Mask.SAME_DTYPE);
        f16Add.dtype = "float16";
        add(dir, in, f16Add, qkv(2, 4, 5, 7, 16), mask(in, false, new long[] {2}, 2, 4, 5, 7), null);
        SdpaModule f16f32 = mod("f16_additive_float32_mask", Mask.FLOAT32);
        f16f32.dtype = "float16";
        add(dir, in, f16f32, qkv(1, 2, 9, 9, 16), mask(in, false, new long[] {4}, 9, 9), null);
        SdpaModule bf16Mask = mod("bf16_float32_mask", Mask.FLOAT32);
        bf16Mask.dtype = "bfloat16";
        add(dir, in, bf16Mask, qkv(2, 2, 6, 11, 32), mask(in, false, none, 2, 1, 6, 11), null);
        SdpaModule bf16Bool = mod("bf16_bool_mask_fully_masked", Mask.BOOL);
        bf16Bool.dtype = "bfloat16";
        add(dir, in, bf16Bool, qkv(1, 3, 4, 8, 16), mask(in, true, new long[] {0, 3}, 4, 8), null);

        add(dir, in, causal("f32_causal_short_queries"), qkv(1, 2, 5, 19, 32), null, null);
        add(dir, in, causal("f32_causal_long_queries"), qkv(1, 2, 19, 5, 32), null, null);
        SdpaModule f16Causal = causal("f16_causal_square");
        f16Causal.dtype = "float16";
        add(dir, in, f16Causal, qkv(2, 4, 33, 33, 64), null, null);
        SdpaModule causalMask = causal("f32_causal_and_bool_mask");
        causalMask.mask = Mask.BOOL;
        add(dir, in, causalMask, qkv(1, 2, 6, 9, 16), mask(in, true, none, 6, 9), null);

        SdpaModule scaled = mod("f32_custom_scale");
        scaled.scale = 0.3;
        add(dir, in, scaled, qkv(2, 2, 7, 7, 16), null, null);
        SdpaModule negative = mod("f32_negative_scale_masked", Mask.BOOL);
        negative.scale = -0.7;
        add(dir, in, negative, qkv(1, 2, 7, 7, 16), mask(in, true, none, 7, 7), null);

        SdpaModule gqa = mod("f32_gqa_8_over_2");
        gqa.enableGqa = true;
        add(dir, in, gqa, shapes(new long[] {2, 8, 6, 16}, new long[] {2, 2, 9, 16}), null, null);
        SdpaModule gqaEqual = mod("f32_gqa_flag_equal_heads");
        gqaEqual.enableGqa = true;
        add(dir, in, gqaEqual, qkv(2, 4, 6, 9, 16), null, null);
        SdpaModule gqaHalf = causal("f16_gqa_6_over_1_causal");
        gqaHalf.enableGqa = true;
        gqaHalf.dtype = "float16";
        add(dir, in, gqaHalf, shapes(new long[] {1, 6, 10, 32}, new long[] {1, 1, 10, 32}), null, null);
        add(dir, in, mod("f32_kv_heads_broadcast_without_gqa"),
                shapes(new long[] {2, 4, 5, 8}, new long[] {2, 1, 7, 8}), null, null);
        add(dir, in, mod("f32_kv_batch_broadcast"),
                shapes(new long[] {3, 2, 5, 8}, new long[] {1, 2, 7, 8}), null, null);

        SdpaModule f64 = mod("f64_bool_mask", Mask.BOOL);
        f64.dtype = "float64";
        add(dir, in, f64, qkv(1, 2, 5, 7, 8), mask(in, true, none, 5, 7), null);

        SdpaModule transposed = mod("f32_transposed_views");
        transposed.layout = Layout.TRANSPOSED;
        add(dir, in, transposed, shapes(new long[] {2, 5, 4, 16}, new long[] {2, 7, 4, 16}), null, null);
        SdpaModule bf16T = causal("bf16_transposed_causal");
        bf16T.layout = Layout.TRANSPOSED;
        bf16T.dtype = "bfloat16";
        add(dir, in, bf16T, shapes(new long[] {1, 12, 2, 64}, new long[] {1, 12, 2, 64}), null, null);
        SdpaModule cache = mod("f32_kv_cache_slice");
        cache.layout = Layout.KV_CACHE_SLICE;
        cache.lenK = 9;
        add(dir, in, cache, shapes(new long[] {1, 4, 3, 16}, new long[] {1, 4, 20, 16}), null, null);
        SdpaModule strided = mod("f32_strided_last_dim");
        strided.layout = Layout.STRIDED_LAST_DIM;
        add(dir, in, strided, qkv(1, 2, 5, 7, 16), null, null);

        SdpaModule d1 = mod("f32_head_dim_1_scaled");
        d1.scale = 0.3;
        add(dir, in, d1, qkv(1, 1, 9, 9, 1), null, null);
        add(dir, in, mod("f32_head_dim_256"), qkv(1, 2, 40, 70, 256), null, null);
        add(dir, in, mod("f32_lengths_257_300"), qkv(1, 2, 257, 300, 64), null, null);
        SdpaModule bf16Long = causal("bf16_causal_257");
        bf16Long.dtype = "bfloat16";
        add(dir, in, bf16Long, qkv(1, 2, 257, 257, 64), null, null);

        add(dir, in, mod("f32_3d_inputs"), shapes(new long[] {6, 5, 8}, new long[] {6, 7, 8}), null, null);
        add(dir, in, mod("f32_2d_inputs"), shapes(new long[] {5, 8}, new long[] {7, 8}), null, null);
        add(dir, in, mod("f32_5d_inputs"), shapes(new long[] {1, 2, 3, 5, 8}, new long[] {1, 2, 3, 7, 8}), null, null);
        SdpaModule causal3dMask = causal("f32_3d_causal_and_mask");
        causal3dMask.mask = Mask.BOOL;
        add(dir, in, causal3dMask, shapes(new long[] {4, 5, 8}, new long[] {4, 5, 8}), mask(in, true, none, 5, 5),
                "Explicit attn_mask should not be set when is_causal=True");

        add(dir, in, mod("f32_empty_queries"), shapes(new long[] {2, 2, 0, 8}, new long[] {2, 2, 7, 8}), null, null);
        add(dir, in, mod("f32_empty_keys"), shapes(new long[] {2, 2, 5, 8}, new long[] {2, 2, 0, 8}), null, null);

        SdpaModule dropout = mod("f32_dropout_seeded", Mask.BOOL);
        dropout.dropoutP = 0.3;
        Case c = add(dir, in, dropout, qkv(2, 2, 8, 8, 16), mask(in, true, none, 8, 8), null);
        c.request.seed = 7;
        c.request.forwards = 2;

        List<ModelRun.Request> requests = new ArrayList<>();
        for (Case k : cases.values()) {
            requests.add(k.request);
        }
        reference = PlainPyTorch.run(requests);
    }

    @DataProvider(name = "cases")
    public Object[][] cases() {
        return Fixtures.rows(new ArrayList<>(cases.keySet()));
    }

    @Test(dataProvider = "cases")
    public void fallbackIsBitwisePyTorch(String name) throws IOException {
        Case c = cases.get(name);
        ModelRun.Result expected = reference.get(name);
        SdpaStats before = SdpaStats.snapshot();
        ModelRun.Result actual = ModelRun.run("Metal", c.request);
        SdpaStats delta = SdpaStats.snapshot().since(before);

        if (c.expectedError != null) {
            Assert.assertNotNull(expected.error, name + ": plain PyTorch was expected to fail");
            Assert.assertNotNull(actual.error, name + ": Metal engine was expected to fail");
            Assert.assertTrue(actual.error.contains(c.expectedError), actual.error);
            return;
        }
        Assert.assertNull(expected.error, name + " failed on plain PyTorch");
        Assert.assertNull(actual.error, name + " failed on the Metal engine");
        Assert.assertEquals(actual.outputs.size(), expected.outputs.size());
        for (int i = 0; i < expected.outputs.size(); ++i) {
            Npy.Data e = expected.outputs.get(i);
            Npy.Data a = actual.outputs.get(i);
            Assert.assertNull(a.bitwiseDifference(e), name + " output " + i);
        }
        Assert.assertEquals(delta.getTotalCalls(), c.request.forwards, name + ": routed calls " + delta);
        Assert.assertEquals(delta.getFallbackCalls(), c.request.forwards, name + ": " + delta);
    }

    private SdpaModule mod(String name) {
        return new SdpaModule(name);
    }

    private SdpaModule mod(String name, Mask mask) {
        SdpaModule m = new SdpaModule(name);
        m.mask = mask;
        return m;
    }

    private SdpaModule causal(String name) {
        SdpaModule m = new SdpaModule(name);
        m.causal = true;
        return m;
    }

    private static Path mask(RandomInputs in, boolean bool, long[] fullyMasked, long... shape) {
        String name = "mask" + System.nanoTime();
        return bool ? in.boolMask(name, fullyMasked, shape) : in.additiveMask(name, fullyMasked, shape);
    }

    private Case add(
            Path dir, RandomInputs in, SdpaModule m, long[][] shapes, Path mask, String expectedError)
            throws IOException {
        List<Path> inputs = m.randomInputs(in, shapes, mask);
        Case c = new Case(new ModelRun.Request(m.name, m.write(dir), inputs), expectedError);
        cases.put(m.name, c);
        return c;
    }
}
