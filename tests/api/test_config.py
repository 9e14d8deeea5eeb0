"""Settings come from arguments, our variables, CML's session variables, then the config file
(TLS options reaching the connection: tests/reliability/test_tls.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cml_magic.api import CML, ConfigError
from cml_magic.api.config import normalize_host, resolve

# settings precedence ----------------------------------------------------------------------------

NO_FILE = {"CML_MAGIC_CONFIG": "/nonexistent/config.toml"}


def test_arguments_beat_variables() -> None:
    env = NO_FILE | {"CML_MAGIC_HOST": "env.example.com", "CML_MAGIC_API_KEY": "env-key"}
    settings = resolve(host="arg.example.com", api_key="arg-key", env=env)
    assert (settings.host, settings.api_key) == ("https://arg.example.com", "arg-key")


def test_our_variables_beat_cml_session_variables() -> None:
    env = NO_FILE | {
        "CML_MAGIC_HOST": "https://ours.example.com",
        "CDSW_API_URL": "https://session.example.com/api/v1",
        "CML_MAGIC_API_KEY": "ours",
        "CDSW_APIV2_KEY": "session",
        "CML_MAGIC_PROJECT": "risk-analysis",
        "CDSW_PROJECT_ID": "abcd-abcd-abcd-abcd",
    }
    settings = resolve(env=env)
    assert settings.host == "https://ours.example.com"
    assert settings.api_key == "ours" and settings.project == "risk-analysis"


def test_inside_a_cml_session() -> None:
    env = NO_FILE | {
        "CDSW_API_URL": "https://ml.example.com/api/v1",
        "CDSW_APIV2_KEY": "v2key",
        "CDSW_API_KEY": "v1key",
        "CDSW_PROJECT_ID": "abcd-abcd-abcd-abcd",
    }
    settings = resolve(env=env)
    assert settings.host == "https://ml.example.com"
    assert (settings.api_key, settings.legacy_api_key) == ("v2key", "v1key")
    assert settings.project == "abcd-abcd-abcd-abcd" and settings.verify is True
    domain_only = NO_FILE | {"CDSW_DOMAIN": "ml.example.org", "CDSW_APIV2_KEY": "k"}
    assert resolve(env=domain_only).host == "https://ml.example.org"
    assert resolve(env=domain_only).legacy_api_key == ""  # never the v2 key (test_legacy_key.py)


def test_config_file_is_the_last_source(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        'host = "file.example.com"\napi_key = "file-key"\nproject = "p"\nverify = false\n'
    )
    env = {"CML_MAGIC_CONFIG": str(config)}
    settings = resolve(env=env)
    assert settings.host == "https://file.example.com"
    assert (settings.api_key, settings.project, settings.verify) == ("file-key", "p", False)
    assert resolve(env=env | {"CDSW_APIV2_KEY": "session"}).api_key == "session"
    assert resolve(env=env | {"CML_MAGIC_VERIFY": "true"}).verify is True


def test_broken_config_file_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("host = \n")
    with pytest.raises(ConfigError, match="cannot read the config file"):
        resolve(env={"CML_MAGIC_CONFIG": str(config), "CML_MAGIC_HOST": "h"})


def test_missing_host_or_key_is_one_clear_line() -> None:
    with pytest.raises(ConfigError, match="no CML host"):
        resolve(env=NO_FILE | {"CML_MAGIC_API_KEY": "k"})
    with pytest.raises(ConfigError, match="no CML API key") as caught:
        CML.from_env(env=NO_FILE | {"CML_MAGIC_HOST": "h"})
    assert "\n" not in str(caught.value)
    with pytest.raises(ConfigError, match="must be true or false"):
        resolve(env=NO_FILE | {"CML_MAGIC_HOST": "h", "CML_MAGIC_API_KEY": "k",
                               "CML_MAGIC_VERIFY": "maybe"})  # fmt: skip
    with pytest.raises(ConfigError, match="does not exist"):
        resolve(host="h", api_key="k", verify="/no/such/ca.pem", env=NO_FILE)


def test_the_given_arguments_show_no_key() -> None:
    from cml_magic.api.config import _Given

    given = _Given("https://ml.example.com", "abcdefghijklmnop", "legacy-secret-key")
    assert "abcdefghijklmnop" not in repr(given) and "legacy-secret-key" not in repr(given)
    assert "ml.example.com" in repr(given)


def test_settings_repr_masks_the_key() -> None:
    settings = resolve(host="h", api_key="abcdefghijklmnopqrstuvwxyz", env=NO_FILE)
    assert "abcdefghijklmnop" not in repr(settings)
    assert "wxyz" in repr(settings)


@pytest.mark.parametrize(
    ("given", "host"),
    [
        ("ml.example.com", "https://ml.example.com"),
        ("https://ml.example.com/", "https://ml.example.com"),
        ("https://ml.example.com/api/v1", "https://ml.example.com"),
        ("http://127.0.0.1:8080/api/v2/", "http://127.0.0.1:8080"),
    ],
)
def test_host_normalisation(given: str, host: str) -> None:
    assert normalize_host(given) == host
