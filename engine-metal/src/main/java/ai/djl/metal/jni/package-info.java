/*
 * DJL Metal engine.
 */

/** Contains the JavaCPP binding of the native bridge (internal). */
package ai.djl.metal.jni;
