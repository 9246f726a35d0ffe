/*
 * DJL Metal engine.
 */

/**
 * Contains the scaled-dot-product-attention API ({@link ai.djl.metal.sdpa.Attention}), its router's
 * configuration ({@link ai.djl.metal.sdpa.SdpaRouter}) and statistics ({@link
 * ai.djl.metal.sdpa.SdpaStats}).
 */
package ai.djl.metal.sdpa;
