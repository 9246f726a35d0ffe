/*
 * DJL Metal engine.
 */
package ai.djl.metal.it;

import ai.djl.inference.Predictor;
import ai.djl.metal.it.util.Fixtures;
import ai.djl.metal.it.util.Npy;
import ai.djl.metal.sdpa.SdpaStats;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;

import org.testng.Assert;
import org.testng.annotations.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * One model shared by 8 threads x 50 forwards: every output bitwise equal to a single-threaded forward,
 * and exact routing counts.
 */
public class ConcurrencyTest {

    private static final int THREADS = 8;
    private static final int FORWARDS = 50;

    @Test
    public void concurrentForwardsAreIdenticalAndCounted() throws Exception {
        Fixtures.Model model = Fixtures.models().get(0);
        Criteria<NDList, NDList> criteria =
                Criteria.builder()
                        .setTypes(NDList.class, NDList.class)
                        .optModelPath(model.file)
                        .optEngine("Metal")
                        .optTranslator(new NoopTranslator())
                        .build();
        try (ZooModel<NDList, NDList> zoo = criteria.loadModel()) {
            ByteBuffer expected;
            try (NDManager manager = NDManager.newBaseManager("Metal");
                    Predictor<NDList, NDList> predictor = zoo.newPredictor()) {
                NDList inputs = new NDList();
                for (java.nio.file.Path p : model.inputs) {
                    inputs.add(Npy.read(manager, p));
                }
                expected = predictor.predict(inputs).get(model.outIndex).toByteBuffer();
            }
            SdpaStats before = SdpaStats.snapshot();
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            List<Future<List<ByteBuffer>>> results = new ArrayList<>();
            for (int t = 0; t < THREADS; ++t) {
                Callable<List<ByteBuffer>> work =
                        () -> {
                            List<ByteBuffer> outputs = new ArrayList<>();
                            try (NDManager manager = NDManager.newBaseManager("Metal");
                                    Predictor<NDList, NDList> predictor = zoo.newPredictor()) {
                                NDList inputs = new NDList();
                                for (java.nio.file.Path p : model.inputs) {
                                    inputs.add(Npy.read(manager, p));
                                }
                                for (int f = 0; f < FORWARDS; ++f) {
                                    NDList out = predictor.predict(inputs);
                                    NDArray first = out.get(model.outIndex);
                                    outputs.add(first.toByteBuffer());
                                    out.close();
                                }
                            }
                            return outputs;
                        };
                results.add(pool.submit(work));
            }
            pool.shutdown();
            for (Future<List<ByteBuffer>> f : results) {
                for (ByteBuffer out : f.get()) {
                    Assert.assertEquals(out.mismatch(expected.duplicate()), -1, "a forward differs");
                }
            }
            SdpaStats delta = SdpaStats.snapshot().since(before);
            Assert.assertEquals(
                    delta.getTotalCalls(), (long) THREADS * FORWARDS * model.sdpaNodes, delta.toString());
        }
    }
}
