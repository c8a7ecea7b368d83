"""Print the generated message catalogue (``make events-doc`` writes it to docs/events.md)."""

from __future__ import annotations

import crowdify.contracts  # noqa: F401 - registers every contract
from crowdify.contracts.catalogue_doc import render

if __name__ == "__main__":
    print(render(), end="")
