"""Build hook: the modules every post goes through are compiled with mypyc when the build can.

Compiled, they give the same results (tests/test_compiled.py compares them with their Python
source), about 10% faster end to end (README, Speed). Where mypyc or a C compiler is
missing, or ``VNMOD_PURE_PYTHON=1`` is set, vnmod installs as plain Python and works the
same, slower. Everything else about the package is in pyproject.toml.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext


def _names() -> tuple[str, str]:
    """The manifest's file name and the shared library's group, as src/vnmod/_compiled.py
    (which reads them at run time) defines them: one definition, loaded by path (vnmod itself
    is not importable while it builds; that module needs only the standard library)."""
    spec = importlib.util.spec_from_file_location("_vnmod_compiled_names",
                                                  Path(__file__).parent / "src/vnmod/_compiled.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.MANIFEST, module.LIBRARY.removesuffix("__mypyc")


MANIFEST, GROUP = _names()  # GROUP: the compiled modules' shared library is GROUP__mypyc

#: Pure-Python modules with per-post loops, in src/. Modules whose functions the tests replace
#: (monkeypatch) stay out: a compiled module calls its own functions directly.
COMPILED = [
    "src/vnmod/text/normalize.py",
    "src/vnmod/text/diacritics.py",
    "src/vnmod/text/syllables.py",
    "src/vnmod/text/vietnamese.py",
    "src/vnmod/rules/engine.py",
    "src/vnmod/rules/triggers.py",
    "src/vnmod/backends/ngrams.py",
]


def _note(message: str) -> None:
    print(f"vnmod build: {message}", file=sys.stderr)


def _remove_compiled() -> None:
    """Delete what an earlier build compiled into the source tree (an editable install). Left
    there, its extensions would shadow the source: a module no longer compiled would run its
    old code, and after a plain-Python reinstall every one would fail at import, the library
    they share being no longer installed. vnmod has no other extension modules."""
    stale = [*Path("src").glob(f"{GROUP}__mypyc.*"), Path("src/vnmod") / MANIFEST,
             *Path("src/vnmod").rglob("*.so"), *Path("src/vnmod").rglob("*.pyd")]
    for path in stale:
        path.unlink(missing_ok=True)


def _module(path: str) -> str:
    """'src/vnmod/text/normalize.py' -> 'vnmod.text.normalize'."""
    return Path(path).relative_to("src").with_suffix("").as_posix().replace("/", ".")


class OptionalBuildExt(build_ext):
    """Builds the compiled modules and records what they were compiled from (vnmod/_compiled.py
    reads it); if any fails, removes them all, and vnmod installs as plain Python."""

    def run(self) -> None:
        _remove_compiled()
        try:
            super().run()
        except Exception as exc:  # any failure: the Python source still works
            for ext in self.extensions:
                Path(self.get_ext_fullpath(ext.name)).unlink(missing_ok=True)
            _remove_compiled()  # an in-place build's part-built files
            _note(f"compiling failed ({exc}); vnmod installs as plain Python")
            return
        if not self.extensions:
            return
        sources = {_module(p): hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in COMPILED}
        targets = [Path(self.build_lib) / "vnmod"]
        if self.inplace or getattr(self, "editable_mode", False):
            targets.append(Path("src") / "vnmod")
        for folder in targets:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / MANIFEST).write_text(json.dumps(sources, indent=1) + "\n", encoding="utf-8")


def _extensions() -> list:
    """The compiled extensions, or none (and why) where vnmod installs as plain Python."""
    if os.environ.get("VNMOD_PURE_PYTHON") == "1":
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        _note("mypyc is not installed; vnmod installs as plain Python")
        return []
    try:
        return mypycify(["--ignore-missing-imports", "--follow-imports=silent", *COMPILED],
                        group_name=GROUP)
    except (Exception, SystemExit) as exc:  # mypyc exits on a type error
        _note(f"mypyc could not compile ({exc}); vnmod installs as plain Python")
        return []


def ext_modules() -> list:
    """:func:`_extensions`; for plain Python, no compiled file of an earlier build left in src/."""
    found = _extensions()
    if not found:
        _remove_compiled()
    return found


setup(ext_modules=ext_modules(), cmdclass={"build_ext": OptionalBuildExt})
