/*
 * DJL Metal engine.
 */
package ai.djl.metal.sdpa;

import java.util.Locale;

/**
 * Why an SDPA call ran on PyTorch instead of a native kernel.
 *
 * <p>The order mirrors the native {@code Reason} list after its {@code none} entry; the engine checks at
 * start that both sides agree.
 */
public enum FallbackReason {
    /** No native backend is active in this process. */
    NO_BACKEND,
    /** The override is off ({@code ai.djl.metal.sdpa=off}). */
    DISABLED,
    /** Grad mode is on and an input requires grad: PyTorch keeps autograd. */
    GRADIENT,
    /** {@code dropout_p} is not zero. */
    DROPOUT,
    /** A tensor is not on the native backend's device. */
    DEVICE,
    /** The inputs are not float32, float16 or bfloat16. */
    DTYPE,
    /** The head dim is outside 1..256, or differs between query and value. */
    HEAD_DIM,
    /** {@code is_causal} together with an explicit mask. */
    CAUSAL_MASK,
    /** The last dimension of query, key or value is not contiguous, or a tensor has no data pointer. */
    LAYOUT,
    /** A rank, batch or head broadcasting, or a mask rank below 2, that the kernels do not handle. */
    SHAPE,
    /** An empty dimension, or a size beyond the kernels' index limits. */
    SIZE,
    /**
     * The scale is NaN or infinite, or not positive with {@code is_causal} (PyTorch's CPU kernel then returns NaN
     * rows, which the kernels would not).
     */
    SCALE,
    /**
     * CPU tensors and too little work to repay a GPU round trip (under {@code ai.djl.metal.cpu_min_flops}
     * floating-point operations).
     */
    SMALL_CALL,
    /** The Metal kernel for the call failed to build, or exceeds the device's limits. */
    KERNEL_UNAVAILABLE,
    /** Metal failed to run the call (a command buffer error, or an object Metal would not create). */
    GPU_ERROR,
    /** MPS tensors, but this libtorch lacks the functions that order work on its MPS stream. */
    MPS_UNAVAILABLE,
    /**
     * The kernels read a NaN or an infinity in query, key or value (or a NaN or +infinity in an additive mask):
     * PyTorch computes the call, so its non-finite results are exactly PyTorch's. Only calls on CPU tensors are
     * checked; see the README.
     */
    NON_FINITE,
    /**
     * Native execution is suspended by the circuit breaker after repeated backend failures ({@code
     * ai.djl.metal.breaker_failures} in a row, for {@code ai.djl.metal.breaker_seconds}).
     */
    SUSPENDED,
    /**
     * Shadow mode found this call shape's native result outside the dtype's tolerance of PyTorch's, and {@code
     * ai.djl.metal.shadow_disable} turned native execution off for it.
     */
    DIVERGED;

    /**
     * Returns the identifier used in logs and by the native side.
     *
     * @return the lower-case name, e.g. {@code no_backend}
     */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
