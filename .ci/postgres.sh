# A throwaway PostgreSQL server for the tests: source this file (bash) from the checkout.
#
#   . .ci/postgres.sh          # starts a server, exports ALC_TEST_POSTGRES_URL
#   python -m pytest -q tests/store tests/journal
#   alc_postgres_stop          # or just exit the shell: an EXIT trap stops it
#
# What it does: finds initdb/pg_ctl of the system's PostgreSQL (/usr/lib/postgresql/*/bin or
# PATH), installing the distribution's `postgresql` package with apt-get when none is found (that
# needs root); runs initdb in a fresh temporary folder and starts the server with pg_ctl,
# listening on 127.0.0.1 and on a unix socket in that folder, on a free port. initdb refuses to
# run as root, so when this shell is root the server runs as the unprivileged `postgres` user
# (created by the package; `nobody` otherwise) via runuser, and the folder is given to that user.
# The server trusts local connections and runs without fsync (a throwaway test server on
# 127.0.0.1 only: never use these settings for real data; docs/deploy.md has those).
#
# Exports: ALC_TEST_POSTGRES_URL=postgresql://alc@127.0.0.1:<port>/alc (superuser `alc`, database
# `alc`: the tests create one database per test from it), ALC_TEST_POSTGRES_DIR (the folder).
# Stopping (alc_postgres_stop, or the EXIT trap) runs `pg_ctl stop -m fast` and deletes the folder.

alc_postgres_bin() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
      echo "$dir"
      return 0
    fi
  done
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v initdb)"
    return 0
  fi
  return 1
}

alc_postgres_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "postgres.sh: PostgreSQL is not installed and this shell is not root;" \
      "install it (apt-get install postgresql) and retry" >&2
    return 1
  fi
  echo "postgres.sh: installing PostgreSQL (apt-get install -y postgresql)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
}

alc_postgres_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# as_pg CMD...: run CMD as the server's user (this shell's user unless it is root)
alc_postgres_as() {
  if [ -n "${ALC_TEST_POSTGRES_USER:-}" ]; then
    runuser -u "$ALC_TEST_POSTGRES_USER" -- "$@"
  else
    "$@"
  fi
}

alc_postgres_start() {
  local bin dir port
  bin="$(alc_postgres_bin)" || { alc_postgres_install && bin="$(alc_postgres_bin)"; } || return 1
  dir="$(mktemp -d "${TMPDIR:-/tmp}/alc-postgres.XXXXXX")" || return 1
  ALC_TEST_POSTGRES_USER=""
  if [ "$(id -u)" = 0 ]; then
    if id postgres >/dev/null 2>&1; then ALC_TEST_POSTGRES_USER=postgres; else ALC_TEST_POSTGRES_USER=nobody; fi
    chown "$ALC_TEST_POSTGRES_USER" "$dir"
  fi
  port="$(alc_postgres_free_port)" || return 1
  alc_postgres_as "$bin/initdb" -D "$dir/data" -U alc --auth=trust -E UTF8 --no-locale \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; rm -rf "$dir"; return 1; }
  # A test server needs no durability against its own crash: the tests kill clients (whose
  # acknowledged commits the running server keeps), never the server. Without fsync a commit
  # costs a round trip instead of a disk flush.
  alc_postgres_as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir \
        -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || { cat "$dir/server.log" >&2; rm -rf "$dir"; return 1; }
  alc_postgres_as "$bin/createdb" -h "$dir" -p "$port" -U alc alc || { alc_postgres_stop; return 1; }
  ALC_TEST_POSTGRES_BIN="$bin"
  export ALC_TEST_POSTGRES_DIR="$dir"
  export ALC_TEST_POSTGRES_URL="postgresql://alc@127.0.0.1:$port/alc"
  trap alc_postgres_stop EXIT
  # a non-interactive shell (CI) killed by a signal still runs the EXIT trap
  case $- in *i*) ;; *) trap 'exit 130' INT; trap 'exit 143' TERM ;; esac
  echo "postgres.sh: PostgreSQL $("$bin/pg_ctl" --version | awk '{print $3}') on" \
    "$ALC_TEST_POSTGRES_URL (folder $dir)" >&2
}

alc_postgres_stop() {
  if [ -n "${ALC_TEST_POSTGRES_DIR:-}" ] && [ -d "$ALC_TEST_POSTGRES_DIR/data" ]; then
    alc_postgres_as "$ALC_TEST_POSTGRES_BIN/pg_ctl" -D "$ALC_TEST_POSTGRES_DIR/data" -m fast -w \
      stop >/dev/null 2>&1 || true
  fi
  [ -n "${ALC_TEST_POSTGRES_DIR:-}" ] && rm -rf "$ALC_TEST_POSTGRES_DIR"
  unset ALC_TEST_POSTGRES_DIR ALC_TEST_POSTGRES_URL
  trap - EXIT
  case $- in *i*) ;; *) trap - INT TERM ;; esac
}

alc_postgres_start
