/*
 * DJL Metal engine.
 */
package ai.djl.metal.engine;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.SymbolBlock;
import ai.djl.training.Trainer;
import ai.djl.training.TrainingConfig;
import ai.djl.translate.Translator;
import ai.djl.util.PairList;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;

/**
 * A model of engine "Metal": DJL's PyTorch model (loading, TorchScript, arrays, parameters), whose block is a
 * {@link MetalSymbolBlock}, so that the SDPA calls of its forwards, and of its predictors', are routed; the
 * same file loaded with engine "PyTorch" runs on plain PyTorch in the same process.
 *
 * <p>Training runs the PyTorch model's own block: its forwards are not routed (calls that need gradients would
 * run on PyTorch anyway).
 */
public final class MetalModel implements Model {

    private final Model pytorch;
    private MetalSymbolBlock wrapped;

    MetalModel(Model pytorch) {
        this.pytorch = pytorch;
    }

    /** {@inheritDoc} */
    @Override
    public void load(Path modelPath, String prefix, Map<String, ?> options)
            throws IOException, MalformedModelException {
        pytorch.load(modelPath, prefix, options);
    }

    /** {@inheritDoc} */
    @Override
    public void load(InputStream is, Map<String, ?> options)
            throws IOException, MalformedModelException {
        pytorch.load(is, options);
    }

    /** {@inheritDoc} */
    @Override
    public void save(Path modelPath, String newModelName) throws IOException {
        pytorch.save(modelPath, newModelName);
    }

    /** {@inheritDoc} */
    @Override
    public Path getModelPath() {
        return pytorch.getModelPath();
    }

    /**
     * {@inheritDoc}
     *
     * <p>A TorchScript block comes wrapped as a {@link MetalSymbolBlock}; any other block as it was set.
     */
    @Override
    public synchronized Block getBlock() {
        Block block = pytorch.getBlock();
        if (!(block instanceof SymbolBlock) || block instanceof MetalSymbolBlock) {
            return block;
        }
        if (wrapped == null || wrapped.getPyTorchBlock() != block) {
            wrapped = new MetalSymbolBlock((SymbolBlock) block);
        }
        return wrapped;
    }

    /** {@inheritDoc} */
    @Override
    public synchronized void setBlock(Block block) {
        pytorch.setBlock(
                block instanceof MetalSymbolBlock ? ((MetalSymbolBlock) block).getPyTorchBlock() : block);
    }

    /** {@inheritDoc} */
    @Override
    public String getName() {
        return pytorch.getName();
    }

    /** {@inheritDoc} */
    @Override
    public Map<String, String> getProperties() {
        return pytorch.getProperties();
    }

    /** {@inheritDoc} */
    @Override
    public String getProperty(String key) {
        return pytorch.getProperty(key);
    }

    /** {@inheritDoc} */
    @Override
    public void setProperty(String key, String value) {
        pytorch.setProperty(key, value);
    }

    /**
     * {@inheritDoc}
     *
     * <p>The PyTorch engine's manager: arrays stay PyTorch's own, never copied.
     */
    @Override
    public NDManager getNDManager() {
        return pytorch.getNDManager();
    }

    /** {@inheritDoc} */
    @Override
    public Trainer newTrainer(TrainingConfig trainingConfig) {
        return pytorch.newTrainer(trainingConfig);
    }

    /**
     * {@inheritDoc}
     *
     * <p>A {@link MetalPredictor}: with metrics set, it records how each forward's SDPA calls ran.
     */
    @Override
    public <I, O> Predictor<I, O> newPredictor(Translator<I, O> translator, ai.djl.Device device) {
        return new MetalPredictor<>(this, translator, device);
    }

    /** {@inheritDoc} */
    @Override
    public PairList<String, Shape> describeInput() {
        return pytorch.describeInput();
    }

    /** {@inheritDoc} */
    @Override
    public PairList<String, Shape> describeOutput() {
        return pytorch.describeOutput();
    }

    /** {@inheritDoc} */
    @Override
    public String[] getArtifactNames() {
        return pytorch.getArtifactNames();
    }

    /** {@inheritDoc} */
    @Override
    public <T> T getArtifact(String name, Function<InputStream, T> function) throws IOException {
        return pytorch.getArtifact(name, function);
    }

    /** {@inheritDoc} */
    @Override
    public URL getArtifact(String name) throws IOException {
        return pytorch.getArtifact(name);
    }

    /** {@inheritDoc} */
    @Override
    public InputStream getArtifactAsStream(String name) throws IOException {
        return pytorch.getArtifactAsStream(name);
    }

    /** {@inheritDoc} */
    @Override
    public void setDataType(DataType dataType) {
        pytorch.setDataType(dataType);
    }

    /** {@inheritDoc} */
    @Override
    public DataType getDataType() {
        return pytorch.getDataType();
    }

    /** {@inheritDoc} */
    @Override
    public void cast(DataType dataType) {
        pytorch.cast(dataType);
    }

    /** {@inheritDoc} */
    @Override
    public void quantize() {
        pytorch.quantize();
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        pytorch.close();
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "Metal engine " + pytorch;
    }
}
