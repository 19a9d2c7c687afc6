"""`/v1/policy` (issue 21): the draft with ETags, checks, publish (refused with the located
problems when invalid), versions with diffs, rollback; each change names who made it, and
the next turn is decided under what was published."""

from __future__ import annotations

from pathlib import Path

from .conftest import POLICY, Api

NEXT = POLICY.replace("queue: retention\n    priority: 90", "queue: desk\n    priority: 70")
#: A draft naming a queue it does not define, at line 10.
BROKEN = POLICY.replace("queue: retention\n    priority: 90", "queue: nowhere\n    priority: 90")


def _put(api: Api, yaml: str, etag: str | None = None, note: str = "edit") -> object:
    headers = api.headers()
    if etag is not None:
        headers["If-Match"] = etag
    return api.client.put("/v1/policy/draft", json={"yaml": yaml, "note": note},
                          headers=headers)


def test_edit_check_publish_and_roll_back(api: Api) -> None:
    published = api.get("/v1/policy").json()
    assert (published["version"], published["yaml"], published["state"]) == (1, POLICY,
                                                                              "published")
    assert api.get("/v1/policy/draft").status_code == 404

    saved = _put(api, BROKEN, '"none"')
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == 2
    assert saved.json()["author"] == "api key"
    [problem] = saved.json()["problems"]
    assert "nowhere" in problem["message"]
    assert problem["line"] == 10
    etag = saved.headers["ETag"]
    assert api.get("/v1/policy/draft").headers["ETag"] == etag

    refused = api.post("/v1/policy/publish", {"note": "try"})
    assert refused.status_code == 409
    assert refused.json()["error"]["problems"] == saved.json()["problems"]
    assert api.turn("c1", "I want to cancel").json()["policy_version"] == 1

    assert _put(api, NEXT, '"none"').status_code == 412  # stale: the draft exists now
    fixed = _put(api, NEXT, etag, note="cancellations to the desk")
    assert fixed.status_code == 200
    assert fixed.json()["problems"] == []
    assert _put(api, BROKEN, etag).status_code == 412  # the ETag before the fix
    assert api.get("/v1/policy/draft").json()["yaml"] == NEXT  # nothing was lost

    check = api.post("/v1/policy/check", {"yaml": "version: 1\nname: [\n"}).json()
    assert check["ok"] is False
    assert check["problems"][0]["line"] is not None

    done = api.post("/v1/policy/publish", {"note": "to the desk"})
    assert done.status_code == 200, done.text
    assert (done.json()["version"], done.json()["published_by"]) == (2, "api key")
    answer = api.turn("c2", "I want to cancel").json()
    assert (answer["policy_version"], answer["destination"]["queue"]) == (2, "desk")

    listed = api.get("/v1/policy/versions").json()["versions"]
    assert [(v["version"], v["state"]) for v in listed] == [(1, "retired"), (2, "published")]
    assert "yaml" not in listed[0]
    diff = api.get("/v1/policy/versions/2?diff=1").json()["diff"]
    assert "-    queue: retention" in diff
    assert "+    queue: desk" in diff

    assert _put(api, NEXT + "# unfinished\n").json()["version"] == 3  # a new draft
    back = api.post("/v1/policy/rollback/1")
    assert back.status_code == 200
    assert (back.json()["version"], back.json()["note"]) == (4, "rollback to version 1")
    again = api.turn("c3", "I want to cancel").json()
    assert (again["policy_version"], again["destination"]["queue"]) == (4, "retention")
    assert api.get("/v1/policy/draft").json()["version"] == 3  # the draft being edited stays


def test_a_version_that_no_longer_validates_is_not_rolled_back_to(api: Api,
                                                                  tmp_path: Path) -> None:
    model = tmp_path / "intents.npz"
    with_model = POLICY + f"intents: {{model: {model}}}\n"
    assert _put(api, with_model).json()["problems"][0]["message"]  # no model file yet
    model.write_bytes(b"")  # exists, but is not a model: still refused
    assert api.post("/v1/policy/publish", {}).status_code == 409
    refused = api.post("/v1/policy/rollback/2")
    assert refused.status_code == 409
    assert "no longer validates" in refused.json()["error"]["message"]
    assert api.post("/v1/policy/rollback/9").status_code == 404
