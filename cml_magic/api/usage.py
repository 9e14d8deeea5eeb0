"""`cml.usage`: what the workspace's workloads used (ListUsage): one record per job run,
application, model deployment or session, with its CPU, memory, GPUs and duration."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from cml_magic.api.collection import Collection, ListOptions
from cml_magic.api.objects import Listing
from cml_magic.api.workspace_objects import UsageRecord

if TYPE_CHECKING:
    from typing import Unpack


class Usage(Collection[UsageRecord]):
    """Usage records; `search` matches part of a workload's name, `search_filter` is CML's
    own (keys such as `workload_type`, `status`, `project_name`, `creator`)."""

    _item = UsageRecord
    key = "usage_response"
    segment = "usage"
    parents = ()
    named = False

    def iter(self, **options: Unpack[ListOptions]) -> Iterator[UsageRecord]:
        """Every usage record, lazily, page by page."""
        return self._pages((), options)

    def list(self, **options: Unpack[ListOptions]) -> Listing[UsageRecord]:
        """Every usage record, as a list (see `iter`)."""
        return self._listing(self._json_pages((), options))
