"""``python -m core`` runs the Trainboard command-line interface."""

from core.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
