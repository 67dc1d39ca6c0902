"""Glossary texts about preparing the data and reading the scores.

Words in braces are filled in from the app's own constants by :mod:`core.glossary`.
"""

from __future__ import annotations

from core.glossary.terms import GlossaryEntry, Section, Term

DATA_ENTRIES: tuple[GlossaryEntry, ...] = (
    GlossaryEntry(
        id=Term.SCALING,
        section=Section.DATA,
        title="Scaling numbers (standardisation and others)",
        short="Put number columns on comparable scales before training, so that no column "
        "dominates just because of its units.",
        explanation=(
            "A salary in tens of thousands next to a number of children from 0 to 5: with raw "
            "numbers, the salary's gradient is thousands of times larger, gradient descent "
            "zig-zags, and only a tiny learning rate keeps it stable. Scaling fixes that.\n\n"
            "- **Standard** (standardisation): subtract the average, divide by the spread "
            "(standard deviation). Most values land between −3 and 3. The safe default.\n"
            "- **Min-max**: squeeze into 0 to 1. One extreme value squashes all the others.\n"
            "- **Robust**: subtract the median, divide by the interquartile range; resists "
            "extreme values.\n\n"
            "The averages and spreads are measured on the training rows only and then applied "
            "unchanged to validation, test and future rows; the exported model carries them, "
            "so your engineers send raw values. (Tree models do not need scaling; networks do.)"
        ),
        formula=r"\text{standard: } \frac{x-\mu}{\sigma} \qquad "
        r"\text{min-max: } \frac{x-\min}{\max-\min} \qquad "
        r"\text{robust: } \frac{x-\mathrm{median}}{\mathrm{IQR}}",
        formula_note="μ: the average; σ: the standard deviation; IQR: the distance between "
        "the 25th and 75th percentiles; all measured on the training rows.",
        example="Salaries with average 50,000 and spread 15,000: 80,000 becomes "
        "(80,000 − 50,000) / 15,000 = 2.0, and 35,000 becomes −1.0.",
        related=(Term.OPTIMIZER, Term.ONE_HOT, Term.DATA_SPLITS),
    ),
    GlossaryEntry(
        id=Term.ONE_HOT,
        section=Section.DATA,
        title="One-hot encoding",
        short="Turn a category column into one yes/no input per category, because a network only "
        "understands numbers.",
        explanation=(
            "A *plan* column with Basic, Pro and Enterprise becomes three inputs: *plan is "
            "Basic*, *plan is Pro*, *plan is Enterprise*, each 1 or 0. Why not simply 1, 2, 3? "
            "Because that would tell the network that Enterprise is three times Basic and that "
            "Pro sits exactly in between; fine only when the categories have a real order "
            "(that is the *one number per category* option).\n\n"
            "Categories seen in fewer than {min_category_count} training rows, and those beyond "
            "the {max_categories} most common, share one *other* input, so a column with "
            "thousands of values does not become thousands of inputs; a category never seen in "
            "training goes there too, so prediction still works."
        ),
        example="plan = Pro → (Basic 0, Pro 1, Enterprise 0, other 0).",
        related=(Term.SCALING, Term.HIDDEN_LAYERS),
    ),
    GlossaryEntry(
        id=Term.DATA_SPLITS,
        section=Section.DATA,
        title="Training, validation and test rows",
        short="The rows are split three ways: training rows to learn from, validation rows to "
        "steer training, test rows kept aside for one honest final score.",
        explanation=(
            "A model graded on the rows it learned from looks better than it is, like a pupil "
            "who has seen the exam. So:\n\n"
            "- **Training rows** (by default {train_percent}%): the weights learn from these.\n"
            "- **Validation rows** ({validation_percent}%): checked after every epoch, to decide "
            "when to stop and to compare settings. Because choices are made with them, their "
            "score ends up slightly optimistic.\n"
            "- **Test rows** ({test_percent}%): untouched until the very end, they give the "
            "score to report.\n\n"
            "When predicting a category, the split keeps the same mix of outcomes in each part. "
            "Scaling and category lists are learned from the training rows only, so nothing "
            "about the other rows leaks in. With few rows the test score is uncertain: on a "
            "hundred test rows, a few lucky or unlucky rows move it by several points."
        ),
        related=(Term.EARLY_STOPPING, Term.OVERFITTING, Term.ACCURACY),
    ),
)

SCORE_ENTRIES: tuple[GlossaryEntry, ...] = (
    GlossaryEntry(
        id=Term.ACCURACY,
        section=Section.SCORES,
        title="Accuracy",
        short="The share of predictions that are right. Easy to read, and misleading when one "
        "outcome is rare.",
        explanation=(
            "If 95% of customers stay, a model that says *stays* for everyone is 95% accurate "
            "and catches no one who leaves. Always compare accuracy with the baseline that "
            "Trainboard shows (always answering the most common outcome). When the outcome you "
            "care about is rare, look at precision, recall, F1 and ROC AUC instead."
        ),
        formula=r"\text{accuracy} = \frac{TP + TN}{TP + TN + FP + FN}",
        formula_note="TP: real cases flagged; TN: non-cases left alone; FP: false alarms; "
        "FN: real cases missed.",
        related=(Term.PRECISION_RECALL, Term.F1, Term.ROC_AUC),
    ),
    GlossaryEntry(
        id=Term.PRECISION_RECALL,
        section=Section.SCORES,
        title="Precision and recall",
        short="Precision: of the rows flagged, the share that are real cases. Recall: of the real "
        "cases, the share that were flagged.",
        explanation=(
            "The two pull against each other through the *threshold*, the probability above "
            "which a row is flagged. Lower it and you catch more real cases (recall up) but "
            "raise more false alarms (precision down); raise it and the opposite happens.\n\n"
            "Which matters more is a business question: if acting is cheap (an e-mail), favour "
            "recall; if acting is expensive (a sales call), favour precision. With several "
            "categories Trainboard averages each score over the categories."
        ),
        formula=r"\text{precision} = \frac{TP}{TP + FP} \qquad "
        r"\text{recall} = \frac{TP}{TP + FN}",
        formula_note="TP: real cases flagged; FP: false alarms; FN: real cases missed.",
        example="100 customers will leave. The model flags 80, of whom 60 really leave: "
        "precision = 60 / 80 = 75%, recall = 60 / 100 = 60%.",
        related=(Term.F1, Term.ACCURACY, Term.ROC_AUC),
    ),
    GlossaryEntry(
        id=Term.F1,
        section=Section.SCORES,
        title="F1 score",
        short="One number balancing precision and recall; it is high only when both are.",
        explanation=(
            "F1 is the harmonic mean of precision and recall: unlike a plain average, a model "
            "cannot score well by being excellent at one and poor at the other. 1 is perfect, "
            "0 useless. Useful to compare models on a rare outcome; to decide how to act, look "
            "at precision and recall themselves."
        ),
        formula=r"F_1 = 2\cdot\frac{\text{precision}\cdot\text{recall}}"
        r"{\text{precision}+\text{recall}}",
        example="Precision 75% and recall 60%: F1 = 2 × 0.75 × 0.60 / (0.75 + 0.60) = 0.667 "
        "(a plain average would say 0.675).",
        related=(Term.PRECISION_RECALL, Term.ACCURACY),
    ),
    GlossaryEntry(
        id=Term.ROC_AUC,
        section=Section.SCORES,
        title="ROC AUC",
        short="How well the model ranks rows: the chance that a real case gets a higher score "
        "than a non-case. 0.5 is guessing, 1 is perfect.",
        explanation=(
            "The ROC curve plots, for every possible threshold, the share of real cases caught "
            "against the share of non-cases falsely flagged; AUC is the area under it. It does "
            "not depend on any one threshold, which makes it good for comparing models, but it "
            "does not tell you what happens at the threshold you will use. With a very rare "
            "outcome, the precision-recall curve is the more telling picture."
        ),
        formula=r"\mathrm{AUC} = P\big(\text{score}(\text{real case}) > "
        r"\text{score}(\text{non-case})\big)",
        related=(Term.PRECISION_RECALL, Term.ACCURACY),
    ),
    GlossaryEntry(
        id=Term.R_SQUARED,
        section=Section.SCORES,
        title="R² (coefficient of determination)",
        short="For predicted numbers: the share of the target's variation that the model explains. "
        "1 is perfect, 0 is no better than the average, below 0 is worse.",
        explanation=(
            "R² compares the model's squared misses with those of always predicting the "
            "average. It is not a percentage of correct answers: a model with R² = 0.8 can "
            "still miss individual rows by a lot. Read it together with the mean absolute "
            "error, which is in the target's own units."
        ),
        formula=r"R^2 = 1 - \frac{\sum_i (y_i-\hat{y}_i)^2}{\sum_i (y_i-\bar{y})^2}",
        formula_note="y: the true values; ŷ: the predictions; ȳ: their average.",
        example="Squared misses adding up to 20 where always guessing the average would add up "
        "to 100: R² = 1 − 20 / 100 = 0.8.",
        related=(Term.MEAN_SQUARED_ERROR,),
    ),
)
