"""What the config tests share: the bundled scenarios, their views at checkpoints, a variant of
uk_gnp_weekend, and readers of the generated text."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from sim.model import simulate
from sim.scenario import Scenario, load_scenario, scenario_from_text
from sip_harness.config import RoutingView, routing_view

ROOT = Path(__file__).resolve().parents[4]
GOLDEN = ROOT / "tests" / "golden" / "asterisk"
UK = "uk_gnp_weekend"
BEFORE = datetime(2026, 11, 27, 12, tzinfo=UTC)
AFTER = datetime(2026, 11, 28, 6, tzinfo=UTC)
NAMES = ["uk_gnp_weekend", "uk_ngn_reseller_rollback", "pt_mobile_pvc", "us_foc_temporary_number"]

NESTED_RANGES = """\
ranges:
  - {prefix: "+44 16", holder: vodafone}
  - {prefix: "+44 1632 96", holder: bt}
  - {prefix: "+44 1632", holder: callagenix}
  - {prefix: "+44 1632 97", holder: callagenix}
  - {prefix: "+44 7700 900", holder: vodafone}
"""
UK_RANGES = """\
ranges:
  - {prefix: "+44 1632 96", holder: bt}
  - {prefix: "+44 1632 97", holder: callagenix}
  - {prefix: "+44 7700 900", holder: vodafone}
"""


@cache
def scenario(name: str) -> Scenario:
    return load_scenario(ROOT / "scenarios" / f"{name}.yaml")


@cache
def view(name: str, checkpoint: str) -> RoutingView:
    s = scenario(name)
    at = s.checkpoint(checkpoint).at
    return routing_view(s, simulate(s, until=at).routing.snapshot, at=at)


def view_of(s: Scenario, at: datetime) -> RoutingView:
    return routing_view(s, simulate(s, until=at).routing.snapshot, at=at)


def uk_with(replace: str = "", by: str = "", port_order_extra: str = "") -> Scenario:
    """uk_gnp_weekend with a piece of YAML replaced, and lines added to its port order."""
    text = (ROOT / "scenarios" / f"{UK}.yaml").read_text()
    if replace:
        assert replace in text
        text = text.replace(replace, by)
    anchor = ("    requested_date: 2026-11-28T00:00:00"
              "   # Saturday midnight, the usual weekend slot\n")
    assert anchor in text
    text = text.replace(anchor, anchor + port_order_extra)
    return scenario_from_text(text, name=UK)


def two_sites(sites: str = '      - {id: depot, numbers: ["01632 960003"]}\n') -> Scenario:
    """uk_gnp_weekend with ``sites`` for acme: by default +441632960003 at its depot, so
    +441632960002 stays on the main site's PBX trunk (+441632960001 has a mailbox: a phone)."""
    return uk_with("    authorised_signers: [Jane Holt]\n",
                   "    authorised_signers: [Jane Holt]\n    sites:\n" + sites)


def sections(conf: str) -> list[tuple[str, dict[str, str]]]:
    """pjsip.conf / voicemail.conf as (section, options) in order; names may repeat."""
    out: list[tuple[str, dict[str, str]]] = []
    for raw in conf.splitlines():
        line = raw.split(";", 1)[0].strip()
        if line.startswith("["):
            out.append((line[1:-1], {}))
        elif line:
            sep = "=>" if "=>" in line else "="
            key, value = line.split(sep, 1)
            out[-1][1][key.strip()] = value.strip()
    return out


def dialplan(conf: str) -> dict[str, list[tuple[str, str]]]:
    """extensions.conf as context -> [(extension, 'priority,App(args)')], 'same' lines kept."""
    contexts: dict[str, list[tuple[str, str]]] = {}
    current = ""
    for raw in conf.splitlines():
        line = raw.split(";", 1)[0].strip()
        if line.startswith("["):
            current = line[1:-1]
            contexts[current] = []
        elif line.startswith("exten =>"):
            exten, rest = line[len("exten =>"):].strip().split(",", 1)
            contexts[current].append((exten, rest))
        elif line.startswith("same =>"):
            contexts[current].append((contexts[current][-1][0], line[len("same =>"):].strip()))
    return contexts
