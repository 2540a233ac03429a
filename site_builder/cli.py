"""Command line: site-builder build | check | serve | estimate | calibrate."""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from dataclasses import asdict
from pathlib import Path

from site_builder.errors import ContentError, OutputError, TemplateProblem
from site_builder.output.workers import WorkerError


def run() -> None:
    """The console script: main(), then, after a build, leave without tearing the heap down object by object
    (a fifth of a second of a 2-second build). Every file is written and closed by then; the thread deleting
    the previous output folder is waited for."""
    code = main()
    if sys.argv[1:2] == ["build"]:
        for thread in threading.enumerate():
            if thread is not threading.main_thread() and not thread.daemon:
                thread.join()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except ContentError as exc:
        print(exc.report(), file=sys.stderr)
    except (OutputError, WorkerError) as exc:
        print(f"error: {exc}; nothing written", file=sys.stderr)
    except TemplateProblem as exc:
        print(f"{exc.line_text}\nerror: a template failed; nothing written", file=sys.stderr)
    except KeyboardInterrupt:
        print("interrupted; the previous site is untouched", file=sys.stderr)
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="site-builder", description=__doc__)
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    build = sub.add_parser("build", help="build the static site")
    _content_arg(build)
    build.add_argument("--out", type=Path, default=Path("public"), help="output folder (default: public)")
    build.add_argument("--base-url", default="http://127.0.0.1:8000/", help="absolute URL the site is served from")
    build.add_argument("--jobs", type=int, default=None, help="processes rendering pages (default: CPUs, up to 4)")
    build.set_defaults(run=_build)

    check = sub.add_parser("check", help="validate the content without writing anything")
    _content_arg(check)
    check.set_defaults(run=_check)

    serve = sub.add_parser("serve", help="build, serve with live reload, rebuild on changes")
    _content_arg(serve)
    serve.add_argument("--out", type=Path, default=Path("public"))
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(run=_serve)

    est = sub.add_parser("estimate", help="estimate one model on one device")
    _content_arg(est)
    est.add_argument("model", help="model slug, e.g. mistral-7b-instruct-v0-3")
    est.add_argument("device", help="device slug, e.g. rtx-4060")
    est.add_argument("--quant", default="Q4_K_M", help="GGUF format, any case (default Q4_K_M)")
    est.add_argument("--context", type=int, default=None, help="context in tokens (default 8192)")
    est.add_argument("--kv-cache-type", default="f16", choices=["f16", "q8_0", "q4_0"])
    est.add_argument("--gpus", type=int, default=1, choices=[1, 2, 4, 8], help="identical GPUs (layer split)")
    est.add_argument("--ram", type=int, default=32, choices=[16, 32, 64, 128, 256],
                     help="system RAM in GB beside a discrete GPU (default 32)")  # fmt: skip
    est.add_argument("--json", action="store_true", help="print one JSON object")
    est.set_defaults(run=_estimate)

    new = sub.add_parser("new", help="start a content file (model from a config.json, or device)")
    new.add_argument("kind", choices=["model", "device"])
    new.add_argument("slug", help="file name without .md: lowercase letters, digits and hyphens")
    source = new.add_mutually_exclusive_group()
    source.add_argument("--from-config", type=Path, help="Hugging Face config.json to copy the architecture from")
    source.add_argument("--hf", metavar="ORG/REPO", help="fetch config.json and model.safetensors.index.json from "
                        "this Hugging Face repository")  # fmt: skip
    new.add_argument("--force", action="store_true", help="overwrite an existing file")
    _content_arg(new)
    new.set_defaults(run=_new)

    schema = sub.add_parser("schema", help="write the JSON Schemas of the frontmatter into schema/")
    schema.add_argument("--check", action="store_true", help="fail if the committed schemas are out of date")
    schema.set_defaults(run=_schema)

    diff = sub.add_parser("diff", help="Markdown report of what a change does to the built site")
    diff.add_argument("old", nargs="?", type=Path, help="the site built before the change")
    diff.add_argument("new", nargs="?", type=Path, help="the site built after the change")
    diff.add_argument("--base", help="git ref to build and compare the working tree's content against")
    _content_arg(diff)
    diff.set_defaults(run=_diff)

    cal = sub.add_parser("calibrate", help="fit the speed constants to the calibration measurements")
    _content_arg(cal)
    cal.add_argument("--check", action="store_true", help="fail if calibration.json is not what a fit gives")
    cal.set_defaults(run=_calibrate)

    bench = sub.add_parser("import-bench", help="turn llama-bench -o json results into a content/benchmarks/ file")
    bench.add_argument("results", type=Path, help="llama-bench -o json (or jsonl) output")
    bench.add_argument("--device", required=True, help="device slug the runs were made on, e.g. rtx-4080")
    bench.add_argument("--model", help="model slug (default: the one card the file name and size match)")
    bench.add_argument("--source", help="address of the published results (default: a TODO that check refuses)")
    bench.add_argument("--out", type=Path, help="file to write (default: content/benchmarks/llama-bench-...md)")
    bench.add_argument("--skip-bad", action="store_true", help="write the rows that pass, leave out the others")
    bench.add_argument("--force", action="store_true", help="overwrite an existing file")
    _content_arg(bench)
    bench.set_defaults(run=_import_bench)
    return parser


def _content_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--content", type=Path, default=Path("content"), help="content folder (default: content)")


def _print_notices(notices: list[str]) -> None:
    for notice in notices:
        print(notice if notice.startswith("warning: ") else f"notice: {notice}", file=sys.stderr)


def _build(args: argparse.Namespace) -> int:
    from site_builder.build import build
    from site_builder.config import SiteConfig, build_date
    from site_builder.output.workers import default_jobs

    config = SiteConfig(base_url=_with_slash(args.base_url), built=build_date())
    result = build(args.content, args.out, config, jobs=args.jobs or default_jobs())
    _print_notices(result.notices)
    stages = ", ".join(f"{name} {seconds:.2f}" for name, seconds in result.stages.items())
    print(f"built {result.pages} pages ({result.files} files) in {result.seconds:.2f} s ({stages}) into {args.out}/")
    return 0


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _check(args: argparse.Namespace) -> int:
    from site_builder.build import check

    notices: list[str] = []
    content = check(args.content, notices)
    _print_notices(notices)
    print(f"ok: {len(content.models)} models, {len(content.devices)} devices, {len(content.measurements)} measurements")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from site_builder.devtools.serve import serve

    return serve(args.content, args.out, args.host, args.port)


def _estimate(args: argparse.Namespace) -> int:
    from site_builder.build import check
    from site_builder.content.records import Content
    from site_builder.estimator.estimate import estimate
    from site_builder.estimator.quants import QUANTS
    from site_builder.estimator.settings import Setup

    content: Content = check(args.content)
    model = next((m for m in content.models if m.slug == args.model), None)
    device = next((d for d in content.devices if d.slug == args.device), None)
    problem = _unknown(args.model, model, "model", [m.slug for m in content.models]) or _unknown(
        args.device, device, "device", [d.slug for d in content.devices]
    )
    quant = next((q for q in QUANTS if q.lower() == args.quant.lower()), None)
    if problem or quant is None:
        print(problem or f"error: unknown quant {args.quant!r}; known: {', '.join(QUANTS)}", file=sys.stderr)
        return 2
    limit = model.card.architecture.context_length
    if args.context is not None and not args.context > 0:
        print(f"error: --context must be a positive number of tokens, got {args.context}", file=sys.stderr)
        return 2
    if args.context and args.context > limit:
        print(f"notice: {model.card.name} supports {limit:,} tokens of context; estimating at {limit:,}, not "
              f"{args.context:,}", file=sys.stderr)  # fmt: skip
    setup = Setup(gpus=args.gpus, system_ram_gb=args.ram, kv_type=args.kv_cache_type)
    est = estimate(model.card, model.slug, quant, device, args.context, setup)
    measured = _measured(content, model.slug, quant, device, est.gpus)
    if args.json:
        print(json.dumps(asdict(est) | measured, indent=2))
    else:
        print(_summary(model.card.name, device.name, est, measured))
    return 0


def _unknown(slug: str, found: object, kind: str, known: list[str]) -> str | None:
    if found is not None:
        return None
    import difflib

    close = [k for k in known if slug in k][:3] or difflib.get_close_matches(slug, known, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return f"error: no {kind} {slug!r}{hint}"


def _measured(content, model: str, quant: str, device, gpus: int) -> dict:
    """The shortest published decode test of this model, format and device (or its chip), with our estimate under
    that test's own condition: like for like, not against the context-averaged estimate."""
    from site_builder.estimator.measured import points
    from site_builder.estimator.speed import load_calibration

    mine = [p for p in points(content, "tg") if p.model.slug == model and p.row.quant == quant and p.gpus == gpus
            and p.row.device in (device.slug, device.base_slug)]  # fmt: skip
    p = min(mine, key=lambda p: (p.depth, p.tokens, -p.row.tok_s), default=None)
    return {
        "measured_decode_tok_s": p.row.tok_s if p else None,
        "measured_test": p.row.test + (f" at depth {p.depth}" if p and p.depth else "") if p else None,
        "measured_estimate_tok_s": round(1 / p.predicted_seconds(load_calibration()), 2) if p else None,
        "measured_source": p.measurement.source if p else None,
    }


def _summary(model: str, device: str, est, measured: dict) -> str:
    from site_builder.site.formatting import gib, percent, tok_s

    if est.fits:
        fit = f"fits, {percent(est.headroom)} to spare"
    elif est.runs:
        spill = percent(est.offload_fraction)
        fit = f"does not fit: {spill} of the weights would sit in system RAM ({est.system_ram_gb} GB)"
    else:
        fit = f"does not fit, even with part of it in {est.system_ram_gb} GB of system RAM"
    cards = f"{est.gpus} x " if est.gpus > 1 else ""
    lines = [
        f"{model} {est.quant} on {cards}{device}, {est.context:,}-token context (KV cache {est.kv_cache_type})",
        f"  weights {gib(est.weights_bytes, 2)} + KV cache {gib(est.kv_cache_bytes, 2)} "
        f"+ buffers {gib(est.overhead_bytes, 2)} = {gib(est.total_bytes, 2)}",
    ]
    if est.gpus > 1:
        lines.append(
            f"  split over {est.gpus} cards (llama.cpp's layer split): the fullest holds {gib(est.per_card_bytes, 2)}"
        )
    lines.append(f"  usable memory {cards}{gib(est.usable_memory_bytes, 2)}: {fit}")
    if est.runs:
        speed = f"  decode {tok_s(est.decode_tok_s)} tok/s (range {tok_s(est.decode_tok_s_low)}"
        speed += f"-{tok_s(est.decode_tok_s_high)})"
        lines.append(speed + ("" if est.speed_calibrated else ", uncalibrated device class"))
    if measured["measured_decode_tok_s"]:
        lines.append(f"  measured {tok_s(measured['measured_decode_tok_s'])} tok/s ({measured['measured_test']}); "
                     f"we estimate {tok_s(measured['measured_estimate_tok_s'])} under that condition")  # fmt: skip
    if est.prefill_tok_s and est.runs:
        lines.append(f"  prefill {tok_s(est.prefill_tok_s)} tok/s; first token after a 4K prompt in {est.ttft_s:.1f} s")
    if est.max_context:
        lines.append(
            f"  largest context that runs (system RAM taking weights where the GPU runs out): "
            f"{est.max_context:,} tokens"
        )
    else:
        lines.append("  no context fits in GPU memory with every layer there")
    lines.append(f"  tier {est.tier}: {est.tier_words}")
    return "\n".join(lines)


def _new(args: argparse.Namespace) -> int:
    from site_builder.content.schema import SLUG_RE
    from site_builder.devtools.scaffold import ConfigError, device_file, from_file, from_hub, model_file

    if not SLUG_RE.fullmatch(args.slug):
        print(f"error: {args.slug!r} is not a slug: lowercase letters, digits and hyphens", file=sys.stderr)
        return 2
    if args.kind == "device" and (args.from_config or args.hf):
        print("error: --from-config and --hf are for `new model`", file=sys.stderr)
        return 2
    folder = args.content / ("models" if args.kind == "model" else "devices")
    target = folder / f"{args.slug}.md"
    if target.exists() and not args.force:
        print(f"error: {target} exists (use --force to overwrite)", file=sys.stderr)
        return 2
    schema_path = f"../../schema/{args.kind}.schema.json"
    try:
        if args.kind == "device":
            text = device_file(schema_path)
        else:
            scaffold = from_hub(args.hf) if args.hf else from_file(args.from_config) if args.from_config else None
            text = model_file(scaffold, schema_path)
    except ConfigError as exc:
        print(exc.report(), file=sys.stderr)
        return 2
    folder.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    todos = text.count("TODO")
    print(f"wrote {target}: replace the {todos} TODO markers, then run `site-builder check`")
    return 0


def _schema(args: argparse.Namespace) -> int:
    from site_builder.devtools.jsonschema import SCHEMA_DIR, schema_documents, write_schemas

    if args.check:
        stale = [n for n, text in schema_documents().items() if not (SCHEMA_DIR / n).exists() or
                 (SCHEMA_DIR / n).read_text(encoding="utf-8") != text]  # fmt: skip
        if stale:
            print(f"error: schema/{', schema/'.join(stale)} out of date; run `site-builder schema`", file=sys.stderr)
            return 1
        print("ok: schema/ matches the content models")
        return 0
    for path in write_schemas():
        print(f"wrote {_shown(path)}")
    return 0


def _diff(args: argparse.Namespace) -> int:
    import subprocess
    import tempfile

    from site_builder.build import build
    from site_builder.config import PROJECT_ROOT, SiteConfig
    from site_builder.devtools.diffreport import report

    if args.base:
        with tempfile.TemporaryDirectory(prefix="site-diff-") as tmp:
            tree, old, new = Path(tmp) / "base", Path(tmp) / "old", Path(tmp) / "new"
            subprocess.run(["git", "-C", str(PROJECT_ROOT), "worktree", "add", "--detach", "-q", str(tree), args.base],
                           check=True)  # fmt: skip
            try:
                env = {**__import__("os").environ, "PYTHONPATH": str(tree)}
                subprocess.run([sys.executable, "-m", "site_builder", "build", "--content", str(tree / "content"),
                                "--out", str(old)], cwd=tree, env=env, check=True, capture_output=True)  # fmt: skip
            finally:
                subprocess.run(
                    ["git", "-C", str(PROJECT_ROOT), "worktree", "remove", "--force", str(tree)], check=False
                )
            build(args.content, new, SiteConfig())
            print(report(old, new), end="")
        return 0
    if not (args.old and args.new):
        print("error: give OLD and NEW build folders, or --base REF", file=sys.stderr)
        return 2
    print(report(args.old, args.new), end="")
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from site_builder.build import check
    from site_builder.devtools.calibrate import CALIBRATION_PATH, calibration_json

    text = calibration_json(check(args.content))
    if args.check:
        if CALIBRATION_PATH.read_text() != text:
            print(f"error: {_shown(CALIBRATION_PATH)} differs from a fresh fit; run `make calibrate`", file=sys.stderr)
            return 1
        print("ok: calibration.json matches a fresh fit")
        return 0
    CALIBRATION_PATH.write_text(text)
    print(f"wrote {_shown(CALIBRATION_PATH)}")
    return 0


def _import_bench(args: argparse.Namespace) -> int:
    from site_builder.devtools.importbench import import_bench

    return import_bench(args.results, args.content, args.device, args.model, args.source, args.out, args.skip_bad,
                        args.force)  # fmt: skip


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when it lies below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
