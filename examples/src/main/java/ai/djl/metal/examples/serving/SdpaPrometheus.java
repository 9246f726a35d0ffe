/*
 * DJL Metal engine.
 */
package ai.djl.metal.examples.serving;

import ai.djl.metal.sdpa.Backend;
import ai.djl.metal.sdpa.FallbackReason;
import ai.djl.metal.sdpa.FloatType;
import ai.djl.metal.sdpa.SdpaStats;

import java.util.Locale;

/** {@link SdpaStats} in Prometheus' text format. */
final class SdpaPrometheus {

    private SdpaPrometheus() {}

    static void append(StringBuilder sb, SdpaStats s) {
        sb.append("# HELP sdpa_calls_total SDPA calls of engine Metal by path: native (per backend), fallback")
                .append(" and rejected (per reason), error.\n");
        sb.append("# TYPE sdpa_calls_total counter\n");
        for (Backend b : Backend.values()) {
            if (b != Backend.NONE) {
                line(sb, "sdpa_calls_total{path=\"native\",backend=\"" + b.id() + "\"}", s.getNativeCalls(b));
            }
        }
        for (FallbackReason r : FallbackReason.values()) {
            line(sb, "sdpa_calls_total{path=\"fallback\",reason=\"" + r.id() + "\"}", s.getFallbackCalls(r));
        }
        for (FallbackReason r : FallbackReason.values()) {
            line(sb, "sdpa_calls_total{path=\"rejected\",reason=\"" + r.id() + "\"}", s.getRejectedCalls(r));
        }
        line(sb, "sdpa_calls_total{path=\"error\"}", s.getErrorCalls());
        sb.append("# HELP sdpa_breaker_suspended Whether the circuit breaker suspends native execution now.\n");
        sb.append("# TYPE sdpa_breaker_suspended gauge\n");
        line(sb, "sdpa_breaker_suspended", s.isNativeSuspended() ? 1 : 0);
        sb.append("# HELP sdpa_breaker_suspensions_total Times native execution was suspended.\n");
        sb.append("# TYPE sdpa_breaker_suspensions_total counter\n");
        line(sb, "sdpa_breaker_suspensions_total", s.getNativeSuspensions());
        sb.append("# HELP sdpa_shadow_calls_total Native calls shadow mode checked against PyTorch.\n");
        sb.append("# TYPE sdpa_shadow_calls_total counter\n");
        line(sb, "sdpa_shadow_calls_total", s.getShadowCalls());
        sb.append("# HELP sdpa_shadow_divergences_total Checked calls outside the dtype's tolerance.\n");
        sb.append("# TYPE sdpa_shadow_divergences_total counter\n");
        line(sb, "sdpa_shadow_divergences_total", s.getShadowDivergences());
        sb.append("# HELP sdpa_shadow_seconds_total Time the shadow checks took (PyTorch's run, the comparison).\n");
        sb.append("# TYPE sdpa_shadow_seconds_total counter\n");
        sb.append("sdpa_shadow_seconds_total ").append(s.getShadowTime().toNanos() / 1e9).append('\n');
        sb.append("# HELP sdpa_shadow_max_error Largest relative error shadow mode saw, by dtype.\n");
        sb.append("# TYPE sdpa_shadow_max_error gauge\n");
        for (FloatType t : new FloatType[] {FloatType.FLOAT32, FloatType.FLOAT16, FloatType.BFLOAT16}) {
            sb.append("sdpa_shadow_max_error{dtype=\"")
                    .append(t.name().toLowerCase(Locale.ROOT))
                    .append("\"} ")
                    .append(s.getShadowMaxError(t))
                    .append('\n');
        }
    }

    private static void line(StringBuilder sb, String name, long value) {
        sb.append(name).append(' ').append(value).append('\n');
    }
}
