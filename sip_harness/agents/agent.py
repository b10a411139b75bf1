"""The one pjsua2 Endpoint of a process: carrier trunks, customer phones and callers as UAs.

One thread (the pump) creates the Endpoint, owns every pjsua2 object and is the only thread
that calls pjsua2: ``uaConfig.threadCnt = 0`` and ``mainThreadOnly = True``, so PJSIP has no
threads of its own and delivers every callback inside ``libHandleEvents`` on the pump. Other
threads hand work to the pump (:meth:`SIPAgent._on_pump`) and wait for what they need (an
arrival, a call state, digits) on one condition, each wait bounded by a timeout: the agent is a
:class:`~sip_harness.agents.callboard.CallBoard`, which holds that state and the waits.

Lifetimes are explicit: a :class:`_PjCall` is held in ``_calls`` while it lives and deleted on
the pump once it is disconnected, players and recorders are deleted with their call, and
:meth:`close` hangs up and deletes every call, player and account before ``libDestroy``. The
garbage collector never destroys a pjsua2 object, and nothing is left at shutdown.

The PyPI wheel (``pjsua2-python`` 2.15.1.post1) is compiled with pjsua's defaults: at most
:data:`MAX_CALLS` calls, :data:`MAX_UAS` transports and accounts per process, whatever
``uaConfig.maxCalls`` says (it is raised anyway). Many numbers therefore need several processes,
each with its own agent: :mod:`sip_harness.agents.fleet`.

Everything here takes and returns plain data (ids, dicts, strings), so an agent can be served to
another process. pjsua2's errors become the project's at one boundary,
:func:`~sip_harness.agents.pjerrors.translate_error`.

Not run as a doctest: the call needs a running Asterisk (tests/integration/ places real ones).

>>> agent = SIPAgent()                                                   # doctest: +SKIP
>>> agent.add_ua("vodafone", "127.0.1.3", 0)                             # doctest: +SKIP
>>> call = agent.call("vodafone", "sip:+441632960001@127.0.0.1:5060")   # doctest: +SKIP
>>> agent.wait_call(call, "final", timeout=15)["status"]                 # doctest: +SKIP
200
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from sim.errors import HarnessError, HarnessTimeout, SIPCallError
from sip_harness.agents.audio import write_tone_wav
from sip_harness.agents.callboard import CallBoard, CallState
from sip_harness.agents.invite import Arrival, parse_invite, user_part
from sip_harness.agents.pjclasses import PjAccount as _PjAccount
from sip_harness.agents.pjclasses import PjCall as _PjCall
from sip_harness.agents.pjclasses import PjEndpoint as _PjEndpoint
from sip_harness.agents.pjerrors import (
    ERROR_MAP,
    MAX_CALLS,
    MAX_UAS,
    PJ_ETIMEDOUT,
    PJ_ETOOMANY,
    call_error,
    translate_error,
)
from sip_harness.config.dialplan import CALL_TAG
from sip_harness.patience import patience

__all__ = ["SIPAgent", "Arrival", "ERROR_MAP", "translate_error", "call_error", "write_tone_wav",
           "MAX_CALLS", "MAX_UAS", "DEFAULT_REJECT", "PJ_ETIMEDOUT", "CALL_TAG_HEADER"]

_T = TypeVar("_T")

#: What a carrier trunk answers by default once it has recorded the call: Busy Here, at once,
#: so a trunk never holds one of its few call slots.
DEFAULT_REJECT = 486
#: The correlation header a call may carry: the dialplan copies it onto the delivered INVITE.
CALL_TAG_HEADER = CALL_TAG[0]
_PUMP_MS = 5
_SETTLE = 2.0  # seconds the pump gives hung-up calls to finish before the Endpoint goes


class SIPAgent(CallBoard):
    """This process's pjsua2 Endpoint and its UAs. Thread-safe; see the module docstring."""

    def __init__(self, *, rtp_port: int = 4000, log_level: int = 0) -> None:
        super().__init__()  # the condition, call states, arrivals, max_live
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
        self._calls: dict[int, Any] = {}          # id -> _PjCall, pump-owned
        self._players: dict[int, list[Any]] = {}  # call id -> players, recorders
        self._dead: list[Any] = []                # disconnected calls to delete on the pump
        self._uas: dict[str, Any] = {}            # name -> _PjAccount, pump-owned
        self._hosts: dict[tuple[str, int], str] = {}
        self._policies: dict[str, str] = {}
        self._ids = itertools.count(1)
        self._stopping = False
        self._rtp_port = rtp_port
        self._log_level = log_level
        self._started: Future[None] = Future()
        self._thread = threading.Thread(target=self._pump, name="pjsua2-pump", daemon=True)
        self._thread.start()
        self._started.result(timeout=patience(20.0))

    # --- the pump ------------------------------------------------------------------------

    def _pump(self) -> None:
        try:
            import pjsua2 as pj

            self._pj = pj
            self._ep = ep = _PjEndpoint(self)
            ep.libCreate()
            cfg = pj.EpConfig()
            cfg.uaConfig.threadCnt = 0
            cfg.uaConfig.mainThreadOnly = True
            cfg.uaConfig.maxCalls = 256  # capped by the wheel's PJSUA_MAX_CALLS (MAX_CALLS)
            cfg.uaConfig.userAgent = "cutover-harness"
            cfg.logConfig.level = self._log_level
            cfg.logConfig.consoleLevel = self._log_level
            cfg.medConfig.clockRate = 8000
            cfg.medConfig.sndClockRate = 8000
            cfg.medConfig.noVad = True
            # The null sound device clocks the conference bridge, which sends RTP and RFC 4733
            # digits; closed when idle, a call with nothing playing would fall silent.
            cfg.medConfig.sndAutoCloseTime = -1
            ep.libInit(cfg)
            ep.audDevManager().setNullDev()
            ep.libStart()
        except Exception as exc:  # noqa: BLE001 - handed to the creating thread
            self._started.set_exception(translate_error(exc, "starting pjsua2"))
            return
        self._started.set_result(None)
        while True:
            self._run_jobs()
            with self._cond:
                if self._stopping and not self._calls:
                    break
            ep.libHandleEvents(_PUMP_MS)
            self._bury()
        self._destroy()

    def _run_jobs(self) -> None:
        while True:
            try:
                job, future = self._jobs.get_nowait()
            except queue.Empty:
                return
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(job())
                except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
                    future.set_exception(exc)

    def _on_pump(self, job: Callable[[], _T], doing: str, timeout: float = 10.0) -> _T:
        """Run ``job`` on the pump and return its result; pjsua2 errors become ours."""
        if threading.current_thread() is self._thread:
            return job()
        if not self._thread.is_alive():
            raise HarnessError(f"{doing}: the pjsua2 agent has stopped")
        future: Future[_T] = Future()
        self._jobs.put((job, future))
        try:
            return future.result(timeout=patience(timeout))
        except TimeoutError as exc:
            future.cancel()
            raise HarnessTimeout(f"{doing}: the pjsua2 agent did not respond within "
                                 f"{timeout:.0f} s") from exc
        except Exception as exc:
            raise translate_error(exc, doing) from exc

    def _bury(self) -> None:
        """Delete disconnected calls and their players, on the pump, outside callbacks."""
        while self._dead:
            call = self._dead.pop()
            for player in self._players.pop(call.cid, []):
                del player
            del call

    def _destroy(self) -> None:
        self._bury()
        for cid in list(self._players):
            self._players.pop(cid)
        for account in self._uas.values():
            account.shutdown()
        self._uas.clear()
        self._ep.libDestroy()
        del self._ep

    # --- lifecycle -----------------------------------------------------------------------

    def close(self, timeout: float = 10.0) -> None:
        """Hang up every call, delete every pjsua2 object, destroy the Endpoint. Idempotent."""
        if not self._thread.is_alive():
            return
        try:
            self._on_pump(self._hangup_all, "hanging up all calls")
        except HarnessError:
            pass
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        deadline = time.monotonic() + _SETTLE
        self._thread.join(timeout=max(deadline - time.monotonic(), 0.1))
        if self._thread.is_alive():  # calls that would not end: drop them, then destroy
            self._on_pump(self._forget_calls, "dropping calls", timeout=timeout)
            self._thread.join(timeout=timeout)

    def _hangup_all(self) -> None:
        self._ep.hangupAllCalls()

    def _forget_calls(self) -> None:
        self._dead.extend(self._calls.values())
        self._calls.clear()

    def interrupt(self, reason: str) -> None:
        """Make every current and later wait raise HarnessError(reason); hang up all calls."""
        with self._cond:
            self._interrupted = reason
            self._cond.notify_all()
        try:
            self._on_pump(self._hangup_all, "hanging up all calls", timeout=5)
        except HarnessError:
            pass

    def resume(self) -> None:
        """Undo :meth:`interrupt`; forget what arrived before."""
        with self._cond:
            self._interrupted = None
            self._arrivals.clear()
            self._refusals.clear()

    # --- UAs -----------------------------------------------------------------------------

    def add_ua(self, name: str, host: str, port: int, *, user: str | None = None,
               trunk: bool = False) -> int:
        """A UDP transport bound to ``host:port`` (0: any port) and a local account on it.

        Returns the bound port. Raises HarnessError beyond :data:`MAX_UAS` or when the address
        is taken.
        """
        if name in self._uas:
            raise HarnessError(f"a UA called {name!r} exists already")
        if len(self._uas) >= MAX_UAS:
            raise HarnessError(f"at most {MAX_UAS} UAs per pjsua2 process; {name} is one more")
        return self._on_pump(lambda: self._add_ua(name, host, port, user or name, trunk),
                             f"binding {name} to {host}:{port}")

    def _add_ua(self, name: str, host: str, port: int, user: str, trunk: bool) -> int:
        pj = self._pj
        tcfg = pj.TransportConfig()
        tcfg.boundAddress = host
        tcfg.port = port
        tid = self._ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tcfg)
        bound = int(self._ep.transportGetInfo(tid).localName.rsplit(":", 1)[1])
        acfg = pj.AccountConfig()
        acfg.idUri = f"sip:{user}@{host}:{bound}"
        acfg.sipConfig.transportId = tid
        acfg.mediaConfig.transportConfig.boundAddress = host
        acfg.mediaConfig.transportConfig.port = self._rtp_port
        acfg.mediaConfig.transportConfig.portRange = 200
        account = _PjAccount(self, name)
        account.trunk = trunk
        account.create(acfg)
        self._uas[name] = account
        self._hosts[(host, bound)] = name
        return bound

    def set_policy(self, caller: str, action: str) -> None:
        """How a UA here answers calls from ``caller`` (From user): ``answer``, ``ring`` or a
        status such as ``486``. Default: phones answer, carrier trunks reject (486)."""
        with self._cond:
            self._policies[caller] = action

    def clear_policy(self, caller: str) -> None:
        with self._cond:
            self._policies.pop(caller, None)

    # --- calls ---------------------------------------------------------------------------

    def call(self, ua: str, uri: str, *, caller: str | None = None, tag: str | None = None) -> int:
        """Place a call from ``ua`` to ``uri`` (From user ``caller``); return the call's id.

        ``tag``: sent as ``X-Cutover-Call``, which the dialplan copies onto the delivered
        INVITE, so the arrival is known to be this call's (:data:`CALL_TAG_HEADER`)."""
        if ua not in self._uas:
            raise HarnessError(f"no UA called {ua!r} in this agent")

        def free_slot() -> bool | None:  # a call that is ending still holds its slot
            live = sum(1 for s in self._states.values() if s.state != "disconnected")
            return True if live < MAX_CALLS else None
        deadline = time.monotonic() + patience(20.0)
        while True:
            self._wait(free_slot, max(deadline - time.monotonic(), 0.0),
                       f"a free call slot (at most {MAX_CALLS} per process)")
            cid = self._on_pump(lambda: self._call(ua, uri, caller, tag),
                                f"calling {uri} from {ua}")
            if cid is not None:
                return cid
            # pjsua frees an ended call's slot a moment after it reports it disconnected
            with self._cond:
                self._cond.wait(0.05)
            if time.monotonic() >= deadline:
                raise SIPCallError(f"calling {uri} from {ua}: no free call slot in 20 s "
                                   f"(at most {MAX_CALLS} per process)")

    def _call(self, ua: str, uri: str, caller: str | None, tag: str | None = None
              ) -> int | None:
        """Place the call; None when pjsua has no free slot yet (the caller retries)."""
        pj = self._pj
        account = self._uas[ua]
        cid = next(self._ids)
        call = _PjCall(self, cid, ua, account)
        prm = pj.CallOpParam(True)
        if caller is not None:
            host = account.getInfo().uri.split("@", 1)[1]
            prm.txOption.localUri = f"sip:{caller}@{host}"
        if tag is not None:
            header = pj.SipHeader()
            header.hName, header.hValue = CALL_TAG_HEADER, tag
            prm.txOption.headers.append(header)
        self._track(call)
        try:
            call.makeCall(uri, prm)
        except BaseException as exc:
            self._calls.pop(cid, None)
            with self._cond:
                self._states.pop(cid, None)
            self._dead.append(call)
            if getattr(exc, "status", None) == PJ_ETOOMANY:
                return None
            raise
        return cid

    def _track(self, call: Any) -> None:
        self._calls[call.cid] = call
        with self._cond:
            self._states[call.cid] = CallState(call.cid, call.ua)
            self.max_live = max(self.max_live, len(self._calls))

    def answer(self, cid: int, status: int = 200) -> None:
        """Answer an incoming call with ``status`` (180 rings, 200 answers, >=300 rejects)."""
        self._with_call(cid, "answering", lambda c: c.answer(self._op(status)))

    def hangup(self, cid: int) -> None:
        """Hang up (or cancel) a call; nothing happens if it has already ended."""
        self._with_call(cid, "hanging up", lambda c: c.hangup(self._op(603)), missing_ok=True)

    def send_dtmf(self, cid: int, digits: str) -> None:
        """Send ``digits`` as RFC 4733 telephone events on a confirmed call."""
        self._with_call(cid, f"sending DTMF {digits}", lambda c: c.dialDtmf(digits))

    def play(self, cid: int, wav: str) -> None:
        """Play the WAV file ``wav`` into the call (once, no loop)."""
        self._with_call(cid, f"playing {Path(wav).name}", lambda c: self._play(c, wav))

    def record(self, cid: int, wav: str) -> None:
        """Record what call ``cid`` receives into the WAV file ``wav`` (16-bit, 8 kHz), written
        as it arrives, until the call ends."""
        self._with_call(cid, f"recording into {Path(wav).name}", lambda c: self._record(c, wav))

    def stream_stats(self, cid: int) -> dict[str, Any]:
        """RTP figures of call ``cid``'s audio stream so far (pjsua2's stream statistics):
        packets sent and received, packets lost, and the receive jitter (ms, mean and max)."""
        out: dict[str, Any] = {}
        self._with_call(cid, "reading stream statistics",
                        lambda c: out.update(self._stream_stats(c)))
        return out

    def _stream_stats(self, call: Any) -> dict[str, Any]:
        pj = self._pj
        info = call.getInfo()  # held: its media vector dies with it
        index = next((i for i, m in enumerate(info.media) if m.type == pj.PJMEDIA_TYPE_AUDIO),
                     None)
        if index is None:
            return {}
        rtcp = call.getStreamStat(index).rtcp
        tx, rx = rtcp.txStat, rtcp.rxStat
        return {"tx_packets": int(tx.pkt), "rx_packets": int(rx.pkt), "rx_lost": int(rx.loss),
                "rx_jitter_ms": round(rx.jitterUsec.mean / 1000, 2),
                "rx_jitter_max_ms": round(rx.jitterUsec.max / 1000, 2)}

    def _record(self, call: Any, wav: str) -> None:
        recorder = self._pj.AudioMediaRecorder()
        recorder.createRecorder(wav)
        self._players.setdefault(call.cid, []).append(recorder)
        call.getAudioMedia(-1).startTransmit(recorder)

    def _play(self, call: Any, wav: str) -> None:
        pj = self._pj
        player = pj.AudioMediaPlayer()
        player.createPlayer(wav, pj.PJMEDIA_FILE_NO_LOOP)
        self._players.setdefault(call.cid, []).append(player)
        player.startTransmit(call.getAudioMedia(-1))

    def _op(self, status: int) -> Any:
        prm = self._pj.CallOpParam()
        prm.statusCode = status
        return prm

    def _with_call(self, cid: int, doing: str, job: Callable[[Any], object], *,
                   missing_ok: bool = False) -> None:
        def run() -> None:
            call = self._calls.get(cid)
            if call is None:
                if missing_ok:
                    return
                state = self._states.get(cid)
                raise call_error(state.snapshot() if state else {}, f"{doing} call {cid}: "
                                 "the call has ended")
            job(call)
        self._on_pump(run, f"{doing} call {cid}")

    # --- callbacks (pump thread) -----------------------------------------------------------

    def _refused(self, prm: Any) -> None:
        """pjsua answered an INVITE itself (486 once :data:`MAX_CALLS` calls are held): kept
        as a refusal, not an arrival, so a check can tell the harness's fault from routing."""
        uri, headers = parse_invite(prm.rdata.wholeMsg)
        host_port = uri.split("@", 1)[-1].split(";", 1)[0].split(">", 1)[0]
        host, _, port = host_port.partition(":")
        try:
            at = self._hosts.get((host, int(port or 5060)), "")
        except ValueError:
            at = ""
        refusal = Arrival(ua=at, uri=uri, user=user_part(uri) or uri,
                          from_user=user_part(headers.get("from", "")), pai_user=None,
                          source=str(prm.rdata.srcAddress), headers=headers,
                          answered=int(prm.statusCode))
        with self._cond:
            self._refusals.append(refusal)
            self._cond.notify_all()

    def _incoming(self, account: Any, prm: Any) -> None:
        call = _PjCall(self, next(self._ids), account.name, account, prm.callId)
        self._track(call)
        uri, headers = parse_invite(prm.rdata.wholeMsg)
        host_port = uri.split("@", 1)[-1].split(";", 1)[0].split(">", 1)[0]
        host, _, port = host_port.partition(":")
        at = self._hosts.get((host, int(port or 5060)), account.name)
        pai = headers.get("p-asserted-identity")
        arrival = Arrival(ua=at, uri=uri, user=user_part(uri) or uri, from_user=user_part(
            headers.get("from", "")), pai_user=user_part(pai) if pai else None,
            source=str(prm.rdata.srcAddress), headers=headers, call=call.cid)
        with self._cond:
            policy = self._policies.get(arrival.from_user)
        if policy is None:
            policy = "answer" if account.name == at and not account.trunk else str(DEFAULT_REJECT)
        status = {"answer": 200, "ring": 180}.get(policy) or int(policy)
        arrival.answered = status
        with self._cond:
            self._arrivals.append(arrival)
            self._cond.notify_all()
        call.answer(self._op(status))

    def _state_changed(self, call: Any) -> None:
        pj = self._pj
        info = call.getInfo()
        names = {pj.PJSIP_INV_STATE_EARLY: "early", pj.PJSIP_INV_STATE_CONNECTING: "early",
                 pj.PJSIP_INV_STATE_CONFIRMED: "confirmed",
                 pj.PJSIP_INV_STATE_DISCONNECTED: "disconnected"}
        with self._cond:
            state = self._states.get(call.cid)
            if state is None:
                return
            state.state = names.get(info.state, "calling")
            state.status, state.reason = int(info.lastStatusCode), str(info.lastReason)
            state.confirmed = state.confirmed or state.state == "confirmed"
            self._cond.notify_all()
        if info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self._calls.pop(call.cid, None)
            self._dead.append(call)

    def _media_changed(self, call: Any) -> None:
        pj = self._pj
        info = call.getInfo()
        active = any(m.type == pj.PJMEDIA_TYPE_AUDIO and m.status == pj.PJSUA_CALL_MEDIA_ACTIVE
                     for m in info.media)
        with self._cond:
            if call.cid in self._states:
                self._states[call.cid].media = active
                self._cond.notify_all()

    def _digit(self, call: Any, digit: str) -> None:
        with self._cond:
            if call.cid in self._states:
                self._states[call.cid].digits += digit
                self._cond.notify_all()
