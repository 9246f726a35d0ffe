/*
 * DJL Metal engine.
 */
package ai.djl.metal.it;

import static ai.djl.metal.it.util.SdpaModule.qkv;
import static ai.djl.metal.it.util.SdpaModule.shapes;

import ai.djl.metal.it.util.AppleGpu;
import ai.djl.metal.it.util.Fixtures;
import ai.djl.metal.it.util.ModelRun;
import ai.djl.metal.it.util.PlainPyTorch;
import ai.djl.metal.it.util.RandomInputs;
import ai.djl.metal.it.util.SdpaModule;
import ai.djl.metal.it.util.SdpaModule.Layout;
import ai.djl.metal.it.util.SdpaModule.Mask;
import ai.djl.metal.it.util.Tolerance;
import ai.djl.metal.it.util.Workspace;
import ai.djl.metal.sdpa.Backend;
import ai.djl.metal.sdpa.FallbackReason;
import ai.djl.metal.sdpa.SdpaRouter;
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
import java.util.Locale;
import java.util.Map;

/**
 * With a native backend in auto mode, every supported argument combination runs natively (within the
 * dtype's tolerance of PyTorch's float64 answer on the same rounded inputs, with the output strides plain
 * PyTorch gives) and every unsupported one falls back with its reason, bitwise equal to plain PyTorch. Runs
 * in its own JVM per backend: surefire executions "simulator-auto" and "metal-auto" (the Metal backend on the
 * fake Metal, with no small-call threshold).
 */
@Test(groups = {"simulator-auto", "metal-auto"})
public class NativeRoutingTest {

    private static final class Case {
        final SdpaModule module;
        final ModelRun.Request request;
        final ModelRun.Request reference;
        final FallbackReason reason;

        Case(SdpaModule module, ModelRun.Request request, ModelRun.Request reference, FallbackReason reason) {
            this.module = module;
            this.request = request;
            this.reference = reference;
            this.reason = reason;
        }
    }

    private final Map<String, Case> cases = new LinkedHashMap<>();
    private Map<String, ModelRun.Result> plain;
    private Path dir;
    private RandomInputs in;

    @BeforeClass
    public void computeReferences() throws IOException {
        AppleGpu.skipOnMacWithoutMetal();
        Assert.assertEquals(
                SdpaRouter.getBackend(),
                Backend.valueOf(System.getProperty(SdpaRouter.BACKEND_PROPERTY).toUpperCase(Locale.ROOT)));
        dir = Workspace.newDirectory("simulator-");
        in = new RandomInputs(31337, dir);
        long[] none = {};
        for (String dtype : new String[] {"float32", "float16", "bfloat16"}) {
            String p = dtype + "_";
            add(m(p + "plain", dtype), qkv(2, 4, 37, 45, 64), null, null);
            SdpaModule bool = m(p + "bool_mask_heads_broadcast", dtype);
            bool.mask = Mask.BOOL;
            add(bool, qkv(2, 3, 20, 33, 80), in.boolMask(p + "bm", new long[] {3, 25}, 2, 1, 20, 33), null);
            SdpaModule add32 = m(p + "additive_f32_mask", dtype);
            add32.mask = Mask.FLOAT32;
            add(add32, qkv(1, 2, 17, 29, 96), in.additiveMask(p + "am", new long[] {5}, 17, 29), null);
            SdpaModule same = m(p + "additive_same_dtype_mask", dtype);
            same.mask = Mask.SAME_DTYPE;
            add(same, qkv(2, 2, 9, 70, 128), in.additiveMask(p + "sm", none, 2, 2, 9, 70), null);
            SdpaModule causalShort = m(p + "causal_short_queries", dtype);
            causalShort.causal = true;
            add(causalShort, qkv(1, 2, 11, 40, 64), null, null);
            SdpaModule causalLong = m(p + "causal_long_queries", dtype);
            causalLong.causal = true;
            add(causalLong, qkv(1, 2, 70, 33, 48), null, null);
            SdpaModule gqa = m(p + "gqa_8_over_2", dtype);
            gqa.enableGqa = true;
            add(gqa, shapes(new long[] {1, 8, 19, 64}, new long[] {1, 2, 23, 64}), null, null);
            SdpaModule decode = m(p + "decode_mqa", dtype);
            add(decode, shapes(new long[] {3, 8, 1, 128}, new long[] {3, 1, 300, 128}), null, null);
        }
        SdpaModule d256 = m("bfloat16_head_dim_256", "bfloat16");
        add(d256, qkv(1, 2, 40, 70, 256), null, null);
        SdpaModule d1 = m("float32_head_dim_1_scaled", "float32");
        d1.scale = 0.3;
        add(d1, qkv(1, 1, 9, 9, 1), null, null);
        SdpaModule transposed = m("float16_transposed_views", "float16");
        transposed.layout = Layout.TRANSPOSED;
        add(transposed, shapes(new long[] {2, 13, 4, 32}, new long[] {2, 21, 4, 32}), null, null);
        SdpaModule transposedGqa = m("float32_transposed_gqa", "float32");
        transposedGqa.layout = Layout.TRANSPOSED;
        transposedGqa.enableGqa = true;
        add(transposedGqa, shapes(new long[] {2, 13, 8, 32}, new long[] {2, 21, 2, 32}), null, null);
        // Hugging Face masks with torch.finfo(dtype).min: rows with every key at that value attend to all.
        float lowest = -Float.MAX_VALUE;
        SdpaModule lowestRows = m("float32_lowest_mask_fully_masked_rows", "float32");
        lowestRows.mask = Mask.FLOAT32;
        add(lowestRows, qkv(2, 2, 12, 20, 64), in.additiveMask("lo32", new long[] {1, 5}, lowest, 2, 1, 12, 20),
                null);
        SdpaModule lowestBf16 = m("bfloat16_float32_lowest_mask_fully_masked_rows", "bfloat16");
        lowestBf16.mask = Mask.FLOAT32;
        add(lowestBf16, qkv(1, 2, 3, 40, 128), in.additiveMask("lo16", new long[] {2}, lowest, 1, 1, 3, 40), null);
        SdpaModule lowestF16 = m("float16_lowest_same_dtype_mask", "float16");
        lowestF16.mask = Mask.SAME_DTYPE;
        add(lowestF16, qkv(1, 4, 33, 47, 80), in.additiveMask("lof16", new long[] {}, -65504f, 33, 47), null);
        SdpaModule cache = m("float32_kv_cache_slice_causal", "float32");
        cache.layout = Layout.KV_CACHE_SLICE;
        cache.lenK = 12;
        cache.causal = true;
        add(cache, shapes(new long[] {1, 4, 3, 64}, new long[] {1, 4, 40, 64}), null, null);
        SdpaModule longDecode = m("float32_split_decode", "float32");
        add(longDecode, shapes(new long[] {1, 4, 2, 64}, new long[] {1, 4, 1100, 64}), null, null);
        add(m("float32_3d_inputs", "float32"), shapes(new long[] {6, 5, 8}, new long[] {6, 7, 8}), null, null);
        add(m("float32_kv_batch_broadcast", "float32"), shapes(new long[] {3, 2, 5, 8}, new long[] {1, 2, 7, 8}),
                null, null);
        SdpaModule negative = m("float32_negative_scale_fully_masked", "float32");
        negative.scale = -0.5;
        negative.mask = Mask.BOOL;
        add(negative, qkv(1, 1, 6, 6, 16), in.boolMask("neg", new long[] {0, 4}, 6, 6), null);

        SdpaModule dropout = m("fallback_dropout", "float32");
        dropout.dropoutP = 0.2;
        add(dropout, qkv(1, 2, 5, 7, 8), null, FallbackReason.DROPOUT).request.seed = 3;
        add(m("fallback_float64", "float64"), qkv(1, 2, 5, 7, 8), null, FallbackReason.DTYPE);
        add(m("fallback_head_dim_257", "float32"), qkv(1, 1, 3, 4, 257), null, FallbackReason.HEAD_DIM);
        SdpaModule causalMask = m("fallback_causal_and_mask", "float32");
        causalMask.causal = true;
        causalMask.mask = Mask.BOOL;
        add(causalMask, qkv(1, 2, 5, 7, 8), in.boolMask("cm", none, 5, 7), FallbackReason.CAUSAL_MASK);
        SdpaModule strided = m("fallback_strided_last_dim", "float32");
        strided.layout = Layout.STRIDED_LAST_DIM;
        add(strided, qkv(1, 2, 5, 7, 16), null, FallbackReason.LAYOUT);
        add(m("fallback_5d", "float32"), shapes(new long[] {1, 2, 3, 5, 8}, new long[] {1, 2, 3, 7, 8}), null,
                FallbackReason.SHAPE);
        add(m("fallback_query_batch_broadcast", "float32"),
                shapes(new long[] {1, 2, 5, 8}, new long[] {2, 2, 7, 8}), null, FallbackReason.SHAPE);
        add(m("fallback_empty_keys", "float32"), shapes(new long[] {1, 2, 5, 8}, new long[] {1, 2, 0, 8}), null,
                FallbackReason.SIZE);
        add(m("fallback_no_key_heads", "float32"), shapes(new long[] {2, 1, 5, 8}, new long[] {2, 0, 7, 8}), null,
                FallbackReason.SIZE);
        SdpaModule vectorMask = m("fallback_mask_rank_1", "float32");
        vectorMask.mask = Mask.BOOL;
        add(vectorMask, shapes(new long[] {4, 5, 8}, new long[] {4, 7, 8}), in.boolMask("vm", none, 7),
                FallbackReason.SHAPE);
        SdpaModule nanScale = m("fallback_nan_scale", "float32");
        nanScale.scale = Double.NaN;
        add(nanScale, qkv(1, 2, 5, 7, 8), null, FallbackReason.SCALE);
        // Causal with a scale of 0 or below: PyTorch's CPU kernel scales its -inf after masking (NaN rows).
        SdpaModule causalZero = m("fallback_causal_zero_scale", "float16");
        causalZero.causal = true;
        causalZero.scale = 0.0;
        add(causalZero, qkv(2, 1, 70, 45, 128), null, FallbackReason.SCALE);
        SdpaModule causalNegative = m("fallback_causal_negative_scale", "float32");
        causalNegative.causal = true;
        causalNegative.scale = -0.5;
        add(causalNegative, qkv(1, 2, 1, 45, 64), null, FallbackReason.SCALE);
        // A NaN or an infinity that the kernels read: PyTorch computes the call (its NaN, or its zeros).
        addNonFinite(m("fallback_nan_in_query", "float32"), qkv(1, 2, 37, 45, 64), null, 0, 2 * 37 * 64 - 5,
                Float.NaN);
        SdpaModule splitKey = m("fallback_inf_in_key_split_decode", "float16");
        splitKey.enableGqa = true;
        addNonFinite(splitKey, shapes(new long[] {1, 8, 1, 128}, new long[] {1, 2, 700, 128}), null, 1,
                1000 * 128 + 3, Float.POSITIVE_INFINITY);
        SdpaModule gqaValue = m("fallback_inf_in_value_gqa", "bfloat16");
        gqaValue.enableGqa = true;
        addNonFinite(gqaValue, shapes(new long[] {1, 8, 19, 64}, new long[] {1, 2, 23, 64}), null, 2, 64 * 30,
                Float.NEGATIVE_INFINITY);
        // A key no query row may see (top-left causal, Lq < Lk): the kernels skip it, PyTorch multiplies its zero
        // weight by the infinity (NaN), so the call runs on PyTorch.
        SdpaModule hidden = m("fallback_inf_in_value_hidden_by_causal", "float32");
        hidden.causal = true;
        addNonFinite(hidden, shapes(new long[] {1, 2, 1, 64}, new long[] {1, 2, 45, 64}), null, 2, 30 * 64 + 1,
                Float.POSITIVE_INFINITY);
        SdpaModule nanMask = m("fallback_nan_in_additive_mask", "float32");
        nanMask.mask = Mask.FLOAT32;
        addNonFinite(nanMask, qkv(1, 2, 17, 29, 96), in.additiveMask("nanm", none, 17, 29), 3, 29 * 4 + 7,
                Float.NaN);
        SdpaModule infMask = m("fallback_inf_in_same_dtype_mask", "float16");
        infMask.mask = Mask.SAME_DTYPE;
        addNonFinite(infMask, qkv(1, 2, 9, 70, 128), in.additiveMask("infm", none, 1, 2, 9, 70), 3, 70 * 11,
                Float.POSITIVE_INFINITY);
        SdpaModule training = m("fallback_gradient", "float32");
        Case grad = add(training, qkv(1, 2, 5, 7, 8), null, FallbackReason.GRADIENT);
        grad.request.gradientWeights = in.normal("fallback_gradient.w", 1, 2, 5, 8);

        List<ModelRun.Request> requests = new ArrayList<>();
        for (Case c : cases.values()) {
            requests.add(c.reference);
            if (c.reference != c.request) {
                requests.add(c.request);
            }
        }
        plain = PlainPyTorch.run(requests);
    }

    private static SdpaModule m(String name, String dtype) {
        SdpaModule m = new SdpaModule(name);
        m.dtype = dtype;
        return m;
    }

    private Case add(SdpaModule module, long[][] shapes, Path mask, FallbackReason reason) throws IOException {
        List<Path> inputs = module.randomInputs(in, shapes, mask);
        ModelRun.Request request = new ModelRun.Request(module.name, module.write(dir), inputs);
        ModelRun.Request reference = request;
        if (reason == null) {
            SdpaModule ref = module.float64Twin();
            reference = new ModelRun.Request(ref.name, ref.write(dir), inputs);
        }
        Case c = new Case(module, request, reference, reason);
        cases.put(module.name, c);
        return c;
    }

    /** Adds a case whose input {@code input} (q, k, v, mask) has element {@code index} set to {@code value}. */
    private void addNonFinite(SdpaModule module, long[][] shapes, Path mask, int input, long index, float value)
            throws IOException {
        List<Path> inputs = module.randomInputs(in, shapes, mask);
        RandomInputs.withElement(inputs.get(input), index, value);
        ModelRun.Request request = new ModelRun.Request(module.name, module.write(dir), inputs);
        cases.put(module.name, new Case(module, request, request, FallbackReason.NON_FINITE));
    }

    @DataProvider(name = "cases")
    public Object[][] cases() {
        return Fixtures.rows(new ArrayList<>(cases.keySet()));
    }

    @Test(groups = {"simulator-auto", "metal-auto"}, dataProvider = "cases")
    public void supportedRunNativelyOthersFallBackWithReason(String name) throws IOException {
        Case c = cases.get(name);
        ModelRun.Result expected = plain.get(c.reference.name);
        Assert.assertNull(expected.error, expected.error);
        SdpaStats before = SdpaStats.snapshot();
        ModelRun.Result actual = ModelRun.run("Metal", c.request);
        SdpaStats delta = SdpaStats.snapshot().since(before);
        Assert.assertNull(actual.error, actual.error);
        if (c.reason == null) {
            Assert.assertEquals(delta.getNativeCalls(SdpaRouter.getBackend()), 1, name + ": " + delta);
            double error = Tolerance.maxError(actual.outputs.get(0).toDoubles(), expected.outputs.get(0).toDoubles());
            Assert.assertTrue(
                    error <= Tolerance.of(c.module.dtype), name + ": max error vs float64 " + error);
            Assert.assertEquals(
                    actual.outputs.get(1).toDoubles(),
                    plain.get(c.request.name).outputs.get(1).toDoubles(),
                    name + ": output strides vs plain PyTorch");
        } else {
            Assert.assertEquals(delta.getFallbackCalls(c.reason), c.request.forwards, name + ": " + delta);
            Assert.assertNull(
                    actual.outputs.get(0).bitwiseDifference(expected.outputs.get(0)), name + " vs plain");
            for (int i = 0; i < expected.gradients.size(); ++i) {
                Assert.assertNull(
                        actual.gradients.get(i).bitwiseDifference(expected.gradients.get(i)),
                        name + " gradient " + i);
            }
        }
    }
}
