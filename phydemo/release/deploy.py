"""``phydemo deploy --space <user>/<name>``: create (or update) a Gradio Space and upload only what the app needs.

The Space gets the app, the package, requirements.txt, the shipped checkpoints, the screenshot and a README whose YAML
header configures it. Uploading goes through huggingface_hub, which stores weights and images with LFS/Xet as the
Hub requires (a plain ``git push`` of binaries is refused, and would send the repository's whole history).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from importlib.metadata import version
from pathlib import Path

import yaml
from huggingface_hub import HfApi

from phydemo.errors import DeployError, InputError
from phydemo.report import LICENSE

ROOT = Path(__file__).resolve().parents[2]  # the repository root
SPACE_FILES = ("app.py", "requirements.txt", ".gitattributes", "phydemo/**/*.py", "checkpoints/**/*", "assets/*.png")


def space_metadata(title: str = "phydemo: has a video model learned physics?") -> dict:
    """The Space README's YAML header (https://huggingface.co/docs/hub/spaces-config-reference)."""
    return {"title": title, "emoji": "🎱", "colorFrom": "blue", "colorTo": "red", "sdk": "gradio",
            "sdk_version": version("gradio"), "app_file": "app.py", "pinned": False, "license": LICENSE,
            "short_description": "Has a video diffusion model learned physics? Probe it live."}


def space_files(root: Path = ROOT) -> list[str]:
    """The files the Space needs, relative to the repository root (no tests, runs, data or caches)."""
    found = {p.relative_to(root).as_posix() for pattern in SPACE_FILES for p in root.glob(pattern) if p.is_file()}
    return sorted(f for f in found if "__pycache__" not in f)


def stage_space(folder: Path, root: Path = ROOT) -> list[str]:
    """Copy the Space's files into ``folder`` with its README (YAML header, then the project README)."""
    files = space_files(root)
    for rel in files:
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / rel, folder / rel)
    body = (root / "README.md").read_text()
    (folder / "README.md").write_text(f"---\n{yaml.safe_dump(space_metadata(), sort_keys=False, allow_unicode=True)}---\n\n{body}")
    return files + ["README.md"]


def deploy(space: str, token: str | None = None, private: bool = False, endpoint: str | None = None) -> str:
    """Create the Space if needed and upload the staged files in one commit; returns the Space's address."""
    if not re.fullmatch(r"[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*", space or ""):
        raise InputError("space", space, "<user>/<name>, e.g. alice/phydemo")
    api = HfApi(endpoint=endpoint, token=token)
    with tempfile.TemporaryDirectory() as tmp:
        stage_space(Path(tmp))
        try:
            url = api.create_repo(space, repo_type="space", space_sdk="gradio", exist_ok=True, private=private)
            api.upload_folder(repo_id=space, repo_type="space", folder_path=tmp, commit_message="Deploy phydemo",
                              delete_patterns=["*"])
        except Exception as e:  # network, authentication or Hub errors: all end the command with one clear line
            raise DeployError(f"cannot deploy to the Space {space}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''} "
                              "(check the network, and that HF_TOKEN or `hf auth login` gives write access)") from None
    return str(url)
