"""The format recommended per device on device pages: quality first among formats that run well."""

from __future__ import annotations

import pytest

from site_builder.build import check
from site_builder.site.views import assemble_site, best_quants

from .conftest import ROOT


@pytest.fixture(scope="module")
def site():
    return assemble_site(check(ROOT / "content"))


def recommended(site, model: str, device: str) -> tuple[str, str]:
    view = next(v for v in site.models if v.slug == model)
    i = next(i for i, d in enumerate(site.content.devices) if d.slug == device)
    quant = best_quants(view)[i]
    return quant, view.sweep.core(quant, view.context, i).tier.letter


@pytest.mark.parametrize(
    "model, device, expected",
    [
        ("llama-3-1-8b-instruct", "rtx-4060", ("Q4_K_M", "A")),  # Q5_K_M would leave too little room
        ("llama-3-1-8b-instruct", "rtx-3090", ("Q8_0", "S")),  # 16-bit formats are never recommended
        ("qwen3-30b-a3b", "rtx-3090", ("Q4_K_M", "A")),  # not Q4_K_S, which would be S: quality first
        ("mixtral-8x7b-instruct", "rtx-3090", ("Q2_K", "S")),  # every 3-bit format leaves under 15% free: B
        ("llama-3-1-70b-instruct", "apple-m4-max-40c-128gb", ("Q4_K_S", "B")),  # none reaches A
        ("deepseek-r1-distill-qwen-14b", "rtx-3060-12gb", ("Q4_K_M", "B")),  # not IQ4_XS (A, Fair quality)
    ],
)
def test_recommended_format(site, model, device, expected):
    assert recommended(site, model, device) == expected
