"""The export bundle: its layout, writing and verifying it, the model card, loading it safely."""
