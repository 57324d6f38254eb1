"""The lifter: pt.c to LLVM IR (zig's clang), the IR reader, the symbolic executor."""
from __future__ import annotations



import pytest

from needs import require

from model.c.execute import Path as CPath
from model.c.execute import execute
from model.c.ir import UnsupportedIR, parse_module
from model.c.stubs import NEXT_FREE, XenEnv
from model.c.toolchain import RISCV_TARGET, compile_to_ir
from model.memory import Memory
from model.term import TRUE, bv
from proofs.errors import UsageError
from proofs.refine.sources import lift_c, versions_at_hand

AT_HAND = versions_at_hand()


@pytest.fixture(scope="module")
def upstream():
    if "riscv-pt-upstream" not in AT_HAND:
        require(False, "../shared/xen (the C the models follow) is not here")
    return lift_c(AT_HAND["riscv-pt-upstream"], "riscv-pt-upstream")


def run(module, fn, args, mem=None, next_free=0):
    path = CPath(TRUE, TRUE, mem or Memory.zero(), {}, {NEXT_FREE: bv(next_free, 8)})
    return execute(module, fn, args, path, XenEnv(0x1000, 0x1001, 4),
                   globals_init={"system_state": bv(2, 32), "ptprove_stale": bv(0, 8)})


def test_upstream_pt_c_builds_for_riscv64_and_names_its_build(upstream):
    assert upstream.build.target == RISCV_TARGET and upstream.build.compiler.startswith("zig cc")
    assert upstream.module.triple.startswith("riscv64")
    assert len(upstream.sha256) == 64 and upstream.bounds()["c_file"].endswith("pt.c")


def test_pt_update_loop_header_is_found_from_back_edges(upstream):
    fn = upstream.module.functions["pt_update"]
    (header,) = fn.loop_headers()
    phis = [i for i in fn.blocks[header].instrs if i.opcode == "phi"]
    assert len(phis) == 3 and len(fn.latches(header)) == 1  # vfn, mfn, left
    assert fn.loop_headers() and not upstream.module.functions["pt_check_entry"].loop_headers()


def test_concrete_execution_of_the_lifted_c(upstream):
    m = upstream.module
    # a 2 MiB-aligned vfn and mfn with 512 pages left: level 1
    assert int(run(m, "pt_mapping_level", [bv(0x200, 64), bv(0x400, 64), bv(512, 64), bv(0x3, 64)]).ret) == 1
    assert int(run(m, "pt_mapping_level", [bv(0x201, 64), bv(0x400, 64), bv(512, 64), bv(0x3, 64)]).ret) == 0
    # V|W alone trips the predicates' ASSERT: a recorded stop with the condition's text
    s = run(m, "ptprove_pte_is_table", [bv(0x5, 64)])
    assert bool(s.stopped) and "PTE_VALID | PTE_WRITABLE" in s.stops[0][1]
    assert bool(run(m, "ptprove_pte_is_table", [bv(0x1, 64)]).ret)


def test_create_table_takes_a_pool_page_or_fails_when_the_pool_is_used_up(upstream):
    from model.c.execute import Ptr
    m = upstream.module
    entry = Ptr("frame", bv(0x1000, 64), bv(8 * 5, 64))
    s = run(m, "create_table", [entry])
    assert bool(s.ret) and int(s.ghost[NEXT_FREE]) == 1
    assert int(s.mem.read(bv(0x1000, 44), bv(5, 9))) == (0x1001 << 10) | 1
    full = run(m, "create_table", [entry], next_free=4)
    assert not bool(full.ret) and int(full.mem.read(bv(0x1000, 44), bv(5, 9))) == 0


def test_unsupported_ir_is_one_error_naming_function_and_instruction(tmp_path):
    src = tmp_path / "x.c"
    src.write_text("double twice(double x) { return x * 2; }\n"
                   "unsigned long rd(void) { unsigned long v; __asm__ volatile(\"nop\" : \"=r\"(v)); return v; }\n"
                   "int call(int (*f)(int), int x) { return f(x); }\n")
    m = parse_module(compile_to_ir(src).text)
    cases = {"twice": ([bv(0, 64)], "opcode fmul"), "rd": ([], "inline asm"),
             "call": ([None, bv(1, 32)], "an indirect call")}
    for fn, (args, why) in cases.items():
        with pytest.raises(UnsupportedIR) as e:
            run(m, fn, args)
        assert f"in {fn}:" in str(e.value) and why in str(e.value) and "\n" not in str(e.value)
    assert issubclass(UnsupportedIR, UsageError)


def test_a_file_that_does_not_compile_is_one_usage_error(tmp_path):
    src = tmp_path / "pt.c"
    src.write_text("int f(void) { return }\n")
    with pytest.raises(UsageError, match="does not compile to LLVM IR"):
        compile_to_ir(src)


def test_a_missing_compiler_is_one_usage_error(tmp_path):
    with pytest.raises(UsageError, match="C compiler 'no-such-cc' not found"):
        compile_to_ir(tmp_path / "x.c", cc="no-such-cc")


def test_a_narrow_frame_access_reads_and_rewrites_part_of_its_entry(tmp_path):
    """A byte or 32-bit access to a page frame (p2m.c's struct md_t slots) is part of the
    64-bit entry it falls in, little-endian, and must be aligned to its size."""
    src = tmp_path / "narrow.c"
    src.write_text("void *ptprove_frame(unsigned long mfn);\n"
                   "unsigned setb(unsigned long i, unsigned char v)"
                   " { unsigned char *p = ptprove_frame(5); p[i] = v; return p[i ^ 1]; }\n"
                   "unsigned get32(unsigned long i) { unsigned *p = ptprove_frame(5); return p[i]; }\n")
    m = parse_module(compile_to_ir(src).text)
    mem = Memory.zero().write(TRUE, bv(5, 44), bv(1, 9), bv(0x1122334455667788, 64))
    s = run(m, "setb", [bv(9, 64), bv(0xAB, 8)], mem)
    assert int(s.mem.read(bv(5, 44), bv(1, 9))) == 0x112233445566AB88 and int(s.ret) == 0x88
    hi = run(m, "get32", [bv(3, 64)], mem)
    assert int(hi.ret) == 0x11223344 and bool(hi.safety_holds())


def test_a_summary_stands_for_its_callee_and_may_decline(tmp_path):
    from model.c.execute import NOT_SUMMARISED

    src = tmp_path / "calls.c"
    src.write_text("__attribute__((noinline)) int inc(int x) { return x + 1; }\n"
                   "int twice(int x) { return inc(inc(x)); }\n")
    m = parse_module(compile_to_ir(src).text)
    seen = []

    def summary(ex, path, args, what):
        seen.append(int(args[0]))
        return bv(int(args[0]) + 10, 32) if int(args[0]) == 1 else NOT_SUMMARISED
    path = CPath(TRUE, TRUE, Memory.zero(), {}, {})
    s = execute(m, "twice", [bv(1, 32)], path, XenEnv(0, 0, 0), summaries={"inc": summary})
    assert seen == [1, 11] and int(s.ret) == 12  # 1 -> 11 by the summary, 11 -> 12 inlined
