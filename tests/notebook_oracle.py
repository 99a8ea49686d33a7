"""An independent oracle: the experiment written in plain Keras the notebook's way, in the test suite.

It shares with the engine only the two contracts that make runs comparable member by member: each
model's initial seed (`model_seed`) and each epoch's data order (`epoch_order`). Everything else
(building, cloning, freezing, compiling, recompiling, fitting) is written here again, as the notebook
does it, so a bug in the engine's version of any of it shows up as a difference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.data.split import TaskData, Tasks
from engine.runtime import keras
from engine.training.keras_phase import epoch_order
from engine.training.seeding import model_seed

# the notebook's optimizers, with its hyperparameters, written out again
NOTEBOOK_OPTIMIZERS = {
    "sgd": lambda lr, **kw: keras.optimizers.SGD(learning_rate=lr, **kw),
    "momentum": lambda lr, **kw: keras.optimizers.SGD(learning_rate=lr, **{"momentum": 0.9, **kw}),
    "nesterov": lambda lr, **kw: keras.optimizers.SGD(learning_rate=lr, **{"momentum": 0.9, "nesterov": True, **kw}),
    "adagrad": lambda lr, **kw: keras.optimizers.Adagrad(learning_rate=lr, **kw),
    "rmsprop": lambda lr, **kw: keras.optimizers.RMSprop(learning_rate=lr, **{"rho": 0.9, **kw}),
    "adam": lambda lr, **kw: keras.optimizers.Adam(learning_rate=lr, **{"beta_1": 0.9, "beta_2": 0.999, **kw}),
    "adamax": lambda lr, **kw: keras.optimizers.Adamax(learning_rate=lr, **{"beta_1": 0.9, "beta_2": 0.999, **kw}),
    "nadam": lambda lr, **kw: keras.optimizers.Nadam(learning_rate=lr, **{"beta_1": 0.9, "beta_2": 0.999, **kw}),
    "adamw": lambda lr, **kw: keras.optimizers.AdamW(learning_rate=lr, **kw),
}


def notebook_optimizer(name: str, learning_rate: float, **overrides):
    return NOTEBOOK_OPTIMIZERS[name](learning_rate, **overrides)


def dense_network(net, n_outputs: int, activation: str) -> keras.Sequential:
    model = keras.models.Sequential()
    model.add(keras.Input(shape=(28, 28)))
    model.add(keras.layers.Flatten())
    for n_hidden in net.hidden:
        model.add(keras.layers.Dense(n_hidden, activation=net.activation, kernel_initializer=net.initializer))
        if net.batch_norm:
            model.add(keras.layers.BatchNormalization())
    model.add(keras.layers.Dense(n_outputs, activation=activation))
    return model


def fit(
    model, data: TaskData, *, seed: int, phase: str, epochs: int, batch_size: int, first_epoch: int = 0
) -> dict[str, list[float]]:
    """model.fit one epoch at a time, each epoch in the engine's documented data order (from `first_epoch`)."""
    history: dict[str, list[float]] = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
    for epoch in range(first_epoch, first_epoch + epochs):
        order = epoch_order(seed, phase, epoch, len(data.y_train))
        logs = model.fit(
            data.x_train[order],
            data.y_train[order],
            batch_size=batch_size,
            epochs=1,
            shuffle=False,
            validation_data=(data.x_valid, data.y_valid),
            verbose=0,
        ).history
        for name in history:
            history[name].append(logs[name][-1])
    return history


def accuracy(model, data: TaskData) -> float:
    outputs = model.predict(data.x_test, verbose=0)
    predicted = outputs.argmax(-1) if outputs.shape[-1] > 1 else outputs[:, 0] > 0.5
    return float(np.mean(predicted == data.y_test))


@dataclass
class NotebookRun:
    models: dict[str, keras.Model]
    histories: dict[str, dict[str, list[float]]]
    accuracies: dict[str, float]


def train_model_a(config, tasks: Tasks, seed: int) -> tuple[keras.Model, dict]:
    keras.utils.set_random_seed(model_seed(seed, "model_a"))
    model_a = dense_network(config.network, len(tasks.a_classes), "softmax")
    model_a.compile(
        loss="sparse_categorical_crossentropy",
        optimizer=notebook_optimizer(config.train_a.optimizer, config.train_a.learning_rate),
        metrics=["accuracy"],
    )
    batch = config.run.batch_size
    return model_a, fit(model_a, tasks.a, seed=seed, phase="model_a", epochs=config.train_a.epochs, batch_size=batch)


def b_on_a_start(model_a: keras.Model, seed: int) -> keras.Sequential:
    """The notebook's cell: a clone of A with A's weights, all but its output layer, then Dense(1, sigmoid)."""
    keras.utils.set_random_seed(model_seed(seed, "b_frozen"))
    model_a_clone = keras.models.clone_model(model_a)
    model_a_clone.set_weights(model_a.get_weights())
    model_b_on_a = keras.models.Sequential([keras.Input(shape=(28, 28)), *model_a_clone.layers[:-1]])
    model_b_on_a.add(keras.layers.Dense(1, activation="sigmoid"))
    return model_b_on_a


def notebook_experiment(config, tasks: Tasks, seed: int) -> NotebookRun:
    """Model A, then B on A frozen, unfrozen (recompiled at the lower rate), and B from scratch."""
    transfer, batch = config.transfer, config.run.batch_size
    model_a, history_a = train_model_a(config, tasks, seed)

    model_b_on_a = b_on_a_start(model_a, seed)
    for layer in model_b_on_a.layers[:-1]:
        layer.trainable = False
    model_b_on_a.compile(
        loss="binary_crossentropy",
        optimizer=notebook_optimizer(transfer.optimizer, transfer.frozen_learning_rate),
        metrics=["accuracy"],
    )
    history_frozen = fit(
        model_b_on_a, tasks.b, seed=seed, phase="b_frozen", epochs=transfer.frozen_epochs, batch_size=batch
    )
    for layer in model_b_on_a.layers[:-1]:
        layer.trainable = True
    model_b_on_a.compile(
        loss="binary_crossentropy",
        optimizer=notebook_optimizer(transfer.optimizer, transfer.unfrozen_learning_rate),
        metrics=["accuracy"],
    )
    history_finetune = fit(
        model_b_on_a, tasks.b, seed=seed, phase="b_finetune", epochs=transfer.unfrozen_epochs, batch_size=batch
    )

    keras.utils.set_random_seed(model_seed(seed, "b_scratch"))
    model_b = dense_network(config.network, 1, "sigmoid")
    model_b.compile(
        loss="binary_crossentropy",
        optimizer=notebook_optimizer(transfer.optimizer, transfer.scratch_learning_rate),
        metrics=["accuracy"],
    )
    epochs_b = transfer.frozen_epochs + transfer.unfrozen_epochs
    history_scratch = fit(model_b, tasks.b, seed=seed, phase="b_scratch", epochs=epochs_b, batch_size=batch)
    return NotebookRun(
        models={"model_a": model_a, "b_finetune": model_b_on_a, "b_scratch": model_b},
        histories={
            "model_a": history_a,
            "b_frozen": history_frozen,
            "b_finetune": history_finetune,
            "b_scratch": history_scratch,
        },
        accuracies={
            "model_a": accuracy(model_a, tasks.a),
            "b_finetune": accuracy(model_b_on_a, tasks.b),
            "b_scratch": accuracy(model_b, tasks.b),
        },
    )
