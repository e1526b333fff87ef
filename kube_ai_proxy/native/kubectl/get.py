"""`kubectl get`, answered by the API server directly.

Tables come from the API server's own Table rendering (`Accept: ...;as=Table`), the same
columns kubectl prints; `-o json|yaml|name` come from the objects. Lists are paged
(`--chunk-size`, 500 by default, as kubectl) and paging stops once the output budget is spent.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from adapters.errors import BackendError
from adapters.kubernetes import JSON, TABLE, KubeAPI, Resource, TooLarge
from kube_ai_proxy.errors import Defer
from kube_ai_proxy.gofmt.tabwriter import row_lines
from kube_ai_proxy.gofmt.text import go_upper
from kube_ai_proxy.gofmt.yaml import go_yaml
from kube_ai_proxy.native.base import ANY, SWITCH, FlagRule, NativeAnswer, NativeContext, serves
from kube_ai_proxy.native.kubectl.apimachinery import format_labels
from kube_ai_proxy.native.kubectl.printers import (
    cell_text,
    json_text,
    kind_prefix,
    list_object,
    tabwrite_prefix,
)
from kube_ai_proxy.output.budget import (
    LIST_HAS_MORE,
    Cut,
    cut_after_lines,
    cut_lines,
    first_lines_fit,
    print_growing,
    rest_hint,
)
from kube_ai_proxy.output.redact import redact_object
from kube_ai_proxy.parse.command import CliCommand
from kube_ai_proxy.result import ErrorCode

FLAGS = {
    "namespace": ANY,
    "all-namespaces": SWITCH,
    "selector": ANY,
    "field-selector": ANY,
    "output": FlagRule(frozenset({None, "", "wide", "json", "yaml", "name"})),
    "show-labels": SWITCH,
    "no-headers": SWITCH,
    "show-kind": SWITCH,
    "ignore-not-found": SWITCH,
    "chunk-size": ANY,
    "label-columns": ANY,
    "context": ANY,
    "server-print": SWITCH,
    "show-managed-fields": SWITCH,
}


def can_serve(command: CliCommand) -> bool:
    if command.verb != ("get",) or not command.args or not serves(command, FLAGS):
        return False
    args = command.args
    if all("/" in a for a in args):
        # kubectl refuses `a/b/c`, `/name`, `pod/` and `pods,svc/name` in its own words.
        return all(_is_tuple(a) for a in args)
    if any("/" in a for a in args):
        return False  # TYPE/NAME forms must not mix with TYPE NAME forms (kubectl refuses that)
    # An empty type (`pods,` or `,pods`) is kubectl's to report.
    return all(args[0].split(","))


def _is_tuple(arg: str) -> bool:
    kind, _, name = arg.partition("/")
    return bool(kind) and bool(name) and "/" not in name and "," not in kind


@dataclass
class _Section:
    """One resource type's share of the answer."""

    resource: Resource
    table: dict[str, Any] | None = None  # merged Table pages
    objects: list[dict[str, Any]] = field(default_factory=list)
    more: bool = False  # paging stopped at the budget with pages left
    size: int = 0  # characters fetched so far, roughly what printing them takes


@dataclass
class _Request:
    command: CliCommand
    ctx: NativeContext
    api: KubeAPI
    output: str
    all_namespaces: bool

    def namespace_for(self, resource: Resource) -> str | None:
        if not resource.namespaced or self.all_namespaces:
            return None
        return self.ctx.namespace

    @property
    def row_objects(self) -> bool:
        """Whether a table's rows need their objects' metadata: for the NAMESPACE column of
        -A and for labels (-L, --show-labels). Asked without them, a Table is an eighth of
        the bytes (no managedFields with each row), and decoding it is far cheaper."""
        command = self.command
        return (
            self.all_namespaces
            or command.bool_flag("show-labels")
            or any(command.values("label-columns"))
        )

    def query(self) -> list[tuple[str, Any]]:
        query: list[tuple[str, Any]] = []
        for flag, param in (("selector", "labelSelector"), ("field-selector", "fieldSelector")):
            value = self.command.value(flag)
            if value:
                query.append((param, value))
        return query


@dataclass(frozen=True)
class _Target:
    kind: str
    names: list[str]
    # kubectl expands categories (`all`) in the TYPE [NAME...] form only (ReplaceAliases);
    # a TYPE/NAME pair names one type.
    expands: bool


def _targets(args: Sequence[str]) -> list[_Target]:
    """What kubectl's resource builder visits, in its order: TYPE/NAME arguments one by one
    as given (not grouped by type: `pod/a svc/b pod/c` prints three tables);
    `TYPE1,TYPE2 NAME...` as the TYPE/NAME pairs it stands for (normalizeMultipleResourcesArgs);
    otherwise each type of the list. A type repeated letter for letter counts once
    (SplitResourceArgument)."""
    if "/" in args[0]:
        return [_Target(kind, [name], False) for kind, _, name in (a.partition("/") for a in args)]
    kinds = list(dict.fromkeys(args[0].split(",")))
    names = list(args[1:])
    if names and len(kinds) > 1:
        return [_Target(kind, [name], False) for kind in kinds for name in names]
    return [_Target(kind, names, True) for kind in kinds]


async def _resolve(api: KubeAPI, target: _Target) -> list[Resource]:
    if target.expands:
        # A category wins over a resource of the same name, as in kubectl.
        members = (await api.discovery()).by_category(target.kind)
        if members:
            if target.names:
                raise Defer('kubectl\'s own error: "you must specify only one resource"')
            return members
    try:
        return [await api.resolve(target.kind)]
    except BackendError as exc:
        if exc.code == "not_found" and "resource type" in exc.message:
            # kubectl names the part before the first dot (schema.ParseResourceArg).
            kind = target.kind.partition(".")[0]
            raise BackendError(
                "not_found", f'the server doesn\'t have a resource type "{kind}"'
            ) from None
        raise


def _gvk(resource: Resource) -> tuple[str, str, str]:
    return (resource.group, resource.version, resource.kind)


async def native_get(command: CliCommand, ctx: NativeContext) -> NativeAnswer:
    output = command.value("output") or ""
    api = await ctx.kube()
    request = _Request(command, ctx, api, output, command.bool_flag("all-namespaces"))
    sections: list[_Section] = []
    listed: set[tuple[str, str, str]] = set()
    errors: list[str] = []
    error_code: ErrorCode | None = None
    try:
        for target in _targets(command.args):
            for resource in await _resolve(api, target):
                if not target.names:
                    # The builder keeps one list per group/version/kind (`all,pods`, `po,pods`).
                    if _gvk(resource) in listed:
                        continue
                    listed.add(_gvk(resource))
                elif request.all_namespaces and resource.namespaced:
                    raise Defer(
                        "kubectl's own error: "
                        '"a resource cannot be retrieved by name across all namespaces"'
                    )
                section = _section_for(sections, resource, target)
                missing = await _fetch(request, section, target.names)
                if missing and not command.bool_flag("ignore-not-found"):
                    errors += [
                        f'Error from server (NotFound): {resource.qualified} "{n}" not found'
                        for n in missing
                    ]
                    error_code = "not_found"
    except BackendError as exc:
        if exc.code == "not_found" and "resource type" in exc.message:
            return NativeAnswer("", None, 1, f"error: {exc.message}", "not_found")
        prefix = {"rbac_denied": "Error from server (Forbidden): "}.get(exc.code, "")
        return NativeAnswer("", None, 1, prefix + exc.message, exc.code)
    answer = _render(request, sections)
    if any(s.more for s in sections) and not answer.truncated:
        answer = NativeAnswer(
            answer.output,
            answer.data,
            stderr=answer.stderr,
            truncated=True,
            next=rest_hint(LIST_HAS_MORE, "narrow it with -l, --field-selector or a name"),
        )
    if errors:
        stderr = "\n".join(errors)
        return NativeAnswer(
            answer.output, answer.data, 1, stderr, error_code, answer.truncated, answer.next
        )
    return answer


def _section_for(sections: list[_Section], resource: Resource, target: _Target) -> _Section:
    """The section a target's objects go to. kubectl prints consecutive objects of one
    resource with one printer: one header, one set of column widths. A named object joins the
    last section that holds anything (a missing name prints nothing and starts nothing) when
    that one is of its resource."""
    if target.names:
        filled = [s for s in sections if s.table is not None or s.objects]
        if filled and filled[-1].resource == resource:
            return filled[-1]
    section = _Section(resource)
    sections.append(section)
    return section


async def _fetch(request: _Request, section: _Section, names: list[str]) -> list[str]:
    """Fill the section; return the names that were not found."""
    api = request.api
    resource = section.resource
    accept = TABLE if request.output in ("", "wide") else JSON
    namespace = request.namespace_for(resource)
    missing: list[str] = []
    if names:
        for name in names:
            try:
                body = await api.request(
                    "GET", resource.path(namespace, name), accept=accept, trim=_lean_rows
                )
            except BackendError as exc:
                if exc.code == "not_found":
                    missing.append(name)
                    continue
                raise
            _add(section, body)
        return missing
    given = request.command.value("chunk-size")
    chunk = int(given or 500) or 500
    # Objects print at a few KB each, so the budget holds a few dozen of them: -o json|yaml
    # pages start at 50 and grow fourfold up to the chunk size, rather than fetching and
    # decoding 500 objects (megabytes) to print 15. Page sizes do not change the output.
    # A Table row with its object's metadata decodes to about 10 KB (managedFields and all,
    # until `_lean_rows` drops them): pages of 100 such rows keep that to a megabyte at a time.
    object_rows = accept == TABLE and request.row_objects and not given
    largest = min(_OBJECT_ROWS, chunk) if object_rows else chunk
    page = largest if given or request.output not in ("json", "yaml") else min(50, chunk)
    token = ""
    objects = [] if accept == JSON or request.row_objects else [("includeObject", "None")]
    while True:
        query = [*request.query(), *objects, ("limit", page)]
        if token:
            query.append(("continue", token))
        try:
            body = await api.request(
                "GET",
                resource.path(namespace),
                query=query,
                accept=accept,
                max_bytes=_PAGE_BYTES,
                trim=_lean_rows,
            )
        except TooLarge:
            if page == 1:
                raise
            # Large objects: the same page again, with fewer of them.
            page = max(page // 8, 1)
            continue
        page = min(page * 4, largest)
        _add(section, body, list_kind=resource.kind, budget=request.ctx.budget)
        token = (body.get("metadata") or {}).get("continue") or ""
        if not token:
            return missing
        if section.size > request.ctx.budget:
            # What is held already overflows the budget: the rest would only be cut.
            section.more = True
            return missing


# The rows of a Table page whose rows carry their objects' metadata (-A, labels).
_OBJECT_ROWS = 100

# The most a page of a list may take, read: a page of large objects (ConfigMaps of a megabyte)
# is asked for again with fewer of them, so memory stays bounded whatever the list holds.
_PAGE_BYTES = 8 * 1024 * 1024


def _lean_rows(body: Any) -> Any:
    """A Table whose rows' objects keep only what _table_rows reads: the rest of their
    metadata (managedFields and all: a page of 500 pods decodes to 5 MB, 0.4 MB without the
    objects) is dropped as each page is decoded, before another is (KubeAPI.request's `trim`),
    rather than held with every page until the answer is printed."""
    if not isinstance(body, dict) or body.get("kind") != "Table":
        return body
    for row in body.get("rows") or []:
        meta = (row.get("object") or {}).get("metadata")
        if isinstance(meta, dict):
            kept = {k: meta[k] for k in ("name", "namespace", "labels") if k in meta}
            row["object"] = {"metadata": kept}
    return body


def _add(
    section: _Section, body: dict[str, Any], list_kind: str | None = None, budget: int = 0
) -> None:
    if body.get("kind") == "Table":
        if section.table is None:
            section.table = {"columnDefinitions": body.get("columnDefinitions", []), "rows": []}
        rows = body.get("rows") or []
        section.table["rows"].extend(rows)
        section.size += sum(len(str(c)) + 3 for row in rows for c in row.get("cells", ()))
    elif "items" in body and list_kind is not None:
        version = body.get("apiVersion", section.resource.group_version)
        for item in body["items"]:
            # Items of a list carry no kind; kubectl fills it in.
            section.objects.append({"apiVersion": version, "kind": list_kind, **item})
        # Sized item by item, and only until the budget is passed: paging stops there anyway,
        # and encoding a whole 500-item page just to measure it cost more than fetching it.
        for item in body["items"]:
            if section.size > budget:
                break
            section.size += len(json.dumps(item))
    else:
        section.objects.append(body)


def _render(request: _Request, sections: list[_Section]) -> NativeAnswer:
    ctx = request.ctx
    if request.output in ("json", "yaml"):
        objects = [o for s in sections for o in s.objects]
        note = _empty_note(request, sections, objects)
        if len(objects) == 1 and _single_named(request.command):
            value = _printable(request, objects[0])
            text = json_text(value) if request.output == "json" else go_yaml(value)
            return _budgeted(text, value, ctx.budget, note)
        text, listed = _list_text(request, objects)
        return _budgeted(text, listed, ctx.budget, note, objects=True)
    if request.output == "name":
        lines = [
            f"{kind_prefix(s.resource.kind, s.resource.group)}/{o['metadata']['name']}"
            for s in sections
            for o in s.objects
        ]
        text = "".join(line + "\n" for line in lines)
        return _budgeted(text, {"names": lines}, ctx.budget, _empty_note(request, sections, lines))
    return _render_tables(request, sections)


def _printable(request: _Request, obj: dict[str, Any]) -> dict[str, Any]:
    if not request.command.bool_flag("show-managed-fields"):
        obj = _without_managed_fields(obj)
    return obj if request.ctx.allow_secrets else redact_object(obj)


# Where the items of a printed List end: JSON closes the array at indentation 4 (items are
# indented 8 and strings hold no raw newline); YAML goes on with the `kind` key at column 0.
_ITEMS_END = {"json": "\n    ]", "yaml": "\nkind: List\n"}


def _list_text(request: _Request, objects: list[dict[str, Any]]) -> tuple[str, Any]:
    """The List kubectl prints for `objects`, and the value printed (None when cut short).

    Printing (and redacting) a long list whole only to cut it to the budget was most of the
    time of `-o json|yaml` on big lists, so the first k items are printed, k doubling, until
    the printed items alone run past the budget. Up to the end of its last item the text is
    the whole list's, character for character (only what follows differs), so whatever the
    budget keeps is exactly what kubectl prints."""
    render = json_text if request.output == "json" else go_yaml
    marker = _ITEMS_END[request.output]
    printable: list[dict[str, Any]] = []

    def print_first(count: int) -> tuple[str, dict[str, Any]]:
        # Each object is made printable (and redacted) once, however often the list is printed.
        printable.extend(_printable(request, o) for o in objects[len(printable) : count])
        value = list_object(printable)
        return render(value), value

    def items_end(text: str) -> int:
        return text.rfind(marker) + (1 if request.output == "yaml" else 0)

    (text, value), whole = print_growing(
        len(objects),
        print_first,
        lambda printed: items_end(printed[0]) > request.ctx.budget,
        first=_items_past(objects, request.ctx.budget),
    )
    return (text, value) if whole else (text[: items_end(text)], None)


def _items_past(objects: list[dict[str, Any]], budget: int) -> int:
    """How many of the first objects it takes for their compact JSON to pass the budget, up to
    the 16 printing starts with: printed, they pass it too, so one printing is enough. Large
    objects (a ConfigMap of a megabyte) were printed 16 at a time only to be cut."""
    size = 0
    for count, obj in enumerate(objects[:16], start=1):
        size += len(json.dumps(obj))
        if size > budget:
            return count
    return 16


def _without_managed_fields(obj: dict[str, Any]) -> dict[str, Any]:
    """kubectl hides metadata.managedFields unless --show-managed-fields."""
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict) or "managedFields" not in metadata:
        return obj
    return {**obj, "metadata": {k: v for k, v in metadata.items() if k != "managedFields"}}


def _single_named(command: CliCommand) -> bool:
    """One object asked for by name prints as itself, not as a List."""
    args = command.args
    if "/" in args[0]:
        return len(args) == 1
    return len(args) == 2 and len(set(args[0].split(","))) == 1


@dataclass
class _Rows:
    """The tables as data (DESIGN, "The result": `data`), and where each row ends in the text.
    The data of an answer holds the rows its text keeps whole, and of those no more than fit
    the budget as JSON: the budget bounds what a call holds and sends, not only what a model
    reads."""

    tables: list[dict[str, Any]] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)  # the line of the text each row ends on
    # Characters of the JSON of each table without its rows, and of each row.
    heads: list[int] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    before: int = 0  # the lines of the text above the first row

    def add(self, table: dict[str, Any], ends: list[int], before: int) -> None:
        """A table with rows, the lines they end on, and the lines of the text above them."""
        if not self.tables:
            self.before = before
        self.tables.append(table)
        self.heads.append(_json_size({**table, "rows": []}))
        self.sizes += [_json_size(row) for row in table["rows"]]
        self.ends += ends

    def fitting(self, budget: int) -> int:
        """How many rows, in order, fit `budget` characters of JSON with their tables."""
        size = len('{"tables":[]}')
        count = 0
        for index, (table, head) in enumerate(zip(self.tables, self.heads, strict=True)):
            size += head + (index > 0)  # a comma before every table but the first
            rows = self.sizes[count : count + len(table["rows"])]
            for place, row_size in enumerate(rows):
                size += row_size + (place > 0)
                if size > budget:
                    return count
                count += 1
        return count

    def data(self, count: int) -> dict[str, Any]:
        """The data of the first `count` rows: their tables, each with its rows among them."""
        tables = []
        for table in self.tables:
            if count <= 0:
                break
            tables.append({**table, "rows": table["rows"][:count]})
            count -= len(table["rows"])
        return {"tables": tables}

    def end_of(self, count: int) -> int:
        """The lines of the text that show the first `count` rows."""
        return self.ends[count - 1] if count else self.before


def _json_size(value: Any) -> int:
    """Characters of `value` as JSON, written as a result is sent (compact, not ASCII-only)."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


def _render_tables(request: _Request, sections: list[_Section]) -> NativeAnswer:
    command = request.command
    filled = [s for s in sections if s.table and s.table["rows"]]
    # kubectl prefixes names with their kind when what it fetched spans several kinds, an
    # empty list counting as fetched (multipleGVKsRequested): `get all` in a namespace that
    # holds only a service prints `service/kubernetes`.
    fetched = {_gvk(s.resource) for s in sections if s.table is not None}
    with_kind = command.bool_flag("show-kind") or len(fetched) > 1
    label_columns = [
        key for value in command.values("label-columns") if value for key in value.split(",")
    ]
    headers = not command.bool_flag("no-headers")
    blocks: list[str] = []
    printed = _Rows()
    lines = 0  # the lines of the text so far
    size = 0  # its characters
    budget = request.ctx.budget
    for section in filled:
        if size > budget:
            break  # the tables after the cut are not printed at all
        rows, table_data = _table_rows(request, section, with_kind, label_columns)
        if blocks and headers:
            lines += 1  # the blank line that parts tables with headers
            size += 1
        # Columns as wide as all rows make them; the rows printed only as far as the budget
        # reaches (what is printed past it would be cut), and only their data made.
        block, written = tabwrite_prefix(rows, budget - size)
        header_rows = 1 if headers else 0
        before = lines + sum(row_lines(row) for row in rows[: min(header_rows, written)])
        lines = before
        ends = []
        for row in rows[header_rows:written]:
            lines += row_lines(row)
            ends.append(lines)
        blocks.append(block)
        size += len(block)
        if ends:
            printed.add(table_data(len(ends)), ends, before)
    text = ("\n" if headers else "").join(blocks)
    note = _empty_note(request, sections, printed.ends)
    return _budgeted(text, None, budget, note, printed)


def _table_rows(
    request: _Request, section: _Section, with_kind: bool, label_columns: list[str]
) -> tuple[list[list[str]], Callable[[int], dict[str, Any]]]:
    """The table's lines as cells (headers first), and its data with the first N rows: the
    columns the text shows, named as the API names them (a Namespace column first under -A,
    label columns by key, `Labels` a mapping), each row a list of its cells as the API's Table
    has them. As wide as the text, the data fits the budget about as far as the text does."""
    assert section.table is not None
    command = request.command
    wide = request.output == "wide"
    definitions = section.table["columnDefinitions"]
    shown = [i for i, c in enumerate(definitions) if wide or c.get("priority", 0) == 0]
    namespaced_all = request.all_namespaces and section.resource.namespaced
    show_labels = command.bool_flag("show-labels")
    header = [go_upper(definitions[i]["name"]) for i in shown]
    if namespaced_all:
        header.insert(0, "NAMESPACE")
    header += [go_upper(key.rsplit("/", 1)[-1]) for key in label_columns]
    if show_labels:
        header.append("LABELS")
    rows: list[list[str]] = [] if command.bool_flag("no-headers") else [header]
    prefix = kind_prefix(section.resource.kind, section.resource.group) + "/"
    # decorateTable prefixes the first string column of format `name`, shown or not.
    name_column = next(
        (
            i
            for i, c in enumerate(definitions)
            if c.get("format") == "name" and c.get("type") == "string"
        ),
        None,
    )
    # Rows asked for without their objects (a list in one namespace, no labels shown) have
    # no metadata: no column needs it.
    table_rows = section.table["rows"]
    for row in table_rows:
        meta = _row_metadata(row)
        cells = [cell_text(row["cells"][i]) for i in shown]
        name_index = shown.index(name_column) if name_column in shown else None
        if with_kind and name_index is not None:
            cells[name_index] = prefix + cells[name_index]
        if namespaced_all:
            cells.insert(0, meta.get("namespace", ""))
        labels = meta.get("labels") or {}
        cells += [labels.get(key, "") for key in label_columns]
        if show_labels:
            cells.append(format_labels(labels))
        rows.append(cells)

    resource = section.resource
    head: dict[str, Any] = {"kind": resource.kind, "apiVersion": resource.group_version}
    namespace = request.namespace_for(resource)
    if namespace is not None:
        head["namespace"] = namespace
    head["columns"] = (
        (["Namespace"] if namespaced_all else [])
        + [definitions[i]["name"] for i in shown]
        + label_columns
        + (["Labels"] if show_labels else [])
    )

    def data(count: int) -> dict[str, Any]:
        found = []
        for row in table_rows[:count]:
            meta = _row_metadata(row)
            labels = meta.get("labels") or {}
            cells = [meta.get("namespace", "")] if namespaced_all else []
            cells += [row["cells"][i] for i in shown]
            cells += [labels.get(key, "") for key in label_columns]
            if show_labels:
                cells.append(labels)
            found.append(cells)
        return {**head, "rows": found}

    return rows, data


def _row_metadata(row: dict[str, Any]) -> dict[str, Any]:
    metadata: dict[str, Any] = (row.get("object") or {}).get("metadata") or {}
    return metadata


def _empty_note(request: _Request, sections: list[_Section], found: Sequence[Any]) -> str:
    """kubectl's "No resources found" line (on stderr), when nothing was listed."""
    if found or any(s.table and s.table["rows"] for s in sections) or _named(request):
        return ""
    if request.all_namespaces or not any(s.resource.namespaced for s in sections):
        return "No resources found"
    return f"No resources found in {request.ctx.namespace} namespace."


def _named(request: _Request) -> bool:
    args = request.command.args
    return "/" in args[0] or len(args) > 1


def _budgeted(
    text: str,
    data: Any,
    budget: int,
    note: str,
    rows: _Rows | None = None,
    objects: bool = False,
) -> NativeAnswer:
    """The answer within the budget; `objects`: the text is JSON or YAML, which is paged by
    name rather than by line; `rows`: the text is tables, whose data (in place of `data`) holds
    the rows the text keeps, and the text no more rows than their data fits the budget."""
    cut = cut_lines(text, budget)
    if rows is not None:
        kept = cut.rows_ended(rows.ends) if cut.truncated else len(rows.ends)
        fit = rows.fitting(budget)
        if fit < kept:
            # The text shows at least one row, so that a row whose data alone passes the
            # budget is seen; its data is left out, and the answer is cut even if its text
            # is whole.
            shown_text = cut_after_lines(text, rows.end_of(max(fit, 1))).text
            cut, kept = Cut(shown_text, truncated=True), fit
        data = rows.data(kept)
    if not cut.truncated:
        return NativeAnswer(text, data if isinstance(data, dict) else None, stderr=note)
    shown = cut.lines
    paging = (
        "`-o name` lists every name, then get a few at a time by name (`kubectl get TYPE "
        "NAME1 NAME2 -o json`)"
        if objects
        else f"append `--no-headers | sed -n '{shown},{2 * shown}p'` for the next lines"
    )
    hint = rest_hint(
        first_lines_fit(shown),
        f"Narrow the list with -l, --field-selector or a name; or page it: {paging}",
        separator=". ",
    )
    # A cut list's objects are left out: only tables say which of their rows the text kept.
    return NativeAnswer(
        cut.text, data if rows is not None else None, stderr=note, truncated=True, next=hint
    )
