"""The web app's logic, testable without a browser: the Gradio-free ``Demo``, its sampling queue, the figures and the
input components; ``app.py`` at the repository root holds only the layout and the wiring."""
