/*
 * DJL Metal engine.
 */

/** Contains the DJL engine {@code "Metal"} and its provider. */
package ai.djl.metal.engine;
