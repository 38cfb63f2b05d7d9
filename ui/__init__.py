"""The Gradio app: a thin front over ``qa``."""
