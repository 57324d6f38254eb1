"""`ptprove show --format mail` (a finding to quote on xen-devel) for every
committed vector, and the pictures of each riscv-pt version's worst case,
rendered to PNG under build/ and checked for what they draw."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from proofs import picture as pic
from proofs import vector as vec
from proofs.cli import main
from proofs.mail import WIDTH
from proofs.systems.riscv_pt import show

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "counterexamples"
ALL = vec.vector_files([COMMITTED])
#: the vectors of the systems whose plugin writes mail (riscv-pt, encodings; not p2m yet)
MAIL = [p for p in ALL if getattr(vec.plugin(vec.load(p)["system"]), "mail", None) is not None]
#: each version's worst case: the finding a reviewer would raise first
WORST = {"riscv-pt-v5": "wx", "riscv-pt-v9": "functional", "riscv-pt-upstream": "footprint"}


def _id(p: Path) -> str:
    return str(p.relative_to(COMMITTED))


def _words(text: str) -> str:
    return " ".join(text.split())


def test_a_system_without_mail_says_so_in_one_line(capsys):
    p2m = COMMITTED / "riscv-p2m-upstream" / "metadata.json"
    assert p2m not in MAIL and len(MAIL) >= 60
    assert main(["show", str(p2m), "--format", "mail"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "system p2m cannot give --format mail" in err[0]


@pytest.mark.parametrize("path", MAIL, ids=_id)
def test_mail_fits_72_ascii_columns_and_says_what_broke(path, capsys):
    assert main(["show", str(path), "--format", "mail"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert all(len(line) <= WIDTH for line in lines), max(lines, key=len)
    assert out.isascii() and "\x1b" not in out and "\t" not in out
    v = vec.load(path)
    flat = _words(out)
    assert lines[0] == f"Version:   {v['version']}"
    assert "Follows:" in out and _words(v["source"]) in flat
    assert _words(v["obligation"]["statement"]) in flat
    for c in v.get("calls", []):
        assert c["function"] + "(" in out
    if v["system"] == "encodings":
        assert all(e["raw"] in out for e in v["entries"])
        return
    assert not re.search(r"flags=0x", flat)
    f = show.finding(v)
    for c in f.changes:
        assert _words(f"before: {c.decoded(c.old)}") in flat and _words(f"after: {c.decoded(c.new)}") in flat
        assert _words(f"C: {c.stmt.text}") in flat
    if v["verdict"] == "violated" and v["kind"] == "trace":
        assert f"Step {f.break_step} (" in out


def test_mail_of_upstream_footprint_reads_as_a_review(capsys):
    assert main(["show", str(COMMITTED / "riscv-pt-upstream" / "footprint.json"), "--format", "mail"]) == 0
    out = capsys.readouterr().out
    assert "  1. map_pages_to_xen(virt=0x0, mfn=0x0, nr=0x40000," in out
    assert "flags=PAGE_HYPERVISOR_RO (0x3)) = 0" in out
    assert "  2. destroy_xen_mappings(s=0x1000, e=0x2000)" in out
    assert "table 0x1000 L2 [0], written by pt_update_entry (remove):" in out
    assert "    C:      pte.pte = 0; write_pte(ptep, pte);" in out


def test_a_system_without_pictures_says_so(tmp_path, capsys):
    f = tmp_path / "enc.json"
    v = vec.load(COMMITTED / "riscv-pt-v5" / "enc-mapping.json")
    f.write_text(vec.dumps(v))
    assert main(["show", str(f), "--png", str(tmp_path / "x.png")]) == 2
    assert "cannot give PNG" in capsys.readouterr().err


@pytest.mark.parametrize("version", sorted(WORST))
def test_worst_case_pictures_show_before_after_the_call_and_the_changed_entries(version, capsys):
    from matplotlib.image import imread
    from PIL import Image

    path = COMMITTED / version / f"{WORST[version]}.json"
    out_dir = ROOT / "build" / "pictures"
    png, svg = out_dir / f"{version}-{WORST[version]}.png", out_dir / f"{version}-{WORST[version]}.svg"
    assert main(["show", str(path), "--png", str(png), "--svg", str(svg)]) == 0
    capsys.readouterr()
    v = vec.load(path)
    s = show.scene(v)
    f = show.finding(v)
    before, after = s.panels
    assert before.title == f"before step {f.break_step}" and after.title == f"after step {f.break_step}"
    assert any(line.startswith(f"call {f.break_call}: ") for line in s.lines)
    assert any(f"<== breaks {v['obligation']['id']}" in line for line in s.lines)
    # every entry the step changed is drawn, marked, on both sides (even one that is 0 after)
    for c in f.changes:
        for panel in (before, after):
            rows = [r for b in panel.boxes if b.key == c.table for r in b.rows
                    if r.text.startswith(f"[{c.index:3}]")]
            assert rows and rows[0].mark == pic.CHANGED, (panel.title, c.place())
        assert f"{c.old:#018x}" in " ".join(r for _, r in s.marked(pic.CHANGED))
        assert f"{c.new:#018x}" in " ".join(r for _, r in s.marked(pic.CHANGED))
    assert all(b.rows for b in after.boxes)  # never an empty box
    # the PNG: what it says it drew, and red ink on both halves (the highlighted entries)
    described = Image.open(png).text["Description"].splitlines()
    assert described == s.labels()
    img = imread(png)
    red = (img[:, :, 0] > 0.6) & (img[:, :, 1] < 0.35) & (img[:, :, 2] < 0.35)
    top = int(img.shape[0] * 0.25)  # below the title lines
    xs = red[top:].nonzero()[1]
    assert xs.size and xs.min() < img.shape[1] / 2 < xs.max()
    text = svg.read_text()
    assert text.startswith("<svg") and 'fill="red"' in text and "before step" in text and "after step" in text
