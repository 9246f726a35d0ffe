/*
 * DJL Metal engine.
 */
package ai.djl.metal.it;

import ai.djl.metal.it.util.ConcurrentForwards;
import ai.djl.metal.it.util.Fixtures;
import ai.djl.metal.sdpa.SdpaStats;

import org.testng.Assert;
import org.testng.annotations.Test;

/**
 * One model shared by 8 threads x 50 forwards: every output bitwise equal to a single-threaded forward,
 * and exact routing counts (the native-backend JVMs run the same with every call native, in {@link
 * NativeBackendTest}).
 */
public class ConcurrencyTest {

    private static final int THREADS = 8;
    private static final int FORWARDS = 50;

    @Test
    public void concurrentForwardsAreIdenticalAndCounted() throws Exception {
        Fixtures.Model model = Fixtures.models().get(0);
        SdpaStats before = SdpaStats.snapshot();
        ConcurrentForwards.run(model, THREADS, FORWARDS);
        SdpaStats delta = SdpaStats.snapshot().since(before);
        Assert.assertEquals(
                delta.getTotalCalls(),
                (long) (THREADS * FORWARDS + 1) * model.sdpaNodes,
                delta.toString());
    }
}
