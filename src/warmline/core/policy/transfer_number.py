"""A transfer number as voice platforms dial it: E.164 plus an optional extension.

Vapi checks `number` is E.164 (`numberE164CheckEnabled`, on by default) and dials `extension`
after the transfer connects; Twilio's `<Number sendDigits>` and Retell's dynamic variables take
the same two parts. A policy may write numbers as people do ("+1 (512) 555-0100 ext. 204");
`read_transfer` / `read_phone` turn them into those parts once, when the policy loads, with
a located problem for a number no platform could dial.
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers

from warmline.core.policy.context import Path, PolicyReader
from warmline.core.policy.model import Transfer

#: The country a number without `+` is read in when the policy names none (`country:`).
DEFAULT_COUNTRY = "US"


@dataclass(frozen=True, slots=True)
class TransferNumber:
    e164: str
    extension: str | None = None


def read_transfer_number(text: str, country: str | None) -> TransferNumber:
    """`text` as E.164 and extension, a national number read in `country` (default US).

    Raises:
        ValueError: one sentence naming the number and why no platform could dial it.
    """
    region = (country or DEFAULT_COUNTRY).upper()
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as err:
        raise ValueError(f"{text!r} is not a phone number") from err
    if not phonenumbers.is_possible_number(parsed):
        raise ValueError(f"{text!r} is not a possible phone number in {region} or in "
                         "international form (+ and the country code)")
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    extension = parsed.extension or None
    if extension is not None and not extension.isdigit():
        raise ValueError(f"{text!r} has an extension that is not digits: {extension!r}")
    return TransferNumber(e164=e164, extension=extension)


def read_transfer(ctx: PolicyReader, value: object, p: Path, country: str | None
                  ) -> Transfer | None:
    """A queue's `transfer:` (number and/or SIP URI), its number normalised."""
    if value is None:
        return None
    obj = ctx.mapping(value, p)
    ctx.keys(obj, ("number", "sip"), p)
    number = None
    if "number" in obj:
        number = _number(ctx, obj["number"], (*p, "number"), country)
    sip = ctx.string(obj["sip"], (*p, "sip")) if "sip" in obj else None
    if "number" not in obj and sip is None:
        ctx.fail(p, "transfer needs `number:` (E.164) or `sip:` (a SIP URI)")
    elif sip is not None and not sip.startswith(("sip:", "sips:")):
        ctx.fail((*p, "sip"), f"{sip!r} is not a SIP URI (it starts with sip:)")
    return Transfer(number=number.e164 if number else None, sip=sip,
                    extension=number.extension if number else None)


def _number(ctx: PolicyReader, value: object, p: Path, country: str | None
            ) -> TransferNumber | None:
    """A phone number as E.164 (+ extension), read in the policy's `country`."""
    text = ctx.string(value, p)
    if text is None:
        return None
    try:
        return read_transfer_number(text, country)
    except ValueError as err:
        ctx.fail(p, str(err))
        return None


def read_phone(ctx: PolicyReader, value: object, p: Path, country: str | None) -> str | None:
    """A queue's `phone:` (an outside number) as E.164."""
    number = _number(ctx, value, p, country)
    if number is not None and number.extension:
        ctx.fail(p, f"an outside number takes no extension ({value!r}); use "
                 "`transfer: {number: ...}` to dial one")
    return number.e164 if number else None
