"""make run's port check: a port a run stopped a moment ago left in TIME_WAIT is free (the servers
bind with SO_REUSEADDR), a port something listens on is not."""

import socket
import time

import pytest

from localrun import __main__ as make_run


def port_in_time_wait() -> int:
    """A loopback port whose server side closed first: it stays in TIME_WAIT for a minute. The
    listener binds as make run's servers do (SO_REUSEADDR: the HTTP server's allow_reuse_address,
    Jetty's reuseAddress in DynamoDB Local)."""
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = listener.accept()
        accepted.close()  # the server closes first, as make run's does on Ctrl-C
        time.sleep(0.05)
        client.close()
    return port


def test_a_port_left_in_time_wait_by_a_stopped_run_is_free():
    port = port_in_time_wait()
    with socket.socket() as plain, pytest.raises(OSError):
        plain.bind(("127.0.0.1", port))  # what the check did before: "port in use"
    make_run._check_free(port, "PORT")


def test_a_port_something_listens_on_stops_make_run_naming_the_variable():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        with pytest.raises(SystemExit, match="PORT"):
            make_run._check_free(listener.getsockname()[1], "PORT")


def test_a_port_another_runs_dynamodb_local_listens_on_over_ipv6_is_in_use():
    """Java listens on every interface over IPv6, which an IPv4 bind on Linux does not notice."""
    with socket.socket(socket.AF_INET6) as listener:
        listener.bind(("::", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(SystemExit, match="PORT"):
            make_run._check_free(port, "PORT")
