"""The visual builder's routes: create and edit a segment, the live preview, "why in / not in"."""

urlpatterns: list = []
