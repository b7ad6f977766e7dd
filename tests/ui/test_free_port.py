"""The port helper for the servers tests start (no browser needed)."""

from __future__ import annotations

import socket

from .lab import _ephemeral_low, free_port


def test_free_ports_lie_below_the_ephemeral_range_and_can_be_bound():
    ports = {free_port() for _ in range(20)}
    # a port of the ephemeral range can be taken by any kernel's ZMQ socket meanwhile
    assert all(10000 <= p < _ephemeral_low() for p in ports), sorted(ports)
    assert len(ports) > 1, "chosen at random, so that two test workers rarely pick the same"
    for port in ports:
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))
