/*
 * DJL Metal engine.
 */
package ai.djl.metal.it;

import ai.djl.engine.EngineException;
import ai.djl.metal.it.util.ModelRun;
import ai.djl.metal.it.util.Npy;
import ai.djl.metal.it.util.PlainPyTorch;
import ai.djl.metal.it.util.RandomInputs;
import ai.djl.metal.it.util.SdpaModule;
import ai.djl.metal.it.util.SdpaModule.Layout;
import ai.djl.metal.it.util.SdpaModule.Mask;
import ai.djl.metal.it.util.Tolerance;
import ai.djl.metal.it.util.Workspace;
import ai.djl.metal.sdpa.SdpaStats;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import org.testng.Assert;
import org.testng.annotations.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Seeded generated SDPA calls, valid and invalid (ranks, sizes including empty ones, dtypes, masks of every
 * kind and broadcast, causal, scales including NaN and infinity, dropout including NaN, GQA that divides or
 * not, transposed views, KV-cache slices, NaN and infinities in the values), each made twice, as a TorchScript
 * module through {@code Criteria} with engine "Metal" and through the Java {@code Attention} API, against
 * plain PyTorch in a child JVM: where PyTorch fails, ours fails too (DJL's EngineException, never a crash or
 * another exception; and a NaN dropout_p, which PyTorch ignores, is rejected); where it succeeds,
 * ours is bitwise its result (no native backend in the default JVM, so every call falls back), or, in the
 * simulator JVM, a call that ran natively is within the dtype's tolerance of PyTorch's float64 answer. {@code
 * djl.metal.fuzz.cases} calls (60 in CI, 1000 with {@code -Pfuzz}; half on the simulator), drawn from {@code
 * djl.metal.fuzz.seed}; a failure names the seed and the case.
 */
public class FuzzTest {

    private static final long[] DIMS = {1, 8, 16, 32, 64, 80, 128};

    /**
     * Checks a native result element by element: non-finite wherever PyTorch's own result (same dtype) is;
     * elsewhere within tolerance of the float64 answer, or finite where only that answer is not (PyTorch's
     * float64 path reads values, such as those of keys hidden by causal masking, that its kernel for the call's
     * dtype does not, and neither do ours). Returns what is wrong, or null.
     */
    private static String nativeMismatch(double[] ours, double[] pytorch, double[] float64, double tolerance) {
        for (int i = 0; i < ours.length; ++i) {
            boolean finite = Double.isFinite(ours[i]);
            if (!Double.isFinite(pytorch[i]) ? finite
                    : Double.isFinite(float64[i]) ? !(Math.abs(ours[i] - float64[i]) <= tolerance) : !finite) {
                return "element " + i + " = " + ours[i] + ", PyTorch " + pytorch[i] + ", float64 " + float64[i];
            }
        }
        return null;
    }

    /** One path's answer to a call: its float64 result (and strides, from TorchScript) or its error. */
    private static final class Answer {
        final Npy.Data result;
        final Npy.Data strides;
        final String error;
        final SdpaStats routed;

        Answer(ModelRun.Result run, SdpaStats routed) {
            this.result = run.error == null ? run.outputs.get(0) : null;
            this.strides = run.error == null ? run.outputs.get(1) : null;
            this.error = run.error;
            this.routed = routed;
        }

        Answer(Npy.Data result, String error, SdpaStats routed) {
            this.result = result;
            this.strides = null;
            this.error = error;
            this.routed = routed;
        }

        /** Makes the call through the Java API; an exception other than DJL's EngineException fails. */
        static Answer ofApi(SdpaModule m, NDManager manager, List<Path> inputs, String what) throws IOException {
            SdpaStats before = SdpaStats.snapshot();
            try (NDManager call = manager.newSubManager()) {
                NDArray out = m.callApi(call, inputs);
                Npy.Data result = new Npy.Data(out.getDataType(), out.getShape(), out.toByteBuffer());
                return new Answer(result, null, SdpaStats.snapshot().since(before));
            } catch (EngineException e) {
                return new Answer(null, String.valueOf(e.getMessage()), SdpaStats.snapshot().since(before));
            } catch (RuntimeException e) {
                throw new AssertionError(what + " (Java API): " + e, e);
            }
        }
    }

    /**
     * Checks one path's answer against plain PyTorch's: an error where PyTorch fails (and for a NaN dropout_p,
     * which PyTorch ignores); otherwise one routed call, bitwise PyTorch's result if it fell back, within the
     * dtype's tolerance (see {@link #nativeMismatch}) if it ran natively. Returns whether it ran natively.
     */
    private static boolean check(
            Answer actual, ModelRun.Result expected, ModelRun.Result ref64, SdpaModule m, String what) {
        if (Double.isNaN(m.dropoutP)) {
            Assert.assertNotNull(actual.error, what);
            Assert.assertTrue(
                    actual.error.contains("dropout probability has to be between 0 and 1, but got nan"),
                    what + ": " + actual.error);
            return false;
        }
        if (expected.error != null) {
            Assert.assertNotNull(actual.error, what + ": PyTorch fails (" + expected.error + "), ours did not");
            return false;
        }
        Assert.assertNull(actual.error, what);
        Assert.assertEquals(actual.routed.getTotalCalls(), 1, what + ": " + actual.routed);
        if (actual.routed.getNativeCalls() == 0) {
            Assert.assertNull(actual.result.bitwiseDifference(expected.outputs.get(0)), what);
            if (actual.strides != null) {
                Assert.assertNull(actual.strides.bitwiseDifference(expected.outputs.get(1)), what + ": strides");
            }
            return false;
        }
        Assert.assertNull(ref64.error, what + ": float64 reference");
        String wrong =
                nativeMismatch(
                        actual.result.toDoubles(),
                        expected.outputs.get(0).toDoubles(),
                        ref64.outputs.get(0).toDoubles(),
                        Tolerance.of(m.dtype));
        Assert.assertNull(wrong, what + ": native");
        if (actual.strides != null) {
            Assert.assertEquals(actual.strides.toDoubles(), expected.outputs.get(1).toDoubles(), what + ": strides");
        }
        return true;
    }

    private static long pick(Random r, long... values) {
        return values[r.nextInt(values.length)];
    }

    @Test
    public void generatedCallsMatchPlainPyTorch() throws IOException {
        fuzz(Integer.getInteger("djl.metal.fuzz.cases", 60));
    }

    /**
     * The same generator in the JVM with the simulator backend: supported calls run natively and must be
     * within the dtype's tolerance of PyTorch's float64 answer on the same rounded inputs; the rest fall back,
     * bitwise. Fewer calls: the simulator runs the kernels on the CPU.
     */
    @Test(groups = "simulator-auto")
    public void generatedCallsOnTheSimulator() throws IOException {
        fuzz(Math.max(1, Integer.getInteger("djl.metal.fuzz.cases", 60) / 2));
    }

    private static void fuzz(int count) throws IOException {
        long seed = Long.getLong("djl.metal.fuzz.seed", 20261202L);
        Path dir = Workspace.newDirectory("fuzz-");
        RandomInputs in = new RandomInputs(seed, dir);
        Random r = new Random(seed);
        Map<String, ModelRun.Request> requests = new LinkedHashMap<>();
        Map<String, String> described = new LinkedHashMap<>();
        Map<String, ModelRun.Request> references = new LinkedHashMap<>();
        Map<String, SdpaModule> modules = new LinkedHashMap<>();
        for (int i = 0; i < count; ++i) {
            SdpaModule m = new SdpaModule("fuzz" + i);
            StringBuilder d = new StringBuilder();
            m.dtype = new String[] {"float32", "float32", "float16", "bfloat16", "float64"}[r.nextInt(5)];
            int rank = r.nextInt(20) < 14 ? 4 : r.nextInt(3) == 0 ? 5 : 2 + r.nextInt(2);
            long b = pick(r, 1, 2, 3);
            long hq = pick(r, 1, 2, 4, 8);
            long hkv = hq;
            int heads = r.nextInt(20);
            if (heads < 4) {
                hkv = hq % 2 == 0 ? hq / 2 : hq;
                m.enableGqa = true;
            } else if (heads < 6) {
                hkv = 1;
                m.enableGqa = r.nextBoolean();  // without the flag PyTorch refuses to broadcast heads
            } else if (heads == 6) {
                hkv = 3;  // divides nothing here but 3 heads
                m.enableGqa = true;
            }
            long lq = r.nextInt(30) == 0 ? 0 : pick(r, 1, 2, 5, 9, 17, 33, 70);
            long lk = r.nextInt(30) == 0 ? 0 : pick(r, 1, 7, 16, 45, 100);
            long dq = r.nextInt(40) == 0 ? 300 : DIMS[r.nextInt(DIMS.length)];
            long dk = r.nextInt(40) == 0 ? dq + 1 : dq;  // mismatched head dims: an error
            long[] q;
            long[] kv;
            switch (rank) {
                case 2:
                    q = new long[] {lq, dq};
                    kv = new long[] {lk, dk};
                    break;
                case 3:
                    q = new long[] {hq, lq, dq};
                    kv = new long[] {hkv, lk, dk};
                    break;
                case 5:
                    q = new long[] {2, b, hq, lq, dq};
                    kv = new long[] {2, b, hkv, lk, dk};
                    break;
                default:
                    q = new long[] {b, hq, lq, dq};
                    kv = new long[] {r.nextInt(10) == 0 ? 1 : b, hkv, lk, dk};
                    break;
            }
            if (rank == 4 && r.nextInt(10) == 0) {
                m.layout = Layout.TRANSPOSED;  // inputs stored [B, L, H, D]
                q = new long[] {q[0], q[2], q[1], q[3]};
                kv = new long[] {kv[0], kv[2], kv[1], kv[3]};
            } else if (rank == 4 && lk > 1 && r.nextInt(10) == 0) {
                m.layout = Layout.KV_CACHE_SLICE;
                m.lenK = lk;
                kv = new long[] {kv[0], kv[1], lk + 5, kv[3]};
            }
            Path mask = null;
            int maskKind = r.nextInt(10);
            if (maskKind >= 5) {
                long rows = r.nextInt(25) == 0 ? lq + 1 : lq;  // a mask that does not broadcast: an error
                long[] shape = r.nextBoolean() || rank != 4 ? new long[] {rows, lk} : new long[] {b, 1, rows, lk};
                m.mask = maskKind < 7 ? Mask.BOOL : maskKind < 9 ? Mask.FLOAT32 : Mask.SAME_DTYPE;
                mask =
                        m.mask == Mask.BOOL
                                ? in.boolMask(m.name + ".m", new long[] {0}, shape)
                                : in.additiveMask(m.name + ".m", new long[] {0}, shape);
            }
            m.causal = r.nextInt(5) == 0;
            int scale = r.nextInt(20);
            m.scale = scale < 14 ? null : new Double[] {0.3, -0.5, 0.0, Double.NaN, Double.POSITIVE_INFINITY, 2.0}[
                    scale - 14];
            int dropout = r.nextInt(40);
            m.dropoutP = dropout == 0 ? Double.NaN : dropout == 1 ? 1.5 : 0.0;
            List<Path> inputs = m.randomInputs(in, new long[][] {q, kv}, mask);
            if (r.nextInt(10) == 0) {
                int which = r.nextInt(inputs.size());
                long elements = Arrays.stream(which == 0 ? q : which < 3 ? kv : new long[] {1}).reduce(1, (x, y) -> x * y);
                if (which < 3 && elements > 0) {
                    float bad = new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}[r.nextInt(3)];
                    RandomInputs.withElement(inputs.get(which), r.nextInt((int) Math.min(elements, 1 << 30)), bad);
                    d.append(" ").append(bad).append(" in ").append("qkv".charAt(which));
                }
            }
            d.insert(0, m.dtype + " q" + Arrays.toString(q) + " kv" + Arrays.toString(kv) + " gqa=" + m.enableGqa
                    + " layout=" + m.layout + " mask=" + m.mask + " causal=" + m.causal + " scale=" + m.scale
                    + " dropout=" + m.dropoutP);
            requests.put(m.name, new ModelRun.Request(m.name, m.write(dir), inputs));
            modules.put(m.name, m);
            described.put(m.name, d.toString());
            SdpaModule ref = m.float64Twin();
            references.put(m.name, new ModelRun.Request(ref.name, ref.write(dir), inputs));
        }

        List<ModelRun.Request> all = new ArrayList<>(requests.values());
        all.addAll(references.values());
        Map<String, ModelRun.Result> plain = PlainPyTorch.run(all);
        int failedOnPyTorch = 0;
        int nativeCalls = 0;
        try (NDManager manager = NDManager.newBaseManager("Metal")) {
            for (Map.Entry<String, ModelRun.Request> e : requests.entrySet()) {
                String name = e.getKey();
                String what = "seed " + seed + ", " + name + ": " + described.get(name);
                ModelRun.Result expected = plain.get(name);
                ModelRun.Result ref64 = plain.get(name + "_ref64");
                SdpaStats before = SdpaStats.snapshot();
                ModelRun.Result script = ModelRun.run("Metal", e.getValue());
                Answer viaScript = new Answer(script, SdpaStats.snapshot().since(before));
                Answer viaApi = Answer.ofApi(modules.get(name), manager, e.getValue().inputs, what);
                for (Answer actual : new Answer[] {viaScript, viaApi}) {
                    String where = what + " (" + (actual == viaApi ? "Java API" : "TorchScript") + ")";
                    if (check(actual, expected, ref64, modules.get(name), where)) {
                        ++nativeCalls;
                    }
                }
                if (expected.error != null && !Double.isNaN(modules.get(name).dropoutP)) {
                    ++failedOnPyTorch;
                }
            }
        }
        System.err.printf(
                "fuzz: %d calls from seed %d, each through TorchScript and the Java API, %d of them invalid for PyTorch;"
                        + " %d of the runs native%n",
                count,
                seed,
                failedOnPyTorch,
                nativeCalls);
        Assert.assertTrue(failedOnPyTorch > 0 && failedOnPyTorch < count, "the generator must draw valid and invalid calls");
    }
}
