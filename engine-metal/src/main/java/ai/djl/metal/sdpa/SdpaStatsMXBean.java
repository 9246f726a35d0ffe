/*
 * DJL Metal engine.
 */
package ai.djl.metal.sdpa;

import java.util.Map;

/**
 * The SDPA routing figures of {@link SdpaStats} for JMX, registered at engine start as {@value
 * SdpaRouter#MBEAN_NAME} (JConsole, VisualVM, a JMX exporter): each attribute reads the counters when asked.
 */
public interface SdpaStatsMXBean {

    /**
     * Returns the configured mode.
     *
     * @return {@code auto}, {@code native} or {@code off}
     */
    String getMode();

    /**
     * Returns the active backend.
     *
     * @return {@code none}, {@code simulator} or {@code metal}
     */
    String getBackend();

    /**
     * Returns every routed call.
     *
     * @return see {@link SdpaStats#getTotalCalls()}
     */
    long getTotalCalls();

    /**
     * Returns the native calls.
     *
     * @return see {@link SdpaStats#getNativeCalls()}
     */
    long getNativeCalls();

    /**
     * Returns the fallbacks.
     *
     * @return see {@link SdpaStats#getFallbackCalls()}
     */
    long getFallbackCalls();

    /**
     * Returns the fallbacks by reason id.
     *
     * @return every reason's count
     */
    Map<String, Long> getFallbackCallsByReason();

    /**
     * Returns the calls refused in native mode, by reason id.
     *
     * @return every reason's count
     */
    Map<String, Long> getRejectedCallsByReason();

    /**
     * Returns the calls that raised an error.
     *
     * @return see {@link SdpaStats#getErrorCalls()}
     */
    long getErrorCalls();

    /**
     * Returns whether the circuit breaker has suspended native execution.
     *
     * @return see {@link SdpaStats#isNativeSuspended()}
     */
    boolean isNativeSuspended();

    /**
     * Returns how often native execution was suspended.
     *
     * @return see {@link SdpaStats#getNativeSuspensions()}
     */
    long getNativeSuspensions();

    /**
     * Returns the calls shadow mode checked.
     *
     * @return see {@link SdpaStats#getShadowCalls()}
     */
    long getShadowCalls();

    /**
     * Returns the checked calls that diverged.
     *
     * @return see {@link SdpaStats#getShadowDivergences()}
     */
    long getShadowDivergences();

    /**
     * Returns the milliseconds shadow mode's checks took.
     *
     * @return see {@link SdpaStats#getShadowTime()}
     */
    long getShadowMillis();

    /**
     * Returns shadow mode's largest error by dtype ({@code float32}, {@code float16}, {@code bfloat16}).
     *
     * @return see {@link SdpaStats#getShadowMaxError(FloatType)}
     */
    Map<String, Double> getShadowMaxErrors();

    /**
     * Returns the compute pipelines built.
     *
     * @return see {@link SdpaStats#getPipelinesBuilt()}
     */
    long getPipelinesBuilt();

    /**
     * Returns the time spent building pipelines and compiling shader libraries, in milliseconds.
     *
     * @return the total build time
     */
    long getKernelBuildMillis();
}
