"""The value of a Datadog secret, given to the L2 ``Secret`` the way it writes the same bytes fastest.

The L2 ``Secret`` writes ``secret_object_value`` as ``JSON.stringify`` of each field's
``unsafeUnwrap()``, in the order given. A key from Secrets Manager
(``SecretValue.secrets_manager``) unwraps to a token, so each such secret's ``SecretString``
carries a token that CDK maps again at every resolution of the template (three per synth).

When every field is known at synth time as text JSON writes without escaping (printable ASCII
without ``"`` or ``\\``: key ids, the service account, the site, a dynamic reference
``{{resolve:secretsmanager:...}}``, a literal key), this module writes that JSON itself and the
secret gets it as one plain ``SecretValue``: the same ``SecretString``, byte for byte (with nothing
to escape, Python's ``json.dumps`` and ``JSON.stringify`` agree), and nothing left to map. The text of
a key is the one :func:`~ddsecrets_constructs.key_material.check_key_material` checked. Any other
value (a ``CfnParameter``, a deploy-time key id, text JSON would escape) goes to the L2 as before.
Changing the bytes of a ``SecretString`` is a major change (docs/versioning.md):
tests/test_secret_string.py holds both ways equal to the L2's own serialisation.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Optional, Union

from aws_cdk import SecretValue

from .validation import is_unresolved

# What JSON writes as it is: printable ASCII but the quote and the backslash.
_UNESCAPED = re.compile(r"[ !#-\[\]-~]*")


@dataclass(frozen=True)
class PlainField:
    """A field of the secret that is not secret (a key id, the service account id, the site)."""

    text: str


Field = Union[SecretValue, PlainField]


@functools.lru_cache(maxsize=1024)
def _as_secret_value(text: str) -> SecretValue:
    """One ``SecretValue`` per distinct plain text (each one made costs a jsii round trip)."""
    return SecretValue.unsafe_plain_text(text)


def secret_value_props(
    fields: Mapping[str, Field], literal_of: Callable[[SecretValue], Optional[str]]
) -> dict[str, Any]:
    """The L2 ``Secret``'s value prop for ``fields``: ``secret_string_value`` with the JSON written
    here when every field is plain text JSON does not escape, else ``secret_object_value``.

    :param literal_of: the text a ``SecretValue`` is known to stand for at synth time, or None.
    """
    texts: dict[str, str] = {}
    for name, value in fields.items():
        text = value.text if isinstance(value, PlainField) else literal_of(value)
        if text is None or is_unresolved(text) or not _UNESCAPED.fullmatch(text):
            return {
                "secret_object_value": {
                    name: _as_secret_value(value.text) if isinstance(value, PlainField) else value
                    for name, value in fields.items()
                }
            }
        texts[name] = text
    return {"secret_string_value": SecretValue.unsafe_plain_text(json.dumps(texts, separators=(",", ":")))}
