"""``python -m osb_conformance.reference_broker --port N [--mutant NAME | --variant NAME]``."""

from __future__ import annotations

import argparse
import sys

from .broker import ReferenceBroker
from .chaos import CHAOS_MODES, DESCRIPTIONS, make_chaos
from .mutants import MUTANTS, combine
from .server import TLSFiles, make_server
from .timing import OPERATION_KINDS, parse_async_seconds
from .variants import VARIANTS


def _async_seconds(text: str) -> dict[str, float]:
    try:
        return parse_async_seconds(text)
    except ValueError as problem:
        raise argparse.ArgumentTypeError(str(problem)) from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m osb_conformance.reference_broker",
        description="Serve the osb-conformance reference broker on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=0, help="port (0: a free one)")
    parser.add_argument("--username", default="admin")
    parser.add_argument("--password", default="secret")
    parser.add_argument("--mutant", type=_mutant_names,
                        help="break one requirement (NAME), or several (NAME,NAME,...)")
    parser.add_argument("--list-mutants", action="store_true")
    parser.add_argument("--variant", choices=sorted(VARIANTS),
                        help="a compliant variant: another choice the spec allows")
    parser.add_argument("--list-variants", action="store_true")
    parser.add_argument("--chaos", choices=CHAOS_MODES,
                        help="misbehave like an unreliable broker (see --list-chaos)")
    parser.add_argument("--list-chaos", action="store_true")
    parser.add_argument("--token", default=None, help="accept only this bearer token")
    parser.add_argument("--tls-cert", default=None, help="serve HTTPS with this certificate")
    parser.add_argument("--tls-key", default=None, help="... and this key")
    parser.add_argument("--tls-client-ca", default=None,
                        help="require client certificates signed by this CA")
    parser.add_argument("--retry-after", type=float, default=None,
                        help="Retry-After seconds on in-progress operations (sent rounded up)")
    parser.add_argument("--async-polls", type=int, default=1,
                        help="polls an async operation stays 'in progress' (the default "
                             "for kinds --async-seconds does not time)")
    parser.add_argument("--async-seconds", type=_async_seconds, default=None,
                        metavar="T|KIND=T,...",
                        help="an async operation finishes T seconds after it started, "
                             "whatever the polls; per kind ("
                             + ", ".join(OPERATION_KINDS) + "), e.g. provision=5,bind=1")
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="delay every answer this long (a simulated network distance)")
    parser.add_argument("--extra-plans", type=int, default=0, help="generated extra plans")
    args = parser.parse_args(argv)
    if args.list_mutants:
        for name, mutant in sorted(MUTANTS.items()):
            print(f"{name}\t{','.join(mutant.violates)}\t{mutant.description}")
        return 0
    if args.list_variants:
        for name, variant in sorted(VARIANTS.items()):
            print(f"{name}\t{variant.description}")
        return 0
    if args.list_chaos:
        for name in CHAOS_MODES:
            print(f"{name}\t{DESCRIPTIONS[name]}")
        return 0
    broker = ReferenceBroker(
        args.username, args.password, async_polls=args.async_polls,
        async_seconds=args.async_seconds, retry_after=args.retry_after,
        latency_ms=args.latency_ms, extra_plans=args.extra_plans,
        mutant=combine(args.mutant) if args.mutant else None,
        token=args.token, chaos=make_chaos(args.chaos) if args.chaos else None,
        variant=args.variant,
    )
    tls = TLSFiles(args.tls_cert, args.tls_key, args.tls_client_ca) if args.tls_cert else None
    server = make_server(broker, args.port, tls)
    print(f"reference broker on {broker.base_url}"
          + (f" (mutant {args.mutant})" if args.mutant else "")
          + (f" (chaos {args.chaos})" if args.chaos else "")
          + (f" (compliant variant {args.variant})" if args.variant else ""), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _mutant_names(value: str) -> str:
    unknown = [n for n in value.split(",") if n.strip() not in MUTANTS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown mutant(s) {', '.join(unknown)} (see --list-mutants)")
    return value


if __name__ == "__main__":
    sys.exit(main())
