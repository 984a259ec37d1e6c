"""Entity resolution of extracted names: the score and its reasons, the bands, birth dates, and
decisions against entities in a real store."""

from __future__ import annotations

import pytest

from graphsvc.errors import InvalidConfig
from graphsvc.ingest.documents.resolve import (
    SUBSET_SCORE,
    Resolver,
    Thresholds,
    new_entity_id,
    similarity,
)
from graphsvc.policy import Scope
from graphsvc.store.protocol import GraphStore
from tests.conftest import entity, scope_of

HIGH, LOW = Thresholds().high, Thresholds().low


def test_the_same_name_written_otherwise_scores_one() -> None:
    score, reasons = similarity("LĂZĂRESCU Ștefan", "Stefan Lazarescu")
    assert score == 1.0 and "same name once normalised" in reasons[0]


def test_misspellings_score_by_how_far_they_go_and_say_why() -> None:
    score, reasons = similarity("Dragos Neagu", "Dragoș Neagou")  # a letter: the same
    assert score >= HIGH and reasons == ("spelling 0.96", "sound 2/2")
    score, reasons = similarity("Thierry Muller", "Thierri Mueller")  # two: possibly
    assert HIGH > score >= LOW and reasons == ("spelling 0.90", "sound 2/2")
    assert similarity("Dragos Neagu", "Dragan Neagu")[0] < LOW  # another first name


def test_a_fuller_name_is_only_possibly_the_same() -> None:
    assert similarity("Liam Corrigan", "Liam Patrick Corrigan")[0] == SUBSET_SCORE
    long = "Anne-Charlotte Marie-Christine DELACROIX-FONTAINE"
    assert similarity(long, long + " Li")[0] == SUBSET_SCORE  # never above the band
    # a surname alone is not "possibly" everyone who bears it
    assert similarity("Marchand", "Élodie Marchand")[0] < LOW


def test_different_people_score_low() -> None:
    assert similarity("Élodie Marchand", "Mihaela Rusu")[0] < 0.5


def test_thresholds_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPHSVC_RESOLVE_HIGH", "0.97")
    monkeypatch.setenv("GRAPHSVC_RESOLVE_LOW", "0.7")
    assert Thresholds.from_env() == Thresholds(high=0.97, low=0.7)
    monkeypatch.setenv("GRAPHSVC_RESOLVE_LOW", "0.99")
    with pytest.raises(InvalidConfig, match="low <= high"):
        Thresholds.from_env()
    monkeypatch.setenv("GRAPHSVC_RESOLVE_LOW", "high")
    with pytest.raises(InvalidConfig, match="GRAPHSVC_RESOLVE_LOW"):
        Thresholds.from_env()


def test_new_ids_are_stable_and_one_per_source() -> None:
    a = new_entity_id("Person", "pv", "doc:1", "MARCHAND Élodie")
    assert a == new_entity_id("Person", "pv", "doc:1", "Élodie Marchand")  # same words
    assert a != new_entity_id("Person", "siena", "doc:1", "Élodie Marchand")
    assert a.startswith("x:person:")


@pytest.fixture
def people(loaded: object) -> GraphStore:
    return loaded(  # type: ignore[operator,no-any-return]
        [
            entity("p-1", "Person", name="Ștefan LĂZĂRESCU", birthDate="1978-04"),
            entity("p-2", "Person", name="Liam Patrick Corrigan", birthDate="1986-08-22"),
            entity("p-3", "Person", name="Dragoș Neagu"),
        ]
    )


@pytest.fixture
def scope(schema: object) -> Scope:
    return scope_of(schema, clearance="SECRET")  # type: ignore[arg-type]


def test_decisions_in_each_band(people: GraphStore, scope: Scope) -> None:
    resolver = Resolver(people)
    # the same name; a partial birth date that agrees: resolved
    decided = resolver.decide(scope, "Person", "Stefan Lazarescu", "x:1", "1978-04-12")
    assert decided.entity_id == "p-1" and decided.resolved is not None
    assert "same birth date 1978-04-12" in decided.resolved.reasons
    # another birth date: never resolved automatically, offered instead
    decided = resolver.decide(scope, "Person", "Stefan Lazarescu", "x:2", "1990-01-01")
    assert decided.entity_id == "x:2" and decided.resolved is None
    assert [m.entity_id for m in decided.possible] == ["p-1"]
    assert any("birth dates differ" in r for r in decided.possible[0].reasons)
    # a shorter name: possibly the same; with the same birth date: the same
    decided = resolver.decide(scope, "Person", "Liam Corrigan", "x:3")
    assert (decided.entity_id, [m.entity_id for m in decided.possible]) == ("x:3", ["p-2"])
    decided = resolver.decide(scope, "Person", "Liam Corrigan", "x:4", "1986-08-22")
    assert decided.entity_id == "p-2"
    # nobody like it
    decided = resolver.decide(scope, "Person", "Kevin Doyle", "x:5")
    assert (decided.entity_id, decided.resolved, decided.possible) == ("x:5", None, ())


def test_only_what_the_scope_sees_is_consulted(people: GraphStore, scope: Scope) -> None:
    assert Resolver(people).decide(scope, "Person", "Dragoș Neagu", "x:6").entity_id == "p-3"
    nothing = _NoneScope.of(scope)
    assert Resolver(people).decide(nothing, "Person", "Dragoș Neagu", "x:7").entity_id == "x:7"


class _NoneScope(Scope):
    """A scope that sees no record at all."""

    @classmethod
    def of(cls, base: Scope) -> _NoneScope:  # type: ignore[override]
        return cls(principal=base.principal, policy=base.policy, today=base.today)

    def allows(self, handling: object) -> bool:
        return False

    @property
    def key(self) -> tuple[object, ...]:
        return ("none",)
