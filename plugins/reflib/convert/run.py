"""Convert one resource: pick its converter, write ``sources/<id>/full.md``, move its status.

:func:`convert_resource` is what ``reflib convert`` runs per resource (in a worker process,
with ``update_manifest=False``; the parent then calls :func:`apply_status` so that manifest
edits never run concurrently).

Behaviour worth knowing:

- The converter is chosen from the raw entries: ``.html``/``.htm`` -> html, ``.pdf`` -> pdf,
  a folder or ``.zip``/``.tar.gz`` archive -> repo, ``.json`` of an ``issue`` or ``rfc``
  resource -> issue. Raw entries that need different converters are an error.
- The body is written with LF line endings and a final newline; ``body_sha256`` is the hash
  of exactly that text, so a later edit of the body is detected.
- A full.md whose body no longer matches its ``body_sha256`` (or that has none) was edited
  by hand: it is left alone unless ``force`` is set.
- A full.md that the same converter would write again from the same raw files is left
  byte-for-byte as it is (its ``converted`` date is kept).
- Any failure (corrupt input, missing raw file, converter bug) leaves full.md and the
  manifest untouched and is reported in the :class:`Outcome`.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import os
import re
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reflib import __version__
from reflib.convert.base import ConversionError, ConvertRequest, ConvertResult, RawInput
from reflib.core.errors import ReflibError
from reflib.core.frontmatter import normalize_newlines, render, split
from reflib.core.fsutil import atomic_write, sha256_path, sha256_text
from reflib.core.manifest import update_entries, update_entry
from reflib.core.paths import MANIFEST, fulltext_rel, is_safe_relative, outside, source_dir_rel
from reflib.core.schema import ID_PATTERN, is_reflib_converter

CONVERTED = "converted"
ISSUE_TYPES = ("issue", "rfc")
CORE_KEYS = ("id", "title", "type", "url", "raw", "status")
HAND_EDITED = "edited by hand since conversion; use --force"
HAND_CONVERSION = ("a hand conversion (not written by a reflib converter); register it with "
                   "--manual, or replace it with the converter's output with --force")

Converter = Callable[[ConvertRequest], ConvertResult]


@dataclass
class Outcome:
    """What happened to one resource."""

    id: str
    result: str
    """``converted``, ``unchanged`` (full.md already up to date), ``skipped`` or ``failed``."""
    message: str = ""
    kind: str | None = None
    path: str | None = None
    """``sources/<id>/full.md`` when it was written or is up to date."""
    notes: list[str] = field(default_factory=list)
    status_before: str | None = None
    status_after: str | None = None
    """The manifest status once :func:`apply_status` has run."""
    coverage: float | None = None
    """The converter's coverage self-check (HTML), when it made one."""

    @property
    def ok(self) -> bool:
        """True when full.md is now the converter's output for the current raw files."""
        return self.result in ("converted", "unchanged")


# --- picking a converter -----------------------------------------------------------------------


def raw_kind(raw: RawInput, resource_type: str) -> str:
    """The converter kind for one raw entry; :class:`ConversionError` when there is none."""
    from reflib.convert.repo import is_archive

    name = raw.path.name.lower()
    if raw.path.is_dir() or is_archive(raw.path):
        return "repo"
    if name.endswith((".html", ".htm", ".xhtml")):
        return "html"
    if name.endswith(".pdf"):
        return "pdf"
    if name.endswith(".json"):
        if resource_type in ISSUE_TYPES:
            return "issue"
        raise ConversionError(
            f"{raw.rel}: a .json raw file is converted as a GitHub issue only for a resource "
            f"of type issue or rfc (this one is {resource_type!r})"
        )
    raise ConversionError(
        f"{raw.rel}: no converter for this kind of file; supported: .html/.htm, .pdf, "
        ".json (issue, rfc), a folder or a .zip/.tar.gz archive (repo)"
    )


def pick_kind(raws: list[RawInput], resource_type: str) -> str:
    """The one converter kind for all of a resource's raw entries."""
    kinds = {raw.rel: raw_kind(raw, resource_type) for raw in raws}
    distinct = sorted(set(kinds.values()))
    if len(distinct) > 1:
        detail = ", ".join(f"{rel} ({kind})" for rel, kind in kinds.items())
        raise ConversionError(
            f"raw files need different converters: {detail}; one resource converts with one "
            "converter, so split it into several resources"
        )
    return distinct[0]


def load_converter(kind: str) -> Converter:
    """The ``convert`` function of ``reflib.convert.<kind>``, imported on first use (with
    what its ``prepare()``, if any, imports ahead of a conversion)."""
    try:
        module = importlib.import_module(f"{__package__}.{kind}")
    except ModuleNotFoundError as exc:
        if exc.name == f"{__package__}.{kind}":
            raise ConversionError(f"no {kind} converter in this reflib build") from None
        raise
    prepare = getattr(module, "prepare", None)
    if prepare is not None:
        prepare()  # heavy imports, before any time limit starts
    convert: Converter = module.convert
    return convert


# --- building the request ----------------------------------------------------------------------


def raw_inputs(root: Path, resource_id: str, entry: dict[str, Any]) -> list[RawInput]:
    """The entry's ``raw`` list as :class:`RawInput` objects, checked to exist on disk."""
    raw = entry.get("raw")
    if isinstance(raw, str):
        raw = [raw]
    if not raw:
        raise ConversionError(f"no 'raw' files listed; fetch it first: reflib fetch {resource_id}")
    if not isinstance(raw, list) or not all(isinstance(r, str) for r in raw):
        raise ConversionError("'raw' must be a list of paths relative to sources/<id>/")
    base = root / source_dir_rel(resource_id)
    inputs = []
    for rel in raw:
        if not is_safe_relative(rel):
            raise ConversionError(f"raw entry {rel!r} must be a relative path inside "
                                  f"{source_dir_rel(resource_id)}/")
        path = base / rel
        if not path.exists():
            raise ConversionError(f"{source_dir_rel(resource_id)}/{rel} is listed in 'raw' "
                                  "but does not exist")
        if outside(path, root):
            raise ConversionError(f"{source_dir_rel(resource_id)}/{rel} is a symbolic link to "
                                  "a place outside the library; nothing outside the library "
                                  "is read: copy the files into sources/ instead")
        inputs.append(RawInput(rel, path))
    return inputs


def build_request(root: Path, entry: dict[str, Any]) -> ConvertRequest:
    """A :class:`ConvertRequest` for a manifest entry."""
    resource_id = str(entry["id"])
    options = {k: v for k, v in entry.items() if k not in CORE_KEYS}
    url = entry.get("url")
    return ConvertRequest(
        resource_id=resource_id,
        title=str(entry.get("title") or resource_id),
        type=str(entry.get("type") or "other"),
        url=str(url) if url else None,
        raw=raw_inputs(root, resource_id, entry),
        options=options,
    )


# --- full.md -----------------------------------------------------------------------------------


def clean_body(body: str) -> str:
    """The body as it will be written: LF line endings, one final newline."""
    body = normalize_newlines(body)
    return body if body.endswith("\n") else body + "\n"


def front_matter(
    request: ConvertRequest,
    result: ConvertResult,
    body: str,
    *,
    converted: _dt.date,
    by: str | None,
) -> dict[str, Any]:
    """Provenance front matter, keys in the order of the format."""
    meta: dict[str, Any] = {"id": request.resource_id, "title": request.title}
    if request.url:
        meta["source_url"] = request.url
    meta["tier"] = 2
    meta["converter"] = f"reflib {__version__} {result.kind}"
    meta["converted"] = converted
    meta["raw_sha256"] = {raw.rel: sha256_path(raw.path) for raw in request.raw}
    meta["body_sha256"] = sha256_text(body)
    if by:
        meta["converted_by"] = by
    if result.coverage is not None:
        meta["coverage"] = result.coverage
    if result.extraction:
        meta["extraction"] = result.extraction
    notes = [n.replace("\r", " ").replace("\n", " ").strip() for n in result.notes]
    notes = [n for n in notes if n]
    if notes:
        meta["conversion_notes"] = "\n".join(notes) + "\n"
    return meta


def existing_state(path: Path) -> tuple[str, dict[str, Any] | None]:
    """``("absent" | "generated" | "edited", meta)`` for the full.md at ``path``."""
    if not path.exists():
        return "absent", None
    try:
        parsed = split(path.read_text(encoding="utf-8"), path)
    except (ReflibError, OSError, UnicodeDecodeError):
        return "edited", None
    meta = parsed.meta
    if not meta or not isinstance(meta.get("body_sha256"), str):
        return "edited", meta
    if sha256_text(parsed.body) != meta["body_sha256"]:
        return "edited", meta
    return "generated", meta


_SAME_KEYS = ("id", "title", "source_url", "tier", "converter", "raw_sha256", "body_sha256",
              "coverage", "extraction", "conversion_notes")


def same_output(old: dict[str, Any] | None, new: dict[str, Any]) -> bool:
    """True when ``old`` front matter describes exactly what would be written now."""
    if old is None:
        return False
    return all(old.get(k) == new.get(k) for k in _SAME_KEYS)


# --- the entry points --------------------------------------------------------------------------


def _who(by: str | None) -> str | None:
    who = by if by is not None else os.environ.get("REFLIB_AGENT", "")
    return who.strip() or None


def _failed(resource_id: str, message: str, status: str | None) -> Outcome:
    return Outcome(resource_id, "failed", message, status_before=status, status_after=status)


class ConversionTimeout(Exception):
    """A conversion ran past its time limit."""


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`ConversionTimeout` in this (main) thread after ``seconds`` (POSIX timers;
    no limit where there are none, or off the main thread)."""
    if not seconds or not hasattr(signal, "setitimer") or \
            threading.current_thread() is not threading.main_thread():
        yield
        return

    fired = False

    def expired(signum: int, frame: Any) -> None:
        # The exception can land where Python swallows it (a weakref or __del__ callback):
        # fire again shortly, and fail on the way out if the work finished anyway.
        nonlocal fired
        fired = True
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        raise ConversionTimeout

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    if fired:
        raise ConversionTimeout


def convert_resource(
    root: Path,
    entry: dict[str, Any],
    *,
    force: bool,
    by: str | None,
    today: _dt.date | None = None,
    update_manifest: bool = True,
    seconds: float | None = None,
) -> Outcome:
    """Convert one manifest entry's raw files to ``sources/<id>/full.md``.

    ``by`` (else ``$REFLIB_AGENT``) is recorded as ``converted_by``. With ``update_manifest``
    the manifest status is moved to ``converted`` afterwards (see :func:`apply_status`).
    ``seconds`` limits the conversion's time: past it the resource fails and is left as it
    was.
    Never raises for a problem with the resource: the :class:`Outcome` says what happened.
    """
    resource_id = str(entry.get("id", ""))
    status = entry.get("status")
    status = str(status) if status is not None else None
    if not re.match(ID_PATTERN, resource_id):
        return _failed(resource_id, f"invalid id {resource_id!r}", status)
    target_rel = fulltext_rel(resource_id)
    target = root / target_rel
    state, old_meta = existing_state(target)
    if state == "edited" and not force:
        manual = old_meta is not None and not is_reflib_converter(old_meta.get("converter"))
        return Outcome(resource_id, "skipped", HAND_CONVERSION if manual else HAND_EDITED,
                       path=target_rel, status_before=status, status_after=status)
    try:
        request = build_request(root, entry)
        kind = pick_kind(request.raw, request.type)
        converter = load_converter(kind)  # its imports are not the conversion's time
        with time_limit(seconds):
            result = converter(request)
        if result.title and not entry.get("title"):
            request.title = result.title
        body = clean_body(result.body)
        meta = front_matter(request, result, body, converted=today or _dt.date.today(),
                            by=_who(by))
    except ConversionError as exc:
        return _failed(resource_id, str(exc), status)
    except ConversionTimeout:
        return _failed(resource_id, f"the conversion took longer than {seconds:g} s and was "
                       f"stopped; nothing was written (raise the limit with --timeout)", status)
    except Exception as exc:  # a converter bug must not stop the other resources
        return _failed(resource_id, f"internal error in the converter: "
                       f"{type(exc).__name__}: {exc}", status)
    outcome = Outcome(resource_id, "converted", kind=result.kind, path=target_rel,
                      notes=list(result.notes), status_before=status, status_after=status,
                      coverage=result.coverage)
    if state == "generated" and not force and same_output(old_meta, meta):
        outcome.result, outcome.message = "unchanged", "full.md already up to date"
    else:
        kept = ""
        try:
            if state == "edited":
                kept = keep_replaced(root, resource_id, target)
            atomic_write(target, render(meta, body))
        except OSError as exc:
            return _failed(resource_id, f"cannot write {target_rel}: {exc}", status)
        outcome.message = f"wrote {target_rel} ({result.kind})" + (
            f"; the hand-edited text it replaced is kept in {kept}" if kept else "")
    if update_manifest:
        apply_status(root, outcome)
    return outcome


REPLACED_DIR = ".cache/reflib/replaced"
"""Where ``--force`` keeps a hand-edited full.md it replaces (not committed)."""


def keep_replaced(root: Path, resource_id: str, target: Path) -> str:
    """Copy a hand-edited full.md aside before ``--force`` replaces it; return the copy's
    root-relative path. Hand edits are never lost without a trace."""
    stamp = _dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")
    copy = root / REPLACED_DIR / resource_id / f"full.md.{stamp}"
    atomic_write(copy, target.read_bytes())
    return copy.relative_to(root).as_posix()


def next_status(current: str | None) -> str | None:
    """The status after a successful conversion, or None to leave it as it is."""
    if current in ("converted", "condensed"):
        return None
    return CONVERTED


def apply_statuses(root: Path, outcomes: list[Outcome]) -> None:
    """:func:`apply_status` for many outcomes with one locked read-edit-write of the manifest
    (a batch of conversions costs one parse, not one per resource). When the batch cannot be
    written, each outcome is tried on its own, so one bad entry fails only its resource."""
    edits: dict[str, dict[str, Any]] = {}
    for outcome in outcomes:
        new = next_status(outcome.status_before) if outcome.ok else None
        if new is not None:
            edits[outcome.id] = {"status": new}
    if not edits:
        return
    try:
        update_entries(root / MANIFEST, edits)
    except (ReflibError, OSError):
        for outcome in outcomes:
            if outcome.id in edits:
                apply_status(root, outcome)
        return
    for outcome in outcomes:
        if outcome.id in edits:
            outcome.status_after = edits[outcome.id]["status"]


def apply_status(root: Path, outcome: Outcome) -> Outcome:
    """Move the manifest status of a successful outcome forward to ``converted``.

    Only ``link_only``/``fetched`` (or a missing or unknown status) change; ``condensed``
    is never downgraded. Comments and layout of the manifest are kept. A manifest that
    cannot be edited turns the outcome into a failure (full.md is already written).
    """
    if not outcome.ok:
        return outcome
    new = next_status(outcome.status_before)
    if new is None:
        return outcome
    try:
        update_entry(root / MANIFEST, outcome.id, {"status": new})
    except (ReflibError, OSError) as exc:
        outcome.result = "failed"
        outcome.message = f"{outcome.path} written, but the manifest status was not set: {exc}"
        return outcome
    outcome.status_after = new
    return outcome
