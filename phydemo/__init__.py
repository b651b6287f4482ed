"""phydemo: has a video diffusion model learned physics? (Kang et al., 2024, arXiv 2411.02385)."""

__version__ = "0.1.0"
