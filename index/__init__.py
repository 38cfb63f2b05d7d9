"""Turning articles into a searchable store: load, split, embed, Chroma (via llama-index)."""
