"""Which hosts registered apps may point at (`GATEWAY_DIFY_ALLOWED_HOSTS`).

The gateway sends an app's key to its base URL and, for `/test`, reports what came back: left
open, an administrator's form could aim it at any address the gateway reaches (an internal
service, the cloud's metadata endpoint). An operator lists what Dify may be: host names,
`*.domain` for its subdomains, or IP networks (`10.1.0.0/16`) for literal addresses. Empty
allows every host (a single-tenant install where the administrators are the operators).
Names are matched as written, not resolved: list names whose DNS you control.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


class AllowedHosts:
    def __init__(self, setting: str) -> None:
        self.entries = [entry.lower() for entry in setting.replace(",", " ").split()]

    def allows(self, base_url: str) -> bool:
        if not self.entries:
            return True
        host = (urlsplit(base_url).hostname or "").lower().rstrip(".")
        if not host:
            return False
        try:
            address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(
                host
            )
        except ValueError:
            address = None
        for entry in self.entries:
            if "/" in entry:
                if address is not None and address in ipaddress.ip_network(entry, strict=False):
                    return True
            elif entry.startswith("*."):
                if address is None and host.endswith(entry[1:]):
                    return True
            elif host == entry:
                return True
        return False
