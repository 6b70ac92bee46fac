"""``auditor permissions``: the least-privilege grants each connector needs.

Generated from the connectors themselves (each registered kind's ``permissions()``, kept
next to the calls it makes, built-in or plug-in), so the printed policy and the code
cannot drift apart; ``--capabilities`` adds which facts each kind can read and which it
never can.
"""

from __future__ import annotations

import json

import click

from auditor.errors import UsageError

TITLES = {"s3": "S3: IAM policy for the auditor's role or user",
          "gcs": "GCS: custom role (gcloud iam roles create --file=...)",
          "sql": "SQL: a read-only login per engine",
          "sftp": "SFTP: a read-only SSH login", "ftp": "FTP/FTPS: a list-and-download login",
          "azure_blob": "Azure Blob: custom role (az role definition create --role-definition ...)"}


def grants(kind: str | None = None) -> dict[str, object]:
    from auditor import registry
    from auditor.plugins import load_connectors

    load_connectors()
    if kind is not None and kind not in registry.connectors:
        raise UsageError(f"--kind: unknown connector kind {kind!r} (known: {', '.join(registry.connectors)})")
    kinds = [kind] if kind else list(registry.connectors)
    return {k: registry.connectors.get(k).permissions() for k in kinds}


def capabilities(kind: str | None = None) -> dict[str, object]:
    from auditor import registry
    from auditor.plugins import capabilities_of, load_connectors

    load_connectors()
    kinds = [kind] if kind else list(registry.connectors)
    out: dict[str, object] = {}
    for k in kinds:
        caps = capabilities_of(registry.connectors.get(k))
        out[k] = caps.as_dict() if caps else "this connector does not declare its capabilities"
    return out


def register_cli(cli: click.Group) -> None:
    @cli.command()
    @click.option("--kind", default=None, metavar="KIND",
                  help="Only this connector kind (default: every registered kind, plug-ins included).")
    @click.option("--json", "as_json", is_flag=True, help="One JSON document instead of text.")
    @click.option("--capabilities", "with_caps", is_flag=True,
                  help="Also say which facts each kind can read and which it never can.")
    def permissions(kind, as_json, with_caps) -> None:
        """Print the read-only policy (S3, GCS), grants (SQL) or plug-in grants the auditor needs."""
        try:
            found = grants(kind)
        except UsageError as exc:
            click.echo(f"auditor: error: {exc}", err=True)
            raise SystemExit(2) from None
        caps = capabilities(kind) if with_caps else {}
        if as_json:
            doc = {k: {"permissions": v, "capabilities": caps[k]} for k, v in found.items()} if with_caps else found
            click.echo(json.dumps(doc, indent=2))
            return
        for k, value in found.items():
            click.echo(f"# {TITLES.get(k, f'{k}: permissions')}")
            if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()) and k in ("sql", "sftp", "ftp"):
                for engine, text in value.items():
                    click.echo(f"{'--' if k == 'sql' else '##'} {engine}\n{text}\n")
            else:
                click.echo(json.dumps(value, indent=2) if not isinstance(value, str) else value)
                click.echo("")
            if with_caps:
                click.echo(f"# {k}: capabilities\n{json.dumps(caps[k], indent=2)}\n")
