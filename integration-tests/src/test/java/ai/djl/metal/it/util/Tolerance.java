/*
 * DJL Metal engine.
 */
package ai.djl.metal.it.util;

/**
 * Accuracy bounds against a float64 reference for unit-scale inputs, by dtype: max |error| <= 1e-5
 * (float32), 3e-3 (float16), 2e-2 (bfloat16). Non-finite values must match exactly.
 */
public final class Tolerance {

    private Tolerance() {}

    /**
     * Returns the bound for a dtype.
     *
     * @param dtype {@code float32}, {@code float16}, {@code bfloat16} or {@code float64}
     * @return the largest allowed absolute error
     */
    public static double of(String dtype) {
        switch (dtype) {
            case "float64":
                return 1e-12;
            case "float32":
                return 1e-5;
            case "float16":
                return 3e-3;
            case "bfloat16":
                return 2e-2;
            default:
                throw new IllegalArgumentException(dtype);
        }
    }

    /**
     * Returns the largest absolute difference, or infinity when non-finite values disagree.
     *
     * @param actual the values under test
     * @param expected the reference values
     * @return max |actual - expected|
     */
    public static double maxError(double[] actual, double[] expected) {
        if (actual.length != expected.length) {
            throw new IllegalArgumentException(actual.length + " values vs " + expected.length);
        }
        double max = 0;
        for (int i = 0; i < actual.length; ++i) {
            double a = actual[i];
            double e = expected[i];
            if (!Double.isFinite(a) || !Double.isFinite(e)) {
                if (Double.compare(a, e) != 0) {
                    return Double.POSITIVE_INFINITY;
                }
                continue;
            }
            max = Math.max(max, Math.abs(a - e));
        }
        return max;
    }
}
