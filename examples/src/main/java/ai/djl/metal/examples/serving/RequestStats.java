/*
 * DJL Metal engine.
 */
package ai.djl.metal.examples.serving;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/** Request latency as a Prometheus histogram, and requests by HTTP status class. */
final class RequestStats {

    /** Bucket upper bounds, in seconds. */
    static final double[] BUCKETS = {
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
    };

    private final AtomicLongArray buckets = new AtomicLongArray(BUCKETS.length + 1);
    private final LongAdder count = new LongAdder();
    private final LongAdder nanos = new LongAdder();
    private final LongAdder ok = new LongAdder();
    private final LongAdder clientErrors = new LongAdder();
    private final LongAdder serverErrors = new LongAdder();

    void record(int status, long elapsedNanos) {
        double seconds = elapsedNanos / 1e9;
        int b = 0;
        while (b < BUCKETS.length && seconds > BUCKETS[b]) {
            ++b;
        }
        buckets.incrementAndGet(b);
        count.increment();
        nanos.add(elapsedNanos);
        (status < 400 ? ok : status < 500 ? clientErrors : serverErrors).increment();
    }

    void appendPrometheus(StringBuilder sb) {
        sb.append("# HELP inference_request_seconds Latency of /predict requests.\n");
        sb.append("# TYPE inference_request_seconds histogram\n");
        long cumulative = 0;
        for (int b = 0; b < BUCKETS.length; ++b) {
            cumulative += buckets.get(b);
            sb.append("inference_request_seconds_bucket{le=\"").append(BUCKETS[b]).append("\"} ")
                    .append(cumulative).append('\n');
        }
        cumulative += buckets.get(BUCKETS.length);
        sb.append("inference_request_seconds_bucket{le=\"+Inf\"} ").append(cumulative).append('\n');
        sb.append("inference_request_seconds_sum ").append(nanos.sum() / 1e9).append('\n');
        sb.append("inference_request_seconds_count ").append(count.sum()).append('\n');
        sb.append("# HELP inference_requests_total /predict requests by outcome.\n");
        sb.append("# TYPE inference_requests_total counter\n");
        sb.append("inference_requests_total{outcome=\"ok\"} ").append(ok.sum()).append('\n');
        sb.append("inference_requests_total{outcome=\"client_error\"} ").append(clientErrors.sum()).append('\n');
        sb.append("inference_requests_total{outcome=\"server_error\"} ").append(serverErrors.sum()).append('\n');
    }
}
