"""Building the Keras network from the recipe.

The output layer, loss and metric follow from the task and are not recipe
settings, so they can never contradict it: a yes/no outcome gets one sigmoid
unit and binary cross-entropy, categories get softmax and categorical
cross-entropy, numbers get one linear unit and mean squared error on the
scaled target.
"""

from __future__ import annotations

import keras

from core.model.architecture import TASK_METRIC, TASK_OUTPUT_ACTIVATION, output_units
from core.model.recipe import ModelConfig, TrainingConfig

# Keras' name of each task's loss; its plain name is TASK_LOSS_NAME (core.model.architecture).
TASK_LOSS = {
    "binary": "binary_crossentropy",
    "multiclass": "sparse_categorical_crossentropy",
    "regression": "mean_squared_error",
}

OPTIMIZERS = {
    "adam": keras.optimizers.Adam,
    "adamw": keras.optimizers.AdamW,
    "sgd": keras.optimizers.SGD,
    "rmsprop": keras.optimizers.RMSprop,
    "adagrad": keras.optimizers.Adagrad,
}


def build_model(
    n_inputs: int, config: ModelConfig, task: str, n_classes: int, seed: int
) -> keras.Model:
    """A fresh, uncompiled network: inputs → hidden layers → task-shaped output.

    Only built-in layers are used, so the saved model loads with
    ``safe_mode=True`` anywhere.
    """
    regularizer = None
    if config.l1 or config.l2:
        regularizer = keras.regularizers.L1L2(l1=config.l1, l2=config.l2)
    inputs = keras.Input(shape=(n_inputs,), name="features", dtype="float32")
    x = inputs
    for index, layer in enumerate(config.hidden_layers, start=1):
        x = keras.layers.Dense(
            layer.units,
            kernel_regularizer=regularizer,
            kernel_initializer=keras.initializers.GlorotUniform(seed=seed + index),
            name=f"hidden_{index}",
        )(x)
        if config.batch_norm:
            x = keras.layers.BatchNormalization(name=f"batch_norm_{index}")(x)
        x = keras.layers.Activation(layer.activation, name=f"activation_{index}")(x)
        if layer.dropout > 0:
            x = keras.layers.Dropout(
                layer.dropout, seed=seed + 100 + index, name=f"dropout_{index}"
            )(x)
    if config.linear_shortcut and config.hidden_layers:
        # Wide & deep: the answer sees the raw inputs too, so a linear effect needs no detour
        # through the hidden layers (a plain linear model is a special case of this network).
        x = keras.layers.Concatenate(name="inputs_and_hidden")([x, inputs])
    outputs = keras.layers.Dense(
        output_units(task, n_classes),
        activation=TASK_OUTPUT_ACTIVATION[task],
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
        name="output",
    )(x)
    return keras.Model(inputs=inputs, outputs=outputs, name="trainboard_network")


def make_optimizer(config: TrainingConfig) -> keras.optimizers.Optimizer:
    """The recipe's optimizer with its learning rate (the optimizer's own default when empty)."""
    kwargs = {"learning_rate": config.effective_learning_rate}
    if config.optimizer == "sgd":
        kwargs["momentum"] = config.momentum
    return OPTIMIZERS[config.optimizer](**kwargs)


def compile_model(model: keras.Model, config: TrainingConfig, task: str) -> None:
    """Attach the optimizer, the task's loss and the task's live metric."""
    metric, _ = TASK_METRIC[task]
    model.compile(optimizer=make_optimizer(config), loss=TASK_LOSS[task], metrics=[metric])


def export_model(
    model: keras.Model, task: str, target_mean: float, target_std: float
) -> keras.Model:
    """The model engineers receive: for numbers, outputs in the target's own units.

    Training runs on a centred and scaled target (it learns faster and the
    learning rate means the same on any data); the exported model appends a
    fixed ``Rescaling`` layer so every artifact predicts real values.
    """
    if task != "regression":
        return model
    rescaled = keras.layers.Rescaling(scale=target_std, offset=target_mean, name="to_target_units")(
        model.output
    )
    return keras.Model(inputs=model.inputs, outputs=rescaled, name="trainboard_network")
