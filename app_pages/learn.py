"""Learn page: the glossary, and one training step of a tiny network worked out in numbers.

Everything shown is computed: the walk-through's figures by
:func:`core.model.tiny_network.gradient_step`, the glossary's pictures by
:mod:`core.glossary.illustrations`. ``/learn?term=<id>`` opens the glossary on one entry.
"""

import streamlit as st

from core.i18n import Texts
from core.model.tiny_network import gradient_step
from ui.glossary import requested_term, show_glossary
from ui.learn_charts import tiny_network_figure
from ui.text import show_error
from ui.tiny_network_view import (
    current_weights,
    settings_form,
    show_backward,
    show_forward,
    show_loss,
    show_summary,
    show_update,
)

TEXT = Texts("pages.learn")

KEY = "learn"

st.title(TEXT["title"])
st.write(TEXT["intro"])
opened = requested_term()
walk_tab, glossary_tab = st.tabs(
    [TEXT["walkthrough"], TEXT["glossary"]],
    default=TEXT["glossary"] if opened else None,
    key=f"{KEY}_tabs",
)

with walk_tab:
    st.write(TEXT["walk_intro"])
    settings = settings_form(KEY)
    try:
        step = gradient_step(
            settings.inputs,
            settings.target,
            current_weights(),
            settings.learning_rate,
            settings.activation,
            settings.loss,
        )
    except ValueError as error:
        show_error(error)
        st.stop()
    show_summary(step)
    st.plotly_chart(
        tiny_network_figure(step), key=f"{KEY}_network", config={"displayModeBar": False}
    )
    st.caption(TEXT["diagram"])
    show_forward(step)
    show_loss(step)
    show_backward(step)
    show_update(step, KEY)

with glossary_tab:
    show_glossary(f"{KEY}_glossary", opened)
