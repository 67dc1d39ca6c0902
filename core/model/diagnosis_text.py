"""Every sentence the training doctor shows, in one place for translation.

Read by :mod:`core.model.diagnosis`; placeholders in braces are filled with the run's
figures (errors with three significant digits, pass numbers from 1).
"""

MESSAGES = {
    "diverged_title": "Training blew up",
    "diverged": "Training went wrong in pass {epoch}: the error grew out of control{why}. This "
    "almost always means the learning rate is too high, so each adjustment overshoots and the "
    "next one overshoots further. Train again with a learning rate 10 times lower ({new} "
    "instead of {old}).",
    "diverged_nan": " (it became not-a-number)",
    "overfitting_title": "The network is memorising the training rows",
    "overfitting": "Since pass {since}, the error on the validation rows has risen ({best_val} → "
    "{val}, {rise}% above its best) while the error on the training rows kept falling "
    "({best_train} → {train}). The network is learning details of the training rows that do "
    "not carry over to new rows.",
    "overfitting_gap": " The validation error is now {gap}% higher than the training error.",
    "overfitting_kept": " The kept model is the one from pass {best}, before this started, so "
    "the result is not harmed; more dropout, a stronger weight penalty or fewer neurons may let "
    "the network learn for longer and score better.",
    "overfitting_saved": " Early stopping would have ended the run at pass {stop} and saved "
    "{saved} passes{time}.",
    "underfitting_title": "The network is not learning enough",
    "underfitting_flat": "Both errors have stayed high and flat for the last {window} passes "
    "(training {train}, validation {val}): the network does barely better than always giving "
    "the same answer ({reference}). It may be too small or learn too slowly to pick up the "
    "patterns, or the columns may hold little information about the outcome.",
    "underfitting_improving": "The validation error was still falling when training reached its "
    "limit of {limit} passes ({start} → {end} over {passes}). More passes would "
    "probably give a better model.",
    "underfitting_baseline": "The network scores below a simple {model} and shows no sign of "
    "memorising the training rows: it has not even learned the straight-line patterns the "
    "simple model finds. It needs more room or more time to learn: more neurons, faster "
    "learning or more passes.",
    "oscillating_title": "Training is unsteady",
    "oscillating": "The {which} error keeps going up and down instead of settling: it changed "
    "direction {reversals} times in the last {steps} passes, moving about {swing}% each time. "
    "The adjustments are probably too large: a lower learning rate or larger batches smooth "
    "them out.",
    "which_training": "training",
    "which_validation": "validation",
    "plateau_title": "Training kept going after it stopped improving",
    "plateau": "The validation error came within {tolerance}% of its best at pass {settled}; "
    "the passes after that added almost nothing. Early stopping would have saved {saved} "
    "passes{time}.",
    "time": " (about {seconds})",
    "last_pass": "the last pass",
    "last_passes": "the last {n} passes",
    "no_better_title": "A simple model does as well",
    "no_better_same": "A simple {model} scores about as well as the network on the test rows "
    "({metric} {theirs} vs {ours}). Prefer the simple model: it is as accurate, faster, and "
    "easier to explain. (A network with no hidden layers is exactly such a model.)",
    "no_better_worse": "A simple {model} does better than the network on the test rows "
    "({metric} {theirs} vs {ours}). Prefer the simple model: it is more accurate, faster, and "
    "easier to explain. (A network with no hidden layers is exactly such a model.)",
    "no_better_uncertain": "The network scores {metric} {ours} against {theirs} for a simple "
    "{model}, but the network's uncertainty range ({low} to {high}) includes the simple "
    "model's score: the test rows are too few to show that the network is better. Unless more "
    "data shows a clear gain, prefer the simple model.",
    "healthy_title": "Training looks healthy",
    "healthy": "The validation error fell from {first} to {best} (best at pass {best_epoch}), "
    "with no sign of memorising, blowing up, zigzagging or stalling.",
    "healthy_live": "So far the validation error has fallen from {first} to {best} (best at "
    "pass {best_epoch}), with no sign of memorising, blowing up, zigzagging or stalling.",
    "healthy_baseline": " The network also beats a simple {model} ({metric} {ours} vs {theirs}).",
    "below_title": "Validation error below training error: expected",
    "below_dropout": "The error on the validation rows is lower than on the training rows ({val} "
    "vs {train}). That is normal here, not a problem: dropout switches off {share}% of the "
    "neurons only while learning, so the training error is measured on a handicapped network; "
    "and the training error is averaged over each pass, while the network was still improving.",
    "below_plain": "The error on the validation rows is lower than on the training rows ({val} vs "
    "{train}). That is not a problem: the training error is averaged over each pass, while the "
    "network was still improving, and the validation rows may by chance be a little easier.",
}
