"""AWS Signature Version 4, verified on the server, for the ECR API and STS.

Pure: no I/O, and the time is an argument. Two steps, so the caller can look the
secret up in between::

    claim = parse_claim(request)            # syntax only: no secret, no clock
    secret = ...claim.access_key_id...      # the caller's; unrecognized_client() if unknown
    verify(request, claim, secret, now, region=..., services=...)

The canonical request is rebuilt the way botocore's ``SigV4Auth`` and
``SigV4QueryAuth`` build it (botocore is the client berth must match)::

    POST                       the method, upper case
    /a%2520b/c                 the raw path with empty and dot segments removed, then
                               percent-encoded once more (non-S3 services encode twice)
    a=x%20y&b=%2F              each query key and value decoded ("+" is a space) and
                               re-encoded keeping only A-Z a-z 0-9 - _ . ~, pairs sorted;
                               X-Amz-Signature left out of a presigned URL
    host:berth.example         each signed header, in the order signed: values trimmed,
    x-amz-date:2026...Z        inner whitespace collapsed, repeats joined with ","
                               (an empty line ends the block)
    host;x-amz-date            the signed header names
    e3b0c442...                x-amz-content-sha256 when sent (a hash must match the body),
                               else the body's SHA-256; a presigned URL may instead have
                               been signed over UNSIGNED-PAYLOAD, as S3 presigns

Every refusal is a ``SigV4Error`` with the AWS JSON protocol's exception name,
message and HTTP status. Messages may name the access key id, never a secret or
a signature.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import quote, unquote, unquote_to_bytes

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
DEFAULT_SERVICES = frozenset({"ecr", "sts"})
MAX_SKEW = timedelta(minutes=15)
MAX_PRESIGNED_SECONDS = 7 * 24 * 3600

SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details.")

_TIMESTAMP = "%Y%m%dT%H%M%SZ"
_TIMESTAMP_SHAPE = re.compile(r"[0-9]{8}T[0-9]{6}Z")
_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")
_PRESIGN_MARKERS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature")
_PRESIGN_PARAMS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
                   "X-Amz-SignedHeaders", "X-Amz-Signature")


@dataclass(frozen=True, slots=True)
class IncomingRequest:
    """A request as received. Path, query and headers hold the bytes off the wire decoded
    as latin-1, as ``berth.ecr_api.dispatch`` takes them from ASGI: the verifier reads
    them back as the UTF-8 botocore signed."""

    method: str
    path: str                               # raw, still percent-encoded, e.g. "/"
    query: str                              # raw, without "?"
    headers: Sequence[tuple[str, str]]      # as received: any case, maybe repeated
    body: bytes


@dataclass(frozen=True, slots=True)
class SignatureClaim:
    """What a request says about its signature, read before any secret is known."""

    access_key_id: str
    date: str                   # yyyymmdd of the credential scope
    region: str
    service: str
    amz_date: str               # the signing time, yyyymmddTHHMMSSZ
    signed_headers: tuple[str, ...]
    signature: str
    session_token: str | None   # X-Amz-Security-Token: the header, or the presigned parameter
    presigned: bool
    expires: int | None         # X-Amz-Expires of a presigned URL, in seconds


class SigV4Error(Exception):
    """A refused signature: AWS's exception name (``kind``), message and HTTP status."""

    def __init__(self, kind: str, message: str, status: int) -> None:
        super().__init__(kind, message, status)
        self.kind = kind
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


def missing_authentication_token() -> SigV4Error:
    return SigV4Error("MissingAuthenticationTokenException", "Missing Authentication Token", 403)


def unrecognized_client() -> SigV4Error:
    """For the caller, when no active key has the claim's access key id."""
    return SigV4Error("UnrecognizedClientException",
                      "The security token included in the request is invalid.", 403)


def _incomplete(message: str) -> SigV4Error:
    return SigV4Error("IncompleteSignatureException", message, 400)


def _invalid(message: str) -> SigV4Error:
    return SigV4Error("InvalidSignatureException", message, 403)


# step 1: the claim


def parse_claim(request: IncomingRequest) -> SignatureClaim:
    """The signature a request claims, from its Authorization header or presigned query.

    Raises ``SigV4Error``: MissingAuthenticationTokenException when the request is not
    signed at all, IncompleteSignatureException when the signature is malformed.
    """
    headers = _header_values(request.headers)
    params = _query_params(request.query)
    authorization = [value for value in headers.get("authorization", []) if value.strip()]
    presigned = any(name in params for name in _PRESIGN_MARKERS)
    if authorization and presigned:
        raise _incomplete("Only one auth mechanism allowed; only the X-Amz-Algorithm query "
                          "parameter or the Authorization header should be specified.")
    if authorization:
        return _header_claim(authorization, headers)
    if presigned:
        return _query_claim(params)
    raise missing_authentication_token()


def _header_claim(authorization: list[str], headers: dict[str, list[str]]) -> SignatureClaim:
    if len(authorization) > 1:
        raise _incomplete("The request has more than one Authorization header.")
    fields = _authorization_fields(authorization[0])
    problems = [f"Authorization header requires '{name}' parameter."
                for name in ("Credential", "Signature", "SignedHeaders") if not fields.get(name)]
    dated_by = next((name for name in ("x-amz-date", "date") if name in headers), None)
    if dated_by is None:
        problems.append("Authorization header requires existence of either a 'X-Amz-Date' "
                        "or a 'Date' header.")
    if problems or dated_by is None:
        raise _incomplete(" ".join(problems))
    amz_date = _header_timestamp(dated_by, ",".join(headers[dated_by]))
    key, date, region, service = _credential(fields["Credential"])
    signed = _signed_headers(fields["SignedHeaders"])
    if dated_by not in (name.lower() for name in signed):
        raise _incomplete("'X-Amz-Date' or 'Date' must be a 'SignedHeader' in the AWS "
                          "Authorization.")
    token = headers.get("x-amz-security-token")
    return SignatureClaim(key, date, region, service, amz_date, signed, fields["Signature"],
                          ",".join(token) if token else None, presigned=False, expires=None)


def _authorization_fields(authorization: str) -> dict[str, str]:
    """``Credential``, ``SignedHeaders`` and ``Signature``, separated by commas or spaces."""
    algorithm, *rest = authorization.split(None, 1)
    if algorithm != ALGORITHM:
        raise _incomplete(f"Unsupported AWS 'algorithm': '{_shown(algorithm)}'")
    fields: dict[str, str] = {}
    for part in re.split(r"[\s,]+", rest[0] if rest else ""):
        if not part:
            continue
        name, equals, value = part.partition("=")
        if not equals:
            raise _incomplete(f"'{_shown(part)}' not a valid key=value pair (missing "
                              "equal-sign) in Authorization header.")
        if name in fields:
            raise _incomplete(f"Authorization header has more than one '{_shown(name)}'.")
        fields[name] = value
    return fields


def _query_claim(params: dict[str, list[str]]) -> SignatureClaim:
    missing = [name for name in _PRESIGN_PARAMS if name not in params]
    if missing:
        raise _incomplete(" ".join(f"AWS query-string parameters must include '{name}'."
                                   for name in missing)
                          + " Re-examine the query-string parameters.")
    value = {name: _single(params, name) for name in _PRESIGN_PARAMS}
    if value["X-Amz-Algorithm"] != ALGORITHM:
        raise _incomplete(f"Unsupported AWS 'algorithm': '{_shown(value['X-Amz-Algorithm'])}'")
    key, date, region, service = _credential(value["X-Amz-Credential"])
    amz_date = value["X-Amz-Date"]
    _parse_timestamp(amz_date)
    token = _single(params, "X-Amz-Security-Token") if "X-Amz-Security-Token" in params else None
    return SignatureClaim(key, date, region, service, amz_date,
                          _signed_headers(value["X-Amz-SignedHeaders"]), value["X-Amz-Signature"],
                          token, presigned=True, expires=_expires(value["X-Amz-Expires"]))


def _single(params: dict[str, list[str]], name: str) -> str:
    values = params[name]
    if len(values) > 1:
        raise _incomplete(f"AWS query-string parameter '{name}' must appear only once.")
    return values[0]


def _credential(credential: str) -> tuple[str, str, str, str]:
    """(access key id, date, region, service) of ``AKID/yyyymmdd/region/service/aws4_request``."""
    parts = credential.split("/")
    if len(parts) != 5 or not all(parts):
        raise _incomplete("Credential must have exactly 5 slash-delimited elements, e.g. "
                          f"keyid/date/region/service/term, got '{_shown(credential)}'")
    if parts[4] != TERMINATOR:
        raise _incomplete("Credential should be scoped with a valid terminator: "
                          f"'{TERMINATOR}', not '{_shown(parts[4])}'.")
    return parts[0], parts[1], parts[2], parts[3]


def _signed_headers(text: str) -> tuple[str, ...]:
    names = tuple(text.split(";"))
    if not all(names):
        raise _incomplete(f"SignedHeaders must name headers separated by ';', got "
                          f"'{_shown(text)}'.")
    if "host" not in (name.lower() for name in names):
        raise _incomplete("'Host' must be a 'SignedHeader' in the AWS Authorization.")
    return names


def _expires(text: str) -> int:
    seconds = int(text) if text.isascii() and text.isdigit() and len(text) < 10 else 0
    return _check_expires(seconds)


def _check_expires(seconds: int | None) -> int:
    if seconds is None or not 1 <= seconds <= MAX_PRESIGNED_SECONDS:
        raise _incomplete("X-Amz-Expires must be a whole number of seconds from 1 to "
                          f"{MAX_PRESIGNED_SECONDS} (one week).")
    return seconds


def _header_timestamp(name: str, value: str) -> str:
    """The signing time from X-Amz-Date, or from an HTTP Date header, as yyyymmddTHHMMSSZ."""
    if name == "x-amz-date":
        _parse_timestamp(value)
        return value
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        raise _incomplete(f"Date must be an HTTP-date, got '{_shown(value)}'.") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return _stamp(parsed.astimezone(UTC))


def _parse_timestamp(text: str) -> datetime:
    if _TIMESTAMP_SHAPE.fullmatch(text):
        try:
            return datetime.strptime(text, _TIMESTAMP).replace(tzinfo=UTC)
        except ValueError:
            pass
    raise _incomplete(f"Date must be in ISO-8601 'basic format'. Got '{_shown(text)}'. "
                      "See http://en.wikipedia.org/wiki/ISO_8601")


def _stamp(moment: datetime) -> str:
    return moment.strftime(_TIMESTAMP)


def _shown(text: str) -> str:
    """Client text quoted back in a message, cut short."""
    return text if len(text) <= 128 else text[:125] + "..."


# step 2: the check


def verify(request: IncomingRequest, claim: SignatureClaim, secret_key: str, now: datetime,
           *, region: str | None = None, services: Collection[str] = DEFAULT_SERVICES) -> None:
    """Return if ``claim`` (parsed from this ``request``) is a valid signature by the secret.

    ``now`` is naive UTC or aware; ``region`` None accepts any region. Raises
    ``SigV4Error``: InvalidSignatureException when the time is out of range, the
    credential scope is wrong, the body does not match its declared hash or the
    signature does not match; IncompleteSignatureException when x-amz-content-sha256
    is neither a SHA-256 nor UNSIGNED-PAYLOAD.
    """
    _check_time(claim, now)
    _check_scope(claim, region, services)
    key = signing_key(secret_key, claim.date, claim.region, claim.service)
    provided = claim.signature.encode()
    for payload_hash in _payload_hashes(request, claim):
        canonical = canonical_request(request, claim, payload_hash)
        expected = hmac.new(key, string_to_sign(claim, canonical).encode(), hashlib.sha256)
        if hmac.compare_digest(expected.hexdigest().encode(), provided):
            return
    raise _invalid(SIGNATURE_MISMATCH)


def _check_time(claim: SignatureClaim, now: datetime) -> None:
    now = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    signed_at = _parse_timestamp(claim.amz_date)
    if signed_at > now + MAX_SKEW:
        raise _invalid(f"Signature not yet current: {claim.amz_date} is still later than "
                       f"{_stamp(now + MAX_SKEW)} ({_stamp(now)} + 15 min.)")
    if claim.presigned:
        seconds = _check_expires(claim.expires)
        window, window_text = timedelta(seconds=seconds), f"{seconds} sec."
    else:
        window, window_text = MAX_SKEW, "15 min."
    if signed_at < now - window:
        raise _invalid(f"Signature expired: {claim.amz_date} is now earlier than "
                       f"{_stamp(now - window)} ({_stamp(now)} - {window_text})")


def _check_scope(claim: SignatureClaim, region: str | None, services: Collection[str]) -> None:
    if claim.date != claim.amz_date[:8]:
        raise _invalid("Date in Credential scope does not match YYYYMMDD from ISO-8601 "
                       f"version of date from HTTP: '{_shown(claim.date)}' != "
                       f"'{claim.amz_date[:8]}', from '{claim.amz_date}'.")
    if region is not None and claim.region != region:
        raise _invalid(f"Credential should be scoped to a valid region, not "
                       f"'{_shown(claim.region)}'.")
    allowed = {services} if isinstance(services, str) else set(services)
    if claim.service not in allowed:
        names = "' or '".join(sorted(allowed))
        raise _invalid(f"Credential should be scoped to correct service: '{names}'.")


def _payload_hashes(request: IncomingRequest, claim: SignatureClaim) -> tuple[str, ...]:
    """The payload hashes the signer may have used, the likely one first."""
    actual = hashlib.sha256(request.body).hexdigest()
    declared = _header_values(request.headers).get("x-amz-content-sha256")
    if declared is None:
        return (actual, UNSIGNED_PAYLOAD) if claim.presigned else (actual,)
    value = ",".join(declared)
    if value == UNSIGNED_PAYLOAD:
        return (value,)
    if not _SHA256_HEX.fullmatch(value):
        raise _incomplete("x-amz-content-sha256 must be UNSIGNED-PAYLOAD or the hex SHA-256 "
                          f"of the body, got '{_shown(value)}'.")
    if value.lower() != actual:
        raise _invalid("The provided 'x-amz-content-sha256' header does not match what was "
                       "computed.")
    return (value,)


# the canonical forms


def canonical_request(request: IncomingRequest, claim: SignatureClaim, payload_hash: str) -> str:
    """The canonical request as botocore's signer built it (see the module docstring)."""
    headers = _header_values(request.headers)
    lines = "".join(f"{name}:{','.join(_trim_all(v) for v in headers.get(name.lower(), []))}\n"
                    for name in claim.signed_headers)
    return "\n".join([request.method.upper(), canonical_uri(request.path),
                      canonical_query(request.query, presigned=claim.presigned), lines,
                      ";".join(claim.signed_headers), payload_hash])


def canonical_uri(path: str) -> str:
    """The raw path, normalized and encoded again, as for every service but S3."""
    return quote(_wire_bytes(_remove_dot_segments(path) if path else "/"), safe="/~")


def canonical_query(query: str, *, presigned: bool = False) -> str:
    pairs = []
    for key, value in _query_pairs(query):
        if presigned and _decode(key) == "X-Amz-Signature":
            continue
        pairs.append((_uri_encode(key), _uri_encode(value)))
    return "&".join(f"{key}={value}" for key, value in sorted(pairs))


def string_to_sign(claim: SignatureClaim, canonical: str) -> str:
    scope = f"{claim.date}/{claim.region}/{claim.service}/{TERMINATOR}"
    digest = hashlib.sha256(canonical.encode("utf-8", "surrogateescape")).hexdigest()
    return "\n".join([ALGORITHM, claim.amz_date, scope, digest])


def signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    key = f"AWS4{secret_key}".encode()
    for part in (date, region, service, TERMINATOR):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, also dropping empty segments, as botocore does."""
    kept: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if kept:
                kept.pop()
        elif segment and segment != ".":
            kept.append(segment)
    first = "/" if path.startswith("/") else ""
    last = "/" if path.endswith("/") and kept else ""
    return first + "/".join(kept) + last


def _trim_all(value: str) -> str:
    """Trimmed, inner whitespace collapsed, by Python's idea of whitespace, as botocore does."""
    return " ".join(_wire_text(value).split())


def _wire_bytes(text: str) -> bytes:
    """The received bytes a latin-1 string carries (text beyond latin-1 taken as UTF-8)."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape")


def _wire_text(text: str) -> str:
    """The received bytes read as UTF-8; bytes that are not stay as surrogate escapes."""
    return _wire_bytes(text).decode("utf-8", "surrogateescape")


def _header_values(headers: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in headers:
        found.setdefault(name.lower(), []).append(value)
    return found


def _query_pairs(query: str) -> list[tuple[str, str]]:
    """Raw (key, value) pairs; a key without "=" has the empty value."""
    return [(key, value) for key, _, value in
            (part.partition("=") for part in query.split("&") if part)]


def _query_params(query: str) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for key, value in _query_pairs(query):
        params.setdefault(_decode(key), []).append(_decode(value))
    return params


def _decode(raw: str) -> str:
    return unquote(raw.replace("+", " "))


def _uri_encode(raw: str) -> str:
    return quote(unquote_to_bytes(_wire_bytes(raw.replace("+", " "))), safe="-_.~")
