"""A population: P copies of one dense network, weights stacked on a leading member axis.

Every weight carries a leading member axis: a Dense kernel is (P, in, out), so each layer of all P members is
one batched matmul. Members start from the weights of plain Keras models (built per seed by the caller) and
export back to plain Keras models.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engine.config import NetworkConfig
from engine.networks.keras_models import build_network, predicted_labels
from engine.runtime import keras, tf

BN_MOMENTUM = 0.99  # keras.layers.BatchNormalization's defaults
BN_EPSILON = 1e-3


@dataclass(frozen=True)
class LayerShape:
    """One hidden or output Dense layer of the population, and whether BatchNormalization follows it."""

    units: int
    activation: str | None
    batch_norm: bool


class Population:
    """P networks of identical shape, weights stacked on the member axis, as Keras variables."""

    def __init__(self, net: NetworkConfig, n_outputs: int, output_activation: str, members: Sequence[keras.Model]):
        self.net = net
        self.n_outputs = n_outputs
        self.output_activation = output_activation
        self.size = len(members)
        self.shapes = [LayerShape(units, net.activation, net.batch_norm) for units in net.hidden]
        self.shapes.append(LayerShape(n_outputs, None, False))  # logits; the activation is in the loss
        per_member = [_dense_and_norm_weights(model) for model in members]
        self.kernels, self.biases, self.norms = [], [], []
        for layer, shape in enumerate(self.shapes):
            stacked = [np.stack([weights[layer][part] for weights in per_member]) for part in range(2)]
            self.kernels.append(keras.Variable(stacked[0], name=f"kernel_{layer}"))
            self.biases.append(keras.Variable(stacked[1], name=f"bias_{layer}"))
            if shape.batch_norm:
                gamma, beta, mean, variance = (
                    np.stack([weights[layer][part] for weights in per_member]) for part in range(2, 6)
                )
                self.norms.append(
                    (
                        keras.Variable(gamma, name=f"gamma_{layer}"),
                        keras.Variable(beta, name=f"beta_{layer}"),
                        keras.Variable(mean, name=f"moving_mean_{layer}", trainable=False),
                        keras.Variable(variance, name=f"moving_variance_{layer}", trainable=False),
                    )
                )
            else:
                self.norms.append(None)

    def variables(self) -> list[keras.Variable]:
        """Every weight, moving statistics included, in a fixed order (for checkpoints)."""
        variables = [*self.kernels, *self.biases]
        for norm in self.norms:
            variables += list(norm or ())
        return variables

    def trainable_variables(self, train_hidden: bool) -> list[keras.Variable]:
        """All weights, or only the output layer's when the reused hidden layers are frozen."""
        layers = range(len(self.shapes)) if train_hidden else [len(self.shapes) - 1]
        variables = []
        for layer in layers:
            variables += [self.kernels[layer], self.biases[layer]]
            if self.norms[layer] is not None:
                variables += list(self.norms[layer][:2])
        return variables

    def logits(self, x: tf.Tensor, training: bool, train_hidden: bool = True) -> tf.Tensor:
        """x: (P, batch, 784) or (batch, 784) shared by all members -> logits (P, batch, n_outputs)."""
        h = x if len(x.shape) == 3 else x[None]  # shared examples broadcast over the member axis
        for layer, shape in enumerate(self.shapes):
            h = tf.matmul(h, self.kernels[layer].value) + self.biases[layer].value[:, None, :]
            if shape.activation is not None:
                h = keras.activations.get(shape.activation)(h)
            if self.norms[layer] is not None:
                # a frozen BatchNormalization layer runs in inference mode, as in Keras
                h = self._normalise(h, self.norms[layer], training and train_hidden)
        return h

    def _normalise(self, h: tf.Tensor, norm: tuple, training: bool) -> tf.Tensor:
        gamma, beta, moving_mean, moving_variance = norm
        if training:
            mean, variance = tf.nn.moments(h, axes=[1])
            moving_mean.assign(moving_mean * BN_MOMENTUM + mean * (1 - BN_MOMENTUM))
            moving_variance.assign(moving_variance * BN_MOMENTUM + variance * (1 - BN_MOMENTUM))
        else:
            mean, variance = moving_mean.value, moving_variance.value
        inverse = tf.math.rsqrt(variance + BN_EPSILON) * gamma.value
        return (h - mean[:, None, :]) * inverse[:, None, :] + beta.value[:, None, :]

    def member_model(self, member: int, name: str) -> keras.Sequential:
        """Member `member` as a plain Keras Sequential with exactly its weights."""
        model = build_network(self.net, self.n_outputs, self.output_activation, name=name)
        weights = []
        for layer in range(len(self.shapes)):
            weights += [self.kernels[layer].numpy()[member], self.biases[layer].numpy()[member]]
            if self.norms[layer] is not None:
                weights += [variable.numpy()[member] for variable in self.norms[layer]]
        model.set_weights(weights)
        return model


def _dense_and_norm_weights(model: keras.Model) -> list[list[np.ndarray]]:
    """Per Dense layer: [kernel, bias] plus [gamma, beta, moving_mean, moving_variance] of the norm after it."""
    layers: list[list[np.ndarray]] = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense):
            layers.append([np.asarray(w) for w in layer.get_weights()])
        elif isinstance(layer, keras.layers.BatchNormalization):
            layers[-1] += [np.asarray(w) for w in layer.get_weights()]
    return layers


def member_accuracies(population: Population, x: np.ndarray, y: np.ndarray, batch: int = 1024) -> list[float]:
    """Exact test accuracy of every member, as keras_models.held_out_accuracy computes it for one model."""
    flat = x.reshape(len(x), -1)
    correct = np.zeros(population.size)
    for start in range(0, len(y), batch):
        logits = population.logits(tf.constant(flat[start : start + batch]), training=False)
        outputs = keras.activations.get(population.output_activation)(logits).numpy()
        correct += (predicted_labels(outputs) == y[start : start + batch]).sum(axis=-1)
    return [float(c / len(y)) for c in correct]
