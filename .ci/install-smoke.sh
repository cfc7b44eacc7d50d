#!/usr/bin/env bash
# What a user installs is what CI tests: build alc's wheel, install it into fresh virtualenvs
# and use it as a user would (scripts/smoke_install.py says what each smoke checks).
#
#   bash .ci/install-smoke.sh                 # the wheel with no extras, then each extra
#   bash .ci/install-smoke.sh core eval       # only these (core = no extras)
#
# Each target gets its own fresh venv (`python3 -m venv`, then `pip install WHEEL[extra]` with
# pip's ordinary configuration and cache) and runs the smoke driver with that venv's interpreter
# from a scratch folder, so `import alc` and the `alc` command are the installed wheel's, never
# the checkout's. `postgres` needs ALC_TEST_POSTGRES_URL (.ci/postgres.sh sets it). The [local]
# extra is .ci/local-model.sh's. Prints the wall time of each install and smoke.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(core openai postgres eval)
for target in "${targets[@]}"; do
  case "$target" in
    core|openai|postgres|eval) ;;
    *) echo "install-smoke: unknown target $target (core, openai, postgres, eval)" >&2; exit 2 ;;
  esac
done

work="$(mktemp -d "${TMPDIR:-/tmp}/alc-install-smoke.XXXXXX")"
trap 'rm -rf "$work"' EXIT

seconds() { python3 -c 'import time; print(f"{time.monotonic():.1f}")'; }
elapsed() { python3 -c "print(f'{$(seconds) - $1:.1f}')"; }

start="$(seconds)"
if ! python3 -m pip wheel --quiet --no-deps --wheel-dir "$work/dist" "$root" \
    >"$work/pip.log" 2>&1; then
  cat "$work/pip.log" >&2
  exit 1
fi
wheel="$(ls "$work"/dist/alc_engine-*.whl)"
echo "install-smoke: built $(basename "$wheel") in $(elapsed "$start") s"

for target in "${targets[@]}"; do
  case "$target" in
    core) spec="$wheel"; args=(core --readme "$root/README.md") ;;
    *) spec="$wheel[$target]"; args=("$target") ;;
  esac
  venv="$work/venv-$target"
  start="$(seconds)"
  # the venv without a pip of its own, installed into by this pip (seconds less per venv), and
  # without compiling every installed module to bytecode (Python compiles what it imports)
  python3 -m venv --without-pip "$venv"
  if ! python3 -m pip --python "$venv/bin/python" install --quiet --no-compile "$spec" \
      >"$work/pip.log" 2>&1; then
    cat "$work/pip.log" >&2
    exit 1
  fi
  echo "install-smoke: $target: fresh venv + pip install in $(elapsed "$start") s"
  start="$(seconds)"
  (cd "$work" && "$venv/bin/python" "$root/scripts/smoke_install.py" "${args[@]}")
  echo "install-smoke: $target: smoke passed in $(elapsed "$start") s"
  rm -rf "$venv"
done
