"""`python -m deploy.demo`: load the demo programme into a running stack (`deploy/up --detach`).

Where and as whom, first found wins:
- origin: `--origin`, PROGADMIN_ORIGIN, `.local/stack.json` (written by deploy/stack.py), http://127.0.0.1:8080;
- identity provider: `--issuer`, PROGADMIN_OIDC_ISSUER, `.local/stack.json`;
- the client `progadmin-demo-loader` (a fund_admin service account) with the secret PROGADMIN_DEMO_CONSUMER_SECRET,
  in the local stack the realm's development default;
- participants' links are signed with PROGADMIN_LINK_SECRET (its development default locally), as
  notifications signs the links in its mail: a development shortcut, never for production.
`--dev-token` uses a locally minted fund_admin token instead of the identity provider (development only).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import Any

from deploy.demo import data
from deploy.demo.client import Api, DemoError, client_credentials
from deploy.demo.loader import Loader, find_existing
from deploy.identity import KeycloakServer
from deploy.infra import ROOT
from services.common.config import DEV_LINK_SECRET

CLIENT_ID = "progadmin-demo-loader"


def stack_urls() -> dict[str, Any]:
    path = ROOT / ".local" / "stack.json"
    try:
        return dict(json.loads(path.read_text()).get("urls") or {})
    except (OSError, ValueError):
        return {}


def default_secret() -> str:
    return str(KeycloakServer.__dataclass_fields__["consumer_secret"].default)


def dev_token_source() -> Callable[[], tuple[str, float]]:
    from services.common.auth import mint
    from services.common.config import Settings

    settings = Settings.from_env("enrolment")
    if not settings.dev_tokens:
        raise DemoError("--dev-token needs development tokens (PROGADMIN_DEV_TOKENS, not in production)")
    return lambda: (mint(settings, "demo-loader", ["fund_admin"], name="Demo-lader"), 3600.0)


def load(origin: str, *, issuer: str | None = None, secret: str | None = None, link_secret: str | None = None,
         lead_seconds: float = 75, dev_token: bool = False,
         say: Callable[[str], None] = print) -> dict[str, Any] | None:
    """Load the demo programme; its summary, or None when it was there already (nothing is loaded twice)."""
    if dev_token:
        source = dev_token_source()
        say("tokens: a development fund_admin token minted locally (--dev-token), not the identity provider")
    else:
        if not issuer:
            raise DemoError("no identity provider: set PROGADMIN_OIDC_ISSUER or start the stack with deploy/up")
        client_secret = secret or default_secret()
        source = lambda: client_credentials(issuer, CLIENT_ID, client_secret)  # noqa: E731
        say(f"tokens: client credentials of `{CLIENT_ID}` (fund_admin) from {issuer}")
    api = Api(origin.rstrip("/"), source, link_secret or DEV_LINK_SECRET)
    existing = find_existing(api)
    if existing is not None:
        say(f"Het demoprogramma staat er al / the demo programme is already loaded: \"{existing['name']}\" "
            f"({existing['id']}). Nothing was changed; to load it again, start from empty databases and topics "
            "(a fresh stack's data).")
        return None
    out = Loader(api, say, lead_seconds).run()
    summary = out.summary()
    say(f"done in {api.calls} API calls:\n" + json.dumps(summary, indent=2, ensure_ascii=False))
    say(f"open {origin}/ and sign in as `beheerder`, `coordinator-noord` or `begeleider` (password: the demo "
        f"password); final report: {origin}/api/reporting/v1/programmes/{summary['programme_id']}/final-report")
    return summary


def main(argv: list[str] | None = None) -> int:
    urls = stack_urls()
    parser = argparse.ArgumentParser(prog="python -m deploy.demo", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--origin", default=os.environ.get("PROGADMIN_ORIGIN") or urls.get("origin")
                        or "http://127.0.0.1:8080")
    parser.add_argument("--issuer", default=os.environ.get("PROGADMIN_OIDC_ISSUER") or urls.get("identity_provider"))
    parser.add_argument("--lead", type=float, default=75,
                        help="seconds between scheduling the sessions held during loading and their start (75)")
    parser.add_argument("--dev-token", action="store_true", help="mint a development fund_admin token instead")
    args = parser.parse_args(argv)
    print(f"demo programme \"{data.PROGRAMME_NAME}\" -> {args.origin}", flush=True)
    try:
        load(args.origin, issuer=args.issuer, secret=os.environ.get("PROGADMIN_DEMO_CONSUMER_SECRET"),
             link_secret=os.environ.get("PROGADMIN_LINK_SECRET"), lead_seconds=args.lead, dev_token=args.dev_token,
             say=lambda line: print(line, flush=True))
    except DemoError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
