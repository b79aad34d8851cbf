"""SigV4 verification against requests signed by botocore itself, the client berth must match."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from unittest import mock
from urllib.parse import quote, urlsplit

import boto3
import pytest
from botocore.auth import S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSPreparedRequest, AWSRequest
from botocore.credentials import Credentials
from botocore.utils import percent_encode_sequence
from hypothesis import given, settings
from hypothesis import strategies as st

from berth.auth.sigv4 import (
    SIGNATURE_MISMATCH,
    IncomingRequest,
    SignatureClaim,
    SigV4Error,
    canonical_request,
    parse_claim,
    unrecognized_client,
    verify,
)

AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "FwoGZXIvYXdzEBYaDK+/token=="
CREDENTIALS = Credentials(AKID, SECRET)
NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
ENDPOINT = "https://api.ecr.us-east-1.amazonaws.com"
TARGET = "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories"
BODY = b'{"repositoryNames":["team/app"]}'
INCOMPLETE, INVALID = "IncompleteSignatureException", "InvalidSignatureException"


# signing with botocore, and what then arrives at berth


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    with mock.patch("botocore.auth.get_current_datetime",
                    return_value=at.astimezone(UTC).replace(tzinfo=None)):
        yield


class RecordingSigV4Auth(SigV4Auth):
    """botocore's signer, keeping the canonical request it signed."""

    canonical: str = ""

    def string_to_sign(self, request: AWSRequest, canonical_request: str) -> str:
        self.canonical = canonical_request
        return str(super().string_to_sign(request, canonical_request))


def arrived(prepared: AWSPreparedRequest) -> IncomingRequest:
    """The request as botocore sends it (UTF-8) and berth takes it from ASGI (latin-1)."""
    url = urlsplit(prepared.url)
    headers = [(_wire(k), _wire(v)) for k, v in prepared.headers.items()]
    if not any(name.lower() == "host" for name, _ in headers):
        headers.append(("Host", url.netloc))
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode()
    return IncomingRequest(prepared.method, _wire(url.path or "/"), _wire(url.query), headers,
                           body)


def _wire(value: str | bytes) -> str:
    """Text botocore sends as UTF-8, as ``berth.ecr_api.dispatch`` decodes it from ASGI."""
    return (value if isinstance(value, bytes) else value.encode()).decode("latin-1")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sign(request: AWSRequest, *, at: datetime = NOW, service: str = "ecr",
         region: str = "us-east-1", credentials: Credentials = CREDENTIALS) -> IncomingRequest:
    with frozen(at):
        SigV4Auth(credentials, service, region).add_auth(request)
    return arrived(request.prepare())


def presign(request: AWSRequest, *, at: datetime = NOW, expires: int = 300,
            signer: type[SigV4QueryAuth] = SigV4QueryAuth, service: str = "ecr",
            credentials: Credentials = CREDENTIALS) -> IncomingRequest:
    with frozen(at):
        signer(credentials, service, "us-east-1", expires=expires).add_auth(request)
    return arrived(request.prepare())


def ecr_post(extra_headers: dict[str, str] | None = None) -> AWSRequest:
    return AWSRequest("POST", ENDPOINT + "/", data=BODY, headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": TARGET,
        **(extra_headers or {})})


def check(request: IncomingRequest, *, now: datetime = NOW, secret: str = SECRET,
          **options: Any) -> SignatureClaim:
    claim = parse_claim(request)
    verify(request, claim, secret, now, **options)
    return claim


def refused(kind: str, request: IncomingRequest, **options: Any) -> SigV4Error:
    with pytest.raises(SigV4Error) as raised:
        check(request, **options)
    assert raised.value.kind == kind, raised.value
    assert raised.value.status == (400 if kind == INCOMPLETE else 403)
    return raised.value


def header(request: IncomingRequest, name: str) -> str:
    return next(v for k, v in request.headers if k.lower() == name.lower())


def with_header(request: IncomingRequest, name: str, value: str | None) -> IncomingRequest:
    """The request with one header replaced (or added; removed when value is None)."""
    kept = [(k, v) for k, v in request.headers if k.lower() != name.lower()]
    if value is not None:
        kept.append((name, value))
    return dataclasses.replace(request, headers=kept)


def with_authorization(request: IncomingRequest, old: str, new: str) -> IncomingRequest:
    authorization = header(request, "Authorization")
    assert old in authorization
    return with_header(request, "Authorization", authorization.replace(old, new))


# requests that verify


def test_header_signed_json_post() -> None:
    request = sign(ecr_post())
    claim = check(request, region="us-east-1", services={"ecr"})
    assert (claim.access_key_id, claim.date, claim.region, claim.service) == (
        AKID, "20261126", "us-east-1", "ecr")
    assert claim.amz_date == "20261126T120000Z"
    assert claim.signed_headers == ("content-type", "host", "x-amz-date", "x-amz-target")
    assert not claim.presigned and claim.expires is None and claim.session_token is None


def test_session_token_is_claimed_and_signed() -> None:
    request = sign(ecr_post(), credentials=Credentials(AKID, SECRET, TOKEN))
    assert check(request).session_token == TOKEN
    assert "x-amz-security-token" in parse_claim(request).signed_headers
    error = refused(INVALID, with_header(request, "X-Amz-Security-Token", TOKEN + "x"))
    assert error.message == SIGNATURE_MISMATCH


def test_a_secret_with_every_base64_character() -> None:
    secret = "ab+/=Z09" * 5
    request = sign(ecr_post(), credentials=Credentials(AKID, secret))
    check(request, secret=secret)


@pytest.mark.parametrize("params", [
    {"name": "a b/c~d=e", "plus": "1+1", "unicode": "ü€𝄞", "empty": "", "B": "upper"},
    {"same": "z", "samE": "a", "~": "tilde", "%": "percent", "&=": "?#"},
])
def test_get_with_a_query_needing_encoding(params: dict[str, str]) -> None:
    path = "/v2/my%20repo/~tilde/caf%C3%A9/./x/../y"
    signer = RecordingSigV4Auth(CREDENTIALS, "ecr", "us-east-1")
    for request in (AWSRequest("GET", ENDPOINT + path, params=params),  # sent as q=a+b...
                    AWSRequest("GET", f"{ENDPOINT}{path}?{percent_encode_sequence(params)}")):
        with frozen(NOW):
            signer.add_auth(request)
        incoming = arrived(request.prepare())
        claim = check(incoming)
        assert canonical_request(incoming, claim, _sha256(b"")) == signer.canonical
        assert signer.canonical.splitlines()[1] == "/v2/my%2520repo/~tilde/caf%25C3%25A9/y"


def test_utf8_on_the_wire_is_read_as_botocore_signed_it() -> None:
    note = "  café\u00a0 €  x\u2003y "  # NO-BREAK SPACE and EM SPACE collapse too
    request = sign(AWSRequest("POST", ENDPOINT + "/café/ü", data=BODY, headers={
        "X-Amz-Target": TARGET, "X-Berth-Note": note}))
    assert header(request, "X-Berth-Note") == note.encode().decode("latin-1")
    assert request.path == "/café/ü".encode().decode("latin-1")
    check(request)
    refused(INVALID, with_header(request, "X-Berth-Note", note.encode().decode("latin-1")[1:]
                                 .replace("x", "z")))


def test_presigned_get() -> None:
    request = presign(AWSRequest("GET", ENDPOINT + "/", params={"Action": "Describe"}),
                      expires=900)
    claim = check(request)
    assert claim.presigned and claim.expires == 900 and claim.signed_headers == ("host",)
    assert claim.session_token is None


def test_presigned_url_with_a_session_token() -> None:
    request = presign(AWSRequest("GET", ENDPOINT + "/"),
                      credentials=Credentials(AKID, SECRET, TOKEN))
    assert "X-Amz-Security-Token=" in request.query
    assert check(request).session_token == TOKEN


def test_presigned_over_unsigned_payload_as_s3_presigns() -> None:
    check(presign(AWSRequest("GET", ENDPOINT + "/"), signer=S3SigV4QueryAuth))


def test_presigned_sts_get_caller_identity() -> None:
    request = presign(AWSRequest("POST", "https://sts.amazonaws.com/",
                                 data={"Action": "GetCallerIdentity", "Version": "2011-06-15"}),
                      service="sts")
    check(request, services={"sts"})


def test_signed_with_a_date_header_instead_of_x_amz_date() -> None:
    request = sign(ecr_post({"Date": "Thu, 01 Jan 1970 00:00:00 GMT"}))
    assert header(request, "Date") == "Thu, 26 Nov 2026 12:00:00 -0000"
    assert not any(k.lower() == "x-amz-date" for k, _ in request.headers)
    assert check(request).amz_date == "20261126T120000Z"


@pytest.mark.parametrize("separator", [",", " ", " , ", ",\t"])
def test_authorization_parts_separated_by_commas_or_spaces(separator: str) -> None:
    request = sign(ecr_post())
    check(with_authorization(request, ", ", separator))


def test_unsigned_payload_chosen_by_the_signer() -> None:
    unsigned = ecr_post()
    unsigned.context["payload_signing_enabled"] = False
    request = sign(unsigned)
    assert header(request, "X-Amz-Content-SHA256") == "UNSIGNED-PAYLOAD"
    check(request)
    check(dataclasses.replace(request, body=b"{}"))  # the signer left the body out


def test_unsigned_payload_must_be_declared_in_the_header_form() -> None:
    class UndeclaredUnsignedPayload(SigV4Auth):
        def payload(self, request: AWSRequest) -> str:
            return "UNSIGNED-PAYLOAD"

    unsigned = ecr_post()
    with frozen(NOW):
        UndeclaredUnsignedPayload(CREDENTIALS, "ecr", "us-east-1").add_auth(unsigned)
    assert refused(INVALID, arrived(unsigned.prepare())).message == SIGNATURE_MISMATCH


def test_declared_payload_hash_matching_the_body() -> None:
    check(sign(ecr_post({"X-Amz-Content-SHA256": _sha256(BODY)})))


def test_region_and_services_are_optional_constraints() -> None:
    request = sign(ecr_post(), region="eu-central-1", service="sts")
    check(request, region=None, services=("sts",))
    check(request, region="eu-central-1", services="sts")


# what real clients send


class _Sent(Exception):
    def __init__(self, request: AWSPreparedRequest) -> None:
        super().__init__("captured")
        self.request = request


def sent_by(service: str, call: Callable[[Any], object]) -> IncomingRequest:
    client = boto3.client(service, region_name="us-east-1", aws_access_key_id=AKID,
                          aws_secret_access_key=SECRET,
                          endpoint_url="https://berth.example:8443")

    def capture(request: AWSPreparedRequest, **_: Any) -> None:
        raise _Sent(request)

    client.meta.events.register("before-send", capture)
    with frozen(NOW), pytest.raises(_Sent) as sent:
        call(client)
    return arrived(sent.value.request)


def test_boto3_ecr_client_request() -> None:
    request = sent_by("ecr", lambda ecr: ecr.describe_repositories(repositoryNames=["a/b"]))
    assert header(request, "X-Amz-Target") == TARGET
    claim = check(request, region="us-east-1")
    assert "x-amz-target" in claim.signed_headers and "user-agent" not in claim.signed_headers
    refused(INVALID, with_header(request, "X-Amz-Target", TARGET.replace("Describe", "Delete")))


def test_boto3_sts_client_request() -> None:
    request = sent_by("sts", lambda sts: sts.get_caller_identity())
    assert request.body.startswith(b"Action=GetCallerIdentity")
    check(request, region="us-east-1")


# refusals


def test_missing_authentication() -> None:
    request = IncomingRequest("POST", "/", "", [("Host", "berth.example")], BODY)
    error = refused("MissingAuthenticationTokenException", request)
    assert error.message == "Missing Authentication Token"
    refused("MissingAuthenticationTokenException", with_header(request, "Authorization", " "))


def test_unknown_key_error_for_callers() -> None:
    error = unrecognized_client()
    assert (error.kind, error.status) == ("UnrecognizedClientException", 403)
    assert error.message == "The security token included in the request is invalid."


def test_wrong_secret() -> None:
    error = refused(INVALID, sign(ecr_post()), secret=SECRET[:-1] + "X")
    assert error.message == SIGNATURE_MISMATCH


def test_tampered_signature() -> None:
    request = sign(ecr_post())
    signature = header(request, "Authorization").rsplit("=", 1)[1]
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    refused(INVALID, with_authorization(request, signature, flipped))
    refused(INVALID, with_authorization(request, signature, signature.upper()))
    refused(INVALID, with_authorization(request, signature, "ü" * 64))


@pytest.mark.parametrize("tamper", [
    pytest.param(lambda r: dataclasses.replace(r, body=r.body.replace(b"app", b"apq")), id="body"),
    pytest.param(lambda r: dataclasses.replace(r, body=r.body + b" "), id="body-longer"),
    pytest.param(lambda r: dataclasses.replace(r, method="PUT"), id="method"),
    pytest.param(lambda r: dataclasses.replace(r, path="/other"), id="path"),
    pytest.param(lambda r: dataclasses.replace(r, query="a=1"), id="query-added"),
    pytest.param(lambda r: with_header(r, "X-Amz-Target", TARGET + "x"), id="signed-header"),
    pytest.param(lambda r: with_header(r, "Host", "evil.example"), id="host"),
    pytest.param(lambda r: with_header(r, "Content-Type", None), id="signed-header-removed"),
])
def test_tampered_request(tamper: Callable[[IncomingRequest], IncomingRequest]) -> None:
    request = sign(ecr_post())
    check(request)
    assert refused(INVALID, tamper(request)).message == SIGNATURE_MISMATCH


def test_unsigned_headers_may_change() -> None:
    request = sign(ecr_post())
    check(with_header(with_header(request, "User-Agent", "curl/8"), "X-Extra", "1"))


def test_tampered_query() -> None:
    request = sign(AWSRequest("GET", ENDPOINT + "/", params={"maxResults": "10", "b": "x y"}))
    check(request)
    for query in ("maxResults=11&b=x+y", "maxResults=10&b=x+y&c=", "maxResults=10",
                  "maxResults=10&b=x%2By"):
        refused(INVALID, dataclasses.replace(request, query=query))
    check(dataclasses.replace(request, query="b=x%20y&maxResults=%31%30"))  # same, spelt out


def test_tampered_presigned_query() -> None:
    request = presign(AWSRequest("GET", ENDPOINT + "/", params={"Action": "Describe"}))
    check(request)
    refused(INVALID, dataclasses.replace(
        request, query=request.query.replace("Action=Describe", "Action=Delete")))
    refused(INVALID, dataclasses.replace(
        request, query=request.query.replace("X-Amz-Expires=300", "X-Amz-Expires=3000")))
    refused(INVALID, dataclasses.replace(request, query=request.query + "&extra=1"))


def test_body_not_matching_its_declared_hash() -> None:
    request = sign(ecr_post({"X-Amz-Content-SHA256": _sha256(BODY)}))
    error = refused(INVALID, dataclasses.replace(request, body=b"{}"))
    assert "x-amz-content-sha256" in error.message


def test_unsupported_payload_hash_value() -> None:
    request = sign(ecr_post({"X-Amz-Content-SHA256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"}))
    refused(INCOMPLETE, request)


def test_unsigned_host() -> None:
    request = with_authorization(sign(ecr_post()), "content-type;host;", "content-type;")
    assert "'Host' must be a 'SignedHeader'" in refused(INCOMPLETE, request).message


def test_unsigned_date() -> None:
    request = with_authorization(sign(ecr_post()), ";x-amz-date;", ";")
    assert "'X-Amz-Date' or 'Date'" in refused(INCOMPLETE, request).message


def test_expired_timestamp() -> None:
    request = sign(ecr_post(), at=NOW - timedelta(minutes=16))
    assert refused(INVALID, request).message == (
        "Signature expired: 20261126T114400Z is now earlier than 20261126T114500Z "
        "(20261126T120000Z - 15 min.)")
    check(request, now=NOW - timedelta(minutes=1))
    check(sign(ecr_post(), at=NOW - timedelta(minutes=15)))


def test_future_timestamp() -> None:
    request = sign(ecr_post(), at=NOW + timedelta(minutes=16))
    assert refused(INVALID, request).message == (
        "Signature not yet current: 20261126T121600Z is still later than 20261126T121500Z "
        "(20261126T120000Z + 15 min.)")
    check(sign(ecr_post(), at=NOW + timedelta(minutes=15)))


def test_now_may_be_naive_utc_or_in_another_zone() -> None:
    request = sign(ecr_post())
    check(request, now=NOW.replace(tzinfo=None))
    check(request, now=NOW.astimezone(timezone(timedelta(hours=-8))))
    refused(INVALID, request, now=NOW.replace(tzinfo=None) + timedelta(hours=1))


def test_presigned_url_expiry() -> None:
    request = presign(AWSRequest("GET", ENDPOINT + "/"), expires=300)
    check(request, now=NOW + timedelta(seconds=300))
    assert refused(INVALID, request, now=NOW + timedelta(seconds=301)).message == (
        "Signature expired: 20261126T120000Z is now earlier than 20261126T120001Z "
        "(20261126T120501Z - 300 sec.)")
    later = presign(AWSRequest("GET", ENDPOINT + "/"), at=NOW + timedelta(minutes=16))
    assert refused(INVALID, later).message.startswith("Signature not yet current: ")


@pytest.mark.parametrize("expires", ["0", "604801", "abc", "-1", "\uff11", ""])
def test_presigned_expiry_out_of_range(expires: str) -> None:
    request = presign(AWSRequest("GET", ENDPOINT + "/"), expires=300)
    query = request.query.replace("X-Amz-Expires=300", f"X-Amz-Expires={quote(expires)}")
    error = refused(INCOMPLETE, dataclasses.replace(request, query=query))
    assert "X-Amz-Expires" in error.message


def test_presigned_for_a_week() -> None:
    week = 7 * 24 * 3600
    check(presign(AWSRequest("GET", ENDPOINT + "/"), expires=week), now=NOW + timedelta(days=7))


def test_wrong_region() -> None:
    request = sign(ecr_post(), region="eu-west-1")
    error = refused(INVALID, request, region="us-east-1")
    assert error.message == "Credential should be scoped to a valid region, not 'eu-west-1'."


def test_wrong_service() -> None:
    request = sign(ecr_post(), service="s3")
    error = refused(INVALID, request)
    assert error.message == "Credential should be scoped to correct service: 'ecr' or 'sts'."
    assert refused(INVALID, sign(ecr_post(), service="ecr"), services="sts").message == (
        "Credential should be scoped to correct service: 'sts'.")


def test_scope_date_not_the_signing_date() -> None:
    request = with_authorization(sign(ecr_post()), "/20261126/", "/20261125/")
    assert refused(INVALID, request).message == (
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
        "HTTP: '20261125' != '20261126', from '20261126T120000Z'.")


def test_presigned_scope_date_not_the_signing_date() -> None:
    request = presign(AWSRequest("GET", ENDPOINT + "/"))
    query = request.query.replace("%2F20261126%2F", "%2F20261127%2F")
    assert "Date in Credential scope" in refused(
        INVALID, dataclasses.replace(request, query=query)).message


GOOD_SCOPE = f"Credential={AKID}/20261126/us-east-1/ecr/aws4_request"
GOOD_REST = "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64


@pytest.mark.parametrize(("authorization", "says"), [
    ("AWS4-HMAC-SHA256", "requires 'Credential' parameter. Authorization header requires "
                         "'Signature' parameter. Authorization header requires 'SignedHeaders'"),
    (f"AWS4-HMAC-SHA256 {GOOD_REST}", "requires 'Credential' parameter."),
    (f"AWS4-HMAC-SHA256 {GOOD_SCOPE}, SignedHeaders=host;x-amz-date", "'Signature'"),
    (f"AWS4-HMAC-SHA256 {GOOD_SCOPE}, Signature=abc", "'SignedHeaders'"),
    (f"AWS4-HMAC-SHA256 {GOOD_SCOPE}, SignedHeaders=, Signature=abc", "'SignedHeaders'"),
    (f"AWS4-HMAC-SHA256 Credential, {GOOD_REST}", "missing equal-sign"),
    (f"AWS4-HMAC-SHA256 {GOOD_SCOPE}, {GOOD_SCOPE}, {GOOD_REST}", "more than one 'Credential'"),
    (f"AWS4-HMAC-SHA512 {GOOD_SCOPE}, {GOOD_REST}", "Unsupported AWS 'algorithm'"),
    (f"aws4-hmac-sha256 {GOOD_SCOPE}, {GOOD_REST}", "Unsupported AWS 'algorithm'"),
    (f"Bearer {GOOD_SCOPE}", "Unsupported AWS 'algorithm': 'Bearer'"),
    (f"AWS4-HMAC-SHA256 Credential={AKID}/20261126/us-east-1/ecr, {GOOD_REST}",
     "exactly 5 slash-delimited elements"),
    (f"AWS4-HMAC-SHA256 Credential=a/b/{AKID}/20261126/us-east-1/ecr/aws4_request, {GOOD_REST}",
     "exactly 5 slash-delimited elements"),
    (f"AWS4-HMAC-SHA256 Credential=/20261126/us-east-1/ecr/aws4_request, {GOOD_REST}",
     "exactly 5 slash-delimited elements"),
    (f"AWS4-HMAC-SHA256 Credential={AKID}/20261126/us-east-1/ecr/aws5_request, {GOOD_REST}",
     "valid terminator: 'aws4_request', not 'aws5_request'"),
    (f"AWS4-HMAC-SHA256 {GOOD_SCOPE}, SignedHeaders=host;;x-amz-date, Signature=a",
     "SignedHeaders must name headers"),
])
def test_malformed_authorization(authorization: str, says: str) -> None:
    request = IncomingRequest("POST", "/", "", [
        ("Host", "berth.example"), ("X-Amz-Date", "20261126T120000Z"),
        ("Authorization", authorization)], b"")
    assert says in refused(INCOMPLETE, request).message


@pytest.mark.parametrize("amz_date", ["2026-11-26T12:00:00Z", "20261126T120000", "20261326T120000Z",
                                      "20261126T120000Z,20261126T120000Z", "\uff120261126T120000Z"])
def test_malformed_x_amz_date(amz_date: str) -> None:
    request = with_header(sign(ecr_post()), "X-Amz-Date", amz_date)
    assert "ISO-8601 'basic format'" in refused(INCOMPLETE, request).message


def test_malformed_date_header() -> None:
    request = with_header(sign(ecr_post({"Date": "x"})), "Date", "yesterday")
    assert "HTTP-date" in refused(INCOMPLETE, request).message


def test_no_date_at_all() -> None:
    request = with_header(sign(ecr_post()), "X-Amz-Date", None)
    assert "requires existence of either a 'X-Amz-Date' or a 'Date' header" in refused(
        INCOMPLETE, request).message


def test_repeated_authorization_header() -> None:
    request = sign(ecr_post())
    again = dataclasses.replace(request, headers=[
        *request.headers, ("authorization", header(request, "Authorization"))])
    refused(INCOMPLETE, again)


def test_header_and_query_signature_together() -> None:
    presigned = presign(AWSRequest("GET", ENDPOINT + "/"))
    both = dataclasses.replace(presigned, headers=sign(ecr_post()).headers)
    assert "Only one auth mechanism" in refused(INCOMPLETE, both).message


@pytest.mark.parametrize("name", ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
                                  "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"])
def test_presigned_parameter_missing(name: str) -> None:
    request = presign(AWSRequest("GET", ENDPOINT + "/"))
    query = "&".join(p for p in request.query.split("&") if not p.startswith(name + "="))
    error = refused(INCOMPLETE, dataclasses.replace(request, query=query))
    assert f"must include '{name}'" in error.message


@pytest.mark.parametrize(("old", "new", "says"), [
    ("X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256",
     "Unsupported AWS 'algorithm'"),
    ("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=x-amz-date", "'Host' must be"),
    ("X-Amz-Date=20261126T120000Z", "X-Amz-Date=20261126", "ISO-8601"),
    ("aws4_request", "aws4_requests", "valid terminator"),
    ("X-Amz-Expires=300", "X-Amz-Expires=300&X-Amz-Expires=300", "only once"),
])
def test_malformed_presigned_query(old: str, new: str, says: str) -> None:
    request = presign(AWSRequest("GET", ENDPOINT + "/"))
    assert old in request.query
    query = request.query.replace(old, new)
    assert says in refused(INCOMPLETE, dataclasses.replace(request, query=query)).message


# properties


SEGMENTS = st.lists(st.one_of(st.sampled_from(["", ".", ".."]), st.text(max_size=8)),
                    max_size=4)
PARAMS = st.dictionaries(st.text(min_size=1, max_size=8).filter(lambda k: "X-Amz-" not in k),
                         st.text(max_size=12), max_size=4)
HEADER_VALUES = st.text(st.characters(exclude_categories=("Cc", "Cs"), include_characters=" \t"),
                        max_size=16)


def _url(segments: list[str]) -> str:
    return ENDPOINT + "/" + "/".join(quote(s, safe="!$&'()*+,;=:@~") for s in segments)


@settings(deadline=None)
@given(body=st.binary(max_size=256), segments=SEGMENTS, params=PARAMS, value=HEADER_VALUES,
       data=st.data())
def test_botocore_signed_requests_verify_and_any_body_byte_counts(
        body: bytes, segments: list[str], params: dict[str, str], value: str,
        data: st.DataObject) -> None:
    signer = RecordingSigV4Auth(CREDENTIALS, "ecr", "us-east-1")
    signed = AWSRequest("POST", _url(segments), data=body, params=params,
                        headers={"X-Amz-Target": TARGET, "X-Berth-Note": value})
    with frozen(NOW):
        signer.add_auth(signed)
    request = arrived(signed.prepare())
    claim = check(request)
    assert canonical_request(request, claim, _sha256(body)) == signer.canonical

    if body:
        at = data.draw(st.integers(0, len(body) - 1))
        flip = data.draw(st.integers(1, 255))
        tampered = body[:at] + bytes([body[at] ^ flip]) + body[at + 1:]
    else:
        tampered = data.draw(st.binary(min_size=1, max_size=4))
    assert refused(INVALID, dataclasses.replace(request, body=tampered)).message == (
        SIGNATURE_MISMATCH)


@settings(deadline=None)
@given(segments=SEGMENTS, params=PARAMS.filter(bool), data=st.data())
def test_botocore_presigned_urls_verify_and_any_parameter_counts(
        segments: list[str], params: dict[str, str], data: st.DataObject) -> None:
    request = presign(AWSRequest("GET", _url(segments), params=params))
    check(request)
    name = data.draw(st.sampled_from(sorted(params)))
    changed = {**params, name: params[name] + data.draw(st.text(min_size=1, max_size=3))}
    query = percent_encode_sequence(changed) + request.query[
        len(percent_encode_sequence(params)):]
    refused(INVALID, dataclasses.replace(request, query=query))


@settings(deadline=None)
@given(secret=st.text(min_size=1, max_size=40), other=st.text(min_size=1, max_size=40))
def test_only_the_signing_secret_verifies(secret: str, other: str) -> None:
    request = sign(ecr_post(), credentials=Credentials(AKID, secret))
    check(request, secret=secret)
    if other != secret:
        refused(INVALID, request, secret=other)
