"""Workspace profiles of the config file: which one is in effect, its settings alone (nothing of
the environment's), its key from the variable it names or the system keyring."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cml_magic.api import CML, ConfigError, keystore
from cml_magic.api.config import config_path, resolve, settings_fingerprint

PROFILES = """
profile = "dev"
host = "https://top.example.com"
api_key = "top-level-key"

[profiles.dev]
host = "https://dev.example.com"
api_key_env = "DEV_KEY"
project = "sandbox"

[profiles.prod]
host = "ml-prod.example.com"
api_key_env = "PROD_KEY"
legacy_api_key_env = "PROD_LEGACY"
project = "risk-analysis"
verify = false
model_endpoint = "https://models.example.com/model"
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(PROFILES)
    return path


def test_a_named_profile_gives_every_setting(config: Path, no_keyring: Any) -> None:
    env = {"CML_MAGIC_CONFIG": str(config), "PROD_KEY": "prod-key", "PROD_LEGACY": "old"}
    settings = resolve(profile="prod", env=env)
    assert settings.host == "https://ml-prod.example.com"
    assert (settings.api_key, settings.legacy_api_key) == ("prod-key", "old")
    assert (settings.project, settings.verify) == ("risk-analysis", False)
    assert settings.model_endpoint == "https://models.example.com/model"
    assert (settings.profile, settings.key_source) == ("prod", "PROD_KEY")
    assert "prod-key" not in repr(settings)


def test_the_profile_in_effect_argument_then_variable_then_file(config: Path) -> None:
    env = {"CML_MAGIC_CONFIG": str(config), "DEV_KEY": "d", "PROD_KEY": "p"}
    assert resolve(env=env).profile == "dev"  # the file's `profile`
    assert resolve(env=env | {"CML_MAGIC_PROFILE": "prod"}).profile == "prod"
    assert resolve(profile="dev", env=env | {"CML_MAGIC_PROFILE": "prod"}).profile == "dev"


def test_a_profile_takes_nothing_from_the_environment(config: Path, no_keyring: Any) -> None:
    """Another workspace's key, host or project never reaches a profile's workspace."""
    env = {
        "CML_MAGIC_CONFIG": str(config),
        "CML_MAGIC_HOST": "https://other.example.com",
        "CML_MAGIC_API_KEY": "other-workspace-key",
        "CDSW_APIV2_KEY": "session-key",
        "CML_MAGIC_PROJECT": "other-project",
        "CML_MAGIC_LEGACY_API_KEY": "other-legacy",
    }
    with pytest.raises(ConfigError, match="no API key for profile prod: set PROD_KEY") as caught:
        resolve(profile="prod", env=env)
    assert "pip install 'cml-magic[keyring]'" in str(caught.value)  # no usable keyring here
    settings = resolve(profile="prod", env=env | {"PROD_KEY": "k"})
    assert (settings.host, settings.project) == ("https://ml-prod.example.com", "risk-analysis")
    assert resolve(profile="dev", env=env | {"DEV_KEY": "k"}).legacy_api_key == ""
    # Arguments still win (a key typed at %cml login, %config CMLMagics.host).
    given = resolve(profile="prod", api_key="typed", host="h.example.com", env=env)
    assert (given.api_key, given.key_source, given.host) == (
        "typed",
        "argument",
        "https://h.example.com",
    )


def test_the_keyring_holds_a_profiles_key(config: Path, system_keyring: Any) -> None:
    env = {"CML_MAGIC_CONFIG": str(config)}
    keystore.save("prod", "from-the-keyring")
    settings = resolve(profile="prod", env=env)
    assert (settings.api_key, settings.key_source) == ("from-the-keyring", "the keyring")
    # The variable the profile names comes first.
    assert resolve(profile="prod", env=env | {"PROD_KEY": "v"}).api_key == "v"
    # Without a profile the keyring is asked under the host's name, after every other source.
    keystore.save("https://solo.example.com", "solo-key")
    solo_env = {"CML_MAGIC_CONFIG": "/nonexistent.toml", "CML_MAGIC_HOST": "solo.example.com"}
    solo = resolve(env=solo_env)
    assert (solo.api_key, solo.key_source, solo.profile) == ("solo-key", "the keyring", "")
    assert keystore.forget("prod") and not keystore.forget("prod")


def test_unknown_profiles_and_settings_are_one_line(config: Path, tmp_path: Path) -> None:
    env = {"CML_MAGIC_CONFIG": str(config)}
    with pytest.raises(ConfigError, match=r"no profile 'qa' in .* \(profiles: dev, prod\)"):
        resolve(profile="qa", env=env)
    bad = tmp_path / "bad.toml"
    bad.write_text('[profiles.x]\nhost = "h"\napi_key = "literal"\n')
    with pytest.raises(ConfigError, match="unknown setting 'api_key' .*api_key_env names"):
        resolve(profile="x", env={"CML_MAGIC_CONFIG": str(bad)})
    bad.write_text('[profiles.x]\napi_key_env = "K"\n')
    with pytest.raises(ConfigError, match="profile x has no host"):
        resolve(profile="x", env={"CML_MAGIC_CONFIG": str(bad), "K": "k"})
    bad.write_text('[profiles.x]\nhost = "h"\napi_key_env = "K"\nverify = "maybe"\n')
    with pytest.raises(ConfigError, match="verify in profile x must be true or false"):
        resolve(profile="x", env={"CML_MAGIC_CONFIG": str(bad), "K": "k"})


def test_the_config_file_follows_xdg_config_home(tmp_path: Path) -> None:
    assert config_path({"XDG_CONFIG_HOME": str(tmp_path)}) == (
        tmp_path / "cml_magic" / "config.toml"
    )
    assert config_path({"XDG_CONFIG_HOME": "relative"}).parts[-3:] == (
        ".config",
        "cml_magic",
        "config.toml",
    )
    ours = tmp_path / "mine.toml"
    assert config_path({"XDG_CONFIG_HOME": str(tmp_path), "CML_MAGIC_CONFIG": str(ours)}) == ours
    (tmp_path / "cml_magic").mkdir()
    (tmp_path / "cml_magic" / "config.toml").write_text('host = "x.example.com"\napi_key = "k"\n')
    assert resolve(env={"XDG_CONFIG_HOME": str(tmp_path)}).host == "https://x.example.com"


def test_the_fingerprint_follows_the_profiles_key_variable(config: Path) -> None:
    env = {"CML_MAGIC_CONFIG": str(config), "PROD_KEY": "one"}
    before = settings_fingerprint(env, profile="prod")
    assert settings_fingerprint(env | {"PROD_KEY": "two"}, profile="prod") != before
    assert settings_fingerprint(env, profile="dev") != before
    assert "one" not in before


def test_from_env_takes_a_profile(config: Path) -> None:
    env = {"CML_MAGIC_CONFIG": str(config), "DEV_KEY": "dev-key-0123456789"}
    with CML.from_env(profile="dev", env=env) as cml:
        assert (cml.host, cml.project) == ("https://dev.example.com", "sandbox")
        assert "dev-key-0123456789" not in repr(cml)


def test_settings_found_survives_an_unknown_profile_variable(config: Path) -> None:
    from cml_magic.api.config import settings_found

    env = {"CML_MAGIC_CONFIG": str(config), "CML_MAGIC_PROFILE": "gone", "CML_MAGIC_HOST": "h"}
    assert settings_found(env=env) == ("https://h", False, None)
    with pytest.raises(ConfigError, match="no profile 'gone'"):
        resolve(env=env)
