"""Lesson 3 in a real JupyterLab: move the augmentation preview's sliders; the digit redraws."""

from __future__ import annotations

from .lab import error_outputs, run_notebook

NOTEBOOK = "notebooks/03_adding_data.ipynb"


def test_augmentation_preview_redraws_when_a_slider_moves(page, lab):
    from playwright.sync_api import expect

    run_notebook(page, lab, NOTEBOOK)

    preview = page.locator(".mlc-augment-preview")
    expect(preview).to_have_count(1)
    preview.scroll_into_view_if_needed()
    image, status = page.locator("img.mlc-augment-image"), page.locator(".mlc-augment-status")
    expect(image).to_be_visible()
    expect(status).to_contain_text("redraw 1:")
    expect(status).to_contain_text("angle +0°")
    src_before = image.get_attribute("src")
    pixels_before = image.screenshot()

    # Keyboard: focus the angle slider's handle and press the right arrow 10 times (+10 degrees).
    handle = page.locator(".mlc-augment-angle .noUi-handle")
    handle.focus()
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    expect(status).to_contain_text("angle +10°")
    expect(image).not_to_have_attribute("src", src_before)
    assert image.screenshot() != pixels_before, "the digit was not redrawn"

    # Mouse: drag the warp slider's handle to the right; the warp strength and picture change.
    src_before = image.get_attribute("src")
    warp = page.locator(".mlc-augment-warp .noUi-handle")
    box = warp.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 120, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    expect(status).not_to_contain_text("warp 0.0 px")
    expect(image).not_to_have_attribute("src", src_before)
    assert not error_outputs(page)
