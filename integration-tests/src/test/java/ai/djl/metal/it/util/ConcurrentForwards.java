/*
 * DJL Metal engine.
 */
package ai.djl.metal.it.util;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;

import org.testng.Assert;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * One model shared by many threads, each with its own predictor running many forwards: every output must
 * be bitwise the output of a single-threaded forward.
 */
public final class ConcurrentForwards {

    private ConcurrentForwards() {}

    /**
     * Runs the forwards and checks every output against the first, single-threaded one.
     *
     * @param model the fixture model, loaded with engine "Metal"
     * @param threads the number of threads
     * @param forwards forwards per thread
     * @throws Exception if loading or a forward fails
     */
    public static void run(Fixtures.Model model, int threads, int forwards) throws Exception {
        Criteria<NDList, NDList> criteria =
                Criteria.builder()
                        .setTypes(NDList.class, NDList.class)
                        .optModelPath(model.file)
                        .optEngine("Metal")
                        .optTranslator(new NoopTranslator())
                        .build();
        try (ZooModel<NDList, NDList> zoo = criteria.loadModel()) {
            ByteBuffer expected = forward(zoo, model, 1).get(0);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<List<ByteBuffer>>> results = new ArrayList<>();
            for (int t = 0; t < threads; ++t) {
                Callable<List<ByteBuffer>> work = () -> forward(zoo, model, forwards);
                results.add(pool.submit(work));
            }
            pool.shutdown();
            for (Future<List<ByteBuffer>> f : results) {
                for (ByteBuffer out : f.get()) {
                    Assert.assertEquals(out.mismatch(expected.duplicate()), -1, "a forward differs");
                }
            }
        }
    }

    private static List<ByteBuffer> forward(ZooModel<NDList, NDList> zoo, Fixtures.Model model, int n)
            throws Exception {
        List<ByteBuffer> outputs = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager("Metal");
                Predictor<NDList, NDList> predictor = zoo.newPredictor()) {
            NDList inputs = new NDList();
            for (Path p : model.inputs) {
                inputs.add(Npy.read(manager, p));
            }
            for (int f = 0; f < n; ++f) {
                try (NDList out = predictor.predict(inputs)) {
                    outputs.add(out.get(model.outIndex).toByteBuffer());
                }
            }
        }
        return outputs;
    }
}
