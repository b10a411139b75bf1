"""The pjsua2 Endpoint, Account and Call subclasses of :class:`~sip_harness.agents.agent.SIPAgent`.

Each callback hands the event to the agent that made the object (``_refused``, ``_incoming``,
``_state_changed``, ``_media_changed``, ``_digit``), on the pump thread. pjsua2 is imported and
subclassed on first use, so importing this module stays light.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PjEndpoint", "PjAccount", "PjCall"]


def _pj_classes() -> tuple[type, type, type]:
    import pjsua2 as pj

    class PjEndpoint(pj.Endpoint):  # type: ignore[misc]
        def __init__(self, agent: Any) -> None:
            super().__init__()
            self.agent = agent

        def onRejectedIncomingCall(self, prm: Any) -> None:  # noqa: N802 - pjsua2's name
            # pjsua refused an INVITE itself, before any account saw it (all its call slots
            # taken: it answers 486 and no onIncomingCall runs)
            self.agent._refused(prm)

    class PjAccount(pj.Account):  # type: ignore[misc]
        def __init__(self, agent: Any, name: str) -> None:
            super().__init__()
            self.agent, self.name, self.trunk = agent, name, False

        def onIncomingCall(self, prm: Any) -> None:  # noqa: N802 - pjsua2's name
            self.agent._incoming(self, prm)

    class PjCall(pj.Call):  # type: ignore[misc]
        def __init__(self, agent: Any, cid: int, ua: str, account: Any,
                     call_id: int = pj.PJSUA_INVALID_ID) -> None:
            super().__init__(account, call_id)
            self.agent, self.cid, self.ua = agent, cid, ua

        def onCallState(self, prm: Any) -> None:  # noqa: N802
            self.agent._state_changed(self)

        def onCallMediaState(self, prm: Any) -> None:  # noqa: N802
            self.agent._media_changed(self)

        def onDtmfDigit(self, prm: Any) -> None:  # noqa: N802
            self.agent._digit(self, str(prm.digit))

    return PjEndpoint, PjAccount, PjCall


class _Lazy:
    """pjsua2's classes are subclassed on first use, so importing this module stays light."""

    def __init__(self, index: int) -> None:
        self.index = index

    def __call__(self, *args: Any) -> Any:
        global _CLASSES
        if _CLASSES is None:
            _CLASSES = _pj_classes()
        return _CLASSES[self.index](*args)


_CLASSES: tuple[type, type, type] | None = None
#: Make a pjsua2 Endpoint / Account / Call subclass whose callbacks go to the agent (the pump
#: thread).
PjEndpoint = _Lazy(0)
PjAccount = _Lazy(1)
PjCall = _Lazy(2)
