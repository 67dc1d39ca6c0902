"""Who may list, open and act on which runs: the one place the rule is decided.

How far runs are kept apart depends on how the server is reached (:class:`AccessMode`):

- **personal** (the default: Streamlit listens on localhost only) — one person's own
  Trainboard: every run in the workspace is listed.
- **shared** (reachable from a network, no sign-in) — the list shows only the runs started
  from the same browser; a run's id stays a capability: whoever has its ``?job=`` link can
  open, stop and download it (ids are unguessable, :mod:`core.jobs.states`).
- **signed in** (an OpenID Connect sign-in is configured) — every run belongs to the user
  who started it; no one else can list, open, stop, download or delete it, by link or
  otherwise, except the admins named in :data:`ADMINS_VARIABLE`.

Each run records its :class:`Owner` in ``owner.json`` (:data:`OWNER_FILE`), a note written
into the job folder before the folder becomes visible. :class:`ViewerRunner` wraps the job
runner for one :class:`Viewer`: pages reach every run through it (``ui.jobs.runner()``), so a
run another person may not see reads as "no such run" everywhere, exactly like a run that
never existed. Nothing here imports Streamlit: the UI says who the viewer is.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import TrainboardError
from core.files import read_json
from core.i18n import Texts
from core.jobs.states import no_such_run

if TYPE_CHECKING:  # hints only: core.jobs.status reads Owner from this module
    from core.jobs.catalog import RunMeta
    from core.jobs.predictions import PredictionStatus
    from core.jobs.status import JobRunner, JobStatus
    from core.model.recipe import Recipe

OWNER_FILE = "owner.json"
# "auto" (default): personal when Streamlit listens on a loopback address only, else shared.
# "personal" / "shared" force it (a container must listen on 0.0.0.0 even when only its host
# can reach it; a reverse proxy on the same machine makes a localhost server public).
ACCESS_VARIABLE = "TRAINBOARD_ACCESS"
# Comma-separated e-mail addresses (or OpenID subject ids) of people who see every run.
ADMINS_VARIABLE = "TRAINBOARD_ADMINS"

TEXT = Texts("core.jobs.access")


class AccessMode(str, Enum):
    """How far runs are kept apart (see the module docstring)."""

    PERSONAL = "personal"
    SHARED = "shared"
    SIGNED_IN = "signed_in"


class AccessSettingError(TrainboardError):
    """:data:`ACCESS_VARIABLE` holds a value that is not one of its choices."""


@dataclass(frozen=True)
class Owner:
    """Who started a run: a browser (``kind="browser"``) or a signed-in user (``"user"``).

    ``id`` is what is compared: a digest of the browser's own token, or the identity
    provider's issuer and subject (stable, unlike an e-mail address). ``label`` is what
    people read (the user's e-mail or name; empty for a browser).
    """

    kind: str
    id: str
    label: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Owner | None:
        """The stored owner, or None when ``data`` is not a usable one."""
        if not isinstance(data, dict):
            return None
        kind, owner_id = data.get("kind"), data.get("id")
        if kind not in ("browser", "user") or not isinstance(owner_id, str) or not owner_id:
            return None
        label = data.get("label")
        return cls(kind=kind, id=owner_id, label=label if isinstance(label, str) else "")


def read_owner(job_dir: Path) -> Owner | None:
    """The owner recorded in a job folder, or None (runs made before owners were recorded)."""
    return Owner.from_dict(read_json(job_dir / OWNER_FILE))


def user_owner(issuer: str, subject: str, label: str = "") -> Owner:
    """The owner of a signed-in user's runs: the provider's issuer and subject identify them."""
    return Owner(kind="user", id=f"{issuer}|{subject}", label=label)


@dataclass(frozen=True)
class Viewer:
    """The person a page is drawn for: the access mode, who they are, and whether admin."""

    mode: AccessMode
    owner: Owner
    is_admin: bool = False
    emails: tuple[str, ...] = ()  # a signed-in user's verified addresses, for the admin list

    def may_list(self, owner: Owner | None) -> bool:
        """Whether a run with ``owner`` appears in this person's lists of runs."""
        if self.mode == AccessMode.PERSONAL or self.is_admin:
            return True
        return owner is not None and owner.id == self.owner.id

    def may_open(self, owner: Owner | None) -> bool:
        """Whether this person may open (and stop, download, delete...) a run by its id.

        Without sign-in the id is the key: whoever has the link may use it. With sign-in
        only the run's owner and the admins may.
        """
        if self.mode != AccessMode.SIGNED_IN or self.is_admin:
            return True
        return owner is not None and owner.id == self.owner.id

    def listing_note(self) -> str | None:
        """Why the list of runs is what it is, in plain words (None for a personal server)."""
        if self.mode == AccessMode.SHARED:
            return TEXT["shared_note"]
        if self.mode == AccessMode.SIGNED_IN:
            return TEXT["admin_note"] if self.is_admin else TEXT["own_note"]
        return None


def access_mode(
    server_address: str | None, sign_in: bool, setting: str | None = None
) -> AccessMode:
    """The access mode of a server listening on ``server_address``.

    Parameters
    ----------
    server_address
        Streamlit's ``server.address``; empty or None means every network interface.
    sign_in
        Whether an OpenID Connect sign-in is configured (it always wins).
    setting
        :data:`ACCESS_VARIABLE` (read from the environment when None).

    Raises
    ------
    AccessSettingError
        When the setting is not "auto", "personal" or "shared".
    """
    if sign_in:
        return AccessMode.SIGNED_IN
    if setting is None:
        setting = os.environ.get(ACCESS_VARIABLE, "")
    choice = setting.strip().lower() or "auto"
    if choice == "personal":
        return AccessMode.PERSONAL
    if choice == "shared":
        return AccessMode.SHARED
    if choice != "auto":
        message = TEXT["bad_setting"].format(variable=ACCESS_VARIABLE, value=setting)
        raise AccessSettingError(message)
    return AccessMode.PERSONAL if is_loopback(server_address) else AccessMode.SHARED


def is_loopback(address: str | None) -> bool:
    """Whether ``address`` only accepts connections from this machine."""
    text = (address or "").strip().strip("[]")
    if not text:
        return False  # Streamlit then listens on every interface
    if text.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False  # a host name or an outward address: reachable from elsewhere


def admin_names(value: str | None = None) -> frozenset[str]:
    """The admin list (:data:`ADMINS_VARIABLE`), lower-cased."""
    if value is None:
        value = os.environ.get(ADMINS_VARIABLE, "")
    return frozenset(part.strip().lower() for part in value.split(",") if part.strip())


def is_admin(subject: str, emails: Iterable[str], admins: frozenset[str] | None = None) -> bool:
    """Whether a signed-in user with ``subject`` and verified ``emails`` is on the admin list."""
    names = admin_names() if admins is None else admins
    return subject.lower() in names or any(email.lower() in names for email in emails)


class ViewerRunner:
    """The job runner as one :class:`Viewer` may use it.

    Every method that takes a run's id checks the viewer may open that run first, and a run
    they may not reads as "no such run" (the same message as a run that does not exist, so
    a link reveals nothing). ``list_jobs`` lists only what they may list. ``submit`` and
    ``restart`` record the viewer as the new run's owner. Every public method of the runner
    is wrapped here on purpose (a test checks it): a new runner method that takes a run id
    must decide its access here, never bypass it.
    """

    def __init__(self, runner: JobRunner, viewer: Viewer) -> None:
        self._runner = runner
        self.viewer = viewer

    @property
    def max_concurrent(self) -> int:
        return self._runner.max_concurrent

    def _owner_note(self, notes: dict[str, Any] | None) -> dict[str, Any]:
        return {**(notes or {}), OWNER_FILE: self.viewer.owner.to_dict()}

    def _checked(self, job_id: str) -> JobStatus:
        status = self._runner.status(job_id)
        if not self.viewer.may_open(status.owner):
            raise no_such_run(job_id)
        return status

    def keep_warm(self) -> None:
        self._runner.keep_warm()  # no run involved: the workspace's warm worker only

    def submit(
        self, data: bytes | Path, data_name: str, recipe: Recipe, *, notes: dict | None = None
    ) -> str:
        return self._runner.submit(data, data_name, recipe, notes=self._owner_note(notes))

    def status(self, job_id: str) -> JobStatus:
        return self._checked(job_id)

    def list_jobs(self) -> list[JobStatus]:
        return [job for job in self._runner.list_jobs() if self.viewer.may_list(job.owner)]

    def stop(self, job_id: str) -> None:
        self._checked(job_id)
        self._runner.stop(job_id)

    def restart(self, job_id: str) -> str:
        self._checked(job_id)
        return self._runner.restart(job_id, notes=self._owner_note(None))

    def artifact(self, job_id: str, name: str) -> Path | None:
        self._checked(job_id)
        return self._runner.artifact(job_id, name)

    def recipe(self, job_id: str) -> Recipe | None:
        self._checked(job_id)
        return self._runner.recipe(job_id)

    def run_inputs(self, job_id: str) -> tuple[bytes, str, Recipe]:
        self._checked(job_id)
        return self._runner.run_inputs(job_id)

    def meta(self, job_id: str) -> RunMeta:
        self._checked(job_id)
        return self._runner.meta(job_id)

    def rename(self, job_id: str, name: str) -> RunMeta:
        self._checked(job_id)
        return self._runner.rename(job_id, name)

    def pin(self, job_id: str, pinned: bool) -> RunMeta:
        self._checked(job_id)
        return self._runner.pin(job_id, pinned)

    def delete(self, job_id: str) -> None:
        self._checked(job_id)
        self._runner.delete(job_id)

    # A prediction job is not a run: it is never listed and its id never goes into a link;
    # only the session that started it holds that id (ui/predict_job.py), and the model it
    # predicts with came through artifact(), checked above. Its id is that session's key.

    def submit_prediction(
        self, bundle: bytes | Path, rows: bytes, rows_name: str, *, threshold: float | None = None
    ) -> str:
        return self._runner.submit_prediction(bundle, rows, rows_name, threshold=threshold)

    def prediction_status(self, prediction_id: str) -> PredictionStatus:
        return self._runner.prediction_status(prediction_id)

    def stop_prediction(self, prediction_id: str) -> None:
        self._runner.stop_prediction(prediction_id)

    def predictions_file(self, prediction_id: str) -> Path | None:
        return self._runner.predictions_file(prediction_id)
