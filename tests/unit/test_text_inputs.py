"""The check of a request's variables for unfit text (api/schema/common/text_inputs.py): it finds
unfit text wherever it is, names where, and is not stopped by nesting deeper than Python's
stack."""

from __future__ import annotations

from api.schema.common.text_inputs import refused_variables


def test_unfit_text_nested_deeper_than_the_stack_is_found():
    # given a string variable nested 5,000 lists deep, holding a NUL at the bottom
    variable: list = []
    bottom = variable
    for _ in range(5_000):
        bottom.append([])
        bottom = bottom[0]
    bottom.append("a\x00")

    # when the variables are checked
    [error] = refused_variables({"v": variable})

    # then it is found, with its path
    assert error.extensions == {"code": "INVALID", "field": ["v", *["0"] * 5_001]}


def test_the_path_of_unfit_text_is_named_in_the_message_and_the_field():
    [error] = refused_variables({"input": {"lines": [{"sku": "a"}, {"sku": "b\ud800"}]}})

    assert error.message.startswith("Variable '$input' has invalid value at .lines[1].sku:")
    assert error.extensions == {"code": "INVALID", "field": ["input", "lines", "1", "sku"]}


def test_fit_text_and_other_values_pass():
    variables = {"input": {"name": "Zoë 🎉\t", "points": 5, "ok": True, "none": None}}

    assert refused_variables(variables) == []
    assert refused_variables(None) == []
