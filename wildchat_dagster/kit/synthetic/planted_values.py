"""Values a redactor must find: e-mail addresses, phone numbers, cards, secrets, names, profile URLs, IPs."""

from __future__ import annotations

import base64
import json
import string

from wildchat_dagster.kit.synthetic import text
from wildchat_dagster.kit.synthetic.records import Client
from wildchat_dagster.kit.synthetic.shares import SECRET_KINDS

_B62 = string.ascii_letters + string.digits
_B64 = _B62 + "+/"
_B64URL = _B62 + "-_"


def _luhn_complete(digits: list[int]) -> list[int]:
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return digits + [(10 - total % 10) % 10]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class PlantedValues:
    """Values a redactor must find: e-mail addresses, phone numbers, cards, secrets, names, profile URLs, IPs."""

    def email(self, bank: text.LanguageBank) -> str:
        rng = self.rng
        domain = rng.choice(bank.email_domains)
        if domain in ("qq.com", "163.com", "126.com") and rng.random() < 0.7:
            return f"{rng.randint(10_000_000, 3_999_999_999)}@{domain}"
        first = rng.choice(text.FIRST_NAMES).lower()
        last = rng.choice(text.LAST_NAMES).lower()
        local = rng.choice((
            f"{first}.{last}{rng.randint(1, 99)}",
            f"{first}{last}{rng.randint(1970, 2006)}",
            f"{first[0]}.{last}{rng.randint(10, 999)}",
            f"{first}_{last}_{rng.randint(1, 9999)}",
        ))
        return f"{local}@{domain}"

    def phone(self, iso: str | None) -> str:
        import phonenumbers

        rng = self.rng
        region = iso if iso and iso in phonenumbers.SUPPORTED_REGIONS else "US"
        example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        if example is None:
            region, example = "US", phonenumbers.example_number_for_type("US", phonenumbers.PhoneNumberType.MOBILE)
        national = str(example.national_number)
        keep = max(2, len(national) - 7)
        for _ in range(50):
            candidate = national[:keep] + "".join(rng.choice(string.digits) for _ in range(len(national) - keep))
            number = phonenumbers.parse(f"+{example.country_code}{candidate}")
            if phonenumbers.is_valid_number(number):
                return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)

    def card(self) -> str:
        rng = self.rng
        kind = rng.random()
        if kind < 0.15:  # American Express: 15 digits, 4-6-5
            digits = _luhn_complete([3, rng.choice((4, 7))] + [rng.randrange(10) for _ in range(12)])
            s = "".join(map(str, digits))
            return f"{s[:4]} {s[4:10]} {s[10:]}"
        prefix = [4] if kind < 0.65 else [5, rng.randint(1, 5)]
        digits = _luhn_complete(prefix + [rng.randrange(10) for _ in range(15 - len(prefix))])
        s = "".join(map(str, digits))
        sep = rng.choice((" ", "-", ""))
        return sep.join(s[i : i + 4] for i in range(0, 16, 4))

    def secret(self, kind: str) -> tuple[str, str]:
        """(the secret, a code snippet holding it)."""
        rng = self.rng
        pick = lambda alphabet, k: "".join(rng.choices(alphabet, k=k))  # noqa: E731
        if kind == "openai":
            key = "sk-" + pick(_B62, 48) if rng.random() < 0.7 else "sk-proj-" + pick(_B64URL, 56)
            return (
                key,
                (
                    f'import openai\n\nopenai.api_key = "{key}"\nresponse = '
                    'openai.ChatCompletion.create(model="gpt-3.5-turbo", messages=messages)'
                ),
            )
        if kind == "aws":
            key = "AKIA" + pick(string.ascii_uppercase + "234567", 16)
            return key, f"[default]\naws_access_key_id = {key}\nregion = us-east-1\noutput = json"
        if kind == "github":
            key = "ghp_" + pick(_B62, 36)
            return key, f"export GITHUB_TOKEN={key}\ngit push origin main"
        if kind == "slack":
            key = f"xoxb-{rng.randint(10**10, 10**12 - 1)}-{rng.randint(10**11, 10**13 - 1)}-{pick(_B62, 24)}"
            return (
                key,
                (
                    'from slack_sdk import WebClient\n\nclient = '
                    f'WebClient(token="{key}")\nclient.chat_postMessage(channel="#general", text="hello")'
                ),
            )
        if kind == "google":
            key = "AIza" + pick(_B64URL, 35)
            return (
                key,
                (
                    f'url = "https://maps.googleapis.com/maps/api/geocode/json?address=Berlin&key={key}"\nresponse = '
                    'requests.get(url)'
                ),
            )
        if kind == "jwt":
            header = _b64url(b'{"alg":"HS256","typ":"JWT"}')
            payload = _b64url(
                json.dumps(
                    {"sub": str(rng.randint(10**6, 10**9)), "iat": rng.randint(1_680_000_000, 1_710_000_000)},
                    separators=(",", ":"),
                ).encode()
            )
            key = f"{header}.{payload}.{pick(_B64URL, 43)}"
            return (
                key,
                (
                    f'headers = {{"Authorization": "Bearer {key}"}}\nresponse = '
                    'requests.get("https://api.myshop.dev/v1/orders", headers=headers)'
                ),
            )
        if kind == "private_key":
            body = "MIIEowIBAAKCAQEA" + pick(_B64, 64 * 12 - 16)
            lines = [body[i : i + 64] for i in range(0, len(body), 64)] + [pick(_B64, 24) + "=="]
            key = "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"
            return key, f"ssh keeps saying the key is invalid, this is the file:\n{key}"
        raise ValueError(kind)

    def _pii_sentence(self, kind: str, secret_kind: str, bank: text.LanguageBank, client: Client) -> tuple[str, str]:
        rng = self.rng
        if kind == "EMAIL_ADDRESS":
            value = self.email(bank)
            return value, rng.choice(bank.email_templates).format(value=value)
        if kind == "PHONE_NUMBER":
            value = self.phone(client.place.iso or self._countries[bank.name][0][0])
            return value, rng.choice(bank.phone_templates).format(value=value)
        if kind == "SECRET":
            value, snippet = self.secret(secret_kind or rng.choice(SECRET_KINDS))
            return value, rng.choice(bank.secret_templates).format(snippet=snippet)
        if kind == "CREDIT_CARD":
            value = self.card()
            return value, rng.choice(text.CARD_TEMPLATES).format(value=value)
        if kind == "PERSON":
            value = f"{rng.choice(text.FIRST_NAMES)} {rng.choice(text.LAST_NAMES)}"
            return value, rng.choice(text.PERSON_TEMPLATES).format(value=value)
        if kind == "URL":
            first, last = rng.choice(text.FIRST_NAMES).lower(), rng.choice(text.LAST_NAMES).lower()
            value = f"https://www.linkedin.com/in/{first}-{last}-{rng.getrandbits(32):08x}"
            return value, rng.choice(text.URL_TEMPLATES).format(value=value)
        if kind == "IP_ADDRESS":
            if rng.random() < 0.4:
                value = client.place.ip  # users paste their own address more often than one expects
            else:
                value = rng.choice(self.pool.v4[rng.choice(list(self.pool.v4))]).ip
            return value, rng.choice(text.IP_TEMPLATES).format(value=value)
        raise ValueError(kind)
