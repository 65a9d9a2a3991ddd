import pytest

from mangaki.env import (
    ImproperlyConfiguredEnv,
    env_bool,
    env_int,
    env_list,
    env_str,
    env_url,
    local_secret,
)


def test_env_bool_reads_common_spellings(monkeypatch):
    monkeypatch.setenv("X_FLAG", "Yes")
    assert env_bool("X_FLAG", False) is True
    monkeypatch.setenv("X_FLAG", "0")
    assert env_bool("X_FLAG", True) is False


def test_env_bool_fails_loudly_on_nonsense(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfiguredEnv, match="X_FLAG"):
        env_bool("X_FLAG", False)


def test_env_int_checks_type_and_minimum(monkeypatch):
    monkeypatch.setenv("X_N", "abc")
    with pytest.raises(ImproperlyConfiguredEnv, match="not an integer"):
        env_int("X_N", 1)
    monkeypatch.setenv("X_N", "0")
    with pytest.raises(ImproperlyConfiguredEnv, match="minimum"):
        env_int("X_N", 1, minimum=1)
    monkeypatch.delenv("X_N")
    assert env_int("X_N", 7) == 7


def test_env_str_reads_container_secret_files(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    monkeypatch.delenv("X_SECRET", raising=False)
    monkeypatch.setenv("X_SECRET_FILE", str(secret))
    assert env_str("X_SECRET") == "s3cret"
    monkeypatch.setenv("X_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfiguredEnv, match="cannot be read"):
        env_str("X_SECRET")


def test_env_url_rejects_unknown_schemes(monkeypatch):
    monkeypatch.setenv("X_URL", "mysql://db/x")
    with pytest.raises(ImproperlyConfiguredEnv, match="postgres://"):
        env_url("X_URL", ("postgres",))
    monkeypatch.setenv("X_URL", "")
    assert env_url("X_URL", ("postgres",)) is None


def test_env_list_splits_and_trims(monkeypatch):
    monkeypatch.setenv("X_HOSTS", "a.example, b.example ,")
    assert env_list("X_HOSTS", []) == ["a.example", "b.example"]


def test_local_secret_is_created_once_and_reused(tmp_path):
    path = tmp_path / "var" / ".secret_key"
    first = local_secret(path)
    assert len(first) > 40
    assert local_secret(path) == first
    assert oct(path.stat().st_mode & 0o777) == "0o600"
