"""Glossary texts about the network and its training: layers, activations, losses, optimizers.

Plain language for a product manager first, the formula for the curious reader after. Words in
braces, such as ``{adam_learning_rate}``, are filled in from the recipe's own constants by
:mod:`core.glossary`, so a default quoted here can never drift from the one the app uses.
"""

from __future__ import annotations

from core.glossary.terms import GlossaryEntry, Illustration, Section, Term

NETWORK_ENTRIES: tuple[GlossaryEntry, ...] = (
    GlossaryEntry(
        id=Term.HIDDEN_LAYERS,
        section=Section.NETWORK,
        title="Hidden layers and neurons",
        short="The layers between your columns and the answer. More layers and neurons can learn "
        "more complicated patterns, but can also memorise noise.",
        explanation=(
            "A **neuron** takes every number from the layer before it, multiplies each by a "
            "*weight*, adds them up together with a *bias*, and passes the sum through an "
            "*activation* (a bend). A **layer** is a row of such neurons working side by side. "
            "They are called *hidden* because you only ever see the inputs and the answer, "
            "never their values.\n\n"
            "Training means adjusting all those weights until the answers come out right. The "
            "number of neurons (width) and layers (depth) set how much the network *can* learn. "
            "Too little and it misses real patterns (underfitting); too much for the amount of "
            "data and it learns the training rows by heart (overfitting) and trains slower.\n\n"
            "For business tables of a few thousand rows, one to three layers of 16 to 128 "
            "neurons usually suffice, often narrowing towards the answer (128 then 64). If "
            "both the training and the validation error stay high, add neurons; if the "
            "validation error rises while the training error keeps falling, remove some or "
            "add regularisation."
        ),
        formula=r"h = f(W x + b)",
        formula_note="x: the numbers coming in; W: the weights; b: the biases; f: the "
        "activation; h: what the layer passes on.",
        example="A layer of 32 neurons after 10 inputs learns 10 × 32 weights plus 32 biases: "
        "352 numbers.",
        related=(Term.ACTIVATION, Term.OVERFITTING, Term.BACKPROPAGATION),
    ),
    GlossaryEntry(
        id=Term.ACTIVATION,
        section=Section.NETWORK,
        title="Activation functions (ReLU, tanh, sigmoid...)",
        short="The bend each neuron applies to its weighted sum. Without it, any number of layers "
        "would add up to one straight-line model.",
        explanation=(
            "Adding and multiplying alone can only draw straight lines; the activation is what "
            "lets a network learn curves, thresholds and interactions.\n\n"
            "- **ReLU** keeps positive sums and turns negative ones into 0. Simple, fast and the "
            "standard choice for hidden layers.\n"
            "- **tanh** squashes any sum into −1 to 1. A classic; its flat ends make learning "
            "slow in deep networks (the gradient almost vanishes there).\n"
            "- **sigmoid** squashes into 0 to 1, so it reads as a probability. Ideal for the "
            "output of a yes/no model; in hidden layers it learns slowly for the same reason "
            "as tanh.\n"
            "- **ELU** and **GELU** are smooth versions of ReLU that keep a little signal for "
            "negative sums.\n"
            "- **Linear** applies no bend at all.\n\n"
            "The output layer's activation is not a setting: Trainboard picks it from the task "
            "(sigmoid for yes/no, softmax for several categories, none for a number)."
        ),
        formula=r"\mathrm{ReLU}(z)=\max(0,z) \qquad \tanh(z)=\frac{e^{z}-e^{-z}}{e^{z}+e^{-z}}"
        r" \qquad \sigma(z)=\frac{1}{1+e^{-z}}",
        formula_note="z: the neuron's weighted sum.",
        illustration=Illustration.ACTIVATION_CURVES,
        related=(Term.HIDDEN_LAYERS, Term.BACKPROPAGATION),
    ),
    GlossaryEntry(
        id=Term.BACKPROPAGATION,
        section=Section.NETWORK,
        title="Backpropagation",
        short="How the network works out, for every weight, which way to nudge it to make the "
        "error smaller.",
        explanation=(
            "After a *forward pass* (inputs → layers → answer → error), backpropagation walks "
            "backwards through the network with the chain rule of calculus: how much does the "
            "error change when the answer changes, when each layer's sums change, and finally "
            "when each single weight changes.\n\n"
            "The result is the **gradient**: one number per weight. Its sign says in which "
            "direction the weight should move, its size how strongly the error reacts to it. "
            "The optimizer then uses the gradients to update the weights, and the next batch "
            "starts again. The Learn page walks through this once with real numbers."
        ),
        formula=r"\frac{\partial L}{\partial w} = \frac{\partial L}{\partial p}\cdot"
        r"\frac{\partial p}{\partial z}\cdot\frac{\partial z}{\partial w}",
        formula_note="L: the loss; p: the prediction; z: a weighted sum; w: one weight.",
        related=(Term.OPTIMIZER, Term.LEARNING_RATE),
    ),
)

TRAINING_ENTRIES: tuple[GlossaryEntry, ...] = (
    GlossaryEntry(
        id=Term.LOSS,
        section=Section.TRAINING,
        title="Loss (the error being minimised)",
        short="One number that says how wrong the predictions are; training is the search for "
        "weights that make it small.",
        explanation=(
            "The loss is measured on every batch while training and on the validation rows "
            "after every epoch: those are the two curves on the Train page. Lower is better, "
            "and only the trend and the gap between the two curves matter, not the number "
            "itself.\n\n"
            "Trainboard picks the loss from the task, so it can never contradict the model: "
            "**cross-entropy** when predicting categories, **mean squared error** when "
            "predicting a number."
        ),
        related=(Term.CROSS_ENTROPY, Term.MEAN_SQUARED_ERROR, Term.OVERFITTING),
    ),
    GlossaryEntry(
        id=Term.CROSS_ENTROPY,
        section=Section.TRAINING,
        title="Cross-entropy",
        short="The loss for predicting categories: it looks at the probability given to the right "
        "answer and punishes confident mistakes hard.",
        explanation=(
            "For each row, take the probability the model gave to the *right* answer and "
            "compute minus its logarithm. A confident right answer costs almost nothing, an "
            "unsure one costs a little, a confident wrong one costs a lot. So the model is "
            "pushed to be right *and* honest about how sure it is.\n\n"
            "Paired with a sigmoid or softmax output, its gradient simplifies to *prediction "
            "minus truth*, which makes learning fast and stable; mean squared error on "
            "probabilities learns slowly when the model is confidently wrong."
        ),
        formula=r"L = -\frac{1}{n}\sum_{i=1}^{n}\big[y_i \log p_i + (1-y_i)\log(1-p_i)\big]",
        formula_note="y: 1 if the row is a yes, else 0; p: the predicted probability of yes; "
        "with several categories, the sum of −log of the probability of each row's category.",
        example="Probability given to the right answer: 0.9 → loss 0.11; 0.5 → 0.69; "
        "0.1 → 2.30; 0.01 → 4.61.",
        related=(Term.LOSS, Term.ACTIVATION),
    ),
    GlossaryEntry(
        id=Term.MEAN_SQUARED_ERROR,
        section=Section.TRAINING,
        title="Mean squared error (MSE)",
        short="The loss for predicting numbers: the average of the squared differences between "
        "prediction and truth.",
        explanation=(
            "Squaring makes big misses weigh far more than small ones: a miss of 10 counts 100 "
            "times a miss of 1. That suits most business numbers, but a few extreme rows can "
            "dominate. Its square root (RMSE) is back in the target's units; the mean absolute "
            "error (MAE), the average size of a miss, is easier to read and less sensitive to "
            "extremes.\n\n"
            "Trainboard learns the target in standardised units (see *Scaling*), so a training "
            "loss near 1 means no better than always predicting the average."
        ),
        formula=r"\mathrm{MSE} = \frac{1}{n}\sum_{i=1}^{n}(y_i-\hat{y}_i)^2",
        formula_note="y: the true value; ŷ: the prediction; n: the number of rows.",
        example="Misses of 1, 2 and 3: MSE = (1 + 4 + 9) / 3 = 4.67, RMSE = 2.16, MAE = 2.",
        related=(Term.LOSS, Term.R_SQUARED, Term.SCALING),
    ),
    GlossaryEntry(
        id=Term.OPTIMIZER,
        section=Section.TRAINING,
        title="Gradient descent, SGD and Adam",
        short="The rule that turns gradients into weight updates. Adam is the usual default: "
        "fast, and forgiving about the learning rate.",
        explanation=(
            "All three walk downhill on the loss, against the gradient; they differ in how "
            "they measure the slope and how big a step they take.\n\n"
            "- **Gradient descent** (full batch) measures the slope on *all* training rows, "
            "then takes one step. The direction is exact, but there is only one update per "
            "epoch, which is slow on large data, and in a long narrow valley it zig-zags.\n"
            "- **Stochastic gradient descent (SGD)** measures the slope on a small batch of "
            "rows: many cheap, slightly noisy steps per epoch. The noise even helps it leave "
            "flat spots. It needs a well-chosen learning rate; *momentum* keeps part of the "
            "previous step to smooth out the zig-zag.\n"
            "- **Adam** is SGD with momentum plus its own step size for every weight, scaled "
            "by how large that weight's recent gradients were: weights with small or rare "
            "gradients get relatively bigger steps, noisy ones smaller.\n\n"
            "That self-adjustment is why **Adam is the usual default**: with its standard "
            "learning rate ({adam_learning_rate}) it works well out of the box on most "
            "problems, without tuning. Carefully tuned SGD with momentum sometimes ends "
            "slightly better, at the cost of that tuning. AdamW is Adam with weight decay "
            "(see L1/L2)."
        ),
        # Two lines (KaTeX's aligned environment), so the formula fits a narrow column.
        formula=r"\begin{aligned} \text{GD, SGD:}\quad & w \leftarrow w - \eta\, g \\"
        r" \text{Adam:}\quad & m \leftarrow \beta_1 m + (1-\beta_1)\, g,\;\;"
        r" v \leftarrow \beta_2 v + (1-\beta_2)\, g^2,\;\;"
        r" w \leftarrow w - \eta\, \frac{\hat m}{\sqrt{\hat v}+\epsilon} \end{aligned}",
        formula_note="w: a weight; g: its gradient (on all rows for GD, on a batch for SGD "
        "and Adam); η: the learning rate; m, v: running averages of the gradient and of its "
        "square (m̂, v̂ corrected for starting at zero); β₁ = 0.9, β₂ = 0.999.",
        illustration=Illustration.OPTIMIZER_PATHS,
        related=(Term.LEARNING_RATE, Term.BATCH_SIZE, Term.BACKPROPAGATION),
    ),
    GlossaryEntry(
        id=Term.LEARNING_RATE,
        section=Section.TRAINING,
        title="Learning rate",
        short="How big each step is. Too small and learning crawls; too big and the error jumps "
        "around or explodes.",
        explanation=(
            "Every update moves each weight by the learning rate times its gradient. Think of "
            "walking downhill in fog: tiny steps are safe but take forever, huge steps jump "
            "over the valley and can land higher than where you started.\n\n"
            "What the curves tell you: a loss that falls slowly in an almost straight line "
            "asks for a higher rate; a loss that jumps up and down, climbs, or becomes "
            "*not a number* asks for a lower one (Trainboard stops a run whose loss blows up). "
            "Change it by factors of about 3 (0.0003, 0.001, 0.003). Left empty, Trainboard "
            "uses each method's own default: {adam_learning_rate} for Adam, "
            "{sgd_learning_rate} for SGD. *Slow down when progress stalls* halves it "
            "automatically when the validation loss stops improving."
        ),
        formula=r"w_{\text{new}} = w - \eta \cdot \frac{\partial L}{\partial w}",
        formula_note="η (eta): the learning rate; ∂L/∂w: the weight's gradient.",
        example="A weight of 0.40 with gradient −0.20 and learning rate 0.5 becomes "
        "0.40 − 0.5 × (−0.20) = 0.50.",
        illustration=Illustration.LEARNING_RATES,
        related=(Term.OPTIMIZER, Term.BATCH_SIZE),
    ),
    GlossaryEntry(
        id=Term.BATCH_SIZE,
        section=Section.TRAINING,
        title="Batch size",
        short="How many rows the network looks at before each update of the weights.",
        explanation=(
            "Small batches (16 to 64 rows) give many updates per epoch, each a little noisy; "
            "the noise acts as a mild protection against overfitting, but on a CPU each row "
            "costs more. Large batches (512 and more) give fewer, smoother updates and fast "
            "epochs, and may need more epochs or a higher learning rate. A batch of *all* "
            "training rows is plain gradient descent.\n\n"
            "Left empty, Trainboard chooses about one batch per {auto_batch_rows} training "
            "rows, rounded to a power of two, between {auto_batch_min} and {auto_batch_max}."
        ),
        example="8,000 training rows in batches of 32: 250 updates in every epoch.",
        related=(Term.EPOCHS, Term.OPTIMIZER, Term.LEARNING_RATE),
    ),
    GlossaryEntry(
        id=Term.EPOCHS,
        section=Section.TRAINING,
        title="Epochs",
        short="One epoch is one pass over all training rows. More epochs mean more learning, "
        "until the network starts memorising.",
        explanation=(
            "In each epoch the training rows are shuffled, cut into batches and the weights "
            "updated once per batch. After each epoch Trainboard measures the error on the "
            "validation rows: that is one point on each curve of the Train page.\n\n"
            "The number you set is a maximum: with *Stop when it stops improving* on, training "
            "usually ends earlier. If both curves are still falling at the last epoch, allow "
            "more; without early stopping, too many epochs lead to overfitting."
        ),
        related=(Term.BATCH_SIZE, Term.EARLY_STOPPING, Term.OVERFITTING),
    ),
)

OVERFITTING_ENTRIES: tuple[GlossaryEntry, ...] = (
    GlossaryEntry(
        id=Term.OVERFITTING,
        section=Section.OVERFITTING,
        title="Overfitting and underfitting",
        short="Overfitting: learning the training rows by heart, noise included, so new rows are "
        "predicted worse. Underfitting: too simple to catch the real pattern.",
        explanation=(
            "A model should learn what is true of customers in general, not the accidents of "
            "the rows it saw. The two loss curves show which is happening: while both fall, it "
            "is learning; when the training loss keeps falling but the validation loss turns "
            "up, it has started to memorise. If both stay high and flat, it underfits.\n\n"
            "Against overfitting: more data, a smaller network, L1/L2 penalties, dropout and "
            "early stopping. Against underfitting: more neurons or layers, more epochs, a "
            "higher learning rate, better columns.\n\n"
            "The picture fits a flexible curve to {fit_points} noisy points by gradient "
            "descent: early on it is too simple, at the best epoch it follows the trend, and "
            "later it bends towards individual points."
        ),
        illustration=Illustration.FIT_CURVES,
        related=(Term.EARLY_STOPPING, Term.DROPOUT, Term.L1_L2, Term.DATA_SPLITS),
    ),
    GlossaryEntry(
        id=Term.L1_L2,
        section=Section.OVERFITTING,
        title="L1 and L2 weight penalties",
        short="A cost for large weights added to the loss, so the network prefers simpler "
        "explanations: a protection against overfitting.",
        explanation=(
            "**L2** (also called weight decay) adds the sum of the squared weights: it shrinks "
            "all weights smoothly towards zero, so no single input can dominate and "
            "predictions change gently. **L1** adds the sum of their absolute values: it pushes "
            "many weights to exactly zero, so unhelpful inputs end up ignored.\n\n"
            "The strength λ is the setting: 0 switches it off, 0.00001 to 0.001 is typical, and "
            "too large a value makes the network too timid to learn (underfitting). The "
            "training loss on the Train page includes the penalty."
        ),
        formula=r"L_{\text{total}} = L + \lambda_1 \sum_k |w_k| + \lambda_2 \sum_k w_k^2",
        formula_note="λ₁: the L1 strength; λ₂: the L2 strength; the sums run over all weights.",
        related=(Term.OVERFITTING, Term.DROPOUT),
    ),
    GlossaryEntry(
        id=Term.DROPOUT,
        section=Section.OVERFITTING,
        title="Dropout",
        short="While training, switch off a random share of a layer's neurons at every step, so "
        "the network cannot rely on any single one: a protection against overfitting.",
        explanation=(
            "With dropout 0.3, each neuron is silenced with a 30% chance on each batch and the "
            "others are scaled up to make up for it. Like a team where anyone may be absent on "
            "a given day, the network learns several independent ways to reach the answer, "
            "which generalise better.\n\n"
            "It only happens while training: predictions use every neuron. 0.1 to 0.3 is usual "
            "for tables; 0.5 is a lot. Because the training loss is measured with neurons "
            "missing, it can sit *above* the validation loss; that is normal with dropout."
        ),
        formula=r"\tilde h = \frac{m \odot h}{1-r}, \qquad m_k \sim \mathrm{Bernoulli}(1-r)",
        formula_note="h: the layer's outputs; r: the dropout rate; m: a random mask of 0s and 1s.",
        related=(Term.OVERFITTING, Term.L1_L2),
    ),
    GlossaryEntry(
        id=Term.EARLY_STOPPING,
        section=Section.OVERFITTING,
        title="Early stopping",
        short="Stop training once the validation loss has not improved for a number of epochs "
        "(the patience), and keep the weights from the best epoch.",
        explanation=(
            "It reads the loss curves for you: after every epoch Trainboard checks the "
            "validation loss; when it has not reached a new low for *patience* epochs in a "
            "row, training stops and the weights of the best epoch are put back.\n\n"
            "Too small a patience stops on a random dip of a noisy curve; too large only wastes "
            "time, since the best weights are kept anyway. The test rows play no part, so the "
            "final test score stays honest."
        ),
        illustration=Illustration.LOSS_CURVES,
        related=(Term.OVERFITTING, Term.EPOCHS, Term.DATA_SPLITS),
    ),
)
