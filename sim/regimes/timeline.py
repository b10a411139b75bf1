"""A regime's per-order date arithmetic in POSIX seconds, for the model's hot path.

:class:`~sim.regimes.base.Regime` works on aware datetimes: clear, but each port order then
costs a dozen datetime conversions (deadlines, port slot, point of no return, window). A run
of millions of orders only ever asks the same few questions about each local date, so
:class:`Timeline` answers them per date once (as POSIX seconds) and per order does float
arithmetic.

The answers are exactly the instants the datetime methods give, as ``datetime.timestamp()``
would return them: a local date's facts come from the datetime methods themselves, and
moving an instant by whole seconds is exact for floats between 2**30 and 2**31 seconds
(2004-2038), where every whole second is on the float grid. Anything else (a day with a DST
change, an instant outside that span, facts the fast path does not model) is handed to the
datetime methods.
"""

from __future__ import annotations

__all__ = ["Timeline"]

from datetime import UTC, date, datetime, time, timedelta

from sim.regimes.base import OrderFacts, Regime, no_return

_DAY = 86400
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
# Floats from 2**30 to 2**31 share one spacing (2**-22 s), which every whole second is a
# multiple of: adding whole seconds within it is exact, and rounds as the datetime would.
_EXACT_FROM, _EXACT_TO = float(2**30), float(2**31)
_UNKNOWN = object()  # not in a cache yet


class _LocalDay:
    """What the timeline knows about one local date of the regime's zone."""

    __slots__ = ("date", "steady", "midnight", "working", "cutoff", "next_start", "slots")

    def __init__(self, regime: Regime, index: int) -> None:
        cal = regime.calendar
        d = self.date = date.fromordinal(_EPOCH_ORDINAL + index)
        start = datetime.combine(d, time(), cal.tz)
        end = datetime.combine(d + timedelta(days=1), time(), cal.tz)
        # one UTC offset all day (as BusinessCalendar.at assumes for its own shortcut)
        self.steady = start.utcoffset() == end.utcoffset()
        self.midnight = start.timestamp()
        self.working = cal.is_working_day(d)
        # PT's cut-off: the request counts from the next working day's opening after it
        cutoff = regime.clock_cutoff
        self.cutoff = cal.at(d, cutoff).timestamp() if cutoff is not None else 0.0
        self.next_start = cal.next_working_day_start(start).timestamp()
        # the first port slots on or after this date, (opens, closes) each
        self.slots = tuple((o.timestamp(), c.timestamp()) for o, c in regime._first_slots(d))


class Timeline:
    """POSIX-second versions of :class:`Regime`'s per-order methods, cached per local date.

    Each method returns what the regime's datetime method of the same name returns, as
    ``.timestamp()`` of it, bit for bit.
    """

    def __init__(self, regime: Regime) -> None:
        self.regime = regime
        self.tz = regime.tz
        window = regime.window_length
        # the window's end is port start + window_length: exact in floats in whole seconds
        whole = window % timedelta(seconds=1) == timedelta()
        self.window_seconds = window.total_seconds() if whole else None
        self._offsets: dict[int, int | None] = {}  # UTC day -> zone offset all day, or None
        self._days: dict[int, _LocalDay] = {}  # local date (days since 1970-01-01) -> facts
        self._shifted: dict[tuple[int, int], int] = {}  # (local date, n) -> n working days on
        # (local date, lead, answer) -> seconds to the answer and port deadlines, None: fall back
        self._deadline_shifts: dict[tuple[int, int, int | timedelta],
                                    tuple[float, float] | None] = {}
        # id(facts) -> (facts, lead time, answer time): hashing the dataclass costs more than
        # the rest
        self._lead_times: dict[int, tuple[OrderFacts, int, int | timedelta]] = {}
        # local date of a port -> the regime's no-return cut-off for it (POSIX), or None
        self._cutoffs: dict[int, float | None] = {}

    # -- local dates ------------------------------------------------------------------------
    def _local_index(self, p: float) -> int | None:
        """The local date of POSIX instant ``p`` (days since 1970-01-01), or None to fall back."""
        if not _EXACT_FROM <= p < _EXACT_TO:
            return None
        u = int(p // _DAY)
        offset = self._offsets.get(u, _UNKNOWN)
        if offset is _UNKNOWN:
            first = datetime.fromtimestamp(u * _DAY, self.tz).utcoffset()
            last = datetime.fromtimestamp(u * _DAY + _DAY - 1, self.tz).utcoffset()
            offset = self._offsets[u] = (int(first.total_seconds())
                                         if first is not None and first == last else None)
        if offset is None:
            return None
        return int((p + offset) // _DAY)  # type: ignore[operator]

    def _day(self, index: int) -> _LocalDay:
        day = self._days.get(index)
        if day is None:
            day = self._days[index] = _LocalDay(self.regime, index)
        return day

    def _shift(self, index: int, n: int) -> int:
        """The local date ``n`` working days after local date ``index`` (before, if negative)."""
        key = (index, n)
        shifted = self._shifted.get(key)
        if shifted is None:
            cal = self.regime.calendar
            noon = cal.at(self._day(index).date, time(12))
            d = cal.add_working_days_local(noon, n).date()
            shifted = self._shifted[key] = d.toordinal() - _EPOCH_ORDINAL
        return shifted

    def _working_days_shift(self, index: int, n: int) -> float | None:
        """Seconds that move an instant on local date ``index`` by ``n`` working days, same
        wall clock (``add_working_days``); None for a DST change on either date."""
        if n == 0:
            return 0.0
        day = self._day(index)
        target = self._day(self._shift(index, n))
        return target.midnight - day.midnight if day.steady and target.steady else None

    def _times(self, facts: OrderFacts) -> tuple[int, int | timedelta]:
        """(lead time, answer time) of these facts."""
        # few distinct facts in a run (the model reuses one OrderFacts per kind of order)
        known = self._lead_times.get(id(facts))
        if known is None or known[0] is not facts:
            regime = self.regime
            known = self._lead_times[id(facts)] = (
                facts, regime.lead_time(facts), regime.answer_within(facts))
        return known[1], known[2]

    # -- the regime's methods -------------------------------------------------------------
    def clock_start(self, p: float) -> float:
        """:meth:`Regime.clock_start_timestamp`."""
        regime = self.regime
        if regime.clock_cutoff is None:
            return p
        index = self._local_index(p)
        if index is not None:
            day = self._day(index)
            if day.steady:
                return p if day.working and p <= day.cutoff else day.next_start
        return regime.clock_start_timestamp(p)

    def deadlines(self, submitted: datetime, p: float, facts: OrderFacts) -> tuple[float, float]:
        """:meth:`Regime.deadlines` for ``submitted`` (POSIX ``p``): (answer, port deadline)."""
        regime = self.regime
        if facts.agreed_date is None and (regime.physical_work_working_days is None
                                          or facts.physical_work_done_at is None):
            start = self.clock_start(p)
            index = self._local_index(start)
            if index is not None:
                lead, within = self._times(facts)
                key = (index, lead, within)
                shifts = self._deadline_shifts.get(key, _UNKNOWN)
                if shifts is _UNKNOWN:
                    answer_shift = (_elapsed(within) if isinstance(within, timedelta)
                                    else self._working_days_shift(index, within))
                    lead_shift = self._working_days_shift(index, lead)
                    shifts = self._deadline_shifts[key] = (
                        None if answer_shift is None or lead_shift is None
                        else (answer_shift, lead_shift))
                if shifts is not None:
                    answer, deadline = start + shifts[0], start + shifts[1]  # type: ignore[index]
                    if answer < _EXACT_TO and deadline < _EXACT_TO:
                        return min(answer, deadline), deadline
        answer_at, deadline_at = regime.deadlines(submitted, facts=facts)
        return answer_at.timestamp(), deadline_at.timestamp()

    def schedule_port(self, earliest: float, requested: datetime | None = None) -> float:
        """:meth:`Regime.schedule_port` from POSIX ``earliest`` (a whole second)."""
        if requested is None:
            index = self._local_index(earliest)
            if index is not None:
                for opens, closes in self._day(index).slots:
                    if earliest <= closes:
                        return max(earliest, opens)
        floor = datetime.fromtimestamp(earliest, UTC)
        return self.regime.schedule_port(floor, requested).timestamp()

    def port_date(self, accepted: float, earliest: float, requested: datetime | None = None
                  ) -> tuple[float, bool]:
        """The committed port date (POSIX) of an order accepted at ``accepted`` (a whole second).

        ``earliest`` is the earliest port date its lead time allows. With minimum lead times
        (UK) the port is never before it: a requested date before it moves to the first slot
        after it. Otherwise, and for a requested date no earlier, :meth:`schedule_port` from
        the acceptance. Returns ``(port, moved)``; ``moved`` says a requested date was moved.
        """
        if self.regime.lead_time_is_minimum:
            floor = max(accepted, round(earliest))
            if requested is not None and requested.timestamp() < earliest:
                return self.schedule_port(floor), True
            return self.schedule_port(floor, requested), False
        return self.schedule_port(accepted, requested), False

    def point_of_no_return(self, accepted: float, port: float) -> float:
        """:meth:`Regime.point_of_no_return` for POSIX ``accepted`` and ``port``: the rule
        (:func:`~sim.regimes.base.no_return`) on the regime's cut-off for the port's date,
        asked once per date."""
        index = self._local_index(port)
        if index is None:
            day = datetime.fromtimestamp(port, self.tz).date()
        else:
            if index in self._cutoffs:
                return no_return(accepted, port, self._cutoffs[index])
            day = self._day(index).date
        found = self.regime.no_return_cutoff(day)
        cutoff = None if found is None else found.timestamp()
        if index is not None:
            self._cutoffs[index] = cutoff
        return no_return(accepted, port, cutoff)

    def window_end(self, port: float) -> float:
        """The end of the window starting at POSIX ``port`` (:meth:`Regime.window`)."""
        if self.window_seconds is not None:
            end = port + self.window_seconds
            if _EXACT_FROM <= port and end < _EXACT_TO:
                return end
        return self.regime.window(datetime.fromtimestamp(port, self.tz))[1].timestamp()


def _elapsed(t: timedelta) -> float | None:
    """Whole seconds of ``t`` (exact to add in the timeline's span), or None to fall back."""
    return t.total_seconds() if t % timedelta(seconds=1) == timedelta() else None
