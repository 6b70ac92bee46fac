"""``auditor permissions``: the least-privilege grants each connector needs.

Generated from the connectors themselves (each kind's ``permissions()``, kept next to the
calls it makes), so the printed policy and the code cannot drift apart.
"""

from __future__ import annotations

import json

import click


def grants(kind: str | None = None) -> dict[str, object]:
    from auditor import registry
    from connectors import load_builtin

    load_builtin()
    kinds = [kind] if kind else list(registry.connectors)
    out: dict[str, object] = {}
    for k in kinds:
        connector = registry.connectors.get(k)
        describe = getattr(connector, "permissions", None)
        out[k] = describe() if describe else "this connector does not describe its permissions"
    return out


def register_cli(cli: click.Group) -> None:
    @cli.command()
    @click.option("--kind", type=click.Choice(["s3", "gcs", "sql"]), default=None,
                  help="Only this connector kind (default: all).")
    @click.option("--json", "as_json", is_flag=True, help="One JSON document instead of text.")
    def permissions(kind, as_json) -> None:
        """Print the read-only policy (S3, GCS) or grants (SQL) the auditor needs."""
        found = grants(kind)
        if as_json:
            click.echo(json.dumps(found, indent=2))
            return
        titles = {"s3": "S3: IAM policy for the auditor's role or user",
                  "gcs": "GCS: custom role (gcloud iam roles create --file=...)",
                  "sql": "SQL: a read-only login per engine"}
        for k, value in found.items():
            click.echo(f"# {titles.get(k, k)}")
            if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()) and k == "sql":
                for engine, text in value.items():
                    click.echo(f"-- {engine}\n{text}\n")
            else:
                click.echo(json.dumps(value, indent=2) if not isinstance(value, str) else value)
                click.echo("")
