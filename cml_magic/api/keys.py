"""`cml.keys`: a user's own API v2 keys: list, create (the key in the answer, once), delete
one or every one (ListV2Keys, CreateV2Key, DeleteV2Key, DeleteV2Keys).

`username` defaults to the key's own user (ValidateAPIKey, asked once per client).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cml_magic.api import paths
from cml_magic.api.masking import remember_keys
from cml_magic.api.workspace_objects import ApiKey, NewApiKey

if TYPE_CHECKING:
    from cml_magic.api.client import CML


class Keys:
    """The v2 keys of a user (CML lets each user reach only their own)."""

    def __init__(self, cml: CML) -> None:
        self._cml = cml
        self._me: str | None = None

    def _user(self, username: str | None) -> str:
        if username:
            return username
        if self._me is None:
            self._me = self._cml.whoami().username
        return self._me

    def _path(self, username: str | None, key_id: str | None = None) -> str:
        path = f"{paths.V2}/users/{paths.seg(self._user(username))}/v2_keys"
        return f"{path}/{paths.seg(key_id)}" if key_id is not None else path

    def list(self, username: str | None = None) -> list[ApiKey]:
        """The user's keys, by id and dates, never the keys themselves."""
        answer = self._cml.transport.request("GET", self._path(username))
        return [ApiKey.from_json(item) for item in answer.get("keys") or ()]

    def create(
        self,
        expiry_date: datetime | str | None = None,
        comments: str = "",
        audiences: Sequence[str] = ("API",),
        username: str | None = None,
    ) -> NewApiKey:
        """A new key; `.api_key` holds it, the only time CML sends it (keep it: a listing
        shows only its `key_id`). `expiry_date`: an aware datetime or RFC 3339 text (None:
        the workspace's default); `audiences`: "API" (the API) and/or "Application"."""
        user = self._user(username)
        body: dict[str, object] = {"username": user, "comments": comments}
        if audiences:
            body["audiences"] = list(audiences)
        if isinstance(expiry_date, datetime):
            if expiry_date.tzinfo is None:
                raise ValueError("expiry_date needs a time zone, e.g. datetime(..., tzinfo=UTC)")
            expiry_date = expiry_date.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if expiry_date:
            body["expiry_date"] = expiry_date
        answer = self._cml.transport.request("POST", self._path(user), json_body=body)
        made = NewApiKey.from_json(answer)
        remember_keys(made.api_key)  # hidden from every display of this process from now on
        return made

    def delete(self, key_id: str, username: str | None = None) -> None:
        """Revoke one key (at once: calls with it fail from now on)."""
        self._cml.transport.request("DELETE", self._path(username, key_id))

    def delete_all(self, username: str | None = None) -> None:
        """Revoke every v2 key of the user, the client's own included."""
        self._cml.transport.request("DELETE", self._path(username))
