/*
 * DJL Metal engine.
 */
package ai.djl.metal.it;

import ai.djl.Device;
import ai.djl.metal.it.util.AppleGpu;
import ai.djl.metal.it.util.Fixtures;
import ai.djl.metal.it.util.Npy;
import ai.djl.metal.it.util.Tolerance;
import ai.djl.metal.sdpa.Backend;
import ai.djl.metal.sdpa.SdpaStats;
import ai.djl.ndarray.NDManager;

import org.testng.Assert;
import org.testng.annotations.BeforeClass;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * What only a Mac with a Metal device can run: the fixture SDPA cases on PyTorch MPS tensors through the
 * Metal backend (PyTorch's MPS stream, no copies), within the dtype's tolerance of float64, and concurrent
 * MPS calls giving identical results. The CPU-tensor side (fixture cases and models through Criteria,
 * concurrency) runs on the real GPU in {@link NativeBackendTest}, group "metal-native", which on a Mac has
 * no fake Metal under it. Elsewhere every test here is skipped, saying why.
 */
@Test(groups = "apple-gpu")
public class AppleGpuTest {

    private static final Device MPS = Device.of("mps", 0);

    @BeforeClass(groups = "apple-gpu")
    public void requireAppleGpu() {
        AppleGpu.require();
    }

    @DataProvider(name = "cases")
    public Object[][] cases() {
        return Fixtures.rows(Fixtures.sdpaCases());
    }

    @Test(groups = "apple-gpu", dataProvider = "cases")
    public void fixtureCasesOnMpsTensorsRunOnMetalWithinTolerance(Fixtures.SdpaCase c) throws Exception {
        try (NDManager manager = NDManager.newBaseManager(MPS, "Metal")) {
            SdpaStats before = SdpaStats.snapshot();
            Npy.Data out = FixtureSdpaCaseTest.runJavaApi(manager, c);
            SdpaStats delta = SdpaStats.snapshot().since(before);
            Assert.assertEquals(delta.getNativeCalls(Backend.METAL), 1, delta.toString());
            double vsRef64 = Tolerance.maxError(out.toDoubles(), Npy.read(c.ref64).toDoubles());
            Assert.assertTrue(vsRef64 <= Tolerance.of(c.dtype), c + ": max error vs float64 " + vsRef64);
            double vsTorch = Tolerance.maxError(out.toDoubles(), Npy.read(c.torchOut).toDoubles());
            Assert.assertTrue(vsTorch <= Tolerance.of(c.dtype), c + ": max error vs PyTorch " + vsTorch);
        }
    }

    @Test(groups = "apple-gpu")
    public void concurrentMpsCallsAreIdentical() throws Exception {
        Fixtures.SdpaCase c = Fixtures.sdpaCases().get(0);
        ByteBuffer expected = onMps(c);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<ByteBuffer>> results = new ArrayList<>();
        for (int i = 0; i < 200; ++i) {
            Callable<ByteBuffer> call = () -> onMps(c);
            results.add(pool.submit(call));
        }
        pool.shutdown();
        try {
            for (Future<ByteBuffer> f : results) {
                Assert.assertEquals(f.get(5, TimeUnit.MINUTES).mismatch(expected.duplicate()), -1, "an MPS call differs");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static ByteBuffer onMps(Fixtures.SdpaCase c) throws Exception {
        try (NDManager manager = NDManager.newBaseManager(MPS, "Metal")) {
            return FixtureSdpaCaseTest.runJavaApi(manager, c).bytes;
        }
    }
}
