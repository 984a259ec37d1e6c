"""API keys and the principals file that holds their hashes: the token format, matching, lookup
by token, and the commands' edits of the file (add a principal, issue and revoke keys)."""

from __future__ import annotations

import base64
import re
import shutil
import stat
import threading
from pathlib import Path

import pydantic
import pytest
import yaml

from graphsvc.errors import InvalidConfig, NotFound
from graphsvc.model.schema import Schema
from graphsvc.policy import Principals
from graphsvc.policy.keys import ApiKey, key_for, key_id_of, looks_like_key, new_key
from graphsvc.policy.principals import add_key, add_principal, revoke_key
from tests.conftest import SEED, make_principal

SEED_IDS = ["fr-analyst", "fr-supervisor", "be-analyst", "ro-analyst", "auditor"]
TOKEN = re.compile(r"^gsk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")


def demo_token(principal_id: str) -> str:
    return f"gsk_demo-{principal_id}_lys-noir-public-demo-token"


def secret_of(token: str) -> str:
    return token.split("_", 2)[2]


def one_changed(text: str, index: int) -> str:
    replacement = "A" if text[index] != "A" else "B"
    return text[:index] + replacement + text[index + 1 :]


# -- the token format -----------------------------------------------------------------------------


def test_new_token_shape() -> None:
    key, token = new_key()
    match = TOKEN.match(token)
    assert match is not None, token
    assert match.group(1) == key.id
    secret = match.group(2)
    assert secret == secret_of(token)
    assert len(base64.urlsafe_b64decode(secret + "=")) == 32  # 256 random bits
    assert key.created is not None
    assert key.created.endswith("+00:00")
    assert re.fullmatch(r"sha256\$[0-9a-f]{32}\$[0-9a-f]{64}", key.hash)


def test_new_key_with_a_chosen_id() -> None:
    key, token = new_key("ops-batch-7")
    assert key.id == "ops-batch-7"
    assert token.startswith("gsk_ops-batch-7_")
    assert key_id_of(token) == "ops-batch-7"
    assert key.matches(token)


def test_tokens_differ() -> None:
    made = [new_key() for _ in range(50)]
    assert len({token for _, token in made}) == 50
    assert len({key.id for key, _ in made}) == 50
    assert len({secret_of(token) for _, token in made}) == 50
    assert len({key.hash.split("$")[1] for key, _ in made}) == 50  # a salt each


def test_stored_form_never_holds_the_token() -> None:
    for _ in range(20):
        key, token = new_key()
        stored = key.model_dump_json()
        assert token not in stored
        assert secret_of(token) not in stored
        assert secret_of(token)[:16] not in stored
        assert set(key.model_dump()) == {"id", "hash", "created"}


def test_same_token_twice_is_salted_differently() -> None:
    token = demo_token("fr-analyst")
    first, second = key_for(token), key_for(token)
    assert first.id == second.id == "demo-fr-analyst"
    assert first.hash != second.hash
    assert first.matches(token)
    assert second.matches(token)


def test_key_for_reproduces_the_seed_hash() -> None:
    seed = yaml.safe_load((SEED / "principals.yaml").read_text(encoding="utf-8"))
    stored = seed["principals"][0]["keys"][0]
    salt = stored["hash"].split("$")[1]
    key = key_for(demo_token("fr-analyst"), created=stored["created"], salt=salt)
    assert key.model_dump() == stored


def test_matches_only_the_exact_token() -> None:
    key, token = new_key()
    assert key.matches(token) is True
    prefix = len("gsk_") + len(key.id) + 1
    for index in (0, 4, prefix - 2, prefix, prefix + 20, len(token) - 1):
        assert key.matches(one_changed(token, index)) is False, index
    assert key.matches(token + "x") is False
    assert key.matches(token[:-1]) is False
    assert key.matches(token.upper()) is False
    assert key.matches(" " + token) is False
    assert key.matches("") is False
    other_key, other_token = new_key(key.id)
    assert other_key.id == key.id
    assert key.matches(other_token) is False
    assert other_key.matches(token) is False


@pytest.mark.parametrize(
    "token",
    [
        "",
        "gsk_",
        "gsk__secret",
        "gsk_abc",
        "gsk_abc_",
        "gsk_AbC_secret",
        "gsk_ab_secret",  # a key id has 3 characters at least
        "gsk_-abc_secret",
        "gsk_abc.def_secret",
        "gsk_" + "a" * 64 + "_secret",
        "GSK_abc_secret",
        "xsk_abc_secret",
        "Bearer gsk_abc_secret",
        " gsk_abc_secret",
        "eyJhbGciOiJIUzI1NiJ9.e30.sig",
    ],
)
def test_key_id_of_rejects_malformed_tokens(token: str) -> None:
    assert key_id_of(token) is None


@pytest.mark.parametrize(
    ("token", "key_id"),
    [
        ("gsk_abc_s", "abc"),
        ("gsk_demo-fr-analyst_lys-noir-public-demo-token", "demo-fr-analyst"),
        ("gsk_0a1b2c3d4e5f_x_y-z", "0a1b2c3d4e5f"),  # the secret may hold underscores
        ("gsk_" + "a" * 63 + "_secret", "a" * 63),
    ],
)
def test_key_id_of(token: str, key_id: str) -> None:
    assert key_id_of(token) == key_id


def test_key_for_refuses_a_malformed_token() -> None:
    with pytest.raises(ValueError, match="gsk_<key id>_<secret>"):
        key_for("not-a-token")


def test_looks_like_key() -> None:
    assert looks_like_key("gsk_abc_secret")
    assert looks_like_key("gsk_")
    assert not looks_like_key("eyJhbGciOiJIUzI1NiJ9.e30.sig")


@pytest.mark.parametrize(
    "fields",
    [
        {"id": "ab", "hash": "sha256$" + "0" * 32 + "$" + "0" * 64},
        {"id": "Upper", "hash": "sha256$" + "0" * 32 + "$" + "0" * 64},
        {"id": "abc", "hash": "plain-token"},
        {"id": "abc", "hash": "sha256$" + "0" * 31 + "$" + "0" * 64},
        {"id": "abc", "hash": "md5$" + "0" * 32 + "$" + "0" * 32},
        {"id": "abc", "hash": "sha256$" + "0" * 32 + "$" + "0" * 64, "token": "gsk_abc_x"},
    ],
)
def test_api_key_validation(fields: dict[str, str]) -> None:
    with pytest.raises(pydantic.ValidationError):
        ApiKey.model_validate(fields)


# -- finding a principal by token -----------------------------------------------------------------


@pytest.fixture
def seed(schema: Schema) -> Principals:
    return Principals.load(SEED / "principals.yaml", schema.policy)


@pytest.mark.parametrize("principal_id", SEED_IDS)
def test_by_token_finds_the_seed_principals(seed: Principals, principal_id: str) -> None:
    found = seed.by_token(demo_token(principal_id))
    assert found is not None
    principal, key = found
    assert principal.id == principal_id
    assert principal is seed.get(principal_id)
    assert key.id == f"demo-{principal_id}"
    assert key in principal.keys


def test_by_token_refuses_wrong_and_unknown_tokens(seed: Principals) -> None:
    good = demo_token("fr-analyst")
    assert seed.by_token(good[:-1] + "X") is None
    assert seed.by_token(good + "-") is None
    assert seed.by_token("gsk_demo-fr-analyst_") is None
    assert seed.by_token("gsk_demo-nobody_lys-noir-public-demo-token") is None
    assert seed.by_token("gsk_demo-fr-supervisor_" + secret_of(good) + "x") is None
    assert seed.by_token(new_key()[1]) is None
    assert seed.by_token("lys-noir-public-demo-token") is None
    assert seed.by_token("fr-analyst") is None
    assert seed.by_token("") is None
    assert seed.by_token(good.upper()) is None


def test_seed_principals_have_their_keys_listed(seed: Principals) -> None:
    assert [p.id for p in seed] == SEED_IDS
    assert {p.id: [k.id for k in p.keys] for p in seed} == {i: [f"demo-{i}"] for i in SEED_IDS}
    # keys are never part of a principal's public form
    assert "keys" not in seed.get("fr-analyst").model_dump()


def test_two_principals_sharing_a_key_id_are_refused(tmp_path: Path, schema: Schema) -> None:
    key, _ = new_key("shared-key")
    other, _ = new_key("shared-key")
    path = tmp_path / "principals.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "principals": [
                    {"id": "a", "agency": "FR-X", "country": "FR", "clearance": "SECRET",
                     "keys": [key.model_dump()]},
                    {"id": "b", "agency": "BE-X", "country": "BE", "clearance": "SECRET",
                     "keys": [other.model_dump()]},
                ]
            }
        ),
        encoding="utf-8",
    )  # fmt: skip
    with pytest.raises(InvalidConfig) as raised:
        Principals.load(path, schema.policy)
    assert "'shared-key' is used twice" in str(raised.value)
    assert "'b'" in str(raised.value)
    assert "'a'" in str(raised.value)
    assert raised.value.file == str(path)


def test_one_principal_with_a_key_id_twice_is_refused() -> None:
    first, _ = new_key("twice")
    second, _ = new_key("twice")
    with pytest.raises(InvalidConfig, match="'twice' is used twice"):
        Principals([make_principal(id="a", keys=[first.model_dump(), second.model_dump()])])


def test_a_key_with_an_unknown_field_is_refused(tmp_path: Path, schema: Schema) -> None:
    key, token = new_key()
    path = tmp_path / "principals.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "principals": [
                    {
                        "id": "a",
                        "agency": "FR-X",
                        "country": "FR",
                        "clearance": "SECRET",
                        "keys": [{**key.model_dump(), "token": token}],
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(InvalidConfig) as raised:
        Principals.load(path, schema.policy)
    assert raised.value.field == "principals[0].keys.0.token"


# -- editing the principals file ------------------------------------------------------------------


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    path = tmp_path / "principals.yaml"
    shutil.copyfile(SEED / "principals.yaml", path)
    return path


def header(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return lines[: next(i for i, line in enumerate(lines) if not line.startswith("#"))]


def test_add_principal_to_a_new_file(tmp_path: Path, schema: Schema) -> None:
    path = tmp_path / "etc" / "principals.yaml"
    new = make_principal(
        id="nl-analyst", name="Analist, Politie", agency="nl-nationale", country="NL",
        clearance="RESTRICTED", caveats=["FIU"], roles=["analyst", "auditor"],
    )  # fmt: skip
    token = add_principal(path, new, schema.policy)
    assert TOKEN.match(token)
    text = path.read_text(encoding="utf-8")
    assert token not in text
    assert secret_of(token) not in text
    loaded = Principals.load(path, schema.policy)
    assert [p.id for p in loaded] == ["nl-analyst"]
    found = loaded.by_token(token)
    assert found is not None
    principal, key = found
    assert principal.id == "nl-analyst"
    assert principal.model_dump() == new.model_dump()
    assert principal.agency == "NL-NATIONALE"
    assert key.id == key_id_of(token)
    assert [k.id for k in principal.keys] == [key.id]
    assert yaml.safe_load(text)["principals"][0]["keys"][0]["hash"] == key.hash


def test_add_principal_keeps_the_seed_file(seed_copy: Path, schema: Schema) -> None:
    before_header = header(seed_copy)
    before = Principals.load(seed_copy, schema.policy)
    assert len(before_header) == 3
    assert before_header[1].startswith("# DEMO ONLY")

    token = add_principal(
        seed_copy, make_principal(id="x-analyst", agency="FR-OCRTEH"), schema.policy
    )

    assert header(seed_copy) == before_header
    text = seed_copy.read_text(encoding="utf-8")
    assert token not in text
    assert secret_of(token) not in text
    after = Principals.load(seed_copy, schema.policy)
    assert [p.id for p in after] == [*SEED_IDS, "x-analyst"]
    for old in before:
        kept = after.get(old.id)
        assert kept.model_dump() == old.model_dump()
        assert kept.keys == old.keys  # ids, hashes and creation times
        found = after.by_token(demo_token(old.id))
        assert found is not None and found[0].id == old.id
    found = after.by_token(token)
    assert found is not None and found[0].id == "x-analyst"
    # the seed itself is untouched
    assert (SEED / "principals.yaml").read_text(encoding="utf-8") != text


def test_add_principal_keeps_the_file_mode(seed_copy: Path, schema: Schema) -> None:
    seed_copy.chmod(0o640)
    add_principal(seed_copy, make_principal(id="x-analyst"), schema.policy)
    assert stat.S_IMODE(seed_copy.stat().st_mode) == 0o640
    leftovers = sorted(p.name for p in seed_copy.parent.iterdir())
    assert leftovers == ["principals.yaml", "principals.yaml.lock"]


def test_add_principal_refuses_a_duplicate_id(seed_copy: Path, schema: Schema) -> None:
    before = seed_copy.read_bytes()
    with pytest.raises(InvalidConfig) as raised:
        add_principal(seed_copy, make_principal(id="be-analyst"), schema.policy)
    assert "'be-analyst' already exists" in str(raised.value)
    assert raised.value.file == str(seed_copy)
    assert seed_copy.read_bytes() == before


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"clearance": "TOP-SECRET"}, "clearance 'TOP-SECRET' is not one of"),
        ({"clearance": "secret"}, "clearance 'secret' is not one of"),
        ({"caveats": ["FIU", "NOFORN"]}, "unknown caveats ['NOFORN']"),
    ],
)
def test_add_principal_refuses_what_the_policy_does_not_know(
    seed_copy: Path, tmp_path: Path, schema: Schema, fields: dict[str, object], message: str
) -> None:
    before = seed_copy.read_bytes()
    with pytest.raises(InvalidConfig) as raised:
        add_principal(seed_copy, make_principal(id="x-analyst", **fields), schema.policy)
    assert message in str(raised.value)
    assert "x-analyst" in str(raised.value)
    assert seed_copy.read_bytes() == before
    fresh = tmp_path / "fresh.yaml"
    with pytest.raises(InvalidConfig):
        add_principal(fresh, make_principal(id="x-analyst", **fields), schema.policy)
    assert not fresh.exists()


def test_add_principal_refuses_a_broken_file(tmp_path: Path, schema: Schema) -> None:
    path = tmp_path / "principals.yaml"
    path.write_text("# header\nprincipals:\n  - {id: a, agency: FR-X}\n", encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(InvalidConfig) as raised:
        add_principal(path, make_principal(id="b"), schema.policy)
    assert raised.value.field is not None and raised.value.field.startswith("principals[0]")
    assert path.read_bytes() == before


def test_add_key_gives_a_second_working_key(seed_copy: Path, schema: Schema) -> None:
    token = add_key(seed_copy, "be-analyst", schema.policy)
    assert token not in seed_copy.read_text(encoding="utf-8")
    principals = Principals.load(seed_copy, schema.policy)
    keys = principals.get("be-analyst").keys
    assert [k.id for k in keys] == ["demo-be-analyst", key_id_of(token)]
    for used in (demo_token("be-analyst"), token):
        found = principals.by_token(used)
        assert found is not None and found[0].id == "be-analyst"
    # the others are as they were
    assert [k.id for k in principals.get("fr-analyst").keys] == ["demo-fr-analyst"]
    assert header(seed_copy)[0].startswith("# Who reads the case")


def test_add_key_to_an_unknown_principal(seed_copy: Path, schema: Schema) -> None:
    before = seed_copy.read_bytes()
    with pytest.raises(NotFound) as raised:
        add_key(seed_copy, "be-analist", schema.policy)
    assert "no principal 'be-analist'" in str(raised.value)
    assert "be-analyst" in str(raised.value)  # did you mean
    assert seed_copy.read_bytes() == before


def test_concurrent_edits_lose_nothing(seed_copy: Path, schema: Schema) -> None:
    tokens: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def work() -> None:
        try:
            barrier.wait()
            tokens.append(add_key(seed_copy, "ro-analyst", schema.policy))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    principals = Principals.load(seed_copy, schema.policy)
    assert len(principals.get("ro-analyst").keys) == 9
    for token in [*tokens, demo_token("ro-analyst")]:
        found = principals.by_token(token)
        assert found is not None and found[0].id == "ro-analyst"


def test_revoke_one_key_leaves_the_other(seed_copy: Path, schema: Schema) -> None:
    token = add_key(seed_copy, "fr-analyst", schema.policy)
    revoked = revoke_key(seed_copy, "fr-analyst", "demo-fr-analyst", schema.policy)
    assert revoked == ["demo-fr-analyst"]
    principals = Principals.load(seed_copy, schema.policy)
    assert principals.by_token(demo_token("fr-analyst")) is None
    found = principals.by_token(token)
    assert found is not None and found[0].id == "fr-analyst"
    assert [k.id for k in principals.get("fr-analyst").keys] == [key_id_of(token)]
    assert "demo-fr-analyst" not in seed_copy.read_text(encoding="utf-8")
    # nobody else lost a key
    for other in SEED_IDS[1:]:
        assert principals.by_token(demo_token(other)) is not None


def test_revoke_the_new_key_keeps_the_old(seed_copy: Path, schema: Schema) -> None:
    token = add_key(seed_copy, "fr-analyst", schema.policy)
    assert revoke_key(seed_copy, "fr-analyst", key_id_of(token), schema.policy) == [
        key_id_of(token)
    ]
    principals = Principals.load(seed_copy, schema.policy)
    assert principals.by_token(token) is None
    assert principals.by_token(demo_token("fr-analyst")) is not None


def test_revoke_all_keys(seed_copy: Path, schema: Schema) -> None:
    token = add_key(seed_copy, "auditor", schema.policy)
    revoked = revoke_key(seed_copy, "auditor", None, schema.policy)
    assert revoked == ["demo-auditor", key_id_of(token)]
    principals = Principals.load(seed_copy, schema.policy)
    auditor = principals.get("auditor")
    assert auditor.keys == ()
    assert auditor.roles == frozenset({"auditor"})  # the principal itself stays
    assert principals.by_token(token) is None
    assert principals.by_token(demo_token("auditor")) is None
    stored = {p["id"]: p for p in yaml.safe_load(seed_copy.read_text())["principals"]}
    assert "keys" not in stored["auditor"]
    assert revoke_key(seed_copy, "auditor", None, schema.policy) == []


def test_revoke_an_unknown_key_lists_the_keys(seed_copy: Path, schema: Schema) -> None:
    token = add_key(seed_copy, "fr-supervisor", schema.policy)
    before = seed_copy.read_bytes()
    with pytest.raises(NotFound) as raised:
        revoke_key(seed_copy, "fr-supervisor", "demo-fr-analyst", schema.policy)
    assert str(raised.value) == (
        "principal 'fr-supervisor' has no key 'demo-fr-analyst'; its keys: "
        f"demo-fr-supervisor, {key_id_of(token)}"
    )
    assert seed_copy.read_bytes() == before
    revoke_key(seed_copy, "auditor", None, schema.policy)
    with pytest.raises(NotFound, match="its keys: none"):
        revoke_key(seed_copy, "auditor", "demo-auditor", schema.policy)


def test_revoke_for_an_unknown_principal(seed_copy: Path, schema: Schema) -> None:
    with pytest.raises(NotFound, match="no principal 'nobody'"):
        revoke_key(seed_copy, "nobody", None, schema.policy)
