"""Typed reads of environment variables that collect every problem before failing.

Settings read each variable once through an `Environment`; at the end of the
settings module `raise_if_problems()` stops start-up with one message listing
every missing or malformed value, so an operator fixes them all in one go.
"""

import builtins
import os
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


class Environment:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ
        self.problems: list[str] = []
        self.required: set[str] = set()

    def _raw(self, name: str, *, required: bool) -> str | None:
        if required:
            self.required.add(name)
        value = self.environ.get(name)
        if value is None or value.strip() == "":
            if required:
                self.problems.append(f"{name} is required")
            return None
        return value.strip()

    def str(
        self,
        name: str,
        default: str = "",
        *,
        required: bool = False,
        min_length: int = 0,
        choices: Iterable[str] | None = None,
    ) -> str:
        value = self._raw(name, required=required)
        if value is None:
            return default
        if min_length and len(value) < min_length:
            self.problems.append(f"{name} must be at least {min_length} characters long")
        if choices is not None and value not in choices:
            self.problems.append(f"{name} must be one of: {', '.join(sorted(choices))}")
        return value

    def secret(
        self, name: builtins.str, default: builtins.str, *, required: builtins.bool, min_length: builtins.int
    ) -> builtins.str:
        """A secret: required and of a minimum length when `required` (production)."""
        value = self._raw(name, required=required)
        if value is None:
            return default
        if required and len(value) < min_length:
            self.problems.append(f"{name} must be at least {min_length} characters long")
        elif required and len(set(value)) < 5:
            self.problems.append(f"{name} must not repeat so few characters: use a random value")
        return value

    def bool(self, name: builtins.str, default: builtins.bool) -> builtins.bool:
        value = self._raw(name, required=False)
        if value is None:
            return default
        word = value.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        self.problems.append(f"{name} must be true or false, not {value!r}")
        return default

    def int(
        self,
        name: builtins.str,
        default: builtins.int,
        *,
        minimum: builtins.int | None = None,
        maximum: builtins.int | None = None,
    ) -> builtins.int:
        value = self._raw(name, required=False)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            self.problems.append(f"{name} must be a whole number, not {value!r}")
            return default
        if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            self.problems.append(f"{name} must be between {minimum} and {maximum}, not {number}")
            return default
        return number

    def list(
        self, name: builtins.str, default: Iterable[builtins.str] = (), *, required: builtins.bool = False
    ) -> list[builtins.str]:
        value = self._raw(name, required=required)
        if value is None:
            return list(default)
        return [item.strip() for item in value.split(",") if item.strip()]

    def url(
        self, name: builtins.str, *, schemes: Iterable[builtins.str], required: builtins.bool = False
    ) -> builtins.str:
        value = self._raw(name, required=required)
        if value is None:
            return ""
        allowed = tuple(schemes)
        parts = urlsplit(value)
        if parts.scheme not in allowed or not parts.hostname:
            shown = " or ".join(f"{scheme}://" for scheme in allowed)
            self.problems.append(f"{name} must be a {shown} URL with a host")
        return value

    def together(
        self, names: Iterable[builtins.str], *, required: builtins.bool = False, why: builtins.str = ""
    ) -> builtins.bool:
        """True when every one of `names` is set; a partial set is a problem."""
        names = list(names)
        present = [name for name in names if self.environ.get(name, "").strip()]
        self.required.update(names if required else ())
        if present and len(present) < len(names):
            missing = ", ".join(name for name in names if name not in present)
            self.problems.append(f"{', '.join(names)} must be set together{why}; missing: {missing}")
        elif required and not present:
            self.problems.append(f"{', '.join(names)} are required{why}")
        return len(present) == len(names)

    def raise_if_problems(self) -> None:
        if self.problems:
            listed = "\n".join(f"  - {problem}" for problem in self.problems)
            raise ImproperlyConfigured(
                f"FiLot cannot start: {len(self.problems)} configuration problem(s):\n{listed}\n"
                "See .env.example for every variable and its meaning."
            )
