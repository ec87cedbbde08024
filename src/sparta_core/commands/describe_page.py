"""``sparta describe``: the service as one self-contained HTML page.

The page draws the service as a graph — event sources and components' edges (API
routes...) on the left, functions in the middle, the stack's other resources on the
right — as inline SVG, followed by a table of the functions and the marshalled template.
It needs no network and no JavaScript, so it can be attached to a review or opened from
a CI artifact.

Edges come from two places: the model (each function's ``events``, each component's
``edges()``) and the template
(which resources a function's properties and role refer to, and which resources refer to
both a function and another resource, as event source mappings and permissions do).
That way event source and component kinds added by plugins are drawn without this
module knowing them.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from sparta_core.engine.context import ProvisionContext
from sparta_core.engine.template import Template, referenced_ids

BOX_WIDTH = 230
BOX_HEIGHT = 54
ROW_GAP = 22
COLUMN_X = (20, 300, 800)


@dataclass
class Graph:
    """Nodes by column and the edges between them (node ids are unique strings)."""

    sources: dict[str, str] = field(default_factory=dict)
    functions: dict[str, str] = field(default_factory=dict)
    resources: dict[str, str] = field(default_factory=dict)
    edges: set[tuple[str, str, str]] = field(default_factory=set)


def build_graph(ctx: ProvisionContext, template: Template) -> Graph:
    from sparta_core.stages.marshall.functions import function_ids

    graph = Graph()
    owned: dict[str, str] = {}  # generated resource id -> function node id
    for function in ctx.service.functions.values():
        ids = function_ids(function)
        node = ids["function"]
        graph.functions[node] = (
            f"{function.key}|{function.memory_size} MB, {function.timeout} s, "
            f"{ctx.service.architecture_of(function)}"
        )
        for generated in (ids["function"], ids["role"], ids["log_group"]):
            owned[generated] = node
        for index, event in enumerate(function.events):
            source = f"{node}-source-{index}"
            graph.sources[source] = f"{type(event).__name__}|{event.describe()}"
            graph.edges.add((source, node, ""))
    component_owned = _add_components(ctx, template, graph)
    declared = set(ctx.service.resources)
    functions_of = {
        logical_id: {owned[ref] for ref in referenced_ids(resource) if ref in owned}
        for logical_id, resource in template.resources.items()
        if logical_id not in owned and logical_id not in component_owned
    }
    # Resources sparta adds to wire a function (mappings, permissions, subscriptions,
    # custom resources and their providers) are drawn as labelled edges, not boxes;
    # what the user declared, or a plugin added, is a box.
    wiring = {
        logical_id for logical_id, functions in functions_of.items()
        if logical_id not in declared and (functions or _internal(template, logical_id))
    }
    for logical_id, resource in template.resources.items():
        if logical_id in functions_of and logical_id not in wiring:
            graph.resources[logical_id] = f"{logical_id}|{resource['Type']}"
    for logical_id, resource in template.resources.items():
        targets = set(referenced_ids(resource)) & set(graph.resources)
        if logical_id in owned:
            for target in targets:
                graph.edges.add((owned[logical_id], target, "uses"))
        elif logical_id in graph.resources:
            for function_node in functions_of[logical_id]:
                graph.edges.add((logical_id, function_node, "invokes"))
        elif logical_id in wiring:
            label = resource["Type"].rsplit("::", 1)[-1]
            for target in targets:
                for function_node in functions_of[logical_id]:
                    graph.edges.add((target, function_node, label))
    return graph


def _internal(template: Template, logical_id: str) -> bool:
    """Added by sparta for a function (an event source's resources) or for itself."""
    owner = template.owner_of(logical_id) or ""
    return owner.startswith(("function '", "sparta's"))


def _add_components(ctx: ProvisionContext, template: Template, graph: Graph) -> set[str]:
    """Draw each component's edges (an API's routes...) as sources with an edge to their
    function; return the template resources of the components that have edges, which
    those sources stand for (a box per method and path part would only repeat them).
    A component without edges (a site) keeps its resources as boxes."""
    from sparta_core.stages.marshall.functions import function_ids

    standing_for: set[str] = set()
    for number, component in enumerate(ctx.service.components):
        edges = component.edges(ctx.service)
        for index, (label, function) in enumerate(edges):
            node = f"component-{number}-{index}"
            graph.sources[node] = f"{label}|{component.describe()}"
            graph.edges.add((node, function_ids(function)["function"], ""))
        if edges:
            standing_for.add(component.what)
    return {
        logical_id for logical_id in template.resources
        if template.owner_of(logical_id) in standing_for
    }


def reached_by(ctx: ProvisionContext) -> dict[str, list[str]]:
    """Function key -> the kinds (class names) of the components that invoke it."""
    found: dict[str, list[str]] = {}
    for component in ctx.service.components:
        for function in component.functions(ctx.service):
            kinds = found.setdefault(function.key, [])
            if type(component).__name__ not in kinds:
                kinds.append(type(component).__name__)
    return found


def _positions(graph: Graph) -> dict[str, tuple[int, int]]:
    positions: dict[str, tuple[int, int]] = {}
    for x, column in zip(COLUMN_X, (graph.sources, graph.functions, graph.resources), strict=True):
        for row, node in enumerate(column):  # declaration order
            positions[node] = (x, 40 + row * (BOX_HEIGHT + ROW_GAP))
    return positions


def render_svg(graph: Graph) -> str:
    positions = _positions(graph)
    labels = {**graph.sources, **graph.functions, **graph.resources}
    rows = max(len(graph.sources), len(graph.functions), len(graph.resources), 1)
    height = 60 + rows * (BOX_HEIGHT + ROW_GAP)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{COLUMN_X[2] + BOX_WIDTH + 20}" '
        f'height="{height}" role="img" aria-label="service graph">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="#555"/></marker></defs>',
    ]
    for x, title in zip(COLUMN_X, ("event sources", "functions", "resources"), strict=True):
        parts.append(f'<text x="{x}" y="22" class="column">{title}</text>')
    # One line per pair of boxes and direction, whatever the number of relations: the
    # labels are joined, and a pair related both ways gets two lines, side by side, each
    # with one arrowhead (a line with a head at both ends says nothing about direction).
    lines: dict[tuple[str, str], set[str]] = {}
    for source, target, label in graph.edges:
        if source in positions and target in positions and source != target:
            labels_of = lines.setdefault((source, target), set())
            if label:
                labels_of.add(label)
    placed: list[tuple[float, float, float, float]] = []
    for (source, target), labels_of in sorted(lines.items()):
        both_ways = (target, source) in lines
        left, right = sorted((source, target), key=lambda node: (positions[node], node))
        (x1, y1), (x2, y2) = positions[left], positions[right]
        start_x = x1 + BOX_WIDTH if x1 < x2 else x1
        end_x = x2 if x1 < x2 else x2 + BOX_WIDTH
        bend = 0
        if x1 == x2:  # same column: loop out to the right
            start_x, end_x, bend = x1 + BOX_WIDTH, x2 + BOX_WIDTH, 40
        shift = (-6 if source == left else 6) if both_ways else 0
        ya, yb = y1 + BOX_HEIGHT // 2 + shift, y2 + BOX_HEIGHT // 2 + shift
        middle = (start_x + end_x) / 2 + bend
        head = "end" if target == right else "start"
        parts.append(
            f'<path d="M {start_x} {ya} C {middle} {ya}, {middle} {yb}, {end_x} {yb}" '
            f'class="edge" marker-{head}="url(#arrow)"/>'
        )
        if labels_of:
            text = " · ".join(sorted(labels_of))
            curve = ((start_x, ya), (middle, ya), (middle, yb), (end_x, yb))
            x, y = _label_position(curve, text, placed)
            parts.append(
                f'<text x="{x:.1f}" y="{y:.1f}" class="edge-label" '
                f'text-anchor="middle">{html.escape(text)}</text>'
            )
    for node, (x, y) in positions.items():
        title, _, subtitle = labels[node].partition("|")
        kind = (
            "function" if node in graph.functions
            else "source" if node in graph.sources else "resource"
        )
        parts.append(
            f'<g class="{kind}"><rect x="{x}" y="{y}" width="{BOX_WIDTH}" height="{BOX_HEIGHT}" '
            f'rx="8"/><text x="{x + 10}" y="{y + 22}" class="title">'
            f"{html.escape(_fit(title, 25))}</text>"
            f'<text x="{x + 10}" y="{y + 40}" class="subtitle">{html.escape(_fit(subtitle, 36))}'
            f"</text><title>{html.escape(labels[node])}</title></g>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


#: Where along its line a label may sit (fractions of the curve), best first.
LABEL_STOPS = (0.5, 0.35, 0.65, 0.2, 0.8, 0.1, 0.9)
#: The size of a label's character at the page's 10px font, for collision checks.
CHAR_WIDTH, LABEL_HEIGHT = 5.6, 11.0


def label_box(x: float, y: float, text: str) -> tuple[float, float, float, float]:
    """The box (left, top, right, bottom) a centred label at ``x``, ``y`` covers."""
    half = len(text) * CHAR_WIDTH / 2
    return (x - half, y - LABEL_HEIGHT + 2, x + half, y + 2)


def _label_position(
    curve: tuple[tuple[float, float], ...], text: str,
    placed: list[tuple[float, float, float, float]],
) -> tuple[float, float]:
    """A point on ``curve`` (a cubic Bézier) where ``text`` overlaps no label already
    ``placed`` (many lines cross the middle of the gap between two columns, so
    midpoints alone collide), just above the line; the box is added to ``placed``."""

    def point(t: float) -> tuple[float, float]:
        (ax, ay), (bx, by), (cx, cy), (dx, dy) = curve
        u = 1 - t
        return (u**3 * ax + 3 * u * u * t * bx + 3 * u * t * t * cx + t**3 * dx,
                u**3 * ay + 3 * u * u * t * by + 3 * u * t * t * cy + t**3 * dy - 3)

    def clear(box: tuple[float, float, float, float]) -> bool:
        return all(box[2] <= o[0] or o[2] <= box[0] or box[3] <= o[1] or o[3] <= box[1]
                   for o in placed)

    candidates = [point(t) for t in LABEL_STOPS]
    # Then the same stops, a line's height lower and higher.
    candidates += [(x, y + dy) for dy in (LABEL_HEIGHT + 1, -LABEL_HEIGHT - 1)
                   for x, y in candidates[: len(LABEL_STOPS)]]
    chosen = next((c for c in candidates if clear(label_box(*c, text))), candidates[0])
    placed.append(label_box(*chosen, text))
    return chosen


def _fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, with an ellipsis when cut (the box's
    tooltip keeps the whole of it)."""
    return text if len(text) <= width else text[: width - 1] + "…"


STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
h1 { margin-bottom: 0; } .description { color: #555; margin-top: .3rem; }
svg { border: 1px solid #ddd; border-radius: 8px; background: #fcfcfc; max-width: 100%; }
rect { stroke-width: 1.5; } .function rect { fill: #e8f0fe; stroke: #3367d6; }
.source rect { fill: #fef7e0; stroke: #e37400; } .resource rect { fill: #e6f4ea; stroke: #188038; }
.title { font-size: 14px; font-weight: 600; } .subtitle { font-size: 11px; fill: #555; }
.column { font-size: 12px; fill: #777; text-transform: uppercase; letter-spacing: .05em; }
.edge { fill: none; stroke: #555; stroke-width: 1.3; } .edge-label { font-size: 10px; fill: #555; }
table { border-collapse: collapse; margin: 1rem 0; } td, th { border: 1px solid #ddd;
padding: .3rem .6rem; text-align: left; font-size: 14px; }
pre { background: #f6f8fa; padding: 1rem; overflow: auto; font-size: 12px; border-radius: 8px; }
"""


def flattened(template: Template) -> Template:
    """Every resource of ``template`` and its nested stacks in one template (the stack
    resources left out), with their owners: the service as drawn, wherever the split
    put each resource."""
    if not template.nested:
        return template
    flat = Template()
    for _, stack in template.stacks():
        for logical_id, resource in stack.resources.items():
            if logical_id not in stack.nested:
                flat.place_resource(logical_id, resource, stack.owner_of(logical_id) or "")
    return flat


def render_page(ctx: ProvisionContext, template: Template) -> str:
    """The whole HTML page for the service and its marshalled ``template`` (nested
    stacks included: the graph shows every resource, the template section every
    stack's template)."""
    service = ctx.service
    stacks = list(template.stacks())
    template = flattened(template)
    rows = []
    components = reached_by(ctx)
    for function in service.functions.values():
        kinds = [type(event).__name__ for event in function.events]
        events = ", ".join(kinds + components.get(function.key, [])) or "-"
        role = (
            function.existing_role
            or ("generated + privileges" if function.role is not None else "generated")
        )
        rows.append(
            "<tr>"
            + "".join(
                f"<td>{html.escape(str(cell))}</td>"
                for cell in (
                    function.key, function.handler, service.physical_name(function),
                    function.memory_size, function.timeout,
                    service.architecture_of(function), role, events,
                )
            )
            + "</tr>"
        )
    headers = "".join(
        f"<th>{h}</th>" for h in (
            "function", "handler", "Lambda name", "MB", "timeout (s)", "arch", "role", "events",
        )
    )
    body = "\n".join(
        (f"// nested stack {logical_id}\n" if logical_id else "") + stack.to_json()
        for logical_id, stack in stacks
    )
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(service.name)} · sparta</title><style>{STYLE}</style></head><body>"
        f"<h1>{html.escape(service.name)}</h1>"
        f"<p class=\"description\">{html.escape(service.description)}</p>"
        f"<p>{len(service.functions)} function(s) · runtime {html.escape(service.runtime)} · "
        f"{len(template.resources)} resources</p>"
        f"{render_svg(build_graph(ctx, template))}"
        f"<h2>Functions</h2><table><tr>{headers}</tr>{''.join(rows)}</table>"
        f"<h2>Template</h2><pre>{html.escape(body)}</pre>"
        "</body></html>\n"
    )
