/*
 * DJL Metal engine.
 */
package ai.djl.metal.sdpa;

import ai.djl.engine.EngineException;
import ai.djl.metal.jni.MetalLibrary;
import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;

/**
 * The floating-point types of SDPA inputs, with conversions done by libtorch.
 *
 * <p>DJL (0.35 and 0.36) cannot create or convert to bfloat16 itself ({@code NDArray.toType(BFLOAT16)} ends the
 * JVM), and reports bfloat16 arrays as {@code UNKNOWN}: use {@link #of(NDArray)} and {@link
 * #cast(NDArray)} instead.
 */
public enum FloatType {
    /** IEEE binary32. */
    FLOAT32,
    /** IEEE binary16. */
    FLOAT16,
    /** bfloat16. */
    BFLOAT16,
    /** IEEE binary64. */
    FLOAT64;

    /**
     * Converts an array to this type (a new array on the same manager; a copy even if already of it).
     *
     * @param array an array of the PyTorch or Metal engine
     * @return the converted array
     */
    public NDArray cast(NDArray array) {
        PtNDArray a = Attention.torchArray(array, "array");
        SdpaRouter.start();
        try {
            return new PtNDArray(a.getManager(), MetalLibrary.toDtype(a.getHandle(), ordinal()));
        } catch (RuntimeException e) {
            throw new EngineException(e.getMessage(), e);
        }
    }

    /**
     * Returns an array's floating-point type.
     *
     * @param array an array of the PyTorch or Metal engine
     * @return its type, or {@code null} if it is not one of these
     */
    public static FloatType of(NDArray array) {
        PtNDArray a = Attention.torchArray(array, "array");
        SdpaRouter.start();
        int code = MetalLibrary.dtypeOf(a.getHandle());
        return code < 0 ? null : values()[code];
    }
}
