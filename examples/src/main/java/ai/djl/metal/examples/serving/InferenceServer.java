/*
 * DJL Metal engine.
 */
package ai.djl.metal.examples.serving;

import ai.djl.ModelException;
import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.metal.sdpa.SdpaRouter;
import ai.djl.metal.sdpa.SdpaStats;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;

import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An HTTP inference service: loads a TorchScript model with an engine ({@code "Metal"} by default) and serves
 * {@code POST /predict} (JSON tensors in and out, see {@link TensorJson}) concurrently with a pool of
 * predictors, {@code GET /metrics} (Prometheus text: SDPA calls per path and reason, breaker, shadow mode,
 * request latency) and {@code GET /health} (engine, backend, breaker, model).
 *
 * <p>The JDK's own HTTP server: an example needs no web framework, and it keeps the dependencies to DJL's.
 * Arguments, as {@code key=value}: {@code model} (required), {@code engine} (Metal), {@code host}
 * (127.0.0.1), {@code port} (8080; 0 picks a free one), {@code threads} (4: request threads and predictors).
 * It prints {@code listening on http://host:port} once it serves.
 */
public final class InferenceServer implements AutoCloseable {

    private static final int MAX_BODY = 64 << 20;

    private final ZooModel<NDList, NDList> model;
    private final String engine;
    private final BlockingQueue<Predictor<NDList, NDList>> predictors;
    private final HttpServer server;
    private final ExecutorService executor;
    private final RequestStats requests = new RequestStats();

    private InferenceServer(Path modelPath, String engine, String host, int port, int threads)
            throws IOException, ModelException {
        this.engine = engine;
        Criteria<NDList, NDList> criteria =
                Criteria.builder()
                        .setTypes(NDList.class, NDList.class)
                        .optModelPath(modelPath)
                        .optEngine(engine)
                        .optTranslator(new NoopTranslator())
                        .build();
        model = criteria.loadModel();
        predictors = new ArrayBlockingQueue<>(threads);
        for (int i = 0; i < threads; ++i) {
            predictors.add(model.newPredictor());
        }
        server = HttpServer.create(new InetSocketAddress(host, port), 64);
        executor = Executors.newFixedThreadPool(threads);
        server.setExecutor(executor);
        server.createContext("/predict", this::predict);
        server.createContext("/metrics", this::metrics);
        server.createContext("/health", this::health);
        server.start();
    }

    /**
     * Starts serving.
     *
     * @param modelPath the TorchScript model
     * @param engine the engine to load it with
     * @param host the address to bind
     * @param port the port, 0 for a free one
     * @param threads request threads and predictors
     * @return the running service
     * @throws IOException if the model cannot be read or the port not bound
     * @throws ModelException if the model cannot be loaded
     */
    public static InferenceServer start(Path modelPath, String engine, String host, int port, int threads)
            throws IOException, ModelException {
        return new InferenceServer(modelPath, engine, host, port, threads);
    }

    /**
     * Returns where the service listens.
     *
     * @return {@code http://host:port}
     */
    public URI uri() {
        InetSocketAddress bound = server.getAddress();
        return URI.create("http://" + bound.getHostString() + ':' + bound.getPort());
    }

    /**
     * Runs the service until the process is stopped.
     *
     * @param args {@code key=value} arguments, see the class description
     * @throws IOException if the model cannot be read or the port not bound
     * @throws ModelException if the model cannot be loaded
     */
    public static void main(String[] args) throws IOException, ModelException {
        Map<String, String> a = keyValues(args, USAGE);
        InferenceServer s =
                start(
                        Path.of(a.get("model")),
                        a.getOrDefault("engine", "Metal"),
                        a.getOrDefault("host", "127.0.0.1"),
                        Integer.parseInt(a.getOrDefault("port", "8080")),
                        Integer.parseInt(a.getOrDefault("threads", "4")));
        Runtime.getRuntime().addShutdownHook(new Thread(s::close, "inference-server-stop"));
        System.out.println("listening on " + s.uri() + " (engine " + s.engine + ')');
    }

    private static final String USAGE =
            "InferenceServer model=<file.pt> [engine=Metal] [host=127.0.0.1] [port=8080] [threads=4]";

    /**
     * Reads {@code key=value} arguments, and requires {@code model=} to name a file; else prints why and the
     * usage, and exits with 2.
     */
    static Map<String, String> keyValues(String[] args, String usage) {
        Map<String, String> a = new HashMap<>();
        String why = null;
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq <= 0) {
                why = "not key=value: " + arg;
            } else {
                a.put(arg.substring(0, eq), arg.substring(eq + 1));
            }
        }
        if (why == null && (!a.containsKey("model") || !Files.isRegularFile(Path.of(a.get("model"))))) {
            why = "model=<TorchScript file> is required and must exist";
        }
        if (why != null) {
            System.err.println(why + "\nusage: " + usage);
            System.exit(2);
        }
        return a;
    }

    private void predict(HttpExchange x) throws IOException {
        long start = System.nanoTime();
        int status;
        String body;
        String type = "application/json";
        try {
            if (!"POST".equals(x.getRequestMethod())) {
                status = 405;
                body = error("POST a JSON body to /predict");
            } else {
                byte[] request = readBody(x.getRequestBody());
                if (request == null) {
                    status = 413;
                    body = error("the body is over " + MAX_BODY + " bytes");
                } else {
                    status = 200;
                    body = run(new String(request, StandardCharsets.UTF_8));
                }
            }
        } catch (TensorJson.BadRequest e) {
            status = 400;
            body = error(e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            status = 503;
            body = error("the server is stopping");
        } catch (RuntimeException | ai.djl.translate.TranslateException e) {
            // The model refused the input (wrong rank, dtype, sizes) or failed on it: the client gets why.
            status = 422;
            body = error("the model could not run on this input: " + rootMessage(e));
        }
        respond(x, status, type, body);
        requests.record(status, System.nanoTime() - start);
    }

    private String run(String json)
            throws TensorJson.BadRequest, InterruptedException, ai.djl.translate.TranslateException {
        Predictor<NDList, NDList> predictor = predictors.take();
        try (NDManager manager = model.getNDManager().newSubManager()) {
            NDList inputs = TensorJson.parse(json, manager);
            return TensorJson.write(predictor.predict(inputs));
        } finally {
            predictors.add(predictor);
        }
    }

    private void metrics(HttpExchange x) throws IOException {
        StringBuilder sb = new StringBuilder();
        SdpaPrometheus.append(sb, SdpaStats.snapshot());
        requests.appendPrometheus(sb);
        respond(x, 200, "text/plain; version=0.0.4; charset=utf-8", sb.toString());
    }

    private void health(HttpExchange x) throws IOException {
        JsonObject o = new JsonObject();
        o.addProperty("status", "ok");
        o.addProperty("engine", engine);
        boolean metal = "Metal".equals(engine);
        o.addProperty("engine_version", Engine.getEngine(engine).getVersion());
        o.addProperty("sdpa_mode", metal ? SdpaRouter.getMode().name().toLowerCase(Locale.ROOT) : "absent");
        o.addProperty("backend", metal ? SdpaRouter.getBackend().id() : "none");
        o.addProperty("breaker", SdpaStats.snapshot().isNativeSuspended() ? "suspended" : "closed");
        o.addProperty("model", model.getName());
        o.addProperty("model_loaded", true);
        respond(x, 200, "application/json", o.toString());
    }

    private static byte[] readBody(InputStream in) throws IOException {
        byte[] bytes = in.readNBytes(MAX_BODY + 1);
        return bytes.length > MAX_BODY ? null : bytes;
    }

    private static void respond(HttpExchange x, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", type);
        x.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static String error(String message) {
        JsonObject o = new JsonObject();
        o.addProperty("error", message);
        return o.toString();
    }

    private static String rootMessage(Throwable t) {
        String message = t.getMessage();
        for (Throwable c = t.getCause(); c != null; c = c.getCause()) {
            if (c.getMessage() != null) {
                message = c.getMessage();
            }
        }
        if (message == null) {
            return t.getClass().getSimpleName();
        }
        // A TorchScript error is a traceback whose last line is PyTorch's own ("RuntimeError: ...").
        return message.lines().filter(l -> !l.isBlank()).reduce((first, second) -> second).orElse(message).trim();
    }

    /** Stops serving, then closes the predictors and the model. */
    @Override
    public void close() {
        server.stop(1);
        executor.shutdown();
        for (Predictor<NDList, NDList> p : predictors) {
            p.close();
        }
        model.close();
    }
}
