"""`python -m bench.faults --profile short|long [--brokers 3] [--json PATH]`: the fault suite on its own servers.

Starts its own PostgreSQL and Kafka in a temporary folder (one broker, or with
`--brokers 3` a KRaft cluster with replication 3 and min.insync.replicas 2,
on which the cluster faults run: leader killed, all brokers down, a reporting
worker of three killed), four gunicorn webs, the workers and the SMTP sink,
runs the profile's cohorts through the faults, counts, and prints the table:
fault, operations, lost, doubled, seconds to recover (`--json` writes it as
JSON too). Exit status 1 when anything was lost, doubled or out of order.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from bench.faults import suite
from bench.faults.injectors import Infra
from bench.faults.stack import Stack, start_servers, suite_env
from deploy.infra import free_port


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--profile", choices=sorted(suite.PROFILES), default="short")
    parser.add_argument("--brokers", type=int, choices=(1, 3), default=1,
                        help="3: a KRaft cluster and the cluster faults")
    parser.add_argument("--json", type=Path, help="write the table as JSON to this file too")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, mail) afterwards")
    args = parser.parse_args(argv)
    # SIGTERM (a CI timeout) unwinds like Ctrl-C, so the servers and processes below are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    profile = (suite.CLUSTER_PROFILES if args.brokers > 1 else suite.PROFILES)[args.profile]
    work = Path(tempfile.mkdtemp(prefix="progadmin-faults-"))
    servers = None
    stack: Stack | None = None
    try:
        servers = start_servers(work, brokers=profile.brokers, partitions=profile.partitions)
        stack = Stack(suite_env(servers.env, work / "mail", free_port()), work / "logs", work / "mail",
                      workers=dict(profile.workers))
        stack.start()
        print(f"fault suite, profile {profile.name} on {profile.brokers} broker(s): servers and processes up "
              f"(logs in {work / 'logs'})", flush=True)
        outcome = suite.run(profile, Infra(servers.pg, servers.kafka, servers.settings, stack),
                            say=lambda s: print(s, flush=True))
        print(outcome.table(), flush=True)
        if args.json:
            args.json.write_text(outcome.as_json())
            print(f"table as JSON: {args.json}")
        return 1 if outcome.lost or outcome.doubled or outcome.reordered or outcome.errors else 0
    finally:
        if stack is not None:
            stack.stop()
        if servers is not None:
            servers.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")


if __name__ == "__main__":
    sys.exit(main())
