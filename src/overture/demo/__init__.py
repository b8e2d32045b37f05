"""The demo: its data (`overture demo`) and the demo host site at /demo."""
