"""``graphsvc principals`` and ``graphsvc audit``, end to end on copies of the seed principals
file and on real audit logs: tokens shown once and stored only as hashes, listings without
hashes, revocation, a verified or broken chain, and filtered reading of the log.

Most commands run in this process through ``graphsvc.cli.main`` (fast); those whose output is
JSON, and the exit statuses a shell sees, run as real subprocesses like ``tests/test_cli.py``.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from graphsvc.cli import main
from graphsvc.model.schema import Schema
from graphsvc.policy import Principals
from graphsvc.policy.audit import AuditEntry, AuditLog
from graphsvc.policy.keys import key_id_of
from tests.conftest import REPO, SEED

_SCRIPT = Path(sys.executable).parent / "graphsvc"
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "graphsvc.cli"]
TOKEN = re.compile(r"^gsk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$")
SEED_IDS = ["fr-analyst", "fr-supervisor", "be-analyst", "ro-analyst", "auditor"]


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    def lines(self) -> list[str]:
        return self.out.strip().splitlines()


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("GRAPHSVC_")}


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    """The command in a fresh process, as a shell runs it."""
    done = subprocess.run(
        [*COMMAND, *args],
        cwd=REPO,
        env={**_env(), **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def run_many(*commands: list[str]) -> list[Result]:
    """Independent commands at the same time, each a fresh process."""
    procs = [
        subprocess.Popen(
            [*COMMAND, *args],
            cwd=REPO,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args in commands
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append(Result(proc.returncode, out, err))
    return results


@pytest.fixture(autouse=True)
def _no_graphsvc_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("GRAPHSVC_"):
            monkeypatch.delenv(name)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """The command in this process (text output only: see the module's docstring)."""

    def call(*args: str) -> Result:
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse
            code = exc.code if isinstance(exc.code, int) else 2
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return call


def one_line_error(result: Result) -> str:
    assert result.code != 0, result
    assert "Traceback" not in result.err, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("graphsvc: "), lines[0]
    return lines[0]


def demo_token(principal_id: str) -> str:
    return f"gsk_demo-{principal_id}_lys-noir-public-demo-token"


@pytest.fixture
def principals(tmp_path: Path) -> Path:
    path = tmp_path / "principals.yaml"
    shutil.copyfile(SEED / "principals.yaml", path)
    return path


def owner(path: Path, schema: Schema, token: str) -> str | None:
    found = Principals.load(path, schema.policy).by_token(token)
    return found[0].id if found is not None else None


# -- principals add -------------------------------------------------------------------------------


def test_add_prints_the_token_alone_on_its_last_line(principals: Path, schema: Schema) -> None:
    seed_text = principals.read_text(encoding="utf-8")
    result = run(
        "--principals", str(principals), "principals", "add", "nl-analyst",
        "--agency", "nl-dlio", "--country", "NL", "--clearance", "CONFIDENTIAL",
        "--caveat", "FIU", "--caveat", "JIT", "--role", "analyst", "--role", "auditor",
        "--name", "Analist, Politie Rotterdam",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.err == ""
    lines = result.out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"added principal nl-analyst to {principals}")
    token = lines[-1]
    assert TOKEN.match(token), token
    text = principals.read_text(encoding="utf-8")
    assert token not in text
    assert token.split("_", 2)[2] not in text
    key_id = key_id_of(token)
    assert key_id is not None and key_id in text
    assert text.startswith("".join(seed_text.splitlines(keepends=True)[:3]))
    loaded = Principals.load(principals, schema.policy)
    assert [p.id for p in loaded] == [*SEED_IDS, "nl-analyst"]
    added = loaded.get("nl-analyst")
    assert added.model_dump() == {
        "id": "nl-analyst",
        "name": "Analist, Politie Rotterdam",
        "agency": "NL-DLIO",
        "country": "NL",
        "clearance": "CONFIDENTIAL",
        "caveats": frozenset({"FIU", "JIT"}),
        "roles": frozenset({"analyst", "auditor"}),
    }
    assert [k.id for k in added.keys] == [key_id]
    assert owner(principals, schema, token) == "nl-analyst"
    for seed_id in SEED_IDS:
        assert owner(principals, schema, demo_token(seed_id)) == seed_id


def test_add_with_default_role(
    cli: Callable[..., Result], principals: Path, schema: Schema
) -> None:
    result = cli(
        "--principals", str(principals), "principals", "add", "pt-analyst",
        "--agency", "PT-PJ", "--country", "PT", "--clearance", "RESTRICTED",
    )  # fmt: skip
    assert result.code == 0, result.err
    token = result.lines()[-1]
    assert TOKEN.match(token)
    added = Principals.load(principals, schema.policy).get("pt-analyst")
    assert added.roles == frozenset({"analyst"})
    assert added.caveats == frozenset()
    assert added.name is None
    assert owner(principals, schema, token) == "pt-analyst"


def test_add_to_a_new_principals_file(
    cli: Callable[..., Result], tmp_path: Path, schema: Schema
) -> None:
    path = tmp_path / "deploy" / "principals.yaml"
    result = cli(
        "--principals", str(path), "principals", "add", "ops",
        "--agency", "EU-EUROPOL", "--country", "NL", "--clearance", "SECRET", "--role", "admin",
    )  # fmt: skip
    assert result.code == 0, result.err
    token = result.lines()[-1]
    assert [p.id for p in Principals.load(path, schema.policy)] == ["ops"]
    assert owner(path, schema, token) == "ops"
    assert token not in path.read_text(encoding="utf-8")


def test_add_without_agency_is_a_usage_error(cli: Callable[..., Result], principals: Path) -> None:
    before = principals.read_bytes()
    result = cli(
        "--principals", str(principals), "principals", "add", "x",
        "--country", "FR", "--clearance", "SECRET",
    )  # fmt: skip
    assert result.code == 2
    assert result.out == ""
    assert "the following arguments are required: --agency" in result.err
    assert "Traceback" not in result.err
    assert principals.read_bytes() == before


def test_add_with_an_unknown_role_is_a_usage_error(
    cli: Callable[..., Result], principals: Path
) -> None:
    result = cli(
        "--principals", str(principals), "principals", "add", "x", "--agency", "FR-X",
        "--country", "FR", "--clearance", "SECRET", "--role", "superuser",
    )  # fmt: skip
    assert result.code == 2
    assert "--role: invalid choice: 'superuser'" in result.err


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (
            ["--clearance", "TOPSECRET"],
            "graphsvc: error: --clearance: principal x: clearance 'TOPSECRET' is not one of "
            "UNCLASSIFIED, RESTRICTED, CONFIDENTIAL or SECRET — did you mean SECRET?",
        ),
        (
            ["--clearance", "SECRET", "--caveat", "NOFORN"],
            "graphsvc: error: --caveat: principal x: unknown caveats ['NOFORN']; known: HUMINT, "
            "FIU, JIT or UC",
        ),
        (
            ["--clearance", "SECRET", "--country", "XX"],
            "graphsvc: error: --country: 'XX' is not an ISO 3166 alpha-2 country code",
        ),
    ],
)
def test_add_with_values_the_policy_does_not_know(
    cli: Callable[..., Result], principals: Path, flags: list[str], expected: str
) -> None:
    before = principals.read_bytes()
    args = ["--agency", "FR-X", "--country", "FR", *flags]
    result = cli("--principals", str(principals), "principals", "add", "x", *args)
    assert result.code == 2
    assert result.out == ""
    assert one_line_error(result) == expected
    assert principals.read_bytes() == before


def test_add_an_existing_id(cli: Callable[..., Result], principals: Path) -> None:
    before = principals.read_bytes()
    result = cli(
        "--principals", str(principals), "principals", "add", "auditor",
        "--agency", "FR-IGPN", "--country", "FR", "--clearance", "SECRET",
    )  # fmt: skip
    assert result.code == 2
    line = one_line_error(result)
    assert f"{principals}: principal 'auditor' already exists" in line
    assert "principals key" in line
    assert principals.read_bytes() == before


# -- principals list ------------------------------------------------------------------------------


def test_list_shows_key_ids_and_no_hashes(cli: Callable[..., Result], principals: Path) -> None:
    plain = cli("--principals", str(principals), "principals")
    listed = cli("--principals", str(principals), "principals", "list")
    assert plain.code == listed.code == 0
    assert plain.out == listed.out
    lines = plain.lines()
    assert [line.split()[0] for line in lines] == SEED_IDS
    assert lines[1].split() == [
        "fr-supervisor",
        "FR-OCRTEH",
        "FR",
        "SECRET",
        "caveats=FIU,HUMINT",
        "roles=analyst,supervisor",
        "keys=demo-fr-supervisor",
    ]
    for line, principal_id in zip(lines, SEED_IDS, strict=True):
        assert line.endswith(f"keys=demo-{principal_id}")
    assert "sha256" not in plain.out
    assert "$" not in plain.out

    token = cli("--principals", str(principals), "principals", "key", "be-analyst").lines()[-1]
    cli("--principals", str(principals), "principals", "revoke", "auditor", "--all")
    lines = cli("--principals", str(principals), "principals").lines()
    assert lines[2].endswith(f"keys=demo-be-analyst,{key_id_of(token)}")
    assert lines[4].endswith("keys=-")


def normalised(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {**row, "caveats": sorted(row["caveats"]), "roles": sorted(row["roles"])} for row in rows
    ]


def test_list_as_json(cli: Callable[..., Result], principals: Path) -> None:
    token = cli("--principals", str(principals), "principals", "key", "ro-analyst").lines()[-1]
    base = ["--principals", str(principals), "principals", "--format", "json"]
    plain, listed = run_many(base, [*base, "list"])
    assert plain.code == listed.code == 0, plain.err + listed.err
    assert normalised(plain.json()) == normalised(listed.json())
    assert "sha256" not in plain.out
    assert token not in plain.out
    rows = plain.json()
    assert [row["id"] for row in rows] == SEED_IDS
    assert {row["id"]: row["keys"] for row in rows} == {
        "fr-analyst": ["demo-fr-analyst"],
        "fr-supervisor": ["demo-fr-supervisor"],
        "be-analyst": ["demo-be-analyst"],
        "ro-analyst": ["demo-ro-analyst", key_id_of(token)],
        "auditor": ["demo-auditor"],
    }
    supervisor = rows[1]
    # caveats and roles are sets: their order in the JSON is not fixed
    assert sorted(supervisor.pop("caveats")) == ["FIU", "HUMINT"]
    assert sorted(supervisor.pop("roles")) == ["analyst", "supervisor"]
    assert supervisor == {
        "id": "fr-supervisor",
        "name": "Commandant, chef de groupe OCRTEH",
        "agency": "FR-OCRTEH",
        "country": "FR",
        "clearance": "SECRET",
        "keys": ["demo-fr-supervisor"],
    }


def test_list_a_missing_file(cli: Callable[..., Result], tmp_path: Path) -> None:
    missing = tmp_path / "none.yaml"
    result = cli("--principals", str(missing), "principals")
    assert result.code == 2
    assert one_line_error(result) == f"graphsvc: error: {missing}: principals file not found"


# -- principals key and revoke --------------------------------------------------------------------


def test_key_issues_another_working_key(
    cli: Callable[..., Result], principals: Path, schema: Schema
) -> None:
    result = cli("--principals", str(principals), "principals", "key", "fr-analyst")
    assert result.code == 0, result.err
    lines = result.lines()
    assert lines[0] == f"new API key for fr-analyst in {principals} (shown only this once):"
    token = lines[-1]
    assert TOKEN.match(token)
    assert token not in principals.read_text(encoding="utf-8")
    assert owner(principals, schema, token) == "fr-analyst"
    assert owner(principals, schema, demo_token("fr-analyst")) == "fr-analyst"
    again = cli("--principals", str(principals), "principals", "key", "fr-analyst").lines()[-1]
    assert again != token
    assert owner(principals, schema, again) == "fr-analyst"


def test_key_for_an_unknown_principal(cli: Callable[..., Result], principals: Path) -> None:
    result = cli("--principals", str(principals), "principals", "key", "fr-analist")
    assert result.code == 2
    line = one_line_error(result)
    assert f"no principal 'fr-analist' in {principals}" in line
    assert "fr-analyst" in line


def test_revoke_by_key_id(cli: Callable[..., Result], principals: Path, schema: Schema) -> None:
    token = cli("--principals", str(principals), "principals", "key", "be-analyst").lines()[-1]
    result = cli(
        "--principals", str(principals), "principals", "revoke", "be-analyst", "demo-be-analyst"
    )
    assert result.code == 0, result.err
    assert result.lines() == ["revoked 1 key(s) of be-analyst: demo-be-analyst"]
    assert owner(principals, schema, demo_token("be-analyst")) is None
    assert owner(principals, schema, token) == "be-analyst"


def test_revoke_by_token(cli: Callable[..., Result], principals: Path, schema: Schema) -> None:
    token = cli("--principals", str(principals), "principals", "key", "be-analyst").lines()[-1]
    result = cli("--principals", str(principals), "principals", "revoke", "be-analyst", token)
    assert result.code == 0, result.err
    assert result.lines() == [f"revoked 1 key(s) of be-analyst: {key_id_of(token)}"]
    assert owner(principals, schema, token) is None
    assert owner(principals, schema, demo_token("be-analyst")) == "be-analyst"
    # a demo token names its key too
    result = cli(
        "--principals", str(principals), "principals", "revoke", "be-analyst",
        demo_token("be-analyst"),
    )  # fmt: skip
    assert result.lines() == ["revoked 1 key(s) of be-analyst: demo-be-analyst"]
    assert Principals.load(principals, schema.policy).get("be-analyst").keys == ()


def test_revoke_all(cli: Callable[..., Result], principals: Path, schema: Schema) -> None:
    token = cli("--principals", str(principals), "principals", "key", "ro-analyst").lines()[-1]
    result = cli("--principals", str(principals), "principals", "revoke", "ro-analyst", "--all")
    assert result.code == 0, result.err
    assert result.lines() == [
        f"revoked 2 key(s) of ro-analyst: demo-ro-analyst, {key_id_of(token)}"
    ]
    assert owner(principals, schema, token) is None
    assert owner(principals, schema, demo_token("ro-analyst")) is None
    assert owner(principals, schema, demo_token("fr-analyst")) == "fr-analyst"
    again = cli("--principals", str(principals), "principals", "revoke", "ro-analyst", "--all")
    assert again.lines() == ["revoked 0 key(s) of ro-analyst: -"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["revoke", "fr-analyst"], "graphsvc: error: key: name the key to revoke, or give --all"),
        (
            ["revoke", "fr-analyst", "demo-fr-analyst", "--all"],
            "graphsvc: error: key: name the key to revoke, or give --all",
        ),
        (
            ["revoke", "fr-analyst", "demo-auditor"],
            "graphsvc: error: principal 'fr-analyst' has no key 'demo-auditor'; its keys: "
            "demo-fr-analyst",
        ),
        (
            ["revoke", "fr-analyst", demo_token("auditor")],
            "graphsvc: error: principal 'fr-analyst' has no key 'demo-auditor'; its keys: "
            "demo-fr-analyst",
        ),
    ],
)
def test_revoke_errors(
    cli: Callable[..., Result], principals: Path, args: list[str], expected: str
) -> None:
    before = principals.read_bytes()
    result = cli("--principals", str(principals), "principals", *args)
    assert result.code == 2
    assert one_line_error(result) == expected
    assert principals.read_bytes() == before


def test_revoke_for_an_unknown_principal(cli: Callable[..., Result], principals: Path) -> None:
    result = cli("--principals", str(principals), "principals", "revoke", "nobody", "--all")
    assert result.code == 2
    assert one_line_error(result) == f"graphsvc: error: no principal 'nobody' in {principals}"


# -- audit ----------------------------------------------------------------------------------------


def _append(log: AuditLog, principal: str, *operations: str, **fields: Any) -> AuditEntry:
    return log.append(
        principal=principal,
        agency=fields.pop("agency", "FR-OCRTEH"),
        auth=fields.pop("auth", f"api-key:demo-{principal}"),
        operations=[{"name": name, "arguments": {"ids": ["p-1"]}} for name in operations],
        justification=fields.pop("justification", "enquête 2024/117"),
        **fields,
    )


@pytest.fixture
def audit_path(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "graph-audit.db"
    with AuditLog(path) as log:
        _append(
            log, "fr-analyst", "expand", "search",
            entities=["p-2", "p-1"], links=["l-1"], client="127.0.0.1",
        )  # fmt: skip
        log.append(
            principal="auditor",
            agency="FR-IGPN",
            auth="jwt",
            operations=[{"name": "auditLog", "arguments": {"principal": "fr-analyst"}}],
            justification=None,
            outcome="DENIED",
        )
        _append(log, "be-analyst", "expandX", agency="BE-PJF")
        _append(log, "fr-analyst", "paths")
    yield path


def entries_of(path: Path) -> list[AuditEntry]:
    with AuditLog(path, create=False) as log:
        return log.entries()


def shown_seqs(result: Result) -> list[int]:
    assert result.code == 0, result.err
    return [int(line.split()[0][1:]) for line in result.lines() if line.startswith("#")]


def test_verify_an_intact_log(cli: Callable[..., Result], audit_path: Path) -> None:
    head = entries_of(audit_path)[-1].hash
    result = cli("--audit", str(audit_path), "audit", "verify")
    assert result.code == 0, result.err
    assert result.err == ""
    assert result.lines() == [f"audit log {audit_path}: 4 entries, chain intact; head {head}"]


def test_verify_a_tampered_log(cli: Callable[..., Result], audit_path: Path) -> None:
    intact = run("--audit", str(audit_path), "audit", "verify")
    assert intact.code == 0, intact.err
    assert f"{audit_path}: 4 entries, chain intact; head " in intact.out
    conn = sqlite3.connect(audit_path, isolation_level=None)
    try:
        conn.execute("DROP TRIGGER audit_no_update")
        conn.execute("UPDATE audit SET body = replace(body, '\"DENIED\"', '\"OK\"') WHERE seq = 2")
        assert conn.total_changes == 1
    finally:
        conn.close()
    result = cli("--audit", str(audit_path), "audit", "verify")
    assert result.code == 1
    assert result.out == ""
    assert result.err == (
        f"audit log {audit_path}: BROKEN at entry 2: its content does not match its hash "
        "(1 entries before it verify)\n"
    )
    # and as a shell sees it
    shell = run("--audit", str(audit_path), "audit", "verify")
    assert (shell.code, shell.out, shell.err) == (1, "", result.err)


def test_audit_log_from_the_environment_and_beside_the_store(
    cli: Callable[..., Result], audit_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the default: <store>-audit.db beside the store
    store = audit_path.with_name("graph.db")
    result = cli("--store", str(store), "audit", "verify")
    assert result.code == 0, result.err
    assert result.out.startswith(f"audit log {audit_path}: 4 entries")
    monkeypatch.setenv("GRAPHSVC_AUDIT", str(audit_path))
    result = cli("audit", "verify")
    assert result.code == 0, result.err
    assert result.out.startswith(f"audit log {audit_path}: 4 entries")


@pytest.mark.parametrize("action", [["verify"], ["show"], ["show", "--format", "json"]])
def test_audit_on_a_missing_file(
    cli: Callable[..., Result], tmp_path: Path, action: list[str]
) -> None:
    missing = tmp_path / "no-audit.db"
    result = cli("--audit", str(missing), "audit", *action)
    assert result.code == 2
    assert result.out == ""
    assert one_line_error(result) == f"graphsvc: error: {missing}: no audit log here"
    assert not missing.exists()


def test_audit_needs_an_action(cli: Callable[..., Result], audit_path: Path) -> None:
    result = cli("--audit", str(audit_path), "audit")
    assert result.code == 2
    assert "required" in result.err


def test_show_as_text(cli: Callable[..., Result], audit_path: Path) -> None:
    entries = entries_of(audit_path)
    result = cli("--audit", str(audit_path), "audit", "show")
    assert result.code == 0, result.err
    assert result.lines() == [
        f"#1 {entries[0].at} fr-analyst (FR-OCRTEH, api-key:demo-fr-analyst) OK: "
        'expand(ids=["p-1"]); search(ids=["p-1"])',
        "    justification: enquête 2024/117",
        "    returned 2 entities, 1 links",
        f'#2 {entries[1].at} auditor (FR-IGPN, jwt) DENIED: auditLog(principal="fr-analyst")',
        "    justification: -",
        "    returned 0 entities, 0 links",
        f'#3 {entries[2].at} be-analyst (BE-PJF, api-key:demo-be-analyst) OK: expandX(ids=["p-1"])',
        "    justification: enquête 2024/117",
        "    returned 0 entities, 0 links",
        f"#4 {entries[3].at} fr-analyst (FR-OCRTEH, api-key:demo-fr-analyst) OK: "
        'paths(ids=["p-1"])',
        "    justification: enquête 2024/117",
        "    returned 0 entities, 0 links",
    ]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ([], [1, 2, 3, 4]),
        (["--principal", "fr-analyst"], [1, 4]),
        (["--principal", "fr"], []),
        (["--operation", "expand"], [1]),
        (["--operation", "expandX"], [3]),
        (["--operation", "exp"], []),
        (["--operation", "search", "--principal", "fr-analyst"], [1]),
        (["--after", "2"], [3, 4]),
        (["--limit", "2"], [1, 2]),
        (["--after", "1", "--limit", "2"], [2, 3]),
        (["--limit", "0"], []),
        (["--principal", "fr-analyst", "--after", "1"], [4]),
    ],
)
def test_show_filters(
    cli: Callable[..., Result], audit_path: Path, filters: list[str], expected: list[int]
) -> None:
    result = cli("--audit", str(audit_path), "audit", "show", *filters)
    assert shown_seqs(result) == expected


def test_show_by_dates(cli: Callable[..., Result], audit_path: Path) -> None:
    entries = entries_of(audit_path)
    first_day = datetime.fromisoformat(entries[0].at.replace("Z", "+00:00")).date()
    last_day = datetime.fromisoformat(entries[-1].at.replace("Z", "+00:00")).date()

    def show(*filters: str) -> list[int]:
        return shown_seqs(cli("--audit", str(audit_path), "audit", "show", *filters))

    assert show("--since", first_day.isoformat()) == [1, 2, 3, 4]
    assert show("--until", last_day.isoformat()) == [1, 2, 3, 4]  # the whole day
    assert show("--since", first_day.isoformat(), "--until", last_day.isoformat()) == [1, 2, 3, 4]
    assert show("--since", (last_day + timedelta(days=1)).isoformat()) == []
    assert show("--until", (first_day - timedelta(days=1)).isoformat()) == []
    assert show("--until", str(first_day.year - 1)) == []
    assert show("--since", f"{first_day.year}-{first_day.month:02d}") == [1, 2, 3, 4]


def test_show_by_date_times(cli: Callable[..., Result], tmp_path: Path) -> None:
    """Date-times on the command line are whole seconds; --until includes all of its second."""
    path = tmp_path / "audit.db"
    with AuditLog(path) as log:
        first = _append(log, "fr-analyst", "expand")
        started = datetime.fromisoformat(first.at.replace("Z", "+00:00")).timestamp()
        time.sleep(max(0.0, int(started) + 1.05 - time.time()))  # into the next second
        second = _append(log, "be-analyst", "search")
        third = _append(log, "fr-analyst", "paths")
    seconds = [
        datetime.fromisoformat(e.at.replace("Z", "+00:00")).replace(microsecond=0)
        for e in (first, second, third)
    ]
    assert seconds[1] == seconds[0] + timedelta(seconds=1)

    def iso(moment: datetime) -> str:
        return moment.isoformat().replace("+00:00", "Z")

    def show(*filters: str) -> list[int]:
        return shown_seqs(cli("--audit", str(path), "audit", "show", *filters))

    assert show("--since", iso(seconds[1])) == [2, 3]
    assert show("--since", iso(seconds[0])) == [1, 2, 3]
    assert show("--until", iso(seconds[1])) == [1, 2, 3]  # to the end of that second
    assert show("--until", iso(seconds[0])) == [1]
    assert show("--since", iso(seconds[0]), "--until", iso(seconds[0])) == [1]
    assert show("--since", iso(seconds[1]), "--until", iso(seconds[1])) == [2, 3]
    paris = seconds[1].astimezone(timezone(timedelta(hours=2)))
    assert paris.isoformat().endswith("+02:00")
    assert show("--since", paris.isoformat()) == [2, 3]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (
            ["--since", "2025-13-01"],
            "graphsvc: error: --since: '2025-13-01' is not a calendar date",
        ),
        (["--until", "yesterday"], "graphsvc: error: --until: 'yesterday' is not an ISO"),
        (["--limit", "-1"], "graphsvc: error: --limit must not be negative"),
        (["--limit", "100001"], "graphsvc: error: --limit 100001 is over the limit of 100000"),
    ],
)
def test_show_errors(
    cli: Callable[..., Result], audit_path: Path, filters: list[str], expected: str
) -> None:
    result = cli("--audit", str(audit_path), "audit", "show", *filters)
    assert result.code == 2
    assert result.out == ""
    assert one_line_error(result).startswith(expected)


def test_show_as_json(audit_path: Path) -> None:
    entries = entries_of(audit_path)
    base = ["--audit", str(audit_path), "audit", "show", "--format", "json"]
    every, filtered = run_many(
        base, [*base, "--principal", "auditor", "--since", entries[0].at[:10], "--after", "1"]
    )
    for result in (every, filtered):
        assert result.code == 0, result.err
        assert result.err == ""

    def rows(result: Result) -> list[dict[str, Any]]:
        return [json.loads(line) for line in result.out.splitlines()]  # one entry per line

    assert rows(every) == [e.to_dict() for e in entries]
    first = rows(every)[0]
    assert first == {
        "seq": 1,
        "at": entries[0].at,
        "principal": "fr-analyst",
        "agency": "FR-OCRTEH",
        "auth": "api-key:demo-fr-analyst",
        "operations": [
            {"arguments": {"ids": ["p-1"]}, "name": "expand"},
            {"arguments": {"ids": ["p-1"]}, "name": "search"},
        ],
        "justification": "enquête 2024/117",
        "entities": ["p-1", "p-2"],
        "links": ["l-1"],
        "outcome": "OK",
        "client": "127.0.0.1",
        "prev": "0" * 64,
        "hash": entries[0].hash,
    }
    assert "enquête" in every.out  # not escaped
    (denied,) = rows(filtered)
    assert denied == rows(every)[1]
    assert (denied["seq"], denied["justification"], denied["outcome"]) == (2, None, "DENIED")
    for earlier, later in itertools.pairwise(rows(every)):
        assert later["prev"] == earlier["hash"]


def test_show_an_empty_log(cli: Callable[..., Result], tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    AuditLog(path).close()
    shown = cli("--audit", str(path), "audit", "show")
    assert (shown.code, shown.out, shown.err) == (0, "", "")
    verified = cli("--audit", str(path), "audit", "verify")
    assert verified.code == 0
    assert verified.lines() == [f"audit log {path}: 0 entries, chain intact; head {'0' * 64}"]
