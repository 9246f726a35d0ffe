/*
 * DJL Metal engine.
 */
package ai.djl.metal.examples;

import ai.djl.Device;
import ai.djl.ModelException;
import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Interception overhead: the same workloads on DJL's plain PyTorch engine and on the Metal engine,
 * measured side by side in one run and reported as ratios.
 *
 * <p>The SDPA override is process-wide, so each measurement runs in a fresh child JVM (same class path);
 * rounds alternate the engines (ABBA order) so that drift of the machine affects both alike. Each child
 * warms up, then times batches of calls and reports the median batch; the parent reports, per engine, the
 * median over rounds.
 *
 * <p>Workloads: (a) one SDPA call, B=1, H=8, L=128, D=64, float32 (a TorchScript module with the single
 * call); (b) one forward of a transformer (default {@code bert_padded}, ids and mask {@code [2, 16]}).
 *
 * <p>Arguments: the transformer {@code .pt}, then optionally {@code rounds=N} (default 6) and {@code
 * seconds=S} per child measurement (default 3).
 */
public final class SdpaBenchmark {

    private static final String[] ENGINES = {"PyTorch", "Metal"};

    private SdpaBenchmark() {}

    /**
     * Runs the benchmark, or one measurement when called as a worker.
     *
     * @param args see the class description
     * @throws Exception if a child fails
     */
    public static void main(String[] args) throws Exception {
        if (args.length > 0 && "--worker".equals(args[0])) {
            worker(args);
            return;
        }
        if (args.length < 1 || !Files.isRegularFile(Path.of(args[0]))) {
            System.err.println("usage: SdpaBenchmark <transformer.pt> [rounds=N] [seconds=S]");
            System.exit(2);
        }
        int rounds = 6;
        double seconds = 3;
        for (String a : Arrays.asList(args).subList(1, args.length)) {
            if (a.startsWith("rounds=")) {
                rounds = Integer.parseInt(a.substring(7));
            } else if (a.startsWith("seconds=")) {
                seconds = Double.parseDouble(a.substring(8));
            }
        }
        Path dir = Files.createTempDirectory("sdpa-benchmark");
        Path sdpaModule = writeSdpaModule(dir);
        String[][] workloads = {
            {"(a) SDPA B=1 H=8 L=128 D=64 f32", "sdpa", sdpaModule.toString()},
            {"(b) transformer forward " + Path.of(args[0]).getFileName(), "model", args[0]}
        };
        System.out.printf(
                Locale.ROOT,
                "Interception overhead, %d rounds x %.1f s per engine, %d cores%n",
                rounds,
                seconds,
                Runtime.getRuntime().availableProcessors());
        for (String[] w : workloads) {
            List<Double> plain = new ArrayList<>();
            List<Double> metal = new ArrayList<>();
            for (int r = 0; r < rounds; ++r) {
                boolean plainFirst = r % 2 == 0;
                for (int i = 0; i < 2; ++i) {
                    String engine = ENGINES[plainFirst ? i : 1 - i];
                    double ns = measure(engine, w[1], w[2], seconds, dir);
                    ("PyTorch".equals(engine) ? plain : metal).add(ns);
                }
            }
            double p = median(plain);
            double m = median(metal);
            System.out.printf(
                    Locale.ROOT,
                    "%-45s PyTorch %9.1f us  Metal %9.1f us  ratio %.4f  (overhead %+.2f%%)%n",
                    w[0],
                    p / 1e3,
                    m / 1e3,
                    m / p,
                    (m / p - 1) * 100);
            System.out.printf(
                    Locale.ROOT,
                    "    per-round us: PyTorch %s%n    per-round us: Metal   %s%n",
                    format(plain),
                    format(metal));
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

    private static double measure(String engine, String kind, String model, double seconds, Path dir)
            throws IOException, InterruptedException {
        Path out = dir.resolve("result.txt");
        Files.deleteIfExists(out);
        List<String> cmd =
                new ArrayList<>(
                        List.of(
                                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                                "-cp",
                                System.getProperty("java.class.path"),
                                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                                "-Dorg.slf4j.simpleLogger.log.ai.djl.metal.sdpa=error",
                                SdpaBenchmark.class.getName(),
                                "--worker",
                                engine,
                                kind,
                                model,
                                Double.toString(seconds),
                                out.toString()));
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("benchmark worker failed: " + String.join(" ", cmd));
        }
        return Double.parseDouble(Files.readString(out).trim());
    }

    private static void worker(String[] args)
            throws IOException, ModelException, TranslateException {
        String engine = args[1];
        String kind = args[2];
        Path model = Path.of(args[3]);
        double seconds = Double.parseDouble(args[4]);
        Path out = Path.of(args[5]);
        Criteria<NDList, NDList> criteria =
                Criteria.builder()
                        .setTypes(NDList.class, NDList.class)
                        .optModelPath(model)
                        .optEngine(engine)
                        .optDevice(Device.cpu())
                        .optTranslator(new NoopTranslator())
                        .build();
        try (ZooModel<NDList, NDList> zoo = criteria.loadModel();
                Predictor<NDList, NDList> predictor = zoo.newPredictor();
                NDManager manager = NDManager.newBaseManager(engine)) {
            Engine.getEngine(engine).setRandomSeed(1);
            NDList inputs = "sdpa".equals(kind) ? sdpaInputs(manager) : modelInputs(manager);
            // Warm-up: JIT, libtorch's first-call profiling and the override's one-time logging.
            long warmEnd = System.nanoTime() + (long) (seconds * 0.3e9);
            int batch = 0;
            while (System.nanoTime() < warmEnd) {
                predictor.predict(inputs).close();
                ++batch;
            }
            batch = Math.max(1, batch / 10);
            List<Double> perCall = new ArrayList<>();
            long end = System.nanoTime() + (long) (seconds * 1e9);
            while (System.nanoTime() < end || perCall.size() < 5) {
                long t0 = System.nanoTime();
                for (int i = 0; i < batch; ++i) {
                    predictor.predict(inputs).close();
                }
                perCall.add((System.nanoTime() - t0) / (double) batch);
            }
            Files.writeString(out, Double.toString(median(perCall)));
        }
    }

    private static NDList sdpaInputs(NDManager manager) {
        Shape shape = new Shape(1, 8, 128, 64);
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

    private static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static String format(List<Double> ns) {
        StringBuilder sb = new StringBuilder();
        for (double x : ns) {
            sb.append(String.format(Locale.ROOT, "%9.1f", x / 1e3));
        }
        return sb.toString();
    }
}
