/*
 * DJL Metal engine.
 */
package ai.djl.metal.it;

import ai.djl.metal.examples.serving.InferenceServer;
import ai.djl.metal.it.util.SdpaModule;
import ai.djl.metal.it.util.Workspace;

import org.testng.Assert;
import org.testng.annotations.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;

/**
 * The example inference service with engine "Metal": predictions, health, Prometheus metrics, and bad requests
 * answered with a 4xx and a clear message while the service keeps serving.
 */
public class InferenceServerTest {

    private static String tensor(long... shape) {
        long n = 1;
        StringBuilder dims = new StringBuilder();
        for (long d : shape) {
            n *= d;
            dims.append(dims.length() == 0 ? "" : ",").append(d);
        }
        StringBuilder data = new StringBuilder();
        for (long i = 0; i < n; ++i) {
            data.append(i == 0 ? "" : ",").append((i % 7) / 7.0);
        }
        return "{\"shape\":[" + dims + "],\"dtype\":\"float32\",\"data\":[" + data + "]}";
    }

    @Test
    public void servesAndAnswersBadRequestsWithoutDying() throws Exception {
        Path dir = Workspace.newDirectory("server-");
        Path model = new SdpaModule("served_sdpa").write(dir);
        String good =
                "{\"inputs\":[" + tensor(1, 2, 5, 8) + "," + tensor(1, 2, 7, 8) + "," + tensor(1, 2, 7, 8) + "]}";
        HttpClient http = HttpClient.newHttpClient();
        try (InferenceServer server = InferenceServer.start(model, "Metal", "127.0.0.1", 0, 2)) {
            URI uri = server.uri();
            long errorsBefore = sdpaErrors(get(http, uri.resolve("/metrics")).body());
            HttpResponse<String> health = get(http, uri.resolve("/health"));
            Assert.assertEquals(health.statusCode(), 200);
            Assert.assertTrue(health.body().contains("\"engine\":\"Metal\""), health.body());
            Assert.assertTrue(health.body().contains("\"breaker\":\"closed\""), health.body());

            HttpResponse<String> ok = post(http, uri, good);
            Assert.assertEquals(ok.statusCode(), 200, ok.body());
            Assert.assertTrue(ok.body().startsWith("{\"outputs\":[{\"shape\":[1,2,5,8]"), ok.body());

            expect(post(http, uri, "not json"), 400, "the body is not JSON");
            expect(post(http, uri, "{\"x\":1}"), 400, "expected {");
            expect(post(http, uri, "{\"inputs\":[{\"shape\":[2],\"data\":[1]}]}"), 400, "must be an array of 2");
            expect(post(http, uri, "{\"inputs\":[{\"shape\":[1000000000,1000000000],\"data\":[]}]}"), 400, "more than");
            expect(post(http, uri, "{\"inputs\":[{\"shape\":[1],\"dtype\":\"int8\",\"data\":[1]}]}"), 400, "int64");
            String badHeads =
                    "{\"inputs\":[" + tensor(1, 2, 5, 8) + "," + tensor(1, 2, 7, 6) + "," + tensor(1, 2, 7, 8) + "]}";
            expect(post(http, uri, badHeads), 422, "same head dimension");
            HttpResponse<String> wrongMethod = get(http, uri.resolve("/predict"));
            Assert.assertEquals(wrongMethod.statusCode(), 405);

            HttpResponse<String> again = post(http, uri, good);
            Assert.assertEquals(again.statusCode(), 200, "still serving after bad requests");
            Assert.assertEquals(again.body(), ok.body());

            String metrics = get(http, uri.resolve("/metrics")).body();
            // The SDPA counters are the process's: one more error, the mismatched head dims.
            Assert.assertEquals(sdpaErrors(metrics) - errorsBefore, 1, metrics);
            Assert.assertTrue(metrics.contains("inference_requests_total{outcome=\"ok\"} 2"), metrics);
            Assert.assertTrue(metrics.contains("inference_requests_total{outcome=\"client_error\"} 7"), metrics);
            Assert.assertTrue(metrics.contains("inference_request_seconds_count 9"), metrics);
            Assert.assertTrue(metrics.contains("sdpa_breaker_suspended 0"), metrics);
        }
    }

    private static long sdpaErrors(String metrics) {
        String prefix = "sdpa_calls_total{path=\"error\"} ";
        return metrics.lines()
                .filter(l -> l.startsWith(prefix))
                .mapToLong(l -> Long.parseLong(l.substring(prefix.length())))
                .findFirst()
                .orElseThrow();
    }

    private static void expect(HttpResponse<String> r, int status, String message) {
        Assert.assertEquals(r.statusCode(), status, r.body());
        Assert.assertTrue(r.body().startsWith("{\"error\":"), r.body());
        Assert.assertTrue(r.body().contains(message), r.body());
    }

    private static HttpResponse<String> get(HttpClient http, URI uri) throws Exception {
        return http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(HttpClient http, URI uri, String body) throws Exception {
        return http.send(
                HttpRequest.newBuilder(uri.resolve("/predict")).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
