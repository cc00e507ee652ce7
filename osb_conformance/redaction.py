"""The one place where secrets are recognised and removed.

Everything that may end up in a report, a log or a failure message goes through
:func:`redact` (structured data) or :func:`redact_text` (free text). Nothing
else in the package formats secrets.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REDACTED = "[REDACTED]"
_MIN_LITERAL = 4  # characters; shorter "secrets" would blank out ordinary words
# Shorter literals (a port "4000", a user "app1") are replaced only as whole tokens: inside
# a GUID or a longer word they are a coincidence, and blanking them makes reports unreadable.
_WHOLE_TOKEN_BELOW = 8
_TOKEN_CHAR = r"[A-Za-z0-9_-]"
_FEW_LITERALS = 64  # up to this many, trying each literal beats indexing the text

# Keys whose values are secret wherever they appear (headers, JSON bodies, query strings).
_SECRET_KEY = re.compile(
    r"(authorization|x-broker-api-originating-identity|secret|password|passwd|token|key"
    r"|credential|private|cookie)",
    re.IGNORECASE,
)

# Free-text forms: "Authorization: Basic xyz", "Bearer xyz", "password=xyz", "user:pass@host".
_TEXT_PATTERNS = [
    # (not "$OSB_BROKER_TOKEN": a curl command names the variable, not the secret)
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(basic|bearer)\s+(?![$\[])"
               r"[^\s'\",}]+"),
    re.compile(r"(?i)\b(basic|bearer)\s+[A-Za-z0-9._~+/=-]{6,}"),
    re.compile(r"(?i)(x-broker-api-originating-identity['\"]?\s*[:=]\s*['\"]?)[^'\"\n]+"),
    re.compile(r"(?i)(https?://)[^/\s:@]+:[^/\s@]+@"),
    # name=value with a secret-looking name: options on a command line, query parameters.
    re.compile(r"(?i)(\b[\w.-]*(?:secret|password|passwd|token|credential|api[_-]?key)"
               r"[\w.-]*=)[^\s&'\"]+"),
]


class Redactor:
    """Removes secrets: values under secret-looking keys and known literal secrets."""

    def __init__(self, literals: Iterable[str] = ()) -> None:
        self._literals: set[str] = set()
        # A run learns every binding's credentials: thousands of literals on big catalogs.
        # Indexed by their first characters, free text is searched only for those it may hold.
        self._by_prefix: dict[str, list[str]] = {}
        self._longest_first: list[str] | None = None
        self.add_literals(literals)

    def add_literals(self, literals: Iterable[str]) -> None:
        """Remember secret strings (passwords, tokens, credentials seen in responses)."""
        for value in literals:
            # Very short strings would blank out ordinary words; they are not secrets worth it.
            if isinstance(value, str) and len(value) >= _MIN_LITERAL \
                    and value not in self._literals:
                self._literals.add(value)
                self._by_prefix.setdefault(value[:_MIN_LITERAL], []).append(value)
                self._longest_first = None

    def _literals_to_replace(self, text: str) -> list[str]:
        """Known literals, longest first; with many, only those whose start is in ``text``."""
        if len(self._literals) <= _FEW_LITERALS:
            if self._longest_first is None:
                self._longest_first = sorted(self._literals, key=len, reverse=True)
            return self._longest_first
        found = {literal for i in range(len(text) - _MIN_LITERAL + 1)
                 for literal in self._by_prefix.get(text[i:i + _MIN_LITERAL], ())}
        return sorted(found, key=len, reverse=True)

    def learn_from(self, data: Any) -> None:
        """Remember every string found under a secret key, so it is removed from free text too."""
        self.add_literals(_secret_strings(data))

    def redact(self, data: Any) -> Any:
        """Return a copy of ``data`` with secret values replaced by ``[REDACTED]``."""
        if isinstance(data, dict):
            return {k: self._redact_item(k, v) for k, v in data.items()}
        if isinstance(data, (list, tuple)):
            return [self.redact(v) for v in data]
        if isinstance(data, str):
            return self.redact_text(data)
        return data

    def _redact_item(self, key: Any, value: Any) -> Any:
        if isinstance(key, str) and key.lower() == "authorization" and isinstance(value, str):
            scheme = value.split(" ", 1)[0] if " " in value else ""
            return f"{scheme} {REDACTED}".strip()
        if isinstance(key, str) and is_secret_key(key) and value not in (None, "", {}, []):
            return REDACTED
        return self.redact(value)

    def redact_text(self, text: str) -> str:
        """Remove secrets from free text (messages, bodies, command lines)."""
        for literal in self._literals_to_replace(text):
            text = _replace_literal(text, literal)
        text = _TEXT_PATTERNS[0].sub(lambda m: m.group(1) + REDACTED, text)
        text = _TEXT_PATTERNS[1].sub(lambda m: m.group(1) + " " + REDACTED, text)
        text = _TEXT_PATTERNS[2].sub(lambda m: m.group(1) + REDACTED, text)
        text = _TEXT_PATTERNS[3].sub(lambda m: m.group(1) + REDACTED + "@", text)
        text = _TEXT_PATTERNS[4].sub(lambda m: m.group(1) + REDACTED, text)
        return _redact_json_strings(text)


def _replace_literal(text: str, literal: str) -> str:
    if len(literal) >= _WHOLE_TOKEN_BELOW:
        return text.replace(literal, REDACTED)
    if literal not in text:
        return text
    whole = re.compile(rf"(?<!{_TOKEN_CHAR}){re.escape(literal)}(?!{_TOKEN_CHAR})")
    return whole.sub(REDACTED, text)


def redact_command_line(argv: Sequence[str]) -> str:
    """A command line to show in reports: values of secret-looking options removed.

    Handles ``--broker-password=x`` and ``--broker-password x`` alike.
    """
    shown: list[str] = []
    value_is_secret = False
    for argument in argv:
        if value_is_secret:
            shown.append(REDACTED)
            value_is_secret = False
            continue
        option = argument.split("=", 1)[0]
        if option.startswith("-") and is_secret_key(option):
            if "=" in argument:
                argument = f"{option}={REDACTED}"
            else:
                value_is_secret = True
        shown.append(redact_text(argument))
    # Quoting keeps the line copyable; "[REDACTED]" stays readable unquoted.
    return " ".join(a if REDACTED in a else shlex.quote(a) for a in shown)


def url_without_credentials(url: str) -> str:
    """The URL without user info, and with secret query parameters removed."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return redact_text(urlunsplit(parts._replace(netloc=netloc)))


def is_secret_key(key: str) -> bool:
    """True when a header, field or parameter name denotes a secret."""
    return bool(_SECRET_KEY.search(key))


def _secret_strings(data: Any, under_secret: bool = False) -> Iterable[str]:
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _secret_strings(v, under_secret or (isinstance(k, str) and is_secret_key(k)))
    elif isinstance(data, (list, tuple)):
        for v in data:
            yield from _secret_strings(v, under_secret)
    elif under_secret and isinstance(data, str):
        yield data


_JSON_SECRET_FIELD = re.compile(
    r'("(?:[^"\\]*(?:authorization|secret|password|passwd|token|key|credential|private)[^"\\]*)"'
    r'\s*:\s*)("(?:[^"\\]|\\.)*"|\{[^{}]*\}|[-0-9.]+|true|false)',
    re.IGNORECASE,
)


def _redact_json_strings(text: str) -> str:
    """Redact secret fields inside JSON embedded in free text (e.g. a body in a message)."""
    return _JSON_SECRET_FIELD.sub(lambda m: f'{m.group(1)}"{REDACTED}"', text)


# One process-wide redactor: every writer of output uses it, and the plugin teaches it
# the run's password and token at start-up and every credential it sees in responses.
REDACTOR = Redactor()


def redact(data: Any) -> Any:
    """Redact structured data with the process-wide redactor."""
    return REDACTOR.redact(data)


def redact_text(text: str) -> str:
    """Redact free text with the process-wide redactor."""
    return REDACTOR.redact_text(text)
