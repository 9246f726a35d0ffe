/*
 * DJL Metal engine.
 */
package ai.djl.metal.examples;

import ai.djl.engine.Engine;
import ai.djl.metal.examples.AppleSiliconBenchmark.Case;
import ai.djl.metal.examples.AppleSiliconBenchmark.Measurement;
import ai.djl.metal.sdpa.SdpaRouter;
import ai.djl.util.JsonUtils;

import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The Apple Silicon benchmark's report: Markdown tables, then every figure again as JSON. */
final class AppleSiliconReport {

    private AppleSiliconReport() {}

    static String write(
            AppleChip chip,
            String metalStatus,
            List<Case> cases,
            Map<String, Measurement> results,
            boolean quick,
            boolean complete) {
        StringBuilder md = new StringBuilder();
        md.append("# Apple Silicon benchmark: Metal SDPA vs PyTorch SDPA\n\n");
        if (!complete) {
            md.append("**Incomplete run**: it ended early (see its output); what was measured is below.\n\n");
        }
        if (quick) {
            md.append("**Quick run** (a few small cases, for checking the benchmark itself): not a measurement.\n\n");
        }
        md.append("- Date: ").append(ZonedDateTime.now()).append('\n');
        md.append("- Machine: ").append(chip.describe()).append('\n');
        md.append("- Metal engine: ").append(metalStatus).append('\n');
        md.append("- DJL ")
                .append(Engine.getDjlVersion())
                .append(", Java ")
                .append(System.getProperty("java.version"))
                .append('\n');
        md.append(
                "- Times are wall time per call (median of 5 groups after a warm-up call; MPS work synchronised"
                        + " at the end of each group), the lower of the passes (two in a full run, in opposite orders). \"Metal GPU\""
                        + " is the GPU time of the Metal backend's command buffers from their timestamps (CPU"
                        + " tensors). TFLOPS count 4·B·H·D per attended key; GB/s count Q, K, V, O and the mask"
                        + " once; peaks are estimates (see the machine line).\n\n");

        for (String group : new String[] {"prefill", "head_dim", "gqa", "padding", "decode"}) {
            List<Case> rows = new ArrayList<>();
            for (Case c : cases) {
                if (c.group.equals(group)) {
                    rows.add(c);
                }
            }
            if (rows.isEmpty()) {
                continue;
            }
            boolean bandwidth = "decode".equals(group);
            md.append("## ").append(title(group)).append("\n\n");
            md.append("| Case | PyTorch CPU ms | Metal CPU ms | Metal GPU ms | PyTorch MPS ms | Metal MPS ms |")
                    .append(" Speedup over PyTorch MPS | Metal ")
                    .append(bandwidth ? "GB/s" : "TFLOPS")
                    .append(" (% of peak) | first-call kernel build ms |\n");
            md.append("|---|---|---|---|---|---|---|---|---|\n");
            for (Case c : rows) {
                Measurement pc = results.get(AppleSiliconBenchmark.key("pytorch", "cpu", c));
                Measurement mc = results.get(AppleSiliconBenchmark.key("metal", "cpu", c));
                Measurement pm = results.get(AppleSiliconBenchmark.key("pytorch", "mps", c));
                Measurement mm = results.get(AppleSiliconBenchmark.key("metal", "mps", c));
                double kernelMs = ok(mc) && mc.gpuMs > 0 ? mc.gpuMs : ok(mm) ? mm.ms : -1;
                String rate = "—";
                if (kernelMs > 0) {
                    double value = bandwidth ? c.bytes() / (kernelMs * 1e6) : c.flops() / (kernelMs * 1e9);
                    double peak = bandwidth ? chip.peakGbps : chip.peakTflops;
                    rate = String.format(Locale.ROOT, bandwidth ? "%.0f" : "%.2f", value)
                            + (peak > 0 ? String.format(Locale.ROOT, " (%.0f%%)", 100 * value / peak) : "");
                }
                String ratio =
                        ok(pm) && ok(mm) ? String.format(Locale.ROOT, "%.2fx", pm.ms / mm.ms) : "—";
                double build = Math.max(ok(mc) ? mc.buildMs : 0, ok(mm) ? mm.buildMs : 0);
                md.append("| ")
                        .append(c.describe())
                        .append(" | ")
                        .append(ms(pc))
                        .append(" | ")
                        .append(ms(mc))
                        .append(" | ")
                        .append(ok(mc) && mc.gpuMs > 0 ? String.format(Locale.ROOT, "%.3f", mc.gpuMs) : "—")
                        .append(" | ")
                        .append(ms(pm))
                        .append(" | ")
                        .append(ms(mm))
                        .append(" | ")
                        .append(ratio)
                        .append(" | ")
                        .append(rate)
                        .append(" | ")
                        .append(build > 0 ? String.format(Locale.ROOT, "%.1f", build) : "—")
                        .append(" |\n");
            }
            md.append('\n');
        }

        md.append("## Small-call threshold (CPU tensors)\n\n");
        md.append("| Case | FLOPs | PyTorch CPU ms | Metal CPU ms | Metal / PyTorch |\n|---|---|---|---|---|\n");
        double crossover = -1;
        for (Case c : cases) {
            if (!"threshold".equals(c.group)) {
                continue;
            }
            Measurement p = results.get(AppleSiliconBenchmark.key("pytorch", "cpu", c));
            Measurement m = results.get(AppleSiliconBenchmark.key("metal", "cpu", c));
            boolean both = ok(p) && ok(m);
            md.append(String.format(
                    Locale.ROOT,
                    "| %s | %.3g | %s | %s | %s |%n",
                    c.describe(),
                    c.flops(),
                    ms(p),
                    ms(m),
                    both ? String.format(Locale.ROOT, "%.2f", m.ms / p.ms) : "—"));
            // The threshold is the smallest size from which Metal stays faster.
            if (both && m.ms < p.ms) {
                if (crossover < 0) {
                    crossover = c.flops();
                }
            } else {
                crossover = -1;
            }
        }
        md.append('\n');
        md.append(String.format(
                Locale.ROOT,
                "Measured threshold: %s; compare the default of `%s` (README, Configuration).%n%n",
                crossover > 0
                        ? String.format(Locale.ROOT, "Metal is faster from %.3g FLOPs on", crossover)
                        : "Metal was not faster over the measured range, or the range ended slower",
                SdpaRouter.CPU_MIN_FLOPS_PROPERTY));

        md.append("## Shadow mode (CPU tensors)\n\n");
        md.append("What `ai.djl.metal.shadow=1` adds: every call also runs on PyTorch and the results are compared."
                + " \"Checks\" is the time the engine counted in them (`SdpaStats.getShadowTime()`).\n\n");
        md.append("| Case | Metal CPU ms | with shadow ms | shadow / Metal | checks ms per call | PyTorch CPU ms |"
                + " divergent calls |\n|---|---|---|---|---|---|---|\n");
        for (Case c : cases) {
            Measurement s = results.get(AppleSiliconBenchmark.key("shadow", "cpu", c));
            if (s == null) {
                continue;
            }
            Measurement m = results.get(AppleSiliconBenchmark.key("metal", "cpu", c));
            Measurement p = results.get(AppleSiliconBenchmark.key("pytorch", "cpu", c));
            md.append(String.format(
                    Locale.ROOT,
                    "| %s | %s | %s | %s | %s | %s | %s |%n",
                    c.describe(),
                    ms(m),
                    ms(s),
                    ok(m) && ok(s) ? String.format(Locale.ROOT, "%.2f", s.ms / m.ms) : "—",
                    ok(s) ? String.format(Locale.ROOT, "%.3f", s.shadowMs) : "—",
                    ms(p),
                    ok(s) ? Long.toString(s.divergent) : "—"));
        }
        md.append('\n');

        md.append("## Calls that did not run\n\n");
        // Grouped by message (first sentence): one missing MPS device fails every MPS call alike.
        Map<String, List<String>> byError = new LinkedHashMap<>();
        for (Map.Entry<String, Measurement> e : results.entrySet()) {
            if (e.getValue().error != null) {
                String[] k = e.getKey().split("\\|");
                byError.computeIfAbsent(shortError(e.getValue().error), x -> new ArrayList<>())
                        .add(k[0] + " on " + k[1] + ", " + Case.parse(k[2]).describe());
            }
        }
        for (Map.Entry<String, List<String>> e : byError.entrySet()) {
            md.append("- ").append(e.getKey()).append(" (").append(e.getValue().size()).append(" calls: ");
            md.append(String.join("; ", e.getValue().subList(0, Math.min(4, e.getValue().size()))));
            md.append(e.getValue().size() > 4 ? "; ...)\n" : ")\n");
        }
        if (byError.isEmpty()) {
            md.append("(none)\n");
        }
        md.append("\n## Data\n\n```json\n")
                .append(json(chip, metalStatus, results, quick, complete))
                .append("\n```\n");
        return md.toString();
    }

    private static String json(
            AppleChip chip, String metalStatus, Map<String, Measurement> results, boolean quick, boolean complete) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("format", "djl-metal-apple-silicon-benchmark/1");
        root.put("quick", quick);
        root.put("complete", complete);
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("chip", chip.name);
        machine.put("gpu_cores", chip.gpuCores);
        machine.put("peak_tflops_estimate", chip.peakTflops);
        machine.put("peak_gbps", chip.peakGbps);
        machine.put("memory_bytes", chip.memoryBytes);
        machine.put("os", chip.os);
        machine.put("java", System.getProperty("java.version"));
        machine.put("djl", Engine.getDjlVersion());
        root.put("machine", machine);
        root.put("metal_engine", metalStatus);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Map.Entry<String, Measurement> e : results.entrySet()) {
            String[] k = e.getKey().split("\\|");
            Case c = Case.parse(k[2]);
            Measurement m = e.getValue();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("engine", k[0]);
            row.put("device", k[1]);
            row.put("group", c.group);
            row.put("batch", c.batch);
            row.put("heads_q", c.headsQ);
            row.put("heads_kv", c.headsKv);
            row.put("len_q", c.lenQ);
            row.put("len_k", c.lenK);
            row.put("head_dim", c.headDim);
            row.put("dtype", c.dtype);
            row.put("causal", c.causal);
            row.put("mask", c.mask);
            row.put("flops", c.flops());
            row.put("bytes", c.bytes());
            if (m.error != null) {
                row.put("error", shortError(m.error));
            } else {
                row.put("ms", m.ms);
                row.put("first_call_ms", m.firstMs);
                row.put("gpu_ms", m.gpuMs > 0 ? m.gpuMs : null);
                row.put("kernel_build_ms", m.buildMs);
                row.put("timed_calls", m.calls);
                if (m.shadowMs >= 0) {
                    row.put("shadow_check_ms", m.shadowMs);
                    row.put("shadow_divergences", m.divergent);
                }
            }
            rows.add(row);
        }
        root.put("results", rows);
        return JsonUtils.GSON_PRETTY.toJson(root);
    }

    private static String shortError(String error) {
        int end = error.indexOf(". ");
        String first = end > 0 ? error.substring(0, end + 1) : error;
        return first.length() > 200 ? first.substring(0, 200) + "..." : first;
    }

    private static boolean ok(Measurement m) {
        return m != null && m.error == null;
    }

    private static String ms(Measurement m) {
        if (m == null) {
            return "—";
        }
        if (m.error != null) {
            return m.error.startsWith("skipped") ? "skipped" : "error";
        }
        return String.format(Locale.ROOT, "%.3f", m.ms);
    }

    private static String title(String group) {
        switch (group) {
            case "prefill":
                return "Prefill";
            case "head_dim":
                return "Head dimensions";
            case "gqa":
                return "Grouped-query attention (32 query heads, 8 KV heads)";
            case "padding":
                return "Batches with padding masks";
            default:
                return "Decode (bandwidth-bound: GB/s)";
        }
    }
}
