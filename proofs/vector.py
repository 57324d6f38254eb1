"""Counterexample vectors: one JSON file per (version, obligation), canonical and replayable.

A vector says which system, version and obligation it is about, under which
bounds and solver it was found, the calls (or the pre-state) that break the
obligation, the entries that break it (raw and decoded) and the state the
model predicts at the end.  The format is `counterexamples/schema.json`; every
load validates against it, so a malformed or wrong-version file is one error
line, never a traceback.

Each system produces and replays its own vectors through a *plugin*: the
system package (proofs/systems/) names it in an optional `VECTORS` attribute
(a module path), and that module exposes

  from_results(results, settings) -> list[dict]   canonical vectors for the
                                                  violated / not-inductive results
  replay(vector) -> list[str]                     what does not reproduce (empty: ok)
  render(vector, color) -> str                    the `ptprove show` text
  mail(vector) -> str                             (optional) `show --format mail`:
                                                  72 ASCII columns (proofs/mail.py)
  dot(vector) -> str                              the tree as Graphviz DOT
  svg(vector) -> str, png(vector, path)           (optional) before and after
                                                  the breaking step (proofs/picture.py)
  named_calls(vector) -> list[dict]               (optional) the calls in Xen's
                                                  words, for the findings of `prove`
  regression(variant, settings) -> list[dict]     (optional) vectors for
                                                  behaviour that holds
  certificate(vector) -> (operation, trace)|None  (optional) the trace a vector
                                                  stands for (proofs/engine/certificates.py)

Bytes are deterministic: `dumps` fixes the key order and layout, and the
plugins build vectors only from concrete replays (no timings, no raw solver
values that canonicalisation did not fix).  The riscv-pt plugin re-finds each
trace in a fresh interpreter, because a worker that solved other queries
before may get another (equally valid) model from z3.

Where the comparison with the committed files lives: `ptprove prove --vectors
counterexamples` (what `make prove` runs) regenerates them and fails on a
difference; `make test` checks every committed vector without the solver
(schema, concrete replay, canonical fixpoint, show) and regenerates two.
"""
from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any, Iterable, Optional

from proofs.errors import PtproveError, UsageError

FORMAT = "ptprove-vector"
FORMAT_VERSION = 1
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "counterexamples" / "schema.json"


class VectorError(PtproveError):
    """A vector file that cannot be used (exit 2, one line)."""


# ---------------------------------------------------------------------------
# schema validation: the subset of JSON Schema the vector schema uses

_TYPES = {
    "object": dict, "array": list, "string": str, "boolean": bool, "null": type(None),
    "integer": int, "number": (int, float),
}


def _is(value: Any, tname: str) -> bool:
    if tname in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, _TYPES[tname])


def validate(value: Any, schema: dict, where: str = "$") -> list[str]:
    """Errors of `value` against `schema` (type, enum, const, pattern, required,
    properties, additionalProperties, items, minItems, $ref into $defs, oneOf)."""
    root = schema
    return _validate(value, schema, where, root)


def _validate(value: Any, schema: dict, where: str, root: dict) -> list[str]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return _validate(value, root["$defs"][name], where, root)
    if "oneOf" in schema:
        fits = [s for s in schema["oneOf"] if not _validate(value, s, where, root)]
        return [] if len(fits) == 1 else [f"{where}: matches {len(fits)} of the allowed shapes, not 1"]
    t = schema.get("type")
    if t is not None:
        names = t if isinstance(t, list) else [t]
        if not any(_is(value, n) for n in names):
            return [f"{where}: expected {' or '.join(names)}, got {type(value).__name__}"]
    errors: list[str] = []
    if "const" in schema and value != schema["const"]:
        errors.append(f"{where}: expected {schema['const']!r}, got {value!r}")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} is not one of {schema['enum']}")
    if "pattern" in schema and isinstance(value, str) and not re.fullmatch(schema["pattern"], value):
        errors.append(f"{where}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                errors.append(f"{where}: missing {key!r}")
        props = schema.get("properties", {})
        for key, sub in value.items():
            if key in props:
                errors += _validate(sub, props[key], f"{where}.{key}", root)
            elif schema.get("additionalProperties") is False:
                errors.append(f"{where}: unexpected key {key!r}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            errors.append(f"{where}: fewer than {schema['minItems']} items")
        if "items" in schema:
            for i, item in enumerate(value):
                errors += _validate(item, schema["items"], f"{where}[{i}]", root)
    return errors


def schema() -> dict:
    with open(SCHEMA_PATH, encoding="utf-8") as f:
        return json.load(f)


# ---------------------------------------------------------------------------
# files

def dumps(vector: dict) -> str:
    """The canonical bytes of a vector (the key order is the order plugins build)."""
    return json.dumps(vector, indent=2, ensure_ascii=True) + "\n"


def check(vector: Any, name: str = "vector") -> dict:
    """`vector` if it is a vector of this format version, else VectorError."""
    if not isinstance(vector, dict):
        raise VectorError(f"{name}: not a ptprove vector (a JSON object is expected)")
    if vector.get("format") != FORMAT:
        raise VectorError(f"{name}: not a ptprove vector (format {vector.get('format')!r})")
    if vector.get("format_version") != FORMAT_VERSION:
        raise VectorError(f"{name}: vector format version {vector.get('format_version')!r}, "
                          f"this ptprove reads version {FORMAT_VERSION}")
    errors = validate(vector, schema())
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise VectorError(f"{name}: invalid vector: {errors[0]}{more}")
    return vector


def load(path: str | Path) -> dict:
    """Read and validate one vector file."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as e:
        raise VectorError(f"{path}: cannot read: {e.strerror or e}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise VectorError(f"{path}: not JSON: {e}") from None
    return check(data, str(path))


def relpath(vector: dict) -> str:
    """Where a vector lives under a vectors directory: <version>/<obligation>.json
    (regression vectors carry a `name` and go to <version>/regression/<name>.json)."""
    version, ob = vector["version"], vector["obligation"]["id"]
    if vector["verdict"] == "holds":
        return f"{version}/regression/{vector['name']}.json"
    return f"{version}/{ob}.json"


# ---------------------------------------------------------------------------
# plugins

def plugin(system_id: str) -> Optional[ModuleType]:
    """The vector module of a system, or None if it has none."""
    from proofs import systems

    try:
        mod = systems.system(system_id).load()
    except UsageError:
        raise VectorError(f"unknown system {system_id!r} in vector") from None
    name = getattr(mod, "VECTORS", None)
    return importlib.import_module(name) if name else None


def plugin_for(vector: dict) -> ModuleType:
    p = plugin(vector["system"])
    if p is None:
        raise VectorError(f"system {vector['system']!r} has no vector support")
    return p


def from_results(results: Iterable, settings) -> list[dict]:
    """Canonical vectors for every violated / not-inductive (version, obligation)."""
    by_system: dict[str, list] = {}
    for r in results:
        if r.verdict in ("violated", "not-inductive"):
            by_system.setdefault(r.system, []).append(r)
    out: list[dict] = []
    for sid, rs in by_system.items():
        p = plugin(sid)
        if p is not None:
            out += p.from_results(rs, settings)
    return sorted(out, key=relpath)


def certificates_of(vectors: Iterable[dict]) -> dict[tuple[str, str, str], dict]:
    """(version, obligation, operation) -> the trace each vector stands for, from
    the plugins that give one (`certificate(vector)`; proofs/engine/certificates.py)."""
    out: dict[tuple[str, str, str], dict] = {}
    for v in vectors:
        p = plugin(v["system"])
        got = p.certificate(v) if p is not None and hasattr(p, "certificate") else None
        if got is not None:
            out[(v["version"], v["obligation"]["id"], got[0])] = got[1]
    return out


def sync(vectors: list[dict], directory: str | Path, requested: set, update: bool,
         searched: bool = False) -> list[str]:
    """Compare `vectors` with the files under `directory` for the (version,
    obligation) pairs this run decided; write new ones, rewrite differing and
    delete stale ones only with `update`.  Returns one line per difference.
    After a run that `searched` every trace (`--search-all`) a differing vector
    is the same violation found by another trace: the committed one stays if it
    still replays on the concrete semantics (its plugin's `replay`), as the
    committed traces do (proofs/engine/certificates.py sync)."""
    root = Path(directory)
    lines: list[str] = []
    produced = {relpath(v): v for v in vectors}
    for rel, v in produced.items():
        path = root / rel
        text = dumps(v)
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if old == text:
            continue
        if old is None or update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            if old is not None:
                lines.append(f"vector rewritten: {path}")
            continue
        if searched and _still_replays(path):
            lines.append(f"vector kept: {path} (the search found this violation by another trace; "
                         "the committed vector still replays)")
            continue
        lines.append(f"VECTOR DIFFERS: {path} is not what this run produces (--update rewrites it)")
    for version, ob in sorted(requested):
        path = root / version / f"{ob}.json"
        if path.exists() and f"{version}/{ob}.json" not in produced:
            if update:
                path.unlink()
                lines.append(f"vector removed (the obligation holds now): {path}")
            else:
                lines.append(f"STALE VECTOR: {path} but {version} {ob} is not violated in this run "
                             "(--update removes it)")
    return lines


def _still_replays(path: Path) -> bool:
    """The committed vector at `path` loads and reproduces on the concrete semantics."""
    try:
        v = load(path)
        return not plugin_for(v).replay(v)
    except VectorError:
        return False


def vector_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files named, and every *.json under directories named (the schema and the
    committed traces, proofs/engine/certificates.py, excluded)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(f for f in p.rglob("*.json") if f.name not in ("schema.json", "traces.json"))
        else:
            out.append(p)
    if not out:
        raise UsageError("no vector files given")
    return out


def sync_and_report(vectors: list[dict], directory: str, requested: set, update: bool,
                    searched: bool = False) -> int:
    """`ptprove prove --vectors DIR`: `sync` this run's vectors with DIR, each
    difference printed on a line; the exit status (1 if a vector differs)."""
    from proofs.errors import EXIT_MISMATCH

    lines = sync(vectors, directory, requested, update, searched)
    for line in lines:
        print(line)
    print(f"{len(vectors)} counterexample vectors under {directory}")
    bad = [ln for ln in lines if ln.startswith(("VECTOR DIFFERS", "STALE VECTOR"))]
    return EXIT_MISMATCH if bad else 0
