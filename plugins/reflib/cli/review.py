"""``reflib review``: the review checklist of a draft card, and its approval.

Without ``--approve`` it prints the card's claims with the status of each evidence link, the
problems that block approval and the reviewer's checklist (exit 0 when the card could be
approved, 1 otherwise). With ``--approve`` it sets ``review: approved``, ``reviewed_by`` and
``reviewed`` in the card's front matter (only those lines change), records a fingerprint of
every cited section (``approved_sections``: ``reflib check`` reports a claim whose cited
section changes afterwards, until the card is approved again) and sets the resource's status
to ``condensed`` in the manifest (comments kept); it refuses, exit 1, while any evidence of
the card does not resolve, a quote is not in its cited section, a claim has no evidence, the
card has no claims, or the resource is not converted. Approving an approved card again
records its cited sections as they are now. The reviewer is ``--by``, else ``$REFLIB_REVIEWER``, else ``$REFLIB_AGENT``,
else git's ``user.name``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys

from reflib.cli._util import agent_name, error, suggestion
from reflib.core import approval, manifest, paths
from reflib.core.errors import ReflibError
from reflib.core.fsutil import atomic_write
from reflib.core.model import load
from reflib.workflow.review import Review, approval_current, approve, review

HELP = "print a card's review checklist, or approve it (--approve) and set it condensed"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``reflib review``."""
    parser.add_argument("id", metavar="ID", help="resource id whose card to review")
    parser.add_argument("--approve", action="store_true",
                        help="mark the card approved and the resource condensed (refused "
                        "while its evidence does not resolve)")
    parser.add_argument("--by", metavar="NAME",
                        help="reviewer recorded as reviewed_by (default $REFLIB_REVIEWER, "
                        "$REFLIB_AGENT, then git user.name)")


def _git_user() -> str | None:
    if shutil.which("git") is None:
        return None
    try:
        out = subprocess.run(["git", "config", "user.name"], capture_output=True, text=True,
                             check=False, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def print_checklist(state: Review) -> None:
    """The checklist of one card, as plain text."""
    res, card = state.resource, state.card
    if card is None:
        print(f"{res.id} ({res.status}) has no card yet:")
        for p in state.problems:
            print(f"  - {p}")
        return
    print(f"Review of {res.id}: {card.rel} (review: {res.review or 'not set'}; "
          f"status: {res.status})")
    if res.fulltext is not None:
        print(f"Full text: {res.fulltext.rel} ({len(res.fulltext.headings)} headings)")
    numbered = [c for c in state.claims if c.claim.number is not None]
    other = [c for c in state.claims if c.claim.number is None]
    print()
    print(f"Claims ({len(numbered)}):")
    for item in numbered:
        text = item.claim.text if len(item.claim.text) <= 160 else item.claim.text[:157] + "..."
        print(f"  {item.claim.number}. {text}")
        if not item.citations:
            print("     ✗ no evidence")
        for cit in item.citations:
            mark = "✓" if cit.ok else "✗"
            print(f"     {mark} [{cit.text}] {cit.detail}")
    if other:
        print(f"Other evidence lines ({len(other)}):")
        for item in other:
            for cit in item.citations:
                mark = "✓" if cit.ok else "✗"
                print(f"  line {cit.line}: {mark} [{cit.text}] {cit.detail}")
    print()
    print("Checklist:")
    print(f"  [ ] each claim says what its cited sections say (reflib show {res.id}#<anchor> "
          "--full)")
    print("  [ ] each claim is one checkable statement, with numbers and conditions kept")
    print("  [ ] nothing the library needs from the full text is missing")
    print("  [ ] actionables follow from the claims; open questions are recorded")
    if state.warnings:
        print()
        print("Warnings:")
        for w in state.warnings:
            print(f"  - {w}")
    print()
    if state.problems:
        print("Blocking approval:")
        for p in state.problems:
            print(f"  - {p}")
    elif res.review == "approved":
        print(f"Approved by {card.meta.get('reviewed_by') if card and card.meta else '?'}.")
    else:
        print(f"Ready: reflib review {res.id} --approve --by NAME")


def run(args: argparse.Namespace) -> int:
    """Print the checklist of ``args.id``'s card, or approve it."""
    lib = load(args.root)
    rid = args.id
    if rid not in lib.resources:
        error(f"review: unknown resource '{rid}'{suggestion(rid, lib.resources)}")
        return 1
    state = review(lib, rid)
    if not args.approve:
        print_checklist(state)
        return 0 if state.ready else 1
    if state.problems:
        error(f"review: cannot approve '{rid}':")
        for p in state.problems:
            print(f"  - {p}", file=sys.stderr)
        return 1
    card = state.card
    assert card is not None
    if state.resource.review == "approved" and state.resource.status == "condensed" \
            and approval_current(lib, rid):
        print(f"'{rid}' is already approved (reviewed_by: "
              f"{(card.meta or {}).get('reviewed_by', '?')}) and its cited sections are "
              f"unchanged; nothing to do")
        return 0
    reviewer = agent_name(args.by, "REFLIB_REVIEWER", "REFLIB_AGENT") or _git_user()
    if not reviewer:
        error("review: who is approving? pass --by NAME (or set $REFLIB_REVIEWER)")
        return 2
    drafted_by = (card.meta or {}).get("drafted_by")
    if drafted_by and str(drafted_by) == reviewer:
        print(f"reflib: note: '{reviewer}' also drafted this card", file=sys.stderr)
    try:
        card_text, manifest_text = approve(lib, rid, reviewer)
    except ReflibError as exc:
        error(f"review: {exc}")
        return 1
    manifest_path = lib.root / paths.MANIFEST
    with manifest.locked(manifest_path):
        # the manifest as it is now (another run may have edited it since it was read)
        if manifest_text is not None:
            current = manifest_path.read_bytes().decode("utf-8")
            atomic_write(manifest_path, manifest.edit_text(current, paths.MANIFEST, rid,
                                                           {"status": "condensed"}))
        atomic_write(card.path, card_text)
    sections = len(approval.fingerprints(lib, card))
    print(f"approved {rid}: {card.rel} (reviewed_by: {reviewer}; {sections} cited "
          f"section{'s' if sections != 1 else ''} recorded); {paths.MANIFEST}: status condensed")
    return 0
