/*
 * DJL Metal engine.
 */
package ai.djl.metal.engine;

import ai.djl.engine.Engine;
import ai.djl.engine.EngineProvider;

/** {@code MetalEngineProvider} is the DJL {@link EngineProvider} for the {@link MetalEngine}. */
public class MetalEngineProvider implements EngineProvider {

    /** {@inheritDoc} */
    @Override
    public String getEngineName() {
        return MetalEngine.ENGINE_NAME;
    }

    /** {@inheritDoc} */
    @Override
    public int getEngineRank() {
        return MetalEngine.RANK;
    }

    /** {@inheritDoc} */
    @Override
    public Engine getEngine() {
        return InstanceHolder.INSTANCE;
    }

    private static final class InstanceHolder {
        static final Engine INSTANCE = MetalEngine.newInstance();
    }
}
