"""`tillit policy` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="policy commands.", no_args_is_help=True)


@app.command("lint")
def lint_command(
    paths: list[str] | None = typer.Argument(
        None, help="Policy files to check (default: the configured pack)", show_default=False, metavar="PATH"
    ),
    pack: list[str] | None = typer.Option(None, "--pack", help="A demo pack by name; repeatable"),
    all_packs: bool = typer.Option(False, "--all-packs", help="Check every demo pack"),
    strict: bool = typer.Option(False, "--strict", help="Warnings fail the run too"),
    list_rules: bool = typer.Option(False, "--list-rules", help="Print the lint rules and exit"),
) -> None:
    """Check policy files (YAML, schema, every lint rule): one line per problem with file, line and rule code.

    With no PATH and no --pack, checks what this deployment runs: TILLIT_POLICY_PATH if set, else the pack
    TILLIT_PACK (default bank). Exit code 0 when no file has errors (warnings too with --strict), else 1.
    """
    import os
    from pathlib import Path

    from tillit.policy import lint as policy_lint
    from tillit.policy.loader import available_packs, pack_policy_path

    if list_rules:
        width = max(len(code) for code in [*policy_lint.PRE_LINT_CODES, *(r.code for r in policy_lint.RULES)])
        for code, summary in policy_lint.PRE_LINT_CODES.items():
            typer.echo(f"{code:<{width}}  {'error':<7}  {summary}")
        for rule in policy_lint.RULES:
            typer.echo(f"{rule.code:<{width}}  {rule.severity:<7}  {rule.summary}")
        return

    def shown(path: Path) -> str:
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            return str(path)

    names = list(dict.fromkeys([*(pack or []), *(available_packs() if all_packs else [])]))
    if all_packs and not names:
        typer.echo("error: no demo packs found", err=True)
        raise typer.Exit(1)
    for name in names:
        if not pack_policy_path(name).exists():
            known = ", ".join(available_packs()) or "none"
            raise typer.BadParameter(f"unknown pack '{name}' (known packs: {known})", param_hint="--pack")
    targets = [(Path(p), p) for p in paths or []]
    targets += [(pack_policy_path(name), shown(pack_policy_path(name))) for name in names]
    if not targets:
        configured = os.environ.get("TILLIT_POLICY_PATH")
        if configured:
            targets = [(Path(configured), configured)]
        else:
            name = os.environ.get("TILLIT_PACK") or "bank"
            if not pack_policy_path(name).exists():
                typer.echo(f"error: the configured pack '{name}' has no policy.yaml", err=True)
                raise typer.Exit(1)
            targets = [(pack_policy_path(name), shown(pack_policy_path(name)))]

    errors = warnings = 0
    for path, display in targets:
        for finding in policy_lint.lint_file(path, display):
            typer.echo(finding.render())
            errors += finding.severity == "error"
            warnings += finding.severity == "warning"
    files = f"{len(targets)} file" + ("s" if len(targets) != 1 else "")
    typer.echo(f"checked {files}: {errors} error(s), {warnings} warning(s)")
    if errors or (strict and warnings):
        raise typer.Exit(1)
