"""Input components whose API values the app validates itself.

Gradio converts an input before the app sees it, and a string or None in a number field, or an unknown choice, fails
there with "The upstream Gradio app has raised an exception" and a traceback. These components hand such a value on
unconverted, so the app's own checks answer with a message naming the field and the values allowed.
"""

from __future__ import annotations

import gradio as gr


class _Lenient:
    def preprocess(self, payload):
        try:
            return super().preprocess(payload)
        except Exception:  # any conversion failure: the app's checks name the field and the allowed values
            return payload


class Number(_Lenient, gr.Number):
    pass


class Slider(_Lenient, gr.Slider):
    pass


class Dropdown(_Lenient, gr.Dropdown):
    pass
