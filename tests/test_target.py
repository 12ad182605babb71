"""Every TARGET form docs/cli.md lists, and rejections that name the field."""

from __future__ import annotations

import pytest

from core.target import TargetError, parse_target


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("srv01", "http://srv01:5985/wsman"),
        ("SRV01.corp.example.", "http://srv01.corp.example:5985/wsman"),
        ("srv01:5986", "http://srv01:5986/wsman"),
        ("10.0.0.7", "http://10.0.0.7:5985/wsman"),
        ("[fe80::1]:5985", "http://[fe80::1]:5985/wsman"),
        ("2001:db8::7", "http://[2001:db8::7]:5985/wsman"),
        ("https://srv01", "https://srv01:5986/wsman"),
        ("https://srv01:443/custom/", "https://srv01:443/custom"),
        ("http://[::1]:8080/wsman", "http://[::1]:8080/wsman"),
        ("bücher.example", "http://xn--bcher-kva.example:5985/wsman"),
    ],
)
def test_every_target_form(text: str, url: str) -> None:
    assert parse_target(text).url == url


def test_what_the_text_says_beats_the_defaults() -> None:
    assert parse_target("srv01", transport="https").url == "https://srv01:5986/wsman"
    assert parse_target("http://srv01", transport="https", port=1).url == "http://srv01:1/wsman"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("", "host"),
        ("   ", "host"),
        ("srv 01", "host"),
        ("srv01:0", "port"),
        ("srv01:65536", "port"),
        ("srv01:abc", "port"),
        ("ftp://srv01", "transport"),
        ("http://alice:secret@srv01", "host"),
        ("http://srv01/wsman?x=1", "host"),
        ("srv01/wsman", "host"),
        ("[fe80::1", "host"),
        ("[v1.x]:5985", "host"),  # brackets hold IPv6 only; urlsplit alone would accept this IPvFuture as a name
        ("http://[v1.x]/wsman", "host"),
        ("[10.0.0.1]", "host"),
        ("-bad-.example", "host"),
    ],
)
def test_bad_input_names_the_field(text: str, field: str) -> None:
    with pytest.raises(TargetError) as caught:
        parse_target(text)
    assert caught.value.field == field and caught.value.message


def test_a_password_typed_into_the_url_is_not_echoed() -> None:
    with pytest.raises(TargetError) as caught:
        parse_target("http://alice:S3cret!@srv01")
    assert "S3cret" not in str(caught.value)
