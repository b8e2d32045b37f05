"""Realtime fan-out of events to connected browsers: the hub (hub.py) with its in-process
and Redis backends, and the chat WebSocket plumbing (ws.py)."""
