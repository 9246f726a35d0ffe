/*
 * DJL Metal engine.
 */
package ai.djl.metal.jni;

import org.bytedeco.javacpp.FunctionPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Name;
import org.bytedeco.javacpp.annotation.Namespace;
import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.StdString;

/**
 * The native bridge (JavaCPP binding of {@code jni/src/bridge/bridge.h}).
 *
 * <p>Internal API: use {@link ai.djl.metal.sdpa.Attention} and {@link ai.djl.metal.engine.MetalEngine}.
 * Tensor handles are PyTorch {@code at::Tensor*} values as returned by {@code PtNDArray.getHandle()}.
 */
// JavaCPP passes link libraries in reverse order; the static core must come before what it uses.
@Platform(
        compiler = "cpp17",
        include = "bridge/bridge.h",
        link = {"dl", "djl_metal_simulator", "djl_metal_kernels", "djl_metal_core"})
@Namespace("djl_metal::bridge")
public final class MetalLibrary {

    static {
        Loader.load();
    }

    private MetalLibrary() {}

    /**
     * Receives native log lines.
     *
     * <p>Level 0..3 is DEBUG, INFO, WARN, ERROR.
     */
    public abstract static class LogFunction extends FunctionPointer {

        static {
            Loader.load();
        }

        /** Allocates the native thunk that calls {@link #call}. */
        protected LogFunction() {
            allocate();
        }

        private native void allocate();

        /**
         * Handles one log line.
         *
         * @param level 0 DEBUG, 1 INFO, 2 WARN, 3 ERROR
         * @param message the message, valid during the call only
         */
        public abstract void call(int level, @Cast("const char*") String message);
    }

    /**
     * Finds libtorch's C shim in this process.
     *
     * @return an empty string on success, otherwise why not
     */
    @Name("load_torch")
    public static native @StdString String loadTorch();

    /**
     * Chooses the native backend.
     *
     * @param request 0 auto, 1 metal, 2 simulator
     * @param cpuMinFlops CPU-tensor calls under this many floating-point operations stay on PyTorch with the
     *     Metal backend; negative for the default
     * @return why the active backend was chosen, or why none is available
     */
    @Name("select_backend")
    public static native @StdString String selectBackend(int request, double cpuMinFlops);

    /**
     * Returns the active backend.
     *
     * @return 0 none, 1 simulator, 2 metal
     */
    @Name("active_backend")
    public static native int activeBackend();

    /**
     * Returns whether the active backend also runs SDPA calls on MPS tensors.
     *
     * @return whether MPS tensors are read
     */
    @Name("active_backend_reads_mps")
    public static native boolean activeBackendReadsMps();

    /**
     * Sets the router mode and installs the libtorch override unless the mode is off.
     *
     * @param mode 0 auto, 1 native, 2 off
     * @return an empty string on success, otherwise why the override is not installed
     */
    @Name("start_router")
    public static native @StdString String startRouter(int mode);

    /**
     * Configures the circuit breaker over native execution.
     *
     * @param failures failed native calls in a row (GPU errors) that suspend native execution; 0 never does
     * @param seconds how long it stays suspended before calls try again
     */
    @Name("configure_breaker")
    public static native void configureBreaker(int failures, double seconds);

    /**
     * Configures shadow mode.
     *
     * @param fraction the fraction (0 to 1) of native calls on CPU tensors that also run on PyTorch and are
     *     compared
     * @param disableDiverged whether a divergence turns native execution off for that call shape
     */
    @Name("configure_shadow")
    public static native void configureShadow(double fraction, boolean disableDiverged);

    /**
     * Marks the calling thread as working for engine "Metal" until the matching {@link #exitMetalScope()}:
     * only SDPA calls made inside are routed. Nestable.
     */
    @Name("enter_metal_scope")
    public static native void enterMetalScope();

    /** Ends the calling thread's innermost {@link #enterMetalScope()}. */
    @Name("exit_metal_scope")
    public static native void exitMetalScope();

    /**
     * Installs the log sink.
     *
     * @param fn the sink, kept reachable by the caller for the life of the process
     * @param debug whether per-call DEBUG lines are produced
     */
    @Name("set_log_function")
    public static native void setLogFunction(LogFunction fn, boolean debug);

    /**
     * Runs one SDPA call through the router.
     *
     * @param query query handle
     * @param key key handle
     * @param value value handle
     * @param mask mask handle, or 0 for none
     * @param dropoutP dropout probability
     * @param isCausal causal masking
     * @param hasScale whether {@code scale} is set
     * @param scale the scale when set
     * @param enableGqa grouped-query attention
     * @return a new tensor handle owned by the caller
     */
    @Name("scaled_dot_product_attention")
    public static native @Cast("int64_t") long scaledDotProductAttention(
            @Cast("int64_t") long query,
            @Cast("int64_t") long key,
            @Cast("int64_t") long value,
            @Cast("int64_t") long mask,
            double dropoutP,
            boolean isCausal,
            boolean hasScale,
            double scale,
            boolean enableGqa);

    /**
     * Reads the routing counters.
     *
     * @param out receives [native by backend][fallback by reason][rejected by reason][errors][suspended
     *     now (0 or 1), times suspended][shadowed calls, divergent ones, the nanoseconds their checks took, largest error for float32, float16,
     *     bfloat16 as the bits of a double][shader
     *     libraries compiled, their nanoseconds, pipelines built, their nanoseconds, build failures, GPU-timed
     *     command buffers, their GPU nanoseconds]
     * @param capacity the length of {@code out}
     * @return the number of values written
     */
    public static native int stats(@Cast("int64_t*") long[] out, int capacity);

    /**
     * Reads the counts of the SDPA calls routed on the calling thread since it started.
     *
     * @param out receives native, fallback, rejected and failed calls (at least 4 slots)
     */
    @Name("thread_calls")
    public static native void threadCalls(@Cast("int64_t*") long[] out);

    /**
     * Returns the number of backend kinds.
     *
     * @return the number of backend kinds
     */
    @Name("backend_count")
    public static native int backendCount();

    /**
     * Returns the number of fallback reasons (including "none").
     *
     * @return the number of reasons
     */
    @Name("reason_count")
    public static native int reasonCount();

    /**
     * Returns a backend's identifier.
     *
     * @param backend the backend code
     * @return its identifier
     */
    @Name("backend_id")
    public static native @StdString String backendId(int backend);

    /**
     * Returns a reason's identifier.
     *
     * @param reason the reason code
     * @return its identifier
     */
    @Name("reason_id")
    public static native @StdString String reasonId(int reason);

    /**
     * Converts a tensor's dtype through libtorch.
     *
     * @param tensor the tensor handle
     * @param dtype 0 float32, 1 float16, 2 bfloat16, 3 float64
     * @return a new tensor handle owned by the caller
     */
    @Name("to_dtype")
    public static native @Cast("int64_t") long toDtype(@Cast("int64_t") long tensor, int dtype);

    /**
     * Returns a tensor's dtype code.
     *
     * @param tensor the tensor handle
     * @return 0 float32, 1 float16, 2 bfloat16, 3 float64, -1 anything else
     */
    @Name("dtype_of")
    public static native int dtypeOf(@Cast("int64_t") long tensor);
}
