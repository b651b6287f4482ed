"""From a trained run to a published model: ``export`` (a run as a checkpoint folder with its card), ``ship`` (a config
trained, exported and measured) and ``deploy`` (the app and its checkpoints as a Hugging Face Space)."""
