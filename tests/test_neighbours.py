"""Is the host there at all: the look at other ports when the WinRM port does not connect, on loopback only."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from core import Application, DestinationOptions, MIResult
from core.cli import main as cli_main
from core.demo import options_for
from core.diagnosis import Diagnosis
from core.lab import Lab
from core.lab._server import Blackhole, free_port
from core.neighbours import look, look_seconds, usual_ports
from core.wire import Interrupter, StopReason


@pytest.fixture
def listener() -> Iterator[int]:
    """A port that accepts connections (the kernel completes the handshake; nobody needs to accept)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


@pytest.fixture
def holes() -> Iterator[list[int]]:
    """Two ports whose connects are never answered, as behind a dropping firewall."""
    made = [Blackhole(), Blackhole()]
    yield [hole.port for hole in made]
    for hole in made:
        hole.close()


def run(url: str, options: DestinationOptions) -> Diagnosis:
    with Application() as app, app.new_session(url, options=options) as session, session.test_connection() as op:
        op.get_instance()
        return op.diagnosis


def test_the_usual_ports_are_windows_own_and_the_other_winrm_port() -> None:
    assert usual_ports(5985) == (445, 135, 3389, 5986)
    assert usual_ports(5986) == (445, 135, 3389, 5985)
    assert usual_ports(8080) == (445, 135, 3389, 5985, 5986)
    # A short share of the test: never more than 1.5 s, nor 15 % of a short timeout.
    assert look_seconds(10.0) == 1.5 and look_seconds(2.0) == pytest.approx(0.3)


def test_a_look_tells_open_refused_and_silent_ports_apart(listener: int, holes: list[int]) -> None:
    refused = free_port()
    interrupter = Interrupter()
    started = time.monotonic()
    found = look(socket.AF_INET, ("127.0.0.1", 0), (holes[0], listener, refused), started + 5.0, interrupter)
    assert found is not None
    assert (found.open, found.closed, found.silent) == ((listener,), (refused,), (holes[0],))
    assert found.host_up and found.answering == f"{listener}, {refused}"
    assert found.note() == (f"Other ports: {listener} accepts connections; {refused} refuses; {holes[0]} does not "
                            f"answer within {found.seconds:.2g} s — the host is up.")
    # Once ports have answered, the silent one is not waited for until the end of the time given.
    assert found.seconds < 5.0


def test_a_look_where_nothing_answers_says_so(holes: list[int]) -> None:
    found = look(socket.AF_INET, ("127.0.0.1", 0), tuple(holes), time.monotonic() + 0.3, Interrupter())
    assert found is not None and not found.host_up and found.silent == tuple(holes)
    assert found.note().endswith("— nothing at this address answers.")


def test_a_firewalled_winrm_port_on_a_host_that_is_up_is_filtered_not_no_answer(lab: Lab) -> None:
    endpoint = lab.endpoint("blackhole")
    options = options_for(endpoint, lab, timeout=2.0)
    diagnosis = run(endpoint.url, options)
    failure = diagnosis.failure
    assert failure is not None and failure.kind == "tcp.filtered" and diagnosis.failed_stage == "tcp"
    # Loopback refuses the usual Windows ports (nothing listens there): the host answers, so it is up.
    assert failure.problem.startswith(f"Port {endpoint.port} filtered — host up (445, 135, 3389")
    assert any(note.startswith("Other ports: ") and "the host is up" in note for note in diagnosis.notes)
    assert any("New-NetFirewallRule" in fix.command and str(endpoint.port) in fix.command for fix in failure.fixes)
    assert diagnosis.elapsed_ms < options.timeout * 1000  # inside the test's own deadline, never past it


def test_nothing_answering_at_all_is_host_down_within_the_deadline(lab: Lab) -> None:
    endpoint = lab.endpoint("host-down")
    options = options_for(endpoint, lab, timeout=2.0)
    assert len(options.look_ports) == 2  # the lab's other silent ports: loopback itself would answer
    diagnosis = run(endpoint.url, options)
    assert diagnosis.failure is not None and diagnosis.failure.kind == "tcp.host_down"
    assert diagnosis.failure.problem == "Nothing answers — host off, asleep or wrong address"
    assert diagnosis.stage("tcp").detail == "no answer; nothing answers"
    assert diagnosis.elapsed_ms < options.timeout * 1000


def test_a_refused_port_keeps_its_kind_and_gains_a_note(lab: Lab, listener: int) -> None:
    endpoint = lab.endpoint("refused")
    diagnosis = run(endpoint.url, options_for(endpoint, lab)._replace(look_ports=(listener,)))
    assert diagnosis.failure is not None and diagnosis.failure.kind == "tcp.refused"
    assert diagnosis.notes == (f"Other ports: {listener} accepts connections — the host is up.",)


def test_switched_off_there_is_no_look_and_the_old_verdict(lab: Lab) -> None:
    endpoint = lab.endpoint("blackhole")
    diagnosis = run(endpoint.url, options_for(endpoint, lab, timeout=1.0)._replace(port_look=False))
    assert diagnosis.failure is not None and diagnosis.failure.kind == "tcp.timeout"
    assert diagnosis.notes == ()


def test_cancel_stops_a_look_in_flight(lab: Lab, holes: list[int]) -> None:
    # Refused at once, then the look waits on two silent ports: cancel it there.
    options = DestinationOptions(timeout=10.0, look_ports=tuple(holes))
    with Application() as app, app.new_session(lab.url("refused"), options=options) as session:
        op = session.test_connection()
        time.sleep(0.3)
        assert not op.done  # still looking (up to 1.5 s)
        started = time.monotonic()
        op.cancel()
        result = op.get_instance()
        assert time.monotonic() - started < 0.5
        assert op.diagnosis.cancelled and result.result_code is MIResult.FAILED
        op.close()


def test_a_look_returns_nothing_once_its_test_is_cancelled(holes: list[int]) -> None:
    interrupter = Interrupter()
    threading.Timer(0.1, interrupter.interrupt, (StopReason.CANCELLED,)).start()
    started = time.monotonic()
    assert look(socket.AF_INET, ("127.0.0.1", 0), tuple(holes), started + 5.0, interrupter) is None
    assert time.monotonic() - started < 1.0


def test_bad_look_ports_are_named() -> None:
    diagnosis = run("127.0.0.1", DestinationOptions(look_ports=(0, 445)))
    assert diagnosis.failure is not None and diagnosis.failure.message.startswith("look_ports: ")


def test_the_cli_says_filtered_and_can_switch_the_look_off(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    url = lab.url("blackhole")
    assert cli_main(["check", url, "--timeout", "1", "--json"]) == 1
    looked = json.loads(capsys.readouterr().out)
    assert looked["error"]["kind"] == "tcp.filtered" and looked["notes"][0].startswith("Other ports: ")
    assert cli_main(["check", url, "--timeout", "1", "--json", "--no-port-look"]) == 1
    plain = json.loads(capsys.readouterr().out)
    assert plain["error"]["kind"] == "tcp.timeout" and plain["notes"] == []
