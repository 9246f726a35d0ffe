/*
 * DJL Metal engine.
 */
package ai.djl.metal.sdpa;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** {@link SdpaStatsMXBean} over {@link SdpaStats#snapshot()}. */
final class SdpaStatsJmx implements SdpaStatsMXBean {

    private final SdpaMode mode;
    private final Backend backend;

    SdpaStatsJmx(SdpaMode mode, Backend backend) {
        this.mode = mode;
        this.backend = backend;
    }

    @Override
    public String getMode() {
        return mode.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String getBackend() {
        return backend.id();
    }

    @Override
    public long getTotalCalls() {
        return SdpaStats.snapshot().getTotalCalls();
    }

    @Override
    public long getNativeCalls() {
        return SdpaStats.snapshot().getNativeCalls();
    }

    @Override
    public long getFallbackCalls() {
        return SdpaStats.snapshot().getFallbackCalls();
    }

    @Override
    public Map<String, Long> getFallbackCallsByReason() {
        return byId(SdpaStats.snapshot().getFallbackCallsByReason());
    }

    @Override
    public Map<String, Long> getRejectedCallsByReason() {
        return byId(SdpaStats.snapshot().getRejectedCallsByReason());
    }

    @Override
    public long getErrorCalls() {
        return SdpaStats.snapshot().getErrorCalls();
    }

    @Override
    public boolean isNativeSuspended() {
        return SdpaStats.snapshot().isNativeSuspended();
    }

    @Override
    public long getNativeSuspensions() {
        return SdpaStats.snapshot().getNativeSuspensions();
    }

    @Override
    public long getShadowCalls() {
        return SdpaStats.snapshot().getShadowCalls();
    }

    @Override
    public long getShadowDivergences() {
        return SdpaStats.snapshot().getShadowDivergences();
    }

    @Override
    public long getShadowMillis() {
        return SdpaStats.snapshot().getShadowTime().toMillis();
    }

    @Override
    public Map<String, Double> getShadowMaxErrors() {
        SdpaStats s = SdpaStats.snapshot();
        Map<String, Double> errors = new LinkedHashMap<>();
        for (FloatType t : new FloatType[] {FloatType.FLOAT32, FloatType.FLOAT16, FloatType.BFLOAT16}) {
            errors.put(t.name().toLowerCase(Locale.ROOT), s.getShadowMaxError(t));
        }
        return errors;
    }

    @Override
    public long getPipelinesBuilt() {
        return SdpaStats.snapshot().getPipelinesBuilt();
    }

    @Override
    public long getKernelBuildMillis() {
        SdpaStats s = SdpaStats.snapshot();
        return s.getPipelineBuildTime().plus(s.getShaderCompileTime()).toMillis();
    }

    private static Map<String, Long> byId(Map<FallbackReason, Long> counts) {
        Map<String, Long> out = new LinkedHashMap<>();
        counts.forEach((k, v) -> out.put(k.id(), v));
        return out;
    }
}
