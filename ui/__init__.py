"""Shared pieces of the Streamlit pages: session state, widgets, charts, safe text.

Pages stay thin (read state, draw widgets, call one ``core`` function, show the
result); anything two pages need, or anything longer than a few lines, lives
here. Nothing in this package imports TensorFlow: the app must open fast.
"""
