"""``govbot audit`` sub-commands for signed checkpoints: keygen, cosign, pubkey, and verify's options.

``keygen`` and ``cosign`` run on a monitor's own machine with no settings, database or network: the
private key stays in the monitor's file. ``pubkey`` prints the deployment's public key (never its
private key) for the operator to publish.

``govbot --help`` builds every parser, so this module imports only argparse and the translation function
at its top; the signing and verifying code is imported by the sub-command that runs it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from governance.errors import GovError
from governance.i18n import _


def add_arguments(verify: argparse.ArgumentParser, audit_sub: Any) -> None:
    """Add ``--key``/``--checkpoint`` to ``audit verify`` and the keygen, cosign and pubkey sub-commands."""
    verify.add_argument(
        "--key",
        metavar="PUBKEY",
        help=_("the deployment's public key (64 hex digits, or a file holding them) to check checkpoints"),
    )
    verify.add_argument(
        "--checkpoint",
        metavar="FILE",
        type=Path,
        action="append",
        default=[],
        help=_("a checkpoint you kept from earlier, checked against the bundle (repeatable)"),
    )
    keygen = audit_sub.add_parser("keygen", help=_("make an Ed25519 key pair for an election monitor"))
    keygen.add_argument(
        "--out", metavar="NAME", type=Path, required=True, help=_("writes NAME.key (private) and NAME.pub")
    )
    cosign = audit_sub.add_parser("cosign", help=_("co-sign a checkpoint with a monitor's private key"))
    cosign.add_argument(
        "checkpoint", type=Path, help=_("the checkpoint file (`election monitor checkpoint <id>`)")
    )
    cosign.add_argument("--key", metavar="FILE", type=Path, required=True, help=_("your private key file"))
    cosign.add_argument(
        "--bundle", metavar="PATH", type=Path, help=_("check the checkpoint against this bundle first")
    )
    audit_sub.add_parser("pubkey", help=_("print the deployment's public checkpoint key"))


def _public_key(text: str) -> str:
    from governance import signing

    path = Path(text)
    if len(text) != 64 and path.is_file():
        lines = [line for line in path.read_text(encoding="ascii").splitlines() if line.strip()]
        text = lines[-1] if lines else ""
    return signing.parse_public(text)


def verify(args: argparse.Namespace) -> int:
    """Verify a bundle, its signed checkpoints with ``--key`` and each ``--checkpoint`` held from earlier."""
    from governance.verify import verify_bundle

    try:
        key = _public_key(args.key) if args.key else None
        held = [path.read_bytes() for path in args.checkpoint]
    except (GovError, OSError) as exc:
        print(_("govbot: {error}", error=exc), file=sys.stderr)
        return 2
    report = verify_bundle(args.path, key=key, held=held)
    print(report.to_text())
    return 0 if report.ok else 1


def offline(args: argparse.Namespace) -> int:
    """``audit keygen`` and ``audit cosign``: a monitor's key pair and signature, made offline."""
    try:
        return _keygen(args.out) if args.audit_command == "keygen" else _cosign(args)
    except GovError as exc:
        print(_("govbot: {error}", error=exc), file=sys.stderr)
        return 1
    except OSError as exc:
        print(_("govbot: {error}", error=exc.strerror or exc), file=sys.stderr)
        return 1


def _keygen(out: Path) -> int:
    from governance import signing

    private, public = out.with_name(out.name + ".key"), out.with_name(out.name + ".pub")
    if private.exists() or public.exists():
        print(
            _("govbot: {path} exists; choose another name (keys are never overwritten).", path=private),
            file=sys.stderr,
        )
        return 1
    key = signing.generate()
    signing.write_private_key(key, private)
    public.write_text(signing.public_hex(key) + "\n", encoding="ascii")
    print(
        _(
            "Wrote {private} (private: keep it, never share it) and {public}. Your public key, key id "
            "{key_id}:",
            private=private,
            public=public,
            key_id=signing.key_id(signing.public_hex(key)),
        )
    )
    print(signing.public_hex(key))
    return 0


def _cosign(args: argparse.Namespace) -> int:
    from governance import signing
    from governance.checkpoint_verify import parse_items

    items = parse_items(args.checkpoint.read_bytes())
    if len(items) != 1:
        print(_("govbot: give a file holding one checkpoint."), file=sys.stderr)
        return 1
    item = items[0]
    if args.bundle is not None:
        from governance.verify import verify_bundle

        report = verify_bundle(args.bundle, held=[json.dumps(item).encode()])
        if not report.ok:
            print(report.to_text(), file=sys.stderr)
            print(_("govbot: not signed: the checkpoint and the bundle disagree."), file=sys.stderr)
            return 1
    key = signing.read_private_key(args.key)
    body = json.loads(item["body"])
    signature = signing.sign(key, str(item["body"]).encode("utf-8"))
    subject = str(body.get("subject", ""))
    print(
        _(
            "Signed checkpoint {seq} ({subject}) with key {key_id}. Send this in chat:",
            seq=body.get("seq"),
            subject=subject or "-",
            key_id=signing.key_id(signing.public_hex(key)),
        )
    )
    slug = subject.removeprefix("election:") if subject.startswith("election:") else "<election>"
    print(f"election monitor cosign {slug} {signature}")
    return 0


def pubkey(public: str) -> int:
    """Print the deployment's public checkpoint key (64 hex digits) and its id, for the operator to
    publish (``bot.wiring.deployment_key`` chooses the key)."""
    from governance import signing

    print(_("Deployment checkpoint key {key_id}:", key_id=signing.key_id(public)))
    print(public)
    return 0
