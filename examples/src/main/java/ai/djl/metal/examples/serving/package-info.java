/*
 * DJL Metal engine.
 */
/** An HTTP inference service on engine "Metal" and its load test. */
package ai.djl.metal.examples.serving;
