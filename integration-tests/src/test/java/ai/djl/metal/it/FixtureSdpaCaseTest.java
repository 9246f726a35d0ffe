/*
 * DJL Metal engine.
 */
package ai.djl.metal.it;

import ai.djl.Device;
import ai.djl.metal.it.util.Fixtures;
import ai.djl.metal.it.util.ModelRun;
import ai.djl.metal.it.util.Npy;
import ai.djl.metal.it.util.PlainPyTorch;
import ai.djl.metal.it.util.SdpaModule;
import ai.djl.metal.it.util.Tolerance;
import ai.djl.metal.it.util.Workspace;
import ai.djl.metal.sdpa.Attention;
import ai.djl.metal.sdpa.AttentionOptions;
import ai.djl.metal.sdpa.FloatType;
import ai.djl.metal.sdpa.SdpaStats;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import org.testng.Assert;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The SDPA cases in {@code ../shared/fixtures} through the Java API: within the dtype's tolerance of
 * PyTorch's float64 result and of PyTorch's own result in the case's dtype, and bitwise equal to the
 * plain PyTorch engine (2.7.1) on the same inputs.
 */
public class FixtureSdpaCaseTest {

    private Map<String, ModelRun.Result> reference;

    @DataProvider(name = "cases")
    public Object[][] cases() {
        return Fixtures.rows(Fixtures.sdpaCases());
    }

    static SdpaModule module(Fixtures.SdpaCase c) {
        SdpaModule m = new SdpaModule("case_" + c.name);
        m.dtype = c.dtype;
        m.causal = c.causal;
        m.scale = c.scale;
        m.enableGqa = c.heads != c.kvHeads;
        if ("bool".equals(c.mask)) {
            m.mask = SdpaModule.Mask.BOOL;
        } else if ("additive".equals(c.mask)) {
            m.mask = SdpaModule.Mask.SAME_DTYPE;
        }
        return m;
    }

    static List<Path> inputs(Fixtures.SdpaCase c) {
        List<Path> inputs = new ArrayList<>(List.of(c.q, c.k, c.v));
        if (c.maskFile != null) {
            inputs.add(c.maskFile);
        }
        return inputs;
    }

    private synchronized ModelRun.Result reference(Fixtures.SdpaCase sdpaCase) throws IOException {
        if (reference == null) {
            Path dir = Workspace.newDirectory("cases-");
            List<ModelRun.Request> requests = new ArrayList<>();
            for (Fixtures.SdpaCase c : Fixtures.sdpaCases()) {
                SdpaModule m = module(c);
                requests.add(new ModelRun.Request(c.name, m.write(dir), inputs(c)));
            }
            reference = PlainPyTorch.run(requests);
        }
        return reference.get(sdpaCase.name);
    }

    /**
     * Runs a case through {@link Attention} and returns the result widened to float64.
     *
     * @param manager where arrays live
     * @param c the case
     * @return the result as float64 data
     * @throws IOException if inputs cannot be read
     */
    static Npy.Data runJavaApi(NDManager manager, Fixtures.SdpaCase c) throws IOException {
        FloatType type = FloatType.valueOf(c.dtype.toUpperCase(Locale.ROOT));
        NDArray q = type.cast(Npy.read(manager, c.q));
        NDArray k = type.cast(Npy.read(manager, c.k));
        NDArray v = type.cast(Npy.read(manager, c.v));
        AttentionOptions.Builder options =
                AttentionOptions.builder().optCausal(c.causal).optEnableGqa(c.heads != c.kvHeads);
        if (c.scale != null) {
            options.optScale(c.scale);
        }
        if (c.maskFile != null) {
            NDArray mask = Npy.read(manager, c.maskFile);
            options.optAttnMask("bool".equals(c.mask) ? mask : type.cast(mask));
        }
        NDArray out = Attention.scaledDotProductAttention(q, k, v, options.build());
        // Widened on the CPU, MPS having no float64; moved as float32, DJL being unable to move bfloat16.
        NDArray wide = FloatType.FLOAT64.cast(FloatType.FLOAT32.cast(out).toDevice(Device.cpu(), false));
        return new Npy.Data(wide.getDataType(), wide.getShape(), wide.toByteBuffer());
    }

    @Test(dataProvider = "cases")
    public void javaApiMatchesPyTorch(Fixtures.SdpaCase c) throws IOException {
        ModelRun.Result plain = reference(c);
        Assert.assertNull(plain.error, plain.error);
        try (NDManager manager = NDManager.newBaseManager("Metal")) {
            SdpaStats before = SdpaStats.snapshot();
            Npy.Data out = runJavaApi(manager, c);
            SdpaStats delta = SdpaStats.snapshot().since(before);
            Assert.assertEquals(delta.getTotalCalls(), 1, delta.toString());

            Assert.assertNull(out.bitwiseDifference(plain.outputs.get(0)), c + " vs plain PyTorch");
            double tolerance = Tolerance.of(c.dtype);
            double vsRef64 = Tolerance.maxError(out.toDoubles(), Npy.read(c.ref64).toDoubles());
            Assert.assertTrue(vsRef64 <= tolerance, c + ": max error vs float64 " + vsRef64);
            double vsTorch = Tolerance.maxError(out.toDoubles(), Npy.read(c.torchOut).toDoubles());
            Assert.assertTrue(vsTorch <= tolerance, c + ": max error vs PyTorch's own " + vsTorch);
        }
    }
}
