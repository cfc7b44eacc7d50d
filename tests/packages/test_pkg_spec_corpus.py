"""``alc pkg test`` over the spec files of algocline's published collection, unchanged.

The spec files are written for lust (``describe`` / ``it`` / ``expect``) and build their own
``_G.alc`` stubs; they run here in alc's sandbox through the lust-compatible harness. The files
that do not pass, and why (none is a gap of alc's runner):
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pkg_helpers import CORPUS

from alc.engine.pkg import SPEC_LIMITS, PackageManager

NOT_PASSING = {
    # requires abm models (sugarscape_abm, ...) that the 96-package subset does not include
    "abm/spec/abm_new_models_spec.lua",
    # decorates packages of the full collection: some are not in the subset (sketch, coa, ...),
    # and decompose / sot resolve to alc's own built-ins of those names, which carry no shapes
    "alc_shapes/spec/alc_shapes_instrument_spec.lua",
    # the spec pins flow's meta.version to 0.7.0; the package in the corpus is 0.8.0
    "flow/spec/flow_spec.lua",
}

BY_CHANCE = {
    # "update tracks mutation prompt scores" fails by design 15% of the time: breed.update
    # hyper-mutates (state.hyper_mutation_rate = 0.15) and replaces the only mutation prompt the
    # spec used with a fresh, unused one. The package's init.lua reseeds math.random from
    # os.time() (whole seconds), so the outcome is chance, the same for runs within one second;
    # such a file must pass in one of a few reruns, a second apart
    "optimize/spec/optimize_spec.lua": "optimize",
}
RERUNS = 5

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"conformance corpus not at {CORPUS}")


@pytest.mark.slow
def test_the_collections_spec_files_pass(manager: PackageManager) -> None:
    report = manager.test(str(CORPUS))
    files = {f["file"]: f for f in report["files"]}
    expected = {
        p.relative_to(CORPUS).as_posix()
        for p in CORPUS.rglob("*_spec.lua")
        if (CORPUS / p.relative_to(CORPUS).parts[0] / "init.lua").is_file()
    }
    assert set(files) == expected and len(files) == 121
    failing = {name for name, f in files.items() if not f["ok"]}
    for name in sorted(failing & set(BY_CHANCE)):
        for _ in range(RERUNS):
            time.sleep(1.1)  # another second: another seed
            (rerun,) = [
                f for f in manager.test(str(CORPUS / BY_CHANCE[name]))["files"] if f["file"] == name
            ]
            if rerun["ok"]:
                failing.discard(name)
                break
    assert failing == NOT_PASSING, {n: files[n]["failures"][:2] for n in failing ^ NOT_PASSING}
    assert sum(f["passed"] for f in files.values()) > 2000  # `it` cases, not just files


def test_one_spec_file_with_its_own_alc_stub(manager: PackageManager) -> None:
    report = manager.test(str(CORPUS / "hegelian"))
    (result,) = report["files"]
    assert result["file"] == "hegelian/spec/hegelian_spec.lua"
    assert result["ok"] is True and result["passed"] > 10 and result["error"] is None


def test_a_spec_that_breaks_a_limit_fails_that_file_only(
    manager: PackageManager, tmp_path: Path
) -> None:
    pkg = tmp_path / "loopy"
    (pkg / "spec").mkdir(parents=True)
    (pkg / "init.lua").write_text("return { meta = { name = 'loopy' } }")
    (pkg / "spec" / "a_spec.lua").write_text(
        "lust.describe('x', function() lust.it('spins', function() while true do end end) end)"
    )
    (pkg / "spec" / "b_spec.lua").write_text(
        "local expect = lust.expect\n"
        "lust.describe('y', function()\n"
        "  lust.it('asks', function() expect(alc.llm('q?')).to.equal('scripted') end)\n"
        "  lust.it('fails', function() expect({1, {2}}).to.equal({1, {3}}) end)\n"
        "  lust.it('deep ok', function() expect({a = {1, 2}}).to.equal({a = {1, 2}}) end)\n"
        "  lust.it('negated', function() expect(1).to_not.equal(2) end)\n"
        "  lust.it('errors', function() expect(function() error('boom') end).to.fail() end)\n"
        "end)\n"
    )
    limits = SPEC_LIMITS.model_copy(update={"max_instructions": 5_000_000})
    report = manager.test(str(pkg), answers=["scripted"], limits=limits)
    a, b = report["files"]
    assert a["ok"] is False and "instruction limit" in (a["error"] or "")
    assert b["passed"] == 4 and b["failed"] == 1 and b["pauses"] == 1
    assert b["failures"][0]["name"] == "y > fails"
