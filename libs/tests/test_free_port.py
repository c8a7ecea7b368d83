"""Ports for test servers come from outside the range the kernel gives outgoing connections."""

from __future__ import annotations

import socket
from pathlib import Path

from crowdify.testing import free_port


def test_free_ports_are_bindable_and_outside_the_outgoing_connections_range() -> None:
    low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    ports = {free_port() for _ in range(20)}
    assert all(port < low or port > high for port in ports), ports
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", port))
