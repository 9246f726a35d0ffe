/*
 * DJL Metal engine.
 */
package ai.djl.metal.engine;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.metal.sdpa.SdpaRouter;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.SymbolBlock;
import ai.djl.training.GradientCollector;

/**
 * The DJL engine {@code "Metal"}.
 *
 * <p>Models, arrays, TorchScript and training are DJL's PyTorch engine, used directly: every array is a
 * {@code PtNDArray}, nothing is copied between engines. What this engine adds is process-wide: at start
 * it installs an override of libtorch's {@code aten::scaled_dot_product_attention} that sends each call
 * to a native flash-attention kernel when one can run it, and to PyTorch's own implementation, unchanged,
 * when not (see {@link SdpaRouter} for the configuration and {@link ai.djl.metal.sdpa.SdpaStats} for what
 * happened).
 *
 * <p>The rank is above PyTorch's, so the engine is used only when asked for by name: {@code
 * Criteria.optEngine("Metal")}, {@code -Dai.djl.default_engine=Metal} or {@code DJL_DEFAULT_ENGINE=Metal}.
 */
public final class MetalEngine extends Engine {

    /** The engine name. */
    public static final String ENGINE_NAME = "Metal";

    static final int RANK = 20;

    private final Engine pytorch;

    private MetalEngine(Engine pytorch) {
        this.pytorch = pytorch;
    }

    static Engine newInstance() {
        Engine pytorch = Engine.getEngine("PyTorch");
        SdpaRouter.start();
        return new MetalEngine(pytorch);
    }

    /** {@inheritDoc} */
    @Override
    public Engine getAlternativeEngine() {
        return null;
    }

    /** {@inheritDoc} */
    @Override
    public String getEngineName() {
        return ENGINE_NAME;
    }

    /** {@inheritDoc} */
    @Override
    public int getRank() {
        return RANK;
    }

    /** {@inheritDoc} */
    @Override
    public String getVersion() {
        return pytorch.getVersion();
    }

    /** {@inheritDoc} */
    @Override
    public boolean hasCapability(String capability) {
        return pytorch.hasCapability(capability);
    }

    /** {@inheritDoc} */
    @Override
    public SymbolBlock newSymbolBlock(NDManager manager) {
        return pytorch.newSymbolBlock(manager);
    }

    /** {@inheritDoc} */
    @Override
    public Model newModel(String name, Device device) {
        return pytorch.newModel(name, device);
    }

    /** {@inheritDoc} */
    @Override
    public NDManager newBaseManager() {
        return pytorch.newBaseManager();
    }

    /** {@inheritDoc} */
    @Override
    public NDManager newBaseManager(Device device) {
        return pytorch.newBaseManager(device);
    }

    /** {@inheritDoc} */
    @Override
    public GradientCollector newGradientCollector() {
        return pytorch.newGradientCollector();
    }

    /** {@inheritDoc} */
    @Override
    public Device defaultDevice() {
        return pytorch.defaultDevice();
    }

    /** {@inheritDoc} */
    @Override
    public Device[] getDevices(int maxGpus) {
        return pytorch.getDevices(maxGpus);
    }

    /** {@inheritDoc} */
    @Override
    public int getGpuCount() {
        return pytorch.getGpuCount();
    }

    /** {@inheritDoc} */
    @Override
    public void setRandomSeed(int seed) {
        super.setRandomSeed(seed);
        pytorch.setRandomSeed(seed);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return ENGINE_NAME + ':' + getVersion() + ", " + SdpaRouter.status();
    }
}
