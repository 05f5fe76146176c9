"""The JSON Schemas shipped for editors agree with the checker and with real files."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from reflib.cli.main import main
from reflib.core import frontmatter
from reflib.core.schema import SCHEMAS, schema_json

SHIPPED = Path(__file__).resolve().parents[1] / "plugins/reflib/schemas"


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_shipped_schema_is_current(name: str) -> None:
    """plugins/reflib/schemas/*.json are regenerated with `reflib schema --write`."""
    assert (SHIPPED / f"{name}.schema.json").read_text() == schema_json(name)


def _plain(path: Path) -> object:
    return json.loads(json.dumps(YAML(typ="safe").load(path.read_text()), default=str))


def test_valid_library_validates(library: Path) -> None:
    jsonschema.validate(_plain(library / "refs/manifest.yaml"), SCHEMAS["manifest"]())
    for rid in ("alpha", "beta"):
        meta = frontmatter.split((library / f"sources/{rid}/full.md").read_text()).meta
        jsonschema.validate(json.loads(json.dumps(meta, default=str)), SCHEMAS["fulltext"]())
    meta = frontmatter.split((library / "refs/resources/alpha.md").read_text()).meta
    jsonschema.validate(meta, SCHEMAS["card"]())


def test_schema_rejects_what_checker_rejects(library: Path) -> None:
    path = library / "refs/manifest.yaml"
    path.write_text(path.read_text().replace("priority: high", "priorty: high"))
    with pytest.raises(jsonschema.ValidationError, match="priorty"):
        jsonschema.validate(_plain(path), SCHEMAS["manifest"]())
    path.write_text(path.read_text().replace("    url: https://example.org/delta\n", ""))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(_plain(path), SCHEMAS["manifest"]())


def test_schema_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "card"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "reflib card front matter"
    assert main(["schema", "--write", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "card.schema.json", "fulltext.schema.json", "manifest.schema.json"]
