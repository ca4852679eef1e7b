"""push_to_gateway, pushadd_to_gateway, delete_from_gateway against a local HTTP server that
records each request, and against a real Pushgateway when AP_PUSHGATEWAY_URL names one
(scripts/test-pushgateway.sh)."""

from __future__ import annotations

import os
import socket
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from atomicperf import PROMETHEUS_CONTENT_TYPE, Registry
from atomicperf.prometheus import (
    PushgatewayError,
    PushgatewayTimeoutError,
    delete_from_gateway,
    push_to_gateway,
    pushadd_to_gateway,
    pushgateway_url,
)


class _Gateway(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, status: int, reason: bytes) -> None:
        self.status, self.reason = status, reason
        self.requests: list[tuple[str, str, str | None, bytes]] = []
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: _Gateway

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.requests.append(
            (self.command, self.path, self.headers.get("Content-Type"), body)
        )
        self.send_response(self.server.status)
        self.send_header("Content-Length", str(len(self.server.reason)))
        self.end_headers()
        self.wfile.write(self.server.reason)

    do_PUT = do_POST = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve(status: int = 200, reason: bytes = b"") -> Iterator[_Gateway]:
    gw = _Gateway(status, reason)
    thread = threading.Thread(target=gw.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield gw
    finally:
        gw.shutdown()
        gw.server_close()


@pytest.fixture
def gateway() -> Iterator[_Gateway]:
    yield from _serve()


@pytest.fixture
def refusing_gateway() -> Iterator[_Gateway]:
    yield from _serve(400, b"pushed metrics are invalid or inconsistent with existing metrics\n")


def test_each_call_sends_its_method_path_and_the_export(gateway: _Gateway) -> None:
    registry = Registry()
    registry.counter("backups_done", "Backups done.", labels={"kind": "full"}).add(3)
    key = {"instance": "h 1", "path": "/var/tmp", "shard": 2}
    push_to_gateway(gateway.url + "/prefix/", "backup", registry, grouping_key=key)
    pushadd_to_gateway(gateway.url + "/prefix/", "backup", registry, grouping_key=key, timeout=5)
    delete_from_gateway(gateway.url + "/prefix/", "backup", grouping_key=key)
    body = registry.export("prometheus").encode()
    assert b'backups_done_total{kind="full"} 3' in body
    # Labels in their order, a "/" in base64, a space percent-encoded, values through str().
    path = "/prefix/metrics/job/backup/instance/h%201/path@base64/L3Zhci90bXA/shard/2"
    assert gateway.requests == [
        ("PUT", path, PROMETHEUS_CONTENT_TYPE, body),
        ("POST", path, PROMETHEUS_CONTENT_TYPE, body),
        ("DELETE", path, None, b""),
    ]


def test_pushgateway_url_is_the_cores_rule() -> None:
    assert (
        pushgateway_url("http://h:9091", "example", [("first_label", ""), ("second_label", "x")])
        == "http://h:9091/metrics/job/example/first_label@base64/=/second_label/x"
    )
    assert (
        pushgateway_url("h:9091", "titan", [("name", "Προμηθεύς")])
        == "http://h:9091/metrics/job/titan/name/%CE%A0%CF%81%CE%BF%CE%BC%CE%B7%CE%B8%CE%B5%CF%8D%CF%82"
    )
    assert pushgateway_url("https://h/", "a/b") == "https://h/metrics/job@base64/YS9i"


@pytest.mark.parametrize(
    ("gateway_url", "job", "key", "message"),
    [
        (None, "", None, "job name must not be empty"),
        (None, "j", {"a-b": "x"}, 'invalid grouping label name "a-b"'),
        (None, "j", {"": "x"}, "must not be empty"),
        (None, "j", {"job": "x"}, "given as the job name"),
        (None, "j", {"__x": "x"}, "reserved"),
        ("ftp://h", "j", None, "scheme must be http or https"),
        ("", "j", None, "invalid Pushgateway URL"),
    ],
)
def test_bad_arguments_raise_value_error_before_any_request(
    gateway: _Gateway, gateway_url: str | None, job: str, key: dict[str, str] | None, message: str
) -> None:
    url = gateway.url if gateway_url is None else gateway_url
    with pytest.raises(ValueError, match=message):
        push_to_gateway(url, job, Registry(), grouping_key=key)
    with pytest.raises(ValueError, match=message):
        pushadd_to_gateway(url, job, Registry(), grouping_key=key)
    with pytest.raises(ValueError, match=message):
        delete_from_gateway(url, job, grouping_key=key)
    assert gateway.requests == []


def test_bad_types_and_timeouts_are_refused(gateway: _Gateway) -> None:
    with pytest.raises(TypeError, match="needs an atomicperf.Registry"):
        push_to_gateway(gateway.url, "j", object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="grouping_key must be a mapping"):
        delete_from_gateway(gateway.url, "j", grouping_key=[("a", "b")])  # type: ignore[arg-type]
    for bad in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="timeout must be a positive number"):
            delete_from_gateway(gateway.url, "j", timeout=bad)
    with pytest.raises(TypeError, match="timeout"):
        delete_from_gateway(gateway.url, "j", timeout="5")  # type: ignore[arg-type]
    assert gateway.requests == []


def test_a_refusal_carries_the_status_and_the_gateways_reason(refusing_gateway: _Gateway) -> None:
    with pytest.raises(PushgatewayError) as info:
        push_to_gateway(refusing_gateway.url, "j", Registry())
    e = info.value
    assert isinstance(e, OSError)
    assert (e.status, e.method, e.url) == (400, "PUT", refusing_gateway.url + "/metrics/job/j")
    assert "inconsistent with existing metrics" in e.body
    assert "status 400: pushed metrics are invalid" in str(e)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_gateway_is_a_pushgateway_error() -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    with pytest.raises(PushgatewayError, match="could not reach the gateway") as info:
        delete_from_gateway(url, "j", timeout=5)
    assert info.value.status is None
    assert isinstance(info.value.__cause__.reason, ConnectionRefusedError)  # type: ignore[union-attr]


def test_the_timeout_is_honoured_against_a_gateway_that_never_answers() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)  # the kernel accepts; nobody ever answers
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        with pytest.raises(PushgatewayTimeoutError, match="no answer within 0.2 s") as info:
            push_to_gateway(url, "j", Registry(), timeout=0.2)
        assert isinstance(info.value, TimeoutError)


@pytest.mark.skipif(
    not os.environ.get("AP_PUSHGATEWAY_URL"),
    reason="AP_PUSHGATEWAY_URL is not set (scripts/test-pushgateway.sh sets it)",
)
def test_push_pushadd_delete_on_a_real_pushgateway() -> None:
    gw = os.environ["AP_PUSHGATEWAY_URL"]

    def scrape() -> str:
        with urllib.request.urlopen(gw + "/metrics", timeout=10) as r:
            return str(r.read().decode())

    registry = Registry()
    registry.counter("ap_push_python", "Pushed from Python.", labels={"kind": "full"}).add(7)
    key = {"path": "/var/tmp", "empty": ""}
    push_to_gateway(gw, "python/batch", registry, grouping_key=key, timeout=10)
    series = 'ap_push_python_total{empty="",instance="",job="python/batch",kind="full",path="/var/tmp"} 7'
    assert series in scrape()
    other = Registry()
    other.gauge("ap_push_python_extra", "Added.").set(2)
    pushadd_to_gateway(gw, "python/batch", other, grouping_key=key, timeout=10)
    text = scrape()
    assert series in text
    assert 'ap_push_python_extra{empty="",instance="",job="python/batch",path="/var/tmp"} 2' in text
    delete_from_gateway(gw, "python/batch", grouping_key=key, timeout=10)
    assert "ap_push_python" not in scrape()
