"""gradio_client clients for an app on this machine: the only traffic the measuring scripts and tests send.

gradio_client opens a new httpx connection for every request it makes (join the queue, read the events, download
each output file), and httpx builds a TLS context for each one, loading the whole CA bundle: 28 ms of CPU per
connection, even for an http:// URL (measured: `httpx.Client()` 27.7 ms, `httpx.Client(verify=False)` 0.3 ms).
Plain HTTP to loopback has no certificate to verify, so these clients skip the bundle. Without that, 30 load-test
clients spent 92 s of CPU on a 78 s run against the server's 47 s: the test measured its own clients.
"""

from urllib.parse import urlparse

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def require_loopback(url: str) -> None:
    host = urlparse(url).hostname or ""
    if host not in LOOPBACK_HOSTS and not host.startswith("127."):
        raise ValueError(f"Refusing to send test traffic to {url}: only loopback addresses are allowed.")


def loopback_client(url: str, **kwargs):
    """A quiet gradio_client Client for the app at `url` (loopback only), without per-request CA loading."""
    from gradio_client import Client

    require_loopback(url)
    return Client(url, verbose=False, analytics_enabled=False, ssl_verify=False, **kwargs)
