"""Settings (core/config.py): an invalid value is refused in one line naming its variable, never
replaced by the default; unset or empty means the default."""

import pytest

from tokenservice.core import config


@pytest.mark.parametrize(
    "setting,raw",
    [
        (config.LOCKOUT_THRESHOLD, "O5"),
        (config.LOCKOUT_THRESHOLD, "-1"),
        (config.LOCKOUT_THRESHOLD, "5.0"),
        (config.MAX_SESSION_SECONDS, "0"),
        (config.MAX_SESSION_SECONDS, "31536001"),
        (config.RULES_CACHE_SECONDS, "3601"),
        (config.ACCESS_TTL, "1h"),
        (config.APPLICATIONS_PER_USER, "0"),
    ],
)
def test_a_malformed_or_out_of_bounds_number_is_refused_naming_its_variable(setting, raw, monkeypatch):
    monkeypatch.setenv(setting.variable, raw)
    with pytest.raises(config.InvalidSetting) as refused:
        setting.value()
    message = str(refused.value)
    assert message.startswith(setting.variable + " ") and "\n" not in message


def test_a_number_within_its_bounds_is_taken(monkeypatch):
    monkeypatch.setenv("LOCKOUT_THRESHOLD", " 7 ")
    assert config.LOCKOUT_THRESHOLD.value() == 7


@pytest.mark.parametrize("raw", [None, ""])
def test_an_unset_or_empty_number_is_the_default(raw, monkeypatch):
    if raw is None:
        monkeypatch.delenv("MAX_SESSION_SECONDS", raising=False)
    else:
        monkeypatch.setenv("MAX_SESSION_SECONDS", raw)
    assert config.MAX_SESSION_SECONDS.value() == config.MAX_SESSION_SECONDS.default


@pytest.mark.parametrize("raw", ["1", "yes", "on", "enabled"])
def test_a_switch_other_than_true_or_false_is_refused(raw, monkeypatch):
    monkeypatch.setenv("TRACER_ENABLED", raw)
    with pytest.raises(config.InvalidSetting, match=r"^TRACER_ENABLED "):
        config.TRACER_ENABLED.on()


@pytest.mark.parametrize("raw,on", [("true", True), ("TRUE", True), ("false", False), ("", False)])
def test_a_switch_is_true_false_or_unset(raw, on, monkeypatch):
    monkeypatch.setenv("SELF_SIGNUP_ENABLED", raw)
    assert config.SELF_SIGNUP_ENABLED.on() is on


def test_an_unknown_token_format_is_refused(monkeypatch):
    monkeypatch.setenv("ACCESS_TOKEN_FORMAT", "jtw")
    with pytest.raises(config.InvalidSetting, match=r"^ACCESS_TOKEN_FORMAT .*opaque.*jwt"):
        config.ACCESS_TOKEN_FORMAT.value()


def test_validate_reports_the_first_invalid_setting(monkeypatch):
    monkeypatch.setenv("REFRESH_RETRY_GRACE_SECONDS", "61")
    with pytest.raises(config.InvalidSetting, match=r"^REFRESH_RETRY_GRACE_SECONDS "):
        config.validate()


def test_validate_passes_with_the_defaults(monkeypatch):
    for setting in config.SETTINGS:
        monkeypatch.delenv(setting.variable, raising=False)
    config.validate()


def test_a_refused_value_is_quoted_short_and_printable(monkeypatch):
    monkeypatch.setenv("LOCKOUT_SECONDS", "\x1b[31m" + "9" * 100)
    with pytest.raises(config.InvalidSetting) as refused:
        config.LOCKOUT_SECONDS.value()
    assert "\x1b" not in str(refused.value) and len(str(refused.value)) < 160
