/**
 * Deep homogeneous networks: {@link org.autobalance.network.NetworkTrainer} runs full-batch gradient descent on the
 * squared loss of a network described by an {@link org.autobalance.network.Architecture} (dense and convolutional
 * {@link org.autobalance.network.Layer}s with linear, ReLU or leaky-ReLU {@link org.autobalance.network.Activation}s)
 * and returns a {@link org.autobalance.network.NetworkResult} that owns the trained
 * {@link org.autobalance.network.Parameters}.
 *
 * <p>Every iteration yields a {@link org.autobalance.observe.NetworkRecord} with the quantities that gradient flow
 * conserves (the differences of squared norms between consecutive layers, per layer and per unit, and a matrix
 * invariant for linear pairs), so the balancing of the layers can be watched as it happens.
 * {@link org.autobalance.network.ParameterFiles} reads and writes the parameters as {@code .npy} files.
 */
package org.autobalance.network;
