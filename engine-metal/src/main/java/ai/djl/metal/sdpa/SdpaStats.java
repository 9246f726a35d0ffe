/*
 * DJL Metal engine.
 */
package ai.djl.metal.sdpa;

import ai.djl.metal.jni.MetalLibrary;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * An immutable snapshot of the process-wide SDPA routing counters.
 *
 * <p>Every call that reaches the router is counted exactly once: as native (per backend), as fallen back
 * to PyTorch (per reason), or as rejected (per reason; only with {@code ai.djl.metal.sdpa=native}, where
 * the call fails instead of falling back). Counters are updated atomically, so snapshots are safe to take
 * from any thread; use {@link #since(SdpaStats)} to count what happened between two snapshots.
 *
 * <p>The snapshot also says what the active backend spent building kernels: Metal compiles each shader
 * library once per process and each pipeline (kernel plus function constants) once, at first use; and,
 * for the Metal backend's CPU-tensor calls, the GPU time of their command buffers from the GPU's own
 * timestamps (MPS-tensor calls are encoded on PyTorch's command buffers, timed by nobody).
 */
public final class SdpaStats {

    /** Slots of the native counters after the per-reason ones. */
    private static final int DEVICE_FIGURES = 7;
    private static final int BREAKER_FIGURES = 2;
    private static final int SHADOW_FIGURES = 6;

    private final Map<Backend, Long> nativeCalls;
    private final Map<FallbackReason, Long> fallbacks;
    private final Map<FallbackReason, Long> rejections;
    private final long errors;
    // suspended now (0 or 1), times suspended
    private final long[] breaker;
    // shadowed calls, divergent ones, the nanoseconds their checks took; then the largest error per dtype (float32,
    // float16, bfloat16)
    private final long[] shadowCounts;
    private final double[] shadowMaxError;
    // libraries, their nanoseconds, pipelines, their nanoseconds, failures, GPU-timed command buffers, their
    // GPU nanoseconds
    private final long[] device;

    private SdpaStats(
            Map<Backend, Long> nativeCalls,
            Map<FallbackReason, Long> fallbacks,
            Map<FallbackReason, Long> rejections,
            long errors,
            long[] breaker,
            long[] shadowCounts,
            double[] shadowMaxError,
            long[] device) {
        this.nativeCalls = Collections.unmodifiableMap(nativeCalls);
        this.fallbacks = Collections.unmodifiableMap(fallbacks);
        this.rejections = Collections.unmodifiableMap(rejections);
        this.errors = errors;
        this.breaker = breaker;
        this.shadowCounts = shadowCounts;
        this.shadowMaxError = shadowMaxError;
        this.device = device;
    }

    /**
     * Reads the counters now. Before the engine has started, every counter is zero: reading never starts it
     * (nor loads its native library).
     *
     * @return the snapshot
     */
    public static SdpaStats snapshot() {
        // The native lists match the Java enums (checked at engine start): Backend, then "none" and FallbackReason.
        int backends = Backend.values().length;
        int reasons = FallbackReason.values().length + 1;
        long[] raw = new long[backends + 2 * reasons + 1 + BREAKER_FIGURES + SHADOW_FIGURES + DEVICE_FIGURES];
        if (SdpaRouter.isStarted()) {
            MetalLibrary.stats(raw, raw.length);
        }
        Map<Backend, Long> nativeCalls = new EnumMap<>(Backend.class);
        for (Backend b : Backend.values()) {
            if (b != Backend.NONE) {
                nativeCalls.put(b, raw[b.ordinal()]);
            }
        }
        Map<FallbackReason, Long> fallbacks = new EnumMap<>(FallbackReason.class);
        Map<FallbackReason, Long> rejections = new EnumMap<>(FallbackReason.class);
        for (FallbackReason r : FallbackReason.values()) {
            // Native reason 0 is "none"; FallbackReason starts at native reason 1.
            fallbacks.put(r, raw[backends + r.ordinal() + 1]);
            rejections.put(r, raw[backends + reasons + r.ordinal() + 1]);
        }
        int at = backends + 2 * reasons;
        long errors = raw[at++];
        long[] breaker = {raw[at], raw[at + 1]};
        at += BREAKER_FIGURES;
        long[] shadowCounts = {raw[at], raw[at + 1], raw[at + 2]};
        double[] shadowMaxError = new double[3];
        for (int i = 0; i < 3; ++i) {
            shadowMaxError[i] = Double.longBitsToDouble(raw[at + 3 + i]);
        }
        at += SHADOW_FIGURES;
        long[] device = new long[DEVICE_FIGURES];
        System.arraycopy(raw, at, device, 0, DEVICE_FIGURES);
        return new SdpaStats(
                nativeCalls, fallbacks, rejections, errors, breaker, shadowCounts, shadowMaxError, device);
    }

    /**
     * Returns the counts accumulated since an earlier snapshot.
     *
     * @param earlier a snapshot taken before this one
     * @return this minus {@code earlier}, counter by counter
     * @throws IllegalArgumentException if {@code earlier} is null
     */
    public SdpaStats since(SdpaStats earlier) {
        requireNonNull(earlier, "earlier");
        Map<Backend, Long> n = new EnumMap<>(Backend.class);
        nativeCalls.forEach((k, v) -> n.put(k, v - earlier.nativeCalls.get(k)));
        Map<FallbackReason, Long> f = new EnumMap<>(FallbackReason.class);
        fallbacks.forEach((k, v) -> f.put(k, v - earlier.fallbacks.get(k)));
        Map<FallbackReason, Long> r = new EnumMap<>(FallbackReason.class);
        rejections.forEach((k, v) -> r.put(k, v - earlier.rejections.get(k)));
        long[] c = new long[DEVICE_FIGURES];
        for (int i = 0; i < DEVICE_FIGURES; ++i) {
            c[i] = device[i] - earlier.device[i];
        }
        // The breaker's state is this snapshot's; its trips are counted like the rest.
        long[] b = {breaker[0], breaker[1] - earlier.breaker[1]};
        long[] sc = new long[shadowCounts.length];
        for (int i = 0; i < sc.length; ++i) {
            sc[i] = shadowCounts[i] - earlier.shadowCounts[i];
        }
        // The largest errors are since the process started: a maximum has no difference.
        return new SdpaStats(n, f, r, errors - earlier.errors, b, sc, shadowMaxError, c);
    }

    /**
     * Returns every call the router saw for engine "Metal": native, fallen back, rejected and failed.
     *
     * @return the number of routed calls
     */
    public long getTotalCalls() {
        return getNativeCalls() + getFallbackCalls() + getRejectedCalls() + getErrorCalls();
    }

    /**
     * Returns the calls that raised an error: invalid input (PyTorch's message or a clearer one), or a
     * failure inside libtorch or a native backend. Such calls are not counted as fallbacks.
     *
     * @return the number of failed calls
     */
    public long getErrorCalls() {
        return errors;
    }

    /**
     * Returns the calls that ran on a native kernel, all backends together.
     *
     * @return the number of native calls
     */
    public long getNativeCalls() {
        return sum(nativeCalls);
    }

    /**
     * Returns the calls that ran on one backend's kernels.
     *
     * @param backend the backend
     * @return the number of native calls on it ({@code 0} for {@link Backend#NONE})
     * @throws IllegalArgumentException if {@code backend} is null
     */
    public long getNativeCalls(Backend backend) {
        requireNonNull(backend, "backend");
        return nativeCalls.getOrDefault(backend, 0L);
    }

    /**
     * Returns the calls that ran on PyTorch.
     *
     * @return the number of fallbacks
     */
    public long getFallbackCalls() {
        return sum(fallbacks);
    }

    /**
     * Returns the calls that ran on PyTorch for one reason.
     *
     * @param reason the reason
     * @return the number of fallbacks for it
     * @throws IllegalArgumentException if {@code reason} is null
     */
    public long getFallbackCalls(FallbackReason reason) {
        requireNonNull(reason, "reason");
        return fallbacks.get(reason);
    }

    /**
     * Returns the calls refused in native mode.
     *
     * @return the number of rejected calls
     */
    public long getRejectedCalls() {
        return sum(rejections);
    }

    /**
     * Returns the calls refused in native mode for one reason.
     *
     * @param reason the reason
     * @return the number of rejected calls for it
     * @throws IllegalArgumentException if {@code reason} is null
     */
    public long getRejectedCalls(FallbackReason reason) {
        requireNonNull(reason, "reason");
        return rejections.get(reason);
    }

    /**
     * Returns whether the circuit breaker has suspended native execution at the time of this snapshot (calls
     * fall back with {@link FallbackReason#SUSPENDED}).
     *
     * @return whether native execution is suspended
     */
    public boolean isNativeSuspended() {
        return breaker[0] != 0;
    }

    /**
     * Returns how many times the circuit breaker suspended native execution.
     *
     * @return the number of suspensions
     */
    public long getNativeSuspensions() {
        return breaker[1];
    }

    /**
     * Returns the native calls that shadow mode ({@code ai.djl.metal.shadow}) also ran on PyTorch.
     *
     * @return the number of shadowed calls
     */
    public long getShadowCalls() {
        return shadowCounts[0];
    }

    /**
     * Returns the shadowed calls whose native result was outside the dtype's tolerance of PyTorch's (they
     * returned PyTorch's result).
     *
     * @return the number of divergent calls
     */
    public long getShadowDivergences() {
        return shadowCounts[1];
    }

    /**
     * Returns the time shadow mode's checks took: PyTorch's own run of each shadowed call and the comparison of
     * the results, which is what shadow mode adds to those calls.
     *
     * @return the time spent in shadow checks
     */
    public Duration getShadowTime() {
        return Duration.ofNanos(shadowCounts[2]);
    }

    /**
     * Returns the largest error shadow mode has seen for a dtype since the process started: {@code |native -
     * PyTorch| / (1 + |PyTorch|)} over the elements of the shadowed calls.
     *
     * @param type float32, float16 or bfloat16
     * @return the largest error, 0 if none was shadowed
     * @throws IllegalArgumentException for another type
     */
    public double getShadowMaxError(FloatType type) {
        if (type == null || type == FloatType.FLOAT64) {
            throw new IllegalArgumentException("shadow errors are kept for float32, float16 and bfloat16");
        }
        return shadowMaxError[type.ordinal()];
    }

    /**
     * Returns native calls by backend.
     *
     * @return an unmodifiable map with every backend but {@link Backend#NONE}
     */
    public Map<Backend, Long> getNativeCallsByBackend() {
        return nativeCalls;
    }

    /**
     * Returns fallbacks by reason.
     *
     * @return an unmodifiable map with every reason
     */
    public Map<FallbackReason, Long> getFallbackCallsByReason() {
        return fallbacks;
    }

    /**
     * Returns the calls refused in native mode, by reason.
     *
     * @return an unmodifiable map with every reason
     */
    public Map<FallbackReason, Long> getRejectedCallsByReason() {
        return rejections;
    }

    /**
     * Returns the shader libraries the active backend compiled (one per kernel source file, at first use).
     *
     * @return the number of libraries compiled
     */
    public long getShaderLibrariesCompiled() {
        return device[0];
    }

    /**
     * Returns the time spent compiling shader libraries.
     *
     * @return the total compile time
     */
    public Duration getShaderCompileTime() {
        return Duration.ofNanos(device[1]);
    }

    /**
     * Returns the compute pipelines the active backend built (one per kernel and function-constant values).
     *
     * @return the number of pipelines built
     */
    public long getPipelinesBuilt() {
        return device[2];
    }

    /**
     * Returns the time spent building pipelines.
     *
     * @return the total build time
     */
    public Duration getPipelineBuildTime() {
        return Duration.ofNanos(device[3]);
    }

    /**
     * Returns the library compiles and pipeline builds that failed; what failed stays disabled for the
     * process and its calls fall back with {@link FallbackReason#KERNEL_UNAVAILABLE}.
     *
     * @return the number of failed builds
     */
    public long getKernelBuildFailures() {
        return device[4];
    }

    /**
     * Returns the Metal command buffers whose GPU time was read: one per CPU-tensor call the Metal backend
     * ran.
     *
     * @return the number of timed command buffers
     */
    public long getGpuTimedCommandBuffers() {
        return device[5];
    }

    /**
     * Returns the GPU time of those command buffers, from the GPU's start and end timestamps of each.
     *
     * @return the total GPU time
     */
    public Duration getGpuTime() {
        return Duration.ofNanos(device[6]);
    }

    private static void requireNonNull(Object argument, String name) {
        if (argument == null) {
            throw new IllegalArgumentException(name + " is null");
        }
    }

    private static <K> long sum(Map<K, Long> counts) {
        return counts.values().stream().mapToLong(Long::longValue).sum();
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("SDPA calls: ").append(getTotalCalls());
        sb.append(" (native ").append(getNativeCalls());
        nativeCalls.forEach((k, v) -> append(sb, k.id(), v));
        sb.append("; PyTorch ").append(getFallbackCalls());
        fallbacks.forEach((k, v) -> append(sb, k.id(), v));
        if (getRejectedCalls() > 0) {
            sb.append("; rejected ").append(getRejectedCalls());
            rejections.forEach((k, v) -> append(sb, k.id(), v));
        }
        if (errors > 0) {
            sb.append("; errors ").append(errors);
        }
        sb.append(')');
        if (isNativeSuspended()) {
            sb.append("; native execution suspended");
        }
        if (getShadowCalls() > 0) {
            sb.append("; shadowed ")
                    .append(getShadowCalls())
                    .append(", divergent ")
                    .append(getShadowDivergences())
                    .append(", checks took ")
                    .append(getShadowTime().toMillis())
                    .append(" ms");
        }
        if (getShaderLibrariesCompiled() > 0 || getPipelinesBuilt() > 0 || getKernelBuildFailures() > 0) {
            sb.append("; kernels built: ")
                    .append(getShaderLibrariesCompiled())
                    .append(" libraries in ")
                    .append(getShaderCompileTime().toMillis())
                    .append(" ms, ")
                    .append(getPipelinesBuilt())
                    .append(" pipelines in ")
                    .append(getPipelineBuildTime().toMillis())
                    .append(" ms");
            if (getKernelBuildFailures() > 0) {
                sb.append(", ").append(getKernelBuildFailures()).append(" failed");
            }
        }
        return sb.toString();
    }

    private static void append(StringBuilder sb, String id, long count) {
        if (count != 0) {
            sb.append(", ").append(id).append(' ').append(count);
        }
    }
}
