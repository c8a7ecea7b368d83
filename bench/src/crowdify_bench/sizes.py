"""How big each scenario is: the full run of ``make bench`` and a quick one for trying things out.

The full sizes are the issues' (300 buyers a second offered in an open loop, and 1,000 tickets
for 200 buyers in a closed loop; a door of 256 devices behind one
address, offered up to 3,000 scans/s, on events of 1,000 to 1,000,000 tickets); the rest is
chosen so the whole run stays well under 15 minutes on two cores. The quick sizes finish in
about two minutes and exercise every path.
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
    # The on-sale at a target rate (onsale_open.py, open loop): buyers offered per second, seconds
    # per round, the unmeasured warm-up before the rounds, rounds (the median is reported).
    # 330 offered for a target of 300 held/s: holds per second are counted to the last hold's
    # answer, so at exactly 300 offered the count stays a few percent below 300 however fast the
    # platform answers.
    onsale_open: dict[str, float] = field(
        default_factory=lambda: {"rate_per_s": 330, "seconds": 8, "warm_up_seconds": 2, "rounds": 3}
    )
    # The closed loop (onsale.py): a fixed set of buyers, each ordering again once answered.
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
    # The door rush (door.py): offered rates of the latency curve, seconds per step, rounds (the
    # median is reported), event sizes of the flatness check, devices behind one address.
    door_rates: tuple[float, ...] = (100, 250, 500, 1000, 1500, 2000, 3000)
    door_step_seconds: float = 6
    door_rounds: int = 3
    door_flat_rounds: int = 5
    door_sizes: tuple[int, ...] = (1000, 100000, 1000000)
    door_devices: int = 256
    door_warm_up_seconds: float = 3
    # A profiled step after the curve, at this rate for this long.
    door_profile_rate: float = 1500
    door_profile_seconds: float = 6
    # One device's offline backlog uploaded in one request.
    sync_scans: int = 5000
    email_orders: int = 20


FULL = Sizes()
QUICK = Sizes(
    baseline_seconds=1.0,
    edge={"duration": 1, "runs": 1, "connections": 16, "rotation": 500},
    onsale_open={"rate_per_s": 20, "seconds": 3, "warm_up_seconds": 1, "rounds": 3},
    onsale={"tickets": 100, "buyers": 50, "orders": 200},
    onsale_fewer_buyers={"tickets": 50, "buyers": 16, "orders": 80},
    onsale_profile={"tickets": 50, "buyers": 50, "orders": 100},
    inventory={"tickets": 200, "orders": 300},
    door_rates=(100, 300),
    door_step_seconds=2,
    door_rounds=1,
    door_flat_rounds=1,
    door_sizes=(1000, 20000),
    door_devices=32,
    door_warm_up_seconds=1,
    door_profile_rate=300,
    door_profile_seconds=2,
    sync_scans=500,
    email_orders=3,
)
