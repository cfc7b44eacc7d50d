# ruff: noqa: E501
"""The migrations of the two stores as main had them before the one history (commit 07e7200):
the fixture that builds stores "made by the old code" (test_one_history.py,
test_tenant_migration.py). Frozen: never edit."""

from __future__ import annotations

SQLITE: tuple[tuple[str, str], ...] = (
    (
        "0001_initial",
        "\n        CREATE TABLE sessions (\n            id TEXT PRIMARY KEY,\n            strategy TEXT,\n            state TEXT NOT NULL,\n            created_at REAL NOT NULL,\n            updated_at REAL NOT NULL,\n            head INTEGER NOT NULL,\n            record TEXT NOT NULL,\n            extra TEXT NOT NULL\n        );\n        CREATE INDEX sessions_state_updated ON sessions (state, updated_at);\n        CREATE TABLE events (\n            session_id TEXT NOT NULL,\n            seq INTEGER NOT NULL,\n            kind TEXT NOT NULL,\n            data TEXT NOT NULL,\n            PRIMARY KEY (session_id, seq)\n        ) WITHOUT ROWID;\n        CREATE TABLE sources (hash TEXT PRIMARY KEY, text TEXT NOT NULL) WITHOUT ROWID;\n        CREATE TABLE kv (\n            ns TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,\n            PRIMARY KEY (ns, key)\n        ) WITHOUT ROWID;\n        ",
    ),
    (
        "0002_internal",
        "\n        CREATE TABLE internal (\n            space TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,\n            PRIMARY KEY (space, key)\n        ) WITHOUT ROWID;\n        INSERT OR IGNORE INTO internal (space, key, value)\n            SELECT ns, key, value FROM kv WHERE ns = 'alc.thinking.chains';\n        DELETE FROM kv WHERE ns = 'alc.thinking.chains';\n        ",
    ),
    (
        "0003_tenant",
        "\n        ALTER TABLE sessions ADD COLUMN tenant TEXT;\n        CREATE INDEX sessions_tenant_updated ON sessions (tenant, updated_at);\n        ",
    ),
    (
        "0004_cards",
        "\n        CREATE TABLE cards (\n            card_id TEXT PRIMARY KEY,\n            pkg TEXT NOT NULL,\n            created_at TEXT NOT NULL,\n            prior_card_id TEXT,\n            body TEXT NOT NULL\n        ) WITHOUT ROWID;\n        CREATE INDEX cards_created ON cards (created_at, card_id);\n        CREATE INDEX cards_pkg_created ON cards (pkg, created_at, card_id);\n        CREATE INDEX cards_prior ON cards (prior_card_id);\n        CREATE TABLE card_samples (\n            card_id TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL,\n            PRIMARY KEY (card_id, seq)\n        ) WITHOUT ROWID;\n        CREATE TABLE card_aliases (\n            name TEXT PRIMARY KEY, card_id TEXT NOT NULL, pkg TEXT, note TEXT,\n            set_at TEXT NOT NULL\n        ) WITHOUT ROWID;\n        ",
    ),
    (
        "0005_state_tenant",
        "\n        CREATE TABLE kv_scoped (\n            tenant TEXT NOT NULL, ns TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,\n            PRIMARY KEY (tenant, ns, key)\n        ) WITHOUT ROWID;\n        INSERT OR REPLACE INTO kv_scoped (tenant, ns, key, value)\n            SELECT coalesce(m.tenant, ''),\n                CASE WHEN m.tenant IS NULL THEN kv.ns\n                    ELSE substr(kv.ns, length(m.tenant) + 2) END,\n                kv.key, kv.value\n            FROM kv LEFT JOIN (\n                SELECT k.ns AS ns, (\n                    SELECT t.tenant FROM (SELECT DISTINCT tenant FROM sessions\n                        WHERE tenant IS NOT NULL AND tenant <> '') t\n                    WHERE substr(k.ns, 1, length(t.tenant) + 1) = t.tenant || '/'\n                    ORDER BY length(t.tenant) DESC LIMIT 1\n                ) AS tenant FROM (SELECT DISTINCT ns FROM kv) k\n            ) m ON m.ns = kv.ns;\n        DROP TABLE kv;\n        ALTER TABLE kv_scoped RENAME TO kv;\n        \nCREATE TABLE kv_usage (\n    tenant TEXT NOT NULL, ns TEXT NOT NULL, bytes BIGINT NOT NULL, keys BIGINT NOT NULL,\n    PRIMARY KEY (tenant, ns)\n);\nCREATE TABLE kv_tenant_usage (\n    tenant TEXT NOT NULL PRIMARY KEY, bytes BIGINT NOT NULL, keys BIGINT NOT NULL\n);\nINSERT INTO kv_usage (tenant, ns, bytes, keys)\n    SELECT tenant, ns, SUM(length(CAST(key AS BLOB)) + length(CAST(value AS BLOB))), COUNT(*) FROM kv GROUP BY tenant, ns;\nINSERT INTO kv_tenant_usage (tenant, bytes, keys)\n    SELECT tenant, SUM(bytes), SUM(keys) FROM kv_usage GROUP BY tenant\n",
    ),
    (
        "0006_card_tenant",
        "\n        CREATE TABLE cards_scoped (\n            tenant TEXT NOT NULL, card_id TEXT NOT NULL, pkg TEXT NOT NULL,\n            created_at TEXT NOT NULL, prior_card_id TEXT, body TEXT NOT NULL,\n            PRIMARY KEY (tenant, card_id)\n        ) WITHOUT ROWID;\n        INSERT INTO cards_scoped SELECT '', card_id, pkg, created_at, prior_card_id, body\n            FROM cards;\n        DROP TABLE cards;\n        ALTER TABLE cards_scoped RENAME TO cards;\n        CREATE INDEX cards_created ON cards (tenant, created_at, card_id);\n        CREATE INDEX cards_pkg_created ON cards (tenant, pkg, created_at, card_id);\n        CREATE INDEX cards_prior ON cards (tenant, prior_card_id);\n        CREATE TABLE card_samples_scoped (\n            tenant TEXT NOT NULL, card_id TEXT NOT NULL, seq INTEGER NOT NULL,\n            data TEXT NOT NULL, PRIMARY KEY (tenant, card_id, seq)\n        ) WITHOUT ROWID;\n        INSERT INTO card_samples_scoped SELECT '', card_id, seq, data FROM card_samples;\n        DROP TABLE card_samples;\n        ALTER TABLE card_samples_scoped RENAME TO card_samples;\n        CREATE TABLE card_aliases_scoped (\n            tenant TEXT NOT NULL, name TEXT NOT NULL, card_id TEXT NOT NULL, pkg TEXT,\n            note TEXT, set_at TEXT NOT NULL, PRIMARY KEY (tenant, name)\n        ) WITHOUT ROWID;\n        INSERT INTO card_aliases_scoped SELECT '', name, card_id, pkg, note, set_at\n            FROM card_aliases;\n        DROP TABLE card_aliases;\n        ALTER TABLE card_aliases_scoped RENAME TO card_aliases;\n        ",
    ),
)

POSTGRES: tuple[tuple[str, str], ...] = (
    (
        "0001_initial",
        "\n        CREATE TABLE sessions (\n            id text PRIMARY KEY,\n            strategy text,\n            state text NOT NULL,\n            created_at double precision NOT NULL,\n            updated_at double precision NOT NULL,\n            head bigint NOT NULL,\n            record text NOT NULL,\n            extra text NOT NULL\n        );\n        CREATE INDEX sessions_state_updated ON sessions (state, updated_at);\n        CREATE INDEX sessions_updated ON sessions (updated_at);\n        CREATE TABLE events (\n            session_id text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,\n            seq bigint NOT NULL,\n            kind text NOT NULL,\n            data text NOT NULL,\n            PRIMARY KEY (session_id, seq)\n        );\n        CREATE TABLE sources (hash text PRIMARY KEY, text bytea NOT NULL);\n        CREATE TABLE kv (\n            ns bytea NOT NULL, key bytea NOT NULL, value text NOT NULL,\n            PRIMARY KEY (ns, key)\n        );\n        CREATE TABLE internal (\n            space bytea NOT NULL, key bytea NOT NULL, value text NOT NULL,\n            PRIMARY KEY (space, key)\n        );\n        ",
    ),
    (
        "0002_tenant",
        "\n        ALTER TABLE sessions ADD COLUMN tenant text;\n        CREATE INDEX sessions_tenant_updated ON sessions (tenant, updated_at);\n        ",
    ),
    (
        "0003_cards",
        '\n        CREATE TABLE cards (\n            card_id text COLLATE "C" PRIMARY KEY,\n            pkg text NOT NULL,\n            created_at text COLLATE "C" NOT NULL,\n            prior_card_id text,\n            body text NOT NULL\n        );\n        CREATE INDEX cards_created ON cards (created_at, card_id);\n        CREATE INDEX cards_pkg_created ON cards (pkg, created_at, card_id);\n        CREATE INDEX cards_prior ON cards (prior_card_id);\n        CREATE TABLE card_samples (\n            card_id text NOT NULL REFERENCES cards (card_id),\n            seq integer NOT NULL,\n            data text NOT NULL,\n            PRIMARY KEY (card_id, seq)\n        );\n        CREATE TABLE card_aliases (\n            name text COLLATE "C" PRIMARY KEY,\n            card_id text NOT NULL REFERENCES cards (card_id),\n            pkg text,\n            note text,\n            set_at text NOT NULL\n        );\n        ',
    ),
    (
        "0004_state_tenant",
        "\n        ALTER TABLE kv ADD COLUMN tenant text COLLATE \"C\" NOT NULL DEFAULT '';\n        ALTER TABLE kv DROP CONSTRAINT kv_pkey;\n        WITH m AS (\n            SELECT k.ns AS old, (\n                SELECT t.tenant FROM (SELECT DISTINCT tenant FROM sessions\n                    WHERE tenant IS NOT NULL AND tenant <> '') t\n                WHERE substring(k.ns FROM 1 FOR octet_length(convert_to(t.tenant, 'UTF8')) + 1)\n                    = convert_to(t.tenant || '/', 'UTF8')\n                ORDER BY octet_length(convert_to(t.tenant, 'UTF8')) DESC LIMIT 1\n            ) AS tenant FROM (SELECT DISTINCT ns FROM kv) k\n        )\n        UPDATE kv SET tenant = m.tenant,\n            ns = substring(kv.ns FROM octet_length(convert_to(m.tenant, 'UTF8')) + 2)\n            FROM m WHERE kv.ns = m.old AND m.tenant IS NOT NULL;\n        ALTER TABLE kv ADD PRIMARY KEY (tenant, ns, key);\n        \nCREATE TABLE kv_usage (\n    tenant TEXT NOT NULL, ns bytea NOT NULL, bytes BIGINT NOT NULL, keys BIGINT NOT NULL,\n    PRIMARY KEY (tenant, ns)\n);\nCREATE TABLE kv_tenant_usage (\n    tenant TEXT NOT NULL PRIMARY KEY, bytes BIGINT NOT NULL, keys BIGINT NOT NULL\n);\nINSERT INTO kv_usage (tenant, ns, bytes, keys)\n    SELECT tenant, ns, SUM(octet_length(key) + octet_length(value)), COUNT(*) FROM kv GROUP BY tenant, ns;\nINSERT INTO kv_tenant_usage (tenant, bytes, keys)\n    SELECT tenant, SUM(bytes), SUM(keys) FROM kv_usage GROUP BY tenant\n",
    ),
    (
        "0005_card_tenant",
        "\n        ALTER TABLE card_samples DROP CONSTRAINT card_samples_card_id_fkey;\n        ALTER TABLE card_aliases DROP CONSTRAINT card_aliases_card_id_fkey;\n        ALTER TABLE cards ADD COLUMN tenant text COLLATE \"C\" NOT NULL DEFAULT '';\n        ALTER TABLE card_samples ADD COLUMN tenant text COLLATE \"C\" NOT NULL DEFAULT '';\n        ALTER TABLE card_aliases ADD COLUMN tenant text COLLATE \"C\" NOT NULL DEFAULT '';\n        ALTER TABLE cards DROP CONSTRAINT cards_pkey, ADD PRIMARY KEY (tenant, card_id);\n        ALTER TABLE card_samples DROP CONSTRAINT card_samples_pkey,\n            ADD PRIMARY KEY (tenant, card_id, seq),\n            ADD FOREIGN KEY (tenant, card_id) REFERENCES cards (tenant, card_id);\n        ALTER TABLE card_aliases DROP CONSTRAINT card_aliases_pkey,\n            ADD PRIMARY KEY (tenant, name),\n            ADD FOREIGN KEY (tenant, card_id) REFERENCES cards (tenant, card_id);\n        DROP INDEX cards_created;\n        DROP INDEX cards_pkg_created;\n        DROP INDEX cards_prior;\n        CREATE INDEX cards_created ON cards (tenant, created_at, card_id);\n        CREATE INDEX cards_pkg_created ON cards (tenant, pkg, created_at, card_id);\n        CREATE INDEX cards_prior ON cards (tenant, prior_card_id);\n        ",
    ),
)
