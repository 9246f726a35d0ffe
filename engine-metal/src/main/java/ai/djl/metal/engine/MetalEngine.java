/*
 * DJL Metal engine.
 */
package ai.djl.metal.engine;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.metal.sdpa.Backend;
import ai.djl.metal.sdpa.SdpaMode;
import ai.djl.metal.sdpa.SdpaRouter;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.SymbolBlock;
import ai.djl.training.GradientCollector;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The DJL engine {@code "Metal"}.
 *
 * <p>Models, arrays, TorchScript and training are DJL's PyTorch engine, used directly: every array is a
 * {@code PtNDArray}, nothing is copied between engines. What this engine adds: at start it installs an
 * override of libtorch's {@code aten::scaled_dot_product_attention}, and the forwards of its models ({@link
 * MetalModel}, {@link MetalSymbolBlock}) mark their thread as working for this engine, so that each SDPA call
 * they make goes to a native flash-attention kernel when one can run it, and to PyTorch's own
 * implementation, unchanged, when not (see {@link SdpaRouter} for the configuration and {@link
 * ai.djl.metal.sdpa.SdpaStats} for what happened). SDPA calls of other engines' models in the same process
 * pass through to PyTorch untouched and uncounted.
 *
 * <p>The rank is above PyTorch's, so the engine is used only when asked for by name: {@code
 * Criteria.optEngine("Metal")}, {@code -Dai.djl.default_engine=Metal} or {@code DJL_DEFAULT_ENGINE=Metal}.
 */
public final class MetalEngine extends Engine {

    /** The engine name. */
    public static final String ENGINE_NAME = "Metal";

    /** {@link #hasCapability}: SDPA calls run on a Metal GPU. */
    public static final String CAPABILITY_METAL = "Metal";

    /** {@link #hasCapability}: SDPA calls on MPS tensors run on the Metal kernels too. */
    public static final String CAPABILITY_MPS = "MPS";

    private static final String VERSION = readVersion();

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

    /**
     * {@inheritDoc}
     *
     * <p>This engine's version, then libtorch's: {@code "0.1.0 (PyTorch 2.7.1)"}.
     */
    @Override
    public String getVersion() {
        return VERSION + " (PyTorch " + pytorch.getVersion() + ')';
    }

    /**
     * Returns the PyTorch engine's version (libtorch's), which is what this engine runs models with.
     *
     * @return the PyTorch version
     */
    public String getPyTorchVersion() {
        return pytorch.getVersion();
    }

    /**
     * {@inheritDoc}
     *
     * <p>{@value #CAPABILITY_METAL} when SDPA calls run on the Metal GPU, {@value #CAPABILITY_MPS} when they
     * do for MPS tensors too; anything else as the PyTorch engine answers.
     */
    @Override
    public boolean hasCapability(String capability) {
        if (CAPABILITY_METAL.equals(capability)) {
            return SdpaRouter.getBackend() == Backend.METAL && SdpaRouter.getMode() != SdpaMode.OFF;
        }
        if (CAPABILITY_MPS.equals(capability)) {
            return hasCapability(CAPABILITY_METAL) && SdpaRouter.readsMps();
        }
        return pytorch.hasCapability(capability);
    }

    /** {@inheritDoc} */
    @Override
    public SymbolBlock newSymbolBlock(NDManager manager) {
        return new MetalSymbolBlock(pytorch.newSymbolBlock(manager));
    }

    /** {@inheritDoc} */
    @Override
    public Model newModel(String name, Device device) {
        return new MetalModel(pytorch.newModel(name, device));
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

    private static String readVersion() {
        Properties p = new Properties();
        try (InputStream is = MetalEngine.class.getResourceAsStream("engine.properties")) {
            if (is != null) {
                p.load(is);
            }
        } catch (IOException e) {
            // an unreadable resource leaves the version unknown, which the default says
        }
        return p.getProperty("version", "unknown");
    }
}
