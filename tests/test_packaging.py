"""Packaging and architecture rules that no other test would notice breaking.

- ``pyproject.toml`` declares the console script, bounded dependency ranges and Python >= 3.10.
- Import direction: ``core/`` never imports Streamlit; ``app.py`` and ``pages/`` never import
  TensorFlow/Keras; ``core/portable/`` (copied into every export bundle) imports only the standard
  library, numpy, pandas, charset_normalizer and itself.
- The README's Quick start is two commands, and the commands it says ``.ci/run`` runs are the
  ones ``.ci/run`` really runs.
- ``.streamlit/config.toml`` uses option names Streamlit recognises.

Imports are read with :mod:`ast`, not by running the code, so a rule is checked even in a module
that would fail or be slow to import.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the test extra installs tomli there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

# What the app needs at run time (see docs/ARCHITECTURE.md and the module docstrings).
REQUIRED_DEPENDENCIES = {
    "streamlit",
    "pandas",
    "numpy",
    "scikit-learn",
    "tensorflow",
    "keras",
    "plotly",
    "pydantic",
    "charset-normalizer",
    "jinja2",
}
PORTABLE_THIRD_PARTY = {"numpy", "pandas", "charset_normalizer"}
TENSORFLOW_NAMES = {"tensorflow", "keras", "tf_keras"}
# Modules the architecture promises load without TensorFlow, so reading, profiling and editing a
# recipe stay fast in the app (TensorFlow takes seconds to import).
TENSORFLOW_FREE_MODULES = [
    "core",
    "core.errors",
    "core.model.recipe",
    "core.data.profiling",
    "core.model.architecture",
    # The command line checks every input before TensorFlow's seconds-long import.
    "core.cli",
    "core.model.starting_recipe",
    "core.model.reference",
    "core.quiet_tensorflow",
    # The Export page (and later the Runs page) renders reports.
    "core.report",
]


# ---------------------------------------------------------------------------------------------
# Reading imports


def collect_imports(
    source: str, module: str = "", is_package: bool = False
) -> tuple[set[str], set[str]]:
    """Return ``(absolute, relative)``: the modules ``source`` imports, wherever the import sits.

    Imports inside functions count too: the rules are about what a module may ever load.
    ``importlib.import_module("x")`` and ``__import__("x")`` with a literal name count as absolute
    imports. Relative imports are resolved against ``module`` (the dotted name of the file).
    """
    package_parts = module.split(".") if is_package else module.split(".")[:-1]
    absolute: set[str] = set()
    relative: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            absolute.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            absolute.add(node.module or "")
        elif isinstance(node, ast.ImportFrom):
            ups = node.level - 1
            anchor = package_parts[: len(package_parts) - ups] if ups <= len(package_parts) else []
            if ups > len(package_parts) or not anchor:
                anchor = ["<outside the top-level package>"]
            relative.add(".".join(anchor + ([node.module] if node.module else [])))
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if called in {"import_module", "__import__"} and isinstance(first, ast.Constant):
                if isinstance(first.value, str):
                    absolute.add(first.value)
    return absolute, relative


def imported_modules(source: str, module: str = "", is_package: bool = False) -> set[str]:
    """All modules ``source`` imports, relative ones resolved (see :func:`collect_imports`)."""
    absolute, relative = collect_imports(source, module, is_package)
    return absolute | relative


def module_name(path: Path) -> tuple[str, bool]:
    """Dotted module name of a file under the repository root, and whether it is a package."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(parts), is_package


def file_imports(path: Path) -> tuple[set[str], set[str]]:
    """``(absolute, relative)`` imports of one file under the repository."""
    name, is_package = module_name(path)
    return collect_imports(path.read_text(encoding="utf-8"), name, is_package)


def all_file_imports(path: Path) -> set[str]:
    absolute, relative = file_imports(path)
    return absolute | relative


def python_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def top(name: str) -> str:
    return name.split(".")[0]


def test_import_reader_sees_every_form_of_import() -> None:
    # The rules below are only as good as this reader: check it on each form it must catch.
    source = (
        "import os, tensorflow as tf\n"
        "from keras import layers\n"
        "from . import reading\n"
        "from .preprocess import Preprocessor\n"
        "from .. import errors\n"
        "def later():\n"
        "    import streamlit as st\n"
        "    importlib.import_module('plotly.express')\n"
    )
    found = imported_modules(source, "core.portable.outputs")
    assert found == {
        "os",
        "tensorflow",
        "keras",
        "core.portable",
        "core.portable.preprocess",
        "core",
        "streamlit",
        "plotly.express",
    }


# ---------------------------------------------------------------------------------------------
# pyproject.toml


def test_console_script_points_at_the_cli() -> None:
    assert PYPROJECT["project"]["scripts"]["trainboard"] == "core.cli:main"


def test_required_dependencies_are_declared() -> None:
    declared = {
        canonicalize_name(Requirement(r).name) for r in PYPROJECT["project"]["dependencies"]
    }
    missing = {canonicalize_name(n) for n in REQUIRED_DEPENDENCIES} - declared
    assert not missing, f"pyproject.toml dependencies lack {sorted(missing)}"


@pytest.mark.parametrize(
    "requirement",
    PYPROJECT["project"]["dependencies"]
    + [
        r
        for extra in PYPROJECT["project"]["optional-dependencies"].values()
        for r in extra
        # "trainboard[mlflow]" in another extra is checked through the mlflow extra itself
        if Requirement(r).name != PYPROJECT["project"]["name"]
    ],
)
def test_every_dependency_has_a_lower_and_an_upper_bound(requirement: str) -> None:
    # A lower bound documents what the code needs; an upper bound keeps a future major release
    # from breaking a fresh install without anyone touching the code.
    specifier = Requirement(requirement).specifier
    operators = {spec.operator for spec in specifier}
    assert operators & {">=", ">", "==", "~="}, f"{requirement!r} has no lower bound"
    assert operators & {"<", "<=", "==", "~="}, f"{requirement!r} has no upper bound"


def test_python_310_or_newer_is_required() -> None:
    python = SpecifierSet(PYPROJECT["project"]["requires-python"])
    assert "3.10" in python and "3.11" in python
    assert "3.9" not in python


def test_test_extra_has_what_ci_uses() -> None:
    # .ci/run passes --timeout (pytest-timeout) and the e2e tests drive Chromium with playwright.
    test_extra = {
        canonicalize_name(Requirement(r).name)
        for r in PYPROJECT["project"]["optional-dependencies"]["test"]
    }
    assert {"pytest", "pytest-timeout", "playwright", "ruff"} <= test_extra


# ---------------------------------------------------------------------------------------------
# Import direction


def test_core_never_imports_streamlit() -> None:
    files = python_files(ROOT / "core")
    assert files, "core/ has no Python files"
    offenders = {
        str(p.relative_to(ROOT)): sorted(n for n in all_file_imports(p) if top(n) == "streamlit")
        for p in files
    }
    assert not {k: v for k, v in offenders.items() if v}


def test_app_and_pages_never_import_tensorflow() -> None:
    assert (ROOT / "app.py").is_file(), "app.py (the Quick start runs it) is missing"
    page_files = python_files(ROOT / "app_pages")
    assert page_files, "app_pages/ has no Python files"
    files = [ROOT / "app.py", *page_files, *python_files(ROOT / "ui")]
    offenders = {
        str(p.relative_to(ROOT)): sorted(
            n for n in all_file_imports(p) if top(n) in TENSORFLOW_NAMES
        )
        for p in files
    }
    assert not {k: v for k, v in offenders.items() if v}


def test_portable_imports_only_stdlib_numpy_pandas_and_itself() -> None:
    # core/portable/ is copied into every bundle as trainboard_runtime/: an import of `core`,
    # TensorFlow or any other package would break predict.py on an engineer's machine.
    files = python_files(ROOT / "core" / "portable")
    assert files, "core/portable/ has no Python files"
    allowed_top = set(sys.stdlib_module_names) | PORTABLE_THIRD_PARTY
    offenders: dict[str, list[str]] = {}
    for path in files:
        absolute, relative = file_imports(path)
        bad = {n for n in absolute if top(n) not in allowed_top}
        # Relative imports must stay inside the portable package itself.
        bad |= {n for n in relative if n != "core.portable" and not n.startswith("core.portable.")}
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert not offenders


def test_light_core_modules_load_without_tensorflow() -> None:
    # Every portable module too: a bundle's predict.py must run on a machine without TensorFlow.
    portable = [module_name(p)[0] for p in python_files(ROOT / "core" / "portable")]
    code = (
        "import importlib, json, sys\n"
        f"for name in {TENSORFLOW_FREE_MODULES + portable!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        f"{sorted(TENSORFLOW_NAMES)!r})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


# ---------------------------------------------------------------------------------------------
# README and .ci/run


def markdown_section(text: str, heading: str) -> str:
    """Text under a ``##``/``###`` heading, up to the next heading of the same or higher level."""
    match = re.search(rf"^(#+) {re.escape(heading)}\s*$", text, flags=re.MULTILINE | re.IGNORECASE)
    assert match, f"README.md has no '{heading}' heading"
    level = len(match.group(1))
    rest = text[match.end() :]
    end = re.search(rf"^#{{1,{level}}} ", rest, flags=re.MULTILINE)
    return rest[: end.start()] if end else rest


def first_code_block_commands(section: str) -> list[str]:
    block = re.search(r"```[a-z]*\n(.*?)```", section, flags=re.DOTALL)
    assert block, "expected a fenced code block"
    lines = (line.strip() for line in block.group(1).splitlines())
    return [line for line in lines if line and not line.startswith("#")]


README = (ROOT / "README.md").read_text(encoding="utf-8")
CI_RUN = (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_quick_start_is_two_commands_start_the_app_and_run_the_tests() -> None:
    commands = first_code_block_commands(markdown_section(README, "Quick start"))
    assert len(commands) == 2, commands
    start_app, run_tests = commands
    assert "python3 -m venv .venv" in start_app
    assert "pip install -e ." in start_app
    assert start_app.endswith("streamlit run app.py")
    assert run_tests == "bash .ci/run"


def test_readme_lists_exactly_what_ci_runs() -> None:
    listed = first_code_block_commands(markdown_section(README, "What `bash .ci/run` does"))
    ci_lines = [line.strip() for line in CI_RUN.splitlines()]
    missing = [cmd for cmd in listed if not any(cmd in line for line in ci_lines)]
    assert not missing, f".ci/run no longer runs {missing} as README.md says"
    # And the other way round for the two commands that decide what is tested.
    for prefix in (".venv/bin/python -m pip install", ".venv/bin/python -m pytest"):
        in_ci = [line for line in ci_lines if line.startswith(prefix)]
        assert len(in_ci) == 1, f".ci/run should run '{prefix} ...' exactly once"
        assert in_ci[0] in listed, f"README.md does not show {in_ci[0]!r}"


def test_ci_script_runs_ruff_lint_and_format_check() -> None:
    ci_lines = [line.strip() for line in CI_RUN.splitlines()]
    assert ".venv/bin/ruff check ." in ci_lines
    assert ".venv/bin/ruff format --check ." in ci_lines
    # Lint before the slow parts: a style slip fails the run in seconds.
    assert ci_lines.index(".venv/bin/ruff check .") < next(
        i for i, line in enumerate(ci_lines) if line.startswith(".venv/bin/python -m pytest")
    )


def test_ci_script_is_strict_and_treats_no_tests_as_failure() -> None:
    assert "set -euo pipefail" in CI_RUN
    assert re.search(r'"\$status" -eq 5 \]; then.*?exit 1', CI_RUN, flags=re.DOTALL)
    syntax = subprocess.run(
        ["bash", "-n", str(ROOT / ".ci" / "run")], capture_output=True, text=True
    )
    assert syntax.returncode == 0, syntax.stderr


# ---------------------------------------------------------------------------------------------
# Streamlit configuration


def test_streamlit_config_options_are_recognised() -> None:
    # Streamlit ignores a misspelt option with only a console warning; reading the options back
    # through Streamlit itself (from the repository root, as `streamlit run` does) catches that.
    expected = {
        "server.maxUploadSize": 200,
        "server.headless": True,
        "browser.gatherUsageStats": False,
        "client.toolbarMode": "minimal",
        "client.showErrorDetails": "type",
        "runner.magicEnabled": False,
        "theme.base": "light",
    }
    code = (
        "import json\n"
        "from streamlit import config\n"
        "config.get_config_options(force_reparse=True)\n"
        f"print(json.dumps({{k: config.get_option(k) for k in {sorted(expected)!r}}}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == expected
