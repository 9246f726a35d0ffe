/*
 * DJL Metal engine.
 */
package ai.djl.metal.it.util;

import ai.djl.metal.sdpa.Attention;
import ai.djl.metal.sdpa.AttentionOptions;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Child JVM entry point for logging tests: starts engine "Metal" and makes SDPA calls through the Java
 * API, so that the parent can count the log lines they produced.
 *
 * <p>Arguments: how many float32 calls, float64 calls and calls with dropout to make, in that order.
 */
public final class LoggingProbe {

    private LoggingProbe() {}

    /**
     * Makes the calls.
     *
     * @param args the three counts
     */
    public static void main(String[] args) {
        int plain = Integer.parseInt(args[0]);
        int float64 = Integer.parseInt(args[1]);
        int dropout = Integer.parseInt(args[2]);
        try (NDManager m = NDManager.newBaseManager("Metal")) {
            NDArray q = m.randomNormal(new Shape(1, 2, 5, 8));
            NDArray wide = q.toType(DataType.FLOAT64, false);
            AttentionOptions withDropout = AttentionOptions.builder().optDropoutP(0.5).build();
            for (int i = 0; i < plain; ++i) {
                Attention.scaledDotProductAttention(q, q, q);
            }
            for (int i = 0; i < float64; ++i) {
                Attention.scaledDotProductAttention(wide, wide, wide);
            }
            for (int i = 0; i < dropout; ++i) {
                Attention.scaledDotProductAttention(q, q, q, withDropout);
            }
        }
    }
}
