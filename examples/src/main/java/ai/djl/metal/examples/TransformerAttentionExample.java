/*
 * DJL Metal engine.
 */
package ai.djl.metal.examples;

import ai.djl.Device;
import ai.djl.ModelException;
import ai.djl.inference.Predictor;
import ai.djl.metal.sdpa.SdpaRouter;
import ai.djl.metal.sdpa.SdpaStats;
import ai.djl.ndarray.NDArray;
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

/**
 * The main job: loads a TorchScript transformer through {@link Criteria} with engine {@code "Metal"}, runs
 * one padded batch, and shows which path each scaled-dot-product-attention call took (one DEBUG line per
 * call from the router) and the routing totals.
 *
 * <p>Arguments: the model ({@code .pt}, taking token ids and an attention mask, both {@code [batch,
 * length]} int64), optionally the sequence length (default 18) and the vocabulary bound for the
 * generated token ids (default 100).
 */
public final class TransformerAttentionExample {

    private TransformerAttentionExample() {}

    /**
     * Runs the example.
     *
     * @param args model path, [length], [vocabulary]
     * @throws IOException if the model cannot be read
     * @throws ModelException if the model cannot be loaded
     * @throws TranslateException if the forward fails
     */
    public static void main(String[] args) throws IOException, ModelException, TranslateException {
        if (args.length < 1) {
            System.err.println("usage: TransformerAttentionExample <model.pt> [length] [vocabulary]");
            System.exit(2);
        }
        Path modelPath = Path.of(args[0]);
        if (!Files.isRegularFile(modelPath)) {
            System.err.println(
                    "No model at " + modelPath.toAbsolutePath() + ": pass a TorchScript transformer");
            System.exit(2);
        }
        int length = args.length > 1 ? Integer.parseInt(args[1]) : 18;
        int vocabulary = args.length > 2 ? Integer.parseInt(args[2]) : 100;

        Criteria<NDList, NDList> criteria =
                Criteria.builder()
                        .setTypes(NDList.class, NDList.class)
                        .optModelPath(modelPath)
                        .optEngine("Metal")
                        .optDevice(Device.cpu())
                        .optTranslator(new NoopTranslator())
                        .build();
        try (ZooModel<NDList, NDList> model = criteria.loadModel();
                Predictor<NDList, NDList> predictor = model.newPredictor()) {
            NDManager manager = model.getNDManager();
            NDList inputs = paddedBatch(manager, length, vocabulary);
            System.out.println("Model " + modelPath.getFileName() + " on engine Metal: " + SdpaRouter.status());
            SdpaStats before = SdpaStats.snapshot();
            NDList outputs = predictor.predict(inputs);
            SdpaStats forward = SdpaStats.snapshot().since(before);
            NDArray first = outputs.get(0);
            System.out.println("Output 0: " + first.getShape() + " " + first.getDataType());
            System.out.println("One forward: " + forward);
        }
    }

    /** Two sequences of token ids; the second is right-padded by a third of its length. */
    private static NDList paddedBatch(NDManager manager, int length, int vocabulary) {
        long[] ids = new long[2 * length];
        long[] mask = new long[2 * length];
        int padded = length - length / 3;
        for (int i = 0; i < length; ++i) {
            ids[i] = (7L * i + 3) % vocabulary;
            mask[i] = 1;
            boolean real = i < padded;
            ids[length + i] = real ? (11L * i + 5) % vocabulary : 0;
            mask[length + i] = real ? 1 : 0;
        }
        Shape shape = new Shape(2, length);
        return new NDList(manager.create(ids, shape), manager.create(mask, shape));
    }
}
