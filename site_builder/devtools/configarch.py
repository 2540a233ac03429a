"""A transformers config.json, read into the site's `architecture` fields, family by family.

Strict on purpose: a scaffolded card that looks plausible but has the wrong shape is worse than a refusal. Every
field is type- and range-checked (a layer count of 32.0 or "32" is refused; a flag must be a JSON boolean, so
the string "false" never reads as true), and every key is either read by its family's readers, or on an
allow-list of keys that change no tensor shape (HARMLESS), or refused by name. A key about experts, layer kinds,
windows or extra layers that was silently dropped would give a card whose parameter count is off by tens of
percent (Llama 4 Maverick without `interleave_moe_layer_step`: +95%).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from pydantic import ValidationError

from site_builder.content.schema import Architecture
from site_builder.devtools.configjson import Problems, got, key_path, show
from site_builder.estimator.tensors import count_params

MAX_PARAMS = 10_000e9  # ModelCard.params_b's bound
MAX_TEXT = 100  # characters of a string field such as model_type
# Keys that change no tensor shape and no per-token state in any family: bookkeeping, token ids, training and
# sampling settings, activations, norm epsilons and norm switches (norm vectors are tiny and not counted), RoPE
# constants (RoPE has no weights), attention and logit scalars, router arithmetic, biases (not counted either),
# the storage format of pre-quantized weights (shapes stay), and multimodal parts that llama.cpp loads from a
# separate mmproj file.
HARMLESS = frozenset({
    "_name_or_path", "_attn_implementation_autoset", "architectures", "auto_map", "dtype", "torch_dtype",
    "transformers_version", "unsloth_fixed", "unsloth_version",
    "bos_token_id", "eos_token_id", "pad_token_id", "sep_token_id", "boi_token_index", "eoi_token_index",
    "image_token_index", "image_token_id", "video_token_id", "vision_start_token_id", "vision_end_token_id",
    "attention_dropout", "embd_pdrop", "hidden_dropout", "resid_pdrop", "initializer_range", "use_cache",
    "cache_implementation", "pretraining_tp", "output_router_logits", "router_aux_loss_coef",
    "router_jitter_noise", "aux_loss_alpha", "seq_aux", "ep_size",
    "hidden_act", "hidden_activation", "rms_norm_eps", "use_qk_norm",
    "rope_theta", "rope_scaling", "rope_parameters", "rope_local_base_freq", "partial_rotary_factor",
    "original_max_position_embeddings",
    "query_pre_attn_scalar", "attn_logit_softcapping", "final_logit_softcapping",
    "norm_topk_prob", "routed_scaling_factor", "scoring_func", "topk_method", "n_group", "topk_group",
    "attention_bias", "mlp_bias", "quantization_config",
    "vision_config", "mm_tokens_per_image", "vision_feature_layer", "vision_feature_select_strategy",
    "projector_hidden_act", "multimodal_projector_bias",
})  # fmt: skip
# (lowest, highest) accepted for each integer key; sane bounds, wider than any published model
WIDTH = (1, 1_048_576)
LAYERS = (1, 1000)
LIMITS: dict[str, tuple[int, int]] = {
    "num_hidden_layers": LAYERS, "hidden_size": (1, 131_072), "intermediate_size": WIDTH,
    "intermediate_size_mlp": WIDTH, "moe_intermediate_size": WIDTH, "shared_expert_intermediate_size": (0, WIDTH[1]),
    "shared_intermediate_size": (0, WIDTH[1]), "num_attention_heads": (1, 4096), "num_key_value_heads": (1, 4096),
    "head_dim": (1, 4096), "vocab_size": (1, 10_000_000), "max_position_embeddings": (1, 16_777_216),
    "sliding_window": (1, 16_777_216), "attention_chunk_size": (1, 16_777_216), "max_window_layers": (0, 1000),
    "sliding_window_pattern": LAYERS, "_sliding_window_pattern": LAYERS, "full_attention_interval": LAYERS,
    "num_local_experts": (0, 65_536), "num_experts": (0, 65_536), "n_routed_experts": (0, 65_536),
    "num_experts_per_tok": (0, 65_536), "experts_per_token": (0, 65_536), "n_shared_experts": (0, 1024),
    "first_k_dense_replace": (0, 1000), "moe_layer_freq": LAYERS, "decoder_sparse_step": LAYERS,
    "interleave_moe_layer_step": LAYERS, "no_rope_layer_interval": LAYERS, "num_nextn_predict_layers": (0, 100),
    "kv_lora_rank": (1, 65_536), "q_lora_rank": (1, 65_536), "qk_rope_head_dim": (1, 4096),
    "qk_nope_head_dim": (1, 4096), "v_head_dim": (1, 4096),
    "mamba_n_heads": (1, 65_536), "mamba_d_head": (1, 4096), "mamba_d_state": (1, 4096), "mamba_n_groups": (1, 4096),
    "mamba_d_conv": (1, 64), "mamba_expand": (1, 64), "linear_num_key_heads": (1, 4096),
    "linear_num_value_heads": (1, 4096), "linear_key_head_dim": (1, 4096), "linear_value_head_dim": (1, 4096),
    "linear_conv_kernel_dim": (1, 64),
}  # fmt: skip
# Gemma3TextConfig's defaults (transformers), which Gemma 3's multimodal configs rely on: gemma-3-4b-it's
# text_config states neither its heads, nor its vocabulary, nor its context.
GEMMA3_TEXT_DEFAULTS = {
    "vocab_size": 262_208, "hidden_size": 2304, "intermediate_size": 9216, "num_hidden_layers": 26,
    "num_attention_heads": 8, "num_key_value_heads": 4, "head_dim": 256, "max_position_embeddings": 131_072,
    "sliding_window": 4096, "tie_word_embeddings": True,
}  # fmt: skip
GRANITE_HARMLESS = frozenset({
    "attention_multiplier", "embedding_multiplier", "residual_multiplier", "logits_scaling", "init_method",
    "normalization_function", "position_embedding_type", "mamba_chunk_size", "mamba_conv_bias", "mamba_proj_bias",
})  # fmt: skip
MAMBA_KEYS = ("mamba_n_heads", "mamba_d_head", "mamba_d_state", "mamba_n_groups", "mamba_d_conv", "mamba_expand")
LLAMA4_HARMLESS = frozenset({"attn_temperature_tuning", "attn_scale", "floor_scale", "for_llm_compressor"})
GPT_OSS_HARMLESS = frozenset({"swiglu_limit", "initial_context_length"})
GEMMA3_HARMLESS = frozenset({"use_bidirectional_attention"})  # EmbeddingGemma's attention mask: no tensor


class Keys:
    """One JSON object of a config, read key by key. Each read is type- and range-checked, with problems kept
    under the key's dotted path; each key read is remembered, so that the keys nobody read can be refused."""

    def __init__(self, obj: dict, path: str, problems: Problems, defaults: Mapping[str, object] | None = None):
        self.obj, self.path, self.problems = obj, path, problems
        self.defaults = defaults or {}
        self.read: set[str] = set()

    def problem(self, key: str, message: str) -> None:
        self.problems.add(key_path(self.path, key), message)

    def raw(self, key: str) -> object:
        """The value, or the family's default for an absent key; None for null (transformers' "unset")."""
        self.read.add(key)
        return self.obj[key] if key in self.obj else self.defaults.get(key)

    def int(self, key: str, *, required: bool = False, default: int | None = None) -> int | None:
        value = self.raw(key)
        if value is None:
            if required:
                self.problem(key, "required, got null" if key in self.obj else "required")
            return default
        if type(value) is not int:  # bool is an int subclass; 32.0 and "32" are not counts
            self.problem(key, f"must be an integer, got {got(value)}")
            return None
        low, high = LIMITS.get(key, WIDTH)
        if not low <= value <= high:
            self.problem(key, f"must be from {low:,} to {high:,}, got {value:,}")
            return None
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.raw(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.problem(key, f"must be true or false, got {got(value)}")
        return value if isinstance(value, bool) else default

    def text(self, key: str, *, required: bool = False) -> str | None:
        value = self.raw(key)
        if value is None:
            if required:
                self.problem(key, f"must be a string, got {got(value)}" if key in self.obj else "required")
            return None
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            self.problem(key, f"must be a string of at most {MAX_TEXT} characters, got {got(value)}")
            return None
        return value

    def ints(self, key: str, low: int, high: int) -> list[int] | None:
        items = self._list(key)
        bad = next((i for i, v in enumerate(items or []) if type(v) is not int or not low <= v <= high), None)
        if bad is None:
            return items
        self._item_problem(key, bad, f"must be an integer from {low:,} to {high:,}, got {got(items[bad])}")
        return None

    def texts(self, key: str, allowed: frozenset[str]) -> list[str] | None:
        items = self._list(key)
        bad = next((i for i, v in enumerate(items or []) if not isinstance(v, str) or v not in allowed), None)
        if bad is None:
            return items
        self._item_problem(key, bad, f"must be one of {', '.join(sorted(allowed))}, got {got(items[bad])}")
        return None

    def _item_problem(self, key: str, index: int, message: str) -> None:
        """Only the first bad item: a 10,000-item list of bad values is one problem, not 10,000 lines."""
        self.problems.add(key_path(key_path(self.path, key), index), message)

    def _list(self, key: str) -> list | None:
        value = self.raw(key)
        if value is not None and not isinstance(value, list):
            self.problem(key, f"must be a list, got {got(value)}")
            return None
        return value

    def child(self, key: str, defaults: Mapping[str, object] | None = None) -> Keys | None:
        value = self.raw(key)
        if not isinstance(value, dict):
            self.problem(key, f"must be a JSON object, got {got(value)}" if key in self.obj else "required")
            return None
        return Keys(value, key_path(self.path, key), self.problems, defaults)

    def refuse_unread(self, allowed: frozenset[str], model_type: str) -> None:
        """Keys neither read nor known to be harmless. Null is transformers' "unset", so it passes."""
        for key, value in self.obj.items():
            if key not in self.read and key not in allowed and value is not None:
                self.problem(key, f"not understood for model_type {model_type}; refused rather than dropped")


@dataclass
class Read:
    keys: Keys  # the text model's object: text_config, or the top level
    arch: dict = field(default_factory=dict)


Reader = Callable[[Read], None]


@dataclass(frozen=True)
class Family:
    name: str  # the card's `family`
    gguf_arch: str  # llama.cpp's general.architecture for it
    readers: tuple[Reader, ...] = ()
    tied: bool = False  # the config class's tie_word_embeddings default
    defaults: Mapping[str, object] = field(default_factory=dict)
    harmless: frozenset[str] = frozenset()
    text: str | None = None  # a multimodal wrapper: its text model is text_config, of this model_type


def architecture_from_config(config: object, shown: str = "config.json") -> dict:
    """Our `architecture` fields for a parsed config.json, or ConfigError listing every problem."""
    problems = Problems(shown)
    top, family = _top_level(config, problems)
    keys, inner = _text_model(top, family)
    arch = _read(keys, top, family, inner) if keys is not None else {}
    if keys is not top:
        top.refuse_unread(HARMLESS | family.harmless, top.obj["model_type"])
    problems.raise_any()
    return _validated(arch, problems)


def _top_level(config: object, problems: Problems) -> tuple[Keys, Family]:
    if not isinstance(config, dict):
        problems.add("file", f"must hold a JSON object at the top level, got {got(config)}")
        problems.raise_any()
    top = Keys(config, "", problems)
    model_type = top.text("model_type", required=True)
    family = FAMILIES.get(model_type or "")
    if model_type is not None and not family:
        problems.add("model_type", f"{show(model_type)} is not a family the scaffolder knows ({', '.join(FAMILIES)})")
    problems.raise_any()
    return top, family


def _read(keys: Keys, top: Keys, family: Family, inner: Family) -> dict:
    r = Read(keys, {"gguf_arch": inner.gguf_arch})
    for reader in (_core, *inner.readers):
        reader(r)
    tied = top.flag("tie_word_embeddings", inner.tied) if family.text else inner.tied  # Llama 4 states it on top
    r.arch["tied_embeddings"] = keys.flag("tie_word_embeddings", tied)
    keys.refuse_unread(HARMLESS | inner.harmless, family.text or top.obj["model_type"])
    return {k: v for k, v in r.arch.items() if v is not None}


def family_name(config: dict) -> str:
    """The card's `family` for an architecture_from_config-approved config."""
    return FAMILIES[config["model_type"]].name


def _text_model(top: Keys, family: Family) -> tuple[Keys | None, Family]:
    """The object holding the text model's keys, and the family that reads it."""
    if not family.text:
        return top, family
    inner = FAMILIES[family.text]
    keys = top.child("text_config", inner.defaults)
    if keys is not None:
        kind = keys.text("model_type")
        if kind not in (None, family.text):
            keys.problem("model_type", f"must be {family.text} inside a {top.obj['model_type']} config, got "
                         f"{got(kind)}")  # fmt: skip
    return keys, inner


def _validated(arch: dict, problems: Problems) -> dict:
    """The schema's own checks, then the site's bound on parameters: the card must load once written."""
    try:
        total, _ = count_params(Architecture(**arch))
    except ValidationError as exc:
        for err in exc.errors():
            problems.add("architecture." + ".".join(map(str, err["loc"])) if err["loc"] else "file", err["msg"])
        problems.raise_any()
    if total > MAX_PARAMS:
        problems.add("file", f"implies {total / 1e9:,.0f}B parameters; a card takes at most {MAX_PARAMS / 1e9:,.0f}B")
        problems.raise_any()
    return arch


def _core(r: Read) -> None:
    k, a = r.keys, r.arch
    a["layers"] = k.int("num_hidden_layers", required=True)
    a["hidden_size"] = k.int("hidden_size", required=True)
    heads = a["attention_heads"] = k.int("num_attention_heads", required=True)
    kv = k.int("num_key_value_heads", default=heads)
    if heads and kv and heads % kv:
        k.problem("num_key_value_heads", f"must divide num_attention_heads ({heads}), got {kv}")
    a["kv_heads"] = kv
    a["head_dim"] = k.int("head_dim")
    a["vocab_size"] = k.int("vocab_size", required=True)
    a["context_length"] = k.int("max_position_embeddings", required=True)


def _dense(r: Read) -> None:
    r.arch["intermediate_size"] = r.keys.int("intermediate_size", required=True)


def _plain_window(r: Read) -> None:
    """Mistral, Phi-3: one window on every layer, a fact the card records (the estimator, like llama.cpp,
    ignores a window without a local/global pattern)."""
    r.arch["sliding_window"] = r.keys.int("sliding_window")


def _qwen_window(r: Read) -> None:
    """Qwen states a window it does not use unless use_sliding_window is true."""
    used = r.keys.flag("use_sliding_window", False)
    window = r.keys.int("sliding_window")
    r.keys.int("max_window_layers")  # where the window starts, when it is used
    if used:
        r.arch["sliding_window"] = window


def _layered_window(default_period: int) -> Reader:
    """Windows on some layers, as layer_types, a period, or the family's default period (Gemma 2: every other
    layer; Gemma 3: five local layers, then one global)."""

    def read(r: Read) -> None:
        k, a = r.keys, r.arch
        window = k.int("sliding_window")
        stated = next((p for p in (k.int("sliding_window_pattern"), k.int("_sliding_window_pattern")) if p), None)
        period = _as_period(stated) if stated else default_period  # a pattern of 1: every layer is global
        types = k.texts("layer_types", frozenset({"sliding_attention", "full_attention"}))
        if types is not None:
            listed = _period(k, "layer_types", types, a["layers"])
            if listed is not None and stated and listed != period:
                k.problem("sliding_window_pattern", f"is {stated}, but layer_types repeat every {listed} layers")
            period = listed
            if period and window is None:
                k.problem("sliding_window", "required: layer_types has sliding layers")
        if window and period:
            a["sliding_window"] = window
            a["sliding_window_pattern"] = period if period >= 2 else None

    return read


def _as_period(pattern: int) -> int:
    """transformers' sliding_window_pattern: layer i is global when (i + 1) % pattern == 0, so 1 is no window."""
    return 0 if pattern == 1 else pattern


def _period(k: Keys, key: str, types: list[str], layers: int | None) -> int | None:
    """0 for no sliding layers, 1 for sliding layers only, else k for a full-attention layer every k-th layer;
    None, with a problem, for any other layout (the site's architecture cannot represent it)."""
    if layers and len(types) != layers:
        k.problem(key, f"has {len(types)} items for num_hidden_layers {layers}")
        return None
    full = [i for i, t in enumerate(types) if t == "full_attention"]
    if len(full) == len(types):
        return 0
    if not full:
        return 1
    if full != list(range(full[0], len(types), full[0] + 1)):
        k.problem(key, "full-attention layers are not every k-th layer; that layout cannot be represented")
        return None
    return full[0] + 1


def _experts(count_key: str, width_key: str | None = None) -> Reader:
    """Routed experts; their width is width_key, or (Mixtral, gpt-oss) the dense intermediate_size."""

    def read(r: Read) -> None:
        k, a = r.keys, r.arch
        count = k.int(count_key)
        per_token = k.int("num_experts_per_tok")
        if not count:
            if per_token:
                k.problem("num_experts_per_tok", f"is {per_token}, but {count_key} is {count or 'not set'}")
            return
        if count == 1:
            k.problem(count_key, "must be 0 (no experts) or at least 2, got 1")
        if per_token is None:
            k.problem("num_experts_per_tok", f"required when {count_key} is set")
        elif per_token == 0 or per_token > count:
            k.problem("num_experts_per_tok", f"must be from 1 to {count_key} ({count}), got {per_token}")
        a["experts"], a["experts_per_token"] = count, per_token
        if width_key:
            a["moe_intermediate_size"] = k.int(width_key, required=True)

    return read


def _same_as(key: str, alias: str) -> Reader:
    """A second spelling of a key (gpt-oss states experts_per_token and num_experts_per_tok): both must agree."""

    def read(r: Read) -> None:
        value, other = r.keys.int(key), r.keys.int(alias)
        if value is not None and other is not None and value != other:
            r.keys.problem(key, f"is {value}, but {alias} is {other}")

    return read


def _qwen_sparse(r: Read) -> None:
    """Qwen MoE: layer i is MoE unless listed in mlp_only_layers, and only when (i + 1) % decoder_sparse_step is
    0. The site represents leading dense layers and an every-k-th step, which is what published configs use."""
    k, a = r.keys, r.arch
    step = k.int("decoder_sparse_step", default=1)
    dense = k.ints("mlp_only_layers", 0, (a["layers"] or LAYERS[1]) - 1) or []
    if not a.get("experts"):
        return
    if step and step > 1:
        a["moe_layer_step"] = step
    if dense and sorted(dense) != list(range(len(dense))):
        k.problem("mlp_only_layers", f"only leading layers (0 to k-1) can be dense here, got {show(dense)}")
    elif dense:
        a["dense_layers"] = len(dense)


def _qwen_shared(r: Read) -> None:
    width = r.keys.int("shared_expert_intermediate_size")
    if width and r.arch.get("experts"):
        r.arch["shared_expert_intermediate_size"] = width


def _dense_first(r: Read) -> None:
    """DeepSeek and GLM: shared experts of the routed experts' width, after first_k_dense_replace dense layers."""
    k, a = r.keys, r.arch
    shared = k.int("n_shared_experts")
    dense = k.int("first_k_dense_replace")
    step = k.int("moe_layer_freq")
    if step not in (None, 1):
        k.problem("moe_layer_freq", f"only 1 (every layer after first_k_dense_replace) can be represented, got {step}")
    if dense and a["layers"] and dense >= a["layers"]:
        k.problem("first_k_dense_replace", f"must be less than num_hidden_layers ({a['layers']}), got {dense}")
    if a.get("experts"):
        a["shared_experts"], a["dense_layers"] = shared or None, dense or None


def _latent_attention(r: Read) -> None:
    """DeepSeek's multi-head latent attention. A head_dim in such a config is its RoPE part, not a head size."""
    k, a = r.keys, r.arch
    a["head_dim"] = None
    a["kv_lora_rank"] = k.int("kv_lora_rank", required=True)
    a["q_lora_rank"] = k.int("q_lora_rank")
    for name in ("qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim"):
        a[name] = k.int(name, required=True)


def _mtp_kept(r: Read) -> None:
    """GLM-4.5: llama.cpp's converter keeps the next-token-prediction layers, after the others."""
    r.arch["nextn_layers"] = r.keys.int("num_nextn_predict_layers") or None


def _mtp_dropped(r: Read) -> None:
    """DeepSeek V3: llama.cpp's converter drops the next-token-prediction layers, so the GGUF has none."""
    r.keys.int("num_nextn_predict_layers")


def _mxfp4_experts(r: Read) -> None:
    quant = r.keys.raw("quantization_config")
    if isinstance(quant, dict) and quant.get("quant_method") == "mxfp4" and r.arch.get("experts"):
        r.arch["expert_format"] = "MXFP4"


def _gated_deltanet(r: Read) -> None:
    """Qwen3-Next: gated DeltaNet (linear attention) layers, with gated full attention every k-th layer."""
    k, a = r.keys, r.arch
    layers = a["layers"] or 0
    interval = k.int("full_attention_interval")
    types = k.texts("layer_types", frozenset({"linear_attention", "full_attention"}))
    if types is not None:
        attention = sum(t == "full_attention" for t in types)
        if len(types) != layers or (interval and attention != layers // interval):
            k.problem("layer_types", f"disagrees with num_hidden_layers ({layers}) and full_attention_interval")
    elif interval:
        attention = layers // interval
    else:
        k.problem("full_attention_interval", "required: which layers have attention")
        return
    a["attention_layers"], a["attention_gate"] = attention or None, True
    if not attention:
        k.problem("full_attention_interval", "leaves no layer with attention")
    a["recurrent"] = {
        "kind": "gated-deltanet",
        "layers": layers - attention,
        "key_heads": k.int("linear_num_key_heads", required=True),
        "value_heads": k.int("linear_num_value_heads", required=True),
        "key_head_dim": k.int("linear_key_head_dim", required=True),
        "value_head_dim": k.int("linear_value_head_dim", required=True),
        "conv_kernel": k.int("linear_conv_kernel_dim", required=True),
    }


def _llama4(r: Read) -> None:
    """Llama 4: routed experts plus one shared expert, both intermediate_size wide, on every
    interleave_moe_layer_step-th layer (Maverick: every other); the others have a dense MLP of
    intermediate_size_mlp. Layers with RoPE use chunked attention, recorded as a sliding window."""
    k, a = r.keys, r.arch
    width = k.int("intermediate_size", required=True)
    a["intermediate_size"] = k.int("intermediate_size_mlp", required=True)
    _experts("num_local_experts")(r)
    a["moe_intermediate_size"] = a["shared_expert_intermediate_size"] = width
    step = k.int("interleave_moe_layer_step", default=1)
    stated = k.ints("moe_layers", 0, LAYERS[1])
    if step and a["layers"] and stated is not None and stated != list(range(step - 1, a["layers"], step)):
        k.problem("moe_layers", "must be every interleave_moe_layer_step-th layer; other layouts cannot be represented")
    a["moe_layer_step"] = step if step and step > 1 else None
    _chunked_attention(r)


def _chunked_attention(r: Read) -> None:
    k, a = r.keys, r.arch
    chunk = k.int("attention_chunk_size")
    interval = _as_period(k.int("no_rope_layer_interval", default=4) or 4)  # same rule as sliding_window_pattern
    rope = k.ints("no_rope_layers", 0, 1)  # 1: RoPE and chunked attention; 0: global attention without RoPE
    if rope:  # an empty list means the interval's default, as in Llama4TextConfig
        types = ["sliding_attention" if v else "full_attention" for v in rope]
        interval = _period(k, "no_rope_layers", types, a["layers"])
    if chunk and interval:
        a["sliding_window"] = chunk
        a["sliding_window_pattern"] = interval if interval >= 2 else None


def _granite_hybrid(r: Read) -> None:
    """Granite 4 H: Mamba-2 layers and a few attention layers (only they hold a KV cache), each with MoE
    experts of intermediate_size plus a shared MLP, or (no experts) the shared MLP alone."""
    k, a = r.keys, r.arch
    types = k.texts("layer_types", frozenset({"mamba", "attention"}))
    if types is None and k.raw("layer_types") is None:
        k.problem("layer_types", "required: which layers are Mamba and which have attention")
    attention = types.count("attention") if types else 0
    mamba = len(types) - attention if types else 0
    if types is not None and a["layers"] and len(types) != a["layers"]:
        k.problem("layer_types", f"has {len(types)} items for num_hidden_layers {a['layers']}")
    if types is not None and not attention:
        k.problem("layer_types", "has no attention layer; a pure Mamba model cannot be represented")
    if mamba and attention:
        a["attention_layers"], a["recurrent"] = attention, _mamba(k, a, mamba)
    else:  # without Mamba layers (granite-4.0-micro) their sizes describe nothing; without layer_types, unknown
        k.read.update(MAMBA_KEYS)
    _granite_ffn(k, a)


def _mamba(k: Keys, a: dict, layers: int) -> dict:
    heads, head_dim = k.int("mamba_n_heads", required=True), k.int("mamba_d_head", required=True)
    expand = k.int("mamba_expand", default=2)
    if heads and head_dim and expand and a["hidden_size"] and expand * a["hidden_size"] != heads * head_dim:
        k.problem("mamba_expand", f"x hidden_size ({expand * a['hidden_size']}) must equal mamba_n_heads x "
                  f"mamba_d_head ({heads * head_dim})")  # fmt: skip
    return {"kind": "mamba2", "layers": layers, "heads": heads, "head_dim": head_dim,
            "state_size": k.int("mamba_d_state", required=True), "groups": k.int("mamba_n_groups", required=True),
            "conv_kernel": k.int("mamba_d_conv", required=True)}  # fmt: skip


def _granite_ffn(k: Keys, a: dict) -> None:
    width = k.int("intermediate_size", required=True)
    shared = k.int("shared_intermediate_size")
    _experts("num_local_experts")(Read(k, a))
    if a.get("experts"):
        a["moe_intermediate_size"], a["shared_expert_intermediate_size"] = width, shared or None
    elif not shared:
        k.problem("shared_intermediate_size", "required without experts: it is the width of the only MLP")
    else:
        a["intermediate_size"] = shared


_DEEPSEEK = (_dense, _experts("n_routed_experts", "moe_intermediate_size"), _dense_first, _latent_attention,
             _mtp_dropped)  # fmt: skip
_QWEN_MOE = (_dense, _qwen_window, _experts("num_experts", "moe_intermediate_size"), _qwen_sparse, _qwen_shared)
FAMILIES: dict[str, Family] = {
    "llama": Family("Llama", "llama", (_dense,)),
    "llama4": Family("Llama", "llama4", text="llama4_text"),
    "llama4_text": Family("Llama", "llama4", (_llama4,), harmless=LLAMA4_HARMLESS),
    "mistral": Family("Mistral", "llama", (_dense, _plain_window)),
    "mixtral": Family("Mistral", "llama", (_dense, _plain_window, _experts("num_local_experts"))),
    "qwen2": Family("Qwen", "qwen2", (_dense, _qwen_window)),
    "qwen2_moe": Family("Qwen", "qwen2moe", _QWEN_MOE),
    "qwen3": Family("Qwen", "qwen3", (_dense, _qwen_window)),
    "qwen3_moe": Family("Qwen", "qwen3moe", _QWEN_MOE),
    "qwen3_next": Family("Qwen", "qwen3next", (*_QWEN_MOE, _gated_deltanet)),
    "gemma": Family("Gemma", "gemma", (_dense,), tied=True),
    "gemma2": Family("Gemma", "gemma2", (_dense, _layered_window(2)), tied=True),
    "gemma3": Family("Gemma", "gemma3", text="gemma3_text"),
    "gemma3_text": Family("Gemma", "gemma3", (_dense, _layered_window(6)), tied=True, defaults=GEMMA3_TEXT_DEFAULTS,
                          harmless=GEMMA3_HARMLESS),
    "phi3": Family("Phi", "phi3", (_dense, _plain_window)),
    "deepseek_v2": Family("DeepSeek", "deepseek2", _DEEPSEEK),
    "deepseek_v3": Family("DeepSeek", "deepseek2", _DEEPSEEK),
    "glm4_moe": Family("GLM", "glm4moe", (_dense, _experts("n_routed_experts", "moe_intermediate_size"), _dense_first,
                                         _mtp_kept)),
    "gpt_oss": Family("gpt-oss", "gpt-oss", (_dense, _experts("num_local_experts"),
                                            _same_as("experts_per_token", "num_experts_per_tok"), _layered_window(2),
                                            _mxfp4_experts), harmless=GPT_OSS_HARMLESS),
    "granite": Family("Granite", "granite", (_dense,), harmless=GRANITE_HARMLESS),
    "granitemoehybrid": Family("Granite", "granitehybrid", (_granite_hybrid,), harmless=GRANITE_HARMLESS),
}  # fmt: skip
