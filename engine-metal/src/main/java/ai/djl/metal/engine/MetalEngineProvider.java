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

    private volatile Engine engine;

    /** {@inheritDoc} */
    @Override
    public Engine getEngine() {
        if (engine == null) {
            synchronized (this) {
                if (engine == null) {
                    // A failed start throws here and is retried (and fails the same way) on the next call.
                    engine = MetalEngine.newInstance();
                }
            }
        }
        return engine;
    }
}
