"""`experiment:` and `integrations:` policy sections: values read, problems located."""

from __future__ import annotations

import pytest

from warmline.core.errors import PolicyError
from warmline.testing import make_policy


def test_experiment_reads_share_and_seed() -> None:
    policy = make_policy(experiment={"cold_share": 0.1, "seed": "q4"})
    assert policy.experiment is not None
    assert policy.experiment.cold_share == 0.1
    assert policy.experiment.seed == "q4"


def test_no_experiment_by_default() -> None:
    assert make_policy().experiment is None


@pytest.mark.parametrize(("section", "needle"), [
    ({"cold_share": 1.5}, "experiment.cold_share"),
    ({"seed": "x"}, "cold_share"),
    ({"cold_share": 0.1, "sede": 1}, "did you mean 'seed'"),
])
def test_bad_experiment_is_located(section: dict[str, object], needle: str) -> None:
    with pytest.raises(PolicyError) as err:
        make_policy(experiment=section)
    assert needle in str(err.value)


def test_integrations_keep_settings_per_platform() -> None:
    policy = make_policy(integrations={"vapi": {"secret": "s3"}, "twilio": {"auth_token": "t"}})
    assert policy.integrations["vapi"].get("secret") == "s3"
    assert policy.integrations["twilio"].get("auth_token") == "t"
    assert policy.integrations["vapi"].get("hmac_secret") is None


def test_unset_environment_secret_counts_as_not_configured() -> None:
    policy = make_policy(integrations={"retell": {"api_key": "${RETELL_API_KEY}"}})
    assert policy.integrations["retell"].get("api_key") is None


@pytest.mark.parametrize(("section", "needle"), [
    ({"vapy": {}}, "did you mean 'vapi'"),
    ({"vapi": {"secrt": "x"}}, "integrations.vapi.secrt"),
    ({"retell": {"api_key": ["x"]}}, "expected a string"),
])
def test_bad_integrations_are_located(section: dict[str, object], needle: str) -> None:
    with pytest.raises(PolicyError) as err:
        make_policy(integrations=section)
    assert needle in str(err.value)


def test_zero_default_threshold_and_priority_are_kept() -> None:
    policy = make_policy(defaults={"queue": "front-desk", "threshold": 0.0, "priority": 0})
    assert policy.defaults.threshold == 0.0
    assert policy.defaults.priority == 0


@pytest.mark.parametrize(("target", "needle"), [
    ({"type": "webhook", "url": "https://x", "secret": "whsec_abc", "events": ["handoff.nope"]},
     "notify.hooks.events"),
    ({"type": "slack", "url": "https://x", "colour": "red"}, "notify.hooks.colour"),
    ({"type": "slack", "mode": "shout"}, "expected post or log"),
])
def test_policy_check_reports_bad_notify_options(target: dict[str, object], needle: str
                                                 ) -> None:
    with pytest.raises(PolicyError) as err:
        make_policy(notify={"hooks": target})
    assert needle in str(err.value)
