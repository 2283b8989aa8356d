"""``rlvr/ReasoningGym-v0``: any reasoning-gym data set by name, scored by reasoning-gym itself.

``gym.make("rlvr/ReasoningGym-v0", dataset="leg_counting", size=1000, seed=0, **config)``
(``pip install reasoning-gym``). The model answers inside ``<answer>`` tags; the data set's own
``score_answer`` gives the reward, partial credit included. The ``test`` split uses another seed.
"""

from __future__ import annotations

import difflib
from typing import Any

from rlvr.envs.registry import Loader, Row
from rlvr.verifiers.base import Verdict

PROMPT = "{prompt}\n\nGive your final answer inside <answer> </answer> tags."
TEST_SEED_OFFSET = 1_000_003


def _reasoning_gym() -> Any:
    try:
        import reasoning_gym
    except ImportError:
        raise ImportError(
            "rlvr/ReasoningGym-v0 needs the reasoning-gym package: "
            "pip install 'rlvr[reasoning-gym]'"
        ) from None
    return reasoning_gym


class ReasoningGymVerifier:
    """Reference: the reasoning-gym entry (question, answer, metadata)."""

    def __call__(self, completion: str, reference: dict[str, Any]) -> Verdict:
        rg = _reasoning_gym()
        if not isinstance(completion, str):
            return Verdict(0.0, False, None, "not-a-string")
        answer = rg.utils.extract_answer(completion[-20_000:])
        if answer is None:
            return Verdict(0.0, False, None, "no-answer-found")
        score_answer = rg.get_score_answer_fn(reference["metadata"]["source_dataset"])
        try:
            score = float(score_answer(answer=answer, entry=reference))
        except Exception as err:  # a scorer that chokes on odd answers scores them 0
            return Verdict(0.0, False, answer, "scorer-error", {"error": str(err)[:200]})
        score = min(1.0, max(0.0, score))
        reason = "correct" if score == 1.0 else ("partial" if score > 0 else "incorrect")
        return Verdict(score, score == 1.0, answer, reason)


class ReasoningGymSource(Loader):
    description = "reasoning-gym (procedural, by name)"

    def load(
        self,
        split: str,
        dataset: str = "leg_counting",
        size: int = 1000,
        seed: int = 0,
        **config: Any,
    ) -> list[Row]:
        rg = _reasoning_gym()
        if split not in ("train", "test"):
            raise ValueError(f"rlvr/ReasoningGym-v0 has splits 'train' and 'test', not {split!r}")
        if split == "test":
            seed += TEST_SEED_OFFSET
        if dataset not in rg.factory.DATASETS:
            close = difflib.get_close_matches(dataset, rg.factory.DATASETS, n=3)
            hint = f"did you mean {', '.join(close)}?" if close else "see reasoning_gym.factory"
            raise ValueError(f"reasoning-gym has no data set {dataset!r}; {hint}")
        data = rg.create_dataset(dataset, size=size, seed=seed, **config)
        return [
            {"prompt": entry["question"], "reference": entry, "task_id": f"{dataset}/{k}"}
            for k, entry in enumerate(data)
        ]
