from types import SimpleNamespace

import pytest

from symptoms.charts import trend_build


def _reviews(*totals):
    return [
        SimpleNamespace(total=t, band="x", session_id=None if i == 0 else i, submitted_at=None)
        for i, t in enumerate(totals)
    ]


def test_change_from_baseline_response_and_remission():
    trend = trend_build(_reviews(20, 12, 4))
    assert trend.baseline == 20 and trend.latest == 4 and trend.change == -16
    assert trend.response is True
    assert trend.remission is True


def test_a_fall_of_less_than_half_is_not_a_response():
    trend = trend_build(_reviews(20, 11))
    assert trend.response is False
    assert trend.remission is False


def test_a_fall_of_exactly_half_is_a_response():
    assert trend_build(_reviews(20, 10)).response is True


def test_a_baseline_alone_is_neither_response_nor_remission():
    trend = trend_build(_reviews(3))
    assert trend.change is None and trend.response is False and trend.remission is False


def test_points_sit_higher_for_higher_totals():
    trend = trend_build(_reviews(27, 0))
    assert trend.points[0]["y"] < trend.points[1]["y"]


@pytest.mark.parametrize("totals", [(), (5,)])
def test_it_copes_with_no_or_one_point(totals):
    assert len(trend_build(_reviews(*totals)).points) == len(totals)
