"""A population: P copies of one network, dense or convolutional, weights stacked on a leading member axis.

Every weight carries a leading member axis. A Dense kernel is (P, in, out), so each dense layer of all P members
is one batched matmul. A Conv2D kernel is (P, 3, 3, in, out) and the members' feature maps are stacked
member-major on the batch axis, (P * batch, H, W, C); each conv layer of all P members is one batched matmul
over 3x3 patches. Members start from
the weights of plain Keras models (built per seed by the caller) and export back to plain Keras models.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.config import LayerSpec, NetworkConfig
from engine.data.fashion_mnist import IMAGE_SHAPE
from engine.networks.keras_models import build_network, layer_groups, predicted_labels
from engine.runtime import keras, tf

BN_MOMENTUM = 0.99  # keras.layers.BatchNormalization's defaults
BN_EPSILON = 1e-3


class Population:
    """P networks of identical shape, weights stacked on the member axis, as Keras variables."""

    def __init__(
        self,
        net: NetworkConfig,
        n_outputs: int,
        output_activation: str,
        members: Sequence[keras.Model],
        precision: str = "float32",
    ):
        self.net = net
        # bfloat16 or float16: each layer computes in it from float32 weights cast per step, as Keras'
        # mixed_bfloat16 and mixed_float16 policies
        dtypes = {"float32": tf.float32, "bfloat16": tf.bfloat16, "float16": tf.float16}
        if precision not in dtypes:  # "auto" is resolved when the run starts (engine.runtime.resolved_precision)
            raise ValueError(f"a population computes in one of {sorted(dtypes)}, not {precision!r}")
        self.compute_dtype = dtypes[precision]
        # float16's range ends at 65504: its output layer computes in float32, as Keras' mixed precision guide
        # keeps a model's outputs (engine.networks.keras_models.in_precision)
        self.float32_output = precision == "float16"
        self.n_outputs = n_outputs
        self.output_activation = output_activation
        self.size = len(members)
        self.shapes = list(net.hidden_layers())  # then the output's logits: its activation is in the loss
        self.shapes.append(LayerSpec("dense", n_outputs, None, net.initializer, False))
        per_member = [_layer_weights(model) for model in members]
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

    @property
    def n_hidden_layers(self) -> int:
        return len(self.shapes) - 1

    def variables(self) -> list[keras.Variable]:
        """Every weight, moving statistics included, in a fixed order (for checkpoints)."""
        variables = [*self.kernels, *self.biases]
        for norm in self.norms:
            variables += list(norm or ())
        return variables

    def trainable_variables(self, frozen: int = 0) -> list[keras.Variable]:
        """The weights of every layer above the first `frozen` hidden layers (the reused ones, while frozen)."""
        return [variable for variable, _ in self.trainable_layers(frozen)]

    def trainable_layers(self, frozen: int = 0) -> list[tuple[keras.Variable, int]]:
        """trainable_variables, each with the layer it belongs to (for members frozen to different depths)."""
        variables = []
        for layer in range(frozen, len(self.shapes)):
            variables += [(self.kernels[layer], layer), (self.biases[layer], layer)]
            if self.norms[layer] is not None:
                variables += [(norm, layer) for norm in self.norms[layer][:2]]
        return variables

    def logits(
        self, x: tf.Tensor, training: bool, frozen: int | tf.Tensor = 0, weights: tf.Tensor | None = None
    ) -> tf.Tensor:
        """x: (P, batch, 784) or (batch, 784) shared by all members -> logits (P, batch, n_outputs). `weights`
        (P, batch), 0 for padding, keeps padding out of BatchNormalization's batch statistics. `frozen`: how many
        hidden layers do not train, for all members, or per member (P,) int32 when they differ."""
        h = self._computed(x)
        for layer, shape in enumerate(self.shapes):
            if shape.kind == "conv":
                h = self._conv_block(h, layer)
            else:
                if layer > 0 and self.shapes[layer - 1].kind == "conv":
                    h = self._flatten_maps(h)
                elif len(h.shape) == 2:
                    h = h[None]  # shared examples broadcast over the member axis
                if layer == len(self.shapes) - 1 and self.float32_output:
                    h, kernel, bias = tf.cast(h, tf.float32), self.kernels[layer].value, self.biases[layer].value
                else:
                    kernel, bias = self._computed(self.kernels[layer].value), self._computed(self.biases[layer].value)
                h = tf.matmul(h, kernel) + bias[:, None, :]
                if shape.activation is not None:
                    h = keras.activations.get(shape.activation)(h)
            if self.norms[layer] is not None:
                # a frozen BatchNormalization layer runs in inference mode, as in Keras; in float32 whatever the
                # precision, as Keras' BatchNormalization computes under a mixed policy
                h = tf.cast(h, tf.float32)
                if isinstance(frozen, int):
                    h = self._normalise(h, layer, training and layer >= frozen, weights)
                else:  # member by member: inference mode where the member keeps this layer frozen
                    h = self._normalise(h, layer, training, weights, trains=frozen <= layer)
                h = self._computed(h)
            if shape.kind == "conv":
                h = tf.nn.max_pool2d(h, 2, 2, "VALID")
        return tf.cast(h, tf.float32)  # the loss and the metrics in float32

    def _computed(self, t: tf.Tensor) -> tf.Tensor:
        """`t` in the dtype the layers compute in (a no-op in float32)."""
        return t if t.dtype == self.compute_dtype else tf.cast(t, self.compute_dtype)

    def _conv_block(self, h: tf.Tensor, layer: int) -> tf.Tensor:
        """Conv2D 3x3 'same' and the activation for every member. In: the images (batch, 784) or (P, batch, 784),
        or the previous block's maps (P * batch, H, W, C); out: (P * batch, H, W, filters). Shared images go
        through one convolution with all members' filters side by side; otherwise each member's maps through
        its own convolution."""
        kernel = self._computed(self.kernels[layer].value)  # (P, 3, 3, C_in, C_out)
        size, _, _, c_in, c_out = kernel.shape
        bias = self._computed(self.biases[layer].value)
        if layer == 0 and len(h.shape) == 2:
            filters = tf.reshape(tf.transpose(kernel, [1, 2, 3, 0, 4]), [3, 3, c_in, size * c_out])
            h = tf.nn.conv2d(tf.reshape(h, [-1, *IMAGE_SHAPE, 1]), filters, 1, "SAME") + tf.reshape(bias, [-1])
            h = tf.transpose(tf.reshape(h, [-1, *IMAGE_SHAPE, size, c_out]), [3, 0, 1, 2, 4])
            h = tf.reshape(h, [-1, *IMAGE_SHAPE, c_out])
        else:
            if layer == 0:
                h = tf.reshape(h, [-1, *IMAGE_SHAPE, 1])
            maps = tf.split(h, size, axis=0)
            h = tf.concat([tf.nn.conv2d(maps[m], kernel[m], 1, "SAME") + bias[m] for m in range(size)], axis=0)
        return keras.activations.get(self.shapes[layer].activation)(h)

    def _flatten_maps(self, h: tf.Tensor) -> tf.Tensor:
        """(P * batch, H, W, C) -> (P, batch, H * W * C), in the order keras.layers.Flatten gives."""
        return tf.reshape(h, [self.size, -1, h.shape[1] * h.shape[2] * h.shape[3]])

    def _normalise(
        self,
        h: tf.Tensor,
        layer: int,
        training: bool,
        weights: tf.Tensor | None = None,
        trains: tf.Tensor | None = None,
    ) -> tf.Tensor:
        """BatchNormalization for every member; `trains` (P,) bool: which members normalise with this batch's
        statistics and update their moving ones (the others run in inference mode)."""
        gamma, beta, moving_mean, moving_variance = self.norms[layer]
        maps = h.shape if self.shapes[layer].kind == "conv" else None
        if maps is not None:  # (P * batch, H, W, C) -> (P, batch * H * W, C): statistics per member and channel
            h = tf.reshape(h, [self.size, -1, maps[-1]])
        if not training:
            mean, variance = moving_mean.value, moving_variance.value
        elif weights is None:
            mean, variance = tf.nn.moments(h, axes=[1])
        else:
            mean, variance = _weighted_moments(h, weights if maps is None else tf.repeat(weights, maps[1] * maps[2], 1))
        if training:
            new_mean = moving_mean * BN_MOMENTUM + mean * (1 - BN_MOMENTUM)
            new_variance = moving_variance * BN_MOMENTUM + variance * (1 - BN_MOMENTUM)
            if trains is not None:
                mask = trains[:, None]
                mean = tf.where(mask, mean, moving_mean.value)
                variance = tf.where(mask, variance, moving_variance.value)
                new_mean = tf.where(mask, new_mean, moving_mean.value)
                new_variance = tf.where(mask, new_variance, moving_variance.value)
            moving_mean.assign(new_mean)
            moving_variance.assign(new_variance)
        inverse = tf.math.rsqrt(variance + BN_EPSILON) * gamma.value
        h = (h - mean[:, None, :]) * inverse[:, None, :] + beta.value[:, None, :]
        return h if maps is None else tf.reshape(h, [-1, *maps[1:]])

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


def _weighted_moments(h: tf.Tensor, weights: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Per member and unit, the mean and (biased) variance of h (P, n, C) over the entries of weight 1."""
    weights = weights[..., None]
    count = tf.maximum(tf.reduce_sum(weights, axis=1), 1.0)
    mean = tf.reduce_sum(h * weights, axis=1) / count
    return mean, tf.reduce_sum(tf.square(h - mean[:, None, :]) * weights, axis=1) / count


def _layer_weights(model: keras.Model) -> list[list[np.ndarray]]:
    """Per layer group: [kernel, bias] plus [gamma, beta, moving_mean, moving_variance] of its norm."""
    return [[np.asarray(w) for layer in group for w in layer.get_weights()] for group in layer_groups(model)]


def member_accuracies(population: Population, x: np.ndarray, y: np.ndarray, batch: int = 1024) -> list[float]:
    """Exact test accuracy of every member, as keras_models.held_out_accuracy computes it for one model."""
    flat = x.reshape(len(x), -1)
    correct = np.zeros(population.size)
    for start in range(0, len(y), batch):
        logits = population.logits(tf.constant(flat[start : start + batch]), training=False)
        outputs = keras.activations.get(population.output_activation)(logits).numpy()
        correct += (predicted_labels(outputs) == y[start : start + batch]).sum(axis=-1)
    return [float(c / len(y)) for c in correct]


def indexed_accuracies(
    population: Population, images: np.ndarray, positions: Sequence[np.ndarray], labels: Sequence[np.ndarray]
) -> list[float]:
    """Exact test accuracy of every member on a test set of its own (positions into the shared `images`)."""
    correct = np.zeros(population.size)
    longest = max(len(p) for p in positions)
    for start in range(0, longest, 256):
        width = min(256, longest - start)
        chunk = [np.pad(p[start : start + width], (0, width - len(p[start : start + width]))) for p in positions]
        x = np.stack([images[c] for c in chunk])
        outputs = keras.activations.get(population.output_activation)(population.logits(tf.constant(x), False))
        predicted = predicted_labels(np.asarray(outputs))
        for member, (member_positions, member_labels) in enumerate(zip(positions, labels, strict=True)):
            real = max(0, min(256, len(member_positions) - start))
            correct[member] += (predicted[member, :real] == member_labels[start : start + real]).sum()
    return [float(c / len(p)) for c, p in zip(correct, positions, strict=True)]
