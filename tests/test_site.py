"""DatadogSite: known sites, the custom escape hatch, and the user mistakes it catches."""

from __future__ import annotations

import pytest
from aws_cdk import Token

from ddsecrets_constructs import DatadogSite
from ddsecrets_constructs.site import resolve_site
from ddsecrets_constructs.validation import Problems

KNOWN = {
    "US1": "datadoghq.com",
    "US3": "us3.datadoghq.com",
    "US5": "us5.datadoghq.com",
    "EU1": "datadoghq.eu",
    "AP1": "ap1.datadoghq.com",
    "AP2": "ap2.datadoghq.com",
    "US1_FED": "ddog-gov.com",
    "US2_FED": "us2.ddog-gov.com",
    "UK1": "uk1.datadoghq.com",
}


def check(site: object) -> tuple[str, Problems]:
    problems = Problems()
    return resolve_site(problems, "site", site), problems  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "value"), KNOWN.items())
def test_known_site_constants_have_their_site_string(name: str, value: str) -> None:
    site = getattr(DatadogSite, name)
    assert site.value == value
    assert site.api_host == f"api.{value}"
    assert check(site) == (value, Problems())
    assert check(value)[1]._problems == []


def test_known_lists_every_constant_once() -> None:
    assert [s.value for s in DatadogSite.known()] == list(KNOWN.values())


@pytest.mark.parametrize(
    ("given", "suggestion"),
    [
        ("https://app.datadoghq.com", "DatadogSite.US1 ('datadoghq.com')"),
        ("app.datadoghq.eu", "DatadogSite.EU1 ('datadoghq.eu')"),
        ("DATADOGHQ.COM", "DatadogSite.US1 ('datadoghq.com')"),
        ("datadog.com", "DatadogSite.US1 ('datadoghq.com')"),
        ("https://us5.datadoghq.com/", "DatadogSite.US5 ('us5.datadoghq.com')"),
        ("api.ap1.datadoghq.com", "DatadogSite.AP1 ('ap1.datadoghq.com')"),
    ],
)
def test_fails_on_common_site_mistakes_and_suggests_the_constant(given: str, suggestion: str) -> None:
    _, problems = check(given)
    (problem,) = problems._problems
    assert problem.prop == "site"
    assert problem.received == repr(given)
    assert f"did you mean {suggestion}?" in problem.allowed


def test_fails_on_unknown_site_and_lists_allowed_ones() -> None:
    _, problems = check("example.com")
    (problem,) = problems._problems
    assert "DatadogSite.EU1 ('datadoghq.eu')" in problem.allowed
    assert "DatadogSite.custom" in problem.allowed


def test_custom_site_is_accepted_with_a_warning() -> None:
    value, problems = check(DatadogSite.custom("us7.datadoghq.com"))
    assert value == "us7.datadoghq.com"
    assert problems._problems == []
    assert [w[0] for w in problems._warnings] == ["customSite"]


@pytest.mark.parametrize("given", ["https://us7.datadoghq.com", "US7.DATADOGHQ.COM", "localhost", ""])
def test_fails_on_custom_site_that_is_not_a_bare_host(given: str) -> None:
    _, problems = check(DatadogSite.custom(given))
    assert [p.prop for p in problems._problems] == ["site"]


def test_token_site_is_accepted_and_the_skipped_check_recorded() -> None:
    token = Token.as_string({"Ref": "Site"})
    value, problems = check(token)
    assert value == token
    assert problems._problems == []
    assert problems._skipped == ["`site` (known Datadog site)"]


def test_fails_on_a_site_of_the_wrong_type() -> None:
    _, problems = check(42)
    assert [p.prop for p in problems._problems] == ["site"]


@pytest.mark.parametrize(
    ("given", "suggestion"),
    [
        ("app.datadoghq.com", "DatadogSite.US1 ('datadoghq.com')"),
        ("api.datadoghq.eu", "DatadogSite.EU1 ('datadoghq.eu')"),
        ("datadog.com", "DatadogSite.US1 ('datadoghq.com')"),
    ],
)
def test_custom_site_gets_the_same_mistake_checks_as_a_site_string(given: str, suggestion: str) -> None:
    _, problems = check(DatadogSite.custom(given))
    (problem,) = problems._problems
    assert problem.received == f"DatadogSite.custom({given!r})"
    assert f"did you mean {suggestion}?" in problem.allowed


def test_custom_site_that_is_a_known_site_is_accepted_without_a_warning() -> None:
    value, problems = check(DatadogSite.custom("datadoghq.eu"))
    assert (value, problems) == ("datadoghq.eu", Problems())


@pytest.mark.parametrize("given", [42, None, b"datadoghq.com"])
def test_fails_on_a_custom_site_that_is_not_a_string(given: object) -> None:
    _, problems = check(DatadogSite.custom(given))  # type: ignore[arg-type]
    (problem,) = problems._problems
    assert problem.received == f"DatadogSite.custom({given!r})"
    assert "takes the site as a string" in problem.allowed


def test_a_key_given_as_site_is_refused_without_being_shown() -> None:
    key = "0123456789abcdef" * 2
    for site in (key, DatadogSite.custom(key)):
        _, problems = check(site)
        (problem,) = problems._problems
        assert key not in str(problem)
        assert "shaped like a Datadog API key (not shown)" in problem.received


@pytest.mark.parametrize(
    ("site", "shown"), [(DatadogSite.UK1, "DatadogSite.UK1"), (DatadogSite.custom("a.b"), "DatadogSite.custom('a.b')")]
)
def test_a_site_prints_as_the_user_wrote_it(site: DatadogSite, shown: str) -> None:
    assert repr(site) == shown
