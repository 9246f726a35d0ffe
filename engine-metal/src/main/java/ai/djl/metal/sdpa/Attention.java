/*
 * DJL Metal engine.
 */
package ai.djl.metal.sdpa;

import ai.djl.engine.EngineException;
import ai.djl.metal.jni.MetalLibrary;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;

/**
 * Scaled dot-product attention on DJL arrays, through the same router as every SDPA call inside a model.
 *
 * <p>Semantics are PyTorch's {@code torch.nn.functional.scaled_dot_product_attention}: inputs {@code [...,
 * L, E]} (usually {@code [batch, heads, L, E]}), result {@code [..., L, Ev]} in the query's dtype,
 * attached to the query's manager. Arrays must come from the PyTorch or Metal engine (they are then
 * {@code PtNDArray}s); nothing is copied. Calls that need gradients (an input requires grad while a
 * {@link ai.djl.training.GradientCollector} is open) run on PyTorch and record its backward.
 */
public final class Attention {

    private Attention() {}

    /**
     * Computes {@code softmax(Q K^T / sqrt(E)) V}.
     *
     * @param query the query {@code [..., L, E]}
     * @param key the key {@code [..., S, E]}
     * @param value the value {@code [..., S, Ev]}
     * @return the attention output {@code [..., L, Ev]}
     */
    public static NDArray scaledDotProductAttention(NDArray query, NDArray key, NDArray value) {
        return scaledDotProductAttention(query, key, value, AttentionOptions.defaults());
    }

    /**
     * Computes scaled dot-product attention with PyTorch's optional arguments.
     *
     * @param query the query {@code [..., L, E]}
     * @param key the key {@code [..., S, E]}
     * @param value the value {@code [..., S, Ev]}
     * @param options mask, dropout, causal, scale and GQA
     * @return the attention output {@code [..., L, Ev]}
     * @throws IllegalArgumentException if options or an array is null, or an array is not a tensor of the
     *     PyTorch engine
     * @throws EngineException with PyTorch's message for invalid input, or naming the reason when {@code
     *     ai.djl.metal.sdpa=native} and the call cannot run natively
     */
    public static NDArray scaledDotProductAttention(
            NDArray query, NDArray key, NDArray value, AttentionOptions options) {
        if (options == null) {
            throw new IllegalArgumentException("options is null (use AttentionOptions.defaults())");
        }
        SdpaRouter.start();
        PtNDArray q = torchArray(query, "query");
        PtNDArray k = torchArray(key, "key");
        PtNDArray v = torchArray(value, "value");
        NDArray mask = options.getAttnMask();
        long maskHandle = mask == null ? 0L : torchArray(mask, "attn_mask").getHandle();
        Double scale = options.getScale();
        long out;
        try {
            out =
                    MetalLibrary.scaledDotProductAttention(
                            q.getHandle(),
                            k.getHandle(),
                            v.getHandle(),
                            maskHandle,
                            options.getDropoutP(),
                            options.isCausal(),
                            scale != null,
                            scale == null ? 0.0 : scale,
                            options.isEnableGqa());
        } catch (RuntimeException e) {
            throw new EngineException(e.getMessage(), e);
        }
        return new PtNDArray(q.getManager(), out);
    }

    static PtNDArray torchArray(NDArray array, String name) {
        if (array == null) {
            throw new IllegalArgumentException(name + " is null");
        }
        if (array.getDataType() == DataType.STRING) {
            throw new IllegalArgumentException(name + " is a string array, not a tensor");
        }
        if (!(array instanceof PtNDArray) || !(array.getManager() instanceof PtNDManager)) {
            throw new IllegalArgumentException(
                    name
                            + " must be an array of the PyTorch or Metal engine, got "
                            + array.getClass().getName());
        }
        return (PtNDArray) array;
    }
}
