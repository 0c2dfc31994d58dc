"""`tillit policy` commands."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="The policy register: lint, render the notice, export (fides, Art. 30 record).", no_args_is_help=True
)


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


# --- render and export (the notice and the exports; see tillit.policy.render and tillit.policy.export) ---


def _policy_for_output(path: str | None, pack: str | None) -> object:
    """The policy to render or export: PATH, else --pack, else what this deployment runs
    (TILLIT_POLICY_PATH, else TILLIT_PACK, default bank), read like `tillit policy lint` reads it, so that
    printing the notice needs no database or secret. (Typed `object` to keep this block self-contained;
    callers narrow it to `Policy`.)"""
    import os
    from pathlib import Path

    from tillit.policy.loader import load_file, load_pack

    if path and pack:
        raise typer.BadParameter("give either PATH or --pack, not both", param_hint="--pack")
    if path:
        return load_file(Path(path)).policy
    if pack:
        return load_pack(pack).policy
    configured = os.environ.get("TILLIT_POLICY_PATH")
    if configured:
        return load_file(Path(configured)).policy
    return load_pack(os.environ.get("TILLIT_PACK") or "bank").policy


@app.command("render")
def render_command(
    path: str | None = typer.Argument(
        None, help="A policy file (default: the configured pack)", show_default=False, metavar="PATH"
    ),
    pack: str | None = typer.Option(None, "--pack", help="A demo pack by name"),
    lang: str | None = typer.Option(
        None, "--lang", help="nb, sv, da or en; one of the policy's languages (default: its default language)"
    ),
    fmt: str = typer.Option("md", "--format", help="md or html (a standalone, accessible HTML page)"),
    output: str | None = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout"),
) -> None:
    """Render the privacy notice from the policy, in one of its languages, as Markdown or HTML."""
    from pathlib import Path

    from tillit.policy.render import FORMATS, render_notice
    from tillit.policy.schema import Policy

    if fmt not in FORMATS:
        raise typer.BadParameter(f"'{fmt}' is not one of: {', '.join(FORMATS)}", param_hint="--format")
    policy = _policy_for_output(path, pack)
    assert isinstance(policy, Policy)
    text = render_notice(policy, lang or policy.organisation.default_language, fmt)
    if output is None:
        typer.echo(text, nl=False)
        return
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {target}", err=True)


@app.command("export")
def export_command(
    fmt: str = typer.Option(..., "--format", help="fides (fideslang manifest) or ropa (GDPR Art. 30 record)"),
    path: str | None = typer.Argument(
        None, help="A policy file (default: the configured pack)", show_default=False, metavar="PATH"
    ),
    pack: str | None = typer.Option(None, "--pack", help="A demo pack by name"),
    output: str | None = typer.Option(
        None,
        "--output",
        "-o",
        help="Directory to write into: <pack>-fides.yaml, or <pack>-ropa.csv and <pack>-ropa.json "
        "(default: print the YAML or the CSV to stdout)",
    ),
    lang: str | None = typer.Option(
        None, "--lang", help="Language of the record of processing (default: the policy's default language)"
    ),
) -> None:
    """Export the policy as a fideslang manifest or as a record of processing activities (Art. 30)."""
    from pathlib import Path

    from tillit.policy import export
    from tillit.policy.schema import Policy

    if fmt not in export.EXPORT_FORMATS:
        raise typer.BadParameter(
            f"'{fmt}' is not one of: {', '.join(export.EXPORT_FORMATS)}", param_hint="--format"
        )
    policy = _policy_for_output(path, pack)
    assert isinstance(policy, Policy)
    if output is None:
        if fmt == "fides":
            typer.echo(export.fides_yaml(policy), nl=False)
        else:
            typer.echo(export.ropa_csv(export.ropa_rows(policy, lang)), nl=False)
        return
    for written in export.write_export(policy, fmt, Path(output), lang):
        typer.echo(f"wrote {written}")
