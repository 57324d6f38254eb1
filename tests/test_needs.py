"""The suite's own switches: a missing prerequisite skips outside CI and fails under
PTPROVE_REQUIRE_ALL; property tests are derandomized unless a seed is given."""
from __future__ import annotations

import pytest
from hypothesis import settings

import needs


def test_present_prerequisite_lets_the_test_go_on(monkeypatch):
    monkeypatch.setenv("PTPROVE_REQUIRE_ALL", "1")
    assert needs.require("/usr/bin/cc", "no compiler") is None


@pytest.mark.parametrize("value", ["", "0"])
def test_outside_ci_a_missing_prerequisite_skips_naming_it(monkeypatch, value):
    monkeypatch.setenv("PTPROVE_REQUIRE_ALL", value)
    with pytest.raises(pytest.skip.Exception, match="no C compiler 'xcc'"):
        needs.require(None, "no C compiler 'xcc'")


def test_under_the_ci_switch_a_missing_prerequisite_fails(monkeypatch):
    monkeypatch.setenv("PTPROVE_REQUIRE_ALL", "1")
    with pytest.raises(pytest.fail.Exception, match="solver cvc5 is not installed.*PTPROVE_REQUIRE_ALL"):
        needs.require(False, "solver cvc5 is not installed")


def test_shared_folder_is_beside_the_project_or_the_one_given(monkeypatch, tmp_path):
    monkeypatch.delenv("PTPROVE_SHARED", raising=False)
    assert needs.shared_dir() == needs.ROOT.parent / "shared"
    monkeypatch.setenv("PTPROVE_SHARED", str(tmp_path))
    (tmp_path / "xen" / "v9" / "xen").mkdir(parents=True)
    (tmp_path / "xen" / "v9" / "xen" / "pt.c").write_text("int x;\n")
    assert needs.xen_file("riscv-pt-v9", "xen/pt.c") == tmp_path / "xen" / "v9" / "xen" / "pt.c"
    monkeypatch.setenv("PTPROVE_REQUIRE_ALL", "1")
    with pytest.raises(pytest.fail.Exception, match="xen/upstream/xen/pt.c is not on this machine"):
        needs.xen_file("riscv-pt-upstream", "xen/pt.c")


def test_missing_compiler_and_solver_are_named(monkeypatch):
    monkeypatch.setenv("PTPROVE_REQUIRE_ALL", "1")
    with pytest.raises(pytest.fail.Exception, match="no C compiler 'no-such-cc-ptprove'"):
        needs.c_compiler("no-such-cc-ptprove")
    with pytest.raises(pytest.fail.Exception, match="solver no-such-solver is not installed"):
        needs.solver("no-such-solver")
    assert needs.solver("z3") == "z3"


def test_property_tests_are_derandomized_unless_a_seed_is_given(request):
    seeded = request.config.getoption("hypothesis_seed") is not None
    assert settings.default.derandomize is (not seeded)
    assert settings.default.database is None
