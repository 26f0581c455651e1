"""Outbound requests (walks/net.py): internal addresses refused, the checked address is the one
connected to, redirects checked, timeouts on all; the actor form and report delivery use it."""
from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from flask_babel import force_locale

from walks import net
from walks.actors import service as actors
from walks.extensions import db
from walks.reports import delivery
from walks.reports import service as reports

PUBLIC = "93.184.216.34"


def resolver(mapping: dict[str, list[str]], calls: list | None = None):
    """A stand-in for socket.getaddrinfo: host name -> the addresses given."""
    def resolve(host, port, type=0):
        if calls is not None:
            calls.append(host)
        if host not in mapping:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in mapping[host]]
    return resolve


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/open311/v2",
    "http://127.1.2.3:8080/",
    "http://10.0.0.7/requests.json",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[fe80::1]/",
    "http://[fd00::1]/",
    "http://0.0.0.0/",
    "http://224.0.0.1/",
    "http://100.64.0.1/",
    "http://localhost:5000/open311/v2",
])
def test_internal_addresses_are_refused_with_a_message(app, url):
    with force_locale("en"), pytest.raises(net.OutboundRefused, match="internal address"):
        net.check_url(url)


@pytest.mark.parametrize("url, message", [
    ("ftp://open311.example.se/v2", "Only http:// and https://"),
    ("file:///etc/passwd", "Only http:// and https://"),
    ("gopher://127.0.0.1:6379/", "Only http:// and https://"),
    ("javascript:alert(1)", "Only http:// and https://"),
    ("http://", "not a valid web address"),
    ("http://user:secret@open311.example.se/", "not a valid web address"),
    ("http://open311.example.se:99999/", "not a valid web address"),
])
def test_other_schemes_and_malformed_urls_are_refused(app, url, message):
    with force_locale("en"), pytest.raises(net.OutboundRefused, match=message):
        net.check_url(url, resolve=resolver({"open311.example.se": [PUBLIC]}))


@pytest.mark.parametrize("addresses", [["10.1.2.3"], [PUBLIC, "127.0.0.1"], ["::1"], [PUBLIC, "fe80::1%eth0"],
                                       ["169.254.169.254"]])
def test_a_name_resolving_to_an_internal_address_is_refused(app, addresses):
    with force_locale("en"), pytest.raises(net.OutboundRefused, match="intern.example.se"):
        net.check_url("https://intern.example.se/open311", resolve=resolver({"intern.example.se": addresses}))


def test_a_public_host_passes_and_is_pinned_to_the_checked_address(app):
    target = net.check_url("https://open311.example.se/v2", resolve=resolver({"open311.example.se": [PUBLIC]}))
    assert (target.hostname, target.address, target.port) == ("open311.example.se", PUBLIC, 443)


def test_an_unknown_host_is_refused_when_sending(app):
    with force_locale("en"), pytest.raises(net.OutboundRefused, match="could not be found"):
        net.check_url("https://nowhere.invalid/", resolve=resolver({}))


def test_allowed_hosts_come_from_the_setting_and_the_apps_own_address(app):
    app.config.update(OUTBOUND_ALLOWED_HOSTS=["Intern.Example.se"], PUBLIC_BASE_URL="https://trygg.example.se")
    assert net.allowed_hosts(app.config) == {"intern.example.se", "trygg.example.se"}
    target = net.check_url("http://intern.example.se/", net.allowed_hosts(app.config),
                           resolver({"intern.example.se": ["10.1.2.3"]}))
    assert target.address == "10.1.2.3"


# --- real requests against local servers ------------------------------------------------------------

class Recorder(BaseHTTPRequestHandler):
    """Answers as server.script says: (status, headers) per path; records method, path and Host."""

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.seen.append((self.command, self.path, self.headers.get("Host"), body))
        status, headers = self.server.script.get(self.path, (200, {}))
        payload = b'[{"service_request_id": "1"}]'
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def local_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.seen, server.script = [], {}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def test_the_request_goes_to_the_checked_address_with_the_host_name_kept(app, local_server):
    calls = []
    port = local_server.server_port
    response = net.post(f"http://svc.test:{port}/open311/v2/requests.json", data={"a": "1"},
                        allowed={"svc.test"}, resolve=resolver({"svc.test": ["127.0.0.1"]}, calls))
    assert response.status_code == 200 and calls == ["svc.test"]  # resolved once, then connected to that
    assert local_server.seen == [("POST", "/open311/v2/requests.json", f"svc.test:{port}", b"a=1")]


def test_loopback_is_refused_without_the_allow_list_and_reached_with_it(app, local_server):
    url = f"http://127.0.0.1:{local_server.server_port}/x"
    with pytest.raises(net.OutboundRefused):
        net.get(url)
    assert local_server.seen == []
    app.config["OUTBOUND_ALLOWED_HOSTS"] = ["127.0.0.1"]
    assert net.get(url).status_code == 200


@pytest.mark.parametrize("location", ["http://169.254.169.254/latest/meta-data/", "http://127.0.0.1/admin",
                                      "http://[::1]:8080/", "http://localhost/", "ftp://svc.test/"])
def test_a_redirect_to_an_internal_address_is_refused(app, local_server, location):
    local_server.script["/requests.json"] = (302, {"Location": location})
    with force_locale("en"), pytest.raises(net.OutboundRefused):
        net.post(f"http://svc.test:{local_server.server_port}/requests.json", data={"a": "1"},
                 allowed={"svc.test"}, resolve=resolver({"svc.test": ["127.0.0.1"]}))
    assert len(local_server.seen) == 1


def test_an_allowed_redirect_is_followed_and_checked_again(app, local_server):
    calls = []
    local_server.script["/old"] = (303, {"Location": "/new"})
    response = net.post(f"http://svc.test:{local_server.server_port}/old", data={"a": "1"},
                        allowed={"svc.test"}, resolve=resolver({"svc.test": ["127.0.0.1"]}, calls))
    assert response.status_code == 200 and calls == ["svc.test", "svc.test"]
    assert [(m, p) for m, p, _, _ in local_server.seen] == [("POST", "/old"), ("GET", "/new")]


def test_redirects_are_not_followed_when_asked_not_to(app, local_server):
    local_server.script["/old"] = (302, {"Location": "http://169.254.169.254/"})
    response = net.get(f"http://svc.test:{local_server.server_port}/old", allow_redirects=False,
                       allowed={"svc.test"}, resolve=resolver({"svc.test": ["127.0.0.1"]}))
    assert response.status_code == 302 and len(local_server.seen) == 1


def test_endless_redirects_stop(app, local_server):
    local_server.script["/loop"] = (307, {"Location": "/loop"})
    with force_locale("en"), pytest.raises(net.OutboundRefused, match="Too many redirects"):
        net.get(f"http://svc.test:{local_server.server_port}/loop", allowed={"svc.test"},
                resolve=resolver({"svc.test": ["127.0.0.1"]}))
    assert len(local_server.seen) == net.MAX_REDIRECTS + 1


def test_a_server_that_never_answers_times_out(app):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        with pytest.raises(requests.Timeout):
            net.get(f"http://127.0.0.1:{silent.getsockname()[1]}/", allowed={"127.0.0.1"}, timeout=(2, 0.3))


OPENSSL = shutil.which("openssl")


@pytest.fixture
def tls_server(tmp_path):
    """An https server on 127.0.0.1 whose self-signed certificate is for svc.test only."""
    if not OPENSSL:
        pytest.skip("openssl is not installed: no certificate for the TLS test")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=svc.test",
                    "-addext", "subjectAltName=DNS:svc.test", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.seen, server.script = [], {}
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, str(cert)
    server.shutdown()
    server.server_close()
    thread.join()


def test_https_to_the_checked_address_still_verifies_the_host_name(app, tls_server):
    server, cert = tls_server
    mapping = resolver({"svc.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
    allowed = {"svc.test", "other.test"}
    response = net.get(f"https://svc.test:{server.server_port}/", verify=cert, allowed=allowed, resolve=mapping)
    assert response.status_code == 200 and server.seen[0][2] == f"svc.test:{server.server_port}"
    with pytest.raises(requests.exceptions.SSLError):
        net.get(f"https://other.test:{server.server_port}/", verify=cert, allowed=allowed, resolve=mapping)


# --- where addresses come in: the actor form, and sending a report -------------------------------

@pytest.mark.parametrize("url", ["http://localhost/open311/v2", "http://10.0.0.7/open311/v2",
                                 "http://169.254.169.254/", "http://[::1]/open311/v2", "ftp://open311.example.se/"])
def test_saving_an_actor_with_an_internal_open311_address_is_a_clear_error(make, url):
    values = {"name": "Stadsmiljö", "kind": "municipal", "report_channel": "open311", "open311_base_url": url}
    with pytest.raises(actors.ActorError) as caught:
        actors.save_organization(None, values, make.user())
    assert caught.value.field == "open311_base_url" and str(caught.value.message)


def test_saving_an_actor_whose_host_cannot_be_found_now_is_allowed(make):
    values = {"name": "Stadsmiljö", "kind": "municipal", "report_channel": "open311",
              "open311_base_url": "https://open311.nowhere.invalid/v2"}
    assert actors.save_organization(None, values, make.user()).open311_base_url == "https://open311.nowhere.invalid/v2"


def test_sending_to_an_internal_open311_address_fails_with_the_reason_and_posts_nothing(app, make, local_server):
    walk = make.walk()
    organization = make.organization(name="Intern", report_channel="open311",
                                     open311_base_url=f"http://127.0.0.1:{local_server.server_port}/open311/v2")
    reports.save_rule(walk.area, None, category_id=make.category("lighting").id, organization_id=organization.id)
    make.observation(walk=walk)
    (report,), _ = reports.build_drafts(walk.observations, None)
    report.channel = "open311"
    db.session.commit()
    assert reports.claim_for_sending(report)
    with app.test_request_context(), force_locale("en"):
        assert delivery.deliver(report, None) is False
    assert "internal address" in report.last_error and report.status == "draft" and report.sending_since is None
    assert local_server.seen == []
