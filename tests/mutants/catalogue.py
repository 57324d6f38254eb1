"""The catalogue of `make test-mutants`: behaviour-changing edits to production code.

Each edit names the tests that should catch it (run by tests/mutants/run.py
in a temporary copy).  Groups: the term layer's symbolic side, the models'
semantics, each invariant's clauses, the vector loader and schema, the C
harness, the report and JUnit writers, the CLI's exit statuses.  An edit no
test can catch carries the reason in `equivalent`.
"""
from __future__ import annotations

from tests.mutants.edit import Edit

TERM = ("tests/test_term.py",)
RISCV = ("tests/test_invariants.py", "tests/test_machine.py")
P2M = ("tests/test_p2m_invariants.py", "tests/test_p2m_model.py")
ARM = ("tests/test_arm_pt.py", "tests/test_arm_lpae.py")
VECTORS = ("tests/test_vectors.py",)
SCHEMA = ("tests/test_vectors.py::test_the_validator_implements_each_keyword_it_claims",
          "tests/test_vectors.py::test_a_malformed_violation_is_one_line_exit_2_naming_the_field",
          "tests/test_vectors.py::test_an_encoding_vector_needs_at_least_one_entry",
          "tests/test_vectors.py::test_bad_vector_files_are_one_line_exit_2")
C = ("tests/test_c_harness.py",)
REPORT = ("tests/test_report.py",)
EXITS = ("tests/test_expectations.py", "tests/test_vacuity.py", "tests/test_cli_prove.py", "tests/test_mutation.py")


def _term(id: str, old: str, new: str, what: str, equivalent: str = "") -> Edit:
    return Edit(id, "model/term.py", old, new, TERM, what, equivalent)


def _clause(id: str, file: str, old: str, new: str, tests: tuple[str, ...], what: str,
            equivalent: str = "") -> Edit:
    return Edit(id, file, old, new, tests, what, equivalent)


INV, P2M_INV, ARM_INV = "proofs/invariants.py", "proofs/p2m/invariants.py", "proofs/arm_invariants.py"

EDITS: tuple[Edit, ...] = (
    # -- the term layer, symbolic side ------------------------------------------------------
    _term("term-ge-is-gt", "lambda a, b: a >= b, S.BVUGE)", "lambda a, b: a >= b, S.BVUGT)",
          "symbolic >= computes >"),
    _term("term-shr-arithmetic", "lambda a, b: a >> b, S.BVLShr)", "lambda a, b: a >> b, S.BVAShr)",
          "symbolic >> shifts the sign bit in"),
    _term("term-lt-signed", "lambda a, b: a < b, S.BVULT)", "lambda a, b: a < b, S.BVSLT)",
          "symbolic < is signed"),
    _term("term-sub-adds", "lambda a, b: a - b, S.BVSub)", "lambda a, b: a - b, S.BVAdd)",
          "symbolic - adds"),
    _term("term-bit-inverted", "S.Equals(S.BVExtract(self.v, i, i), S.BV(1, 1))",
          "S.Equals(S.BVExtract(self.v, i, i), S.BV(0, 1))", "symbolic bit(i) is true when the bit is clear"),
    _term("term-zext-signed", "Word(S.BVZExt(self.v, width - self.width), width)",
          "Word(S.BVSExt(self.v, width - self.width), width)", "symbolic zext sign-extends"),
    _term("term-concat-swapped", "Word(S.BVConcat(hi.node(), lo.node()), hi.width + lo.width)",
          "Word(S.BVConcat(lo.node(), hi.node()), hi.width + lo.width)", "symbolic concat puts lo on top"),
    _term("term-bool-xor-is-iff", "return Bool(S.Xor(self.node(), o.node()))",
          "return Bool(S.Iff(self.node(), o.node()))", "symbolic Bool ^ is <->"),
    _term("term-ite-word-swapped", "return Word(S.Ite(c.v, a.node(), b.node()), a.width)",
          "return Word(S.Ite(c.v, b.node(), a.node()), a.width)", "symbolic ite on Words picks the else branch"),
    _term("term-shl-by-width-concrete", "lambda a, b: a << b if b < self.width else 0",
          "lambda a, b: a << b if b <= self.width else 0", "concrete << by exactly the width is computed",
          equivalent="Word() masks to the width, so a << width is 0 either way"),
    _term("term-and-concrete-fold", "return self if o.v else FALSE\n        return Bool(S.And(self.v, o.v))",
          "return self\n        return Bool(S.And(self.v, o.v))",
          "symbolic b & False folds to b instead of False"),
    # -- model semantics ----------------------------------------------------------------------
    Edit("riscv-insert-over-valid", "model/riscv/pt_upstream.py", "ite(insert, ~valid,", "ite(insert, TRUE,",
         RISCV + ("tests/test_differential.py",), "pt_check_entry lets an insert land on a valid entry"),
    Edit("riscv-populate-allocates-nothing", "model/riscv/pt_upstream.py",
         "return (mfn != INVALID_MFN) | (flags & PTE_POPULATE).any()", "return mfn != INVALID_MFN",
         RISCV, "alloc_tbl ignores PTE_POPULATE (populate creates no tables)"),
    Edit("riscv-table-test-v-only", "model/riscv/pt_upstream.py",
         "return (pte & (PTE_VALID | PTE_ACCESS_MASK)) == PTE_VALID", "return (pte & PTE_VALID) == PTE_VALID",
         RISCV, "pte_is_table tests V only"),
    Edit("p2m-put-forgets-reference", "model/riscv/p2m_upstream.py",
         "return replace(st, refs=ite(hit, st.refs - 1, st.refs))", "return st",
         P2M, "put_refs drops no reference"),
    Edit("arm-table-at-level-3", "model/arm/lpae.py", "return pte.bit(1) & (level < LPAE_MAX_LEVEL)",
         "return pte.bit(1)", ARM, "lpae_is_table true at level 3"),
    # -- invariants, clause by clause -----------------------------------------------------------
    _clause("no-overwrite-ppn-clause", INV, "        ok = ok & w.guard.implies(both_leaves.implies(same_ppn))\n", "",
            ("tests/test_invariants.py",), "no-overwrite loses 'a leaf's PPN never changes without invalidation'"),
    _clause("no-overwrite-insert-clause", INV, "        ok = ok & w.guard.implies(~(inserting & w.old.bit(0)))\n", "",
            ("tests/test_invariants.py",), "no-overwrite loses 'an insert never lands on a valid entry'"),
    _clause("no-overwrite-new-table-clause", INV, 'inserting = (w.why == "create_table") | v.inserting',
            "inserting = v.inserting", ("tests/test_invariants.py",),
            "no-overwrite forgets that a new table is an insert"),
    _clause("well-formed-writes-clause", INV, "return writes & descents & tree_ok(v.pre, v, v.before)",
            "return descents & tree_ok(v.pre, v, v.before)", ("tests/test_invariants.py",),
            "well-formed loses 'writes only into handed-out table pages'"),
    _clause("well-formed-descents-clause", INV, "return writes & descents & tree_ok(v.pre, v, v.before)",
            "return writes & tree_ok(v.pre, v, v.before)", ("tests/test_invariants.py",),
            "well-formed loses 'descends only through spec pointers'"),
    _clause("well-formed-parent-clause", INV, "linked = linked & (pf == prev.frame) & (pi == prev.idx)",
            "linked = linked & (pf == prev.frame)", ("tests/test_invariants.py",),
            "tree_ok loses 'linked from the very entry the walk came through'"),
    _clause("functional-moves-on-clause", INV, "return v.succeeded.implies(done_kept & ahead_kept & moves_on & per_op)",
            "return v.succeeded.implies(done_kept & ahead_kept & per_op)", ("tests/test_invariants.py",),
            "functional loses 'vfn and mfn advance together'"),
    _clause("functional-ahead-clause", INV, "return v.succeeded.implies(done_kept & ahead_kept & moves_on & per_op)",
            "return v.succeeded.implies(done_kept & moves_on & per_op)", ("tests/test_invariants.py",),
            "functional loses 'the rest of the request is left as it was'"),
    _clause("functional-done-clause", INV, "return v.succeeded.implies(done_kept & ahead_kept & moves_on & per_op)",
            "return v.succeeded.implies(ahead_kept & moves_on & per_op)", ("tests/test_invariants.py",),
            "functional loses 'what is done is left as it was'",
            equivalent="overlaps two other clauses: a done page is in the request, so outside the "
                       "chunk ahead_kept already keeps it; inside the chunk (a walk to a superpage "
                       "leaf) per_op fixes its translation to what the call asks, which a correctly "
                       "done page already has. Only a step over a wrongly done page could tell; "
                       "no such reachable step is known (likely equivalent, not proved)"),
    _clause("tables-kept-alloc-clause", INV, "    return kept & no_alloc\n", "    return kept\n",
            ("tests/test_invariants.py",), "tables-kept loses 'only map and populate allocate'"),
    _clause("tables-kept-link-clause", INV, "    return kept & no_alloc\n", "    return no_alloc\n",
            ("tests/test_invariants.py",), "tables-kept loses 'no table link is cleared or replaced'"),
    _clause("refusal-rc-clause", INV, "refused.implies((v.post.pc == PC_IDLE) & (v.post.rc == rc_word(-EINVAL)))",
            "refused.implies(v.post.pc == PC_IDLE)", ("tests/test_invariants.py",),
            "refusal loses 'returns -EINVAL'"),
    _clause("wx-only-w", INV, "return ~(t.ok & t.leaf_w & t.leaf_x)", "return ~(t.ok & t.leaf_x)",
            ("tests/test_invariants.py",), "wx judges X alone"),
    _clause("p2m-wf-in-use-clause", P2M_INV, "ok.append(tbl.implies(in_use & (level > 0)))",
            "ok.append(tbl.implies(level > 0))", ("tests/test_p2m_invariants.py",),
            "p2m well-formed loses 'a table entry points to a pool page in use'"),
    _clause("p2m-wf-no-level0-pointer-clause", P2M_INV, "ok.append(tbl.implies(in_use & (level > 0)))",
            "ok.append(tbl.implies(in_use))", ("tests/test_p2m_invariants.py",),
            "p2m well-formed loses 'no pointer at level 0'"),
    _clause("p2m-wf-leaf-level-clause", P2M_INV,
            "                ok.append(leaf.implies(level <= MAX_SUPPORTED_LEVEL))\n", "",
            ("tests/test_p2m_invariants.py",), "p2m well-formed loses 'leaves at 4K/2M/1G only'",
            equivalent="every geometry the p2m system uses (sv39x4) has its root at level 2, which is "
                       "MAX_SUPPORTED_LEVEL: no entry sits above it, so the clause holds of any tree"),
    _clause("p2m-wf-type-clause", P2M_INV,
            "                ok.append(r.implies(m.type_consistent(st, e, level, bv(p, 16), bv(i, 16))))\n", "",
            ("tests/test_p2m_invariants.py",), "p2m well-formed loses 'the type where p2m_get_type finds it'"),
    _clause("p2m-wf-linked-once-clause", P2M_INV, "    ok.extend(exactly_one_or_none(v) for v in links.values())\n",
            "", ("tests/test_p2m_invariants.py",), "p2m well-formed loses 'no pool page linked twice'"),
    _clause("arm-wf-writes-clause", ARM_INV,
            "    return writes & descents & tree_ok(v.pre, v, v.before).implies(tree_ok(v.post, v, v.after))",
            "    return descents & tree_ok(v.pre, v, v.before).implies(tree_ok(v.post, v, v.after))",
            ("tests/test_arm_pt.py",), "Arm well-formed loses 'writes only into handed-out table pages'"),
    _clause("arm-wf-descents-clause", ARM_INV,
            "    return writes & descents & tree_ok(v.pre, v, v.before).implies(tree_ok(v.post, v, v.after))",
            "    return writes & tree_ok(v.pre, v, v.before).implies(tree_ok(v.post, v, v.after))",
            ("tests/test_arm_pt.py",), "Arm well-formed loses 'descends only through tables'"),
    _clause("arm-functional-done-clause", ARM_INV, "return v.succeeded.implies(done_kept & per_op)",
            "return v.succeeded.implies(per_op)", ("tests/test_arm_pt.py",),
            "Arm functional loses 'what is done stays as it was'"),
    _clause("arm-contig-bit-clause", ARM_INV, 'e.bit(0) & e.bit(52) & at_level(e, level, "mapping")',
            'e.bit(0) & at_level(e, level, "mapping")', ("tests/test_arm_pt.py",),
            "Arm contig loses 'every entry of the group has the bit'",
            equivalent="implied by the others: bit 52 is in LEAF_ATTR_MASK, so 'the same attributes' "
                       "gives every entry entry 0's bit, and some entry has it (any_bit)"),
    _clause("arm-contig-valid-clause", ARM_INV, 'e.bit(0) & e.bit(52) & at_level(e, level, "mapping")',
            'e.bit(52) & at_level(e, level, "mapping")', ("tests/test_arm_pt.py",),
            "Arm contig loses 'every entry of the group is valid'",
            equivalent="implied: at_level(e, level, 'mapping') (classify_desc) requires the valid bit"),
    _clause("arm-contig-oa-clause", ARM_INV, "& (e.bits(*ADDR_BITS) == base + scaled(bv(k, 36), level)) ", "",
            ("tests/test_arm_pt.py",), "Arm contig loses 'consecutive output addresses'"),
    _clause("arm-contig-attrs-clause", ARM_INV, "& ((e & LEAF_ATTR_MASK) == (entries[0] & LEAF_ATTR_MASK))", "",
            ("tests/test_arm_pt.py",), "Arm contig loses 'the same attributes'"),
    _clause("p2m-footprint-frame-only", P2M_INV,
            "same = all_of(x.iff(y) if isinstance(x, Bool) else x == y for x, y in zip(a, b))",
            "same = all_of(x.iff(y) if isinstance(x, Bool) else x == y for x, y in zip(a[:2], b[:2]))",
            ("tests/test_p2m_invariants.py",), "p2m footprint compares frames only, not permissions and type"),
    _clause("p2m-footprint-no-type", P2M_INV,
            "same = all_of(x.iff(y) if isinstance(x, Bool) else x == y for x, y in zip(a, b))",
            "same = all_of(x.iff(y) if isinstance(x, Bool) else x == y for x, y in zip(a[:3], b[:3]))",
            ("tests/test_p2m_invariants.py",), "p2m footprint ignores the p2m type"),
    _clause("p2m-tlb-clean-need-flush-clause", P2M_INV, "return (~st.need_flush & all_of(~s for s in st.stale)",
            "return (all_of(~s for s in st.stale)", ("tests/test_p2m_invariants.py",),
            "flush-before-free's clean end loses 'nothing left to flush'"),
    _clause("p2m-freed-walkable-clause", P2M_INV, "return ~post.ev_free_walkable & tlb_clean(m, post)",
            "return tlb_clean(m, post)", ("tests/test_p2m_invariants.py",),
            "flush-before-free loses 'no page freed while walkable'"),
    _clause("p2m-footprint-outside", P2M_INV, "    return (other - call.gfn) >= span\n",
            "    return (other - call.gfn) > span\n", ("tests/test_p2m_invariants.py",),
            "footprint/type-preserved skip the first frame after the range"),
    _clause("arm-no-overwrite-oa-clause", ARM_INV,
            "        ok = ok & w.guard.implies(leaves.implies(w.old.bits(*ADDR_BITS) == w.new.bits(*ADDR_BITS)))\n",
            "", ("tests/test_arm_pt.py",), "Arm no-overwrite loses 'output address never changes'"),
    _clause("arm-no-overwrite-insert-clause", ARM_INV,
            "        ok = ok & w.guard.implies(~(inserting & w.old.bit(0)))\n", "", ("tests/test_arm_pt.py",),
            "Arm no-overwrite loses 'an insert never lands on a valid entry'"),
    _clause("p2m-tlb-clean-walkable-clause", P2M_INV, "            & all_of(w.iff(r) for w, r in zip(st.walkable, reach))\n",
            "", ("tests/test_p2m_invariants.py",), "flush-before-free's clean end loses 'walkable = linked'"),
    _clause("p2m-tlb-clean-stale-clause", P2M_INV, "return (~st.need_flush & all_of(~s for s in st.stale)",
            "return (~st.need_flush", ("tests/test_p2m_invariants.py",),
            "flush-before-free's clean end loses 'no TLB entry stale'"),
    _clause("arm-bbm-ap-xn-only", ARM_INV, "((w.old ^ w.new) & ~(PTE_RO | PTE_XN)) == 0",
            "((w.old ^ w.new) & ~(PTE_RO | PTE_XN) & 1) == 0", ("tests/test_arm_pt.py",),
            "Arm bbm checks only the valid bit"),
    # -- vector loader and schema ---------------------------------------------------------------
    Edit("vector-violation-unvalidated", "proofs/vector.py", "            if key in props:\n",
         '            if key in props and key != "violation":\n', SCHEMA,
         "the loader skips the validation of `violation`"),
    Edit("vector-pattern-prefix", "proofs/vector.py", "not re.fullmatch(schema[\"pattern\"], value)",
         "not re.match(schema[\"pattern\"], value)", SCHEMA, "a pattern need only match a prefix"),
    Edit("vector-extra-keys-allowed", "proofs/vector.py", 'elif schema.get("additionalProperties") is False:',
         "elif False:", SCHEMA, "unexpected keys are accepted"),
    Edit("vector-min-items", "proofs/vector.py", 'if len(value) < schema.get("minItems", 0):',
         'if len(value) < schema.get("minItems", 0) - 1:', SCHEMA, "minItems off by one"),
    Edit("vector-one-of-any", "proofs/vector.py", "return [] if len(fits) == 1 else",
         "return [] if len(fits) >= 1 else", SCHEMA, "oneOf accepts a value matching several shapes"),
    Edit("vector-format-version-2", "proofs/vector.py", 'if vector.get("format_version") != FORMAT_VERSION:',
         'if vector.get("format_version") not in (FORMAT_VERSION, 2):', SCHEMA,
         "format version 2 is read as 1"),
    # -- the C harness --------------------------------------------------------------------------
    Edit("c-return-code-ignored", "proofs/c_harness.py", 'elif m["rc_value"] != c["rc"]:', "elif False:", C,
         "the C's return codes are not compared"),
    Edit("c-tables-ignored", "proofs/c_harness.py", "                if m != c:\n", "                if False:\n", C,
         "the C's tables are not compared"),
    Edit("c-pool-ignored", "proofs/c_harness.py",
         'if vector["expected"]["pool_handed_out"] != got["pool_handed_out"]:', "if False:", C,
         "the table pages the C used are not compared"),
    Edit("c-assert-ignored", "proofs/c_harness.py", 'if not (m["rc"] == "ASSERT" and c["failed"]):', "if False:", C,
         "an ASSERT on one side only is not a difference"),
    # -- report and JUnit writers ---------------------------------------------------------------
    Edit("report-meta-bounds-dropped", "proofs/report.py", '        "bounds": bounds_text(results),\n', "", REPORT,
         "the JSON report's meta loses `bounds`"),
    Edit("report-meta-seconds-max", "proofs/report.py", '"seconds": round(sum(r.seconds for r in results), 3)',
         '"seconds": round(max(r.seconds for r in results), 3)', REPORT, "meta.seconds is the longest, not the total"),
    Edit("report-result-seconds-dropped", "proofs/result.py", '        d["seconds"] = round(self.seconds, 4)\n',
         '        d.pop("seconds")\n        d["time"] = round(self.seconds, 4)\n', REPORT,
         "a result's `seconds` field is renamed"),
    Edit("junit-failures-zero", "proofs/report.py", 'suite.set("failures", str(failures))', 'suite.set("failures", "0")',
         REPORT, "JUnit testsuite says 0 failures"),
    Edit("junit-missing-name", "proofs/report.py", 'f"{d.invariant} [missing]"', 'f"{d.invariant} [absent]"', REPORT,
         "a missing expectation's testcase is named otherwise"),
    Edit("junit-errors-attribute", "proofs/report.py", 'suite.set("errors", "0")', 'suite.set("errors", "")', REPORT,
         "JUnit testsuite's errors attribute empty"),
    # -- CLI exit statuses ----------------------------------------------------------------------
    Edit("exit-solver-is-1", "proofs/errors.py", "EXIT_SOLVER = 3", "EXIT_SOLVER = 1", EXITS,
         "an undecided run exits 1"),
    Edit("exit-usage-is-1", "proofs/errors.py", "EXIT_USAGE = 2", "EXIT_USAGE = 1",
         ("tests/test_mutation.py", "tests/test_c_harness.py", "tests/test_export.py"), "bad input exits 1"),
    Edit("exit-vacuity-ignored", "proofs/expectations.py",
         "if differences or any(r.verdict == PROVED and r.vacuity is not True for r in results):",
         "if differences:", EXITS, "a proof without a vacuity witness exits 0"),
    Edit("prove-vectors-status-ignored", "proofs/cmd_prove.py",
         "status = max(status, write_run_vectors(results, settings, requested, args.vectors, args.update))",
         "write_run_vectors(results, settings, requested, args.vectors, args.update)",
         ("tests/test_cli_prove.py", "tests/test_vectors.py"), "prove --vectors ignores a differing vector"),
    Edit("vectors-differ-exit-0", "proofs/vector.py", "return EXIT_MISMATCH if bad else 0", "return 0",
         ("tests/test_cli_prove.py", "tests/test_vectors.py"), "the vector comparison always passes"),
    Edit("replay-failure-exit-0", "proofs/cmd_vectors.py", '    print(f"{len(loaded) - failed} of {len(loaded)} vectors reproduce")\n'
         "    return EXIT_MISMATCH if failed else 0",
         '    print(f"{len(loaded) - failed} of {len(loaded)} vectors reproduce")\n    return 0',
         VECTORS + C, "replay exits 0 when a vector does not reproduce"),
    Edit("confirm-disagreement-exit", "proofs/cmd_prove.py", "            return max(status, EXIT_MISMATCH)\n",
         "            return status\n", ("tests/test_cli_prove.py",), "a --confirm disagreement exits 0"),
)
