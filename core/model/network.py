"""Building the Keras network from the recipe.

The output layer, loss and metric follow from the task (:mod:`core.model.tasks`) and are
not recipe settings, so they can never contradict it: a yes/no outcome gets one sigmoid
unit and binary cross-entropy, categories get softmax and categorical cross-entropy,
numbers get one linear unit and mean squared error on the scaled target. The optimizer
is built from its entry in :data:`core.model.choices.OPTIMIZERS`.
"""

from __future__ import annotations

import keras

from core.model.choices import NUMBER_EMBEDDINGS, OPTIMIZERS
from core.model.embeddings import NumberEmbedding, embed_numbers
from core.model.recipe import ModelConfig, TrainingConfig
from core.model.tasks import task_spec
from core.portable.target import TargetEncoder


def build_model(
    n_inputs: int,
    config: ModelConfig,
    task: str,
    n_classes: int,
    seed: int,
    embedding: NumberEmbedding | None = None,
) -> keras.Model:
    """A fresh, uncompiled network: inputs → hidden layers → task-shaped output.

    ``embedding`` (from :func:`core.model.embeddings.number_embedding`, fitted on the
    training rows) adds the number columns' learned range features before the first hidden
    layer; it is required when ``config.number_embedding`` asks for one and the data has
    number columns. Only built-in layers are used, so the saved model loads with
    ``safe_mode=True`` anywhere.
    """
    regularizer = None
    if config.l1 or config.l2:
        regularizer = keras.regularizers.L1L2(l1=config.l1, l2=config.l2)
    inputs = keras.Input(shape=(n_inputs,), name="features", dtype="float32")
    x = inputs
    if embedding is not None and NUMBER_EMBEDDINGS[config.number_embedding].bins:
        x = embed_numbers(inputs, embedding, seed)
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
    spec = task_spec(task)
    outputs = keras.layers.Dense(
        spec.output_units(n_classes),
        activation=spec.output_activation,
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
        name="output",
    )(x)
    return keras.Model(inputs=inputs, outputs=outputs, name="trainboard_network")


def make_optimizer(config: TrainingConfig) -> keras.optimizers.Optimizer:
    """The recipe's optimizer with its learning rate (the optimizer's own default when empty).

    Settings the optimizer's table entry lists (momentum) are passed on; plain gradient
    descent is Keras' SGD without momentum, its batch being all training rows (see
    :meth:`TrainingConfig.effective_batch_size`).
    """
    choice = OPTIMIZERS[config.optimizer]
    kwargs = {"learning_rate": config.effective_learning_rate}
    if "momentum" in choice.settings:
        kwargs["momentum"] = config.momentum
    return getattr(keras.optimizers, choice.keras_class)(**kwargs)


@keras.saving.register_keras_serializable(package="trainboard")
class SmoothedSparseCrossentropy(keras.losses.Loss):
    """Categorical cross-entropy on integer classes with label smoothing.

    Keras' sparse cross-entropy has no ``label_smoothing``; this is its one-hot form
    ``y * (1 - e) + e / classes``, exactly as ``CategoricalCrossentropy`` smooths.
    Exported models carry no loss (:func:`export_model`), so a bundle never needs it.
    """

    def __init__(self, label_smoothing: float = 0.1, name: str = "smoothed_crossentropy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.label_smoothing = float(label_smoothing)

    def call(self, y_true, y_pred):
        classes = keras.ops.shape(y_pred)[-1]
        codes = keras.ops.cast(keras.ops.reshape(y_true, (-1,)), "int32")
        target = keras.ops.one_hot(codes, classes, dtype=y_pred.dtype)
        target = target * (1.0 - self.label_smoothing) + self.label_smoothing / classes
        return keras.losses.categorical_crossentropy(target, y_pred)

    def get_config(self) -> dict:
        return {**super().get_config(), "label_smoothing": self.label_smoothing}


def make_loss(config: TrainingConfig, task: str) -> str | keras.losses.Loss:
    """The task's loss, with the recipe's label smoothing where the task predicts a class."""
    spec = task_spec(task)
    if not spec.predicts_class or config.label_smoothing <= 0:
        return spec.loss
    if spec.output_activation == "sigmoid":
        return keras.losses.BinaryCrossentropy(label_smoothing=config.label_smoothing)
    return SmoothedSparseCrossentropy(config.label_smoothing)


def compile_model(model: keras.Model, config: TrainingConfig, task: str) -> None:
    """Attach the optimizer, the task's loss and the task's live metric."""
    spec = task_spec(task)
    model.compile(
        optimizer=make_optimizer(config), loss=make_loss(config, task), metrics=[spec.live_metric]
    )


def export_model(model: keras.Model, task: str, target: TargetEncoder) -> keras.Model:
    """The model engineers receive: for numbers, outputs in the target's own units.

    Training runs on a centred and scaled target (it learns faster and the
    learning rate means the same on any data); the exported model appends a
    fixed ``Rescaling`` layer, the graph form of
    :meth:`TargetEncoder.to_target_units`, so every artifact predicts real values.
    """
    if task_spec(task).predicts_class:
        if isinstance(model.loss, str) or model.loss is None:
            return model
        # A smoothed loss is training-only: the engineers' model is the same graph, uncompiled,
        # so model.keras loads anywhere without Trainboard's loss class.
        return keras.Model(inputs=model.inputs, outputs=model.outputs, name=model.name)
    rescaled = keras.layers.Rescaling(scale=target.std, offset=target.mean, name="to_target_units")(
        model.output
    )
    return keras.Model(inputs=model.inputs, outputs=rescaled, name="trainboard_network")
