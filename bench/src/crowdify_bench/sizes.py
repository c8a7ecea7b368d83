"""How big each scenario is: the full run of ``make bench`` and a quick one for trying things out.

The full sizes are the issue's (1,000 tickets and 200 buyers; 20,000 tickets and 64 scanners,
then 1,000 and 100,000); the rest is chosen so the whole run stays well under 15 minutes on two
cores. The quick sizes finish in about two minutes and exercise every path.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Sizes:
    baseline_seconds: float = 3.0
    edge: dict[str, float | int] = field(
        # Five rounds: with three, one noisy round on a shared machine moved a ratio by 20 points.
        default_factory=lambda: {"duration": 3, "runs": 5, "connections": 50, "rotation": 20000}
    )
    onsale: dict[str, int] = field(default_factory=lambda: {"tickets": 1000, "buyers": 200, "orders": 1200})
    # The same rush with fewer buyers at once: what the saga does below purchase-svc's limit on
    # orders waiting at once (docs/performance.md).
    onsale_fewer_buyers: dict[str, int] = field(
        default_factory=lambda: {"tickets": 500, "buyers": 64, "orders": 700}
    )
    onsale_profile: dict[str, int] = field(
        default_factory=lambda: {"tickets": 400, "buyers": 200, "orders": 600}
    )
    inventory: dict[str, int] = field(default_factory=lambda: {"tickets": 2000, "orders": 3000})
    door_sizes: tuple[int, ...] = (1000, 20000, 100000)
    door_max_scans: int = 20000
    door_scanners: int = 64
    door_devices: int = 256
    door_max_seconds: float = 45
    door_profile_scans: int = 5000
    email_orders: int = 20


FULL = Sizes()
QUICK = Sizes(
    baseline_seconds=1.0,
    edge={"duration": 1, "runs": 1, "connections": 16, "rotation": 500},
    onsale={"tickets": 100, "buyers": 50, "orders": 200},
    onsale_fewer_buyers={"tickets": 50, "buyers": 16, "orders": 80},
    onsale_profile={"tickets": 50, "buyers": 50, "orders": 100},
    inventory={"tickets": 200, "orders": 300},
    door_sizes=(200, 1000, 5000),
    door_max_scans=1000,
    door_devices=32,
    door_profile_scans=500,
    email_orders=3,
)
