"""The part of Trainboard that ships inside every export bundle.

Reading raw tables, turning raw columns into model inputs, and turning model
outputs back into predictions are defined here once, with nothing heavier
than numpy and pandas, so the app, the CLI and a bundle's standalone
``predict.py`` run exactly the same code (no training/serving skew).

Modules here import each other relatively and never import ``core`` or
TensorFlow: the export copies this folder as-is into the bundle.
"""
