"""Which clock is off, by how much, and how it can be told, when a server refuses a ticket for the time.

Kerberos tolerates five minutes between the clocks of the client, the domain controller (KDC) and the server. Three
readings are at hand: the server's own clock, in the ``Date`` header of its 401 (HTTP.sys sends one; one second's
resolution); the KDC's, as the offset MIT measured during a logon with a password (``krb5_get_time_offsets``; MIT
then uses the KDC's time, so this PC's own clock cannot cause the refusal); and this PC's. In a domain the domain
controllers' time is the reference, so the clock that disagrees with it is the one to correct.
"""

from __future__ import annotations

import time

AGREE = 60.0  # seconds within which two clocks count as agreeing (the Date header has a second's resolution)


def duration(seconds: float) -> str:
    """``10 min``, ``2 h 5 min``, ``45 s``."""
    seconds = round(abs(seconds))
    if seconds >= 120:  # a Date header reads to the second: 599 s apart is "10 min", not "9 min 59 s"
        seconds = round(seconds, -1)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {secs} s" if secs and minutes < 10 else f"{minutes} min"
    return f"{secs} s"


def _clock(epoch: float) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(epoch)) + " UTC"


def server_offset(date_header: str | None, now: float | None = None) -> float | None:
    """Seconds the server's clock is ahead of this PC's, by its ``Date`` header (None: none, or unreadable)."""
    if not date_header:
        return None
    from email.utils import parsedate_to_datetime  # only here: email costs a check that never meets a skew ~7 ms

    try:
        stamp = parsedate_to_datetime(date_header).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    return stamp - (time.time() if now is None else now)


def story(server_ahead: float | None, kdc_ahead: float | None, now: float | None = None) -> str:
    """The sentence that says which clock is off: ``server_ahead`` and ``kdc_ahead`` are seconds ahead of this PC."""
    now = time.time() if now is None else now
    if server_ahead is not None and kdc_ahead is not None:
        apart = server_ahead - kdc_ahead
        told = (f"the server's Date header says {_clock(now + server_ahead)}; the domain controller's time, from "
                f"this PC's logon, is {_clock(now + kdc_ahead)}")
        if abs(apart) < AGREE:
            return f"The server and the domain controller agree ({told}): this PC's clock may be the one that is off."
        way = "ahead of" if apart > 0 else "behind"
        if abs(server_ahead) < AGREE:
            pc = "This PC agrees with the server."
        elif abs(kdc_ahead) < AGREE:
            pc = "This PC agrees with the domain controller."
        else:
            pc = "This PC's clock agrees with neither."
        return f"The server's clock is {duration(apart)} {way} the domain controller's ({told}). {pc}"
    if server_ahead is not None:
        told = f"the server's Date header says {_clock(now + server_ahead)}"
        if abs(server_ahead) < AGREE:
            return (f"The server's clock agrees with this PC's ({told}), so the domain controller's clock is the "
                    "likely one to be off; a test with a password would measure it.")
        way = "ahead of" if server_ahead > 0 else "behind"
        return f"The server's clock is {duration(server_ahead)} {way} this PC's ({told})."
    if kdc_ahead is not None and abs(kdc_ahead) >= AGREE:
        way = "ahead of" if kdc_ahead > 0 else "behind"
        return f"The domain controller's clock is {duration(kdc_ahead)} {way} this PC's; the server sent no Date."
    return "Which clock is off cannot be told from here: the server sent no Date header."


__all__ = ["duration", "server_offset", "story"]
