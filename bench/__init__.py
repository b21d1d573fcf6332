"""Performance figures for Quantization Lab: `python -m bench` (see DESIGN.md budgets)."""
