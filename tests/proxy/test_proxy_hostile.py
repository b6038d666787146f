"""Hostile input to the API: each case the fuzz run of issue 15 found answers a 4xx naming the
problem, stores nothing, and leaves every listing, delete and `/reset` working."""

from __future__ import annotations

import json
import socket

import httpx
import pytest
from support.sockets import EchoServer, connect, recv_exactly

from chaos.proxy import EmbeddedProxy
from chaos.proxy.names import NAME_RULE

TEXT = "text/plain; charset=utf-8"


def error_of(response: httpx.Response, status: int, message: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == TEXT
    assert response.json() == {"error": message, "status": status}


def raw(api: httpx.Client, method: str, path: str, body: str | bytes) -> httpx.Response:
    """A request whose body is sent exactly as given (httpx's json= would refuse a lone surrogate)."""
    return api.request(method, path, content=body.encode() if isinstance(body, str) else body)


def assert_sane(api: httpx.Client) -> None:
    """The control plane still works: listings are JSON, everything listed can be deleted, reset is 204."""
    listing = api.get("/proxies")
    assert listing.status_code == 200
    for name, proxy in listing.json().items():
        for toxic in proxy["toxics"]:
            assert api.get(f"/proxies/{name}/toxics/{toxic['name']}").status_code == 200
    assert api.post("/reset").status_code == 204
    assert api.get("/proxies").status_code == 200


# --- names ----------------------------------------------------------------------------------------


def test_a_lone_surrogate_is_refused_before_anything_is_stored(api: httpx.Client, echo: EchoServer) -> None:
    body = '{"name": "\\ud800", "listen": "127.0.0.1:0", "upstream": "' + echo.address + '"}'
    error_of(raw(api, "POST", "/proxies", body), 400, "bad request body: string with a lone UTF-16 surrogate '\\ud800'")
    assert api.get("/proxies").json() == {}
    assert api.post("/proxies", json={"name": "t", "upstream": echo.address}).status_code == 201
    error_of(raw(api, "POST", "/proxies/t/toxics", '{"type": "latency", "name": "\\udfff"}'), 400,
             "bad request body: string with a lone UTF-16 surrogate '\\udfff'")
    error_of(raw(api, "POST", "/proxies/t/toxics", '{"type": "latency", "\\ud800": 1}'), 400,
             "bad request body: string with a lone UTF-16 surrogate '\\ud800'")  # in a key, too
    assert api.get("/proxies/t/toxics").json() == []
    assert_sane(api)


@pytest.mark.parametrize(("name", "problem"), [
    ("x" * 300_000, "300000 characters, more than 128"),
    ("x" * 129, "129 characters, more than 128"),
    ("a/b", "character '/' not allowed"),
    ("a?b", "character '?' not allowed"),
    ("caf\u00e9", "character '\\xe9' not allowed"),
    ("tab\there", "character '\\t' not allowed"),
    (" padded", "leading or trailing space"),
    ("..", "'..' cannot be addressed in a URL path"),
])
def test_names_outside_the_alphabet_are_400_naming_the_character(api: httpx.Client, echo: EchoServer,
                                                                  name: str, problem: str) -> None:
    message = f"bad request body: name: {problem} (a name is {NAME_RULE})"
    error_of(api.post("/proxies", json={"name": name, "upstream": echo.address}), 400, message)
    response = api.post("/populate", json=[{"name": name, "upstream": echo.address}])
    assert (response.status_code, response.json()["error"]) == (
        400, f"bad request body: name at proxy 1: {problem} (a name is {NAME_RULE})")
    assert api.get("/proxies").json() == {}
    api.post("/proxies", json={"name": "t", "upstream": echo.address})
    error_of(api.post("/proxies/t/toxics", json={"type": "latency", "name": name}), 400, message)
    assert api.get("/proxies/t/toxics").json() == []


def test_populate_names_the_proxy_whose_name_is_refused(api: httpx.Client, echo: EchoServer) -> None:
    response = api.post("/populate", json=[{"name": "ok", "upstream": echo.address},
                                           {"name": "a/b", "upstream": echo.address}])
    assert response.status_code == 400
    assert response.json()["error"] == (f"bad request body: name at proxy 2: character '/' not allowed "
                                        f"(a name is {NAME_RULE})")
    assert api.get("/proxies").json() == {}  # the valid first one was not created either


def test_the_longest_and_oddest_allowed_names_can_be_listed_and_deleted(api: httpx.Client,
                                                                        echo: EchoServer) -> None:
    for name in ("n" * 128, 'odd "name" [x]', "~._-:@!$&'()*+,;="):
        assert api.post("/proxies", json={"name": name, "upstream": echo.address}).status_code == 201
        assert api.post(f"/proxies/{name}/toxics", json={"type": "noop", "name": name}).status_code == 200
        assert api.get("/proxies").json()[name]["toxics"][0]["name"] == name
        assert api.delete(f"/proxies/{name}/toxics/{name}").status_code == 204
        assert api.delete(f"/proxies/{name}").status_code == 204


def test_a_missing_proxy_with_an_unstorable_name_is_quoted_escaped_and_cut(api: httpx.Client) -> None:
    error_of(api.get("/proxies/%ED%A0%80"), 404, "proxy not found: '%ED%A0%80'")  # kept encoded: not UTF-8
    error_of(api.get("/proxies/" + "y" * 200), 404, f"proxy not found: '{'y' * 64}'... (200 characters)")


# --- body limits ----------------------------------------------------------------------------------

BODY_ROUTES = [("POST", "/proxies"), ("POST", "/populate"), ("PATCH", "/proxies/t"),
               ("POST", "/proxies/t/toxics"), ("PATCH", "/proxies/t/toxics/lag"), ("POST", "/leases/x")]


@pytest.mark.parametrize(("body", "message"), [
    ("[" * 100_000, "bad request body: nested deeper than 32 levels"),
    ("[" * 33 + "]" * 33, "bad request body: nested deeper than 32 levels"),
    ('{"name": ' + "9" * 5000 + "}", "bad request body: number of 5000 characters, more than 32"),
    ('{"toxicity": NaN}', "bad request body: NaN is not JSON"),
    ('{"toxicity": 1e400}', "bad request body: number 1e400 out of range"),
    (b'{"name": "\xff"}', "bad request body: invalid UTF-8: 'utf-8' codec can't decode byte 0xff in position 10: "
                          "invalid start byte"),
])
@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
def test_body_limits_are_400_on_every_body_route(api: httpx.Client, echo: EchoServer, *, method: str, path: str,
                                                 body: str | bytes, message: str) -> None:
    api.post("/proxies", json={"name": "t", "upstream": echo.address})
    api.post("/proxies/t/toxics", json={"type": "latency", "name": "lag"})
    response = raw(api, method, path, body)
    if path == "/populate":  # populate answers its errors as JSON with the partial result
        assert (response.status_code, response.json()) == (400, {"error": message, "status": 400, "proxies": None})
    elif path.startswith("/leases/"):
        assert (response.status_code, response.json()["error"]) == (400, message)
    else:
        error_of(response, 400, message)
    assert list(api.get("/proxies").json()) == ["t"]
    assert_sane(api)


def test_32_levels_are_still_a_body(api: httpx.Client, echo: EchoServer) -> None:
    nested = {"name": "deep", "upstream": echo.address, "x": json.loads("[" * 31 + "]" * 31)}
    assert api.post("/proxies", json=nested).status_code == 201


def test_a_body_over_1_mib_is_413(api: httpx.Client) -> None:
    error_of(api.post("/proxies", content=b" " * ((1 << 20) + 1)), 413, "bad request body: larger than 1048576 bytes")


def test_attributes_beyond_int64_are_400(api: httpx.Client, echo: EchoServer) -> None:
    api.post("/proxies", json={"name": "t", "upstream": echo.address})
    response = api.post("/proxies/t/toxics", json={"type": "latency", "attributes": {"latency": 1 << 63}})
    error_of(response, 400, "bad request body: latency toxic: latency: must be <= 9223372036854775807 (ms), "
                            "got 9223372036854775808")


@pytest.mark.parametrize("upstream", ["x" * 1025, "127.0.0.1:1\n", "a\x00b:1"])
def test_upstreams_are_printable_and_bounded(api: httpx.Client, upstream: str) -> None:
    response = api.post("/proxies", json={"name": "u", "upstream": upstream})
    assert response.status_code == 400
    assert response.json()["error"].startswith("bad request body: upstream: ")
    assert api.get("/proxies").json() == {}


# --- listen addresses -----------------------------------------------------------------------------

INVALID_PORT = "invalid port (expected 0 to 65535 in ASCII digits)"


@pytest.mark.parametrize("enabled", [True, False])
@pytest.mark.parametrize(("listen", "message"), [
    ("127.0.0.1:\u00b2", f"invalid listen address: address 127.0.0.1:\u00b2: {INVALID_PORT}"),
    ("127.0.0.1:\u0661\u0668\u0665\u0660\u0660", f"invalid listen address: address "
                                                  f"127.0.0.1:\u0661\u0668\u0665\u0660\u0660: {INVALID_PORT}"),
    ("127.0.0.1:99999", f"invalid listen address: address 127.0.0.1:99999: {INVALID_PORT}"),
    ("127.0.0.1:-1", f"invalid listen address: address 127.0.0.1:-1: {INVALID_PORT}"),
    ("127.0.0.1", "invalid listen address: address 127.0.0.1: missing port in address"),
    ("0.0.0.0:0", "listen address not allowed: 0.0.0.0:0 is not a loopback address: proxies listen on "
                  "127.0.0.0/8 or [::1] unless the server runs with --allow-remote"),
    ("[::]:0", "listen address not allowed: [::]:0 is not a loopback address: proxies listen on "
               "127.0.0.0/8 or [::1] unless the server runs with --allow-remote"),
    ("255.255.255.255:0", "listen address not allowed: 255.255.255.255:0 is not a loopback address: proxies "
                          "listen on 127.0.0.0/8 or [::1] unless the server runs with --allow-remote"),
    ("224.0.0.1:0", "listen address not allowed: 224.0.0.1:0 is not a loopback address: proxies listen on "
                    "127.0.0.0/8 or [::1] unless the server runs with --allow-remote"),
    ("127.0.0.1:80", "listen address not allowed: port 80 is privileged (below 1024): use a port from 1024 to "
                     "65535, or 0 for a free one, unless the server runs with --allow-privileged-ports"),
])
def test_listen_addresses_are_checked_whatever_enabled_says(api: httpx.Client, echo: EchoServer, listen: str,
                                                            message: str, enabled: bool) -> None:
    error_of(api.post("/proxies", json={"name": "l", "listen": listen, "upstream": echo.address,
                                        "enabled": enabled}), 400, message)
    response = api.post("/populate", json=[{"name": "l", "listen": listen, "upstream": echo.address,
                                            "enabled": enabled}])
    assert (response.status_code, response.json()["error"]) == (400, message)
    assert api.get("/proxies").json() == {}
    before = api.post("/proxies", json={"name": "l", "upstream": echo.address, "enabled": enabled}).json()
    error_of(api.patch("/proxies/l", json={"listen": listen}), 400, message)
    assert api.get("/proxies/l").json() == before  # untouched
    assert_sane(api)


def test_remote_and_privileged_addresses_pass_with_the_opt_ins(echo: EchoServer) -> None:
    # 192.0.2.1 (TEST-NET-1) is on no interface: the policy lets it through, then the bind fails as in Go,
    # so this test never listens off loopback
    with EmbeddedProxy(allow_remote=True, allow_privileged_ports=True) as server, \
            httpx.Client(base_url=server.url, timeout=10) as api:
        response = api.post("/proxies", json={"name": "r", "listen": "192.0.2.1:0", "upstream": echo.address})
        error_of(response, 500, "listen tcp 192.0.2.1:0: bind: cannot assign requested address")
        response = api.post("/proxies", json={"name": "p", "listen": "127.0.0.1:1023", "upstream": echo.address})
        assert response.status_code in (201, 500), response.text  # 500 only from bind (not root, or in use)
        if response.status_code == 500:
            assert response.json()["error"].startswith("listen tcp 127.0.0.1:1023: bind: ")


# --- refused changes are not kept half done -------------------------------------------------------


def test_an_update_that_cannot_bind_gives_the_old_listener_back(api: httpx.Client, echo: EchoServer) -> None:
    taken = api.post("/proxies", json={"name": "one", "upstream": echo.address}).json()["listen"]
    own = api.post("/proxies", json={"name": "two", "upstream": echo.address}).json()["listen"]
    response = api.patch("/proxies/two", json={"listen": taken, "upstream": "127.0.0.1:1"})
    error_of(response, 500, f"listen tcp {taken}: bind: address already in use")
    two = api.get("/proxies/two").json()
    assert (two["listen"], two["upstream"], two["enabled"]) == (own, echo.address, True)
    with connect(own) as sock:
        sock.sendall(b"back")
        assert recv_exactly(sock, 4) == b"back"


def test_a_populate_replacement_that_cannot_bind_gives_the_old_proxy_back(api: httpx.Client,
                                                                          echo: EchoServer) -> None:
    own = api.post("/proxies", json={"name": "keep", "upstream": echo.address}).json()["listen"]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        response = api.post("/populate", json=[{"name": "keep", "listen": f"127.0.0.1:{port}",
                                                "upstream": echo.address}])
    assert response.status_code == 500
    keep = api.get("/proxies/keep").json()
    assert (keep["listen"], keep["enabled"]) == (own, True)
    with connect(own) as sock:
        sock.sendall(b"kept")
        assert recv_exactly(sock, 4) == b"kept"


def test_reset_finishes_when_a_proxy_cannot_listen_again(api: httpx.Client, echo: EchoServer,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    taken = api.post("/proxies", json={"name": "a", "upstream": echo.address}).json()["listen"]
    api.post("/proxies", json={"name": "b", "listen": taken, "upstream": echo.address, "enabled": False})
    api.post("/proxies/b/toxics", json={"type": "latency"})
    api.post("/proxies/a/toxics", json={"type": "latency"})
    api.patch("/proxies/a", json={"enabled": False})
    api.post("/proxies", json={"name": "c", "upstream": echo.address, "enabled": False})
    with caplog.at_level("WARNING", logger="chaos.proxy.collection"):
        response = api.post("/reset")
    assert (response.status_code, response.content) == (204, b"")
    proxies = api.get("/proxies").json()
    assert [(n, p["enabled"], p["toxics"]) for n, p in proxies.items()] == [
        ("a", True, []), ("b", False, []), ("c", True, [])]  # b stays disabled: a holds its address
    assert f"reset: proxy b stays disabled: listen tcp {taken}: bind: address already in use" in caplog.messages


# --- the slicer, as Toxiproxy ---------------------------------------------------------------------


def test_slicer_accepts_size_variation_equal_to_average_size(api: httpx.Client, echo: EchoServer) -> None:
    listen = api.post("/proxies", json={"name": "s", "upstream": echo.address}).json()["listen"]
    response = api.post("/proxies/s/toxics", json={"type": "slicer", "stream": "upstream",
                                                    "attributes": {"average_size": 10, "size_variation": 10}})
    assert response.status_code == 200, response.text
    payload = bytes(range(256)) * 8
    with connect(listen) as sock:
        sock.sendall(payload)
        assert recv_exactly(sock, len(payload)) == payload  # every byte, in order, none duplicated
    error_of(api.patch("/proxies/s/toxics/slicer_upstream", json={"attributes": {"size_variation": 11}}), 400,
             "bad request body: slicer toxic: size_variation: must be <= average_size (10), got 11")
