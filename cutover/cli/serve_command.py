"""``cutover serve``: the number-portability query server (SIP 302 with rn/npdi, ENUM NAPTR)."""

from __future__ import annotations

__all__ = ["serve"]

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from cutover.cli.options import EXIT_OK, INSTANT, BadInput, load_scenario_file


@click.command(short_help="Answer number-portability queries over SIP (302) and ENUM (NAPTR).")
@click.argument("scenario_path", metavar="SCENARIO")
@click.option("--sip", "sip_address", default=None, metavar="HOST:PORT",
              help="UDP address to answer SIP on, e.g. 127.0.0.1:5070.")
@click.option("--dns", "dns_address", default=None, metavar="HOST:PORT",
              help="UDP address to answer ENUM (NAPTR under e164.arpa) on, e.g. "
              "127.0.0.1:5353; beside --sip or alone, from the same snapshots.")
@click.option("--at", "at", type=INSTANT, default=None,
              help="Instant of the routing state served first (ISO-8601; default: the start).")
@click.option("--seed", type=int, default=None, help="Override the scenario's seed.")
@click.option("--follow", default=None, metavar="SOURCE",
              help="'scenario': play the simulation on from --at at --speed and publish its "
              "routing changes; or a file of JSON lines ({number, carrier}, or the records "
              "of events.jsonl), '-' for stdin, each line published as it arrives.")
@click.option("--speed", type=float, default=3600.0, show_default=True,
              help="Simulated seconds per wall-clock second with --follow scenario.")
@click.option("--max-staleness", type=float, default=None, metavar="SECONDS",
              help="With --follow FILE: refuse numbers (SIP 503, DNS SERVFAIL) while the feed "
              "has said nothing, not even {\"heartbeat\": ...}, for SECONDS.")
@click.option("--duration", type=float, default=None, metavar="SECONDS",
              help="Stop after SECONDS (default: run until interrupted).")
def serve(scenario_path: str, sip_address: str | None, dns_address: str | None,
          at: datetime | None, seed: int | None, follow: str | None, speed: float,
          max_staleness: float | None, duration: float | None) -> int:
    """Answer INVITEs for SCENARIO's numbers with 302 (Contact tel URI with rn and npdi),
    404 when unallocated, 400 when malformed; OPTIONS with 200. With --dns, answer ENUM
    NAPTR queries (E2U+pstn:tel) the same way. Prints a JSON report at exit.
    """
    if sip_address is None and dns_address is None:
        raise BadInput("give --sip HOST:PORT, --dns HOST:PORT or both")
    scenario = load_scenario_file(scenario_path)
    instant = scenario.instant(at=at)
    if follow not in (None, "scenario", "-") and not Path(follow).exists():
        raise BadInput(f"--follow {follow}: no such file")
    if speed <= 0 or (duration is not None and duration <= 0) or (
            max_staleness is not None and max_staleness <= 0):
        raise BadInput("--speed, --duration and --max-staleness must be positive")
    if max_staleness is not None and follow in (None, "scenario"):
        raise BadInput("--max-staleness needs --follow FILE (a feed that can fall silent)")
    from sip_harness.npserver import server as npserver

    host, port = (None, 0) if sip_address is None else npserver.parse_address(sip_address)
    dns = None if dns_address is None else npserver.parse_address(dns_address, "--dns")

    def ready(server: Any, core: Any) -> None:
        click.echo(f"serving {scenario.name} on {server.address[0]}:{server.address[1]}/udp "
                   f"({server.protocol}): version {core.version}, {core.ported_count} ported "
                   f"numbers at {instant.isoformat()}", err=True)

    report = npserver.serve_scenario(scenario, host=host, port=port, dns=dns, at=instant,
                                     seed=seed, follow=follow, speed=speed, duration=duration,
                                     ready=ready, max_staleness=max_staleness)
    click.echo(json.dumps(report.to_json(), ensure_ascii=False))
    return EXIT_OK
