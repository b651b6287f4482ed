"""Every table, card and message built from measured results, in one place: ``tables`` (the command line),
``messages`` (the app) and ``cards`` (model cards)."""

from phydemo.report.cards import CLEAN, LICENSE, SCENARIO_TITLES, card_metadata, write_card
from phydemo.report.messages import (
    PAPER,
    TERMS,
    distribution_status,
    finding_markdown,
    lab_markdown,
    measured_text,
    merged_labels,
    nearest_markdown,
    prediction_markdown,
    rollout_markdown,
)
from phydemo.report.tables import (
    BREAKDOWNS,
    OOD_NAMES,
    breakdowns,
    format_autoencoder_floor,
    format_bias,
    format_by_radius,
    format_comparison,
    format_lab_comparison,
    format_lab_summary,
    format_parse_floor,
    format_table,
    result_sets,
    summary_lines,
)

__all__ = ["nearest_markdown", "prediction_markdown", "breakdowns", "OOD_NAMES", "result_sets", "format_bias", "format_by_radius", "BREAKDOWNS", "format_table", "format_parse_floor", "format_comparison", "format_lab_comparison", "summary_lines", "format_lab_summary", "format_autoencoder_floor", "PAPER", "TERMS", "measured_text", "merged_labels", "distribution_status", "rollout_markdown", "lab_markdown", "finding_markdown", "SCENARIO_TITLES", "LICENSE", "CLEAN", "card_metadata", "write_card"]
