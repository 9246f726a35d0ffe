/*
 * DJL Metal engine.
 */
package ai.djl.metal.it;

import ai.djl.engine.EngineException;
import ai.djl.metal.it.util.ModelRun;
import ai.djl.metal.it.util.PlainPyTorch;
import ai.djl.metal.it.util.RandomInputs;
import ai.djl.metal.it.util.SdpaModule;
import ai.djl.metal.it.util.Workspace;
import ai.djl.metal.sdpa.Attention;
import ai.djl.metal.sdpa.AttentionOptions;
import ai.djl.metal.sdpa.FloatType;
import ai.djl.metal.sdpa.SdpaStats;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.testng.Assert;
import org.testng.annotations.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Bad input gets PyTorch's error (or a clearer one) as DJL's EngineException, never a crash; the engine
 * keeps working afterwards.
 */
public class InvalidInputTest {

    private static void expectError(String expected, Runnable call) {
        try {
            call.run();
            Assert.fail("expected an error containing: " + expected);
        } catch (EngineException e) {
            Assert.assertTrue(e.getMessage().contains(expected), e.getMessage());
        }
    }

    @Test
    public void javaApiRejectsBadInputWithPyTorchsMessage() {
        try (NDManager m = NDManager.newBaseManager("Metal")) {
            NDArray q = m.randomNormal(new Shape(2, 4, 5, 8));
            NDArray k = m.randomNormal(new Shape(2, 4, 7, 8));
            SdpaStats before = SdpaStats.snapshot();
            expectError(
                    "Expected query, key, and value to have the same dtype",
                    () -> Attention.scaledDotProductAttention(q, k.toType(DataType.FLOAT64, false), k));
            expectError(
                    "at least 2 dimensional",
                    () -> Attention.scaledDotProductAttention(m.randomNormal(new Shape(8)), k, k));
            expectError(
                    "Expected attn_mask dtype to be bool or float or to match query dtype",
                    () ->
                            Attention.scaledDotProductAttention(
                                    q,
                                    k,
                                    k,
                                    AttentionOptions.builder()
                                            .optAttnMask(m.ones(new Shape(5, 7), DataType.INT64))
                                            .build()));
            expectError(
                    "same head dimension",
                    () -> Attention.scaledDotProductAttention(q, m.randomNormal(new Shape(2, 4, 7, 6)), k));
            expectError(
                    "same sequence length",
                    () -> Attention.scaledDotProductAttention(q, k, m.randomNormal(new Shape(2, 4, 6, 8))));
            expectError(
                    "Number of heads in key and value must divide the number of heads in query",
                    () -> {
                        NDArray kv = m.randomNormal(new Shape(2, 3, 7, 8));
                        Attention.scaledDotProductAttention(
                                q, kv, kv, AttentionOptions.builder().optEnableGqa(true).build());
                    });
            expectError(
                    "pass enable_gqa=True",
                    () -> {
                        NDArray kv = m.randomNormal(new Shape(2, 2, 7, 8));
                        Attention.scaledDotProductAttention(q, kv, kv);
                    });
            expectError(
                    "does not broadcast to the attention scores' shape",
                    () ->
                            Attention.scaledDotProductAttention(
                                    q,
                                    k,
                                    k,
                                    AttentionOptions.builder()
                                            .optAttnMask(m.ones(new Shape(5, 6), DataType.BOOLEAN))
                                            .build()));
            expectError(
                    "must be floating point, but got int64",
                    () -> {
                        NDArray ints = m.ones(new Shape(2, 4, 5, 8), DataType.INT64);
                        Attention.scaledDotProductAttention(ints, ints, ints);
                    });
            expectError(
                    "dropout probability has to be between 0 and 1, but got 1.5",
                    () ->
                            Attention.scaledDotProductAttention(
                                    q, k, k, AttentionOptions.builder().optDropoutP(1.5).build()));
            expectError(
                    "dropout probability has to be between 0 and 1, but got nan",
                    () ->
                            Attention.scaledDotProductAttention(
                                    q, k, k, AttentionOptions.builder().optDropoutP(Double.NaN).build()));
            // PyTorch itself dies of SIGFPE here.
            expectError(
                    "having no heads for the 4 heads of query",
                    () -> {
                        NDArray kv = m.zeros(new Shape(2, 0, 7, 8));
                        Attention.scaledDotProductAttention(
                                q, kv, kv, AttentionOptions.builder().optEnableGqa(true).build());
                    });
            // Each call above raised: counted as an error, never as a fallback or a native call.
            SdpaStats delta = SdpaStats.snapshot().since(before);
            Assert.assertEquals(delta.getErrorCalls(), 12, delta.toString());
            Assert.assertEquals(delta.getTotalCalls(), 12, delta.toString());

            Assert.expectThrows(
                    IllegalArgumentException.class,
                    () -> Attention.scaledDotProductAttention(null, k, k));
            Assert.expectThrows(
                    IllegalArgumentException.class,
                    () -> Attention.scaledDotProductAttention(q, k, k, null));
            NDArray strings = m.create(new String[] {"a"});
            Assert.expectThrows(
                    IllegalArgumentException.class,
                    () -> Attention.scaledDotProductAttention(strings, k, k));
            Assert.expectThrows(
                    IllegalArgumentException.class,
                    () ->
                            Attention.scaledDotProductAttention(
                                    q, k, k, AttentionOptions.builder().optAttnMask(strings).build()));
            Assert.expectThrows(IllegalArgumentException.class, () -> FloatType.of(strings));
            Assert.expectThrows(IllegalArgumentException.class, () -> FloatType.FLOAT16.cast(strings));
            // Still working, and empty inputs are valid (PyTorch returns an empty result).
            Assert.assertEquals(Attention.scaledDotProductAttention(q, k, k).getShape(), q.getShape());
            NDArray empty = m.zeros(new Shape(2, 4, 0, 8));
            Assert.assertEquals(
                    Attention.scaledDotProductAttention(empty, k, k).getShape(), empty.getShape());
            NDArray noHeads = m.zeros(new Shape(1, 0, 5, 8));
            NDArray noKvHeads = m.zeros(new Shape(1, 0, 7, 8));
            Assert.assertEquals(
                    Attention.scaledDotProductAttention(
                                    noHeads,
                                    noKvHeads,
                                    noKvHeads,
                                    AttentionOptions.builder().optEnableGqa(true).build())
                            .getShape(),
                    noHeads.getShape());
            Assert.assertEquals(FloatType.of(q), FloatType.FLOAT32);
            Assert.assertNull(FloatType.of(m.ones(new Shape(2), DataType.INT64)));
        }
    }

    @Test
    public void torchScriptModelsFailLikePlainPyTorch() throws IOException {
        Path dir = Workspace.newDirectory("invalid-");
        RandomInputs in = new RandomInputs(5, dir);
        SdpaModule m = new SdpaModule("bad_head_dims");
        ModelRun.Request badHeads =
                new ModelRun.Request(
                        m.name,
                        m.write(dir),
                        List.of(
                                in.normal("q", 1, 2, 5, 8),
                                in.normal("k", 1, 2, 7, 6),
                                in.normal("v", 1, 2, 7, 8)));
        SdpaModule g = new SdpaModule("bad_gqa");
        g.enableGqa = true;
        ModelRun.Request badGqa =
                new ModelRun.Request(
                        g.name,
                        g.write(dir),
                        List.of(
                                in.normal("q4", 1, 4, 5, 8),
                                in.normal("k3", 1, 3, 7, 8),
                                in.normal("v3", 1, 3, 7, 8)));
        Map<String, ModelRun.Result> plain = PlainPyTorch.run(List.of(badHeads, badGqa));
        for (ModelRun.Request r : List.of(badHeads, badGqa)) {
            Assert.assertNotNull(plain.get(r.name).error, r.name + " must fail on plain PyTorch");
            ModelRun.Result metal = ModelRun.run("Metal", r);
            Assert.assertNotNull(metal.error, r.name + " must fail on the Metal engine");
        }
        Assert.assertTrue(
                ModelRun.run("Metal", badHeads).error.contains("same head dimension"),
                "clear message for mismatched head dims");
        Assert.assertTrue(
                ModelRun.run("Metal", badGqa)
                        .error
                        .contains("Number of heads in key and value must divide"),
                "PyTorch's message for bad GQA");
    }
}
