/*
 * DJL Metal engine.
 */
package ai.djl.metal.engine;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.metal.jni.MetalLibrary;
import ai.djl.metric.Unit;
import ai.djl.ndarray.NDList;
import ai.djl.translate.TranslateException;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;

/**
 * A predictor of engine "Metal": DJL's {@link Predictor}, which, when metrics are set ({@link
 * #setMetrics}), also records per forward how its SDPA calls ran, counted on the forward's own thread:
 * {@value #NATIVE_METRIC}, {@value #FALLBACK_METRIC}, {@value #REJECTED_METRIC} and {@value #ERROR_METRIC}
 * (unit count, with the predictor's model dimension).
 *
 * @param <I> the input type
 * @param <O> the output type
 */
public class MetalPredictor<I, O> extends Predictor<I, O> {

    /** SDPA calls of a forward that ran on a native kernel. */
    public static final String NATIVE_METRIC = "SdpaNative";

    /** SDPA calls of a forward that fell back to PyTorch. */
    public static final String FALLBACK_METRIC = "SdpaFallback";

    /** SDPA calls of a forward refused in native mode. */
    public static final String REJECTED_METRIC = "SdpaRejected";

    /** SDPA calls of a forward that raised an error. */
    public static final String ERROR_METRIC = "SdpaError";

    private static final String[] NAMES = {NATIVE_METRIC, FALLBACK_METRIC, REJECTED_METRIC, ERROR_METRIC};

    MetalPredictor(Model model, Translator<I, O> translator, Device device) {
        super(model, translator, device, false);
    }

    /** {@inheritDoc} */
    @Override
    protected NDList predictInternal(TranslatorContext ctx, NDList ndList) throws TranslateException {
        if (metrics == null) {
            return super.predictInternal(ctx, ndList);
        }
        long[] before = new long[NAMES.length];
        MetalLibrary.threadCalls(before);
        try {
            return super.predictInternal(ctx, ndList);
        } finally {
            long[] after = new long[NAMES.length];
            MetalLibrary.threadCalls(after);
            for (int i = 0; i < NAMES.length; ++i) {
                metrics.addMetric(NAMES[i], after[i] - before[i], Unit.COUNT, dimension);
            }
        }
    }
}
