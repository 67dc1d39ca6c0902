"""Reading what a table holds: column kinds, the task, and health warnings."""
