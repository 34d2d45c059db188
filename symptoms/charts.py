"""A PHQ-9 trend chart as plain SVG numbers, drawn by a template: no JavaScript, and
every point also in a text summary and a data table (never colour alone)."""

from __future__ import annotations

from dataclasses import dataclass

from symptoms.phq9 import BANDS, REMISSION_BELOW, RESPONSE_FALL

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 24, 16, 48
MAX_TOTAL = 27


@dataclass(frozen=True)
class Trend:
    points: list[dict]
    band_lines: list[dict]
    polyline: str
    baseline: int | None
    latest: int | None
    change: int | None
    response: bool
    remission: bool


def _y(total: int) -> float:
    return round(TOP + (HEIGHT - TOP - BOTTOM) * (1 - total / MAX_TOTAL), 1)


def trend_build(reviews: list) -> Trend:
    """Points for a list of SymptomReview rows in time order."""
    plot_width = WIDTH - LEFT - RIGHT
    count = len(reviews)
    points = []
    review_number = 0
    for index, review in enumerate(reviews):
        if review.session_id is not None:
            review_number += 1
        x = LEFT + (plot_width / 2 if count == 1 else plot_width * index / (count - 1))
        points.append(
            {
                "x": round(x, 1),
                "y": _y(review.total),
                "total": review.total,
                "band": review.band,
                "label": "Baseline" if review.session_id is None else f"Review {review_number}",
                "date": review.submitted_at,
                "review": review,
            }
        )
    band_lines = [{"y": _y(upper), "label": f"{band} (up to {upper})", "upper": upper} for upper, band in BANDS[:-1]]
    baseline = next((r.total for r in reviews if r.session_id is None), None)
    latest = reviews[-1].total if reviews else None
    change = latest - baseline if baseline is not None and latest is not None and len(reviews) > 1 else None
    response = bool(baseline and change is not None and -change >= baseline * RESPONSE_FALL)
    remission = latest is not None and len(reviews) > 1 and latest < REMISSION_BELOW
    return Trend(
        points=points,
        band_lines=band_lines,
        polyline=" ".join(f"{p['x']},{p['y']}" for p in points),
        baseline=baseline,
        latest=latest,
        change=change,
        response=response,
        remission=remission,
    )


CHART = {"width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT, "top": TOP, "bottom": HEIGHT - BOTTOM,
         "y0": _y(0), "y27": _y(27)}
