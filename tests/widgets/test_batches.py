"""A writer's batch, split by metric for the live chart."""

from __future__ import annotations

from nbtrack.widgets.batches import group_points


def test_group_points_splits_a_writer_batch_by_metric_in_order_of_appearance() -> None:
    points = [("r", "loss", i, 1.0 / (i + 1), 0.0) for i in range(3)]
    points += [("r", "acc", 0, 0.5, 0.0), ("r", "loss", 3, 0.2, 0.0)]
    groups = group_points(points)
    assert list(groups) == ["loss", "acc"]
    assert list(groups["loss"][0]) == [0, 1, 2, 3] and list(groups["acc"][1]) == [0.5]
    assert group_points([]) == {}
