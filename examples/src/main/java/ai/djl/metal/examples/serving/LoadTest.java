/*
 * DJL Metal engine.
 */
package ai.djl.metal.examples.serving;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Load test of {@link InferenceServer}, on loopback only: starts the service twice, with engine {@code
 * "Metal"} and with engine {@code "PyTorch"}, side by side, and loads them in turns (A B B A rounds of fixed
 * duration, the same concurrent clients posting the same padded batch). Prints throughput and p50/p99
 * latency of both and their ratios, the failed requests, and checks the Metal service's routing totals against
 * requests times SDPA calls per forward. Exits with 1 when a request failed or the totals do not match.
 *
 * <p>The clients are the JDK's {@link HttpClient} in this JVM rather than wrk: the same code runs on Linux and
 * macOS without a package, and it can check each response. Arguments, as {@code key=value}: {@code model}
 * (required: takes token ids and a mask, {@code [batch, length]} int64), {@code seconds} per turn (5), {@code
 * rounds} (4), {@code clients} (4), {@code threads} per service (4), {@code length} (18).
 */
public final class LoadTest {

    private static final Pattern LISTENING = Pattern.compile("listening on (http://\\S+)");

    private LoadTest() {}

    /** A service in a child JVM. */
    private static final class Service implements AutoCloseable {
        final String engine;
        final Process process;
        final String url;
        final List<Long> latencies = new ArrayList<>();
        long requests;
        long failed;
        double seconds;

        Service(String model, String engine, int threads) throws IOException {
            this.engine = engine;
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add(InferenceServer.class.getName());
            cmd.addAll(List.of("model=" + model, "engine=" + engine, "port=0", "threads=" + threads));
            process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            BufferedReader out =
                    new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            String found = null;
            for (String line; found == null && (line = out.readLine()) != null; ) {
                Matcher m = LISTENING.matcher(line);
                if (m.find()) {
                    found = m.group(1);
                }
            }
            if (found == null) {
                process.destroy();
                throw new IOException("the " + engine + " service ended before listening");
            }
            url = found;
        }

        @Override
        public void close() {
            process.destroy();
        }
    }

    /**
     * Runs the load test.
     *
     * @param args {@code key=value} arguments, see the class description
     * @throws Exception if a service cannot start or a request cannot be sent
     */
    public static void main(String[] args) throws Exception {
        Map<String, String> a =
                InferenceServer.keyValues(
                        args, "LoadTest model=<file.pt> [seconds=5] [rounds=4] [clients=4] [threads=4] [length=18]");
        String model = a.get("model");
        double seconds = Double.parseDouble(a.getOrDefault("seconds", "5"));
        int rounds = Integer.parseInt(a.getOrDefault("rounds", "4"));
        int clients = Integer.parseInt(a.getOrDefault("clients", "4"));
        int threads = Integer.parseInt(a.getOrDefault("threads", "4"));
        int length = Integer.parseInt(a.getOrDefault("length", "18"));
        String body = paddedBatch(length);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

        try (Service metal = new Service(model, "Metal", threads);
                Service pytorch = new Service(model, "PyTorch", threads)) {
            for (Service s : List.of(metal, pytorch)) {
                for (int i = 0; i < 20; ++i) {
                    post(http, s, body);  // warm-up, not measured
                }
            }
            long before = sdpaCalls(http, metal);
            post(http, metal, body);
            long perForward = sdpaCalls(http, metal) - before;
            long start = sdpaCalls(http, metal);
            for (int r = 0; r < rounds; ++r) {
                List<Service> order = r % 2 == 0 ? List.of(metal, pytorch) : List.of(pytorch, metal);
                for (Service s : order) {
                    load(http, s, body, clients, seconds);
                }
            }
            long routed = sdpaCalls(http, metal) - start;
            long pytorchRouted = sdpaCalls(http, pytorch);
            report(metal, pytorch, clients, seconds, perForward, routed, pytorchRouted);
            boolean ok =
                    metal.failed == 0
                            && pytorch.failed == 0
                            && perForward > 0
                            && routed == metal.requests * perForward
                            && pytorchRouted == 0;
            System.out.println(ok ? "LOAD TEST PASSED" : "LOAD TEST FAILED");
            if (!ok) {
                System.exit(1);
            }
        }
    }

    /** Two sequences of token ids and their mask; the second is right-padded by a third of its length. */
    private static String paddedBatch(int length) {
        StringBuilder ids = new StringBuilder();
        StringBuilder mask = new StringBuilder();
        int padded = length - length / 3;
        for (int row = 0; row < 2; ++row) {
            for (int i = 0; i < length; ++i) {
                boolean real = row == 0 || i < padded;
                String sep = ids.length() == 0 ? "" : ",";
                ids.append(sep).append(real ? (7L * i + 3 + 4L * row) % 100 : 0);
                mask.append(sep).append(real ? 1 : 0);
            }
        }
        String shape = "[2," + length + "]";
        return "{\"inputs\":[{\"shape\":" + shape + ",\"dtype\":\"int64\",\"data\":[" + ids + "]},"
                + "{\"shape\":" + shape + ",\"dtype\":\"int64\",\"data\":[" + mask + "]}]}";
    }

    private static boolean post(HttpClient http, Service s, String body) throws InterruptedException {
        HttpRequest request =
                HttpRequest.newBuilder(URI.create(s.url + "/predict"))
                        .timeout(Duration.ofSeconds(60))
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build();
        try {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 && r.body().startsWith("{\"outputs\":");
        } catch (IOException e) {
            return false;
        }
    }

    /** Runs the clients against one service for a while, adding to its figures. */
    private static void load(HttpClient http, Service s, String body, int clients, double seconds)
            throws InterruptedException {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        AtomicLong failed = new AtomicLong();
        List<List<Long>> times = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(clients);
        long started = System.nanoTime();
        for (int c = 0; c < clients; ++c) {
            List<Long> mine = new ArrayList<>();
            times.add(mine);
            Thread t =
                    new Thread(
                            () -> {
                                try {
                                    while (System.nanoTime() < end) {
                                        long t0 = System.nanoTime();
                                        boolean ok = post(http, s, body);
                                        mine.add(System.nanoTime() - t0);
                                        if (!ok) {
                                            failed.incrementAndGet();
                                        }
                                    }
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                } finally {
                                    done.countDown();
                                }
                            },
                            "load-client-" + c);
            t.start();
        }
        done.await(Math.round(seconds + 120), TimeUnit.SECONDS);
        s.seconds += (System.nanoTime() - started) / 1e9;
        for (List<Long> mine : times) {
            s.latencies.addAll(mine);
            s.requests += mine.size();
        }
        s.failed += failed.get();
    }

    private static final Pattern SDPA_LINE = Pattern.compile("^sdpa_calls_total\\{[^}]*\\} (\\d+)$");

    /** Every SDPA call the service's engine routed, from its /metrics. */
    private static long sdpaCalls(HttpClient http, Service s) throws IOException, InterruptedException {
        HttpResponse<String> r =
                http.send(
                        HttpRequest.newBuilder(URI.create(s.url + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString());
        long total = 0;
        for (String line : r.body().split("\n")) {
            Matcher m = SDPA_LINE.matcher(line);
            if (m.matches()) {
                total += Long.parseLong(m.group(1));
            }
        }
        return total;
    }

    private static double percentile(List<Long> values, double p) {
        long[] sorted = values.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(sorted);
        return sorted.length == 0 ? Double.NaN : sorted[(int) Math.min(sorted.length - 1, p * sorted.length)] / 1e6;
    }

    private static void report(
            Service metal,
            Service pytorch,
            int clients,
            double turn,
            long perForward,
            long routed,
            long pytorchRouted) {
        System.out.printf(
                Locale.ROOT, "%d clients, turns of %.1f s in A B B A order, loopback%n", clients, turn);
        System.out.println("| Engine | Requests | Failed | Throughput (req/s) | p50 (ms) | p99 (ms) |");
        System.out.println("|---|---|---|---|---|---|");
        for (Service s : List.of(metal, pytorch)) {
            System.out.printf(
                    Locale.ROOT,
                    "| %s | %d | %d | %.1f | %.2f | %.2f |%n",
                    s.engine,
                    s.requests,
                    s.failed,
                    s.requests / s.seconds,
                    percentile(s.latencies, 0.5),
                    percentile(s.latencies, 0.99));
        }
        System.out.printf(
                Locale.ROOT,
                "Metal / PyTorch: throughput %.3f, p50 %.3f, p99 %.3f%n",
                (metal.requests / metal.seconds) / (pytorch.requests / pytorch.seconds),
                percentile(metal.latencies, 0.5) / percentile(pytorch.latencies, 0.5),
                percentile(metal.latencies, 0.99) / percentile(pytorch.latencies, 0.99));
        System.out.printf(
                Locale.ROOT,
                "Routing: %d SDPA calls per forward; Metal service routed %d for %d requests (expected %d);"
                        + " PyTorch service routed %d (expected 0)%n",
                perForward,
                routed,
                metal.requests,
                metal.requests * perForward,
                pytorchRouted);
    }
}
