"""Find good settings for me: a time-boxed search over the recipe's settings (Optuna).

- :mod:`core.tuning.space` — the search space, declared once and checked against the
  recipe's own field ranges and choice tables; a trial's recipe and its plain name.
- :mod:`core.tuning.study_files` — a study's folder (settings, live state, stop request)
  and the note that marks a job as one of its trials.
- :mod:`core.tuning.coordinator` — the study loop: every trial is an ordinary job of the
  job runner, judged on its validation rows only and stopped early when Optuna prunes it;
  the best settings are then trained once more as a normal run with its bundle.
  It runs as its own process (``python -m core.jobs tune <study_dir>``) or in the CLI.

Nothing here imports TensorFlow or Streamlit.
"""
