from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warmline.adapters.policy_files import load_policy, parse_policy_text
from warmline.core.errors import PolicyError
from warmline.core.policy.reader import parse_policy

BASE: dict[str, Any] = {
    "version": 1, "name": "t", "timezone": "UTC",
    "defaults": {"queue": "desk", "threshold": 0.6, "cost_of_escalation": 6.0},
    "queues": {"desk": {}},
}


def with_(**sections: Any) -> dict[str, Any]:
    data = dict(BASE)
    data.update(sections)
    return data


def test_billing_threshold_derives_from_costs() -> None:
    p = parse_policy(with_(question_types={"billing": {"cost_of_wrong_answer": 30.0}}))
    qt = p.question_types["billing"]
    assert qt.threshold == pytest.approx(0.80)
    assert qt.source == "cost"


@given(escalation=st.floats(0.01, 1000), wrong=st.floats(0.01, 1000))
def test_cost_threshold_is_one_minus_ratio_or_an_error(escalation: float, wrong: float) -> None:
    data = with_(defaults={"queue": "desk", "cost_of_escalation": escalation},
                 question_types={"q": {"cost_of_wrong_answer": wrong}})
    expected = 1 - escalation / wrong
    if 0 < round(expected, 6) < 1 and 0 < expected < 1:
        assert parse_policy(data).question_types["q"].threshold == pytest.approx(expected,
                                                                                  abs=1e-6)
    else:
        with pytest.raises(PolicyError, match="not between 0 and 1"):
            parse_policy(data)


@given(explicit=st.floats(0, 1), floor=st.floats(0, 1))
def test_effective_threshold_is_never_below_the_floor(explicit: float, floor: float) -> None:
    p = parse_policy(with_(floor=floor, question_types={"q": {"threshold": explicit}}))
    assert p.question_types["q"].threshold == max(explicit, floor)
    assert p.threshold_for("unlisted")[0] == max(0.6, floor)


def test_cost_threshold_needs_a_cost_of_escalation() -> None:
    data = with_(defaults={"queue": "desk"}, question_types={"b": {"cost_of_wrong_answer": 9}})
    with pytest.raises(PolicyError, match=r"needs defaults\.cost_of_escalation"):
        parse_policy(data)


def test_healthcare_and_finance_floor_at_080() -> None:
    for vertical in ("healthcare", "finance"):
        p = parse_policy(with_(vertical=vertical, question_types={"s": {"threshold": 0.5}}))
        assert p.question_types["s"].threshold == 0.8
        assert p.question_types["s"].source == "explicit+floor"
        assert {"card_number", "ssn"} <= p.redact


def test_all_errors_are_reported_in_one_run() -> None:
    data = with_(
        timezone="Mars/Olympus",
        triggers=[{"name": "a", "when": 'intnet == "cancel"'},
                  {"name": "b", "when": 'confidence < "high"', "queue": "nowhere"},
                  {"name": "c", "when": "turns > 3 and true"}],
        routes=[{"when": "true", "queue": "dsek"}],
        redact=["card"], notify={"s": {"type": "email"}}, trigers=[])
    with pytest.raises(PolicyError) as info:
        parse_policy(data, source="p.yaml")
    text = str(info.value)
    for fragment in ("Mars/Olympus", "intnet", "'intent'", "rule 'b'", "nowhere",
                     "did you mean 'desk'", "&&", "'card'", "slack or webhook",
                     "did you mean 'triggers'"):
        assert fragment in text, fragment
    assert len(info.value.problems) >= 9


def test_rule_errors_carry_file_line_and_column() -> None:
    text = (
        "version: 1\nname: t\ntimezone: UTC\n"
        "defaults: {queue: desk}\n"
        "queues: {desk: {}}\n"
        "triggers:\n"
        "  - name: cancellation\n"
        "    when: intent == \"cancel\" || intnet == \"x\"\n"
    )
    with pytest.raises(PolicyError) as info:
        parse_policy_text(text, source="acme.yaml")
    problem = info.value.problems[0]
    assert (problem.file, problem.line, problem.rule) == ("acme.yaml", 8, "cancellation")
    assert problem.column == 11 + len('intent == "cancel" || ')
    assert "intnet" in problem.message
    assert str(problem).startswith("acme.yaml:8:")


def test_bad_yaml_is_located() -> None:
    with pytest.raises(PolicyError) as info:
        parse_policy_text("version: 1\nqueues: {a: [}\n", source="x.yaml")
    assert info.value.problems[0].line == 2


def test_unknown_key_in_a_section_suggests_the_right_one() -> None:
    with pytest.raises(PolicyError, match="did you mean 'threshold'"):
        parse_policy(with_(question_types={"faq": {"treshold": 0.8}}))


def test_env_variables_expand_in_strings_and_unset_ones_warn() -> None:
    text = ("version: 1\nname: t\ntimezone: UTC\ndefaults: {queue: desk}\n"
            "queues: {desk: {}}\nnotify:\n  s: {type: slack, url: \"${HOOK}\"}\n"
            "  w: {type: webhook, url: \"${UNSET}\"}\n")
    p = parse_policy_text(text, source="x.yaml", env={"HOOK": "https://hooks.example/1"})
    assert p.notify["s"].url == "https://hooks.example/1"
    assert len(p.warnings) == 1
    assert "UNSET" in p.warnings[0]


@pytest.mark.parametrize("name", ["general", "saas", "healthcare", "finance", "local-services"])
def test_every_bundled_policy_loads(name: str) -> None:
    policy = load_policy(name)
    assert policy.name == name
    assert any(t.name == "cancellation" or t.queue == "retention" for t in policy.triggers)


def test_seed_thresholds_in_bundled_policies() -> None:
    saas = load_policy("saas")
    assert saas.question_types["faq"].threshold == 0.85
    assert 0.50 <= saas.question_types["complex"].threshold <= 0.65
    for name in ("healthcare", "finance"):
        assert all(qt.threshold >= 0.80 for qt in load_policy(name).question_types.values())
    assert load_policy("general").question_types == {}
    assert load_policy("general").defaults.threshold == 0.60


def test_missing_policy_file_names_the_bundled_ones() -> None:
    with pytest.raises(PolicyError, match="bundled policies: finance, general"):
        load_policy("no/such/file.yaml")


def test_agent_and_phone_queues_and_transfer_targets() -> None:
    p = parse_policy(with_(queues={"desk": {}, "bot": {"agent": "billing-assistant"},
                                   "out": {"phone": "+15125550100"},
                                   "sched": {"transfer": {"sip": "sip:s@pbx.example.com"}}}))
    assert p.queues["bot"].agent == "billing-assistant"
    assert p.queues["bot"].hours.always
    assert p.queues["out"].phone == "+15125550100"
    with pytest.raises(PolicyError, match="not a SIP URI"):
        parse_policy(with_(queues={"desk": {"transfer": {"sip": "tel:123"}}}))


@pytest.mark.parametrize(("written", "country", "e164", "extension"), [
    ("+1 (512) 555-0100", None, "+15125550100", None),
    ("(512) 555-0100", None, "+15125550100", None),  # national, read in the default US
    ("020 7946 0958", "GB", "+442079460958", None),
    ("+1 512 555 0100 ext. 204", None, "+15125550100", "204"),
    ("+15125550100;ext=7", "US", "+15125550100", "7"),
])
def test_transfer_numbers_are_normalised_to_e164_in_the_policys_country(
        written: str, country: str | None, e164: str, extension: str | None) -> None:
    extra = {"country": country} if country else {}
    outside = re.sub(r"( ext\. |;ext=)\d+$", "", written)
    p = parse_policy(with_(queues={"desk": {"transfer": {"number": written}},
                                   "out": {"phone": outside}}, **extra))
    transfer = p.queues["desk"].transfer
    assert transfer is not None
    assert (transfer.number, transfer.extension) == (e164, extension)
    assert p.queues["out"].phone == e164


def test_an_impossible_transfer_number_is_a_located_error() -> None:
    text = ("version: 1\nname: t\ntimezone: UTC\ndefaults: {queue: desk}\nqueues:\n"
            "  desk: {transfer: {number: '+1 555'}}\n  out: {phone: 'call us'}\n")
    with pytest.raises(PolicyError) as info:
        parse_policy_text(text, source="acme.yaml")
    problems = {p.path: p for p in info.value.problems}
    assert "not a possible phone number" in problems["queues.desk.transfer.number"].message
    assert problems["queues.desk.transfer.number"].line == 6
    assert "not a phone number" in problems["queues.out.phone"].message


def test_an_outside_number_refuses_an_extension() -> None:
    with pytest.raises(PolicyError, match="outside number takes no extension"):
        parse_policy(with_(queues={"desk": {"phone": "+1 512 555 0100 ext. 9"}}))


def test_overflow_must_name_a_known_queue() -> None:
    with pytest.raises(PolicyError, match="unknown queue 'nope'"):
        parse_policy(with_(queues={"desk": {"overflow": {"after_seconds": 30, "to": "nope"}}}))


@pytest.mark.parametrize("text", ["", "# nothing yet\n", "---\n"], ids=["empty", "comment", "doc"])
def test_an_empty_policy_file_is_a_located_problem(text: str, tmp_path: Any) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text(text)
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    (problem,) = info.value.problems
    assert (problem.file, problem.line) == (str(path), 1)
    assert "empty" in problem.message


def test_a_misspelt_bundled_name_suggests_the_bundled_one() -> None:
    with pytest.raises(PolicyError, match="did you mean the bundled 'saas'"):
        load_policy("sass")
