"""How strong an operator's password must be: long enough, and not one everybody tries.

Deliberately simple (docs/agencies.md): at least 12 characters, at most 1,024 (argon2
hashes what it is given; a megabyte would only cost time), not a well-known password or a
repetition of one character, and not the email's name part. A length rule with a deny
list is what NIST SP 800-63B recommends over composition rules.
"""

from __future__ import annotations

from domain.errors import DomainError, ErrorCode

MIN_LENGTH = 12
MAX_LENGTH = 1024

# Lower-cased; compared with the password lower-cased and without spaces.
COMMON = frozenset(
    [
        "123456789012",
        "1234567890123",
        "12345678910",
        "password1234",
        "password12345",
        "passwordpassword",
        "qwertyuiop12",
        "qwertyuiopasdf",
        "qwerty123456",
        "1q2w3e4r5t6y",
        "1qaz2wsx3edc",
        "qazwsxedcrfv",
        "iloveyou1234",
        "letmein12345",
        "welcome12345",
        "administrator",
        "admin1234567",
        "changeme1234",
        "abcdefghijkl",
        "abc123456789",
        "111111111111",
        "000000000000",
        "123123123123",
        "football1234",
        "baseball1234",
        "trustno11234",
        "sunshine1234",
        "princess1234",
        "dragon123456",
        "monkey123456",
        "superman1234",
        "starwars1234",
        "passw0rd1234",
        "p@ssw0rd1234",
        "p@ssword1234",
        "correcthorsebatterystaple",
        "loyaltyloyalty",
        "loyalty12345",
        "password123!",
        "welcome123!!",
        "qwerty123!@#",
        "asdfghjkl123",
    ]
)


def weak(message: str, field: str) -> DomainError:
    return DomainError(message, field=(field,), code=ErrorCode.WEAK_PASSWORD)


def require_strong_password(
    password: str, email: str | None = None, field: str = "password"
) -> None:
    if len(password) < MIN_LENGTH:
        raise weak(f"Use at least {MIN_LENGTH} characters.", field)
    if len(password) > MAX_LENGTH:
        raise weak(f"Use at most {MAX_LENGTH} characters.", field)
    folded = "".join(password.lower().split())
    if folded in COMMON or len(set(folded)) <= 2:
        raise weak("This password is too common: choose another.", field)
    name = (email or "").partition("@")[0].lower()
    if len(name) >= 4 and name in folded and len(folded) - len(name) < MIN_LENGTH // 2:
        raise weak("The password must not be built from the email.", field)
