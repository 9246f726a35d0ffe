/*
 * DJL Metal engine.
 */
package ai.djl.metal.engine;

import ai.djl.MalformedModelException;
import ai.djl.metal.jni.MetalLibrary;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.BlockList;
import ai.djl.nn.Parameter;
import ai.djl.nn.ParameterList;
import ai.djl.nn.SymbolBlock;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The block of a model of engine "Metal": DJL's PyTorch {@code PtSymbolBlock} (TorchScript), whose forwards
 * mark the calling thread as working for engine "Metal", so that the SDPA calls they make are routed. The
 * same TorchScript module run through its PyTorch block ({@link #getPyTorchBlock()}) or by a model of
 * engine "PyTorch" is plain PyTorch.
 */
public final class MetalSymbolBlock implements SymbolBlock {

    private final SymbolBlock pytorch;

    MetalSymbolBlock(SymbolBlock pytorch) {
        this.pytorch = pytorch;
    }

    /**
     * Returns DJL's PyTorch block underneath (for the PyTorch engine's own API, such as forwards of {@code
     * IValue}s); SDPA calls made through it are not routed.
     *
     * @return the PyTorch block
     */
    public SymbolBlock getPyTorchBlock() {
        return pytorch;
    }

    /** {@inheritDoc} */
    @Override
    public NDList forward(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        return forMetal(() -> pytorch.forward(parameterStore, inputs, training, params));
    }

    /** {@inheritDoc} */
    @Override
    public NDList forward(
            ParameterStore parameterStore,
            NDList data,
            NDList labels,
            PairList<String, Object> params) {
        return forMetal(() -> pytorch.forward(parameterStore, data, labels, params));
    }

    /** Runs a forward with the calling thread marked as working for engine "Metal". */
    private static NDList forMetal(Supplier<NDList> forward) {
        MetalLibrary.enterMetalScope();
        try {
            return forward.get();
        } finally {
            MetalLibrary.exitMetalScope();
        }
    }

    /** {@inheritDoc} */
    @Override
    public void setInitializer(Initializer initializer, Parameter.Type type) {
        pytorch.setInitializer(initializer, type);
    }

    /** {@inheritDoc} */
    @Override
    public void setInitializer(Initializer initializer, String paramName) {
        pytorch.setInitializer(initializer, paramName);
    }

    /** {@inheritDoc} */
    @Override
    public void setInitializer(Initializer initializer, Predicate<Parameter> predicate) {
        pytorch.setInitializer(initializer, predicate);
    }

    /** {@inheritDoc} */
    @Override
    public void initialize(NDManager manager, DataType dataType, Shape... inputShapes) {
        pytorch.initialize(manager, dataType, inputShapes);
    }

    /** {@inheritDoc} */
    @Override
    public boolean isInitialized() {
        return pytorch.isInitialized();
    }

    /** {@inheritDoc} */
    @Override
    public void cast(DataType dataType) {
        pytorch.cast(dataType);
    }

    /** {@inheritDoc} */
    @Override
    public void clear() {
        pytorch.clear();
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
    public void removeLastBlock() {
        pytorch.removeLastBlock();
    }

    /** {@inheritDoc} */
    @Override
    public BlockList getChildren() {
        return pytorch.getChildren();
    }

    /** {@inheritDoc} */
    @Override
    public ParameterList getDirectParameters() {
        return pytorch.getDirectParameters();
    }

    /** {@inheritDoc} */
    @Override
    public ParameterList getParameters() {
        return pytorch.getParameters();
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return pytorch.getOutputShapes(inputShapes);
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes, DataType[] dataTypes) {
        return pytorch.getOutputShapes(inputShapes, dataTypes);
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getInputShapes() {
        return pytorch.getInputShapes();
    }

    /** {@inheritDoc} */
    @Override
    public DataType[] getOutputDataTypes() {
        return pytorch.getOutputDataTypes();
    }

    /** {@inheritDoc} */
    @Override
    public void saveParameters(DataOutputStream os) throws IOException {
        pytorch.saveParameters(os);
    }

    /** {@inheritDoc} */
    @Override
    public void loadParameters(NDManager manager, DataInputStream is)
            throws IOException, MalformedModelException {
        pytorch.loadParameters(manager, is);
    }

    /** {@inheritDoc} */
    @Override
    public void freezeParameters(boolean freeze) {
        pytorch.freezeParameters(freeze);
    }

    /** {@inheritDoc} */
    @Override
    public void freezeParameters(boolean freeze, Predicate<Parameter> pred) {
        pytorch.freezeParameters(freeze, pred);
    }

    /** {@inheritDoc} */
    @Override
    public Map<String, String> getCustomMetadata() {
        return pytorch.getCustomMetadata();
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "Metal " + pytorch;
    }
}
