"""The package's import graph, read with ast: layers point down, no loops, no pipeline imported."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "dpchallenge"
# Bottom to top; a module imports from its own layer or those below. dataset and replica stand
# apart: dataset reads the data folder (and items), replica imports nothing of the crawler.
LAYERS = {
    **dict.fromkeys(("items", "signals", "stopping", "settings", "environment"), 0),
    "pages": 1,
    "data": 2,
    "dataset": 2.5,
    "access": 3,
    **dict.fromkeys(("middlewares", "pipelines", "extensions", "distributed", "addons"), 4),
    "spiders": 5,
    **dict.fromkeys(("commands", "cli", "__main__"), 6),
}
APART = {"replica"}


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every dpchallenge module a file imports, at its top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] == "dpchallenge"}


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    return {module_name(path, package): imports_of(path) for path in sorted(package.rglob("*.py"))}


def group(module: str) -> str:
    """A module's subpackage, or the loose module itself: `data`, `items`."""
    return module.split(".")[1] if "." in module else module


def group_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    groups = defaultdict(set)
    for module, imported in graph.items():
        for name in imported:
            if name.count(".") and group(name) != group(module):
                groups[group(module)].add(group(name))
    return groups


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected set of more than one node (Tarjan's), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in list(edges):
        if node not in index:
            visit(node)
    return found


def test_nothing_imports_a_pipeline_module():
    offenders = {
        module: sorted(n for n in imported if n.startswith("dpchallenge.pipelines."))
        for module, imported in import_graph().items()
        if not module.startswith("dpchallenge.pipelines")
    }
    assert {m: names for m, names in offenders.items() if names} == {}


def test_no_import_loop_between_subpackages():
    assert cycles(group_graph(import_graph())) == []


def test_every_import_points_down_a_layer_or_stays_in_its_own():
    groups = group_graph(import_graph())
    unknown = (set(groups) | {g for targets in groups.values() for g in targets}) - set(LAYERS)
    assert unknown <= APART, f"place {sorted(unknown - APART)} in LAYERS"
    upward = sorted(
        f"{source} -> {target}"
        for source, targets in groups.items()
        for target in targets
        if source in APART or target in APART or LAYERS[target] > LAYERS[source]
    )
    assert upward == []


def test_the_checks_see_a_loop_and_an_arrow_up(tmp_path):
    """The graph reader on a made-up package: it finds what the tests above forbid."""
    package = tmp_path / "dpchallenge"
    for folder in ("data", "pipelines", "distributed"):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text("")
    (package / "data" / "worklist.py").write_text(
        "def f():\n    from dpchallenge.pipelines.media import stored_path\n"
    )
    (package / "pipelines" / "media.py").write_text("from dpchallenge.distributed import x\n")
    (package / "distributed" / "worker.py").write_text(
        "from dpchallenge.data.worklist import known_absent\n"
    )
    groups = group_graph(import_graph(package))
    assert cycles(groups) == [["data", "distributed", "pipelines"]]
    assert "pipelines" in groups["data"] and LAYERS["pipelines"] > LAYERS["data"]
