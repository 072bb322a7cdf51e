"""Print the OpenAPI documents of the services the SPA calls, as one JSON object by service.

Each document comes from the service's own app factory, without a server or any connection
(the factories connect only in their lifespan). web/scripts/api-types.mjs turns them into
web/src/api/generated/*.ts and fails `make test` when the committed file disagrees.
"""

from __future__ import annotations

import json
import sys

from rechat_auth.app import create_app as create_auth
from rechat_gateway.app import create_app as create_gateway
from rechat_history.app import create_app as create_history

FACTORIES = {"auth": create_auth, "gateway": create_gateway, "history": create_history}


def main() -> None:
    documents = {name: factory().openapi() for name, factory in FACTORIES.items()}
    json.dump(documents, sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
