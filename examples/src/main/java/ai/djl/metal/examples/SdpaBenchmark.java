/*
 * DJL Metal engine.
 */
package ai.djl.metal.examples;

import ai.djl.Device;
import ai.djl.ModelException;
import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.metal.sdpa.SdpaStats;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Interception overhead: the same workloads on DJL's plain PyTorch engine and on the Metal engine,
 * measured side by side in one run and reported as ratios.
 *
 * <p>The SDPA override is process-wide, so each engine runs in its own child JVM (same class path). Both
 * children stay alive and warm; the parent has them run short bursts of calls in turn (ABBA order), many
 * times, so that drift of a shared machine affects both alike. Each child uses one intra-op thread (an
 * idle child's spinning OpenMP pool would otherwise take the cores from the other's burst) and times its
 * bursts in the CPU time of that thread. Reported: per engine the median burst time per call, their
 * difference, and the median and quartiles of the ratio Metal / PyTorch of adjacent bursts.
 *
 * <p>Workloads: (a) one SDPA call, B=1, H=8, L=128, D=64, float32 (a TorchScript module with the single
 * call); (b) one forward of a transformer (default {@code bert_padded}, ids and mask {@code [2, 16]});
 * (c) 32 chained SDPA calls on tiny inputs, whose difference per call is the cost of routing one call
 * (a shared machine's noise is far larger than that cost in (a) and (b), so (c) measures it directly);
 * (d) shadow mode's cost: (a)'s call running natively (on a Mac the Metal backend, elsewhere the simulator),
 * Metal engine with {@code ai.djl.metal.shadow=1} against the same with 0.
 *
 * <p>Arguments: the transformer {@code .pt}, then optionally {@code rounds=N} (default 60) and {@code
 * seconds=S}, the length of one burst (default 0.25).
 */
public final class SdpaBenchmark {

    private static final int CHAIN = 32;

    private SdpaBenchmark() {}

    /**
     * Runs the benchmark, or serves bursts when called as a worker.
     *
     * @param args see the class description
     * @throws Exception if a child fails
     */
    public static void main(String[] args) throws Exception {
        if (args.length > 0 && "--worker".equals(args[0])) {
            worker(args[1], args[2], Path.of(args[3]));
            return;
        }
        if (args.length < 1 || !Files.isRegularFile(Path.of(args[0]))) {
            System.err.println("usage: SdpaBenchmark <transformer.pt> [rounds=N] [seconds=S]");
            System.exit(2);
        }
        int rounds = 60;
        double seconds = 0.25;
        for (String a : Arrays.asList(args).subList(1, args.length)) {
            if (a.startsWith("rounds=")) {
                rounds = Integer.parseInt(a.substring(7));
            } else if (a.startsWith("seconds=")) {
                seconds = Double.parseDouble(a.substring(8));
            }
        }
        Path dir = Files.createTempDirectory("sdpa-benchmark");
        String sdpa = writeSdpaModule(dir).toString();
        String backend = System.getProperty("os.name").startsWith("Mac") ? "metal" : "simulator";
        String[][] workloads = {
            {"(a) SDPA B=1 H=8 L=128 D=64 f32", "sdpa", sdpa},
            {"(b) transformer forward " + Path.of(args[0]).getFileName(), "model", args[0]},
            {"(c) 32 chained tiny SDPA calls (per call)", "tiny", writeChainModule(dir).toString()},
            {"(d) (a) on the " + backend + ", shadow mode", "shadow", sdpa}
        };
        System.out.printf(
                Locale.ROOT,
                "Interception overhead: %d rounds of %.2f s bursts per engine (ABBA), %d cores%n",
                rounds,
                seconds,
                Runtime.getRuntime().availableProcessors());
        // (d) compares the Metal engine with itself: native calls without, then with, shadow mode.
        List<String> native0 = List.of("-Dai.djl.metal.backend=" + backend, "-Dai.djl.metal.cpu_min_flops=0");
        List<String> native1 = new ArrayList<>(native0);
        native1.add("-Dai.djl.metal.shadow=1");
        for (String[] w : workloads) {
            boolean shadow = "shadow".equals(w[1]);
            try (Worker plain = shadow ? new Worker("Metal", w[1], w[2], native0) : new Worker("PyTorch", w[1], w[2], List.of());
                    Worker metal = new Worker("Metal", w[1], w[2], shadow ? native1 : List.of())) {
                // Calibrate the burst size on the plain engine, then warm both up.
                long perBurst = Math.max(1, (long) (seconds * 1e9 / plain.run(50)));
                plain.run(perBurst * 4);
                metal.run(perBurst * 4);
                List<Double> p = new ArrayList<>();
                List<Double> m = new ArrayList<>();
                List<Double> ratios = new ArrayList<>();
                List<Double> checks = new ArrayList<>();
                for (int r = 0; r < rounds; ++r) {
                    double a;
                    double b;
                    if (r % 2 == 0) {
                        a = plain.run(perBurst);
                        b = metal.run(perBurst);
                    } else {
                        b = metal.run(perBurst);
                        a = plain.run(perBurst);
                    }
                    p.add(a);
                    m.add(b);
                    checks.add(metal.shadowNanos);
                    ratios.add(b / a);
                }
                double scale = "tiny".equals(w[1]) ? CHAIN : 1;
                p.replaceAll(x -> x / scale);
                m.replaceAll(x -> x / scale);
                double[] q = quartiles(ratios);
                System.out.printf(
                        Locale.ROOT,
                        "%-42s %s %8.1f us  %s %8.1f us (%+.1f us)  ratio %.4f (quartiles"
                                + " %.4f..%.4f), overhead %+.2f%%%n",
                        w[0],
                        shadow ? "shadow off" : "PyTorch",
                        quartiles(p)[1] / 1e3,
                        shadow ? "shadow on" : "Metal",
                        quartiles(m)[1] / 1e3,
                        (quartiles(m)[1] - quartiles(p)[1]) / 1e3,
                        q[1],
                        q[0],
                        q[2],
                        (q[1] - 1) * 100);
                if (shadow) {
                    System.out.printf(
                            Locale.ROOT,
                            "%-42s the checks took %.1f us per call (SdpaStats.getShadowTime)%n",
                            "",
                            quartiles(checks)[1] / 1e3);
                }
            }
        }
    }

    private static Path writeSdpaModule(Path dir) throws IOException {
        return TorchScriptFile.write(
                dir.resolve("sdpa.pt"),
                "q: Tensor, k: Tensor, v: Tensor",
                "Tensor",
                List.of(
                        "return torch.scaled_dot_product_attention(q, k, v, None, 0., False,"
                                + " scale=None, enable_gqa=False)"));
    }

    // 32 SDPA calls on [1, 1, 4, 8] inputs: almost nothing but the per-call cost of routing a call.
    private static Path writeChainModule(Path dir) throws IOException {
        List<String> body = new ArrayList<>();
        body.add("x = q");
        for (int i = 0; i < CHAIN; ++i) {
            body.add(
                    "x = torch.scaled_dot_product_attention(x, k, v, None, 0., False, scale=None,"
                            + " enable_gqa=False)");
        }
        body.add("return x");
        return TorchScriptFile.write(dir.resolve("chain.pt"), "q: Tensor, k: Tensor, v: Tensor", "Tensor", body);
    }

    /** A child JVM running one engine, serving bursts: "N" on stdin, nanoseconds per call on stdout. */
    private static final class Worker implements AutoCloseable {
        private final ChildJvm child;

        Worker(String engine, String kind, String model, List<String> settings) throws IOException {
            List<String> args = new ArrayList<>();
            args.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
            args.add("-Dorg.slf4j.simpleLogger.log.ai.djl.metal.sdpa=error");
            // One intra-op thread: an idle child's spinning OpenMP pool would otherwise steal the cores from the
            // other child's burst.
            args.add("-Dai.djl.pytorch.num_threads=1");
            args.addAll(settings);
            args.addAll(List.of(SdpaBenchmark.class.getName(), "--worker", engine, kind, model));
            child = new ChildJvm(args);
        }

        /** Nanoseconds of shadow checks per call in the last burst (from the stats). */
        double shadowNanos;

        double run(long calls) throws IOException {
            String[] reply = child.request(Long.toString(calls), 600).split(" ");
            shadowNanos = Double.parseDouble(reply[1]);
            return Double.parseDouble(reply[0]);
        }

        @Override
        public void close() {
            child.close();
        }
    }

    private static void worker(String engine, String kind, Path model)
            throws IOException, ModelException, TranslateException {
        Criteria<NDList, NDList> criteria =
                Criteria.builder()
                        .setTypes(NDList.class, NDList.class)
                        .optModelPath(model)
                        .optEngine(engine)
                        .optDevice(Device.cpu())
                        .optTranslator(new NoopTranslator())
                        .build();
        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (ZooModel<NDList, NDList> zoo = criteria.loadModel();
                Predictor<NDList, NDList> predictor = zoo.newPredictor();
                NDManager manager = NDManager.newBaseManager(engine)) {
            Engine.getEngine(engine).setRandomSeed(1);
            NDList inputs =
                    "model".equals(kind)
                            ? modelInputs(manager)
                            : sdpaInputs(manager, "tiny".equals(kind) ? new Shape(1, 1, 4, 8) : new Shape(1, 8, 128, 64));
            // CPU time of this thread (all the work, with one intra-op thread): time the machine gives to
            // other tenants does not count.
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            for (String line; (line = commands.readLine()) != null; ) {
                long calls = Long.parseLong(line.trim());
                SdpaStats before = SdpaStats.snapshot();
                long t0 = threads.getCurrentThreadCpuTime();
                for (long i = 0; i < calls; ++i) {
                    predictor.predict(inputs).close();
                }
                double nanos = (threads.getCurrentThreadCpuTime() - t0) / (double) calls;
                SdpaStats burst = SdpaStats.snapshot().since(before);
                if ("shadow".equals(kind) && burst.getNativeCalls() != calls) {
                    throw new IllegalStateException("(d) needs every call to run natively: " + burst);
                }
                System.out.println(ChildJvm.REPLY + nanos + " " + burst.getShadowTime().toNanos() / (double) calls);
                System.out.flush();
            }
        }
    }

    private static NDList sdpaInputs(NDManager manager, Shape shape) {
        return new NDList(
                manager.randomNormal(shape), manager.randomNormal(shape), manager.randomNormal(shape));
    }

    private static NDList modelInputs(NDManager manager) {
        long[] ids = new long[32];
        long[] mask = new long[32];
        for (int i = 0; i < 16; ++i) {
            ids[i] = (7L * i + 3) % 100;
            ids[16 + i] = i < 11 ? (11L * i + 5) % 100 : 0;
            mask[i] = 1;
            mask[16 + i] = i < 11 ? 1 : 0;
        }
        return new NDList(
                manager.create(ids, new Shape(2, 16)), manager.create(mask, new Shape(2, 16)));
    }

    private static double[] quartiles(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return new double[] {v[v.length / 4], v[v.length / 2], v[(3 * v.length) / 4]};
    }
}
