"""The estimator: (model, format, device, context) -> memory, speed and tier. Pure Python: no files, no templates.

Memory follows what llama.cpp allocates (weights per tensor, KV cache per layer, compute buffer); speed is
bytes moved over calibrated bandwidth plus calibrated per-token costs. `estimate.py` is the entry point for one
case, `sweep.py` grades a model on every device at once with the same arithmetic.
"""
