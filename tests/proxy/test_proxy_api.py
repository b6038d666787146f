"""The HTTP API, byte for byte where Toxiproxy 2.12 clients can tell: every route and every error."""

from __future__ import annotations

import json
import socket

import httpx
import pytest
from support.sockets import EchoServer, connect, unused_port

from chaos.proxy import EmbeddedProxy, ToxiproxyClient

TEXT = "text/plain; charset=utf-8"


def error_of(response: httpx.Response, status: int, message: str) -> None:
    """Toxiproxy's error: JSON text with a newline, sent as text/plain with nosniff (Go's http.Error)."""
    assert response.status_code == status
    assert response.text == json.dumps({"error": message, "status": status}, separators=(",", ":")) + "\n"
    assert response.headers["content-type"] == TEXT
    assert response.headers["x-content-type-options"] == "nosniff"


def create(api: httpx.Client, name: str, upstream: str, **extra: object) -> httpx.Response:
    return api.post("/proxies", json={"name": name, "listen": "127.0.0.1:0", "upstream": upstream, **extra})


# --- server-wide --------------------------------------------------------------------------------


def test_version_is_json_with_newline(api: httpx.Client) -> None:
    response = api.get("/version")
    assert response.status_code == 200
    assert response.content == b'{"version": "2.12.0"}\n'
    assert response.headers["content-type"] == "application/json;charset=utf-8"


def test_every_response_carries_a_request_id(api: httpx.Client) -> None:
    ids = {api.get(path).headers["x-toxiproxy-request-id"] for path in ("/version", "/proxies", "/nope")}
    assert len(ids) == 3


def test_unknown_path_is_mux_404_and_wrong_method_is_empty_405(api: httpx.Client) -> None:
    response = api.get("/nope")
    assert response.status_code == 404
    assert response.text == "404 page not found\n"
    assert response.headers["content-type"] == TEXT
    assert api.get("/proxies/").status_code == 404  # no trailing-slash redirect, as mux
    wrong = (("DELETE", "/version"), ("PUT", "/proxies"), ("GET", "/reset"), ("GET", "/populate"))
    for method, path in wrong:
        response = api.request(method, path)
        assert (response.status_code, response.content) == (405, b""), (method, path)


def test_browsers_are_refused_on_known_routes_only(api: httpx.Client) -> None:
    browser = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64)"}
    response = api.get("/proxies", headers=browser)
    assert response.status_code == 403
    assert response.text == "User agent not allowed\n"
    assert api.get("/nope", headers=browser).status_code == 404


def test_metrics_are_404_unless_enabled(api: httpx.Client) -> None:
    assert api.get("/metrics").status_code == 404


def test_metrics_count_bytes_while_the_connection_is_open(echo: EchoServer) -> None:
    with EmbeddedProxy(metrics=True) as server, ToxiproxyClient(server.url) as client:
        listen = client.create_proxy("m", upstream=echo.address).listen
        with connect(listen) as sock:
            sock.sendall(b"x" * 1000)
            assert len(sock.recv(2000)) > 0
            text = httpx.get(server.url + "/metrics", timeout=5).text  # connection still open
        assert "# TYPE toxiproxy_proxy_received_bytes_total counter" in text
        labels = f'direction="upstream",listener="{listen}",proxy="m",upstream="{echo.address}"'
        assert f"toxiproxy_proxy_received_bytes_total{{{labels}}} 1000" in text
        assert f"toxiproxy_proxy_sent_bytes_total{{{labels}}} 1000" in text
        assert httpx.post(server.url + "/metrics", timeout=5).status_code == 200  # any method, as Go


# --- proxies ----------------------------------------------------------------------------------


def test_create_proxy_answers_201_with_go_field_order(api: httpx.Client, echo: EchoServer) -> None:
    response = create(api, "echo", echo.address)
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["name", "listen", "upstream", "enabled", "Logger", "toxics"]
    assert body["listen"].startswith("127.0.0.1:")
    assert not body["listen"].endswith(":0")
    assert (body["upstream"], body["enabled"], body["Logger"], body["toxics"]) == (echo.address, True, {}, [])
    assert response.content.startswith(b'{"name":"echo","listen":')  # compact, as json.Marshal


def test_create_proxy_errors(api: httpx.Client, echo: EchoServer) -> None:
    assert create(api, "dup", echo.address).status_code == 201
    error_of(create(api, "dup", echo.address), 409, "proxy already exists: dup")
    error_of(api.post("/proxies", json={"upstream": echo.address}), 400, "missing required field: name")
    error_of(api.post("/proxies", json={"name": "x"}), 400, "missing required field: upstream")
    error_of(api.post("/proxies", content=b""), 400, "bad request body: EOF")
    response = api.post("/proxies", content=b"{nope")
    assert response.status_code == 400
    assert response.json()["error"].startswith("bad request body: ")
    response = api.post("/proxies", json={"name": "x", "upstream": "u", "enabled": "yes"})
    assert response.status_code == 400
    assert "enabled" in response.json()["error"]


def test_create_proxy_on_a_taken_port_is_500_with_the_os_error(api: httpx.Client, echo: EchoServer) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        response = api.post("/proxies", json={"name": "busy", "listen": f"127.0.0.1:{port}",
                                              "upstream": echo.address})
    error_of(response, 500, f"listen tcp 127.0.0.1:{port}: bind: address already in use")
    assert api.get("/proxies/busy").status_code == 404  # nothing kept


def test_disabled_proxy_keeps_listen_as_given(api: httpx.Client, echo: EchoServer) -> None:
    body = create(api, "off", echo.address, enabled=False).json()
    assert (body["enabled"], body["listen"]) == (False, "127.0.0.1:0")


def test_proxy_index_is_an_object_keyed_by_name(api: httpx.Client, echo: EchoServer) -> None:
    assert api.get("/proxies").json() == {}
    create(api, "b", echo.address)
    create(api, "a", echo.address)
    response = api.get("/proxies")
    assert list(response.json()) == ["a", "b"]
    assert response.json()["a"]["name"] == "a"


def test_show_update_delete_proxy(api: httpx.Client, echo: EchoServer) -> None:
    listen = create(api, "p", echo.address).json()["listen"]
    assert api.get("/proxies/p").json()["listen"] == listen
    error_of(api.get("/proxies/missing"), 404, "proxy not found: missing")
    body = api.patch("/proxies/p", json={"enabled": False, "name": "ignored"}).json()
    assert (body["name"], body["enabled"], body["listen"]) == ("p", False, listen)
    body = api.post("/proxies/p", json={"enabled": True}).json()  # POST: the pre-2.6 spelling
    assert body["enabled"] is True
    body = api.patch("/proxies/p", json={"upstream": "127.0.0.1:1"}).json()
    assert body["upstream"] == "127.0.0.1:1"
    error_of(api.patch("/proxies/missing", json={}), 404, "proxy not found: missing")
    assert api.patch("/proxies/p", content=b"[").status_code == 400
    response = api.delete("/proxies/p")
    assert (response.status_code, response.content) == (204, b"")
    error_of(api.delete("/proxies/p"), 404, "proxy not found: p")


def test_update_to_a_taken_listen_is_500(api: httpx.Client, echo: EchoServer) -> None:
    taken = create(api, "one", echo.address).json()["listen"]
    create(api, "two", echo.address)
    response = api.patch("/proxies/two", json={"listen": taken})
    assert response.status_code == 500
    assert "address already in use" in response.json()["error"]


# --- toxics -------------------------------------------------------------------------------------


def test_toxic_create_is_200_with_defaults(api: httpx.Client, echo: EchoServer) -> None:
    create(api, "t", echo.address)
    assert api.get("/proxies/t/toxics").json() == []
    response = api.post("/proxies/t/toxics", json={"type": "latency"})
    assert response.status_code == 200  # 200, not 201, as Toxiproxy
    assert response.content == (b'{"attributes":{"latency":0,"jitter":0},"name":"latency_downstream",'
                                b'"type":"latency","stream":"downstream","toxicity":1}')


def test_toxic_stream_is_case_insensitive_but_echoed_as_sent(api: httpx.Client, echo: EchoServer) -> None:
    create(api, "t", echo.address)
    body = api.post("/proxies/t/toxics", json={"type": "latency", "stream": "UpStream"}).json()
    assert (body["name"], body["stream"]) == ("latency_UpStream", "UpStream")


def test_toxic_create_errors_in_toxiproxys_order(api: httpx.Client, echo: EchoServer) -> None:
    create(api, "t", echo.address)

    def post(body: dict[str, object]) -> httpx.Response:
        return api.post("/proxies/t/toxics", json=body)

    error_of(api.post("/proxies/missing/toxics", json={"type": "latency"}), 404, "proxy not found: missing")
    invalid_stream = "stream was invalid, can be either upstream or downstream"
    error_of(post({"type": "nope", "stream": "sideways"}), 400, invalid_stream)  # stream checked first
    known = "known types: bandwidth, latency, limit_data, noop, reset_peer, slicer, slow_close, timeout"
    error_of(post({"type": "nope"}), 400, f"invalid toxic type: nope ({known})")
    error_of(post({}), 400, f"invalid toxic type: none given ({known})")
    assert post({"type": "latency"}).status_code == 200
    error_of(post({"type": "latency"}), 409, "toxic already exists: latency_downstream")
    # names are unique across both directions
    error_of(post({"type": "slicer", "name": "latency_downstream", "stream": "upstream",
                   "attributes": {"average_size": 1}}), 409, "toxic already exists: latency_downstream")
    error_of(api.post("/proxies/t/toxics", content=b"nope"), 400,
             "bad request body: Expecting value: line 1 column 1 (char 0)")


@pytest.mark.parametrize(("body", "named"), [
    ({"type": "latency", "attributes": {"latency": -1}}, "latency"),
    ({"type": "latency", "attributes": {"jitter": -5}}, "jitter"),
    ({"type": "latency", "attributes": {"latency": "100"}}, "latency"),
    ({"type": "latency", "attributes": {"latency": 1.5}}, "latency"),
    ({"type": "latency", "attributes": {"latency": True}}, "latency"),
    ({"type": "latency", "attributes": {"latncy": 100}}, "latncy"),
    ({"type": "latency", "attributes": [100]}, "attributes"),
    ({"type": "bandwidth", "attributes": {"rate": -1}}, "rate"),
    ({"type": "slow_close", "attributes": {"delay": -1}}, "delay"),
    ({"type": "timeout", "attributes": {"timeout": -1}}, "timeout"),
    ({"type": "reset_peer", "attributes": {"timeout": -1}}, "timeout"),
    ({"type": "limit_data", "attributes": {"bytes": -1}}, "bytes"),
    ({"type": "slicer", "attributes": {}}, "average_size"),
    ({"type": "slicer", "attributes": {"average_size": 0}}, "average_size"),
    ({"type": "slicer", "attributes": {"average_size": 10, "size_variation": 11}}, "size_variation"),
    ({"type": "latency", "attributes": {"latency": 1 << 63}}, "latency"),
    ({"type": "slicer", "attributes": {"average_size": 10, "delay": -1}}, "delay"),
    ({"type": "latency", "toxicity": 1.5}, "toxicity"),
    ({"type": "latency", "toxicity": -0.1}, "toxicity"),
    ({"type": "latency", "toxicity": "0.5"}, "toxicity"),
])
def test_nonsense_values_are_400_naming_the_attribute(api: httpx.Client, echo: EchoServer,
                                                       body: dict[str, object], named: str) -> None:
    create(api, "t", echo.address)
    response = api.post("/proxies/t/toxics", json=body)
    assert response.status_code == 400
    message = response.json()["error"]
    assert message.startswith("bad request body: ")
    assert named in message
    assert api.get("/proxies/t/toxics").json() == []  # nothing added


def test_integral_float_attributes_and_case_insensitive_keys_are_accepted(api: httpx.Client,
                                                                         echo: EchoServer) -> None:
    create(api, "t", echo.address)
    body = api.post("/proxies/t/toxics", json={"Type": "latency", "attributes": {"Latency": 100.0}}).json()
    assert body["attributes"] == {"latency": 100, "jitter": 0}


def test_toxic_show_update_merge_and_delete(api: httpx.Client, echo: EchoServer) -> None:
    create(api, "t", echo.address)
    api.post("/proxies/t/toxics", json={"type": "latency", "name": "lag", "attributes": {"latency": 10}})
    assert api.get("/proxies/t/toxics/lag").json()["attributes"] == {"latency": 10, "jitter": 0}
    error_of(api.get("/proxies/t/toxics/missing"), 404, "toxic not found: missing")
    error_of(api.get("/proxies/missing/toxics/lag"), 404, "proxy not found: missing")
    body = api.patch("/proxies/t/toxics/lag", json={"attributes": {"jitter": 3}, "type": "timeout",
                                                     "stream": "upstream", "name": "other"}).json()
    assert body == {"attributes": {"latency": 10, "jitter": 3}, "name": "lag", "type": "latency",
                    "stream": "downstream", "toxicity": 1}  # merged; type, stream and name unchanged
    body = api.post("/proxies/t/toxics/lag", json={"toxicity": 0.5}).json()
    assert (body["toxicity"], body["attributes"]["latency"]) == (0.5, 10)
    assert api.patch("/proxies/t/toxics/lag", json={"attributes": {"latency": -1}}).status_code == 400
    assert api.get("/proxies/t/toxics/lag").json()["attributes"]["latency"] == 10  # untouched
    error_of(api.patch("/proxies/t/toxics/missing", json={}), 404, "toxic not found: missing")
    assert api.delete("/proxies/t/toxics/lag").status_code == 204
    error_of(api.delete("/proxies/t/toxics/lag"), 404, "toxic not found: lag")


def test_toxics_list_upstream_first_then_downstream(api: httpx.Client, echo: EchoServer) -> None:
    create(api, "t", echo.address)
    for name, stream in (("d1", "downstream"), ("u1", "upstream"), ("d2", "downstream"), ("u2", "upstream")):
        api.post("/proxies/t/toxics", json={"type": "noop", "name": name, "stream": stream})
    assert [t["name"] for t in api.get("/proxies/t/toxics").json()] == ["u1", "u2", "d1", "d2"]
    assert [t["name"] for t in api.get("/proxies/t").json()["toxics"]] == ["u1", "u2", "d1", "d2"]


# --- populate and reset -------------------------------------------------------------------------


def test_populate_creates_keeps_and_replaces(api: httpx.Client, echo: EchoServer) -> None:
    port = unused_port()
    first = [{"name": "keep", "listen": f"localhost:{port}", "upstream": echo.address},
             {"name": "swap", "listen": "127.0.0.1:0", "upstream": echo.address, "enabled": False}]
    response = api.post("/populate", json=first)
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    assert [p["name"] for p in response.json()["proxies"]] == ["keep", "swap"]
    assert response.json()["proxies"][0]["listen"] == f"127.0.0.1:{port}"
    api.post("/proxies/keep/toxics", json={"type": "latency"})
    api.post("/proxies/swap/toxics", json={"type": "latency"})
    api.patch("/proxies/keep", json={"enabled": False})
    # same resolved listen and upstream: untouched (still disabled, toxic kept, input enabled ignored)
    second = [{"name": "keep", "listen": f"127.0.0.1:{port}", "upstream": echo.address, "enabled": True},
              {"name": "swap", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:1"}]
    proxies = api.post("/populate", json=second).json()["proxies"]
    assert (proxies[0]["enabled"], len(proxies[0]["toxics"])) == (False, 1)
    assert (proxies[1]["enabled"], proxies[1]["upstream"], proxies[1]["toxics"]) == (True, "127.0.0.1:1", [])
    assert api.post("/populate", json=[]).content == b'{"proxies":null}'
    assert sorted(api.get("/proxies").json()) == ["keep", "swap"]  # never deletes


def test_populate_validates_everything_first(api: httpx.Client, echo: EchoServer) -> None:
    response = api.post("/populate", json=[{"name": "ok", "upstream": echo.address}, {"upstream": "x"}])
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"  # unlike every other error
    assert response.json() == {"error": "missing required field: name at proxy 2", "status": 400,
                               "proxies": None}
    assert api.get("/proxies").json() == {}
    response = api.post("/populate", json={"name": "x", "upstream": "y"})
    assert response.status_code == 400
    assert response.json()["error"].startswith("bad request body")


def test_populate_stops_at_the_first_bind_error_with_a_partial_result(api: httpx.Client,
                                                                       echo: EchoServer) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        response = api.post("/populate", json=[
            {"name": "first", "listen": "127.0.0.1:0", "upstream": echo.address},
            {"name": "busy", "listen": f"127.0.0.1:{port}", "upstream": echo.address},
            {"name": "never", "listen": "127.0.0.1:0", "upstream": echo.address}])
    assert response.status_code == 500
    body = response.json()
    assert body["error"] == f"listen tcp 127.0.0.1:{port}: bind: address already in use"
    assert [p["name"] for p in body["proxies"]] == ["first"]
    assert sorted(api.get("/proxies").json()) == ["first"]


def test_reset_enables_every_proxy_and_removes_every_toxic(api: httpx.Client, echo: EchoServer) -> None:
    create(api, "a", echo.address, enabled=False)
    create(api, "b", echo.address)
    api.post("/proxies/b/toxics", json={"type": "latency", "stream": "upstream"})
    api.post("/proxies/b/toxics", json={"type": "timeout"})
    response = api.post("/reset", content=b"ignored")
    assert (response.status_code, response.content) == (204, b"")
    proxies = api.get("/proxies").json()
    assert all(p["enabled"] and p["toxics"] == [] for p in proxies.values())
    with connect(proxies["a"]["listen"]) as sock:  # really listening again
        sock.sendall(b"hi")
        assert sock.recv(2) == b"hi"


def test_listen_forms_resolve_to_loopback(api: httpx.Client, echo: EchoServer) -> None:
    assert api.post("/proxies", json={"name": "a", "upstream": echo.address}).json()["listen"].startswith(
        "127.0.0.1:")  # no listen at all: loopback, not every interface (a divergence)
    assert api.post("/proxies", json={"name": "b", "listen": "localhost:0",
                                      "upstream": echo.address}).json()["listen"].startswith("127.0.0.1:")
    error_of(api.post("/proxies", json={"name": "c", "listen": "127.0.0.1", "upstream": echo.address}),
             400, "invalid listen address: address 127.0.0.1: missing port in address")


def test_ipv6_loopback_listen(api: httpx.Client, echo: EchoServer) -> None:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    listen = api.post("/proxies", json={"name": "v6", "listen": "[::1]:0", "upstream": echo.address}).json()[
        "listen"]
    assert listen.startswith("[::1]:")
    with socket.create_connection(("::1", int(listen.rsplit(":", 1)[1])), timeout=5) as sock:
        sock.sendall(b"six")
        assert sock.recv(3) == b"six"
