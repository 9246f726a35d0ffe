/*
 * DJL Metal engine.
 */
package ai.djl.metal.examples;

import ai.djl.Device;
import ai.djl.metal.sdpa.Attention;
import ai.djl.metal.sdpa.AttentionOptions;
import ai.djl.metal.sdpa.Backend;
import ai.djl.metal.sdpa.FloatType;
import ai.djl.metal.sdpa.SdpaRouter;
import ai.djl.metal.sdpa.SdpaStats;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Metal SDPA against PyTorch's CPU and MPS SDPA on this Mac, side by side in one run, written to one report
 * (Markdown, with the figures again as JSON at its end) for Mac users to attach to an issue.
 *
 * <p>The SDPA override is process-wide, so warm child JVMs serve the calls: "pytorch" (the Metal engine
 * with {@code ai.djl.metal.sdpa=off}: PyTorch's own SDPA), "metal" ({@code sdpa=native}, backend {@code
 * metal}, no small-call threshold: every call on the Metal kernels, or an error naming why not), and "shadow"
 * (the same with {@code ai.djl.metal.shadow=1}: every call also checked against PyTorch's, on CPU tensors only,
 * which is all shadow mode checks). For every case and tensor device (CPU, MPS) they are measured one after the
 * other, the order rotating, and the
 * whole list runs twice, the second time backwards, so drift affects both alike; each figure is the median
 * per-call wall time of five timed groups after a warm-up call, MPS work synchronised at the end of each
 * group. For the Metal backend on CPU tensors the GPU time of its command buffers (from their GPU
 * timestamps) is reported too, and for every case the kernel build time its first call paid.
 *
 * <p>Cases: prefill over L 128-8192, D 64-256, the three dtypes, causal or not, batches with padding masks,
 * grouped-query heads; decode with 1-8 query rows over 1K-32K keys; and small CPU calls, whose crossover
 * gives the Metal backend's small-call threshold ({@code ai.djl.metal.cpu_min_flops}). PyTorch's CPU SDPA is
 * skipped where its estimated time per call exceeds {@code cpu_max_seconds}.
 *
 * <p>Arguments (all optional): {@code out=DIR} (default target/apple-silicon-benchmark), {@code quick=true}
 * (a handful of small cases, for checking the benchmark itself), {@code budget_ms=N} (per measurement,
 * default 400), {@code cpu_max_seconds=S} (default 2).
 */
public final class AppleSiliconBenchmark {

    private static final int GROUPS = 5;

    private AppleSiliconBenchmark() {}

    /** One SDPA call shape. */
    static final class Case {
        final String group;
        final int batch;
        final int headsQ;
        final int headsKv;
        final int lenQ;
        final int lenK;
        final int headDim;
        final String dtype;
        final boolean causal;
        final String mask; // none, padding_bool, padding_additive

        Case(String group, int b, int hq, int hkv, int lq, int lk, int d, String dtype, boolean causal, String mask) {
            this.group = group;
            this.batch = b;
            this.headsQ = hq;
            this.headsKv = hkv;
            this.lenQ = lq;
            this.lenK = lk;
            this.headDim = d;
            this.dtype = dtype;
            this.causal = causal;
            this.mask = mask;
        }

        static Case parse(String spec) {
            String[] p = spec.split(",");
            return new Case(
                    p[0],
                    Integer.parseInt(p[1]),
                    Integer.parseInt(p[2]),
                    Integer.parseInt(p[3]),
                    Integer.parseInt(p[4]),
                    Integer.parseInt(p[5]),
                    Integer.parseInt(p[6]),
                    p[7],
                    Boolean.parseBoolean(p[8]),
                    p[9]);
        }

        String spec() {
            return String.join(
                    ",",
                    group,
                    Integer.toString(batch),
                    Integer.toString(headsQ),
                    Integer.toString(headsKv),
                    Integer.toString(lenQ),
                    Integer.toString(lenK),
                    Integer.toString(headDim),
                    dtype,
                    Boolean.toString(causal),
                    mask);
        }

        String describe() {
            return String.format(
                    Locale.ROOT,
                    "B%d H%d/%d Lq%d Lk%d D%d %s%s%s",
                    batch,
                    headsQ,
                    headsKv,
                    lenQ,
                    lenK,
                    headDim,
                    dtype,
                    causal ? " causal" : "",
                    "none".equals(mask) ? "" : " " + mask);
        }

        // Multiply-adds of QK^T and PV for the keys each query row attends (PyTorch's causal mask is
        // top-left aligned), two FLOPs each.
        double flops() {
            double attended = 0;
            for (int i = 0; i < lenQ; ++i) {
                attended += causal ? Math.min(i + 1, lenK) : lenK;
            }
            return 4.0 * batch * headsQ * headDim * attended;
        }

        // The least memory a call must move: Q and O, K and V once, and the mask.
        double bytes() {
            int element = "float32".equals(dtype) ? 4 : 2;
            double tensors = (2.0 * batch * headsQ * lenQ + 2.0 * batch * headsKv * lenK) * headDim * element;
            double maskBytes =
                    "padding_bool".equals(mask) ? batch * lenK : "padding_additive".equals(mask) ? batch * lenK * element : 0;
            return tensors + maskBytes;
        }
    }

    /** What one engine measured for one case on one device. */
    static final class Measurement {
        String error;
        double firstMs;
        double ms;
        double gpuMs = -1;
        double buildMs;
        int calls;
        // Shadow mode: the time its checks took per call, and the calls it found divergent.
        double shadowMs = -1;
        long divergent;

        static Measurement parse(String line) {
            try {
                return read(line);
            } catch (RuntimeException e) {
                return failed("unreadable answer from the worker: " + line);
            }
        }

        private static Measurement read(String line) {
            Measurement m = new Measurement();
            if (line.startsWith("error ")) {
                m.error = line.substring(6);
                return m;
            }
            Map<String, String> kv = new HashMap<>();
            for (String part : line.split(" ")) {
                int eq = part.indexOf('=');
                if (eq > 0) {
                    kv.put(part.substring(0, eq), part.substring(eq + 1));
                }
            }
            m.firstMs = Double.parseDouble(kv.get("first_ms"));
            m.ms = Double.parseDouble(kv.get("ms"));
            m.gpuMs = Double.parseDouble(kv.get("gpu_ms"));
            m.buildMs = Double.parseDouble(kv.get("build_ms"));
            m.calls = Integer.parseInt(kv.get("calls"));
            if (kv.containsKey("shadow_ms")) {
                m.shadowMs = Double.parseDouble(kv.get("shadow_ms"));
                m.divergent = Long.parseLong(kv.get("divergent"));
            }
            return m;
        }

        static Measurement skipped(String why) {
            return failed("skipped: " + why);
        }

        static Measurement failed(String why) {
            Measurement m = new Measurement();
            m.error = why;
            return m;
        }

        // Two passes of one measurement: the lower time (drift and interference only ever add time), the
        // first call's figures from the first pass, whose first call built the kernels.
        static Measurement merge(Measurement first, Measurement second) {
            if (first.error != null) {
                return second.error == null || first.error.startsWith("skipped") ? second : first;
            }
            if (second.error == null) {
                first.ms = Math.min(first.ms, second.ms);
                if (second.gpuMs > 0) {
                    first.gpuMs = first.gpuMs > 0 ? Math.min(first.gpuMs, second.gpuMs) : second.gpuMs;
                }
                if (second.shadowMs >= 0) {
                    first.shadowMs = Math.min(first.shadowMs, second.shadowMs);
                }
                first.divergent += second.divergent;
                first.calls += second.calls;
            }
            return first;
        }
    }

    /**
     * Runs the benchmark, or serves measurements when called as a worker.
     *
     * @param args see the class description
     * @throws Exception if a worker fails
     */
    public static void main(String[] args) throws Exception {
        if (args.length > 1 && "--worker".equals(args[0])) {
            worker("shadow".equals(args[1]));
            return;
        }
        Map<String, String> options = new HashMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            if (eq <= 0) {
                System.err.println("usage: AppleSiliconBenchmark [out=DIR] [quick=true] [budget_ms=N] [cpu_max_seconds=S]");
                System.exit(2);
            }
            options.put(a.substring(0, eq), a.substring(eq + 1));
        }
        boolean quick = Boolean.parseBoolean(options.getOrDefault("quick", "false"));
        long budgetMs = Long.parseLong(options.getOrDefault("budget_ms", quick ? "30" : "400"));
        double cpuMaxSeconds = Double.parseDouble(options.getOrDefault("cpu_max_seconds", "2"));
        Path out = Path.of(options.getOrDefault("out", "target/apple-silicon-benchmark"));
        Files.createDirectories(out);

        AppleChip chip = AppleChip.detect();
        List<Case> cases = quick ? quickCases() : fullCases();
        Map<String, Measurement> results = new LinkedHashMap<>();
        Map<String, Worker> workers = new HashMap<>();
        String metalStatus = "";
        boolean complete = false;
        try {
            workers.put("pytorch", new Worker("pytorch"));
            workers.put("metal", new Worker("metal"));
            workers.put("shadow", new Worker("shadow"));
            metalStatus = workers.get("metal").status;
            System.out.println("Chip: " + chip.describe());
            System.out.println("Metal engine: " + metalStatus);
            if (!metalStatus.contains("backend metal")) {
                System.err.println("The Metal backend did not start, so there is nothing to measure: " + metalStatus);
                System.exit(1);
            }
            // PyTorch's CPU throughput on the largest case measured so far, per dtype: what predicts a big one.
            Map<String, double[]> cpuRate = new HashMap<>();
            int passes = quick ? 1 : 2;
            for (int pass = 0; pass < passes; ++pass) {
                List<Case> order = new ArrayList<>(cases);
                if (pass == 1) {
                    Collections.reverse(order);
                }
                for (int i = 0; i < order.size(); ++i) {
                    Case c = order.get(i);
                    for (String device : devices(c)) {
                        List<String> engines = engines(c, device);
                        // Which engine goes first rotates by case, and shifts in the second pass.
                        Collections.rotate(engines, cases.indexOf(c) + pass);
                        for (String engine : engines) {
                            String why = skip(engine, device, c, chip, cpuRate, cpuMaxSeconds);
                            Measurement m;
                            if (why != null) {
                                m = Measurement.skipped(why);
                            } else {
                                try {
                                    m = workers.get(engine).measure(c, device, budgetMs);
                                } catch (IOException e) {
                                    // The worker died or hung on this call: note it and carry on with a new one.
                                    m = Measurement.failed("the " + engine + " worker failed: " + e.getMessage());
                                    workers.remove(engine).close();
                                    workers.put(engine, new Worker(engine));
                                }
                            }
                            if ("pytorch".equals(engine) && "cpu".equals(device) && m.error == null && m.ms > 0) {
                                double[] known = cpuRate.get(c.dtype);
                                if (known == null || c.flops() >= known[0]) {
                                    cpuRate.put(c.dtype, new double[] {c.flops(), c.flops() / (m.ms * 1e-3)});
                                }
                            }
                            results.merge(key(engine, device, c), m, Measurement::merge);
                        }
                    }
                    System.out.printf(Locale.ROOT, "pass %d: %d/%d %s%n", pass + 1, i + 1, order.size(), c.describe());
                }
            }
            complete = true;
        } finally {
            for (Worker w : workers.values()) {
                w.close();
            }
            // Whatever was measured is reported, also when the run ends early.
            String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
            Path report = out.resolve("apple-silicon-benchmark-" + stamp + ".md");
            Files.writeString(report, AppleSiliconReport.write(chip, metalStatus, cases, results, quick, complete));
            System.out.println("Report: " + report.toAbsolutePath());
            System.out.println("Please attach it to an issue (README, Apple Silicon).");
        }
    }

    // Why a measurement is not even tried: PyTorch's CPU SDPA (shadow mode runs it too) where it would take too
    // long, PyTorch's MPS SDPA where its math kernel's attention weights (B x Hq x Lq x Lk floats) would not fit
    // comfortably in memory.
    private static String skip(
            String engine, String device, Case c, AppleChip chip, Map<String, double[]> cpuRate, double cpuMaxSeconds) {
        if ("metal".equals(engine)) {
            return null;
        }
        if ("cpu".equals(device)) {
            double[] rate = cpuRate.get(c.dtype);
            double seconds = c.flops() / (rate == null ? 10e9 : rate[1]);
            return seconds > cpuMaxSeconds
                    ? String.format(Locale.ROOT, "estimated %.1f s per call on the CPU", seconds)
                    : null;
        }
        double weights = 4.0 * c.batch * c.headsQ * c.lenQ * c.lenK;
        return chip.memoryBytes > 0 && weights > chip.memoryBytes / 4.0
                ? String.format(Locale.ROOT, "PyTorch's MPS math kernel would hold %.1f GB of weights", weights / 1e9)
                : null;
    }

    static String key(String engine, String device, Case c) {
        return engine + "|" + device + "|" + c.spec();
    }

    // Shadow mode checks calls on CPU tensors; the threshold cases are about small calls, not checks.
    static List<String> engines(Case c, String device) {
        List<String> engines = new ArrayList<>(List.of("pytorch", "metal"));
        if ("cpu".equals(device) && !"threshold".equals(c.group)) {
            engines.add("shadow");
        }
        return engines;
    }

    static List<String> devices(Case c) {
        return "threshold".equals(c.group) ? List.of("cpu") : List.of("cpu", "mps");
    }

    static List<Case> quickCases() {
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("prefill", 1, 2, 2, 64, 64, 64, "float32", false, "none"));
        cases.add(new Case("prefill", 1, 2, 2, 64, 64, 64, "float16", true, "none"));
        cases.add(new Case("padding", 2, 2, 2, 32, 32, 64, "float32", false, "padding_bool"));
        cases.add(new Case("decode", 1, 4, 2, 1, 128, 64, "float32", false, "none"));
        cases.add(new Case("threshold", 1, 2, 2, 8, 8, 64, "float32", false, "none"));
        cases.add(new Case("threshold", 1, 2, 2, 32, 32, 64, "float32", false, "none"));
        return cases;
    }

    static List<Case> fullCases() {
        List<Case> cases = new ArrayList<>();
        for (String dtype : new String[] {"float16", "bfloat16", "float32"}) {
            for (boolean causal : new boolean[] {false, true}) {
                for (int l : new int[] {128, 512, 1024, 2048, 4096, 8192}) {
                    cases.add(new Case("prefill", 1, 16, 16, l, l, 128, dtype, causal, "none"));
                }
            }
        }
        for (int d : new int[] {64, 80, 96, 128, 256}) {
            for (String dtype : new String[] {"float16", "float32"}) {
                cases.add(new Case("head_dim", 1, 16, 16, 1024, 1024, d, dtype, false, "none"));
            }
        }
        for (int l : new int[] {1024, 4096}) {
            for (String dtype : new String[] {"float16", "bfloat16"}) {
                cases.add(new Case("gqa", 1, 32, 8, l, l, 128, dtype, true, "none"));
            }
        }
        for (int l : new int[] {512, 2048}) {
            for (String mask : new String[] {"padding_bool", "padding_additive"}) {
                cases.add(new Case("padding", 4, 16, 16, l, l, 64, "float16", false, mask));
            }
        }
        for (int lq : new int[] {1, 4, 8}) {
            for (int lk : new int[] {1024, 4096, 16384, 32768}) {
                cases.add(new Case("decode", 1, 32, 8, lq, lk, 128, "float16", false, "none"));
            }
        }
        cases.add(new Case("decode", 1, 32, 32, 1, 8192, 128, "float16", false, "none"));
        cases.add(new Case("decode", 4, 32, 8, 1, 8192, 128, "bfloat16", false, "none"));
        for (int l : new int[] {4, 8, 16, 32, 48, 64, 96, 128, 192, 256, 384, 512}) {
            cases.add(new Case("threshold", 1, 8, 8, l, l, 64, "float32", false, "none"));
        }
        return cases;
    }

    /** A child JVM serving measurements: "case spec, device, budget" on stdin, one result line on stdout. */
    private static final class Worker implements AutoCloseable {
        private final ChildJvm child;
        final String status;

        Worker(String engine) throws IOException {
            List<String> args = new ArrayList<>();
            args.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
            args.add("-Dorg.slf4j.simpleLogger.log.ai.djl.metal.sdpa=error");
            if ("pytorch".equals(engine)) {
                args.add("-Dai.djl.metal.sdpa=off");
            } else {
                args.add("-Dai.djl.metal.sdpa=native");
                args.add("-Dai.djl.metal.backend=metal");
                args.add("-Dai.djl.metal.cpu_min_flops=0");
                args.add("-Dai.djl.metal.shadow=" + ("shadow".equals(engine) ? "1" : "0"));
            }
            args.add(AppleSiliconBenchmark.class.getName());
            args.add("--worker");
            args.add(engine);
            child = new ChildJvm(args);
            status = child.reply("the " + engine + " worker's start", 300);
        }

        Measurement measure(Case c, String device, long budgetMs) throws IOException {
            // A measurement takes a warm-up call, a calibration call and about the budget; the first call on a
            // device may compile kernels and allocate for a long time.
            return Measurement.parse(child.request(c.spec() + " " + device + " " + budgetMs, 900));
        }

        @Override
        public void close() {
            child.close();
        }
    }

    private static void worker(boolean shadowed) throws IOException {
        String status;
        try {
            status = SdpaRouter.status();
        } catch (RuntimeException e) {
            status = "engine did not start: " + e.getMessage();
        }
        System.out.println(ChildJvm.REPLY + status.replace('\n', ' '));
        System.out.flush();
        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = commands.readLine()) != null; ) {
            String[] parts = line.trim().split(" ");
            String result;
            try {
                result = measure(Case.parse(parts[0]), parts[1], Long.parseLong(parts[2]), shadowed);
            } catch (Throwable e) {
                result = "error " + e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).replace('\n', ' ');
            }
            System.out.println(ChildJvm.REPLY + result);
            System.out.flush();
        }
    }

    private static String measure(Case c, String deviceName, long budgetMs, boolean shadowed) {
        Device device = "mps".equals(deviceName) ? Device.of("mps", 0) : Device.cpu();
        try (NDManager manager = NDManager.newBaseManager(device, "Metal")) {
            NDArray[] inputs = inputs(manager, c, device);
            SdpaStats before = SdpaStats.snapshot();
            long t0 = System.nanoTime();
            finish(call(inputs, c)).close();
            double firstNanos = System.nanoTime() - t0;
            SdpaStats first = SdpaStats.snapshot().since(before);
            double buildMs = (first.getShaderCompileTime().toNanos() + first.getPipelineBuildTime().toNanos()) / 1e6;

            t0 = System.nanoTime();
            finish(call(inputs, c)).close();
            double oneNanos = Math.max(1, System.nanoTime() - t0);
            int perGroup = (int) Math.max(1, Math.min(100, budgetMs * 1e6 / GROUPS / oneNanos));
            double[] groups = new double[GROUPS];
            SdpaStats timed = SdpaStats.snapshot();
            for (int g = 0; g < GROUPS; ++g) {
                t0 = System.nanoTime();
                NDArray last = call(inputs, c);
                for (int i = 1; i < perGroup; ++i) {
                    last.close();
                    last = call(inputs, c);
                }
                finish(last).close();
                groups[g] = (System.nanoTime() - t0) / (double) perGroup;
            }
            SdpaStats delta = SdpaStats.snapshot().since(timed);
            Arrays.sort(groups);
            double gpuMs =
                    delta.getGpuTimedCommandBuffers() > 0
                            ? delta.getGpuTime().toNanos() / 1e6 / delta.getGpuTimedCommandBuffers()
                            : -1;
            long calls = (long) GROUPS * perGroup;
            if (SdpaRouter.getMode() != ai.djl.metal.sdpa.SdpaMode.OFF
                    && delta.getNativeCalls(Backend.METAL) != calls) {
                return "error not every call ran on Metal: " + delta;
            }
            String shadow = "";
            if (shadowed && device.equals(Device.cpu())) {
                if (delta.getShadowCalls() != calls) {
                    return "error shadow mode did not check every call: " + delta;
                }
                shadow =
                        String.format(
                                Locale.ROOT,
                                " shadow_ms=%.5f divergent=%d",
                                delta.getShadowTime().toNanos() / 1e6 / calls,
                                delta.getShadowDivergences());
            }
            return String.format(
                    Locale.ROOT,
                    "ok first_ms=%.4f ms=%.5f gpu_ms=%.5f build_ms=%.3f calls=%d%s",
                    firstNanos / 1e6,
                    groups[GROUPS / 2] / 1e6,
                    gpuMs,
                    buildMs,
                    calls,
                    shadow);
        }
    }

    private static NDArray call(NDArray[] in, Case c) {
        AttentionOptions.Builder options =
                AttentionOptions.builder().optCausal(c.causal).optEnableGqa(c.headsQ != c.headsKv);
        if (in[3] != null) {
            options.optAttnMask(in[3]);
        }
        return Attention.scaledDotProductAttention(in[0], in[1], in[2], options.build());
    }

    // Waits for the work behind an output: MPS runs asynchronously, in order, and reading one element of the
    // last output waits for everything before it.
    private static NDArray finish(NDArray out) {
        if (!out.getDevice().equals(Device.cpu())) {
            // (Through FloatType: DJL cannot copy a bfloat16 array across devices itself.)
            try (NDArray one = out.get("0,0,0,0");
                    NDArray wide = FloatType.FLOAT32.cast(one)) {
                wide.toByteArray();
            }
        }
        return out;
    }

    private static NDArray[] inputs(NDManager manager, Case c, Device device) {
        FloatType type = FloatType.valueOf(c.dtype.toUpperCase(Locale.ROOT));
        NDArray[] in = new NDArray[4];
        try (NDManager host = NDManager.newBaseManager(Device.cpu(), "Metal")) {
            manager.getEngine().setRandomSeed(7);
            NDArray q = host.randomNormal(new Shape(c.batch, c.headsQ, c.lenQ, c.headDim));
            NDArray k = host.randomNormal(new Shape(c.batch, c.headsKv, c.lenK, c.headDim));
            NDArray v = host.randomNormal(new Shape(c.batch, c.headsKv, c.lenK, c.headDim));
            // Moved as float32 and converted there: DJL cannot move a bfloat16 array itself.
            in[0] = type.cast(onDevice(q, manager, device));
            in[1] = type.cast(onDevice(k, manager, device));
            in[2] = type.cast(onDevice(v, manager, device));
            if (!"none".equals(c.mask)) {
                // Padding: batch item b keeps its first lenK - b * lenK / 8 keys.
                boolean[] keep = new boolean[c.batch * c.lenK];
                for (int b = 0; b < c.batch; ++b) {
                    for (int j = 0; j < c.lenK; ++j) {
                        keep[b * c.lenK + j] = j < c.lenK - b * c.lenK / 8;
                    }
                }
                NDArray bool = host.create(keep, new Shape(c.batch, 1, 1, c.lenK));
                in[3] =
                        "padding_bool".equals(c.mask)
                                ? onDevice(bool, manager, device)
                                : type.cast(
                                        onDevice(bool.toType(DataType.FLOAT32, false).sub(1).mul(3.0e38f), manager, device));
            }
        }
        return in;
    }

    private static NDArray onDevice(NDArray a, NDManager manager, Device device) {
        NDArray moved = a.toDevice(device, true);
        moved.attach(manager);
        return moved;
    }
}
