"""Who is using the app: sign-in for team servers, and the viewer the job runner serves.

Sign-in is off unless ``.streamlit/secrets.toml`` has an ``[auth]`` section (Streamlit's own
OpenID Connect sign-in: ``st.login`` / ``st.user`` / ``st.logout``). When it is on, every
page asks the person to sign in first (:func:`require_sign_in`, called by ``app.py``), and
their runs belong to them. Which runs a person may list and open is decided in
:mod:`core.jobs.access`; this module only says who the person is (:func:`current_viewer`).
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from core.i18n import Texts
from core.jobs.access import Owner, Viewer, access_mode, is_admin, user_owner
from ui.state import browser_owner
from ui.text import escape_markdown

TEXT = Texts("ui.sign_in")


def auth_settings() -> Mapping | None:
    """The ``[auth]`` section of ``secrets.toml``, or None when sign-in is not configured."""
    try:
        section = st.secrets.get("auth")
    except FileNotFoundError:  # no secrets file at all
        return None
    except Exception:  # noqa: BLE001 - a broken secrets file: Streamlit reports it itself
        return None
    return section if isinstance(section, Mapping) and section else None


def sign_in_configured() -> bool:
    """Whether this server asks people to sign in."""
    return auth_settings() is not None


def providers() -> list[str | None]:
    """The named providers of ``[auth]`` (``[auth.<name>]`` sections), or [None]: the default."""
    section = auth_settings() or {}
    named = [name for name, value in section.items() if isinstance(value, Mapping)]
    return named or [None]


def signed_in() -> bool:
    """Whether the person has signed in (False when sign-in is not configured)."""
    return bool(st.user.get("is_logged_in"))


def _user_emails() -> tuple[str, ...]:
    email = st.user.get("email")
    # An address the provider says it did not verify cannot make anyone an admin.
    if isinstance(email, str) and email and st.user.get("email_verified") is not False:
        return (email,)
    return ()


def current_viewer() -> Viewer:
    """The person this page is drawn for, as :mod:`core.jobs.access` sees them."""
    configured = sign_in_configured()
    mode = access_mode(st.get_option("server.address"), sign_in=configured)
    if configured and signed_in():
        subject = str(st.user.get("sub") or "")
        emails = _user_emails()
        label = str(st.user.get("email") or st.user.get("name") or subject)
        owner = user_owner(str(st.user.get("iss") or ""), subject, label)
        return Viewer(mode, owner, is_admin=is_admin(subject, emails), emails=emails)
    if configured:
        # Not signed in yet: an owner no run has, so nothing is listed or opened.
        return Viewer(mode, Owner(kind="user", id="(signed out)"))
    return Viewer(mode, browser_owner())


def require_sign_in() -> None:
    """On a server with sign-in, stop here (with a sign-in button) until the person signs in."""
    if not sign_in_configured() or signed_in():
        return
    st.title(TEXT["title"])
    st.write(TEXT["why"])
    for provider in providers():
        label = TEXT["button"] if provider is None else TEXT["button_named"].format(name=provider)
        key = "sign_in" if provider is None else f"sign_in_{provider}"
        if st.button(label, key=key, type="primary", icon=":material/login:"):
            st.login(provider) if provider else st.login()
    st.stop()


def account_box() -> None:
    """In the sidebar, on a server with sign-in: who is signed in, and a way to sign out."""
    if not sign_in_configured() or not signed_in():
        return
    viewer = current_viewer()
    with st.sidebar:
        st.caption(TEXT["signed_in_as"].format(name=escape_markdown(viewer.owner.label)))
        if st.button(TEXT["sign_out"], key="sign_out", icon=":material/logout:"):
            st.logout()
