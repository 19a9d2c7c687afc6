"""Hypothesis fuzzing of the platform translators (Vapi, Retell, Twilio, generic): arbitrary
JSON, raw bytes and payloads mutated from the recorded fixtures in tests/data/platforms/.
Each reader returns its typed result or raises the located `InvalidInput`, the turns it
builds parse or raise a located `ConversationError`, the same input reads the same twice,
and a signature check on garbage headers raises `SignatureInvalid` — never anything else."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warmline.adapters.platforms import generic, retell, twilio, vapi
from warmline.core.conversation import Conversation, parse_conversation
from warmline.core.errors import ConversationError, InvalidInput, SignatureInvalid
from warmline.service.transfers import TransferEvent

DATA = Path(__file__).parents[1] / "data" / "platforms"
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
FUZZ = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _fixtures(platform: str) -> list[Any]:
    return [json.loads(p.read_text()) for p in sorted((DATA / platform).glob("*.json"))]


VAPI, RETELL, TWILIO = _fixtures("vapi"), _fixtures("retell"), _fixtures("twilio")
GENERIC = [{"conversation_id": "bland-42", "customer": {"phone": "+15125550143"},
            "channel": "voice", "started_at": "2026-11-24T14:59:00+00:00",
            "turns": [{"speaker": "customer", "text": "Can I talk to a person?",
                       "at": "2026-11-24T14:59:10+00:00", "confidence": 0.4}]},
           {"conversation_id": "bland-42", "stage": "failed", "outcome": "busy",
            "at": "2026-11-24T15:00:00+00:00", "detail": "rep line busy"}]

#: Values that have broken readers before: non-finite and out-of-range times, huge numbers,
#: digits that are not ASCII, near-miss timestamps.
NASTY = st.sampled_from([float("nan"), float("inf"), -float("inf"), 1e300, -1, 0, 2**63,
                         10**30, 1e-300, True, "", " ", "²", "1e400", "NaN", "0x10",
                         "2026-11-24T15:00:00", "2026-11-24T15:00:00+00:00",
                         "9999-12-31T23:59:59+14:00", "Tue, 24 Nov 99999 15:00:04 +0000",
                         "\x00", "𝒜" * 3, [], {}])
TIMED = re.compile(r"time|stamp|start|end|^at$|_at$|At$", re.I)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | NASTY,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20)


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            found += _paths(value, (*prefix, index))
    return found


@st.composite
def mutated(draw: st.DrawFn, docs: list[Any]) -> Any:
    """A recorded payload with one to four values replaced by arbitrary JSON or removed."""
    doc = copy.deepcopy(draw(st.sampled_from(docs)))
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(doc)
        timed = [p for p in paths if p and TIMED.search(str(p[-1]))]
        # Half the time a time-like field (where NaN and year 99999 broke readers), as
        # there are few of them among a payload's hundreds of values.
        path = draw(st.sampled_from(timed if timed and draw(st.booleans()) else paths))
        if not path:
            return draw(json_values)
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(NASTY | json_values)
    return doc


def _encode(value: Any) -> bytes:
    return json.dumps(value).encode()  # NaN and Infinity as Python writes (and reads) them


def _nested(depth: int, wrap: str) -> bytes:
    return wrap.replace("*", "[" * depth + "]" * depth).encode()


def bodies(docs: list[Any], wrap: str) -> st.SearchStrategy[bytes]:
    """What arrives on the wire: mutated fixtures, arbitrary JSON, bytes (often not UTF-8)
    and JSON nested past the parser's recursion limit."""
    return st.one_of(mutated(docs).map(_encode), json_values.map(_encode),
                     st.binary(max_size=64),
                     st.sampled_from([10, 900, 2_000, 100_000]).map(
                         lambda depth: _nested(depth, wrap)))


def _located(err: InvalidInput) -> None:
    assert err.problems
    assert all(p.path and p.message for p in err.problems), err.problems


def _outcome(read: Callable[[], Any]) -> str:
    """`repr` of the result, or of the located error: what must be the same on a reread."""
    try:
        return repr(read())
    except InvalidInput as err:
        _located(err)
        return f"{type(err).__name__}: {err}"


def _turns_parse(conversation_id: str, body: Any) -> None:
    """What the hot path does with a translated body: a conversation or a located error."""
    try:
        assert isinstance(parse_conversation({**body, "id": conversation_id}),
                          Conversation)
    except ConversationError as err:
        _located(err)


# --- Vapi -----------------------------------------------------------------------------------

@FUZZ
@given(body=bodies(VAPI, '{"message": *}'))
def test_vapi_reads_a_message_or_raises_one_located_error(body: bytes) -> None:
    assert _outcome(lambda: vapi.read_message(body)) == _outcome(lambda: vapi.read_message(body))
    try:
        message = vapi.read_message(body)
    except InvalidInput:
        return
    assert isinstance(message, vapi.VapiMessage)
    event = vapi.transfer_event(message)
    assert event is None or isinstance(event, TransferEvent)
    assert repr(vapi.conversation_body(message)) == repr(vapi.conversation_body(message))
    try:
        assert isinstance(vapi.parse(message), Conversation)
    except ConversationError as err:
        _located(err)


# --- Retell ---------------------------------------------------------------------------------

def _retell_data() -> st.SearchStrategy[Any]:
    return st.one_of(mutated(RETELL), json_values,
                     mutated(RETELL).map(lambda d: {**d, "name": d.get("event"),
                                                    "args": {}} if isinstance(d, dict) else d))


@FUZZ
@given(data=_retell_data(), sent_at=st.none() | st.just(NOW))
def test_retell_reads_a_webhook_or_raises_one_located_error(data: Any,
                                                            sent_at: datetime | None) -> None:
    def read() -> retell.RetellEvent:
        return retell.parse_webhook(data, sent_at=sent_at)

    assert _outcome(read) == _outcome(read)
    try:
        event = read()
    except InvalidInput:
        return
    assert all(isinstance(t, TransferEvent) for t in event.transfers)
    if event.turns_body is not None:
        _turns_parse(event.call_id, event.turns_body)


@FUZZ
@given(data=_retell_data())
def test_retell_reads_a_function_call_or_raises_one_located_error(data: Any) -> None:
    assert _outcome(lambda: retell.parse_function_call(data)) == \
        _outcome(lambda: retell.parse_function_call(data))
    try:
        event = retell.parse_function_call(data)
    except InvalidInput:
        return
    assert event.turns_body is not None
    _turns_parse(event.call_id, event.turns_body)


# --- generic --------------------------------------------------------------------------------

@FUZZ
@given(body=bodies(GENERIC, '{"conversation_id": "c", "turns": *}'))
def test_generic_reads_a_request_or_raises_one_located_error(body: bytes) -> None:
    assert _outcome(lambda: generic.read_request(body)) == \
        _outcome(lambda: generic.read_request(body))
    try:
        conversation_id, turns_body = generic.read_request(body)
    except InvalidInput:
        return
    _turns_parse(conversation_id, turns_body)


@FUZZ
@given(body=bodies(GENERIC, '{"conversation_id": "c", "stage": *}'))
def test_generic_reads_a_transfer_or_raises_one_located_error(body: bytes) -> None:
    assert _outcome(lambda: generic.read_transfer(body)) == \
        _outcome(lambda: generic.read_transfer(body))
    try:
        assert isinstance(generic.read_transfer(body), TransferEvent)
    except InvalidInput:
        return


# --- Twilio ---------------------------------------------------------------------------------

FORM_KEYS = sorted({k for doc in TWILIO for k in doc if not k.startswith("_")})
form_values = st.one_of(st.text(max_size=30), NASTY.map(str), json_values.map(json.dumps),
                        mutated([json.loads(d["HandoffData"]) for d in TWILIO
                                 if "HandoffData" in d]).map(json.dumps),
                        st.sampled_from([10, 900, 2_000, 100_000]).map(
                            lambda n: _nested(n, '{"turns": *}').decode()))


@st.composite
def forms(draw: st.DrawFn) -> twilio.Params:
    """A recorded callback's form with values replaced, removed, repeated or added."""
    items = [(k, str(v)) for k, v in draw(st.sampled_from(TWILIO)).items()
             if not k.startswith("_")]
    for _ in range(draw(st.integers(0, 4))):
        key = draw(st.sampled_from(["HandoffData", "Timestamp"]) | st.sampled_from(FORM_KEYS)
                   | st.text(max_size=8))
        change = draw(st.sampled_from(["replace", "remove", "add"]))
        if change != "add":
            items = [(k, v) for k, v in items if k != key]
        if change != "remove":
            items.append((key, draw(form_values)))
    return twilio.Params(items)


@FUZZ
@given(params=forms(), conversation_id=st.text(min_size=1, max_size=10))
def test_twilio_reads_any_form_without_raising(params: twilio.Params,
                                              conversation_id: str) -> None:
    assert repr(twilio.parse_status(params, conversation_id)) == \
        repr(twilio.parse_status(params, conversation_id))
    assert repr(twilio.parse_handoff(params)) == repr(twilio.parse_handoff(params))
    twilio.call_key(params)
    request = twilio.parse_handoff(params)
    if request.turns_body is not None:
        _turns_parse(request.conversation_id, request.turns_body)


# --- signatures on garbage ------------------------------------------------------------------

HEADER_NAMES = ["authorization", "x-vapi-secret", "x-signature", "x-vapi-signature",
                "x-timestamp", "webhook-id", "webhook-timestamp", "webhook-signature"]
header_values = st.one_of(
    st.text(max_size=40), NASTY.map(str), st.integers().map(str),
    st.sampled_from(["Bearer ", "Bearer secret", "sha256=", "v1,", "v1,AAAA v1,",
                     "v=1795532400000,d=" + "a" * 64, "9" * 5_000, "٣٣٣٣"]))
headers = st.one_of(
    st.fixed_dictionaries({}, optional=dict.fromkeys(HEADER_NAMES, header_values)),
    st.dictionaries(st.text(max_size=8), header_values, max_size=3))


def _refused_or(verify: Callable[[], Any]) -> None:
    refusal = ""
    try:
        verify()
    except SignatureInvalid as err:
        refusal = str(err) or "(no message)"
    assert refusal != "(no message)"


@FUZZ
@given(h=headers, body=st.binary(max_size=64))
def test_vapi_verify_refuses_garbage_headers_with_signature_invalid(h: dict[str, str],
                                                                   body: bytes) -> None:
    config = vapi.VapiSettings(secret="secret", hmac_secret="hmac-secret")
    _refused_or(lambda: vapi.verify(h, body, config, now=NOW))


@FUZZ
@given(h=headers, body=st.binary(max_size=64))
def test_generic_verify_refuses_garbage_headers_with_signature_invalid(h: dict[str, str],
                                                                      body: bytes) -> None:
    config = generic.GenericSettings(secret="whsec_c2VjcmV0")
    _refused_or(lambda: generic.verify(h, body, config, now=NOW))


@FUZZ
@given(signature=st.none() | header_values
       | st.from_regex(r"\Av=\d{1,16},d=[0-9a-f]{64}\Z"), body=st.binary(max_size=64))
def test_retell_verify_refuses_garbage_signatures_with_signature_invalid(
        signature: str | None, body: bytes) -> None:
    _refused_or(lambda: retell.verify(body, signature, "key_acme", now=NOW))


@FUZZ
@given(url=st.text(max_size=40) | st.sampled_from(["http://[::1", "http://[x]/a?b=c",
                                                    "https://h/integrations/twilio/status"]),
       params=forms(), signature=st.none() | header_values,
       settings_header=st.none() | header_values
       | st.sampled_from(["algorithm=HMAC_SHA256", "algorithm=MD5", "algorithm="]))
def test_twilio_verify_refuses_garbage_with_signature_invalid(
        url: str, params: twilio.Params, signature: str | None,
        settings_header: str | None) -> None:
    _refused_or(lambda: twilio.verify(url, params, signature, "auth-token",
                                      settings_header=settings_header))


# --- crashes these tests found, pinned -----------------------------------------------------

DEEP = b"[" * 100_000 + b"]" * 100_000
CALL = {"call_id": "c1", "start_timestamp": 1_795_532_300_000}


def _retell_words(start: object) -> dict[str, Any]:
    utterance = {"role": "user", "content": "hi", "words": [{"word": "hi", "start": start}]}
    return {"event": "call_started", "call": {**CALL, "transcript_object": [utterance]}}


FOUND: list[tuple[str, Callable[[], Any], type[Exception] | None]] = [
    ("vapi-deep-json", lambda: vapi.read_message(b'{"message": ' + DEEP + b"}"), InvalidInput),
    ("generic-deep-json", lambda: generic.read_request(DEEP), InvalidInput),
    ("generic-transfer-deep-json", lambda: generic.read_transfer(DEEP), InvalidInput),
    ("twilio-deep-handoff-data",
     lambda: twilio.parse_handoff(twilio.Params([("HandoffData", DEEP.decode())])), None),
    ("retell-nan-start", lambda: retell.parse_webhook(
        {"event": "call_ended", "call": {**CALL, "start_timestamp": float("nan")}}), None),
    ("retell-year-99999-end", lambda: retell.parse_webhook(
        {"event": "call_ended", "call": {**CALL, "end_timestamp": 1e300}}), None),
    ("retell-infinite-word-offset", lambda: retell.parse_webhook(_retell_words(1e300)), None),
    ("retell-nan-word-offset",
     lambda: retell.parse_webhook(_retell_words(float("nan"))), None),
    ("retell-signature-year-318857", lambda: retell.verify(
        b"{}", "v=9999999999999999,d=" + "a" * 64, "key", now=NOW), SignatureInvalid),
    ("generic-superscript-timestamp", lambda: generic.verify(
        {"webhook-id": "m", "webhook-timestamp": "²", "webhook-signature": "v1,x"}, b"{}",
        generic.GenericSettings(secret="s"), now=NOW), SignatureInvalid),
    ("generic-5000-digit-timestamp", lambda: generic.verify(
        {"webhook-id": "m", "webhook-timestamp": "9" * 5_000, "webhook-signature": "v1,x"},
        b"{}", generic.GenericSettings(secret="s"), now=NOW), SignatureInvalid),
    ("twilio-unparsable-url", lambda: twilio.verify(
        "http://[::1/integrations/twilio/status", twilio.Params([]), "sig", "token"),
     SignatureInvalid),
]


@pytest.mark.parametrize(("read", "refusal"), [(read, refusal) for _, read, refusal in FOUND],
                         ids=[name for name, _, _ in FOUND])
def test_inputs_that_once_crashed_a_reader_are_read_or_refused(
        read: Callable[[], Any], refusal: type[Exception] | None) -> None:
    if refusal is None:
        read()
        return
    with pytest.raises(refusal) as caught:
        read()
    if isinstance(caught.value, InvalidInput):
        _located(caught.value)
