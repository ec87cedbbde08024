"""`sparta describe` on the examples: edge labels never print on one another, every
line has one arrowhead, and functions reached by an API's routes say so."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from tests.conftest import EXAMPLES, Cli

from sparta_core.commands.describe_page import label_box


def describe(cli: Cli, tmp_path: Path, example: str, service: str) -> str:
    project = tmp_path / example
    shutil.copytree(EXAMPLES / example, project, ignore=shutil.ignore_patterns(".sparta"))
    cli("-q", "describe", project=project)
    return (project / ".sparta" / f"{service}-describe.html").read_text()


def test_edge_labels_do_not_overlap_and_arrows_have_one_head(cli: Cli, tmp_path: Path) -> None:
    page = describe(cli, tmp_path, "events", "orders")
    labels = re.findall(r'<text x="([\d.]+)" y="([\d.]+)" class="edge-label"[^>]*>([^<]*)<', page)
    assert len(labels) > 10
    boxes = [label_box(float(x), float(y), text) for x, y, text in labels]
    for index, a in enumerate(boxes):
        for b in boxes[index + 1:]:
            overlap = not (a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1])
            assert not overlap, (a, b)
    paths = re.findall(r'<path d="[^"]*" class="edge"([^>]*)/>', page)
    assert paths and all(p.count("marker-") == 1 for p in paths)
    # The queue feeds take_order, whose role may read it: two lines, one each way.
    assert "EventSourceMapping" in [text for _, _, text in labels]


def test_functions_reached_by_routes_name_the_api(cli: Cli, tmp_path: Path) -> None:
    page = describe(cli, tmp_path, "api", "photos")
    rows = re.findall(r"<tr><td>(\w+)</td>.*?<td>([^<]*)</td></tr>", page)
    assert dict(rows) == {"index": "RestAPI", "get_thumb": "RestAPI",
                          "create_thumb": "RestAPI"}
