"""What a user types: every TARGET either parses to an endpoint whose URL parses back to the same endpoint, or is
refused with a TargetError naming the field to fix (host, port, transport, url_prefix) and saying why; never any
other exception. The CLI refuses the same inputs with exit code 2 and a message naming the field.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, reject, settings
from hypothesis import strategies as st

from core import TargetError, parse_target
from core.cli import main
from tests.quality import tally

FIELDS = {"host", "port", "transport", "url_prefix"}
PROPERTY = settings(max_examples=1500, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


# --- pieces of targets ----------------------------------------------------------------------------------------

_label = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9-]{0,10}[A-Za-z0-9])?", fullmatch=True)
_idn_label = st.text(st.sampled_from("abcüößéñдфж中文ー"), min_size=1, max_size=8)
_name = st.lists(st.one_of(_label, _idn_label), min_size=1, max_size=4).map(".".join)
_ipv4 = st.ip_addresses(v=4).map(str)
_ipv6 = st.ip_addresses(v=6).map(str)
_zone = st.sampled_from(["", "%eth0", "%25eth0", "%1", "%", "%Ethernet 2"])
_odd = st.sampled_from(
    [
        "",
        " ",
        "  ",
        "\t",
        "-",
        "a..b",
        "-a",
        "a-",
        "a_b",
        "*",
        "[",
        "]",
        "[::1",
        "::1]",
        "@",
        "ü" * 70,
        "a" * 64,
        ".".join(["a" * 60] * 5),
        "localhost.",
        "xn--",
        "xn--zz",
        "\u3000",
        "a b",
        "\x00",
    ]
)
_host = st.one_of(_name, _ipv4, _ipv6, st.tuples(_ipv6, _zone).map("".join), _odd, st.text(max_size=20))
_port_text = st.one_of(
    st.integers(-5, 70000).map(str),
    st.sampled_from(["", "0", "65535", "65536", "00080", "abc", "80a", " 80", "+80", "-1", "8 0", "1e3", "٣", "0x50"]),
)
_path = st.one_of(
    st.just(""),
    st.sampled_from(["/", "/wsman", "/wsman/", "/a/b", "/a b", "/x?y=1", "/#f", "/ü", "/%41"]),
    st.text(max_size=10).map(lambda t: "/" + t),
)
_scheme = st.sampled_from(["http", "https", "HTTP", "ftp", "", "http:", "https:/"])
_userinfo = st.sampled_from(["", "", "user@", "user:pw@", ":@", "@"])


@st.composite
def targets(draw: st.DrawFn) -> str:
    host: str = draw(_host)
    form = draw(st.sampled_from(["host", "host:port", "[v6]", "[v6]:port", "url", "url-v6", "text"]))
    port = draw(_port_text)
    if form == "host":
        return host
    if form == "host:port":
        return f"{host}:{port}"
    if form == "[v6]":
        return f"[{host}]"
    if form == "[v6]:port":
        return f"[{host}]:{port}"
    if form in ("url", "url-v6"):
        shown = f"[{host}]" if form == "url-v6" else host
        with_port = f":{port}" if draw(st.booleans()) else ""
        return f"{draw(_scheme)}://{draw(_userinfo)}{shown}{with_port}{draw(_path)}"
    return draw(st.text(max_size=40))


def _same(a: object, b: object) -> tuple[object, ...]:
    return tuple(getattr(a, f) for f in ("host", "port", "transport", "url_prefix")), tuple(
        getattr(b, f) for f in ("host", "port", "transport", "url_prefix")
    )


def check_target(text: str, transport: str | None = None, port: int | None = None, prefix: str | None = None) -> None:
    try:
        endpoint = parse_target(text, transport, port, prefix)
    except TargetError as exc:
        assert exc.field in FIELDS, exc.field
        assert exc.message.strip(), repr(exc)
        assert str(exc).startswith(f"{exc.field}: ")
        tally("target_inputs")
        return
    assert all(c.isprintable() and not c.isspace() for c in endpoint.url_prefix), repr(endpoint.url_prefix)
    assert 1 <= endpoint.port <= 65535
    assert endpoint.transport in ("http", "https")
    assert endpoint.host and endpoint.url_prefix
    again = parse_target(endpoint.url)
    mine, theirs = _same(endpoint, again)
    assert mine == theirs, f"{endpoint.url!r} parses back as {again.url!r}"
    assert again.url == endpoint.url
    tally("target_inputs")


# --- the properties -------------------------------------------------------------------------------------------


@PROPERTY
@given(text=targets())
@example(text="")
@example(text="   ")
@example(text="[fe80::1%eth0]:5985")
@example(text="http://[fe80::1%25eth0]:5985/wsman")
@example(text="bücher.example:5986")
@example(text="http://user:secret@host/wsman")
@example(text="http://host:0/")
@example(text="http://host:65536/")
@example(text="host:abc")
@example(text="https://host/wsman?x=1")
def test_parse_target_parses_round_trip_or_names_the_field(text: str) -> None:
    check_target(text)


@PROPERTY
@given(
    text=st.one_of(targets(), st.text(max_size=30)),
    transport=st.one_of(st.none(), st.sampled_from(["http", "https", "HTTP", "ftp", ""]), st.text(max_size=5)),
    port=st.one_of(st.none(), st.integers(-10, 70000), st.sampled_from([0, 1, 65535, 65536, True])),
    prefix=st.one_of(
        st.none(),
        st.sampled_from(["wsman", "/wsman/", "", "/", "a b", "a?b", "a#b", "a\\b", "ü/x"]),
        st.text(max_size=12),
    ),
)
def test_parse_target_with_defaults_alongside(
    text: str, transport: str | None, port: int | None, prefix: str | None
) -> None:
    check_target(text, transport, port, prefix)


# --- the CLI --------------------------------------------------------------------------------------------------


def _bad_target(text: str) -> TargetError | None:
    try:
        parse_target(text)
    except TargetError as exc:
        return exc
    except ValueError:
        return None
    return None


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main(argv)
    return int(exited.value.code or 0), capsys.readouterr().err


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(text=targets())
def test_cli_refuses_bad_targets_naming_the_field(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    error = _bad_target(text)
    if error is None or text.startswith("-"):
        reject()
    assert error is not None
    code, err = run_cli(["check", "--timeout", "1", "--", text], capsys)
    assert code == 2
    assert f"{error.field}: " in err and error.message in err, err
    tally("target_inputs")


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["check", "--port", "0", "127.0.0.1"], "--port"),
        (["check", "--port", "65536", "127.0.0.1"], "--port"),
        (["check", "--port", "abc", "127.0.0.1"], "--port"),
        (["check", "--transport", "ftp", "127.0.0.1"], "--transport"),
        (["check", "--auth", "magic", "127.0.0.1"], "--auth"),
        (["check", "--timeout", "0", "127.0.0.1"], "--timeout"),
        (["check", "--timeout", "-1", "127.0.0.1"], "--timeout"),
        (["check", "--timeout", "x", "127.0.0.1"], "--timeout"),
        (["check", "--concurrency", "0", "127.0.0.1"], "--concurrency"),
        (["check", "--ca-file", "/nonexistent/ca.pem", "127.0.0.1"], "--ca-file"),
        (["check", "--auth", "ntlm", "127.0.0.1"], "--user"),
        (["check", "--auth", "basic", "--user", "alice", "127.0.0.1"], "--password"),
        (
            ["check", "--auth", "basic", "--user", "alice", "--password-env", "TC_UNSET_VAR_9f1c", "127.0.0.1"],
            "--password-env",
        ),
        (["check"], "TARGET"),
        (["check", ""], "host"),
        (["check", "host:0"], "port"),
        (["check", "host:70000"], "port"),
        (["check", "ftp://host/"], "transport"),
        (["check", "http://host/a b"], "url_prefix"),
        (["check", "http://u:p@host/"], "host"),
        (["check", "127.0.0.1", "host:99999"], "port"),
    ],
)
def test_cli_usage_errors_exit_2_naming_the_field(
    argv: list[str], field: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run_cli(argv, capsys)
    assert code == 2
    assert field in err, err
    assert "Traceback" not in err


# --- regressions: found by the properties above, fixed in core (7bb4d0a) --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["srv:\u00b2", "[::1]:\u00b9", "srv:" + "9" * 5000])
def test_port_with_digits_int_refuses_is_a_port_error(text: str) -> None:
    with pytest.raises(TargetError) as raised:
        parse_target(text)
    assert raised.value.field == "port"


def test_cli_port_with_superscript_digit_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_cli(["check", "srv:\u00b2"], capsys)
    assert code == 2 and "port" in err


@pytest.mark.parametrize("prefix", ["ws\r\nman", "\r", "ws\tman", "ws\x00man", "ws\u2028man"])
def test_url_prefix_with_control_characters_is_refused(prefix: str) -> None:
    with pytest.raises(TargetError) as raised:
        parse_target("127.0.0.1", url_prefix=prefix)
    assert raised.value.field == "url_prefix"
