"""Field definitions of the format, and their JSON Schema export.

One table per kind of YAML (manifest entry, full-text front matter, card front matter) drives
both the checker's validation (with line numbers and did-you-mean) and the JSON Schemas that
editors use to validate ``manifest.yaml`` as it is typed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
TOPIC_PATTERN = r"^[0-9]{2}-[a-z0-9][a-z0-9-]*$"
TYPES = ("paper", "blog", "docs", "repo", "rfc", "issue", "other")
STATUSES = ("link_only", "fetched", "converted", "condensed")
PRIORITIES = ("high", "medium", "low")
REVIEWS = ("draft", "approved")
SCHEMA_BASE = "https://reflib.invalid/schemas/"


@dataclass(frozen=True)
class Field:
    """One key of a YAML mapping in the format."""

    name: str
    kind: str
    """``str``, ``int``, ``ratio`` (a number from 0 to 1), ``date``, ``url``, ``enum``,
    ``list``, ``map``, ``fingerprints`` or ``any``."""
    description: str
    required: bool = False
    choices: tuple[str, ...] = ()
    pattern: str | None = None
    by_converter: bool = False
    """Full texts only: required when a reflib converter wrote the file, optional in a hand
    conversion (``converter: manual``, or no ``converter`` at all)."""


RESOURCE_FIELDS: tuple[Field, ...] = (
    Field("id", "str", "Unique id; names sources/<id>/ and refs/resources/<id>.md.", True,
          pattern=ID_PATTERN),
    Field("title", "str", "Title of the resource as its authors give it.", True),
    Field("type", "enum", "Kind of resource.", True, TYPES),
    Field("url", "url", "Where the resource lives; required while status is link_only."),
    Field("priority", "enum", "How soon it matters (default medium).", False, PRIORITIES),
    Field("phase", "int", "Optional planning wave (a positive integer)."),
    Field("status", "enum", "Furthest tier reached.", True, STATUSES),
    Field("topics", "list", "File stems under refs/topics/ that this resource feeds.",
          pattern=TOPIC_PATTERN),
    Field("raw", "list", "Tier 1 files or folders relative to sources/<id>/, in reading order."),
    Field("notes", "str", "Free text."),
    Field("repo_priority", "list",
          "Repos only: glob patterns of paths to put first in full.md, in this order."),
    Field("fetch", "list", "Extra URLs (sub-pages) that `reflib fetch` saves after `url`."),
)

LOW_COVERAGE = 0.6
"""A full text whose ``coverage`` is below this share is listed for a person to look at
(``reflib convert`` warns, ``reflib status`` and the dashboard list it)."""

MANUAL_CONVERTER = "manual"
"""The ``converter`` of a hand conversion (a person or an agent reading the source)."""


def is_reflib_converter(value: object) -> bool:
    """True when a full text's ``converter`` names one of reflib's converters."""
    return isinstance(value, str) and value.strip().lower().startswith("reflib ")


FULLTEXT_FIELDS: tuple[Field, ...] = (
    Field("id", "str", "The resource id; must match the folder name.", True, pattern=ID_PATTERN),
    Field("title", "str", "Title of the resource.", True),
    Field("source_url", "url", "Where the raw artifacts came from (required when the manifest "
          "entry has a url)."),
    Field("tier", "int", "Always 2 for a full text.", True),
    Field("converter", "str", "Who converted it: a reflib converter and version ('reflib 0.1.0 "
          "pdf') or 'manual' for a hand conversion.", by_converter=True),
    Field("converted", "date", "Date of the conversion (YYYY-MM-DD).", by_converter=True),
    Field("raw_sha256", "map", "SHA-256 of each raw file (or folder tree) at conversion time.",
          by_converter=True),
    Field("body_sha256", "str",
          "SHA-256 of the body as the converter wrote it; a different body means hand edits."),
    Field("converted_by", "str", "Who or which agent converted it."),
    Field("conversion_notes", "str", "What was lost or approximated, page by page for papers."),
    Field("coverage", "ratio", "Share of the source's text that the body holds (0 to 1): the "
          "page's visible prose for HTML, the text layer's words for a PDF. Written by the "
          "converter (and by 'reflib convert --manual' for a PDF); a low value is reported."),
    Field("extraction", "str", "How the converter chose the article body of an HTML page."),
)

CARD_FIELDS: tuple[Field, ...] = (
    Field("id", "str", "The resource id; must match the file name.", True, pattern=ID_PATTERN),
    Field("review", "enum", "Only approved cards make a resource condensed.", True, REVIEWS),
    Field("reviewed_by", "str", "Who approved the card."),
    Field("reviewed", "date", "When the card was approved."),
    Field("drafted_by", "str", "Who or which agent drafted the card."),
    Field("approved_sections", "fingerprints",
          "Written by 'reflib review --approve': for each cited section ('<id>#<anchor>'), a "
          "fingerprint of its text at approval; a cited section that changes since is "
          "reported until the card is approved again."),
    Field("title", "str", "Display title (defaults to the first heading)."),
    Field("tags", "list", "Free-form tags."),
)

TOPIC_FIELDS: tuple[Field, ...] = (
    Field("title", "str", "Display title (defaults to the first heading)."),
    Field("tags", "list", "Free-form tags."),
)

TOPIC_SECTIONS: tuple[str, ...] = (
    "Mental model",
    "Key concepts",
    "Cross-resource agreement and disagreement",
    "Practical checklist",
    "Experiments to run",
)


def _field_schema(f: Field) -> dict[str, Any]:
    out: dict[str, Any] = {"description": f.description}
    if f.kind == "enum":
        out["enum"] = list(f.choices)
    elif f.kind == "int":
        out["type"] = "integer"
        out["minimum"] = 0
    elif f.kind == "ratio":
        out["type"] = "number"
        out["minimum"] = 0
        out["maximum"] = 1
    elif f.kind == "url":
        out["type"] = "string"
        out["format"] = "uri"
    elif f.kind == "date":
        out["type"] = "string"
        out["pattern"] = r"^\d{4}-\d{2}-\d{2}"
    elif f.kind == "list":
        items: dict[str, Any] = {"type": "string"}
        if f.pattern:
            items["pattern"] = f.pattern
        out["type"] = "array"
        out["items"] = items
    elif f.kind == "map":
        out["type"] = "object"
        out["additionalProperties"] = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
    elif f.kind == "fingerprints":
        out["type"] = "object"
        out["additionalProperties"] = {"type": "string", "pattern": "^[0-9a-f]{16,64}$"}
    elif f.kind == "str":
        out["type"] = "string"
        if f.pattern:
            out["pattern"] = f.pattern
    if f.name == "tier":
        out["const"] = 2
    return out


def _object_schema(fields: tuple[Field, ...]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {f.name: _field_schema(f) for f in fields},
        "required": [f.name for f in fields if f.required],
        "additionalProperties": False,
    }


def manifest_schema() -> dict[str, Any]:
    """JSON Schema of ``refs/manifest.yaml``."""
    entry = _object_schema(RESOURCE_FIELDS)
    entry["allOf"] = [
        {"if": {"properties": {"status": {"const": "link_only"}}},
         "then": {"required": ["url"]}},
        {"if": {"properties": {"status": {"enum": ["fetched", "converted", "condensed"]}}},
         "then": {"required": ["raw"]}},
    ]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_BASE + "manifest.schema.json",
        "title": "reflib manifest",
        "description": "refs/manifest.yaml: one entry per resource with its status.",
        "type": "object",
        "required": ["resources"],
        "additionalProperties": False,
        "properties": {
            "resources": {"type": "array", "items": entry},
        },
    }


def fulltext_schema() -> dict[str, Any]:
    """JSON Schema of the front matter of ``sources/<id>/full.md``."""
    schema = _object_schema(FULLTEXT_FIELDS)
    schema["allOf"] = [{
        "if": {"required": ["converter"],
               "properties": {"converter": {"pattern": "^[Rr][Ee][Ff][Ll][Ii][Bb] "}}},
        "then": {"required": [f.name for f in FULLTEXT_FIELDS if f.by_converter]},
    }]
    schema.update({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_BASE + "fulltext.schema.json",
        "title": "reflib full-text front matter",
    })
    return schema


def card_schema() -> dict[str, Any]:
    """JSON Schema of the front matter of ``refs/resources/<id>.md``."""
    schema = _object_schema(CARD_FIELDS)
    schema.update({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_BASE + "card.schema.json",
        "title": "reflib card front matter",
    })
    return schema


SCHEMAS = {
    "manifest": manifest_schema,
    "fulltext": fulltext_schema,
    "card": card_schema,
}


def schema_json(name: str) -> str:
    """A schema by name (``manifest``, ``fulltext``, ``card``) as indented JSON text."""
    return json.dumps(SCHEMAS[name](), indent=2) + "\n"
