"""What applying a program template changes: additions, updates and archives by name,
settings by value, segments never archived, reward ids rewritten."""

from __future__ import annotations

from domain.program_templates import ChangeKind, plan, remap, reward_ids


def _changes(source, target):
    return {(c.section, c.key, c.kind) for c in plan(source, target)}


def test_items_are_added_updated_and_archived_by_name():
    source = {
        "tiers": [{"id": "s1", "name": "Gold", "threshold": 500}],
        "rewards": [{"id": "r1", "name": "Mug", "points_cost": 10}],
        "segments": [{"key": "vip", "name": "VIP", "rule": {}}],
    }
    target = {
        "tiers": [{"id": "t1", "name": "gold", "threshold": 400}],
        "rewards": [{"id": "r9", "name": "Old", "points_cost": 1}],
        "segments": [{"key": "other", "name": "Other", "rule": {}}],
    }
    assert _changes(source, target) == {
        ("tiers", "gold", ChangeKind.UPDATE),
        ("rewards", "mug", ChangeKind.ADD),
        ("rewards", "old", ChangeKind.ARCHIVE),
        ("segments", "vip", ChangeKind.ADD),
    }


def test_the_same_program_changes_nothing_whatever_the_ids():
    program = {"program": {"rules": [1]}, "tiers": [{"id": "a", "name": "Gold"}]}
    other = {"program": {"rules": [1]}, "tiers": [{"id": "b", "name": "Gold"}]}
    assert plan(program, other) == []


def test_settings_change_by_value_and_reward_ids_follow_names():
    source = {
        "program": {"welcome": {"reward_id": "r1"}},
        "rewards": [{"id": "r1", "name": "Mug"}, {"id": "r2", "name": "New"}],
    }
    target = {"program": None, "rewards": [{"id": "x1", "name": "mug"}]}
    ids = reward_ids(source, target)
    assert ids == {"r1": "x1", "r2": None}
    wanted = remap(source, {"r1": "x1", "r2": "n2"})
    assert wanted["program"] == {"welcome": {"reward_id": "x1"}}
    assert ("program", "program", ChangeKind.UPDATE) in _changes(wanted, target)
