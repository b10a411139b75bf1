"""sim.model.account: what porting away costs under the losing carrier's terms, and the caller
ID a customer presents; pure functions, asked without a run."""

from __future__ import annotations

import types
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
import simpy

from sim.model.account import (
    Charge,
    caller_id_in,
    check_dsl,
    dsl_decision,
    migrate,
    port_away_charges,
    presented_caller_id,
    suspend,
)
from sim.model.ledger import Ledger
from sim.model.lifecycle import NumberStatus, PortState
from sim.model.run_state import PortRun, RunState
from sim.regimes import get_regime
from sim.scenario import (
    Contract,
    Customer,
    Dsl,
    Fault,
    GoldenNumber,
    PortOrder,
    Request,
    Suspension,
)

GOLD, SILVER, PLAIN = "+441632970010", "+441632970011", "+441632970012"
PORTED = datetime(2026, 12, 5, 0, 11, tzinfo=UTC)
CUSTOMER = Customer(
    id="brightside", name="Brightside", account="A", address="X", carrier="callagenix",
    numbers=(GOLD, SILVER, PLAIN),
    golden_numbers=(GoldenNumber(GOLD, "gold", datetime(2026, 3, 2, 10, tzinfo=UTC), 60.0),
                    GoldenNumber(SILVER, "silver", datetime(2025, 5, 20, tzinfo=UTC), 30.0)),
    contract=Contract(datetime(2026, 3, 2, 10, tzinfo=UTC), 12, monthly_fee=8.0))
ORDER = PortOrder(id="away", customer="brightside", numbers=(GOLD, SILVER, PLAIN),
                  losing="callagenix", gaining="bt", submitted=datetime(2026, 11, 23, tzinfo=UTC),
                  request=Request(account="A", name="Brightside", address="X"))
UK = get_regime("uk")


def test_porting_golden_numbers_away_inside_the_term() -> None:
    charges = port_away_charges(ORDER, CUSTOMER, UK, PORTED)
    assert [(c.kind, c.amount, c.currency, c.payee, c.number) for c in charges] == [
        ("porting_fees", 180.0, "GBP", "callagenix", GOLD),    # 9 months old: 3 x 60
        ("porting_fees", 60.0, "GBP", "callagenix", SILVER),   # 18 months old: 2 x 30
        ("early_termination", 16.0, "GBP", "callagenix", None),  # Jan 2 and Feb 2 still due
    ]
    assert "3x its initial fee" in charges[0].reason


def test_only_the_orders_own_golden_numbers_and_the_first_port_away_pay() -> None:
    plain_only = replace(ORDER, numbers=(PLAIN,))
    # the plain number alone: no porting fee; the term is settled only by the first order
    assert [c.kind for c in port_away_charges(plain_only, CUSTOMER, UK, PORTED)] == [
        "early_termination"]
    assert port_away_charges(plain_only, CUSTOMER, UK, PORTED, contract=False) == []


def test_after_two_years_and_the_term_nothing_is_owed() -> None:
    later = datetime(2028, 3, 3, tzinfo=UTC)  # gold 24 months and a day old
    assert [c.amount for c in port_away_charges(ORDER, CUSTOMER, UK, later)] == []


def test_a_pt_loyalty_period_owes_its_early_termination_charge() -> None:
    customer = replace(CUSTOMER, golden_numbers=(),
                       contract=Contract(datetime(2026, 6, 1, tzinfo=UTC), 24,
                                         early_termination_charge=150.0))
    charges = port_away_charges(ORDER, customer, get_regime("pt"), PORTED)
    assert charges == [Charge("early_termination", 150.0, "EUR", "callagenix", charges[0].reason)]
    assert charges[0].fields()["amount"] == 150.0


@pytest.mark.parametrize(("temporary", "active", "presented"), [
    (None, False, GOLD),          # no temporary number: its own, before the port too
    ("+441632970999", False, "+441632970999"),  # before the port: the temporary number
    ("+441632970999", True, GOLD),  # once the port is active: the ported number
])
def test_caller_id(temporary: str | None, active: bool, presented: str) -> None:
    customer = replace(CUSTOMER, temporary_number=temporary)
    assert presented_caller_id(GOLD, customer, active=active) == presented


def test_a_number_of_no_customer_presents_nothing() -> None:
    assert presented_caller_id(GOLD, None, active=True) is None


class Book:
    """A minimal AccountBook: a SimPy clock from EPOCH, the UK regime, a run state, a ledger."""

    EPOCH = datetime(2026, 11, 23, tzinfo=UTC)

    def __init__(self) -> None:
        self.env = simpy.Environment()
        self.regime = UK
        self.state = RunState([], ["callagenix"])
        self.ledger = Ledger(self.EPOCH.timestamp())

    def until(self, s: float) -> simpy.Timeout:
        return self.env.timeout(max(0.0, s - self.env.now))

    def sim_time(self, t: datetime) -> float:
        return t.timestamp() - self.EPOCH.timestamp()

    def at(self, t: datetime) -> float:
        return self.sim_time(t)


SUSPENDED_AT = datetime(2026, 11, 24, 9, tzinfo=UTC)


def test_a_suspension_holds_the_numbers_until_the_same_user_reconnects() -> None:
    book = Book()
    suspension = Suspension(SUSPENDED_AT, (GOLD, SILVER), datetime(2026, 12, 3, 10, tzinfo=UTC))
    book.env.process(suspend(book, CUSTOMER, suspension))
    book.env.run(until=book.at(datetime(2026, 11, 30, tzinfo=UTC)))
    # while suspended: out of service, and held (a port order of them is refused)
    assert book.state.status == {GOLD: NumberStatus.SUSPENDED, SILVER: NumberStatus.SUSPENDED}
    assert book.state.quarantined == {GOLD, SILVER}
    book.env.run(until=book.at(datetime(2026, 12, 31, tzinfo=UTC)))
    assert book.state.status == {} and book.state.quarantined == set()
    records = list(book.ledger.records())
    assert [(r["event"], r["state"]) for r in records] == [
        ("suspended", "suspended"), ("reconnected", "in_service"), ("charge", None)]
    assert records[0]["quarantine_from"] == "2026-12-24T09:00:00+00:00"
    assert (records[2]["kind"], records[2]["amount"], records[2]["currency"]) == (
        "reconnection", 20.0, "GBP")


def test_an_unpaid_suspension_ends_in_release() -> None:
    book = Book()
    book.env.process(suspend(book, CUSTOMER, Suspension(SUSPENDED_AT, (PLAIN,))))
    book.env.run(until=book.at(datetime(2027, 1, 1, tzinfo=UTC)))
    assert book.state.status == {PLAIN: NumberStatus.QUARANTINE}
    book.env.run(until=book.at(datetime(2028, 1, 1, tzinfo=UTC)))
    # free for another user: nobody answers it, and it is no longer held
    assert book.state.status == {PLAIN: NumberStatus.LOST} and book.state.quarantined == set()
    assert [r["event"] for r in book.ledger.records()] == ["suspended", "quarantined", "released"]


class MigrationBook(Book):
    """A Book whose emit records (event, state) and moves the run, as the model's does."""

    def __init__(self) -> None:
        super().__init__()
        self.emitted: list[tuple[str, str | None, dict]] = []

    def emit(self, event, run, state=None, numbers=None, **extra) -> None:
        if state is not None:
            run.state = state
        self.emitted.append((event, state, extra))


NGN = "+448081570200"
RESELLER_CUSTOMER = Customer(id="seaview", name="Seaview", account="A", address="X",
                             carrier="energis", numbers=(NGN,), reseller="CallStream")


def migration(**request: Any) -> PortRun:
    return PortRun(PortOrder(
        id="m", customer="seaview", numbers=(NGN,), losing="energis", gaining="callagenix",
        submitted=datetime(2026, 11, 24, 10, tzinfo=UTC), method="migration",
        requested_date=datetime(2026, 11, 25, 12, tzinfo=UTC),
        request=Request(account="A", name="Seaview", address="X", **request)))


def run_migration(book: MigrationBook, run: PortRun) -> list[bool]:
    done: list[bool] = []

    def process():
        done.append((yield from migrate(book, run, RESELLER_CUSTOMER)))

    book.env.process(process())
    book.env.run()
    return done


def test_a_migration_needs_only_written_authorisation_and_no_desk() -> None:
    book, run = MigrationBook(), migration()
    assert run_migration(book, run) == [True]
    # no desk and no lead time: migrated at the requested date; no change of serving network
    assert run.state == PortState.MIGRATED
    assert book.env.now == book.at(datetime(2026, 11, 25, 12, tzinfo=UTC)) == run.active_at
    assert [(e, s) for e, s, _ in book.emitted] == [("validated", "validated"),
                                                   ("migrated", "migrated")]
    assert book.emitted[1][2] == {"network": "energis", "reseller": "CallStream",
                                  "provider": "callagenix"}


def test_a_migration_without_written_authorisation_is_rejected() -> None:
    book, run = MigrationBook(), migration(written_authorisation=False)
    assert run_migration(book, run) == [False]
    assert book.emitted[0][:2] == ("rejected", "rejected")
    assert book.emitted[0][2]["reason"] == "no_written_authorisation"


def test_a_migrated_number_presents_its_own_caller_id() -> None:
    state = RunState([migration().order], ["energis"])
    scenario = types.SimpleNamespace(customers=(replace(RESELLER_CUSTOMER,
                                                        temporary_number=GOLD),))
    assert caller_id_in(scenario, state, NGN) == GOLD  # type: ignore[arg-type]
    state.runs["m"].state = PortState.MIGRATED
    assert caller_id_in(scenario, state, NGN) == NGN  # type: ignore[arg-type]


def test_nothing_is_charged_for_a_port_without_consent() -> None:
    # ANACOM FAQ 14: no fees or penalties for a number ported without the subscriber's consent
    unconsented = replace(ORDER, faults=(Fault(kind="no_consent"),))
    assert port_away_charges(unconsented, CUSTOMER, UK, PORTED) == []


SEPARATED = datetime(2026, 12, 14, 17, tzinfo=UTC)
BEFORE, AFTER = datetime(2026, 12, 4, tzinfo=UTC), datetime(2026, 12, 20, tzinfo=UTC)


@pytest.mark.parametrize(("dsl", "ignore", "at", "decision"), [
    (Dsl(same_line=False), False, BEFORE, ("proceed", None)),  # stand-alone DSL: no matter
    (Dsl(True, SEPARATED), False, BEFORE, ("hold", SEPARATED)),  # held until it is separated
    (Dsl(True, SEPARATED), False, AFTER, ("proceed", None)),     # already separated
    (Dsl(True), False, BEFORE, ("reject", None)),                # never separated: rejected
    (Dsl(True), True, BEFORE, ("lose", None)),                   # ported anyway: DSL lost
    (Dsl(True, SEPARATED), True, BEFORE, ("lose", None)),        # ... even if it would be
])
def test_dsl_on_the_same_line_holds_rejects_or_is_lost(dsl: Dsl, ignore: bool, at: datetime,
                                                       decision: tuple) -> None:
    assert dsl_decision(dsl, ignore=ignore, at=at) == decision


class DslBook(MigrationBook):
    EPOCH = BEFORE

    def wall(self, s: float) -> datetime:
        return datetime.fromtimestamp(self.EPOCH.timestamp() + s, UTC)


def run_dsl_check(customer: Customer) -> tuple[DslBook, list[bool]]:
    book, run, done = DslBook(), migration(), []

    def process():
        done.append((yield from check_dsl(book, run, customer)))

    book.env.process(process())
    book.env.run()
    return book, done


def test_a_port_is_held_until_the_dsl_is_separated() -> None:
    book, done = run_dsl_check(replace(RESELLER_CUSTOMER, dsl=Dsl(True, SEPARATED)))
    assert done == [True] and book.env.now == book.at(SEPARATED)
    assert [(e, s) for e, s, _ in book.emitted] == [("held", "held"), ("dsl_separated", None)]
    assert book.emitted[0][2] == {"reason": "dsl_on_line", "until": SEPARATED}


def test_a_port_with_dsl_never_separated_is_rejected() -> None:
    book, done = run_dsl_check(replace(RESELLER_CUSTOMER, dsl=Dsl(True)))
    assert done == [False]
    assert book.emitted[0][:2] == ("rejected", "rejected")
    assert book.emitted[0][2]["reason"] == "dsl_on_line"
