"""The export mutation over a real server: inline and downloaded files, downloads for their
maker only and only until they expire, the caller's scope, purposes, the audit entry of the
disclosure, `return as FORMAT` in a query, and the CLI command."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from graphsvc.api.config import Limits
from graphsvc.cli import main
from graphsvc.model.schema import Schema
from graphsvc.policy import Principals, Scope
from graphsvc.policy.audit import AuditLog
from graphsvc.store.protocol import GraphStore
from tests.api.conftest import Api, StartServer, demo_token
from tests.conftest import SEED

EXPORT = """mutation($format: ExportFormat!, $what: ExportSelection!,
                    $purpose: ExportPurpose, $delivery: Delivery) {
  export(format: $format, what: $what, purpose: $purpose, delivery: $delivery) {
    id format purpose filename mediaType size sha256 entities links truncated
    encoding content url expiresAt
    banner { marking classification releasableTo releasableToAll caveats handlingCodes
             originators withheld withheldElements text }
  }
}"""
LEADER = "ocrteh:PER-0001"
GEXF = {"g": "http://gexf.net/1.3"}


def export(api: Api, what: dict[str, Any], fmt: str = "GEXF", **kw: Any) -> dict[str, Any]:
    variables = {"format": fmt, "what": what}
    for key in ("purpose", "delivery"):
        if key in kw:
            variables[key] = kw.pop(key)
    answer: dict[str, Any] = api.data(EXPORT, variables, **kw)["export"]
    return answer


def gexf_ids(content: bytes) -> tuple[set[str], set[str]]:
    root = etree.fromstring(content)
    nodes = {n.get("id") for n in root.iterfind("g:graph/g:nodes/g:node", GEXF)}
    edges = {e.get("id") for e in root.iterfind("g:graph/g:edges/g:edge", GEXF)}
    return nodes, edges


def last_entry(api: Api) -> Any:
    return list(api.services.audit.entries())[-1]


@pytest.fixture
def api(seed_api: Api) -> Api:
    return seed_api


def test_an_expand_comes_back_inline_and_is_audited_as_a_disclosure(api: Api) -> None:
    made = export(
        api,
        {"expand": {"ids": [LEADER], "hops": 2}},
        delivery="INLINE",
        justification="PV 2024/118",
    )
    content = made["content"].encode("utf-8")
    assert made["encoding"] == "utf-8" and made["url"] is None
    assert hashlib.sha256(content).hexdigest() == made["sha256"]
    assert made["size"] == len(content) and made["mediaType"] == "application/gexf+xml"
    nodes, edges = gexf_ids(content)
    expanded = api.data(
        'query { expand(ids: ["ocrteh:PER-0001"], hops: 2) { nodes { id } links { id } } }'
    )["expand"]
    assert nodes == {n["id"] for n in expanded["nodes"]}
    assert edges == {x["id"] for x in expanded["links"]}
    assert (made["entities"], made["links"]) == (len(nodes), len(edges))
    assert made["banner"]["marking"].startswith("CONFIDENTIAL")
    assert "PV 2024/118" in made["banner"]["text"]
    assert made["filename"].endswith(".gexf")
    entries = list(api.services.audit.entries())
    entry = next(e for e in reversed(entries) if e.operations[0]["name"] == "export")
    arguments = entry.operations[0]["arguments"]
    assert arguments["format"] == "gexf" and arguments["sha256"] == made["sha256"]
    assert arguments["exportId"] == made["id"]
    assert arguments["what"] == {"expand": {"ids": [LEADER], "hops": 2}}
    assert set(entry.entities) == nodes and set(entry.links) == edges
    assert entry.justification == "PV 2024/118"


def test_a_download_is_for_its_maker_only_and_is_audited(api: Api) -> None:
    made = export(api, {"expand": {"ids": [LEADER]}}, "GRAPHML", delivery="DOWNLOAD")
    assert made["content"] is None and made["url"] == f"/exports/{made['id']}"
    assert made["expiresAt"]
    url = api.url + made["url"]
    mine = api.http.get(url, headers={"Authorization": f"Bearer {demo_token('fr-analyst')}"})
    assert mine.status_code == 200, mine.text
    assert hashlib.sha256(mine.content).hexdigest() == made["sha256"]
    assert mine.headers["content-type"].startswith("application/graphml+xml")
    assert made["filename"] in mine.headers["content-disposition"]
    assert mine.headers["x-handling"] == made["banner"]["marking"]
    nodes = etree.fromstring(mine.content).findall("{*}graph/{*}node")
    assert len(nodes) == made["entities"]
    assert last_entry(api).operations[0]["name"] == "downloadExport"
    other = api.http.get(url, headers={"Authorization": f"Bearer {demo_token('fr-supervisor')}"})
    assert other.status_code == 404
    absent = api.http.get(
        api.url + "/exports/exp-nothing",
        headers={"Authorization": f"Bearer {demo_token('fr-analyst')}"},
    )
    assert absent.status_code == 404
    # someone else's export and no export at all get the same answer
    assert (
        other.json()["errors"][0]["message"].replace(made["id"], "exp-nothing")
        == (absent.json()["errors"][0]["message"])
    )
    assert api.http.get(url).status_code == 401
    entry = last_entry(api)
    assert (entry.principal, entry.outcome) == ("fr-analyst", "NOT_FOUND")


def test_a_download_expires(start_server: StartServer) -> None:
    api = start_server(limits=Limits(max_export_age_seconds=1))
    made = export(api, {"expand": {"ids": [LEADER]}}, delivery="DOWNLOAD")
    time.sleep(1.2)
    response = api.http.get(
        api.url + made["url"], headers={"Authorization": f"Bearer {demo_token('fr-analyst')}"}
    )
    assert response.status_code == 404


def test_a_large_file_goes_to_a_download(start_server: StartServer) -> None:
    api = start_server(limits=Limits(max_inline_export_bytes=1000))
    made = export(api, {"expand": {"ids": [LEADER]}})
    assert made["content"] is None and made["url"]
    error = api.error(
        EXPORT,
        {"format": "GEXF", "what": {"expand": {"ids": [LEADER]}}, "delivery": "INLINE"},
    )
    assert error["extensions"] == {"code": "INVALID_INPUT", "field": "delivery"}


def test_the_whole_visible_graph_is_the_callers(
    api: Api, seed_store: GraphStore, schema: Schema
) -> None:
    made = export(api, {"visibleGraph": {}}, as_="be-analyst")
    nodes, edges = gexf_ids(made["content"].encode())
    principal = Principals.load(SEED / "principals.yaml", schema.policy).get("be-analyst")
    scope = Scope.of(principal, schema.policy)
    view = seed_store.view(scope)
    visible = {str(x) for x in view.vertex_ids}
    links = {x.id for x in seed_store.links_at(scope, view, list(range(view.m))) if x}
    assert nodes == visible and edges == links
    assert "ocrteh:PER-0001" not in nodes
    assert made["banner"]["classification"] == "RESTRICTED"


def test_dissemination_withholds_and_says_how_much(api: Api) -> None:
    what = {"expand": {"ids": [LEADER], "hops": 2}}
    internal = export(api, what, "CYTOSCAPE", delivery="INLINE")
    shared = export(api, what, "CYTOSCAPE", purpose="DISSEMINATION", delivery="INLINE")
    assert shared["purpose"] == "DISSEMINATION"
    assert shared["banner"]["withheldElements"] > 0
    assert "withheld" in shared["banner"]["withheld"]
    mine = {e["data"]["id"] for e in json.loads(internal["content"])["elements"]["edges"]}
    out = {e["data"]["id"] for e in json.loads(shared["content"])["elements"]["edges"]}
    assert out < mine
    assert json.loads(shared["content"])["data"]["purpose"] == "dissemination"


def test_csv_comes_back_as_base64_zip(api: Api) -> None:
    made = export(api, {"paths": {"from": LEADER, "to": "rne:PP-000045"}}, "CSV")
    assert made["encoding"] == "base64"
    archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(made["content"])))
    assert {"nodes.csv", "edges.csv", "HANDLING.txt"} <= set(archive.namelist())
    assert made["banner"]["marking"] in archive.read("HANDLING.txt").decode()


@pytest.mark.parametrize("fmt", ["GEXF", "GRAPHML", "CSV", "CYTOSCAPE", "FTM", "ANX"])
def test_every_format_exports_a_community(api: Api, fmt: str) -> None:
    made = export(api, {"community": {"member": LEADER}}, fmt)
    assert made["entities"] > 1 and made["size"] > 0
    assert made["format"] == fmt


def test_selections_are_checked(api: Api) -> None:
    both = api.error(
        EXPORT, {"format": "GEXF", "what": {"expand": {"ids": [LEADER]}, "visibleGraph": {}}}
    )
    assert "exactly one" in both["message"].lower() or both["extensions"]["code"] in (
        "INVALID_INPUT",
        "GRAPHQL_VALIDATION_FAILED",
    )
    unknown = api.error(EXPORT, {"format": "PDF", "what": {"visibleGraph": {}}})
    assert unknown["extensions"]["code"] == "INVALID_INPUT"
    no_member = api.error(EXPORT, {"format": "GEXF", "what": {"community": {}}})
    assert no_member["extensions"]["code"] == "INVALID_INPUT"
    missing = api.error(EXPORT, {"format": "GEXF", "what": {"community": {"member": "nobody:1"}}})
    assert missing["extensions"]["code"] == "NOT_FOUND"
    too_many = api.error(
        EXPORT,
        {"format": "GEXF", "what": {"expand": {"ids": [LEADER], "hops": 99}}},
    )
    assert too_many["extensions"] == {"code": "LIMIT_EXCEEDED", "field": "hops"}


def test_over_the_export_limit(start_server: StartServer) -> None:
    api = start_server(limits=Limits(max_export_elements=10))
    error = api.error(EXPORT, {"format": "GEXF", "what": {"visibleGraph": {}}})
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED"
    assert "max_export_elements" in error["message"]


def test_a_query_can_return_a_file(api: Api) -> None:
    query = """query($dsl: String!) { runQuery(dsl: $dsl) { count export {
        format purpose content banner { withheld } } } }"""
    dsl = 'find Person where name ~ "lazarescu" | expand 1 | return as gexf for judicial'
    answer = api.data(query, {"dsl": dsl})["runQuery"]
    assert answer["export"]["format"] == "GEXF" and answer["export"]["purpose"] == "JUDICIAL"
    nodes, _ = gexf_ids(answer["export"]["content"].encode())
    assert nodes and len(nodes) == answer["count"]
    entry = last_entry(api)
    assert entry.operations[0]["arguments"]["format"] == "gexf"
    assert set(entry.entities) >= nodes
    plain = api.data(query, {"dsl": 'find Person where name ~ "lazarescu"'})["runQuery"]
    assert plain["export"] is None


def test_a_saved_query_answer_exports(start_server: StartServer, writable_seed: GraphStore) -> None:
    api = start_server(store=writable_seed)
    body = "param who: string\nfind where id = $who | expand 1 via CALLED, MESSAGED | rank degree"
    save = """mutation($body: String!) { saveQuery(name: "callers", body: $body) { version } }"""
    api.data(save, {"body": body})
    made = export(api, {"query": {"saved": "callers", "params": {"who": LEADER}}}, "CYTOSCAPE")
    data = json.loads(made["content"])
    assert data["data"]["title"] == "saved query fr-analyst/callers v1"
    ranked = [n["data"] for n in data["elements"]["nodes"]]
    assert all("degree" in n and "rank" in n for n in ranked)
    assert made["entities"] == len(data["elements"]["nodes"]) > 0


def test_the_cli_writes_the_file_and_audits_it(
    seed_db: Path, api_schema: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "graph.db"
    store.write_bytes(seed_db.read_bytes())
    audit = tmp_path / "audit.db"
    out = tmp_path / "leader.gexf"
    base = ["--store", str(store), "--principals", str(SEED / "principals.yaml")]
    base += ["--audit", str(audit)]
    code = main(
        [
            *base,
            "export",
            "--as",
            "fr-analyst",
            "--format",
            "gexf",
            "--expand",
            LEADER,
            "--hops",
            "2",
            "--purpose",
            "dissemination",
            "-o",
            str(out),
            "--justification",
            "PV 9",
        ]
    )
    assert code == 0
    err = capsys.readouterr().err
    assert "withheld" in err and str(out) in err
    nodes, edges = gexf_ids(out.read_bytes())
    with AuditLog(audit) as log:
        (entry,) = list(log.entries())
    assert entry.auth == "cli" and entry.justification == "PV 9"
    assert set(entry.entities) == nodes and set(entry.links) == edges
    assert entry.operations[0]["arguments"]["purpose"] == "dissemination"
    bad = main([*base, "export", "--as", "fr-analyst", "--format", "gexf", "--member", "x:1"])
    assert bad != 0
    assert "x:1" in capsys.readouterr().err


def test_a_download_needs_a_justification_when_the_server_requires_one(
    start_server: StartServer,
) -> None:
    api = start_server(require_justification=True)
    made = export(api, {"expand": {"ids": [LEADER]}}, delivery="DOWNLOAD", justification="PV 1")
    token = {"Authorization": f"Bearer {demo_token('fr-analyst')}"}
    refused = api.http.get(api.url + made["url"], headers=token)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["extensions"]["code"] == "JUSTIFICATION_REQUIRED"
    assert last_entry(api).outcome == "JUSTIFICATION_REQUIRED"
    fetched = api.http.get(api.url + made["url"], headers={**token, "X-Justification": "PV 1"})
    assert fetched.status_code == 200
    assert last_entry(api).justification == "PV 1"


def test_a_file_too_large_to_keep_is_refused_before_it_is_promised(
    start_server: StartServer,
) -> None:
    api = start_server(limits=Limits(max_export_store_bytes=1000))
    error = api.error(
        EXPORT,
        {"format": "GEXF", "what": {"expand": {"ids": [LEADER]}}, "delivery": "DOWNLOAD"},
    )
    assert error["extensions"] == {"code": "LIMIT_EXCEEDED", "field": "what"}
    assert "max_export_store_bytes" in error["message"]
