"""The shipped catalogue: the coverage issue #4 and the model-family issue ask for, every consistency check passing
on it, and the warning for a newer card nothing links to."""

from __future__ import annotations

from site_builder.content.check import check_content

from .conftest import MODEL

MODELS = [
    "mistral-7b-instruct-v0-1", "mistral-7b-instruct-v0-2", "mistral-7b-instruct-v0-3", "mixtral-8x7b-instruct",
    "mixtral-8x22b-instruct", "mistral-nemo-12b-instruct", "mistral-small-24b-instruct", "llama-2-7b-chat",
    "llama-2-13b-chat", "llama-2-70b-chat", "llama-3-8b-instruct", "llama-3-70b-instruct", "llama-3-1-8b-instruct",
    "llama-3-1-70b-instruct", "llama-3-1-405b-instruct", "llama-3-2-1b-instruct", "llama-3-2-3b-instruct",
    "llama-3-3-70b-instruct", "gemma-7b-it", "gemma-2-2b-it", "gemma-2-9b-it", "gemma-2-27b-it", "gemma-3-4b-it",
    "gemma-3-12b-it", "gemma-3-27b-it", "qwen2-5-0-5b-instruct", "qwen2-5-72b-instruct", "qwen2-5-coder-7b-instruct",
    "qwen3-8b", "qwen3-30b-a3b", "qwen3-235b-a22b", "phi-3-mini-4k-instruct", "phi-3-medium-4k-instruct", "phi-4",
    "deepseek-r1-distill-qwen-7b", "deepseek-v3", "deepseek-r1", "gpt-oss-20b", "gpt-oss-120b",
]  # fmt: skip
DEVICES = [
    "rtx-4060", "rtx-4070", "rtx-4060-ti-8gb", "rtx-4060-ti-16gb", "rtx-5060-ti-8gb", "rtx-5060-ti-16gb", "rtx-5090",
    "rtx-a6000", "rtx-4000-ada", "rtx-5000-ada", "rtx-6000-ada", "rtx-pro-6000-blackwell", "tesla-t4", "l4", "a10",
    "a40", "l40s", "a100-pcie-40gb", "a100-sxm4-80gb", "h100-pcie", "h100-sxm", "h200", "b200", "dgx-spark",
    "rx-7900-xtx", "rx-9070-xt", "instinct-mi300x", "arc-a750", "arc-a770-16gb", "arc-b580", "apple-m3-max-30c-36gb",
    "apple-m3-max-40c-128gb", "cloud-tpu-v5e", "cpu-ddr5-5600-dual-channel-64gb", "raspberry-pi-5-8gb",
]  # fmt: skip

# The families the model-family issue names: the cards that cover each, or why there is none yet. A reason says
# what was looked for (the search tool's code corpus) and what stands in the way; a new card replaces it.
FAMILIES: dict[str, tuple[str, ...] | str] = {
    "Llama 4 Scout": ("llama-4-scout-17b-16e-instruct",),
    "Llama 4 Maverick": ("llama-4-maverick-17b-128e-instruct",),
    "Qwen3 2507 4B": ("qwen3-4b-instruct-2507", "qwen3-4b-thinking-2507"),
    "Qwen3 2507 30B-A3B": ("qwen3-30b-a3b-instruct-2507", "qwen3-30b-a3b-thinking-2507"),
    "Qwen3 2507 235B-A22B": ("qwen3-235b-a22b-instruct-2507", "qwen3-235b-a22b-thinking-2507"),
    "Qwen3-Coder 30B-A3B": ("qwen3-coder-30b-a3b-instruct",),
    "Qwen3-Coder 480B-A35B": ("qwen3-coder-480b-a35b-instruct",),
    "Qwen3-VL": (
        "qwen3-vl-4b-instruct",
        "qwen3-vl-8b-instruct",
        "qwen3-vl-30b-a3b-instruct",
        "qwen3-vl-235b-a22b-instruct",
    ),  # fmt: skip
    "QwQ-32B": ("qwq-32b",),
    "GLM-4.5": ("glm-4-5",),
    "GLM-4.5-Air": ("glm-4-5-air",),
    "GLM-4.6": ("glm-4-6",),
    "Kimi K2": ("kimi-k2-instruct", "kimi-k2-thinking"),
    "DeepSeek V3.1": ("deepseek-v3-1",),
    "DeepSeek R1-0528": ("deepseek-r1-0528",),
    "DeepSeek-R1-0528-Qwen3-8B": ("deepseek-r1-0528-qwen3-8b",),
    "gpt-oss": ("gpt-oss-20b", "gpt-oss-120b"),
    "Gemma 3n E2B": ("gemma-3n-e2b-it",),
    "Gemma 3n E4B": ("gemma-3n-e4b-it",),
    "Gemma 3 1B": ("gemma-3-1b-it",),
    "Gemma 3 270M": ("gemma-3-270m-it",),
    "Mistral Small 3.1": ("mistral-small-3-1-24b-instruct-2503",),
    "Mistral Small 3.2": ("mistral-small-3-2-24b-instruct-2506",),
    "Magistral Small": ("magistral-small-2509",),
    "Devstral Small": ("devstral-small-2507",),
    "Ministral": ("ministral-8b-instruct-2410", "ministral-3-3b-instruct-2512"),
    "Phi-4-mini": ("phi-4-mini-instruct", "phi-4-mini-reasoning"),
    "Phi-4-reasoning": ("phi-4-reasoning", "phi-4-reasoning-plus"),
    "SmolLM3": ("smollm3-3b",),
    "IBM Granite 4": ("granite-4-0-micro", "granite-4-0-h-micro", "granite-4-0-h-tiny", "granite-4-0-h-small"),
    "NVIDIA Nemotron Nano v2": ("nvidia-nemotron-nano-9b-v2", "nvidia-nemotron-nano-12b-v2"),
    "Nemotron Super 49B": "Llama-3.3-Nemotron-Super-49B is NAS-pruned with heterogeneous blocks (per-block FFN "
    "widths, some blocks without attention: pufanyi/Megatron-Bridge docs/models/llm/llama-nemotron.md, llama.cpp's "
    "DeciLM converter); the architecture schema has one FFN width and attention in every block, so neither its "
    "size nor its KV cache can be stated; no config.json was found by the search tool either",
    "OLMo 2": ("olmo-2-1124-7b-instruct", "olmo-2-1124-13b-instruct", "olmo-2-0325-32b-instruct"),
    "OLMo 3": ("olmo-3-7b-instruct", "olmo-3-32b-think", "olmo-3-1-32b-think"),
    "Seed-OSS-36B": ("seed-oss-36b-instruct",),
    "Hunyuan-A13B": ("hunyuan-a13b-instruct",),
    "ERNIE 4.5": "no config.json found by the search tool: only the transformers model docs (huggingface/"
    "transformers docs/source/en/model_doc/ernie4_5_moe.md: 21B-A3B and 300B-A47B), which give no layer widths",
    "MiniMax M2": ("minimax-m2",),
    "LFM2": ("lfm2-1-2b", "lfm2-2-6b", "lfm2-8b-a1b"),
    "Falcon-H1": "no config.json found by the search tool: the transformers docs table (FalconH1Config: depth, "
    "width, heads, state size per size) gives no FFN width, vocabulary or Mamba head count to compute params_b from",
    "EXAONE 4": ("exaone-4-0-1-2b",),
    "Command A": "no config.json found by the search tool (only usage code naming CohereLabs/c4ai-command-a-03-2025 "
    "in huggingface/transformers _scripts/cmda_simple.py)",
    "Command R7B": ("command-r7b-12-2024",),
    "dots.llm1": ("dots-llm1-inst",),
    "Gemma 4": "no config.json found by the search tool (a search for Gemma4 configs returns Gemma 1-3 only); "
    "benchmark logs already mention it (content/benchmarks/kyuz0-*-2026-*.md notes)",
    "Qwen 3.5": (
        "qwen3-5-0-8b",
        "qwen3-5-2b",
        "qwen3-5-4b",
        "qwen3-5-9b",
        "qwen3-5-27b",
        "qwen3-5-35b-a3b",
        "qwen3-5-122b-a10b",
        "qwen3-5-397b-a17b",
    ),  # fmt: skip
    "Qwen 3.6": ("qwen3-6-27b", "qwen3-6-35b-a3b"),
}


def test_the_catalogue_covers_what_people_run(catalogue):
    models, devices = {m.slug for m in catalogue.models}, {d.slug for d in catalogue.devices}
    assert len(models) >= 45 and len(devices) >= 90
    assert [m for m in MODELS if m not in models] == []
    assert [d for d in DEVICES if d not in devices] == []


def test_every_family_the_issue_names_has_its_cards_or_a_recorded_reason(catalogue):
    models = {m.slug for m in catalogue.models}
    missing_cards = {f: [s for s in e if s not in models] for f, e in FAMILIES.items() if not isinstance(e, str)}
    assert {f: s for f, s in missing_cards.items() if s} == {}  # a renamed or deleted card: update the table
    assert [f for f, e in FAMILIES.items() if isinstance(e, str) and len(e.split()) < 5] == []  # a reason, not a word
    assert [f for f, e in FAMILIES.items() if not e] == []


def test_every_file_passes_the_consistency_checks(catalogue):
    check_content(catalogue)  # parameter counts, bandwidth = bus x rate, benchmark references, unique pages


# --- a newer card of the same line that nothing links to -----------------------------------------------------------


def card(name: str, date: str | None = None, supersedes: tuple[str, ...] = (), tags: str = "[chat]") -> str:
    """The test 7B card (conftest.MODEL) under another name, with a release date, supersedes list and tags."""
    extra = f"release_date: {date}\n" if date else ""
    extra += f"supersedes: [{', '.join(supersedes)}]\n" if supersedes else ""
    extra += f"tags: {tags}\n"
    return MODEL.replace("name: Test 7B", f"name: {name}").replace("sources:", extra + "sources:", 1)


def successor_warnings(tree, files: dict[str, str]) -> list[str]:
    warnings: list[str] = []
    from site_builder.build import check

    check(tree({f"models/{slug}.md": text for slug, text in files.items()}), warnings)
    return [w for w in warnings if ": supersedes: " in w]


def test_a_newer_card_of_the_line_that_supersedes_nothing_is_a_warning(tree):
    warnings = successor_warnings(tree, {"test-7b": card("Test 7B Instruct", "2024-01-01"),
                                         "test-2-7b": card("Test 2 7B Instruct", "2025-01-01")})  # fmt: skip
    assert warnings == [
        "warning: content/models/test-2-7b.md:16: supersedes: Test 2 7B Instruct (2025-01-01) looks like the "
        "successor of test-7b (2024-01-01): same family, name and tags, size within 10%, but nothing links them; "
        "add test-7b here if this card replaces it"
    ]


def test_no_warning_when_linked_dated_out_of_order_or_another_line(tree):
    old = card("Test 7B Instruct", "2024-01-01")
    cases = {
        "linked": card("Test 2 7B Instruct", "2025-01-01", supersedes=("test-7b",)),
        "undated": card("Test 2 7B Instruct"),
        "vision line": card("Test 2 7B Instruct", "2025-01-01", tags="[chat, vision]"),
        "coder line": card("Test 2 Coder 7B Instruct", "2025-01-01"),
        "thinking line": card("Test 2 7B Thinking", "2025-01-01"),
    }
    for case, newer in cases.items():
        assert successor_warnings(tree, {"test-7b": old, "test-2-7b": newer}) == [], case
    older = successor_warnings(tree, {"test-7b": old, "test-2-7b": card("Test 2 7B Instruct", "2023-01-01")})
    assert [w.split(":")[1] for w in older] == [" content/models/test-7b.md"]  # the dates decide which is newer


def test_only_the_head_of_a_line_and_only_its_nearest_successor_are_named(tree):
    files = {
        "test-1-7b": card("Test 1 7B", "2023-01-01"),
        "test-2-7b": card("Test 2 7B", "2024-01-01", supersedes=("test-1-7b",)),
        "test-3-7b": card("Test 3 7B", "2025-01-01"),  # forgot test-2-7b
        "test-4-7b": card("Test 4 7B", "2026-01-01", supersedes=("test-3-7b",)),
    }
    warnings = successor_warnings(tree, files)
    assert [w.split(": supersedes: ")[0] for w in warnings] == ["warning: content/models/test-3-7b.md:16"]
    assert "successor of test-2-7b" in warnings[0]  # not test-1-7b, which test-2-7b already replaces


def test_the_shipped_catalogue_warns_about_few_cards(catalogue):
    warnings: list[str] = []
    check_content(catalogue, warnings)
    assert len([w for w in warnings if ": supersedes: " in w]) <= 3  # the rule must stay conservative
