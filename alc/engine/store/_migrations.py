"""One migration history for both SQL databases: the same named steps, in the same order.

Each step has a text per dialect (types differ: ``TEXT`` and ``REAL`` in SQLite, ``bytea``,
``double precision`` and ``COLLATE "C"`` in PostgreSQL); :func:`migrate` applies the steps
``schema_migrations`` does not list yet, in order, in one transaction (PostgreSQL: under an
advisory lock, so replicas starting together migrate once). Append new steps to both lists
under one name; never edit an applied one.

PostgreSQL stores made before the history was one had their own names (``0001_initial``
created ``internal`` too; ``0002_tenant`` ... ``0005_card_tenant`` are ``0003_tenant`` ...
``0006_card_tenant`` here): :func:`migrate` renames those rows first (:data:`LEGACY_NAMES`), so
such a store continues from the step it had reached.
"""

from __future__ import annotations

import time
from typing import Any

from alc.engine.store._dialect import Conn, Dialect
from alc.engine.store._kvsql import usage_tables

__all__ = ["LEGACY_NAMES", "MIGRATIONS", "migrate", "names"]

_SQLITE: tuple[tuple[str, str], ...] = (
    (
        "0001_initial",
        """
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            strategy TEXT,
            state TEXT NOT NULL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            head INTEGER NOT NULL,
            record TEXT NOT NULL,
            extra TEXT NOT NULL
        );
        CREATE INDEX sessions_state_updated ON sessions (state, updated_at);
        CREATE TABLE events (
            session_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            kind TEXT NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (session_id, seq)
        ) WITHOUT ROWID;
        CREATE TABLE sources (hash TEXT PRIMARY KEY, text TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE kv (
            ns TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
            PRIMARY KEY (ns, key)
        ) WITHOUT ROWID;
        """,
    ),
    (
        # engine-internal records leave alc.state's kv table (ctx._ns could address them there)
        "0002_internal",
        """
        CREATE TABLE internal (
            space TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
            PRIMARY KEY (space, key)
        ) WITHOUT ROWID;
        INSERT OR IGNORE INTO internal (space, key, value)
            SELECT ns, key, value FROM kv WHERE ns = 'alc.thinking.chains';
        DELETE FROM kv WHERE ns = 'alc.thinking.chains';
        """,
    ),
    (
        # each session belongs to the tenant that created it (NULL: made without tenancy)
        "0003_tenant",
        """
        ALTER TABLE sessions ADD COLUMN tenant TEXT;
        CREATE INDEX sessions_tenant_updated ON sessions (tenant, updated_at);
        """,
    ),
    (
        # alc.card.*: immutable run records, their write-once samples, aliases (docs/cards.md)
        "0004_cards",
        """
        CREATE TABLE cards (
            card_id TEXT PRIMARY KEY,
            pkg TEXT NOT NULL,
            created_at TEXT NOT NULL,
            prior_card_id TEXT,
            body TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX cards_created ON cards (created_at, card_id);
        CREATE INDEX cards_pkg_created ON cards (pkg, created_at, card_id);
        CREATE INDEX cards_prior ON cards (prior_card_id);
        CREATE TABLE card_samples (
            card_id TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL,
            PRIMARY KEY (card_id, seq)
        ) WITHOUT ROWID;
        CREATE TABLE card_aliases (
            name TEXT PRIMARY KEY, card_id TEXT NOT NULL, pkg TEXT, note TEXT,
            set_at TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
    (
        # alc.state's owner gets a column of its own (it was a "<tenant>/" prefix of the
        # namespace, which a tenant named "org" could reach as "x/..." of tenant "org/x"); rows
        # are split by the longest tenant of a session that prefixes them; usage counters for
        # the quota
        "0005_state_tenant",
        """
        CREATE TABLE kv_scoped (
            tenant TEXT NOT NULL, ns TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
            PRIMARY KEY (tenant, ns, key)
        ) WITHOUT ROWID;
        INSERT OR REPLACE INTO kv_scoped (tenant, ns, key, value)
            SELECT coalesce(m.tenant, ''),
                CASE WHEN m.tenant IS NULL THEN kv.ns
                    ELSE substr(kv.ns, length(m.tenant) + 2) END,
                kv.key, kv.value
            FROM kv LEFT JOIN (
                SELECT k.ns AS ns, (
                    SELECT t.tenant FROM (SELECT DISTINCT tenant FROM sessions
                        WHERE tenant IS NOT NULL AND tenant <> '') t
                    WHERE substr(k.ns, 1, length(t.tenant) + 1) = t.tenant || '/'
                    ORDER BY length(t.tenant) DESC LIMIT 1
                ) AS tenant FROM (SELECT DISTINCT ns FROM kv) k
            ) m ON m.ns = kv.ns;
        DROP TABLE kv;
        ALTER TABLE kv_scoped RENAME TO kv;
        """
        + usage_tables("TEXT", lambda column: f"length(CAST({column} AS BLOB))"),
    ),
    (
        # cards, samples and aliases belong to a tenant ('' without tenancy: every card made
        # so far, since tenants were refused alc.card); ids and names are unique per tenant
        "0006_card_tenant",
        """
        CREATE TABLE cards_scoped (
            tenant TEXT NOT NULL, card_id TEXT NOT NULL, pkg TEXT NOT NULL,
            created_at TEXT NOT NULL, prior_card_id TEXT, body TEXT NOT NULL,
            PRIMARY KEY (tenant, card_id)
        ) WITHOUT ROWID;
        INSERT INTO cards_scoped SELECT '', card_id, pkg, created_at, prior_card_id, body
            FROM cards;
        DROP TABLE cards;
        ALTER TABLE cards_scoped RENAME TO cards;
        CREATE INDEX cards_created ON cards (tenant, created_at, card_id);
        CREATE INDEX cards_pkg_created ON cards (tenant, pkg, created_at, card_id);
        CREATE INDEX cards_prior ON cards (tenant, prior_card_id);
        CREATE TABLE card_samples_scoped (
            tenant TEXT NOT NULL, card_id TEXT NOT NULL, seq INTEGER NOT NULL,
            data TEXT NOT NULL, PRIMARY KEY (tenant, card_id, seq)
        ) WITHOUT ROWID;
        INSERT INTO card_samples_scoped SELECT '', card_id, seq, data FROM card_samples;
        DROP TABLE card_samples;
        ALTER TABLE card_samples_scoped RENAME TO card_samples;
        CREATE TABLE card_aliases_scoped (
            tenant TEXT NOT NULL, name TEXT NOT NULL, card_id TEXT NOT NULL, pkg TEXT,
            note TEXT, set_at TEXT NOT NULL, PRIMARY KEY (tenant, name)
        ) WITHOUT ROWID;
        INSERT INTO card_aliases_scoped SELECT '', name, card_id, pkg, note, set_at
            FROM card_aliases;
        DROP TABLE card_aliases;
        ALTER TABLE card_aliases_scoped RENAME TO card_aliases;
        """,
    ),
)

_POSTGRES: tuple[tuple[str, str], ...] = (
    (
        "0001_initial",
        """
        CREATE TABLE sessions (
            id text PRIMARY KEY,
            strategy text,
            state text NOT NULL,
            created_at double precision NOT NULL,
            updated_at double precision NOT NULL,
            head bigint NOT NULL,
            record text NOT NULL,
            extra text NOT NULL
        );
        CREATE INDEX sessions_state_updated ON sessions (state, updated_at);
        CREATE INDEX sessions_updated ON sessions (updated_at);
        CREATE TABLE events (
            session_id text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            seq bigint NOT NULL,
            kind text NOT NULL,
            data text NOT NULL,
            PRIMARY KEY (session_id, seq)
        );
        CREATE TABLE sources (hash text PRIMARY KEY, text bytea NOT NULL);
        CREATE TABLE kv (
            ns bytea NOT NULL, key bytea NOT NULL, value text NOT NULL,
            PRIMARY KEY (ns, key)
        );
        """,
    ),
    (
        # engine-internal records leave alc.state's kv table (ctx._ns could address them there)
        "0002_internal",
        """
        CREATE TABLE internal (
            space bytea NOT NULL, key bytea NOT NULL, value text NOT NULL,
            PRIMARY KEY (space, key)
        );
        INSERT INTO internal (space, key, value)
            SELECT ns, key, value FROM kv WHERE ns = convert_to('alc.thinking.chains', 'UTF8')
            ON CONFLICT DO NOTHING;
        DELETE FROM kv WHERE ns = convert_to('alc.thinking.chains', 'UTF8');
        """,
    ),
    (
        # each session belongs to the tenant that created it (NULL: made without tenancy)
        "0003_tenant",
        """
        ALTER TABLE sessions ADD COLUMN tenant text;
        CREATE INDEX sessions_tenant_updated ON sessions (tenant, updated_at);
        """,
    ),
    (
        # alc.card.*: immutable run records, their write-once samples, aliases (docs/cards.md);
        # "C" collation: listings sort by bytes, as in SQLite, whatever the database's locale
        "0004_cards",
        """
        CREATE TABLE cards (
            card_id text COLLATE "C" PRIMARY KEY,
            pkg text NOT NULL,
            created_at text COLLATE "C" NOT NULL,
            prior_card_id text,
            body text NOT NULL
        );
        CREATE INDEX cards_created ON cards (created_at, card_id);
        CREATE INDEX cards_pkg_created ON cards (pkg, created_at, card_id);
        CREATE INDEX cards_prior ON cards (prior_card_id);
        CREATE TABLE card_samples (
            card_id text NOT NULL REFERENCES cards (card_id),
            seq integer NOT NULL,
            data text NOT NULL,
            PRIMARY KEY (card_id, seq)
        );
        CREATE TABLE card_aliases (
            name text COLLATE "C" PRIMARY KEY,
            card_id text NOT NULL REFERENCES cards (card_id),
            pkg text,
            note text,
            set_at text NOT NULL
        );
        """,
    ),
    (
        # alc.state's owner gets a column of its own (it was a "<tenant>/" prefix of the
        # namespace, which a tenant named "org" could reach as "x/..." of tenant "org/x"); rows
        # are split by the longest tenant of a session that prefixes them; usage counters for
        # the quota
        "0005_state_tenant",
        """
        ALTER TABLE kv ADD COLUMN tenant text COLLATE "C" NOT NULL DEFAULT '';
        ALTER TABLE kv DROP CONSTRAINT kv_pkey;
        WITH m AS (
            SELECT k.ns AS old, (
                SELECT t.tenant FROM (SELECT DISTINCT tenant FROM sessions
                    WHERE tenant IS NOT NULL AND tenant <> '') t
                WHERE substring(k.ns FROM 1 FOR octet_length(convert_to(t.tenant, 'UTF8')) + 1)
                    = convert_to(t.tenant || '/', 'UTF8')
                ORDER BY octet_length(convert_to(t.tenant, 'UTF8')) DESC LIMIT 1
            ) AS tenant FROM (SELECT DISTINCT ns FROM kv) k
        )
        UPDATE kv SET tenant = m.tenant,
            ns = substring(kv.ns FROM octet_length(convert_to(m.tenant, 'UTF8')) + 2)
            FROM m WHERE kv.ns = m.old AND m.tenant IS NOT NULL;
        ALTER TABLE kv ADD PRIMARY KEY (tenant, ns, key);
        """
        + usage_tables("bytea", lambda column: f"octet_length({column})"),
    ),
    (
        # cards, samples and aliases belong to a tenant ('' without tenancy: every card made
        # so far, since tenants were refused alc.card); ids and names are unique per tenant
        "0006_card_tenant",
        """
        ALTER TABLE card_samples DROP CONSTRAINT card_samples_card_id_fkey;
        ALTER TABLE card_aliases DROP CONSTRAINT card_aliases_card_id_fkey;
        ALTER TABLE cards ADD COLUMN tenant text COLLATE "C" NOT NULL DEFAULT '';
        ALTER TABLE card_samples ADD COLUMN tenant text COLLATE "C" NOT NULL DEFAULT '';
        ALTER TABLE card_aliases ADD COLUMN tenant text COLLATE "C" NOT NULL DEFAULT '';
        ALTER TABLE cards DROP CONSTRAINT cards_pkey, ADD PRIMARY KEY (tenant, card_id);
        ALTER TABLE card_samples DROP CONSTRAINT card_samples_pkey,
            ADD PRIMARY KEY (tenant, card_id, seq),
            ADD FOREIGN KEY (tenant, card_id) REFERENCES cards (tenant, card_id);
        ALTER TABLE card_aliases DROP CONSTRAINT card_aliases_pkey,
            ADD PRIMARY KEY (tenant, name),
            ADD FOREIGN KEY (tenant, card_id) REFERENCES cards (tenant, card_id);
        DROP INDEX cards_created;
        DROP INDEX cards_pkg_created;
        DROP INDEX cards_prior;
        CREATE INDEX cards_created ON cards (tenant, created_at, card_id);
        CREATE INDEX cards_pkg_created ON cards (tenant, pkg, created_at, card_id);
        CREATE INDEX cards_prior ON cards (tenant, prior_card_id);
        """,
    ),
)


MIGRATIONS: dict[str, tuple[tuple[str, str], ...]] = {"sqlite": _SQLITE, "postgres": _POSTGRES}
"""``dialect name -> ((step name, SQL), ...)``; both lists have the same names in order."""

LEGACY_NAMES: tuple[tuple[str, str], ...] = (
    ("0005_card_tenant", "0006_card_tenant"),
    ("0004_state_tenant", "0005_state_tenant"),
    ("0003_cards", "0004_cards"),
    ("0002_tenant", "0003_tenant"),
)
"""PostgreSQL's names before the one history, newest first (renamed in that order, so no new
name collides with an old one still there)."""

_MIGRATION_LOCK = 0x616C635F736368
"""PostgreSQL's advisory lock key (``alc_sch``) held while migrations run."""


def names() -> list[str]:
    """The step names, in order (the same for every dialect)."""
    return [name for name, _ in _SQLITE]


def migrate(conn: Conn, dialect: Dialect) -> list[str]:
    """Apply the missing steps on ``conn`` (inside the caller's write transaction); the names
    applied, in order."""

    def run(text: str, *params: object) -> Any:
        return conn.execute(dialect.sql(text), params)

    real = "REAL" if dialect.name == "sqlite" else "double precision"
    if dialect.name == "postgres":
        run("SELECT pg_advisory_xact_lock(?)", _MIGRATION_LOCK)
    run(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        f"(name TEXT PRIMARY KEY, applied_at {real} NOT NULL)"
    )
    done = {r[0] for r in run("SELECT name FROM schema_migrations").fetchall()}
    if dialect.name == "postgres" and "0001_initial" in done and "0002_internal" not in done:
        for old, new in LEGACY_NAMES:
            run("UPDATE schema_migrations SET name = ? WHERE name = ?", new, old)
        # the old 0001_initial made the internal table too
        run("INSERT INTO schema_migrations (name, applied_at) VALUES ('0002_internal', ?)", 0.0)
        done = {r[0] for r in run("SELECT name FROM schema_migrations").fetchall()}
    applied = []
    for name, sql in MIGRATIONS[dialect.name]:
        if name in done:
            continue
        if dialect.name == "sqlite":
            for statement in sql.split(";"):
                if statement.strip():
                    conn.execute(statement)
        else:
            conn.execute(sql.encode())
        run("INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)", name, time.time())
        applied.append(name)
    return applied
