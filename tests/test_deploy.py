"""The deployment files: docker-compose.yml, the Dockerfile, deploy/ and the Neo4j workflow.

Docker cannot run in the test suite, so the files are read and checked for the properties that
decide whether a deployment works and is safe (health-gated start order, volumes, loopback-only
ports, a non-root image, no secret in the repository), every ``graphsvc`` command they run is
parsed by the real command-line parser, and the entry point is run for real, as the image runs
it, on the embedded backend and against an unreachable Neo4j."""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from graphsvc.cli import build_parser
from tests.conftest import REPO, SEED

COMPOSE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
ENTRYPOINT = REPO / "deploy" / "entrypoint.sh"
ENV_EXAMPLE = REPO / "deploy" / "neo4j.env.example"
ENV_FILE = "deploy/neo4j.env"
WORKFLOW = REPO / ".github" / "workflows" / "neo4j.yml"

# NEO4J_* variables the neo4j image reads itself; it turns every other NEO4J_* variable it
# receives into a neo4j.conf setting (NEO4J_PASSWORD -> "PASSWORD"), and Neo4j 5 refuses to
# start on an unknown setting.
NEO4J_IMAGE_CONTROLS = {
    "NEO4J_ACCEPT_LICENSE_AGREEMENT",
    "NEO4J_AUTH",
    "NEO4J_AUTH_PATH",
    "NEO4J_DEBUG",
    "NEO4J_EDITION",
    "NEO4J_HOME",
    "NEO4J_PLUGINS",
}
# a configuration setting: NEO4J_ then the setting's lower-case namespace (server_, db_, dbms_)
NEO4J_SETTING = re.compile(r"^NEO4J_(server|db|dbms|initial|browser|internal)_[A-Za-z0-9_]+$")


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def service(name: str) -> dict[str, Any]:
    return compose()["services"][name]


def workflow() -> dict[str, Any]:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def environment(svc: dict[str, Any]) -> dict[str, str]:
    """A service's ``environment`` (mapping or ``KEY=value`` list) as a dict of strings."""
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def env_files(svc: dict[str, Any]) -> list[str]:
    files = svc.get("env_file") or []
    files = [files] if isinstance(files, str | dict) else files
    return [f["path"] if isinstance(f, dict) else f for f in files]


def dotenv(path: Path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip().strip("'\"")
    return pairs


def volume_mounts(svc: dict[str, Any]) -> dict[str, str]:
    """Target -> source of a service's volumes (short or long syntax)."""
    mounts = {}
    for volume in svc.get("volumes") or []:
        if isinstance(volume, dict):
            mounts[volume["target"]] = volume.get("source", "")
        else:
            source, target = volume.split(":")[:2]
            mounts[target] = source
    return mounts


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


# -- docker-compose.yml: neo4j ----------------------------------------------------------------


def test_neo4j_is_a_pinned_neo4j_5_community_image() -> None:
    assert re.fullmatch(r"neo4j:5(\.\d+)*-community", service("neo4j")["image"])


def test_neo4j_has_a_healthcheck_that_asks_the_database() -> None:
    check = service("neo4j")["healthcheck"]
    test = check["test"]
    assert test[0] == "CMD-SHELL"
    command = test[1]
    assert "cypher-shell" in command or ("wget" in command and "7474" in command)
    assert int(check["retries"]) >= 10
    # Compose interpolates `$VAR` on the host when it reads the file; variables meant for the
    # container's shell must be written `$$VAR`. No single `$` may be left.
    assert "$" not in command.replace("$$", "")
    shell = command.replace("$$", "$")
    assert subprocess.run(["sh", "-n", "-c", shell], capture_output=True).returncode == 0
    # the password is taken from the variable the container actually has
    assert "NEO4J_AUTH" in shell


def test_neo4j_keeps_data_and_logs_on_declared_named_volumes() -> None:
    mounts = volume_mounts(service("neo4j"))
    declared = compose().get("volumes") or {}
    for target in ("/data", "/logs"):
        assert target in mounts, f"no volume on {target}"
        assert mounts[target] in declared, f"{mounts[target]} is not a declared named volume"


def test_neo4j_takes_its_password_from_the_env_file_and_no_stray_neo4j_variables() -> None:
    neo4j = service("neo4j")
    env = environment(neo4j)
    assert ENV_FILE in env_files(neo4j)
    # NEO4J_AUTH comes from the env file (or is interpolated), never written in this file
    assert "NEO4J_AUTH" not in env or "${" in env["NEO4J_AUTH"]
    for key in env:
        if key.startswith("NEO4J_"):
            assert key in NEO4J_IMAGE_CONTROLS or NEO4J_SETTING.match(key), (
                f"{key} would become an unknown neo4j.conf setting and stop Neo4j"
            )


def test_neo4j_memory_is_set_modestly() -> None:
    env = environment(service("neo4j"))
    for key in ("NEO4J_server_memory_heap_max__size", "NEO4J_server_memory_pagecache_size"):
        assert re.fullmatch(r"\d+[kKmMgG]", env[key]), key


# -- docker-compose.yml: graphsvc --------------------------------------------------------------


def test_graphsvc_starts_after_neo4j_is_healthy() -> None:
    graphsvc = service("graphsvc")
    assert graphsvc["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert graphsvc["build"] in (".", {"context": "."})
    assert graphsvc["restart"] in ("unless-stopped", "always", "on-failure")


def test_graphsvc_uses_neo4j_at_the_neo4j_service() -> None:
    graphsvc = service("graphsvc")
    env = environment(graphsvc)
    assert env["GRAPHSVC_BACKEND"] == "neo4j"
    uri = urlsplit(env["NEO4J_URI"])
    assert uri.scheme in ("bolt", "neo4j")
    assert uri.hostname == "neo4j" and uri.port == 7687
    assert "neo4j" in compose()["services"]
    # the password reaches it from the same env file as the database's
    assert ENV_FILE in env_files(graphsvc)
    assert "NEO4J_PASSWORD" not in env


def test_graphsvc_audit_log_is_on_a_declared_named_volume() -> None:
    graphsvc = service("graphsvc")
    audit = Path(environment(graphsvc)["GRAPHSVC_AUDIT"])
    assert audit.is_absolute()
    mounts = volume_mounts(graphsvc)
    on = [target for target in mounts if audit.is_relative_to(target)]
    assert on, f"the audit log {audit} is on no volume: it would be lost with the container"
    assert mounts[on[0]] in (compose().get("volumes") or {})


def test_every_published_port_is_bound_to_loopback() -> None:
    published = 0
    for name, svc in compose()["services"].items():
        for port in svc.get("ports") or []:
            published += 1
            if isinstance(port, dict):
                assert port.get("host_ip") == "127.0.0.1", f"{name}: {port}"
            else:
                assert str(port).startswith("127.0.0.1:"), f"{name}: {port}"
    assert published >= 3  # 7474, 7687 and 8000


# -- the env file ------------------------------------------------------------------------------


def test_the_env_example_holds_no_secret_and_nothing_neo4j_would_refuse() -> None:
    pairs = dotenv(ENV_EXAMPLE)
    user, _, password = pairs["NEO4J_AUTH"].partition("/")
    assert user == "neo4j"
    assert password.startswith("change-me"), "the example must carry a placeholder password"
    assert len(password) >= 8 and "/" not in password  # the image refuses shorter or with "/"
    for key, value in pairs.items():
        if key.startswith("NEO4J_"):
            assert key in NEO4J_IMAGE_CONTROLS or NEO4J_SETTING.match(key), key
        if re.search(r"PASSWORD|SECRET|TOKEN|KEY", key):
            assert not value or "change-me" in value, f"{key} has a value in the example"


def test_the_real_env_file_is_ignored_by_git_and_docker() -> None:
    gitignore = (REPO / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ENV_FILE in gitignore or f"/{ENV_FILE}" in gitignore
    assert ENV_FILE in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()


# -- Dockerfile and .dockerignore --------------------------------------------------------------


def test_the_image_is_python_3_11_slim() -> None:
    instructions = dockerfile()
    args = {}
    for keyword, rest in instructions:
        if keyword == "ARG" and "=" in rest:
            name, _, value = rest.partition("=")
            args[name] = value
    bases = [rest.split()[0] for keyword, rest in instructions if keyword == "FROM"]
    assert bases
    for base in bases:
        resolved = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), base)
        assert resolved.startswith("python:3.11-slim"), resolved


def test_the_image_runs_as_a_fixed_non_root_user() -> None:
    users = [rest for keyword, rest in dockerfile() if keyword == "USER"]
    assert users, "no USER: the server would run as root"
    user = users[-1].split(":")[0]
    assert user.isdigit() and int(user) >= 1000, f"USER {users[-1]}: want a fixed non-root uid"


def test_the_image_checks_healthz_with_python_and_serves_the_seed() -> None:
    instructions = dockerfile()
    checks = [rest for keyword, rest in instructions if keyword == "HEALTHCHECK"]
    assert len(checks) == 1
    assert "/healthz" in checks[0] and "python" in checks[0]
    assert "curl" not in checks[0]  # not in python:slim
    assert ("WORKDIR", "/app") in instructions
    assert ("EXPOSE", "8000") in instructions
    copies = [rest.split() for keyword, rest in instructions if keyword == "COPY"]
    assert any(parts[0] == "seed" for parts in copies)
    entry = [rest for keyword, rest in instructions if keyword == "ENTRYPOINT"]
    assert entry and "deploy/entrypoint.sh" in entry[-1]
    runs = " ".join(rest for keyword, rest in instructions if keyword == "RUN")
    assert re.search(r"pip install \.(\s|$)", runs), "install the package itself"
    assert "-e " not in runs and "[test]" not in runs  # not editable, runtime dependencies only


def test_dockerignore_keeps_secrets_and_clutter_out_but_not_what_the_build_copies() -> None:
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for needed in (".venv", ".git", "data", "tests", ".env", ENV_FILE):
        assert needed in patterns, f"{needed} is not in .dockerignore"
    sources = [
        source
        for keyword, rest in dockerfile()
        if keyword == "COPY" and not rest.startswith("--from")
        for source in rest.split()[:-1]
        if not source.startswith("--")
    ]
    assert {"pyproject.toml", "README.md", "graphsvc", "schema", "cypher", "seed"} <= set(sources)
    for source in sources:
        assert (REPO / source).exists(), f"COPY {source}: no such file"
        for pattern in patterns:
            excluded = not pattern.startswith("!") and fnmatch.fnmatch(source, pattern)
            assert not excluded, f".dockerignore {pattern!r} drops {source}, which is copied"


# -- the entry point ---------------------------------------------------------------------------


def test_the_entrypoint_is_executable_posix_sh() -> None:
    mode = ENTRYPOINT.stat().st_mode
    assert mode & stat.S_IXUSR and mode & stat.S_IXOTH, "chmod +x deploy/entrypoint.sh"
    text = ENTRYPOINT.read_text(encoding="utf-8")
    assert text.startswith("#!/bin/sh\n")
    assert "\r" not in text
    assert re.search(r"^set -eu$", text, re.M)
    done = subprocess.run(["sh", "-n", str(ENTRYPOINT)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def _defaults(script: str) -> dict[str, str]:
    """``name="${VAR:-default}"`` assignments of a shell script: name -> default."""
    found = re.findall(r'^\s*(\w+)="\$\{\w+:-([^}]*)\}"', script, re.M)
    return dict(found)


def _graphsvc_commands(text: str) -> list[list[str]]:
    """The argument lists of the ``graphsvc`` commands a shell script or workflow runs, its
    variables replaced by their defaults (``X`` when it has none); in ``docker compose run
    graphsvc graphsvc stats`` the first ``graphsvc`` is the service."""
    defaults = _defaults(text)

    def value(match: re.Match[str]) -> str:
        inner = match.group(1) or match.group(2)
        name, _, default = inner.partition(":-")
        return defaults.get(name) or default or "X"

    commands = []
    text = re.sub(r"\\\n", " ", text)
    for line in text.splitlines():
        line = line.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        line = re.sub(r"\$\{([^}]*)\}|\$(\w+)", value, line)
        line = re.sub(r"\d*>&\d+|\d*>\s*\S+", " ", line)  # redirections
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
        # in a `docker compose ...` line the first `graphsvc` names the service
        service_name = "docker" in tokens
        for i, token in enumerate(tokens):
            if not (token == "graphsvc" or token.endswith("/graphsvc")):
                continue
            if service_name:
                service_name = False
                continue
            args = []
            for arg in tokens[i + 1 :]:
                if arg and set(arg) <= set(";&|()<>"):
                    break
                args.append(arg)
            commands.append(args)
    return commands


def _parse(args: list[str]) -> Any:
    try:
        return build_parser().parse_args(args)
    except SystemExit as exc:
        raise AssertionError(f"`graphsvc {shlex.join(args)}` is not a valid command") from exc


def _subcommand(parsed: Any) -> str:
    action = getattr(parsed, "action", None)
    return f"{parsed.command} {action}" if parsed.command == "db" else parsed.command


def test_every_graphsvc_command_of_the_entrypoint_exists_in_the_cli() -> None:
    commands = _graphsvc_commands(ENTRYPOINT.read_text(encoding="utf-8"))
    parsed = [_parse(args) for args in commands]
    assert {"db init", "ingest", "serve"} <= {_subcommand(p) for p in parsed}
    for p in parsed:
        if p.command == "ingest":
            assert all((REPO / f).exists() for f in p.files), p.files
    (serve,) = [p for p in parsed if p.command == "serve"]
    assert serve.host == "0.0.0.0" and serve.port == 8000
    assert serve.principals and (REPO / serve.principals).exists()


def test_every_graphsvc_command_of_the_workflow_exists_in_the_cli() -> None:
    commands = _graphsvc_commands(WORKFLOW.read_text(encoding="utf-8"))
    assert {_subcommand(_parse(args)) for args in commands} >= {"stats"}


# -- the workflow ------------------------------------------------------------------------------


def test_the_workflow_runs_make_test_against_a_healthy_neo4j() -> None:
    flow = workflow()
    assert {"push", "pull_request"} <= set(flow["on"])
    (job,) = [
        job
        for job in flow["jobs"].values()
        if any("make test" in step.get("run", "") for step in job["steps"])
    ]
    neo4j = job["services"]["neo4j"]
    assert neo4j["image"] == service("neo4j")["image"], "CI must test the deployed version"
    assert "--health-cmd" in neo4j["options"] and "cypher-shell" in neo4j["options"]
    service_env = {k: str(v) for k, v in neo4j["env"].items()}
    for key in service_env:
        assert (
            not key.startswith("NEO4J_") or key in NEO4J_IMAGE_CONTROLS or NEO4J_SETTING.match(key)
        )
    (step,) = [step for step in job["steps"] if "make test" in step.get("run", "")]
    env = {**job.get("env", {}), **step.get("env", {})}
    uri = urlsplit(env["NEO4J_URI"])
    assert uri.scheme in ("bolt", "neo4j") and uri.hostname == "localhost"
    assert any(str(port).split(":")[0] == str(uri.port) for port in neo4j["ports"])
    assert f"{env['NEO4J_USER']}/{env['NEO4J_PASSWORD']}" == service_env["NEO4J_AUTH"]
    setup = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/setup-python")]
    assert setup and str(setup[0]["with"]["python-version"]) == "3.11"


# -- the entry point, run -----------------------------------------------------------------------


def _run_entrypoint(
    *args: str, cwd: Path, timeout: float = 60, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(ENTRYPOINT), *args],
        cwd=cwd,
        env=_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _env(**env: str) -> dict[str, str]:
    """This environment without GRAPHSVC_* or NEO4J_*, graphsvc on PATH, and ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GRAPHSVC_", "NEO4J_"))}
    clean["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{clean.get('PATH', '')}"
    return clean | env


def test_the_entrypoint_takes_the_neo4j_password_from_neo4j_auth(tmp_path: Path) -> None:
    show = ("sh", "-c", 'printf "%s" "$NEO4J_PASSWORD"')
    cases = [
        ({"NEO4J_AUTH": "neo4j/s3cret-pass"}, "s3cret-pass"),
        ({"NEO4J_AUTH": "neo4j/s3cret-pass/true"}, "s3cret-pass"),
        ({"NEO4J_AUTH": "neo4j/ignored", "NEO4J_PASSWORD": "given"}, "given"),
        ({"NEO4J_AUTH": "none"}, ""),
    ]
    for env, expected in cases:
        done = _run_entrypoint(*show, cwd=tmp_path, **env)
        assert done.returncode == 0, done.stderr
        assert done.stdout == expected, env


def test_the_entrypoint_gives_up_on_an_unreachable_neo4j_with_a_clear_message(
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    done = _run_entrypoint(
        cwd=tmp_path,
        GRAPHSVC_BACKEND="neo4j",
        NEO4J_URI="bolt://127.0.0.1:1",  # nothing listens on port 1
        GRAPHSVC_DB_WAIT_TRIES="2",
        GRAPHSVC_DB_WAIT_SECONDS="0",
        timeout=120,
    )
    assert done.returncode != 0
    assert "waiting for Neo4j (attempt 1/2)" in done.stderr
    assert "giving up: Neo4j at bolt://127.0.0.1:1" in done.stderr
    assert "after 2 attempts" in done.stderr
    assert "cannot reach Neo4j" in done.stderr  # graphsvc's own reason, passed on
    assert "Traceback" not in done.stderr
    assert time.monotonic() - started < 100
    assert not (tmp_path / "data" / "graph.db").exists()


def test_the_entrypoint_refuses_an_unknown_backend(tmp_path: Path) -> None:
    done = _run_entrypoint(cwd=tmp_path, GRAPHSVC_BACKEND="mongo")
    assert done.returncode == 2
    assert "unknown GRAPHSVC_BACKEND 'mongo'" in done.stderr


def test_a_failed_first_load_leaves_no_store_behind(tmp_path: Path) -> None:
    (tmp_path / "bad.jsonl").write_text('{"kind": "entity", "id": "x", "type": "Nope"}\n')
    (tmp_path / "manifest.yaml").write_text("files:\n  - {path: bad.jsonl}\n")
    done = _run_entrypoint(cwd=tmp_path, GRAPHSVC_SEED_MANIFEST="manifest.yaml")
    assert done.returncode == 1
    assert "loading the seed case failed" in done.stderr
    assert not (tmp_path / "data" / "graph.db").exists()  # the next start loads it again


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve_until_healthy(workdir: Path, port: int) -> tuple[int, str]:
    """Start the entry point as the image does, wait for /healthz, stop it; (status, stderr)."""
    log = workdir / f"entrypoint-{port}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            ["sh", str(ENTRYPOINT)], cwd=workdir, env=_env(PORT=str(port)), stdout=out, stderr=out
        )
        status = 0
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and process.poll() is None:
                try:
                    with urllib.request.urlopen(
                        f"http://127.0.0.1:{port}/healthz", timeout=3
                    ) as answer:
                        status = answer.status
                        break
                except (urllib.error.URLError, ConnectionError):
                    time.sleep(0.3)
        finally:
            process.terminate()  # the entry point exec'd the server: this stops the server
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    return status, log.read_text()


@pytest.mark.slow
def test_the_entrypoint_loads_the_seed_on_first_start_only_and_serves(tmp_path: Path) -> None:
    (tmp_path / "seed").symlink_to(SEED, target_is_directory=True)
    status, log = _serve_until_healthy(tmp_path, _free_port())
    assert status == 200, log
    assert "first start: loading the seed case" in log
    assert re.search(r"^accepted [1-9]\d*, rejected 0$", log, re.M), log
    assert (tmp_path / "data" / "graph.db").exists()
    assert (tmp_path / "data" / "graph-audit.db").exists()
    status, log = _serve_until_healthy(tmp_path, _free_port())
    assert status == 200, log
    assert "loading the seed case" not in log  # the store is there: never loaded twice
    assert "accepted" not in log
