"""Trainboard's engine: from a CSV to a trained, evaluated, exported Keras model.

Nothing here imports Streamlit. TensorFlow/Keras are imported only by the
modules that build, train, export or load models, so reading data,
profiling it and editing a recipe stay fast.
"""

__version__ = "0.1.0"
