"""The Regime type: a country's porting rules as data, on a business calendar.

The calendar itself (working days, public holidays, periods) is in
:mod:`sim.regimes.business_calendar`.
"""

from __future__ import annotations

__all__ = [
    "REJECTION_TEXT",
    "OrderFacts",
    "PortSlots",
    "Compensation",
    "Regime",
    "no_return",
]

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from sim.regimes.business_calendar import BusinessCalendar, Period, days_late
from sim.regimes.costs import NO_TERMS, ProviderTerms

#: Every reason a port order can be rejected or denied (names shared with the model), with
#: the rule it comes from (DOMAIN.md "Validation"; checklist, Ooma and ANACOM seeds).
REJECTION_TEXT: dict[str, str] = {
    "account_number": "account number does not match the losing carrier's bill exactly",
    "pin": "account PIN / passcode does not match the losing carrier's record",
    "holder_name": "account holder name does not match the bill exactly (first and last name)",
    "service_address": (
        "service address does not match the losing carrier's record exactly "
        "(suite/unit numbers included)"
    ),
    "pending_order": "another order is pending on the account at the losing carrier",
    "contract_restriction": "a contract restriction at the losing carrier blocks the number",
    "loa_incomplete": "letter of authority is incomplete (a required field is blank)",
    "loa_unsigned": "letter of authority is not signed",
    "unauthorised_signer": "letter of authority is signed by someone not authorised on the account",
    "pvc_mismatch": (
        "PVC (12-digit portability validation code) does not match the losing operator's"
    ),
    "not_portable": "this number type cannot be ported under the regime",
    "service_type_switch": (
        "porting would switch service type (fixed <-> mobile, nomadic VoIP <-> fixed/mobile)"
    ),
    "inactive_number": "number has been inactive for more than 3 months",
    "quarantined": ("number is suspended or in quarantine (after its contract ended, or for "
                    "lack of funds)"),
    "quarantine_over": ("the quarantine after the contract's end is over: the number is no "
                        "longer the former subscriber's to reactivate"),
    "not_in_quarantine": "the numbers are not in quarantine: there is nothing to reactivate",
    "temporary_access": "the number is a temporary access: temporary accesses are not portable",
    "no_written_authorisation": "a migration needs the customer's written authorisation",
    "dsl_on_line": ("DSL is delivered on the same line: the port cannot proceed until the two "
                    "are separated (stand-alone / dry-loop DSL)"),
}


@dataclass(frozen=True)
class OrderFacts:
    """What a regime needs to know about a port order to set its deadlines.

    ``ddi`` covers DDI ranges and (PT) MSN numbers; ``part_of_ddi_range`` is porting some
    numbers out of a DDI range (UK complex DDI, 22/25 days); ``distance_contract`` is a PT
    distance or off-premises sale (3 working days); ``physical_work_done_at`` when physical
    network work the port needs is done (PT: due 1 working day after, the 17:00 rule on it).
    """

    numbers: int
    ddi: bool = False
    non_geographic: bool = False
    losing_is_range_holder: bool = True
    mobile: bool = False
    physical_work_done_at: datetime | None = None
    agreed_date: datetime | None = None
    part_of_ddi_range: bool = False
    distance_contract: bool = False
    #: UK: lines at the customer's installation (a single line from more than 10: 14/17 days)
    installation_lines: int = 1

    def __post_init__(self) -> None:
        if self.numbers < 1 or self.installation_lines < 1:
            raise ValueError(f"OrderFacts.numbers and installation_lines must be at least 1, "
                             f"got {self.numbers} and {self.installation_lines}")



@dataclass(frozen=True)
class PortSlots:
    """Where a port window may start: which weekdays and local times.

    The search picks the first day in ``days`` (Monday = 0) whose slot
    ``[earliest, latest]`` is not over; a requested instant is taken as it is when it falls
    on one of ``requestable_days`` within the slot.
    """

    days: frozenset[int]
    requestable_days: frozenset[int]
    earliest: time
    latest: time
    working_days_only: bool
    avoid_month_end: bool = False


@dataclass(frozen=True)
class Compensation:
    """Statutory compensation owed by the gaining operator, in EUR (PT; zero elsewhere)."""

    delay_per_number_day: float = 0.0
    interruption_per_number_day: float = 0.0
    interruption_cap_per_request: float | None = None
    #: ANACOM FAQ 14: a number ported without the subscriber's consent, per number per day
    #: until remedied, capped per request.
    no_consent_per_number_day: float = 0.0
    no_consent_cap_per_request: float | None = None


LeadTime = Callable[["OrderFacts"], int]
AnswerTime = Callable[["OrderFacts"], "int | timedelta"]


_Instant = TypeVar("_Instant", datetime, float)


def no_return(accepted: _Instant, port: _Instant, cutoff: _Instant | None) -> _Instant:
    """The point of no return from acceptance, the port start and the regime's cut-off.

    The one place of the rule, for datetimes (:meth:`Regime.point_of_no_return`) and POSIX
    seconds (:meth:`sim.regimes.timeline.Timeline.point_of_no_return`) alike: without a
    cut-off the order can be withdrawn until it is accepted; with one, until the cut-off,
    but never before acceptance and never after the port starts.

    >>> no_return(10.0, 50.0, None), no_return(10.0, 50.0, 30.0), no_return(40.0, 50.0, 30.0)
    (10.0, 30.0, 40.0)
    """
    if cutoff is None:
        return min(accepted, port)
    return min(port, max(accepted, cutoff))


@dataclass(frozen=True)
class Regime:
    """One country's porting rules: deadlines, port slots, windows, compensation, checks.

    Every time a regime returns is timezone-aware and in its own zone; every time it takes
    must be timezone-aware (ValueError otherwise).
    """

    name: str
    country: str
    calendar: BusinessCalendar
    #: PT: a request after this local time on a working day counts from the next working day.
    clock_cutoff: time | None
    #: The losing carrier's time to accept or deny from clock start, by the order's facts:
    #: an int is working days, a timedelta elapsed time (UK order handling: 24 h, 48 h).
    answer_within: AnswerTime
    #: Working days from clock start to the port deadline, from the order's facts (with
    #: ``lead_time_is_minimum``, to the earliest port date instead).
    lead_time: LeadTime
    #: PT: the port is due this many working days after physical network work is done.
    physical_work_working_days: int | None
    slots: PortSlots
    window_length: timedelta
    #: None: withdrawal is possible until the losing carrier accepts (and confirms the date).
    #: n: until the close of business n working days before the port date.
    no_return_working_days: int | None
    compensation: Compensation
    validation_checks: tuple[str, ...]
    suspension: Period
    quarantine: Period
    #: PT: a number inactive longer than this is not portable.
    inactivity_limit: Period | None
    #: The currency its charges and compensation are in (GBP, EUR, USD).
    currency: str
    #: Charges the losing carrier's terms put on the numbers (sim.regimes.costs).
    terms: ProviderTerms = NO_TERMS
    #: UK: the lead time is the fewest working days to the earliest port date; a port may
    #: be requested later, never earlier (the due date is then the committed window's end).
    lead_time_is_minimum: bool = False
    #: Port order keys that only this regime's rules read (the reader refuses them elsewhere).
    order_keys: frozenset[str] = frozenset()
    #: Where the domain was silent: the choices made, for reports and docs.
    notes: tuple[str, ...] = field(default=())
    #: facts -> lead_time(facts): a run has few distinct facts (filled as asked)
    _lead_times: dict[OrderFacts, int] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False)
    #: local date -> the first port slots ``(opens, closes)`` on or after it (filled as asked)
    _slots_from: dict[date, tuple[tuple[datetime, datetime], ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        unknown = set(self.validation_checks) - REJECTION_TEXT.keys()
        if unknown:
            raise ValueError(f"regime {self.name!r}: unknown validation checks {sorted(unknown)}")

    # -- calendar -------------------------------------------------------------------------
    @property
    def tz(self) -> ZoneInfo:
        """The regime's time zone."""
        return self.calendar.tz

    @property
    def window_minutes(self) -> float:
        """Length of the cutover window in minutes."""
        return self.window_length.total_seconds() / 60

    def is_working_day(self, d: date) -> bool:
        """See :meth:`BusinessCalendar.is_working_day`."""
        return self.calendar.is_working_day(d)

    def add_working_days(self, t: datetime, n: int) -> datetime:
        """See :meth:`BusinessCalendar.add_working_days`."""
        return self.calendar.add_working_days(t, n)

    def next_working_day_start(self, t: datetime) -> datetime:
        """See :meth:`BusinessCalendar.next_working_day_start`."""
        return self.calendar.next_working_day_start(t)

    # -- deadlines ------------------------------------------------------------------------
    def clock_start(self, submitted: datetime) -> datetime:
        """When the deadline clock starts for a request (or physical work) at ``submitted``.

        With a cut-off (PT 17:00), a request after it on a working day, or any time on a
        non-working day, counts from the opening of the next working day; otherwise (and in
        regimes without a cut-off) the clock starts at submission.
        """
        local = self.calendar.local(submitted)
        if self.clock_cutoff is None:
            return local
        return self._after_cutoff(local)

    def clock_start_timestamp(self, submitted: float) -> float:
        """:meth:`clock_start` in POSIX seconds, for a request at POSIX second ``submitted``."""
        if self.clock_cutoff is None:
            return submitted  # no datetime needed: the clock starts at submission
        return self._after_cutoff(datetime.fromtimestamp(submitted, self.tz)).timestamp()

    def _after_cutoff(self, local: datetime) -> datetime:
        assert self.clock_cutoff is not None
        if self.is_working_day(local.date()) and local.time() <= self.clock_cutoff:
            return local
        return self.next_working_day_start(local)

    def port_deadline(self, submitted: datetime, *, facts: OrderFacts) -> datetime:
        """The instant by which the port must be done.

        ``lead_time(facts)`` working days after :meth:`clock_start`; if the regime has a
        physical-work rule and the work is done, no earlier than that many working days
        after the work's own clock start; no earlier than an agreed later date.
        """
        return self._port_deadline(self.clock_start(submitted), facts)

    def deadlines(self, submitted: datetime, *, facts: OrderFacts) -> tuple[datetime, datetime]:
        """``(answer_deadline, port_deadline)``, with the clock start worked out once."""
        start = self.clock_start(submitted)
        deadline = self._port_deadline(start, facts)
        within = self.answer_within(facts)
        if isinstance(within, timedelta):  # elapsed, across nights and weekends
            answer = (start.astimezone(UTC) + within).astimezone(self.tz)
        else:
            answer = self.calendar.add_working_days_local(start, within)
        return min(answer, deadline), deadline

    def _port_deadline(self, start: datetime, facts: OrderFacts) -> datetime:
        lead = self._lead_times.get(facts)
        if lead is None:
            lead = self._lead_times[facts] = self.lead_time(facts)
        deadline = self.calendar.add_working_days_local(start, lead)
        if self.physical_work_working_days is not None and facts.physical_work_done_at is not None:
            after_work = self.add_working_days(
                self.clock_start(facts.physical_work_done_at), self.physical_work_working_days
            )
            deadline = max(deadline, after_work)
        if facts.agreed_date is not None:
            deadline = max(deadline, self.calendar.local(facts.agreed_date))
        return deadline

    def answer_deadline(self, submitted: datetime, *, facts: OrderFacts) -> datetime:
        """When the losing carrier must have accepted or denied the order.

        ``answer_within(facts)`` after :meth:`clock_start`, but never after the port deadline.
        """
        return self.deadlines(submitted, facts=facts)[0]

    # -- the port date and window ---------------------------------------------------------
    def _slot_day(self, d: date, days: frozenset[int], *, searching: bool) -> bool:
        if d.weekday() not in days:
            return False
        if self.slots.working_days_only and not self.is_working_day(d):
            return False
        if searching and self.slots.avoid_month_end:
            return d != self.calendar.last_working_day_of_month(d)
        return True

    def is_port_slot(self, t: datetime) -> bool:
        """Whether a port window may start exactly at ``t`` (when requested for it)."""
        local = self.calendar.local(t)
        if not self._slot_day(local.date(), self.slots.requestable_days, searching=False):
            return False
        return self.slots.earliest <= local.time() <= self.slots.latest

    def schedule_port(self, earliest: datetime, requested: datetime | None = None) -> datetime:
        """The committed port date: the start of the cutover window.

        A requested instant no earlier than ``earliest`` that is itself a port slot is used
        as it is; otherwise the first slot at or after ``max(earliest, requested)``.
        """
        floor = self.calendar.local(earliest)
        if requested is not None:
            requested = self.calendar.local(requested)
            if requested >= floor and self.is_port_slot(requested):
                return requested
            floor = max(floor, requested)
        for opens, closes in self._first_slots(floor.date()):
            if floor <= closes:
                return max(floor, opens)
        return self._search_slot(floor)

    def _first_slots(self, d: date) -> tuple[tuple[datetime, datetime], ...]:
        # The first two slots on or after d: the second is always taken when the first is
        # over, so the search below runs once per date, not once per port order.
        slots = self._slots_from.get(d)
        if slots is None:
            found: list[tuple[datetime, datetime]] = []
            day = d
            for _ in range(400):
                if len(found) == 2:
                    break
                if self._slot_day(day, self.slots.days, searching=True):
                    found.append((self.calendar.at(day, self.slots.earliest),
                                  self.calendar.at(day, self.slots.latest)))
                day += timedelta(days=1)
            slots = self._slots_from[d] = tuple(found)
        return slots

    def _search_slot(self, floor: datetime) -> datetime:
        d = floor.date()
        for _ in range(400):  # a year and more: every regime has a slot well within that
            if self._slot_day(d, self.slots.days, searching=True):
                opens = self.calendar.at(d, self.slots.earliest)
                closes = self.calendar.at(d, self.slots.latest)
                if floor <= closes:
                    return max(floor, opens)
            d += timedelta(days=1)
        raise RuntimeError(f"regime {self.name!r}: no port slot within 400 days of {floor}")

    def window(self, port_start: datetime) -> tuple[datetime, datetime]:
        """The cutover window ``(start, end)``: ``window_length`` of elapsed time."""
        start = self.calendar.local(port_start)
        end = (start.astimezone(UTC) + self.window_length).astimezone(self.tz)
        return start, end

    def no_return_cutoff(self, port_day: date) -> datetime | None:
        """Close of business ``no_return_working_days`` working days before ``port_day``.

        None when the regime has no such cut-off (withdrawal until the losing carrier accepts).
        """
        n = self.no_return_working_days
        if n is None:
            return None
        noon = self.calendar.at(port_day, time(12))
        day = self.calendar.add_working_days_local(noon, -n).date()
        return self.calendar.at(day, self.calendar.closes)

    def point_of_no_return(self, accepted_at: datetime, port_start: datetime) -> datetime:
        """The last instant the order can still be withdrawn (cancelled).

        Never before acceptance and never after the port starts (:func:`no_return`, on the
        cut-off of :meth:`no_return_cutoff`).
        """
        accepted = self.calendar.local(accepted_at)
        start = self.calendar.local(port_start)
        cutoff = self.no_return_cutoff(start.date())
        return no_return(accepted, start, cutoff)

    # -- after the port -------------------------------------------------------------------
    def days_late(self, deadline: datetime, completed: datetime) -> int:
        """See :func:`days_late`."""
        return days_late(deadline, completed)

    def compensation_eur(
        self,
        *,
        numbers: int,
        days_late: int,
        interruption_minutes_beyond_window: float,
        window_minutes: float,
    ) -> float:
        """Compensation owed for a late port and an interruption longer than the window.

        Delay: ``delay_per_number_day`` per number per full day late (uncapped).
        Interruption: once it runs past the window, the whole interruption (window
        included) counts, per started 24-hour day, ``interruption_per_number_day`` per
        number, capped per request; the cap applies to the interruption part only.

        >>> from sim.regimes import get_regime
        >>> get_regime("pt").compensation_eur(numbers=2, days_late=2,
        ...     interruption_minutes_beyond_window=0, window_minutes=180)
        10.0

        Raises
        ------
        ValueError
            If any argument is negative, or ``numbers`` is below 1.
        """
        delay, interruption = self.compensation_parts(
            numbers=numbers, days_late=days_late,
            interruption_minutes_beyond_window=interruption_minutes_beyond_window,
            window_minutes=window_minutes)
        return delay + interruption

    def compensation_parts(self, *, numbers: int, days_late: int,
                           interruption_minutes_beyond_window: float,
                           window_minutes: float) -> tuple[float, float]:
        """:meth:`compensation_eur` as its two parts, ``(delay, interruption)``.

        Raises ValueError as :meth:`compensation_eur` does.
        """
        if numbers < 1 or days_late < 0 or interruption_minutes_beyond_window < 0:
            raise ValueError("numbers must be >= 1 and days/minutes must not be negative")
        if window_minutes < 0:
            raise ValueError("window_minutes must not be negative")
        rule = self.compensation
        delay = rule.delay_per_number_day * numbers * days_late
        interruption = 0.0
        if interruption_minutes_beyond_window > 0:
            started_days = math.ceil((window_minutes + interruption_minutes_beyond_window) / 1440)
            interruption = rule.interruption_per_number_day * numbers * started_days
            if rule.interruption_cap_per_request is not None:
                interruption = min(interruption, rule.interruption_cap_per_request)
        return delay, interruption

    def no_consent_compensation(self, *, numbers: int, minutes: float) -> float:
        """Compensation for ``numbers`` numbers ported without consent for ``minutes`` until
        remedied: per number per started day, capped per request (PT: 20 EUR, 5000 EUR).

        >>> from sim.regimes import get_regime
        >>> get_regime("pt").no_consent_compensation(numbers=2, minutes=3 * 1440 + 1)
        160.0

        Raises ValueError for fewer than one number or negative minutes.
        """
        if numbers < 1 or minutes < 0:
            raise ValueError("numbers must be >= 1 and minutes must not be negative")
        rule = self.compensation
        owed = rule.no_consent_per_number_day * numbers * math.ceil(minutes / 1440)
        if rule.no_consent_cap_per_request is not None:
            owed = min(owed, rule.no_consent_cap_per_request)
        return owed

    def quarantine_ends(self, contract_end: datetime) -> datetime:
        """When a number whose contract ended at ``contract_end`` leaves suspension and
        quarantine (and goes back to the range holder)."""
        local = self.calendar.local(contract_end)
        return self.quarantine.after(self.suspension.after(local))

    def is_quarantined(self, contract_end: datetime, at: datetime) -> bool:
        """Whether the number is suspended or in quarantine at ``at``."""
        ended = self.calendar.local(contract_end)
        return ended <= self.calendar.local(at) < self.quarantine_ends(ended)

    def is_inactive_too_long(self, last_active: datetime, at: datetime) -> bool:
        """Whether the number has been inactive past the regime's limit (PT: 3 months)."""
        if self.inactivity_limit is None:
            return False
        limit = self.inactivity_limit.after(self.calendar.local(last_active))
        return self.calendar.local(at) > limit
