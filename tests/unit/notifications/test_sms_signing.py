"""Signatures against each vendor's own published worked example.

- Twilio: the vector in SMS.md (URL, five parameters, token 12345).
- Alibaba Cloud RPC signature: the DescribeRegions example in Alibaba Cloud's "API 签名机制"
  documentation (AccessKeyId testid, secret testsecret, Timestamp 2016-02-23T12:46:24Z,
  nonce 3ee8c1b8-…) whose StringToSign and signature CT9X0VtwR86fNWSnsc6v8YGOjuE= the
  documentation prints.
- Tencent Cloud TC3-HMAC-SHA256: the CVM DescribeInstances example of Tencent Cloud's
  "Signature v3" page (SecretKey Gu5t9xGARNpq86cd98joQYCN3EXAMPLE, timestamp 1551113065),
  whose payload hash, canonical request hash and signature the page prints.
"""

import hashlib

from notifications.signing import (
    alibaba_percent_encode,
    alibaba_signature,
    alibaba_string_to_sign,
    tencent_authorization,
    tencent_canonical_request,
    token_matches,
    twilio_signature,
    twilio_signature_valid,
)

TWILIO_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
TWILIO_PARAMS = [
    ("CallSid", "CA1234567890ABCDE"),
    ("Caller", "+12349013030"),
    ("Digits", "1234"),
    ("From", "+12349013030"),
    ("To", "+18005551212"),
]


def test_twilio_known_vector() -> None:
    assert twilio_signature("12345", TWILIO_URL, TWILIO_PARAMS) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_twilio_order_of_parameters_does_not_matter_but_every_byte_does() -> None:
    shuffled = list(reversed(TWILIO_PARAMS))
    assert twilio_signature_valid("12345", TWILIO_URL, shuffled, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    tampered = [*TWILIO_PARAMS[:-1], ("To", "+18005551213")]
    assert not twilio_signature_valid("12345", TWILIO_URL, tampered, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    other_url = TWILIO_URL.replace("https", "http")
    assert not twilio_signature_valid(
        "12345", other_url, TWILIO_PARAMS, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    )
    assert not twilio_signature_valid("", TWILIO_URL, TWILIO_PARAMS, "")
    assert not twilio_signature_valid("12345", TWILIO_URL, TWILIO_PARAMS, None)
    assert not twilio_signature_valid("12345", TWILIO_URL, TWILIO_PARAMS, "非ascii")


ALIBABA_PARAMS = {
    "TimeStamp": "2016-02-23T12:46:24Z",
    "Format": "XML",
    "AccessKeyId": "testid",
    "Action": "DescribeRegions",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
    "Version": "2014-05-26",
    "SignatureVersion": "1.0",
}


def test_alibaba_documented_example() -> None:
    # The canonical query string is percent-encoded as a whole, so its "&" become %26 (some
    # copies of the example print them unencoded; the signature below settles it).
    assert alibaba_string_to_sign("GET", ALIBABA_PARAMS) == (
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML"
        "%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"
        "%26SignatureVersion%3D1.0%26TimeStamp%3D2016-02-23T12%253A46%253A24Z"
        "%26Version%3D2014-05-26"
    )
    assert alibaba_signature("testsecret", "GET", ALIBABA_PARAMS) == "CT9X0VtwR86fNWSnsc6v8YGOjuE="


def test_alibaba_percent_encoding_rules() -> None:
    assert alibaba_percent_encode("a b*c~d") == "a%20b%2Ac~d"
    assert alibaba_percent_encode("定远") == "%E5%AE%9A%E8%BF%9C"
    assert alibaba_percent_encode('{"a":"1"}') == "%7B%22a%22%3A%221%22%7D"
    # The method is part of what is signed.
    assert alibaba_signature("testsecret", "POST", ALIBABA_PARAMS) != "CT9X0VtwR86fNWSnsc6v8YGOjuE="


TENCENT_PAYLOAD = (
    b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
)


def test_tencent_documented_example() -> None:
    canonical, signed = tencent_canonical_request(
        host="cvm.tencentcloudapi.com", payload=TENCENT_PAYLOAD
    )
    assert signed == "content-type;host"
    assert canonical.endswith("35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064")
    assert (
        hashlib.sha256(canonical.encode()).hexdigest()
        == "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
    )
    authorization = tencent_authorization(
        secret_id="AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
        secret_key="Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
        service="cvm",
        host="cvm.tencentcloudapi.com",
        payload=TENCENT_PAYLOAD,
        timestamp=1551113065,
    )
    assert authorization == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/"
        "tc3_request, SignedHeaders=content-type;host, "
        "Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
    )


def test_tencent_scope_uses_the_utc_date() -> None:
    # 1551139200 is 2019-02-26 00:00 UTC; one second earlier is still the 25th in UTC even
    # though it is already 08:00 on the 26th in Beijing.
    kwargs = dict(secret_id="id", secret_key="k", service="sms", host="h", payload=b"{}")
    assert "/2019-02-25/sms/" in tencent_authorization(timestamp=1551139199, **kwargs)
    assert "/2019-02-26/sms/" in tencent_authorization(timestamp=1551139200, **kwargs)


def test_path_tokens_compare_whole_and_an_unset_token_matches_nothing() -> None:
    assert token_matches("s3cret-token", "s3cret-token")
    assert not token_matches("s3cret-token", "s3cret-toke")
    assert not token_matches("", "")
    assert not token_matches("s3cret-token", "")
