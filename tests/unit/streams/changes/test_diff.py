"""Unit tests for streams.changes.diff (field-level diff of two record versions)."""

from __future__ import annotations

import pytest

from streams.changes.diff import DEFAULT_EXCLUDED, DiffRules, changed_fields


def template(**overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": 7,
        "default_code": "TYRE-7",
        "name": {"en_US": "Summer tyre", "nl_BE": "Zomerband"},
        "list_price": 12.3,
        "active": True,
        "sale_ok": True,
        "write_date": "2024-01-01T10:00:00",
        "write_uid": 2,
        "variants": [
            {"id": 12, "barcode": "5400000000012", "write_date": "2024-01-01T10:00:00"},
            {"id": 13, "barcode": "5400000000013", "write_date": "2024-01-01T10:00:00"},
        ],
    }
    row.update(overrides)
    return row


# --- flat fields -----------------------------------------------------------------------------


def test_identical_records_have_no_changes() -> None:
    assert changed_fields(template(), template()) == []


def test_list_price_change_is_reported() -> None:
    assert changed_fields(template(), template(list_price=14.5)) == ["list_price"]


def test_several_changes_are_sorted_and_unique() -> None:
    old = template()
    new = template(list_price=1.0, default_code="X", active=False)
    assert changed_fields(old, new) == ["active", "default_code", "list_price"]


def test_write_date_only_change_is_ignored() -> None:
    new = template(write_date="2024-02-02T00:00:00", write_uid=9)
    assert changed_fields(template(), new) == []


@pytest.mark.parametrize("key", sorted(DEFAULT_EXCLUDED))
def test_every_default_excluded_key_is_ignored(key: str) -> None:
    assert changed_fields({key: 1, "a": 1}, {key: 2, "a": 1}) == []
    assert changed_fields({"a": 1}, {key: 2, "a": 1}) == []


def test_added_and_removed_keys_are_reported() -> None:
    assert changed_fields({"a": 1}, {"a": 1, "b": 2}) == ["b"]
    assert changed_fields({"a": 1, "b": 2}, {"a": 1}) == ["b"]


def test_missing_key_counts_as_none() -> None:
    assert changed_fields({"a": 1, "b": None}, {"a": 1}) == []
    assert changed_fields({"a": 1}, {"a": 1, "b": None}) == []


def test_none_to_value_and_back_is_a_change() -> None:
    assert changed_fields({"b": None}, {"b": 0}) == ["b"]
    assert changed_fields({"b": 0}, {"b": None}) == ["b"]
    assert changed_fields({"b": ""}, {"b": None}) == ["b"]


def test_old_or_new_none_is_treated_as_empty_record() -> None:
    assert changed_fields(None, None) == []
    assert changed_fields(None, {"a": 1, "b": None, "write_date": "x"}) == ["a"]
    assert changed_fields({"a": 1, "write_date": "x"}, None) == ["a"]


def test_type_change_between_scalars_is_a_change() -> None:
    assert changed_fields({"a": "1"}, {"a": 1}) == ["a"]


# --- numbers -----------------------------------------------------------------------------------


def test_float_within_tolerance_is_not_a_change() -> None:
    assert changed_fields({"p": 12.3}, {"p": 12.3 + 5e-7}) == []
    assert changed_fields({"p": 12.3}, {"p": 12.3 - 5e-7}) == []


def test_float_beyond_tolerance_is_a_change() -> None:
    assert changed_fields({"p": 12.3}, {"p": 12.3 + 2e-6}) == ["p"]
    assert changed_fields({"p": 12.3}, {"p": 12.3 - 2e-6}) == ["p"]


def test_difference_exactly_at_tolerance_is_not_a_change() -> None:
    # "at most float_tolerance" (inclusive); 0.0 and 0.25 are exact in binary.
    rules = DiffRules.of(DEFAULT_EXCLUDED, 0.25)
    assert changed_fields({"p": 0.0}, {"p": 0.25}, rules) == []
    assert changed_fields({"p": 0.0}, {"p": 0.5}, rules) == ["p"]


def test_custom_tolerance_applies() -> None:
    rules = DiffRules.of(DEFAULT_EXCLUDED, 0.01)
    assert changed_fields({"p": 10.0}, {"p": 10.005}, rules) == []
    assert changed_fields({"p": 10.0}, {"p": 10.02}, rules) == ["p"]


def test_zero_tolerance_reports_any_difference() -> None:
    rules = DiffRules.of(DEFAULT_EXCLUDED, 0.0)
    assert changed_fields({"p": 1.0}, {"p": 1.0}, rules) == []
    assert changed_fields({"p": 1.0}, {"p": 1.0000001}, rules) == ["p"]


def test_int_and_float_of_same_value_are_equal() -> None:
    assert changed_fields({"p": 12}, {"p": 12.0}) == []
    assert changed_fields({"p": 12}, {"p": 13}) == ["p"]


def test_numeric_string_is_not_a_number() -> None:
    assert changed_fields({"p": "12.3"}, {"p": 12.3}) == ["p"]


@pytest.mark.parametrize(
    ("old", "new"),
    [(True, 1), (1, True), (False, 0), (0, False), (True, 1.0), (False, 0.0000001)],
)
def test_bool_is_not_confused_with_a_number(old: object, new: object) -> None:
    assert changed_fields({"active": old}, {"active": new}) == ["active"]


def test_bool_change_is_a_change_and_same_bool_is_not() -> None:
    assert changed_fields({"active": True}, {"active": False}) == ["active"]
    assert changed_fields({"active": False}, {"active": False}) == []


# --- nested objects ----------------------------------------------------------------------------


def test_nested_translation_change_is_reported_by_path() -> None:
    new = template(name={"en_US": "Winter tyre", "nl_BE": "Zomerband"})
    assert changed_fields(template(), new) == ["name.en_US"]


def test_nested_translation_added_and_removed() -> None:
    added = template(name={"en_US": "Summer tyre", "nl_BE": "Zomerband", "fr_BE": "Pneu"})
    assert changed_fields(template(), added) == ["name.fr_BE"]
    removed = template(name={"en_US": "Summer tyre"})
    assert changed_fields(template(), removed) == ["name.nl_BE"]


def test_nested_object_replaced_by_scalar_is_reported_at_its_path() -> None:
    assert changed_fields(template(), template(name=None)) == ["name"]
    assert changed_fields(template(name="Summer tyre"), template()) == ["name"]


def test_deeply_nested_change() -> None:
    old = {"a": {"b": {"c": 1, "d": 2}}}
    new = {"a": {"b": {"c": 1, "d": 3}}}
    assert changed_fields(old, new) == ["a.b.d"]


def test_excluded_key_is_ignored_at_any_depth() -> None:
    old = {"a": {"write_date": "x", "b": {"write_uid": 1, "c": 1}}}
    new = {"a": {"write_date": "y", "b": {"write_uid": 2, "c": 1}}}
    assert changed_fields(old, new) == []
    new["a"]["b"]["c"] = 2
    assert changed_fields(old, new) == ["a.b.c"]


def test_excluded_key_is_only_excluded_as_a_key_not_as_a_path_prefix() -> None:
    rules = DiffRules.of({"secret"}, 1e-6)
    assert changed_fields({"secret_code": 1}, {"secret_code": 2}, rules) == ["secret_code"]
    assert changed_fields({"secret": {"x": 1}}, {"secret": {"x": 2}}, rules) == []


def test_custom_excluded_set_replaces_the_default() -> None:
    rules = DiffRules.of(["list_price"], 1e-6)
    assert changed_fields(
        {"list_price": 1, "write_date": "a"}, {"list_price": 2, "write_date": "b"}, rules
    ) == ["write_date"]


def test_default_rules() -> None:
    rules = DiffRules()
    assert rules.excluded == DEFAULT_EXCLUDED
    assert rules.float_tolerance == 1e-6
    assert {"write_date", "write_uid", "create_date", "create_uid"} <= DEFAULT_EXCLUDED


# --- lists of objects with ids -----------------------------------------------------------------


def test_variant_field_change_is_reported_by_variant_id() -> None:
    new = template(
        variants=[
            {"id": 12, "barcode": "5400000000099", "write_date": "2024-01-01T10:00:00"},
            {"id": 13, "barcode": "5400000000013", "write_date": "2024-01-01T10:00:00"},
        ]
    )
    assert changed_fields(template(), new) == ["variants.12.barcode"]


def test_variants_are_matched_by_id_not_position() -> None:
    old = template()
    new = template(variants=list(reversed(old["variants"])))  # type: ignore[call-overload]
    assert changed_fields(old, new) == []


def test_variant_added_is_reported_as_its_id() -> None:
    old = template()
    new = template(variants=[*old["variants"], {"id": 14, "barcode": "x"}])  # type: ignore[misc]
    assert changed_fields(old, new) == ["variants.14"]


def test_variant_removed_is_reported_as_its_id() -> None:
    old = template()
    new = template(variants=old["variants"][:1])  # type: ignore[index]
    assert changed_fields(old, new) == ["variants.13"]


def test_first_variant_and_last_variant() -> None:
    assert changed_fields({"variants": []}, {"variants": [{"id": 5}]}) == ["variants.5"]
    assert changed_fields({"variants": [{"id": 5}]}, {"variants": []}) == ["variants.5"]


def test_variant_replaced_at_same_position_is_remove_plus_add() -> None:
    old = {"variants": [{"id": 1, "barcode": "a"}]}
    new = {"variants": [{"id": 2, "barcode": "a"}]}
    assert changed_fields(old, new) == ["variants.1", "variants.2"]


def test_variant_write_date_only_change_is_ignored() -> None:
    new = template(
        variants=[
            {"id": 12, "barcode": "5400000000012", "write_date": "2025-05-05T00:00:00"},
            {"id": 13, "barcode": "5400000000013", "write_date": "2025-05-05T00:00:00"},
        ]
    )
    assert changed_fields(template(), new) == []


def test_nested_object_inside_variant() -> None:
    old = {"variants": [{"id": 3, "name": {"en_US": "a"}}]}
    new = {"variants": [{"id": 3, "name": {"en_US": "b"}}]}
    assert changed_fields(old, new) == ["variants.3.name.en_US"]


def test_variant_float_tolerance_applies_inside_lists() -> None:
    old = {"variants": [{"id": 3, "price_extra": 1.5}]}
    assert changed_fields(old, {"variants": [{"id": 3, "price_extra": 1.5 + 1e-9}]}) == []
    assert changed_fields(old, {"variants": [{"id": 3, "price_extra": 1.6}]}) == [
        "variants.3.price_extra"
    ]


def test_variant_ids_sort_as_strings() -> None:
    old = {"variants": [{"id": 9, "a": 1}, {"id": 10, "a": 1}]}
    new = {"variants": [{"id": 9, "a": 2}, {"id": 10, "a": 2}]}
    assert changed_fields(old, new) == ["variants.10.a", "variants.9.a"]


# --- lists without ids -------------------------------------------------------------------------


def test_scalar_list_equal() -> None:
    assert changed_fields({"tags": [1, 2, 3]}, {"tags": [1, 2, 3]}) == []
    assert changed_fields({"tags": []}, {"tags": []}) == []


def test_scalar_list_same_length_is_compared_element_wise() -> None:
    assert changed_fields({"tags": [1, 2, 3]}, {"tags": [1, 5, 3]}) == ["tags.1"]
    assert changed_fields({"tags": [1, 2, 3]}, {"tags": [3, 2, 1]}) == ["tags.0", "tags.2"]


def test_scalar_list_different_length_is_reported_as_a_whole() -> None:
    assert changed_fields({"tags": [1, 2]}, {"tags": [1, 2, 3]}) == ["tags"]
    assert changed_fields({"tags": [1, 2, 3]}, {"tags": [1]}) == ["tags"]
    assert changed_fields({"tags": []}, {"tags": [1]}) == ["tags"]


def test_list_elements_use_float_tolerance_and_bool_rule() -> None:
    assert changed_fields({"v": [1.0, 2.0]}, {"v": [1.0 + 1e-9, 2.0]}) == []
    assert changed_fields({"v": [1, 0]}, {"v": [True, 0.5]}) == ["v.0", "v.1"]
    # A field's value of another type is a change; inside an otherwise equal container Python's
    # == decides (1 == True), which a column's fixed type makes moot for database rows.
    assert changed_fields({"v": 1}, {"v": True}) == ["v"]
    assert changed_fields({"v": [1, 0]}, {"v": [True, 0]}) == []


def test_list_of_objects_without_ids_is_compared_by_position() -> None:
    old = {"lines": [{"qty": 1}, {"qty": 2}]}
    new = {"lines": [{"qty": 1}, {"qty": 3}]}
    assert changed_fields(old, new) == ["lines.1.qty"]


def test_list_of_objects_without_ids_excludes_keys_inside() -> None:
    old = {"lines": [{"qty": 1, "write_date": "a"}]}
    new = {"lines": [{"qty": 1, "write_date": "b"}]}
    assert changed_fields(old, new) == []


def test_mixed_list_where_some_items_lack_id_falls_back_to_positions() -> None:
    old = {"x": [{"id": 1, "a": 1}, {"a": 2}]}
    new = {"x": [{"id": 1, "a": 1}, {"a": 3}]}
    assert changed_fields(old, new) == ["x.1.a"]


def test_list_replaced_by_none_or_scalar() -> None:
    assert changed_fields({"tags": [1]}, {"tags": None}) == ["tags"]
    assert changed_fields({"tags": None}, {"tags": []}) == ["tags"]
    assert changed_fields({"tags": [1]}, {}) == ["tags"]


def test_inputs_are_not_mutated() -> None:
    old, new = template(), template(list_price=99.0)
    old_copy, new_copy = template(), template(list_price=99.0)
    changed_fields(old, new)
    assert old == old_copy
    assert new == new_copy
