"""The URL scheme: every page's site-relative path, in one place (links, the site map and outputs use these)."""

from __future__ import annotations


def model_path(slug: str) -> str:
    return f"models/{slug}/"


def device_path(slug: str) -> str:
    return f"devices/{slug}/"


def pair_path(model: str, device: str) -> str:
    """The model x device page: the verdict, every format and context on that device, commands to run it. A
    file rather than a folder: the catalogue has ~40,000 of them and a folder each costs a third of the write."""
    return f"models/{model}/on/{device}.html"


def pair_api(model: str, device: str) -> str:
    return f"api/models/{model}/on/{device}.json"


def model_api(slug: str) -> str:
    return f"api/models/{slug}.json"


def labels_api(slug: str) -> str:
    """The strings a model's every-setup verdict rows stand for (one per model, read beside a pair document)."""
    return f"api/models/{slug}/labels.json"


def device_api(slug: str) -> str:
    return f"api/devices/{slug}.json"


def quant_path(slug: str, quant: str, default: str) -> str:
    """The model's grid at another format: a file beside the model page, so that the grids' links to the
    model x device pages (relative, `on/<device>.html`) are the same on both and a grid can be swapped in."""
    return model_path(slug) if quant == default else f"models/{slug}/{quant.lower().replace('_', '-')}.html"


def context_path(slug: str, ctx: int, default: int) -> str:
    if ctx == default:
        return model_path(slug)
    return f"models/{slug}/context-{ctx // 1024}k.html" if ctx % 1024 == 0 else f"models/{slug}/context-{ctx}.html"


def pair_link(device: str) -> str:
    """A model x device page from its model's page or grid pages."""
    return f"on/{device}.html"
