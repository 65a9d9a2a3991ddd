"""Typed readers for environment variables: settings come from the environment and a bad
value stops the process at start-up instead of misbehaving later.

Example::

    >>> import os
    >>> os.environ["MANGAKI_EXAMPLE"] = "yes"
    >>> env_bool("MANGAKI_EXAMPLE", False)
    True
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ImproperlyConfiguredEnv(ValueError):
    """An environment variable holds a value we cannot use."""


def env_str(name: str, default: str | None = None) -> str | None:
    """The variable's text, or ``NAME_FILE``'s content (container secrets), or default."""
    value = os.environ.get(name)
    if value is not None:
        return value
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            return Path(file_path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfiguredEnv(
                f"{name}_FILE={file_path!r} cannot be read: {exc}"
            ) from exc
    return default


def env_bool(name: str, default: bool) -> bool:
    value = env_str(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfiguredEnv(f"{name}={value!r} is not a boolean (use true/false, 1/0)")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = env_str(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfiguredEnv(f"{name}={value!r} is not an integer") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfiguredEnv(f"{name}={number} is below the minimum {minimum}")
    return number


def env_float(name: str, default: float) -> float:
    value = env_str(name)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfiguredEnv(f"{name}={value!r} is not a number") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = env_str(name)
    if value is None:
        return list(default)
    return [part.strip() for part in value.split(",") if part.strip()]


def env_map(
    name: str, default: dict[str, str], check: Callable[[str], object] | None = None
) -> dict[str, str]:
    """``default`` updated from ``name=value`` pairs separated by commas; only the keys of
    ``default`` are accepted, and ``check`` (if given) must accept each value.

    Example::

        >>> os.environ["MANGAKI_EXAMPLE"] = "deck=30/minute"
        >>> env_map("MANGAKI_EXAMPLE", {"deck": "60/minute", "suggest": "120/minute"})
        {'deck': '30/minute', 'suggest': '120/minute'}
    """
    values = dict(default)
    raw = env_str(name)
    if not raw:
        return values
    for part in filter(None, (p.strip() for p in raw.split(","))):
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or key not in default:
            raise ImproperlyConfiguredEnv(
                f"{name}: {part!r} is not one of {', '.join(sorted(default))} = value"
            )
        if check is not None:
            try:
                check(value)
            except ValueError as exc:
                raise ImproperlyConfiguredEnv(f"{name}: {key}: {exc}") from None
        values[key] = value
    return values


def env_url(name: str, schemes: tuple[str, ...]) -> str | None:
    """A URL whose scheme is one of ``schemes``, or None when unset or empty."""
    value = env_str(name)
    if not value:
        return None
    scheme = value.split("://", 1)[0].lower() if "://" in value else ""
    if scheme not in schemes:
        raise ImproperlyConfiguredEnv(
            f"{name} must start with one of {', '.join(s + '://' for s in schemes)}; got {value!r}"
        )
    return value


def local_secret(path: Path) -> str:
    """A development secret kept in a git-ignored file, created on first use.

    Only for the embedded default: production sets SECRET_KEY (or SECRET_KEY_FILE).
    """
    try:
        existing = path.read_text().strip()
    except FileNotFoundError:
        existing = ""
    if existing:
        return existing
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(50)
    # O_EXCL: two processes starting together must not overwrite each other's key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    return secret
