/*
 * DJL Metal engine.
 */
package ai.djl.metal.sdpa;

import ai.djl.ndarray.NDArray;

/**
 * The optional arguments of {@link Attention#scaledDotProductAttention}: PyTorch's {@code attn_mask},
 * {@code dropout_p}, {@code is_causal}, {@code scale} and {@code enable_gqa}, with PyTorch's defaults.
 */
public final class AttentionOptions {

    private static final AttentionOptions DEFAULTS = builder().build();

    private final NDArray attnMask;
    private final double dropoutP;
    private final boolean causal;
    private final Double scale;
    private final boolean enableGqa;

    private AttentionOptions(Builder builder) {
        attnMask = builder.attnMask;
        dropoutP = builder.dropoutP;
        causal = builder.causal;
        scale = builder.scale;
        enableGqa = builder.enableGqa;
    }

    /**
     * Returns PyTorch's defaults: no mask, no dropout, not causal, scale {@code 1/sqrt(head_dim)}, no GQA.
     *
     * @return the default options
     */
    public static AttentionOptions defaults() {
        return DEFAULTS;
    }

    /**
     * Creates a builder.
     *
     * @return a new builder with PyTorch's defaults
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the mask.
     *
     * @return the mask, or {@code null}
     */
    public NDArray getAttnMask() {
        return attnMask;
    }

    /**
     * Returns the dropout probability.
     *
     * @return {@code dropout_p}
     */
    public double getDropoutP() {
        return dropoutP;
    }

    /**
     * Returns whether causal masking is on.
     *
     * @return {@code is_causal}
     */
    public boolean isCausal() {
        return causal;
    }

    /**
     * Returns the explicit scale.
     *
     * @return the scale, or {@code null} for {@code 1/sqrt(head_dim)}
     */
    public Double getScale() {
        return scale;
    }

    /**
     * Returns whether grouped-query attention is on.
     *
     * @return {@code enable_gqa}
     */
    public boolean isEnableGqa() {
        return enableGqa;
    }

    /** Builds {@link AttentionOptions}. */
    public static final class Builder {

        NDArray attnMask;
        double dropoutP;
        boolean causal;
        Double scale;
        boolean enableGqa;

        Builder() {}

        /**
         * Sets the mask: boolean ({@code true} = attend) or additive (float32 or the query's dtype),
         * broadcastable to {@code [..., L, S]}.
         *
         * @param attnMask the mask, or {@code null} for none
         * @return this builder
         */
        public Builder optAttnMask(NDArray attnMask) {
            this.attnMask = attnMask;
            return this;
        }

        /**
         * Sets the dropout probability (calls with dropout run on PyTorch).
         *
         * @param dropoutP {@code dropout_p}
         * @return this builder
         */
        public Builder optDropoutP(double dropoutP) {
            this.dropoutP = dropoutP;
            return this;
        }

        /**
         * Sets causal masking, aligned top-left like PyTorch: query {@code i} sees keys {@code j <= i}.
         *
         * @param causal {@code is_causal}
         * @return this builder
         */
        public Builder optCausal(boolean causal) {
            this.causal = causal;
            return this;
        }

        /**
         * Sets the scale applied to {@code Q K^T}.
         *
         * @param scale the scale
         * @return this builder
         */
        public Builder optScale(double scale) {
            this.scale = scale;
            return this;
        }

        /**
         * Sets grouped-query attention: key/value heads shared by groups of query heads.
         *
         * @param enableGqa {@code enable_gqa}
         * @return this builder
         */
        public Builder optEnableGqa(boolean enableGqa) {
            this.enableGqa = enableGqa;
            return this;
        }

        /**
         * Builds the options.
         *
         * @return the options
         */
        public AttentionOptions build() {
            return new AttentionOptions(this);
        }
    }
}
