"""A reader of a deal's qualification sees answer statuses by their label."""

from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_viewer_sees_status_labels_and_no_save_button(world, client_for):
    html = client_for("viewer").get(f"/deals/{world.deal.pk}/qualification/").content.decode()
    assert html.count('<span class="badge">Unknown</span>') == 4
    assert '<span class="badge">unknown</span>' not in html
    assert "Save answers" not in html
