"""Email addresses: the form they are stored and looked up in, and the form that two
sign-ups by one person share."""

from __future__ import annotations

# Mailboxes that ignore dots in the local part: a.lice@ and alice@ are one inbox.
_DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def canonical_email(email: str) -> str:
    """The stored form of an address (members' and operators'): lower case, no spaces
    around it. Looking one up takes the same form, so case never tells two apart."""
    return email.strip().lower()


def comparable_email(email: str | None) -> str | None:
    """Lowercase, without a +tag, without dots where the mailbox ignores them.

    The database has the same function (comparable_email in the referrals migration) and an
    index on it; a test checks that the two agree.
    """
    if email is None:
        return None
    lowered = email.lower()
    local, at, domain = lowered.rpartition("@")
    if not at:
        return lowered
    local = local.split("+", 1)[0]
    if domain in _DOTLESS_DOMAINS:
        return local.replace(".", "") + "@" + _DOTLESS_DOMAINS[domain]
    return f"{local}@{domain}"
