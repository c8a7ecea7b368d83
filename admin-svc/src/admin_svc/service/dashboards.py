"""The dashboards, aggregated from the read model when asked (the tables hold facts, not totals,
so a late or repeated message can never leave a stale counter behind).

Time buckets are in the promoter's timezone. ``auto`` picks minutes while the figures span a day
or less (an on-sale), days for sales beyond that and hours for attendance beyond that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

Bucket = Literal["minute", "hour", "day"]
BucketChoice = Literal["auto", "minute", "hour", "day"]
UPCOMING_DOORS = timedelta(days=7)
LISTED_EVENTS = 50

SALES_OVER_TIME = text("""
    SELECT date_trunc(:bucket, o.paid_at AT TIME ZONE :tz) AT TIME ZONE :tz AS at,
           sum(l.quantity) AS tickets, sum(l.quantity * coalesce(l.unit_price, 0)) AS revenue
    FROM orders o JOIN order_lines l USING (order_id)
    WHERE o.event_id = :event_id AND o.paid_at IS NOT NULL
    GROUP BY 1 ORDER BY 1
""")
SALES_SPAN = text("""
    SELECT min(paid_at), max(paid_at) FROM orders WHERE event_id = :event_id AND paid_at IS NOT NULL
""")
BY_TICKET_TYPE = text("""
    WITH sold AS (
        SELECT l.ticket_type_id, max(l.ticket_type_name) AS name, sum(l.quantity) AS tickets,
               sum(l.quantity * coalesce(l.unit_price, 0)) AS gross
        FROM orders o JOIN order_lines l USING (order_id)
        WHERE o.event_id = :event_id AND o.paid_at IS NOT NULL
        GROUP BY 1
    ), refunded AS (
        SELECT (item.key)::uuid AS ticket_type_id, sum((item.value)::int) AS tickets,
               sum((item.value)::int * coalesce(l.unit_price, 0)) AS amount
        FROM refunds r CROSS JOIN LATERAL jsonb_each_text(r.lines) AS item
        LEFT JOIN order_lines l ON l.order_id = r.order_id AND l.ticket_type_id = (item.key)::uuid
        WHERE r.event_id = :event_id
        GROUP BY 1
    ), kinds AS (
        SELECT ticket_type_id FROM ticket_types WHERE event_id = :event_id
        UNION SELECT ticket_type_id FROM sold
    )
    SELECT k.ticket_type_id, coalesce(t.name, s.name) AS name, coalesce(s.tickets, 0) AS tickets_sold,
           coalesce(s.gross, 0) AS gross, coalesce(r.tickets, 0) AS tickets_refunded,
           coalesce(r.amount, 0) AS refunded
    FROM kinds k LEFT JOIN ticket_types t USING (ticket_type_id) LEFT JOIN sold s USING (ticket_type_id)
    LEFT JOIN refunded r USING (ticket_type_id)
    ORDER BY name NULLS LAST, k.ticket_type_id
""")
FUNNEL = text("""
    SELECT count(*) AS placed,
           count(*) FILTER (WHERE held_at IS NOT NULL) AS held,
           count(*) FILTER (WHERE paid_at IS NOT NULL) AS paid,
           count(*) FILTER (WHERE expired_at IS NOT NULL AND paid_at IS NULL) AS expired,
           count(*) FILTER (WHERE rejection_reason = 'sold_out') AS rejected_sold_out,
           count(*) FILTER (WHERE rejected_at IS NOT NULL) AS rejected,
           count(*) FILTER (WHERE cancelled_at IS NOT NULL) AS cancelled
    FROM orders WHERE event_id = :event_id
""")
REFUNDS_BY_CAUSE = text("""
    SELECT coalesce(cause, 'unknown') AS cause, count(*) AS count, coalesce(sum(amount), 0) AS amount
    FROM refunds WHERE event_id = :event_id GROUP BY 1 ORDER BY 1
""")
TICKETS_ISSUED = text("""
    SELECT count(*) AS issued, count(*) FILTER (WHERE revoked_at IS NULL) AS valid
    FROM tickets WHERE event_id = :event_id
""")
ADMITTED_BY_GATE = text("""
    SELECT coalesce(gate, '') AS gate, count(*) AS admitted
    FROM admissions WHERE event_id = :event_id GROUP BY 1 ORDER BY 1
""")
ADMISSION_SPAN = text("SELECT min(admitted_at), max(admitted_at) FROM admissions WHERE event_id = :event_id")
ATTENDANCE_OVER_TIME = text("""
    SELECT date_trunc(:bucket, admitted_at AT TIME ZONE :tz) AT TIME ZONE :tz AS at,
           coalesce(gate, '') AS gate, count(*) AS admitted
    FROM admissions WHERE event_id = :event_id GROUP BY 1, 2 ORDER BY 1, 2
""")
EVENT = text("""
    SELECT event_id, name, venue, city, starts_at, ends_at, status, sales_start, sales_end, capacity
    FROM events WHERE event_id = :event_id
""")
SOLD_TODAY = text("""
    SELECT coalesce(o.currency, 'CLP') AS currency, count(DISTINCT o.order_id) AS orders,
           sum(l.quantity) AS tickets, sum(l.quantity * coalesce(l.unit_price, 0)) AS revenue
    FROM orders o JOIN order_lines l USING (order_id)
    WHERE o.paid_at >= :since AND o.paid_at < :until
    GROUP BY 1 ORDER BY 1
""")
ON_SALE = text("""
    SELECT e.event_id, e.name, e.venue, e.starts_at, e.sales_end,
           (SELECT coalesce(sum(l.quantity), 0) FROM orders o JOIN order_lines l USING (order_id)
            WHERE o.event_id = e.event_id AND o.paid_at IS NOT NULL) AS tickets_sold
    FROM events e
    WHERE e.status = 'published' AND e.starts_at > :now
      AND (e.sales_start IS NULL OR e.sales_start <= :now) AND (e.sales_end IS NULL OR e.sales_end > :now)
    ORDER BY e.starts_at LIMIT :limit
""")
UPCOMING = text("""
    SELECT e.event_id, e.name, e.venue, e.starts_at,
           (SELECT count(*) FROM tickets t
            WHERE t.event_id = e.event_id AND t.revoked_at IS NULL) AS tickets_valid,
           (SELECT count(*) FROM admissions a WHERE a.event_id = e.event_id) AS admitted
    FROM events e
    WHERE e.status = 'published' AND e.starts_at BETWEEN :now AND :until
    ORDER BY e.starts_at LIMIT :limit
""")


def pick_bucket(
    choice: BucketChoice, first: datetime | None, last: datetime | None, *, beyond_a_day: Bucket
) -> Bucket:
    if choice != "auto":
        return choice
    if first is None or last is None or last - first <= timedelta(days=1):
        return "minute"
    return beyond_a_day


@dataclass(frozen=True)
class Reports:
    timezone: str

    async def event_dashboard(
        self, session: AsyncSession, event_id: UUID, bucket: BucketChoice
    ) -> dict[str, Any]:
        params = {"event_id": event_id, "tz": self.timezone}
        event = (await session.execute(EVENT, params)).mappings().first()
        first, last = (await session.execute(SALES_SPAN, params)).one()
        sales_bucket = pick_bucket(bucket, first, last, beyond_a_day="day")
        sales = (await session.execute(SALES_OVER_TIME, {**params, "bucket": sales_bucket})).mappings().all()
        types = (await session.execute(BY_TICKET_TYPE, params)).mappings().all()
        funnel = (await session.execute(FUNNEL, params)).mappings().one()
        causes = (await session.execute(REFUNDS_BY_CAUSE, params)).mappings().all()
        issued = (await session.execute(TICKETS_ISSUED, params)).mappings().one()
        by_gate = (await session.execute(ADMITTED_BY_GATE, params)).mappings().all()
        first_in, last_in = (await session.execute(ADMISSION_SPAN, params)).one()
        doors_bucket = pick_bucket(bucket, first_in, last_in, beyond_a_day="hour")
        over_time = (
            (await session.execute(ATTENDANCE_OVER_TIME, {**params, "bucket": doors_bucket})).mappings().all()
        )
        gross = sum(int(t["gross"]) for t in types)
        refunded = sum(int(t["refunded"]) for t in types)
        return {
            "event_id": event_id,
            "event": dict(event) if event is not None else None,
            "timezone": self.timezone,
            "sales": {
                "bucket": sales_bucket,
                "over_time": [
                    {"at": row["at"], "tickets": int(row["tickets"]), "revenue": int(row["revenue"])}
                    for row in sales
                ],
                "by_ticket_type": [
                    {
                        "ticket_type_id": row["ticket_type_id"],
                        "name": row["name"],
                        "tickets_sold": int(row["tickets_sold"]),
                        "tickets_refunded": int(row["tickets_refunded"]),
                        "gross": int(row["gross"]),
                        "refunded": int(row["refunded"]),
                        "net": int(row["gross"]) - int(row["refunded"]),
                    }
                    for row in types
                ],
                "tickets_sold": sum(int(t["tickets_sold"]) for t in types),
                "gross": gross,
                "refunded": refunded,
                "net": gross - refunded,
            },
            "funnel": {name: int(value) for name, value in funnel.items()},
            "refunds": [
                {"cause": row["cause"], "count": int(row["count"]), "amount": int(row["amount"])}
                for row in causes
            ],
            "attendance": {
                "tickets_issued": int(issued["issued"]),
                "tickets_valid": int(issued["valid"]),
                "admitted": sum(int(row["admitted"]) for row in by_gate),
                "by_gate": [{"gate": row["gate"], "admitted": int(row["admitted"])} for row in by_gate],
                "bucket": doors_bucket,
                "over_time": [
                    {"at": row["at"], "gate": row["gate"], "admitted": int(row["admitted"])}
                    for row in over_time
                ],
            },
        }

    async def platform_dashboard(self, session: AsyncSession, now: datetime) -> dict[str, Any]:
        zone = ZoneInfo(self.timezone)
        local_day = now.astimezone(zone).date()
        since = datetime.combine(local_day, time.min, tzinfo=zone)
        until = since + timedelta(days=1)
        today = (await session.execute(SOLD_TODAY, {"since": since, "until": until})).mappings().all()
        on_sale = (await session.execute(ON_SALE, {"now": now, "limit": LISTED_EVENTS})).mappings().all()
        upcoming = (
            (
                await session.execute(
                    UPCOMING, {"now": now, "until": now + UPCOMING_DOORS, "limit": LISTED_EVENTS}
                )
            )
            .mappings()
            .all()
        )
        return {
            "timezone": self.timezone,
            "today": {
                "date": local_day,
                "sales": [
                    {
                        "currency": row["currency"],
                        "orders": int(row["orders"]),
                        "tickets": int(row["tickets"]),
                        "revenue": int(row["revenue"]),
                    }
                    for row in today
                ],
            },
            "events_on_sale": [dict(row) | {"tickets_sold": int(row["tickets_sold"])} for row in on_sale],
            "upcoming_doors": [
                dict(row) | {"tickets_valid": int(row["tickets_valid"]), "admitted": int(row["admitted"])}
                for row in upcoming
            ],
        }
