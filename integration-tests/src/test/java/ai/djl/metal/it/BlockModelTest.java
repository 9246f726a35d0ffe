/*
 * DJL Metal engine.
 */
package ai.djl.metal.it;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.metal.sdpa.Attention;
import ai.djl.metal.sdpa.AttentionOptions;
import ai.djl.metal.sdpa.SdpaStats;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import ai.djl.util.PairList;

import org.testng.Assert;
import org.testng.annotations.Test;

/**
 * A model built from DJL Blocks (no TorchScript) whose forward calls {@link Attention}: it runs through a
 * Predictor of engine "Metal", every call is routed, and the result is causal self-attention computed
 * independently in float64 with DJL's own operators.
 */
public class BlockModelTest {

    /** Causal self-attention over its input {@code [batch, heads, length, head_dim]}. */
    private static final class SelfAttention extends AbstractBlock {

        SelfAttention() {
            super((byte) 1);
        }

        @Override
        protected NDList forwardInternal(
                ParameterStore parameterStore,
                NDList inputs,
                boolean training,
                PairList<String, Object> params) {
            NDArray x = inputs.singletonOrThrow();
            return new NDList(
                    Attention.scaledDotProductAttention(
                            x, x, x, AttentionOptions.builder().optCausal(true).build()));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return inputShapes;
        }
    }

    private static NDArray reference(NDArray x) {
        NDArray x64 = x.toType(DataType.FLOAT64, true);
        long length = x.getShape().get(2);
        NDArray scores = x64.matMul(x64.transpose(0, 1, 3, 2)).div(Math.sqrt(x.getShape().get(3)));
        NDArray positions = x.getManager().arange(length).toType(DataType.FLOAT64, false);
        NDArray future = positions.reshape(1, length).gt(positions.reshape(length, 1));
        NDArray weights = scores.add(future.toType(DataType.FLOAT64, false).mul(-1e300)).softmax(-1);
        return weights.matMul(x64);
    }

    @Test
    public void blockModelAttentionIsRoutedAndCorrect() throws TranslateException {
        try (Model model = Model.newInstance("self-attention", "Metal");
                NDManager manager = NDManager.newBaseManager("Metal")) {
            model.setBlock(new SelfAttention());
            NDArray x = manager.randomNormal(new Shape(2, 3, 7, 16));
            SdpaStats before = SdpaStats.snapshot();
            try (Predictor<NDList, NDList> predictor = model.newPredictor(new NoopTranslator())) {
                NDArray y = predictor.predict(new NDList(x)).singletonOrThrow();
                Assert.assertEquals(SdpaStats.snapshot().since(before).getTotalCalls(), 1);
                Assert.assertEquals(y.getShape(), x.getShape());
                double error =
                        y.toType(DataType.FLOAT64, true).sub(reference(x)).abs().max().getDouble();
                Assert.assertTrue(error < 1e-5, "max error vs float64 " + error);
            }
        }
    }
}
