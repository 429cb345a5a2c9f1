"""The core of the loyalty platform: pure Python, no adapters.

How its modules are laid out, so that no import cycle can form:

- `domain/records/<area>.py` holds the records (dataclasses and their enums) of the areas
  whose rules work through ports: members, idempotency, orders, redemptions, referrals. A
  record module imports no port and no use case.
- Value modules (ledger, program, rewards, tiers, referral_settings, earning, money, …) hold
  records and pure rules on them, and import no port either.
- `domain/ports.py` (protocols of what the domain needs from outside) imports records and
  value modules only.
- Use cases, which take a unit of work or a port (orders, redemption, points, referring,
  tier_evaluation, wallet, …), import ports and records; nothing that ports import imports
  them back.

tests/unit/test_import_cycles.py checks it.
"""
