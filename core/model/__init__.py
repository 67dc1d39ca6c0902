"""The recipe, what each task means, the network built from them, and training it."""
