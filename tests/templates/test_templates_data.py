"""The built-in templates are JSON package data: ``salesfunnel/templates/data/<name>.json``.

Each file was captured from the Python definition the template had before it became
data (``Funnel.to_dict()``), so these tests pin that the loaded template is that
definition; the content tests (``test_b2b_seven_stage.py``, ``test_templates_builtin.py``)
check it against the source material.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from salesfunnel import DefinitionError, Funnel, templates
from salesfunnel.templates import _loader, _registry
from template_support import BUILTIN

DATA = files("salesfunnel.templates") / "data"


def stored(name: str) -> str:
    return (DATA / f"{name}.json").read_text(encoding="utf-8")


def test_one_file_per_built_in_template_and_nothing_else() -> None:
    found = sorted(e.name for e in DATA.iterdir() if e.is_file())
    assert found == sorted(f"{name}.json" for name in BUILTIN)
    assert tuple(_loader.builtins()) == tuple(sorted(BUILTIN))


@pytest.mark.parametrize("name", BUILTIN)
def test_template_is_exactly_its_file(name: str) -> None:
    data = json.loads(stored(name))
    funnel = templates.get(name)
    assert funnel.to_dict() == data
    again = Funnel.from_dict(data)
    assert again == funnel
    assert again.to_dict() == data
    assert again.describe("zh") == funnel.describe("zh")
    assert again.describe("en") == funnel.describe("en")


@pytest.mark.parametrize("name", BUILTIN)
def test_file_is_pretty_printed_with_readable_chinese(name: str) -> None:
    # The stable form: to_dict() key order, two-space indent, no \\u escapes.
    text = stored(name)
    assert text == json.dumps(templates.get(name).to_dict(), ensure_ascii=False, indent=2) + "\n"
    assert "\\u" not in text
    assert "{\n  \"name\": " + json.dumps(name) in text


@pytest.mark.parametrize("name", BUILTIN)
def test_built_ins_register_the_loaders_factory_as_built_in(name: str) -> None:
    factory = _loader.builtins()[name]
    assert _registry.REGISTRY._has(name, factory)
    assert _registry.REGISTRY.origin(name) == _registry.BUILTIN
    assert factory.resource.name == f"{name}.json"


def test_every_gate_is_a_rule() -> None:
    # Nothing in the files is a callable reference: every gate is expressed as data.
    for name in BUILTIN:
        for stage in templates.get(name).stages:
            for gate in stage.gates:
                assert gate.rule is not None and gate.serializable, (name, gate.name)
        assert '"ref"' not in stored(name)


def test_each_get_builds_a_new_funnel_from_unchanged_data() -> None:
    first = templates.get("b2b-seven-stage")
    second = templates.get("b2b-seven-stage")
    assert first is not second and first == second
    assert first.stages[1] is not second.stages[1]
    assert _loader.builtins()["b2b-seven-stage"].data() == json.loads(stored("b2b-seven-stage"))


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_json_template_reads_once_and_builds_each_call(tmp_path: Path) -> None:
    path = write(tmp_path / "mini.json", templates.get("crm-pipeline").to_dict() | {"name": "mini"})
    make = _loader.JsonTemplate("mini", path)
    assert repr(make) == "JsonTemplate('mini', 'mini.json')"
    first = make()
    path.unlink()  # parsed once: later calls do not read the file again
    second = make()
    assert first == second and first is not second and second.name == "mini"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "cannot read template file 'x.json': JSONDecodeError"),
        ("[1, 2]", "template file 'x.json' holds 'list'; expected the serialized funnel 'x'"),
        ('{"name": "y", "stages": []}', "template file 'x.json' holds 'y'; expected"),
    ],
)
def test_broken_file_raises_naming_the_file(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "x.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DefinitionError, match="template 'x'") as err:
        _loader.JsonTemplate("x", path)()
    assert expected in str(err.value)


def test_missing_file_raises_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError) as err:
        _loader.JsonTemplate("gone", tmp_path / "gone.json")()
    assert "cannot read template file 'gone.json': FileNotFoundError" in str(err.value)


def test_invalid_funnel_data_is_a_definition_error_through_the_registry(
    tmp_path: Path, isolated_registry: _registry.Registry
) -> None:
    data = templates.get("aida").to_dict() | {"name": "bad", "colour": "red"}
    templates.register("bad", _loader.JsonTemplate("bad", write(tmp_path / "bad.json", data)))
    with pytest.raises(DefinitionError) as err:
        templates.get("bad")
    assert "template 'bad'" in str(err.value) and "unknown keys ['colour']" in str(err.value)


def test_loads_lazily_from_a_zipped_package(tmp_path: Path) -> None:
    # The loader finds the files through importlib.resources, not the source tree: the
    # package runs from a zip file, and a file is parsed only when its template is asked for.
    package = Path(_loader.__file__).resolve().parents[1]
    archive = tmp_path / "salesfunnel.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in package.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                zf.write(path, path.relative_to(package.parent).as_posix())
    code = (
        "import json, salesfunnel\n"
        "from salesfunnel import templates\n"
        "from salesfunnel.templates import _loader\n"
        "factories = _loader.builtins()\n"
        "names = templates.names()\n"
        "parsed = [n for n, f in factories.items() if f._data is not None]\n"
        "b2b = templates.get('b2b-seven-stage')\n"
        "parsed_after = [n for n, f in factories.items() if f._data is not None]\n"
        "print(json.dumps({'file': salesfunnel.__file__, 'names': list(names),\n"
        "                  'parsed': parsed, 'parsed_after': parsed_after,\n"
        "                  'b2b': b2b.to_dict()}, ensure_ascii=False))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(archive)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         encoding="utf-8", check=False, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["file"].startswith(str(archive))
    assert set(BUILTIN) <= set(result["names"])
    assert result["parsed"] == []
    assert result["parsed_after"] == ["b2b-seven-stage"]
    assert result["b2b"] == json.loads(stored("b2b-seven-stage"))
