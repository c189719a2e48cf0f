"""The ``salesfunnel`` command: ``demo``, ``report``, ``plan`` and ``templates``.

Run ``salesfunnel --help`` (or ``python -m salesfunnel --help``) for the commands and
``salesfunnel COMMAND --help`` for each one's options and an example. Errors in the
input print one line on stderr and exit with status 2; the command never shows a
traceback for bad input.

Examples
--------
>>> main(["plan", "--target", "3,000,000", "--deal-size", "30000", "--win-rate", "10%"])
Reverse plan: target 3,000,000 / 30,000 per deal = 100 deals; 12 periods
stage              rate  win prob  total  per period
----------------  -----  --------  -----  ----------
Target customers      —     10.0%  1,000          84
Won               10.0%    100.0%    100           9
people and deals are shown rounded up to whole numbers (exact values in to_dict())
0
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, NoReturn

from salesfunnel.errors import FunnelError, InvalidParameterError

__all__ = ["build_parser", "main"]

PROG = "salesfunnel"


# -- argument types -------------------------------------------------------------------------
def _number(text: str) -> float:
    """A number, allowing thousands separators (``3,000,000``, ``3_000_000``, ``3e6``)."""
    cleaned = text.strip().replace(",", "").replace("_", "")
    try:
        value = float(cleaned)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number; got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number; got {text!r}")
    return value


def _rate(text: str) -> float:
    """A rate as a fraction (``0.1``) or a percentage (``10%``)."""
    t = text.strip()
    pct = t.endswith("%")
    value = _number(t[:-1] if pct else t)
    return value / 100.0 if pct else value


def _rates(text: str) -> list[float]:
    """Comma- or space-separated rates: ``0.4,0.5,50%``."""
    parts = [p for p in text.replace(",", " ").split() if p]
    if not parts:
        raise argparse.ArgumentTypeError("expected rates such as 0.4,0.5,0.5; got nothing")
    return [_rate(p) for p in parts]


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1; got {text!r}")
    return value


# -- output helpers ------------------------------------------------------------------------
def _json_default(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _clean_json(value: Any) -> Any:
    """NaN and infinities become ``null`` so that the output is strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_json(v) for v in value]
    return value


def _dump_json(payload: Any, out: IO[str]) -> None:
    text = json.dumps(payload, default=_json_default, ensure_ascii=False)
    out.write(json.dumps(_clean_json(json.loads(text)), indent=2, ensure_ascii=False) + "\n")


def _write_text(path: str, text: str, err: IO[str]) -> None:
    """Write ``text`` to ``path`` whole or not at all: into a temporary file beside it,
    then renamed over it, so an error or Ctrl-C leaves neither a half-written report nor
    the temporary file (and an existing file stays as it was)."""
    target = Path(path)
    data = text.encode("utf-8")
    real = Path(os.path.realpath(target))  # through a symlink, to the file it names
    temporary = real.with_name(f".{real.name}.{os.getpid()}.tmp")
    try:
        try:
            temporary.write_bytes(data)
            os.replace(temporary, real)
        except BaseException:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise
    except OSError as exc:
        raise FunnelError(f"cannot write {path}: {exc.strerror or exc}") from None
    err.write(f"wrote {target} ({len(data):,} bytes)\n")


def _load_template(name: str) -> Any:
    from salesfunnel import templates

    return templates.get(name)


# -- commands --------------------------------------------------------------------------------
def _cmd_templates(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from salesfunnel import templates
    from salesfunnel.viz import funnel_chart

    if args.name is None:
        rows: list[dict[str, Any]] = []
        for name in templates.names():
            funnel = templates.get(name)
            rows.append({
                "name": name,
                "label": funnel.label.text(args.lang) or funnel.name,
                "stages": len(funnel.path),
                "cyclic": funnel.cyclic,
                "expanding": funnel.expanding,
            })
        if args.format in ("mermaid", "dot"):
            raise InvalidParameterError(f"--format {args.format} needs a template NAME",
                                        parameter="format", value=args.format)
        if args.format == "json":
            _dump_json(rows, out)
            return 0
        width = max([len(r["name"]) for r in rows] + [4])
        for r in rows:
            flags = [f"{r['stages']} stages"]
            if r["cyclic"]:
                flags.append("cyclic")
            if r["expanding"]:
                flags.append("expanding")
            out.write(f"{r['name']:<{width}}  {r['label']}  ({', '.join(flags)})\n")
        out.write(f"\nShow one with: {PROG} templates NAME [--lang zh]\n")
        return 0
    funnel = _load_template(args.name)
    if args.format == "json":
        _dump_json(funnel.to_dict(), out)
        return 0
    if args.format in ("mermaid", "dot"):
        out.write(funnel.to_mermaid(args.lang) if args.format == "mermaid"
                  else funnel.to_dot(args.lang))
        return 0
    out.write(funnel.describe(args.lang) + "\n\n")
    out.write(funnel_chart(funnel, lang=args.lang, width=40) + "\n\n")
    out.write(_stage_names(funnel, args.lang) + "\n")
    return 0


def _stage_names(funnel: Any, lang: str) -> str:
    """What ``report`` accepts for each stage: its id, its labels and its aliases."""
    lines = ["Stage ids and the names report accepts for them (any case):"]
    width = max(len(s.name) for s in funnel.stages)
    for s in funnel.stages:
        names = list(dict.fromkeys([*s.label.values(), *s.aliases]))
        names = [n for n in names if n != s.name]
        lines.append(f"  {s.name:<{width}}  {', '.join(names) if names else '-'}")
    return "\n".join(lines)


def _cmd_plan(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from salesfunnel.planner import reverse
    from salesfunnel.viz import funnel_chart

    if args.win_rate is None and args.template is None and args.rates is None:
        raise FunnelError(
            "plan needs --win-rate (e.g. 10%), or --template NAME (its stage "
            "probabilities) with optional --rates"
        )
    funnel = _load_template(args.template) if args.template else None
    plan = reverse(
        target=args.target, deal_size=args.deal_size, win_rate=args.win_rate,
        rates=args.rates, funnel=funnel, periods=args.periods, rounding=args.rounding,
        unit=args.unit,
    )
    if args.format == "json":
        _dump_json(plan.to_dict(), out)
        return 0
    out.write(plan.text(args.lang) + "\n")
    if args.chart:
        out.write("\n" + funnel_chart(plan, lang=args.lang, width=40) + "\n")
    return 0


def _report_funnel(args: argparse.Namespace) -> Any:
    from salesfunnel.io import load_funnel

    if args.template and args.funnel:
        raise FunnelError("give --template NAME or --funnel FILE, not both")
    if args.funnel:
        return load_funnel(args.funnel)
    if args.template:
        return _load_template(args.template)
    if args.source == "csv":
        raise FunnelError("report needs --template NAME or --funnel FILE (a JSON or TOML "
                          f"funnel definition; see '{PROG} templates')")
    return None  # the CRM readers default to the crm-pipeline template


def _read_report_log(args: argparse.Namespace, err: IO[str]) -> Any:
    from salesfunnel.cli._read import load
    from salesfunnel.io import load_stage_map, one_value_per_entity

    funnel = _report_funnel(args)
    stage_map = load_stage_map(args.stage_map) if args.stage_map else None
    options: dict[str, Any] = {"stage_map": stage_map, "on_invalid": args.on_invalid}
    segments = () if args.by is None else (args.by,)
    if args.source == "csv":
        missing = [f"--{o}" for o in ("entity", "stage", "ts") if getattr(args, o) is None
                   and (o == "entity" or args.layout == "long")]  # wide: stage columns
        if missing:
            raise FunnelError(f"a CSV event file needs {', '.join(missing)} (the column "
                              "names); or read a CRM export with --source "
                              "salesforce|hubspot|pipedrive")
        options.update(
            entity=args.entity, stage=args.stage, ts=args.ts, amount=args.amount,
            segments=segments, probability=args.probability,
            forecast_category=args.forecast_category, layout=args.layout, unit=args.unit,
            time_format=args.time_format, decimal=args.decimal,
            naive=args.naive or "raise")
    else:
        options["naive"] = args.naive or "utc"
        if args.source != "pipedrive":
            options["segments"] = segments
        elif segments:
            raise FunnelError("--by is not available with --source pipedrive (deal flow "
                              "rows carry no deal fields)")
    loaded = load(args.events, funnel, progress=args.progress, stream=err,
                  source=args.source, **options)
    log = loaded.log
    if args.by is not None:
        log = one_value_per_entity(log, args.by, args.by_value)
    if "forecast_category" in log.segments:
        log = one_value_per_entity(log, "forecast_category", "last")
    return log


def _cmd_report(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from salesfunnel.cli._report import Section, build_report

    if args.out and args.format != "html":
        raise FunnelError(f"--out writes the HTML report; add --format html (the "
                          f"{args.format} report goes to stdout)")
    log = _read_report_log(args, err)
    extra: list[Section] = []
    if "forecast_category" in log.segments:
        from salesfunnel import metrics
        from salesfunnel._util._i18n import word
        from salesfunnel.cli._report import _as_of

        when = _as_of(args.as_of, log, args.naive or "raise")
        by_fc = metrics.pipeline(log, as_of=when, by="forecast_category")
        heading = word("rep.by_forecast_category", args.lang)
        extra.append(Section("forecast_category", heading, by_fc, by_fc.text(args.lang)))
    from salesfunnel._engine import set_options

    with set_options(workers=args.workers):
        report = build_report(log, semantic=args.semantic, window_days=args.window,
                              by=args.by, as_of=args.as_of, lang=args.lang,
                              naive=args.naive or "raise", extra=extra)
    if args.format == "json":
        _dump_json(report.to_dict(), out)
    elif args.format == "html":
        html = report.to_html(title=f"{Path(args.events).name}: {log.funnel.name}")
        if args.out:
            _write_text(args.out, html, err)
        else:
            out.write(html)
    else:
        out.write(report.to_text() + "\n")
    return 0


def _cmd_demo(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from salesfunnel.cli._demo import run_demo

    text, html = run_demo(seed=args.seed, deals=args.deals, target=args.target,
                          lang=args.lang)
    out.write(text + "\n")
    if args.out:
        _write_text(args.out, html, err)
    return 0


# -- the parser ------------------------------------------------------------------------------
class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=32, width=100)


class _UsageError(Exception):
    """An option argparse refused, raised instead of printing the usage block."""

    def __init__(self, prog: str, message: str) -> None:
        super().__init__(message)
        self.prog = prog


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (the usage block is in ``--help``)."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(self.prog, message)


def _add(sub: Any, name: str, help_text: str, description: str, example: str,
         handler: Callable[[argparse.Namespace, IO[str], IO[str]], int]
         ) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(
        name, help=help_text, description=description,
        epilog="example:\n" + "\n".join(f"  {line}" for line in example.splitlines()),
        formatter_class=_Formatter,
    )
    parser.set_defaults(handler=handler)
    return parser


def _lang(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lang", choices=["en", "zh"], default="en",
                        help="language of stage labels and tables (default: en)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``salesfunnel`` command."""
    from salesfunnel._util._version import package_version

    parser = _Parser(
        prog=PROG,
        description="Sales and marketing funnels: reports from event files, reverse "
                    "plans from targets, built-in templates and a demo.",
        epilog="examples:\n"
               f"  {PROG} demo --out report.html\n"
               f"  {PROG} templates b2b-seven-stage --lang zh\n"
               f"  {PROG} plan --target 3000000 --deal-size 30000 --win-rate 10%\n"
               f"  {PROG} report events.csv --template b2b-seven-stage --entity deal_id "
               "--stage stage --ts time\n\n"
               f"Run '{PROG} COMMAND --help' for the options of a command.",
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    demo = _add(
        sub, "demo", "simulate a year of a B2B pipeline and report on it",
        "Simulate a year of deals through the b2b-seven-stage template (seeded, so the "
        "numbers are\nthe same on every run), then print the funnel report, stage timing, "
        "the open pipeline,\nthe reverse plan for a revenue target, the four levers and a "
        "forecast. With --out, also\nwrite a self-contained HTML report.",
        f"{PROG} demo --out report.html --seed 7", _cmd_demo,
    )
    demo.add_argument("--out", metavar="FILE", help="write the HTML report to FILE")
    demo.add_argument("--seed", type=int, default=2026, help="random seed (default: 2026)")
    demo.add_argument("--deals", type=_positive_int, default=2400,
                      help="deals entering over the year (default: 2400)")
    demo.add_argument("--target", type=_number, default=3_000_000,
                      help="yearly revenue target for the plan (default: 3,000,000)")
    _lang(demo)

    report = _add(
        sub, "report", "funnel report from an event file or a CRM export (CSV or Parquet)",
        "Read one event per row (an entity id, a stage and a time; optionally an amount, a "
        "win\nprobability, a forecast category and a segment column), or one row per deal "
        "with a date\ncolumn per stage (--layout wide), or a CRM's own export (--source), "
        "validate every row and\nprint the conversion funnel, stage timing and the open "
        "pipeline. Stages match the funnel's\nnames, aliases and labels in any case; "
        "--stage-map FILE maps other names. Times are ISO\n8601 with a UTC offset (--naive "
        "utc reads times without one as UTC), epoch numbers with\n--unit, or any format "
        "with --time-format. An empty amount is unknown. CSV is read by\npyarrow when "
        "installed; Parquet needs it (pip install 'salesfunnel[arrow]').",
        f"{PROG} report events.csv --template b2b-seven-stage \\\n"
        "    --entity deal_id --stage stage --ts time --amount amount --by channel\n"
        f"{PROG} report OpportunityHistory.csv --source salesforce\n"
        f"{PROG} report hubspot-deals.csv --source hubspot --format json\n"
        f"{PROG} report pipedrive-deal-flow.csv --source pipedrive "
        "--stage-map pipedrive-stages.json",
        _cmd_report,
    )
    report.add_argument("events", metavar="EVENTS", help="a .csv or .parquet file")
    report.add_argument("--source", choices=["csv", "salesforce", "hubspot", "pipedrive"],
                        default="csv",
                        help="csv (default: name the columns), or a CRM export: Salesforce "
                             "OpportunityHistory, HubSpot deal stage history (long or "
                             "hs_date_entered_* columns), Pipedrive deal flow")
    report.add_argument("--template", metavar="NAME",
                        help=f"the funnel the stages belong to (see '{PROG} templates'; "
                             "CRM sources default to crm-pipeline)")
    report.add_argument("--funnel", metavar="FILE",
                        help="a JSON or TOML funnel definition instead of --template")
    report.add_argument("--stage-map", metavar="FILE",
                        help="JSON/TOML table or two-column CSV: stage text in the file -> "
                             "stage of the funnel")
    report.add_argument("--entity", metavar="COL", help="entity id column")
    report.add_argument("--stage", metavar="COL", help="stage column (long layout)")
    report.add_argument("--ts", metavar="COL",
                        help="event time column (wide layout: ignored, the stage columns "
                             "hold the times)")
    report.add_argument("--amount", metavar="COL", help="deal amount column")
    report.add_argument("--probability", metavar="COL",
                        help="per-row win probability (0..1 or 25%%) for the weighted "
                             "pipeline")
    report.add_argument("--forecast-category", metavar="COL",
                        help="per-row forecast category (pipeline by category)")
    report.add_argument("--by", metavar="COL", help="break the funnel down by this column")
    report.add_argument("--by-value", choices=["error", "first", "last"], default="error",
                        help="a deal with several --by values: an error (default), its "
                             "first or its latest value")
    report.add_argument("--layout", choices=["long", "wide"], default="long",
                        help="long: one row per stage change (default); wide: one row per "
                             "deal, a date column per stage (date_entered_<stage>)")
    report.add_argument("--unit", choices=["s", "ms", "us", "ns"],
                        help="times are epoch numbers in this unit")
    report.add_argument("--time-format", metavar="FMT",
                        help="strptime format of the times, e.g. '%%m/%%d/%%Y, %%I:%%M "
                             "%%p', or 'auto'")
    report.add_argument("--decimal", choices=["auto", ".", ","], default="auto",
                        help="decimal mark of amounts (auto: 25000,00 and 25,000.00 both "
                             "read)")
    report.add_argument("--on-invalid", choices=["raise", "drop"], default="raise",
                        help="a bad row: stop with one line naming it (default), or drop "
                             "the row (not the deal) and report what was dropped")
    report.add_argument("--semantic", choices=["reached", "entered", "ordered"],
                        default="reached",
                        help="how an entity counts at a stage (default: reached)")
    report.add_argument("--window", type=_number, metavar="DAYS",
                        help="time window of the 'ordered' semantic, in days")
    report.add_argument("--as-of", metavar="TIME",
                        help="censoring time for open deals (default: the last event)")
    report.add_argument("--naive", choices=["raise", "utc"], default=None,
                        help="times without a UTC offset: refuse them or read them as UTC "
                             "(default: refuse; utc for CRM sources)")
    report.add_argument("--format", choices=["text", "json", "html"], default="text",
                        help="output format (default: text)")
    report.add_argument("--out", metavar="FILE", help="with --format html: write to FILE")
    report.add_argument("--progress", choices=["auto", "always", "never"], default="auto",
                        help="progress bar on stderr (auto: on a terminal, for long files)")
    report.add_argument("--workers", type=_positive_int, metavar="N",
                        help="threads for the metrics (default: the number of cores, or "
                             "SALESFUNNEL_WORKERS)")
    _lang(report)

    plan = _add(
        sub, "plan", "reverse plan: from a revenue target to the leads needed",
        "Work back from a target to the deals needed and the entities needed at every "
        "stage, per\nperiod: target / deal size = deals; deals / win rate = entities at the "
        "top of the funnel.\nGive one top-to-win rate (--win-rate), or a template whose "
        "stage probabilities are used,\noptionally with measured stage-to-stage rates "
        "(--rates, one per step).",
        f"{PROG} plan --target 3,000,000 --deal-size 30,000 --win-rate 10%\n"
        f"{PROG} plan --target 3e6 --deal-size 3e4 --template b2b-seven-stage "
        "--rates 40%,50%,60%,70%,80%,90%",
        _cmd_plan,
    )
    plan.add_argument("--target", type=_number, required=True,
                      help="revenue (or units with --unit) over the plan")
    plan.add_argument("--deal-size", type=_number, required=True,
                      help="average revenue (or units) per deal")
    plan.add_argument("--win-rate", type=_rate, help="top-of-funnel to won rate, e.g. 10%%")
    plan.add_argument("--template", metavar="NAME", help="name the stages after a template")
    plan.add_argument("--rates", type=_rates, help="stage-to-stage rates, e.g. 40%%,50%%,0.6")
    plan.add_argument("--periods", type=_positive_int, default=12,
                      help="periods the target is spread over (default: 12 months)")
    plan.add_argument("--unit", help="what target and deal size count, if not money")
    plan.add_argument("--rounding", choices=["none", "ceil"], default="none",
                      help="ceil: round deals and every stage up to whole numbers")
    plan.add_argument("--chart", action="store_true", help="also draw the plan as a funnel")
    plan.add_argument("--format", choices=["text", "json"], default="text",
                      help="output format (default: text)")
    _lang(plan)

    tmpl = _add(
        sub, "templates", "list the funnel templates, or show one",
        "Without NAME, list every template (built in and from plugins); with NAME, show "
        "its stages,\nwin probabilities, owners, gates and transition policy.",
        f"{PROG} templates\n{PROG} templates b2b-seven-stage --lang zh", _cmd_templates,
    )
    tmpl.add_argument("name", nargs="?", metavar="NAME", help="a template to show")
    tmpl.add_argument("--format", choices=["text", "json", "mermaid", "dot"], default="text",
                      help="output format; mermaid and dot draw the funnel as a diagram "
                           "(default: text)")
    _lang(tmpl)
    return parser


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, KeyError) and text.startswith(("'", '"')) and text.endswith(("'", '"')):
        text = text[1:-1]
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    # Join a multi-line message (e.g. a DefinitionError's bulleted problems) into one
    # line; drop only a "- " bullet, never the dashes of an option such as --as-of.
    lines = [ln[2:] if ln.startswith("- ") else ln for ln in lines]
    return "; ".join(lines) if lines else type(exc).__name__


def main(argv: Sequence[str] | None = None, *, stdout: IO[str] | None = None,
         stderr: IO[str] | None = None) -> int:
    """Run the ``salesfunnel`` command line and return its exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments (default: ``sys.argv[1:]``).
    stdout, stderr : text streams, optional
        Where output and messages go (default: the process's streams).

    Returns
    -------
    int
        0 on success, 2 for bad arguments or bad input (one line on stderr).

    Examples
    --------
    >>> main(["plan", "--target", "200", "--deal-size", "2", "--unit", "devices",
    ...       "--win-rate", "0.1", "--format", "json"])  # doctest: +ELLIPSIS
    {
      "direction": "reverse",
      "target": 200.0,
      "deal_size": 2.0,
      "unit": "devices",
      "deals": 100.0,
    ...
    0
    """
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    parser = build_parser()
    try:
        with contextlib.redirect_stdout(out):  # --help and --version go to ``out``
            args = parser.parse_args(argv)
    except _UsageError as exc:
        err.write(f"{exc.prog}: error: {_one_line(exc)} (see '{exc.prog} --help')\n")
        return 2
    except SystemExit as exit_:
        return int(exit_.code or 0) if not isinstance(exit_.code, str) else 2
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(out)
        return 0
    try:
        return int(handler(args, out, err))
    except (FunnelError, ImportError) as exc:
        err.write(f"{PROG} {_command_name(args)}: error: {_one_line(exc)}\n")
        return 2
    except KeyboardInterrupt:
        err.write(f"{PROG}: interrupted\n")
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: say so in one line; SALESFUNNEL_DEBUG=1 re-raises
        if os.environ.get("SALESFUNNEL_DEBUG"):
            raise
        err.write(
            f"{PROG} {_command_name(args)}: internal error: {type(exc).__name__}: "
            f"{_one_line(exc)} (set SALESFUNNEL_DEBUG=1 for the traceback and please "
            "report it)\n"
        )
        return 1


def _command_name(args: argparse.Namespace) -> str:
    """The name of the sub-command ``args`` were parsed for."""
    handler = getattr(args, "handler", None)
    return {
        _cmd_demo: "demo", _cmd_report: "report", _cmd_plan: "plan",
        _cmd_templates: "templates",
    }.get(handler, "") if handler is not None else ""
