"""`warmline policy push|pull|diff|versions|rollback --server URL --key KEY`: the same
commands over a running server's `/v1/policy` (an API key of the tenant), for GitOps where
the database is out of reach."""

from __future__ import annotations

from typing import Any

import httpx2 as httpx

from warmline.core.errors import AdapterError, InvalidInput, PolicyError, Problem

TIMEOUT_SECONDS = 10.0


class RemotePolicy:
    """A tenant's policy versions through a server's API."""

    def __init__(self, url: str, key: str | None) -> None:
        if not key:
            raise InvalidInput("--server needs --key (or WARMLINE_KEY): an API key of the "
                               "tenant")
        self._url = url.rstrip("/")
        self._http = httpx.Client(base_url=self._url, timeout=TIMEOUT_SECONDS,
                                  headers={"Authorization": f"Bearer {key}"})

    def close(self) -> None:
        self._http.close()

    def call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        try:
            response = self._http.request(method, f"/v1/policy{path}", json=body)
        except httpx.HTTPError as err:
            raise AdapterError(f"cannot reach {self._url}: {err}", retryable=True) from err
        data: Any = response.json() if response.content else {}
        if response.status_code < 400:
            return dict(data)
        error = data.get("error", {}) if isinstance(data, dict) else {}
        problems = [Problem(p.get("message", ""), path=p.get("path"), line=p.get("line"),
                            column=p.get("column"), rule=p.get("rule"))
                    for p in error.get("problems", [])]
        if problems:
            raise PolicyError(problems)
        raise InvalidInput(f"{method} {self._url}/v1/policy{path}: {response.status_code} "
                           f"{error.get('message', response.text[:200])}")
