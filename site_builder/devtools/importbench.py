"""`site-builder import-bench`: llama-bench `-o json` results -> a `content/benchmarks/` file.

Every row is checked against the model card and the device it is filed under before anything is written: a row
measured on another file (a different size, a distill with a similar name) would otherwise sit beside our estimate
as if it measured that card. Each problem is one line, `results.json:<row>: <field>: <message>`, rows counted
from 0 as in the JSON array; with any problem nothing is written, unless `--skip-bad` leaves those rows out.

Field names and their meaning follow llama.cpp's `tools/llama-bench/llama-bench.cpp` (`test::get_fields`, the
markdown printer's `ppN`/`tgN @ dN` test names) and the file-type names of `llama_model_ftype_name`
(`src/llama-model-loader.cpp`), which end the `model_type` string llama-bench prints.
"""

from __future__ import annotations

import difflib
import json
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from site_builder.content.records import Content, Device, ModelEntry
from site_builder.content.schema import SLUG_RE, BenchmarkSet, DeviceKind, Source
from site_builder.content.validate import read_document
from site_builder.estimator.quants import QUANT_NAMES
from site_builder.estimator.settings import GIB, KV_TYPES
from site_builder.estimator.tensors import count_params
from site_builder.estimator.weights import weights_size

# llama-bench's model_n_params is the file's exact tensor count; the card's count comes from the same config, so
# beyond 2% it is another model (or a card missing a block, which `check` would also want to know about).
PARAMS_TOLERANCE = 0.02
# A file's size is compared with our estimate of that format's file, which is within 2% for llama.cpp's own
# recipe; "dynamic" quants (unsloth UD-*, imatrix mixes) print the same file type with other tensors bumped up or
# down, 4-7% on the shipped measurements. 10% lets those through and still catches a wrong size or a mislabelled
# file (an F32 file printed as BF16 is 3x off).
SIZE_TOLERANCE = 0.10
TODO_SOURCE = "TODO: the address where these results are published (a GitHub discussion comment, a gist, a file)"
STAND_IN_SOURCE = "https://example.org/stand-in-for-validation"
CPU_BACKENDS = {"CPU", "BLAS", "ZenDNN", "AMX", "KleidiAI"}  # llama-bench lists these; none is a GPU
# llama_model_ftype_name -> our format name. Older builds printed "mostly Q4_0" and misspelt IQ2_XXS.
FTYPES = {
    "F16": "F16", "BF16": "BF16", "Q4_0": "Q4_0", "Q4_1": "Q4_1", "Q5_0": "Q5_0", "Q5_1": "Q5_1", "Q8_0": "Q8_0",
    "Q2_K - Medium": "Q2_K", "Q2_K - Small": "Q2_K_S", "Q3_K - Small": "Q3_K_S", "Q3_K - Medium": "Q3_K_M",
    "Q3_K - Large": "Q3_K_L", "Q4_K - Small": "Q4_K_S", "Q4_K - Medium": "Q4_K_M", "Q5_K - Small": "Q5_K_S",
    "Q5_K - Medium": "Q5_K_M", "Q6_K": "Q6_K", "IQ2_XXS - 2.0625 bpw": "IQ2_XXS", "IQ2_XSS - 2.0625 bpw": "IQ2_XXS",
    "IQ2_XS - 2.3125 bpw": "IQ2_XS", "IQ2_S - 2.5 bpw": "IQ2_S", "IQ2_M - 2.7 bpw": "IQ2_M",
    "IQ3_XXS - 3.0625 bpw": "IQ3_XXS", "IQ3_XS - 3.3 bpw": "IQ3_XS", "IQ3_S - 3.4375 bpw": "IQ3_S",
    "IQ3_S mix - 3.66 bpw": "IQ3_M", "IQ1_S - 1.5625 bpw": "IQ1_S", "IQ1_M - 1.75 bpw": "IQ1_M",
    "IQ4_NL - 4.5 bpw": "IQ4_NL", "IQ4_XS - 4.25 bpw": "IQ4_XS", "MXFP4 MoE": "MXFP4",
}  # fmt: skip
ROW_KEYS = ("model", "quant", "device", "test", "tok_s", "depth", "gpus", "split_mode", "flash_attn", "kv_cache_type",
            "offload", "backend", "build", "build_number", "model_size_gib", "model_params_b")  # fmt: skip
MISSING = object()


@dataclass(frozen=True)
class Issue:
    """One problem, `file:row: field: message`; a problem with the whole file has no row."""

    file: str
    row: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.row}" if self.row is not None else self.file
        return f"{where}: {self.field}: {self.message}"


class Refused(Exception):
    def __init__(self, issues: list[Issue]):
        self.issues = issues
        super().__init__("\n".join(map(str, issues)))


@dataclass
class Imported:
    """The rows that passed, each with the index of the result it came from, and what the file should say."""

    rows: list[tuple[int, dict]] = field(default_factory=list)
    raws: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # facts about the run a reader needs (in the file's notes)
    notices: list[str] = field(default_factory=list)  # things the importer wants checked (printed only)


@dataclass(frozen=True)
class Options:
    results: Path
    content: Content
    device: Device
    model: ModelEntry | None = None
    skip_bad: bool = False
    device_slug: str | None = None  # as given: a chip's file slug stands for all its memory variants


def import_bench(results: Path, content_dir: Path, device: str, model: str | None = None, source: str | None = None,
                 out: Path | None = None, skip_bad: bool = False, force: bool = False) -> int:  # fmt: skip
    """The command: print problems or write the file; the exit status."""
    from site_builder.build import check

    content = check(content_dir)
    found_device, found_model, problem = _lookup(content, device, model)
    problem = problem or _source_problem(source)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    try:
        imported = convert(Options(results, content, found_device, found_model, skip_bad, device))
        doc = benchmark_set(imported, found_device, content, source)
        text = render(doc, _body(imported, found_device, content))
        _validate(text, source is None, results, imported)
    except Refused as exc:
        return _refused(exc, results, skip_bad)
    target = out or content_dir / "benchmarks" / f"{_default_slug(imported, found_device)}.md"
    return _write(target, text, imported, source, force)


def _lookup(content: Content, device: str, model: str | None) -> tuple[Device | None, ModelEntry | None, str | None]:
    found_device = next((d for d in content.devices if device in (d.slug, d.base_slug)), None)
    if found_device is None:
        return None, None, _unknown("device", device, [d.slug for d in content.devices])
    if model is None:
        return found_device, None, None
    found_model = next((m for m in content.models if m.slug == model), None)
    if found_model is None:
        return None, None, _unknown("model", model, [m.slug for m in content.models])
    return found_device, found_model, None


def _source_problem(source: str | None) -> str | None:
    if source is None:
        return None
    try:
        TypeAdapter(Source).validate_python(source)
    except ValidationError as exc:
        return f"error: --source {source!r}: {exc.errors()[0]['msg'].removeprefix('Value error, ')}"
    return None


def _unknown(kind: str, slug: str, known: list[str]) -> str:
    close = difflib.get_close_matches(slug, known, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return f"error: no {kind} {slug!r} in the content folder{hint}"


def _refused(exc: Refused, results: Path, skip_bad: bool) -> int:
    for issue in exc.issues:
        print(issue, file=sys.stderr)
    rows = {i.row for i in exc.issues if i.row is not None}
    hint = "" if skip_bad or not rows else " (--skip-bad writes the other rows)"
    noun = "problem" if len(exc.issues) == 1 else "problems"
    print(f"error: {len(exc.issues)} {noun} in {results}; nothing written{hint}", file=sys.stderr)
    return 1


def _write(target: Path, text: str, imported: Imported, source: str | None, force: bool) -> int:
    if not SLUG_RE.match(target.stem) or target.suffix != ".md":
        print(f"error: {target}: the file name must be a slug (lowercase letters, digits, hyphens) and end in .md",
              file=sys.stderr)  # fmt: skip
        return 2
    if target.exists() and not force:
        print(f"error: {target} exists (pass --out for another name, or --force to replace it)", file=sys.stderr)
        return 2
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    for notice in imported.notices:
        print(f"notice: {notice}", file=sys.stderr)
    if source is None:
        print("notice: source is a TODO: `site-builder check` refuses the file until it names where the results are "
              "published", file=sys.stderr)  # fmt: skip
    print(f"wrote {target}: {len(imported.rows)} rows; run `site-builder check`")
    return 0


# --- reading the results ---------------------------------------------------------------------------------------


def read_results(path: Path) -> list:
    """The result objects: a JSON array (`-o json`) or one object per line (`-o jsonl`)."""
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Refused([Issue(shown, None, "file", f"cannot read it ({exc})")]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        data = _json_lines(text)
        if data is None:
            hint = "run llama-bench with -o json and redirect only its standard output (> results.json)"
            raise Refused([Issue(shown, None, "file", f"not JSON (line {exc.lineno} column {exc.colno}: "
                                                      f"{exc.msg}); {hint}")]) from None  # fmt: skip
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not data:
        raise Refused([Issue(shown, None, "file", "must be llama-bench's JSON array of results, and not empty")])
    return data


def _json_lines(text: str) -> list | None:
    try:
        return [json.loads(line) for line in text.splitlines() if line.strip()] or None
    except json.JSONDecodeError:
        return None


class RawRow:
    """One result object; every accessor records a problem instead of raising, so one pass reports them all."""

    def __init__(self, data: object):
        self.data = data if isinstance(data, dict) else {}
        self.problems: list[tuple[str, str]] = [] if isinstance(data, dict) else [("row", "must be a JSON object")]

    def get(self, name: str, kind: type, default: object = MISSING):
        value = self.data.get(name, default)
        if value is MISSING:
            self.problems.append((name, "missing (is this llama-bench -o json output?)"))
            return None
        if value is default:
            return value
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, kind) and not isinstance(value, bool):  # JSON true is neither a count nor a name
            return value
        self.problems.append((name, f"must be {'a number' if kind is not str else 'a string'}, got {value!r}"))
        return None

    def flag(self, name: str) -> bool | None:
        """A llama-bench switch: JSON bool in most builds, 0/1 (and -1 for 'auto') in some."""
        value = self.data.get(name)
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (-1, 0, 1):
            return None if value < 0 else bool(value)
        self.problems.append((name, f"must be true, false, 0, 1 or -1, got {value!r}"))
        return None


# --- one row -----------------------------------------------------------------------------------------------------


def convert(opts: Options) -> Imported:
    """Every result as a benchmark row, or every problem found in any of them."""
    shown = str(opts.results)
    imported, issues = Imported(), []
    for index, data in enumerate(read_results(opts.results)):
        raw = RawRow(data)
        row, notes = _row(raw, opts)
        if raw.problems:
            issues += [Issue(shown, index, f, m) for f, m in raw.problems]
            continue
        imported.rows.append((index, row))
        imported.raws.append(raw.data)
        imported.notes += [n for n in notes if n not in imported.notes]
    if issues and not (opts.skip_bad and imported.rows):
        raise Refused(issues)
    for issue in issues:
        imported.notices.append(f"left out {issue}")
    imported.notices += _device_notices(imported.raws, opts.device)
    imported.notices += _model_notices(imported.raws, opts)
    return imported


def _model_notices(raws: list[dict], opts: Options) -> list[str]:
    """--model is a person's decision, so a file name that spells another card of the same size (a coder or
    instruct sibling the sizes cannot tell apart) is a notice, not a refusal."""
    out = []
    for data in {str(r.get("model_filename")): r for r in raws}.values():
        n_params = data.get("model_n_params")
        found = match_model(opts.content, data, n_params)[0] if opts.model and isinstance(n_params, int) else None
        if found is not None and found.slug != opts.model.slug:
            name = Path(str(data.get("model_filename"))).name
            out.append(f"the file {name!r} is named like {found.slug}, not {opts.model.slug}: is --model right?")
    return out


def _row(raw: RawRow, opts: Options) -> tuple[dict, list[str]]:
    test = _test(raw)
    quant = _quant(raw)
    n_params, size = raw.get("model_n_params", int), raw.get("model_size", int)
    model = opts.model or _infer_model(raw, opts.content, n_params)
    if model is not None and n_params and size:
        _check_model(raw, model, quant, n_params, size)
    backend, cpu_only = _backend(raw, opts.device)
    gpus, split, notes = _gpus(raw) if not cpu_only else (1, None, [])
    device = opts.device_slug or opts.device.slug
    row = {"model": model.slug if model else None, "quant": quant, "device": device, "test": test,
           "tok_s": _tok_s(raw), "depth": raw.get("n_depth", int, 0), "gpus": gpus, "split_mode": split,
           "flash_attn": raw.flag("flash_attn"), "kv_cache_type": _kv_type(raw),
           "offload": _offload(raw, model, cpu_only), "backend": backend, **_build(raw),
           "model_size_gib": round(size / GIB, 2) if size else None,
           "model_params_b": _billions(n_params) if n_params else None}  # fmt: skip
    if row["flash_attn"] is None:
        notes.append("flash attention as llama-bench's default (-fa auto: on where the backend supports it), "
                     "so flash_attn is left unset")  # fmt: skip
    return _drop_defaults(row), notes


def _drop_defaults(row: dict) -> dict:
    """Leave out what the schema defaults to, as the hand-written files do."""
    defaults = {"depth": 0, "gpus": 1, "split_mode": None, "kv_cache_type": "f16"}
    return {k: v for k, v in row.items() if v is not None and defaults.get(k, MISSING) != v}


def _test(raw: RawRow) -> str | None:
    n_prompt, n_gen = raw.get("n_prompt", int), raw.get("n_gen", int)
    if n_prompt is None or n_gen is None:
        return None
    if n_prompt > 0 and n_gen == 0:
        return f"pp{n_prompt}"
    if n_gen > 0 and n_prompt == 0:
        return f"tg{n_gen}"
    raw.problems.append(("n_gen", f"pp{n_prompt}+tg{n_gen} (-pg) mixes prompt and generation time; only ppN and "
                                  "tgN rows can be compared with an estimate"))  # fmt: skip
    return None


def _tok_s(raw: RawRow) -> float | None:
    value = raw.get("avg_ts", float)
    if value is not None and not value > 0:
        raw.problems.append(("avg_ts", f"must be above 0 tokens per second, got {value!r}"))
        return None
    return round(value, 2) if value is not None else None


def _quant(raw: RawRow) -> str | None:
    model_type = raw.get("model_type", str)
    if model_type is None:
        return None
    text = model_type.removesuffix(" (guessed)")
    ftype = next((f for f in sorted(FTYPES, key=len, reverse=True) if text == f or text.endswith(" " + f)), None)
    if ftype is None:
        raw.problems.append(("model_type", f"{model_type!r} does not end in a llama.cpp file type this site knows"))
        return None
    if FTYPES[ftype] not in QUANT_NAMES:
        raw.problems.append(("model_type", f"file type {ftype} has no estimate here; known: {', '.join(QUANT_NAMES)}"))
        return None
    return FTYPES[ftype]


def _billions(n: int) -> float:
    return round(n / 1e9, 3 if n < 1e9 else 2)


def _check_model(raw: RawRow, model: ModelEntry, quant: str | None, n_params: int, size: int) -> None:
    """Refuse a row whose file is not the card's model: its parameter count, architecture and file size."""
    card, a = model.card, model.card.architecture
    arch = str(raw.data.get("model_type", "")).split(" ", 1)[0]
    if a.gguf_arch and arch != a.gguf_arch:
        raw.problems.append(("model_type", f"architecture {arch!r}, but {model.slug} is {a.gguf_arch!r} in llama.cpp"))
    total = count_params(a)[0]
    stated = (card.params_b - (card.vision_params_b or 0)) * 1e9
    if min(abs(n_params / total - 1), abs(n_params / stated - 1)) > PARAMS_TOLERANCE:
        raw.problems.append(("model_n_params", f"{n_params / 1e9:.2f}B parameters, but {model.slug} has "
                             f"{total / 1e9:.2f}B ({card.params_b:g}B stated): more than {PARAMS_TOLERANCE:.0%} "
                             "apart, so probably another model"))  # fmt: skip
    if quant is None:
        return
    expected = weights_size(a, quant).total_bytes
    if abs(size / expected - 1) > SIZE_TOLERANCE:
        raw.problems.append(("model_size", f"{size / GIB:.2f} GiB, but a {quant} file of {model.slug} holds about "
                             f"{expected / GIB:.2f} GiB: more than {SIZE_TOLERANCE:.0%} apart (another model, or "
                             "another file type than llama-bench printed?)"))  # fmt: skip


def _kv_type(raw: RawRow) -> str | None:
    k, v = raw.get("type_k", str, "f16"), raw.get("type_v", str, "f16")
    if k is None or v is None:
        return None
    if k != v:
        raw.problems.append(("type_v", f"K cache {k} and V cache {v} differ; a row records one cache type"))
    elif k not in KV_TYPES:
        raw.problems.append(("type_k", f"KV cache type {k} has no estimate here; known: {', '.join(KV_TYPES)}"))
    return k


def _build(raw: RawRow) -> dict:
    commit, number = raw.get("build_commit", str, ""), raw.get("build_number", int, 0)
    out = {}
    if commit and commit != "unknown":
        out["build"] = commit
    if number and number > 0:  # builds outside a git checkout print 0
        out["build_number"] = number
    return out


# --- the hardware ----------------------------------------------------------------------------------------------------


def _backend(raw: RawRow, device: Device) -> tuple[str | None, bool]:
    """The backend as the other files name it ("Metal", not llama-bench's "Metal,BLAS"), and whether only the
    CPU ran the model. A run that does not match the device's kind is refused: its speed belongs elsewhere."""
    listed = [b.strip() for b in (raw.get("backends", str) or "").split(",") if b.strip()]
    if not listed:
        return None, False
    if "RPC" in listed:
        raw.problems.append(("backends", "an RPC run spans several machines; it cannot be filed under one device"))
    gpu = [b for b in listed if b not in CPU_BACKENDS and b != "RPC"]
    cpu_only = not gpu
    if cpu_only and device.kind is not DeviceKind.CPU:
        raw.problems.append(("backends", f"{','.join(listed)} only: the CPU ran the model, but {device.slug} is a "
                             f"{device.kind.label.lower()} device; use the CPU's device file"))  # fmt: skip
    if not cpu_only and device.kind is DeviceKind.CPU:
        raw.problems.append(("backends", f"a {','.join(gpu)} build, but {device.slug} is a CPU-only device; the GPU "
                             "may have done part of the work"))  # fmt: skip
    if device.kind is DeviceKind.TPU:
        raw.problems.append(("backends", f"{device.slug} is a TPU, which llama.cpp does not run on"))
    return (",".join(gpu) or "CPU"), cpu_only


def _offload(raw: RawRow, model: ModelEntry | None, cpu_only: bool) -> str | None:
    """What of the model stayed in system RAM, in llama-bench's own flags (the rows it marks are kept out of the
    calibration: their speed depends on a host the site knows nothing about)."""
    parts = []
    ngl = raw.get("n_gpu_layers", int, -1)
    if model is not None and ngl is not None and not cpu_only:
        a = model.card.architecture
        # llama.cpp offloads the output layer as one more: everything is on the GPU only above the block count
        if 0 <= ngl <= a.layers + (a.nextn_layers or 0):
            parts.append(f"-ngl {ngl}")
    moe = raw.get("n_cpu_moe", int, 0)
    if moe:
        parts.append(f"--n-cpu-moe {moe}")
    overrides = raw.get("tensor_buft_overrides", str, "none")
    if overrides and overrides != "none":
        parts.append(f"-ot {overrides}")
    if raw.flag("no_kv_offload"):
        parts.append("-nkvo 1")
    text = " ".join(parts)
    return (text if len(text) <= 80 else text[:79] + "…") or None


def _gpus(raw: RawRow) -> tuple[int, str | None, list[str]]:
    """(cards, split mode, notes). Several cards only when llama-bench's own fields leave no doubt: gpu_info lists
    every GPU present (integrated ones too), not the ones used, so anything else is one card and a note."""
    listed = [g.strip() for g in (raw.get("gpu_info", str, "") or "").split(", ") if g.strip()]
    split = raw.get("split_mode", str, "layer")
    if split == "none" or len(listed) <= 1:
        return 1, None, []
    devices = raw.get("devices", str, "auto") or "auto"
    used = len(listed) if devices == "auto" else len([d for d in devices.split("/") if d and d != "none"])
    shares = _shares(raw.get("tensor_split", str, "0.00") or "0.00")
    if shares is None:
        used = 0
    elif any(shares):
        used = min(used, sum(s > 0 for s in shares))
    if used == 1:
        return 1, None, []
    if used > 1 and len(set(listed)) == 1:
        if split not in ("layer", "row"):
            raw.problems.append(("split_mode", f"{split!r} split over {used} cards has no estimate; layer or row"))
        return used, split, []
    note = (f"gpu_info lists {len(listed)} GPUs ({'; '.join(listed)}) and the run may have used more than one; "
            "recorded as one card (set gpus and split_mode by hand if it used several)")  # fmt: skip
    return 1, None, [note]


def _shares(text: str) -> list[float] | None:
    try:
        return [float(s) for s in text.split("/")]
    except ValueError:
        return None


def _device_notices(raws: list[dict], device: Device) -> list[str]:
    """A name check a person should make: llama-bench's hardware strings rarely spell the device's name, so a
    mismatch is a notice, not a refusal."""
    hardware = "; ".join(dict.fromkeys(str(r.get(k)) for r in raws for k in ("gpu_info", "cpu_info") if r.get(k)))
    marks = [w for w in re.split(r"[\s(),]+", device.name.lower()) if any(c.isdigit() for c in w)]
    if marks and not any(m in hardware.lower() for m in marks):
        return [f"llama-bench names the hardware {hardware!r}, which does not mention {' or '.join(marks)} from "
                f"{device.slug}'s name: is --device right?"]  # fmt: skip
    return []


# --- which card --------------------------------------------------------------------------------------------------


def _infer_model(raw: RawRow, content: Content, n_params: int | None) -> ModelEntry | None:
    if not n_params:
        return None
    chosen, candidates = match_model(content, raw.data, n_params)
    if chosen is None:
        name = Path(str(raw.data.get("model_filename", ""))).name
        raw.problems.append(("model_filename", f"cannot tell which model card {name!r} is (cards of its size: "
                             f"{', '.join(candidates[:5]) or 'none'}); pass --model"))  # fmt: skip
    return chosen


def match_model(content: Content, data: dict, n_params: int) -> tuple[ModelEntry | None, list[str]]:
    """The one card whose size and llama.cpp architecture match and whose name the file name spells (the longest
    such name wins, so Qwen3-30B-A3B-Instruct-2507 is not Qwen3-30B-A3B), and the candidates when there is none."""
    filename = str(data.get("model_filename", "")).replace("\\", "/")
    arch = str(data.get("model_type", "")).split(" ", 1)[0]
    stem = _normal(re.sub(r"(-\d{5}-of-\d{5})?\.gguf$", "", Path(filename).name, flags=re.I))
    fits = [m for m in content.models if _same_size(m, n_params) and m.card.architecture.gguf_arch in (None, arch)]
    named = {m.slug: max((len(k) for k in _names(m) if f"-{k}-" in f"-{stem}-"), default=0) for m in fits}
    best = max(named.values(), default=0)
    chosen = [slug for slug, length in named.items() if length and length == best]
    if len(chosen) == 1:
        return content.model(chosen[0]), chosen
    return None, chosen or [m.slug for m in fits]


def _same_size(model: ModelEntry, n_params: int) -> bool:
    return abs(n_params / count_params(model.card.architecture)[0] - 1) <= PARAMS_TOLERANCE


def _names(model: ModelEntry) -> set[str]:
    """The names a GGUF file of this card is usually called by: slug, name, repositories, Hugging Face page."""
    repos = [g.repo.split("/", 1)[1] for g in model.card.gguf]
    pages = [u.rstrip("/").rsplit("/", 1)[-1] for u in model.card.links.values() if "huggingface.co/" in u]
    names = {model.slug, model.card.name, *repos, *pages}
    return {n for n in (_normal(re.sub(r"-gguf$", "", x, flags=re.I)) for x in names) if n}


def _normal(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# --- the file --------------------------------------------------------------------------------------------------------


def benchmark_set(imported: Imported, device: Device, content: Content, source: str | None) -> dict:
    models = _model_names(imported, content)
    date = _date([str(r.get("test_time", "")) for r in imported.raws])
    backends = sorted({r["backend"] for _, r in imported.rows if "backend" in r})
    title = f"llama-bench: {models} on {device.name}" + (f" ({date})" if date else "")
    doc = {"title": title if len(title) <= 200 else title[:199] + "…", "source": source or TODO_SOURCE,
           "runtime": "llama.cpp llama-bench" + (f", {' and '.join(backends)}" if backends else ""),
           "date": date, "notes": _notes(imported), "rows": [r for _, r in imported.rows]}  # fmt: skip
    return {k: v for k, v in doc.items() if v is not None}


def _model_names(imported: Imported, content: Content) -> str:
    slugs = list(dict.fromkeys(r["model"] for _, r in imported.rows))
    names = [content.model(s).name for s in slugs]
    return names[0] if len(names) == 1 else f"{len(names)} models"


def _date(stamps: list[str]) -> str | None:
    """The day of the runs, or the month or year they share (llama-bench stamps each test in UTC)."""
    days = sorted({s[:10] for s in stamps if re.match(r"^\d{4}-\d{2}-\d{2}", s)})
    if not days:
        return None
    for length in (10, 7, 4):
        if len({d[:length] for d in days}) == 1:
            return days[0][:length]
    return None


def _notes(imported: Imported) -> str:
    raws = imported.raws
    gpu = "; ".join(sorted({str(r.get("gpu_info")) for r in raws if r.get("gpu_info")}))
    cpu = "; ".join(sorted({str(r.get("cpu_info")) for r in raws if r.get("cpu_info")}))
    flags = [f"{flag} {_values(raws, name)}" for flag, name in
             (("-ngl", "n_gpu_layers"), ("-fa", "flash_attn"), ("-b", "n_batch"), ("-ub", "n_ubatch"),
              ("-t", "n_threads"), ("-ctk", "type_k"), ("-ctv", "type_v")) if _values(raws, name)]  # fmt: skip
    text = f"Imported with site-builder import-bench from llama-bench -o json ({len(raws)} results)."
    text += f" GPU as llama-bench names it: {gpu}." if gpu else ""
    text += f" CPU: {cpu}." if cpu else ""
    text += f" Settings: {' '.join(flags)}." if flags else ""
    text += "".join(f" {n[0].upper()}{n[1:]}." for n in imported.notes)
    return text if len(text) <= 1000 else text[:999] + "…"


def _values(raws: list[dict], name: str) -> str:
    """Every value a swept setting took, comma-separated as llama-bench's own flags take them."""
    return ",".join(dict.fromkeys(_flag_text(name, r[name]) for r in raws if name in r))


def _flag_text(name: str, value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return "auto" if name == "flash_attn" and value == -1 else str(value)


def _body(imported: Imported, device: Device, content: Content) -> str:
    return (f"llama-bench results for {_model_names(imported, content)} on {device.name}, imported from the tool's "
            "JSON output.")  # fmt: skip


def render(doc: dict, body: str) -> str:
    """The file in the hand-written files' layout: quoted strings, one key per line, rows in a fixed key order."""
    lines = ["---"]
    lines += [f"{key}: {_scalar(doc[key])}" for key in ("title", "source", "runtime", "date", "notes") if key in doc]
    lines.append("rows:")
    for row in doc["rows"]:
        keys = [k for k in ROW_KEYS if k in row]
        lines += [("  - " if i == 0 else "    ") + f"{k}: {_scalar(row[k])}" for i, k in enumerate(keys)]
    return "\n".join([*lines, "---", body, ""])


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid double-quoted YAML scalar


def _validate(text: str, todo_source: bool, results: Path, imported: Imported) -> None:
    """Read the file back exactly as `site-builder check` will (with a stand-in for a TODO source, which check
    refuses on purpose): what the importer writes must load."""
    if todo_source:
        text = text.replace(json.dumps(TODO_SOURCE), json.dumps(STAND_IN_SOURCE), 1)
    with tempfile.TemporaryDirectory(prefix="import-bench-") as tmp:
        path = Path(tmp) / "benchmarks" / "imported.md"
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
        _, problems = read_document(path, "benchmarks/imported.md", BenchmarkSet)
    origin = [index for index, _ in imported.rows]
    issues = [_issue(p.field, p.message, results, origin) for p in problems]
    if issues:
        raise Refused(issues)


def _issue(dotted: str, message: str, results: Path, origin: list[int]) -> Issue:
    """A problem of the written file, told against the result it came from (rows[3].tok_s -> results.json:5)."""
    found = re.match(r"^rows\[(\d+)\]\.?(.*)$", dotted)
    if found and int(found.group(1)) < len(origin):
        return Issue(str(results), origin[int(found.group(1))], found.group(2) or "row", message)
    return Issue(str(results), None, dotted or "file", message)


def _default_slug(imported: Imported, device: Device) -> str:
    models = list(dict.fromkeys(r["model"] for _, r in imported.rows))
    date = _date([str(r.get("test_time", "")) for r in imported.raws])
    parts = ["llama-bench", models[0] if len(models) == 1 else "", device.slug, date or ""]
    return _normal("-".join(p for p in parts if p))
