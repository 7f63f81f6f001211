"""Contact tallies, derived from the contacts table:

- pairing_tallies: for each pairing, year and month, its remote contacts, home visits and last
  contact from 1 January to the month's end;
- contact_counts: contacts per year, month, county-level area and channel;
- pairing_facts: each pairing with its recipient's county and its cadre's level.

Why: every contact question (compliance, who is behind, the map's colouring, the briefing) judges
each pairing on its contacts from 1 January to a period's end, and a period always ends on a
month's end. Counting a million contacts for every question took seconds; reading one tally row
per pairing takes a fraction of that, on SQLite and PostgreSQL alike.

Who keeps them current: triggers (migrations 0003, 0004 and 0006) on contacts, pairings,
recipients and cadres, for every insert, update and delete,
whoever makes it (the importer, the demo generator, a test, a DBA's SQL). A bulk load that writes
hundreds of thousands of rows in one transaction defers them (`defer`) and rebuilds the
tallies once at the end (`rebuild`), all inside its transaction, so no reader ever sees the
tallies disagree with the contacts.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import (
    Connection,
    Integer,
    case,
    cast,
    delete,
    func,
    insert,
    literal_column,
    select,
    union_all,
)

from data_access.db import set_meta
from data_access.models import (
    REMOTE_CHANNELS,
    Cadre,
    Contact,
    ContactCount,
    Meta,
    Pairing,
    PairingFact,
    PairingTally,
    Recipient,
)

# While this meta key exists (inside the writing transaction), the triggers do nothing.
DEFERRED = "tallies_deferred"


def defer(conn: Connection) -> None:
    """Let the triggers skip the rows this transaction writes; call rebuild() before commit."""
    set_meta(conn, DEFERRED, "1")


def rebuild(conn: Connection, pairing_ids: Iterable[int] | None = None) -> None:
    """Recompute the tallies of these pairings from their contacts; with None, every tally,
    every contact count and every pairing's facts. Ends a deferral. Set-based: month totals
    per pairing, then summed up to each month."""
    ids = None if pairing_ids is None else sorted(set(pairing_ids))
    table = PairingTally.__table__
    year = cast(func.extract("year", Contact.contacted_on), Integer)
    month = cast(func.extract("month", Contact.contacted_on), Integer)
    monthly = select(
        Contact.pairing_id,
        year.label("year"),
        month.label("month"),
        func.count(case((Contact.channel.in_(REMOTE_CHANNELS), 1))).label("remote"),
        func.count(case((Contact.channel == "visit", 1))).label("visits"),
        func.max(Contact.contacted_on).label("last_contact"),
    ).group_by(Contact.pairing_id, year, month)
    months = union_all(
        *[select(literal_column(str(m), Integer).label("m")) for m in range(1, 13)]
    ).subquery("months")
    chunks = [None] if ids is None else [ids[i : i + 5_000] for i in range(0, len(ids), 5_000)]
    for chunk in chunks:
        wipe = delete(table)
        part = monthly
        if chunk is not None:
            wipe = wipe.where(table.c.pairing_id.in_(chunk))
            part = part.where(Contact.pairing_id.in_(chunk))
        # Month totals once (PostgreSQL would otherwise recompute them for every month).
        part = part.cte("monthly").prefix_with("MATERIALIZED", dialect="postgresql")
        totals = (
            select(
                part.c.year,
                months.c.m,
                part.c.pairing_id,
                func.sum(part.c.remote),
                func.sum(part.c.visits),
                func.max(part.c.last_contact),
            )
            .select_from(part)
            .join(months, months.c.m >= part.c.month)
            .group_by(part.c.year, months.c.m, part.c.pairing_id)
        )
        conn.execute(wipe)
        conn.execute(
            insert(table).from_select(
                ["year", "month", "pairing_id", "remote", "visits", "last_contact"], totals
            )
        )
    if ids is None:
        _recount_channels(conn)
        _copy_facts(conn)
    conn.execute(delete(Meta).where(Meta.key == DEFERRED))


def rebuild_contacts(conn: Connection, pairing_ids: Iterable[int]) -> None:
    """After a deferred bulk write of contacts: the tallies of the pairings it touched, and the
    counts per county and channel. Ends the deferral."""
    _recount_channels(conn)
    rebuild(conn, pairing_ids)


def _recount_channels(conn: Connection) -> None:
    year = cast(func.extract("year", Contact.contacted_on), Integer)
    month = cast(func.extract("month", Contact.contacted_on), Integer)
    grouped = select(year, month, Contact.county_code, Contact.channel, func.count()).group_by(
        year, month, Contact.county_code, Contact.channel
    )
    conn.execute(delete(ContactCount))
    conn.execute(
        insert(ContactCount).from_select(
            ["year", "month", "county_code", "channel", "contacts"], grouped
        )
    )


def _copy_facts(conn: Connection) -> None:
    facts = (
        select(
            Pairing.id,
            Pairing.cadre_id,
            Pairing.recipient_id,
            Recipient.county_code,
            Cadre.level,
            Pairing.started_on,
            Pairing.ended_on,
        )
        .select_from(Pairing)
        .join(Recipient, Recipient.id == Pairing.recipient_id)
        .join(Cadre, Cadre.id == Pairing.cadre_id)
    )
    conn.execute(delete(PairingFact))
    conn.execute(
        insert(PairingFact).from_select(
            [
                "pairing_id",
                "cadre_id",
                "recipient_id",
                "county_code",
                "level",
                "started_on",
                "ended_on",
            ],
            facts,
        )
    )
