"""How good a trained network is: test metrics, baselines, column importance, the verdict."""
