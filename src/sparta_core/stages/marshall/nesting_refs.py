"""References across nested stacks: what :mod:`sparta_core.stages.marshall.nesting` does
once it has decided which resources go to which child.

A value in stack S that names a resource X of another stack T becomes:

- in a child S: a Parameter of S (``Ref X`` keeps its text: the parameter is called X;
  ``Fn::GetAtt [X, A]`` and ``${X.A}`` become ``Ref XA``), whose value the root passes in
  the child's ``Parameters``: ``Ref X`` / ``GetAtt X.A`` when X is in the root,
  ``GetAtt T.Outputs.N`` when X is in a child T, which then outputs it as N;
- in the root: ``GetAtt T.Outputs.N`` (``${T.Outputs.N}`` inside a ``Fn::Sub``).

A ``DependsOn`` on a resource of another stack becomes a ``DependsOn`` of the child's
stack resource (on the root resource, or on the other child's stack). ``AWS::StackName``
and ``AWS::StackId`` in a child mean the root stack, as they did before the split.
Each function's ARN output moves to the child that holds the function; the user's
outputs stay in the root.
"""

from __future__ import annotations

import re
from typing import Any

from sparta_core.engine.template import Template, references

ROOT = ""
#: Pseudo parameters that name the stack: a child gets the root's through a parameter.
STACK_PSEUDO = {"AWS::StackName": "RootStackName", "AWS::StackId": "RootStackId"}
SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


def _alnum(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", text)


class Split:
    """One template being split: children are added, then :meth:`wire` rewrites every
    reference that now crosses a stack boundary."""

    def __init__(self, root: Template) -> None:
        self.root = root
        self.children: dict[str, Template] = {}
        self.location: dict[str, str] = {}
        #: child -> parameter name -> the value the root passes.
        self.passed: dict[str, dict[str, Any]] = {}
        #: child -> what its stack resource must DependsOn.
        self.depends: dict[str, set[str]] = {}
        #: (producer child, id, attribute) -> output name.
        self.exported: dict[tuple[str, str, str | None], str] = {}

    def add_child(self, logical_id: str, ids: list[str], description: str) -> None:
        child = Template(description)
        for resource_id in ids:
            owner = self.root.owner_of(resource_id) or "an earlier contributor"
            child.place_resource(resource_id, self.root.remove_resource(resource_id), owner)
            self.location[resource_id] = logical_id
        self.children[logical_id] = child
        self.passed[logical_id] = {}
        self.depends[logical_id] = set()

    def stack_of(self, logical_id: str) -> str | None:
        """Where ``logical_id`` is declared: a child, the root (``""``), or ``None``."""
        if logical_id in self.location:
            return self.location[logical_id]
        if logical_id in self.root.resources or logical_id in self.root.parameters:
            return ROOT
        return None

    # -- wiring ---------------------------------------------------------------------------

    def wire(self, movable_outputs: set[str]) -> None:
        """Rewrite every reference that crosses a stack; the outputs named in
        ``movable_outputs`` (each function's ARN) move to the child their value is in,
        the others (the user's) stay in the root."""
        self._move_outputs(movable_outputs)
        for logical_id, child in self.children.items():
            for resource_id, resource in child.resources.items():
                self._rewrite_resource(logical_id, resource_id, resource)
            for output in child.outputs.values():
                output["Value"] = self._rewrite_value(logical_id, output["Value"])
        for resource_id, resource in self.root.resources.items():
            self._rewrite_resource(ROOT, resource_id, resource)
        for output in self.root.outputs.values():
            output["Value"] = self._rewrite_value(ROOT, output["Value"])

    def _move_outputs(self, movable: set[str]) -> None:
        for name, output in list(self.root.outputs.items()):
            if name not in movable:
                continue
            stacks = {self.stack_of(target) for target, _ in references(output)}
            if len(stacks) == 1 and (stack := stacks.pop()):
                self.children[stack].place_output(name, self.root.remove_output(name))

    def _rewrite_resource(self, stack: str, resource_id: str, resource: dict[str, Any]) -> None:
        for key, value in resource.items():
            if key in ("Type", "DependsOn", "Condition", "DeletionPolicy",
                       "UpdateReplacePolicy") or not isinstance(value, (dict, list)):
                continue
            replacement = self._rewrite(stack, value)
            if replacement is not None:
                resource[key] = replacement
        depends = resource.get("DependsOn")
        if depends is None:
            return
        kept: list[str] = []
        for target in [depends] if isinstance(depends, str) else depends:
            where = self.stack_of(target)
            if where is None or where == stack:
                kept.append(target)
            elif stack == ROOT:
                kept.append(where)  # on the child stack that holds it
            else:
                self.depends[stack].add(where or target)
        kept = list(dict.fromkeys(kept))
        if kept:
            resource["DependsOn"] = kept
        else:
            del resource["DependsOn"]

    def _rewrite(self, stack: str, value: Any) -> Any:
        """The value that replaces ``value`` in ``stack``, or ``None`` if it stays (dicts
        and lists inside it are changed in place: the split moves resources, it does
        not copy them)."""
        if isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, (dict, list)):
                    replacement = self._rewrite(stack, item)
                    if replacement is not None:
                        value[index] = replacement
            return None
        if not isinstance(value, dict):
            return None
        if len(value) == 1:
            if "Ref" in value and isinstance(value["Ref"], str):
                return self._reference(stack, value["Ref"], None)
            if "Fn::GetAtt" in value:
                target = value["Fn::GetAtt"]
                if isinstance(target, str):
                    name, _, attribute = target.partition(".")
                elif isinstance(target, list) and len(target) == 2 and isinstance(target[0], str):
                    name, attribute = target[0], target[1]
                else:
                    return None
                return self._reference(stack, name, attribute) if isinstance(
                    attribute, str) else None
            if "Fn::Sub" in value:
                return {"Fn::Sub": self._rewrite_sub(stack, value["Fn::Sub"])}
        for key, item in value.items():
            if isinstance(item, (dict, list)):
                replacement = self._rewrite(stack, item)
                if replacement is not None:
                    value[key] = replacement
        return None

    def _rewrite_value(self, stack: str, value: Any) -> Any:
        replacement = self._rewrite(stack, value)
        return value if replacement is None else replacement

    def _rewrite_sub(self, stack: str, sub: Any) -> Any:
        if isinstance(sub, list) and len(sub) == 2 and isinstance(sub[1], dict):
            text, variables = sub[0], self._rewrite_value(stack, sub[1])
        else:
            text, variables = sub, None
        if not isinstance(text, str):
            return sub

        def replace(match: re.Match[str]) -> str:
            inner = match.group(1)
            if variables and inner in variables:
                return match.group(0)
            if inner in STACK_PSEUDO and stack != ROOT:
                return "${" + self._pass(stack, STACK_PSEUDO[inner], {"Ref": inner}) + "}"
            name, _, attribute = inner.partition(".")
            replacement = self._reference(stack, name, attribute or None)
            if replacement is None:
                return match.group(0)
            if "Ref" in replacement:
                return "${" + replacement["Ref"] + "}"
            target, output = replacement["Fn::GetAtt"]
            return "${" + f"{target}.{output}" + "}"

        text = SUB_VARIABLE.sub(replace, text)
        return [text, variables] if variables is not None else text

    def _reference(self, stack: str, name: str, attribute: str | None) -> dict[str, Any] | None:
        """The replacement for ``Ref name`` / ``GetAtt name.attribute`` in ``stack``, or
        ``None`` when it stays as it is."""
        if name in STACK_PSEUDO and attribute is None:
            if stack == ROOT:
                return None
            return {"Ref": self._pass(stack, STACK_PSEUDO[name], {"Ref": name})}
        where = self.stack_of(name)
        if where is None or where == stack:
            return None
        original: dict[str, Any] = (
            {"Ref": name} if attribute is None else {"Fn::GetAtt": [name, attribute]}
        )
        if where == ROOT:
            value = original
            parameter = self.root.parameters.get(name)
            if parameter and str(parameter.get("Type", "")).startswith(("List<", "Comma")):
                value = {"Fn::Join": [",", original]}
        else:
            output = self._export(where, name, attribute, original)
            value = {"Fn::GetAtt": [where, f"Outputs.{output}"]}
        if stack == ROOT:
            return value
        parameter_name = name if attribute is None else self._free(
            self.children[stack], name + _alnum(attribute)
        )
        return {"Ref": self._pass(stack, parameter_name, value, list_of=where == ROOT)}

    def _pass(self, stack: str, name: str, value: Any, list_of: bool = False) -> str:
        child = self.children[stack]
        if name not in child.parameters:
            kind = "String"
            root_parameter = self.root.parameters.get(name) if list_of else None
            if root_parameter and str(root_parameter.get("Type", "")).startswith(
                ("List<", "Comma")
            ):
                kind = "CommaDelimitedList"
            child.add_parameter(name, kind)
            self.passed[stack][name] = value
        return name

    def _export(self, stack: str, name: str, attribute: str | None, value: Any) -> str:
        key = (stack, name, attribute)
        if key in self.exported:
            return self.exported[key]
        child = self.children[stack]
        for existing, output in child.outputs.items():
            if output.get("Value") == value and "Condition" not in output:
                self.exported[key] = existing
                return existing
        wanted = name + ("Ref" if attribute is None else _alnum(attribute))
        while wanted in child.outputs:
            wanted += "Out"
        child.place_output(wanted, {"Value": value})
        self.exported[key] = wanted
        return wanted

    @staticmethod
    def _free(child: Template, name: str) -> str:
        while name in child.resources:
            name += "Att"
        return name

    # -- the stack resources ----------------------------------------------------------------

    def stack_properties(self, logical_id: str) -> dict[str, Any]:
        passed = self.passed[logical_id]
        return {"Parameters": dict(sorted(passed.items()))} if passed else {}

    def stack_attributes(self, logical_id: str) -> dict[str, Any]:
        depends = self.depends[logical_id] - {logical_id}
        return {"DependsOn": sorted(depends)} if depends else {}
