"""Modals from registry parameters, and submissions read back into args."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.slack.forms import (
    FORM_CALLBACK_ID,
    FormContext,
    build_form,
    field_errors,
    read_submission,
    wants_form,
)
from bot.args import ArgError, coerce_args
from bot.registry import COMMANDS, CommandSpec, ParamKind, find_command
from bot.types import Reply

CONTEXT = FormContext("review add", "T1", "C1", "http://127.0.0.1:1/response/x")


def spec(name: str) -> CommandSpec:
    found = find_command(name)
    assert found is not None
    return found


def submitted(view: dict[str, Any], values: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {**view, "state": {"values": {k: {"value": v} for k, v in values.items()}}}


def test_the_review_form_has_one_typed_field_per_parameter() -> None:
    view = build_form(spec("review add"), CONTEXT, {})
    assert view["callback_id"] == FORM_CALLBACK_ID
    assert len(view["title"]["text"]) <= 24
    fields = {b["block_id"]: b for b in view["blocks"]}
    assert list(fields) == [p.name for p in spec("review add").params]
    assert fields["body"]["element"]["multiline"] is True
    assert fields["body"]["element"]["max_length"] == 3000
    assert fields["headline"]["element"]["multiline"] is False
    assert fields["rating"]["element"]["type"] == "static_select"
    assert [o["value"] for o in fields["rating"]["element"]["options"]][:3] == ["5", "4.5", "4"]
    assert fields["spoiler"]["element"]["type"] == "static_select"
    assert fields["film"]["optional"] is False and fields["author"]["optional"] is True


def test_every_form_fits_slacks_modal_limits() -> None:
    for command in COMMANDS:
        view = build_form(command, FormContext(command.name, "T", "C", None), {})
        assert len(view["blocks"]) <= 100
        assert len(view["private_metadata"]) <= 3000
        for block in view["blocks"]:
            assert len(block["label"]["text"]) <= 2000
            if command.param(block["block_id"]).kind is ParamKind.INT:  # type: ignore[union-attr]
                assert block["element"]["type"] == "number_input"


def test_what_was_typed_first_is_filled_in() -> None:
    view = build_form(spec("review add"), CONTEXT, {"film": "Second Victims"})
    film = view["blocks"][0]
    assert film["element"]["initial_value"] == "Second Victims"


def test_a_submission_becomes_the_commands_args() -> None:
    view = build_form(spec("review add"), CONTEXT, {})
    rating = view["blocks"][1]["element"]["options"][1]  # 4.5
    yes = view["blocks"][4]["element"]["options"][0]
    state = {
        "film": {"type": "plain_text_input", "value": " Second Victims "},
        "rating": {"type": "static_select", "selected_option": rating},
        "headline": {"type": "plain_text_input", "value": "Quiet <!channel> storm"},
        "body": {"type": "plain_text_input", "value": "Line one.\nLine two."},
        "spoiler": {"type": "static_select", "selected_option": yes},
        "author": {"type": "plain_text_input", "value": None},
    }
    context, command, args = read_submission(submitted(view, state))
    assert context == CONTEXT
    assert command.name == "review add"
    assert args == {
        "film": "Second Victims",
        "rating": "4.5",
        "headline": "Quiet <!channel> storm",  # inputs arrive as typed: the renderer escapes
        "body": "Line one.\nLine two.",
        "spoiler": True,
    }


def test_forms_are_for_commands_with_long_text_typed_without_details() -> None:
    assert wants_form(spec("review add"), {})
    assert wants_form(spec("review add"), {"film": "Second Victims"})
    assert not wants_form(spec("review add"), {"film": "X", "rating": "4"})
    assert wants_form(spec("review edit"), {"review": "3"})
    assert not wants_form(spec("review"), {})
    assert not wants_form(spec("audit"), {})


def test_an_error_naming_one_field_goes_under_that_field() -> None:
    review_add = spec("review add")
    rating = Reply.error("A rating is 0.5 to 5 stars in half steps", param="rating")
    assert field_errors(review_add, rating) == {
        "rating": "A rating is 0.5 to 5 stars in half steps"
    }
    film = Reply.error("No film found for “x”.", param="film")
    assert field_errors(review_add, film) == {"film": "No film found for “x”."}
    # Names no field, or one this form lacks: not a field error, whatever the text mentions.
    refusal = Reply.error("`review add` is for moderators; film and rating stay as they are.")
    assert field_errors(review_add, refusal) is None
    assert field_errors(review_add, Reply.error("Out of range.", param="page")) is None


def test_the_core_names_the_parameter_at_fault() -> None:
    """What the form puts under a field is the core's own word on which parameter is wrong."""
    review_add = spec("review add")
    bad = {"film": "Solaris", "rating": "eleven", "headline": "h", "body": "b"}
    with pytest.raises(ArgError) as refused:
        coerce_args(review_add, bad)
    assert refused.value.param == "rating"
