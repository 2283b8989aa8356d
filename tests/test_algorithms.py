"""Each algorithm pinned to its formula on hand-made tensors; expected numbers written out."""

import math

import pytest
import torch

from rlvr.algorithms import advantages as adv
from rlvr.algorithms import (
    filters,
    get_algorithm,
    groups_missing,
    register_algorithm,
    registered_algorithms,
)
from rlvr.algorithms.base import PolicyGradient
from rlvr.algorithms.losses import (
    aggregation,
    clipped_surrogate,
    entropy_from_logits,
    kl,
    kl_penalized_rewards,
    sampled_entropy,
)

REWARDS = torch.tensor([1.0, 0.0, 0.0, 1.0, 1.0, 1.0])
GROUPS = torch.tensor([0, 0, 0, 1, 1, 1])


# ------------------------------------------------------------------------------ advantages
def test_group_zscore_uses_unbiased_std():
    # group 0: mean 1/3, unbiased var ((2/3)^2 + 2 (1/3)^2) / 2 = 1/3; group 1: no spread.
    std = math.sqrt(1 / 3)
    expected = [(2 / 3) / std, (-1 / 3) / std, (-1 / 3) / std, 0, 0, 0]
    assert adv.group_zscore(REWARDS, GROUPS, eps=0).tolist()[:3] == pytest.approx(expected[:3])
    assert adv.group_zscore(REWARDS, GROUPS).tolist() == pytest.approx(expected, abs=1e-5)


def test_group_center_rloo_batch():
    assert adv.group_center(REWARDS, GROUPS).tolist() == pytest.approx(
        [2 / 3, -1 / 3, -1 / 3, 0, 0, 0]
    )
    assert adv.leave_one_out(REWARDS, GROUPS).tolist() == pytest.approx([1, -0.5, -0.5, 0, 0, 0])
    assert adv.batch_center(REWARDS).tolist() == pytest.approx(
        [1 / 3, -2 / 3, -2 / 3, 1 / 3, 1 / 3, 1 / 3]
    )
    assert adv.batch_normalize(torch.tensor([1.0, 2.0, 3.0]), eps=0).tolist() == pytest.approx(
        [-1, 0, 1]
    )


def test_groups_need_not_be_contiguous_or_sorted():
    shuffled = torch.tensor([5, 2, 5, 2])
    assert adv.group_center(torch.tensor([1.0, 3.0, 0.0, 1.0]), shuffled).tolist() == [
        0.5,
        1,
        -0.5,
        -1,
    ]


def test_gae_by_hand():
    rewards = torch.tensor([[0.0, 0.0, 1.0, 9.0]])
    values = torch.tensor([[0.5, 0.5, 0.5, 9.0]])
    mask = torch.tensor([[1, 1, 1, 0]])
    a, ret = adv.gae(rewards, values, mask, gamma=1.0, lam=1.0)
    assert a.tolist() == [[0.5, 0.5, 0.5, 0.0]] and ret.tolist() == [[1.0, 1.0, 1.0, 0.0]]
    a, _ = adv.gae(rewards, values, mask, gamma=1.0, lam=0.5)
    assert a.tolist() == [[0.125, 0.25, 0.5, 0.0]]
    a, _ = adv.gae(rewards, values, mask, gamma=0.5, lam=1.0)  # delta = r + 0.5 V' - V
    # delta = [-0.25, -0.25, 0.5]; A_1 = -0.25 + 0.5 * 0.5 = 0; A_0 = -0.25 + 0.5 * 0
    assert torch.allclose(a, torch.tensor([[-0.25, 0.0, 0.5, 0.0]]))


# ---------------------------------------------------------------------------------- losses
LOSS = torch.tensor([[1.0, 2.0, 3.0], [4.0, 0.0, 0.0]])
MASK = torch.tensor([[1, 1, 1], [1, 0, 0]])


def test_aggregations_exactly():
    assert aggregation("token-mean")(LOSS, MASK).item() == 2.5  # (1+2+3+4) / 4
    assert aggregation("seq-mean-token-mean")(LOSS, MASK).item() == 3.0  # mean(6/3, 4/1)
    assert aggregation("seq-mean-token-sum-norm", 5)(LOSS, MASK).item() == 1.0  # 10 / (2*5)
    with pytest.raises(ValueError, match="norm_len"):
        aggregation("seq-mean-token-sum-norm")
    with pytest.raises(ValueError, match="unknown loss_agg"):
        aggregation("mean")


def test_clipped_surrogate_by_hand():
    ratio = torch.tensor([0.5, 1.0, 1.5])
    up = clipped_surrogate(ratio, torch.tensor(1.0), 0.2, 0.28)
    down = clipped_surrogate(ratio, torch.tensor(-1.0), 0.2, 0.28)
    assert up.tolist() == pytest.approx([-0.5, -1.0, -1.28])
    assert down.tolist() == pytest.approx([0.8, 1.0, 1.5])
    dual = clipped_surrogate(torch.tensor([5.0]), torch.tensor(-1.0), 0.2, 0.28, dual_clip=3.0)
    assert dual.tolist() == [3.0]


def test_kl_estimators_by_hand():
    logp, ref = torch.tensor([math.log(0.5)]), torch.tensor([math.log(0.25)])
    assert kl(logp, ref, "k1").item() == pytest.approx(math.log(2))
    assert kl(logp, ref, "k2").item() == pytest.approx(0.5 * math.log(2) ** 2)
    assert kl(logp, ref, "k3").item() == pytest.approx(0.5 - 1 + math.log(2))
    assert kl(ref, ref, "k3").item() == 0.0


def test_kl_as_reward_penalty():
    logp = torch.tensor([[-1.0, -1.0, -1.0]])
    ref = torch.tensor([[-1.5, -1.0, -3.0]])
    out = kl_penalized_rewards(torch.tensor([1.0]), logp, ref, torch.tensor([[1, 1, 0]]), beta=0.1)
    assert torch.allclose(out, torch.tensor([[-0.05, 1.0, 0.0]]))  # -β·0.5; reward on last


def test_entropies():
    logits = torch.zeros(1, 1, 4)
    assert entropy_from_logits(logits).item() == pytest.approx(math.log(4))
    logp = torch.tensor([[math.log(0.5), math.log(0.25), 0.0]])
    assert sampled_entropy(logp, torch.tensor([[1, 1, 0]])).item() == pytest.approx(
        1.5 * math.log(2)
    )


# ------------------------------------------------------------------- algorithms, by formula
# Two sequences (lengths 2 and 1), ratio 1, advantages +1 and -1: per token loss = -A.
LOGP = torch.log(torch.tensor([[0.5, 0.5], [0.5, 0.9]]))
M = torch.tensor([[1, 1], [1, 0]])
A = torch.tensor([1.0, -1.0])


@pytest.mark.parametrize(
    ("name", "overrides", "expected"),
    [
        ("grpo", {"kl_coef": 0.0}, 0.0),  # mean(-1, +1)
        ("dapo", {}, -1 / 3),  # (-1 - 1 + 1) / 3 tokens
        ("dr_grpo", {"norm_len": 4}, -1 / 8),  # (-1 - 1 + 1) / (2 * 4)
        ("reinforce", {}, 0.0),
        ("grpo", {"kl_coef": 0.04}, 0.04 * (0.5 - 1 + math.log(2))),  # + β·k3, ref = π/2
    ],
)
def test_policy_losses_by_hand(name: str, overrides: dict, expected: float):
    algo = get_algorithm(name, **overrides)
    ref = LOGP - math.log(2) if algo.needs_reference else None
    loss, stats = algo.loss(LOGP, LOGP, A, M, ref)
    assert loss.item() == pytest.approx(expected, abs=1e-6)
    assert stats["tokens"] == 3 and stats["ratio_mean"] == 1.0
    assert stats["clip_frac_low"] == stats["clip_frac_high"] == 0.0


def test_clip_fractions_are_counted_separately():
    algo = get_algorithm("dapo")  # ε_low 0.2, ε_high 0.28
    old = torch.zeros(2, 2)
    logp = torch.log(torch.tensor([[1.5, 1.0], [0.5, 1.0]]))  # ratios
    _, stats = algo.loss(logp, old, torch.tensor([1.0, -1.0]), torch.ones(2, 2))
    assert stats["clip_frac_high"] == 0.25 and stats["clip_frac_low"] == 0.25


def _grad(algo_name: str, advantages: torch.Tensor, mask: torch.Tensor, **overrides):
    logp = torch.log(torch.tensor([[0.3, 0.6, 0.2, 0.7], [0.4, 0.5, 0.9, 0.8]])).requires_grad_()
    loss, _ = get_algorithm(algo_name, **overrides).loss(logp, logp.detach(), advantages, mask)
    (grad,) = torch.autograd.grad(loss, logp)
    return grad


LONG_SHORT = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]])


def test_ratio_one_grpo_gradient_equals_reinforce_by_formula():
    a = torch.tensor([0.7, -1.3])
    grad = _grad("grpo", a, LONG_SHORT, kl_coef=0.0)
    # seq-mean-token-mean REINFORCE: d/dlogp_it = -A_i m_it / (|o_i| N)
    lengths = LONG_SHORT.sum(-1, keepdim=True)
    expected = -a[:, None] * LONG_SHORT / (lengths * 2)
    assert torch.allclose(grad, expected.float())
    assert torch.allclose(grad, _grad("reinforce", a, LONG_SHORT))


def test_ratio_one_dapo_gradient_weighs_every_token_the_same():
    a = torch.tensor([1.0, 1.0])
    grad = _grad("dapo", a, LONG_SHORT)
    expected = -LONG_SHORT.float() / LONG_SHORT.sum()  # -A / total tokens, long or short
    assert torch.allclose(grad, expected)
    assert torch.allclose(grad, _grad("reinforce", a, LONG_SHORT, loss_agg="token-mean"))
    grpo = _grad("grpo", a, LONG_SHORT, kl_coef=0.0)
    assert grpo[1, 0] == 2 * grpo[0, 0]  # GRPO: a short sequence's token weighs more


def test_dr_grpo_ignores_sequence_length():
    a = torch.tensor([1.0, 1.0])
    grad = _grad("dr_grpo", a, LONG_SHORT, norm_len=8)
    assert torch.allclose(grad, -LONG_SHORT.float() / (2 * 8))  # -A / (N · L) for every token
    longer = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])
    assert torch.allclose(_grad("dr_grpo", a, longer, norm_len=8)[0], grad[0])


def test_gradient_matches_autograd_of_written_formula():
    torch.manual_seed(0)
    logp = (torch.rand(3, 5) * -2).requires_grad_()
    old = logp.detach() + torch.randn(3, 5) * 0.3
    ref = logp.detach() + torch.randn(3, 5) * 0.2
    a = torch.tensor([1.5, -0.5, 0.2])
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]]).float()
    loss, _ = get_algorithm("grpo", clip_low=0.2, clip_high=0.3, kl_coef=0.05).loss(
        logp, old, a, mask, ref
    )
    ratio = torch.exp(logp - old)
    surrogate = torch.min(ratio * a[:, None], ratio.clamp(0.8, 1.3) * a[:, None])
    k3 = torch.exp(ref - logp) - (ref - logp) - 1
    per_token = -surrogate + 0.05 * k3
    written = ((per_token * mask).sum(1) / mask.sum(1)).mean()
    assert loss.item() == pytest.approx(written.item(), rel=1e-6)
    g1 = torch.autograd.grad(loss, logp)[0]
    g2 = torch.autograd.grad(written, logp)[0]
    assert torch.allclose(g1, g2, atol=1e-6)


@pytest.mark.parametrize(
    "name",
    ["grpo", "dr_grpo", "dapo", "gspo", "cispo", "reinforce", "rloo", "ppo", "sft", "rft", "dpo",
     "plackett_luce"],
)  # fmt: skip
def test_padding_can_never_change_the_loss(name: str):
    algo = get_algorithm(name).with_budget(4)
    torch.manual_seed(1)
    mask = torch.tensor([[1, 1, 0, 0], [1, 1, 1, 1], [1, 0, 0, 0], [1, 1, 1, 0]])
    logp = (torch.rand(4, 4) * -2).requires_grad_()
    ref = logp.detach() - 0.1
    a = torch.tensor([1.0, -1.0, 0.5, 0.0])
    group_ids = torch.tensor([0, 0, 1, 1])
    base, _ = algo.loss(logp, logp.detach(), a, mask, ref, group_ids=group_ids)
    (grad,) = torch.autograd.grad(base, logp)
    assert (grad[mask == 0] == 0).all()
    junk = torch.where(mask.bool(), logp.detach(), torch.full_like(logp, -torch.inf))
    junk_nan = torch.where(mask.bool(), logp.detach(), torch.full_like(logp, torch.nan))
    for pad in (junk, junk_nan):
        loss, _ = algo.loss(
            pad, pad, a, mask, torch.where(mask.bool(), ref, pad), group_ids=group_ids
        )
        assert torch.isfinite(loss) and loss.item() == pytest.approx(base.item(), abs=1e-6)


# ------------------------------------------------------------------------ numerical safety
@pytest.mark.parametrize(
    "name", ["grpo", "dr_grpo", "dapo", "gspo", "cispo", "reinforce", "rloo", "sft", "rft"]
)
def test_degenerate_batches_are_finite(name: str):
    algo = get_algorithm(name).with_budget(3)
    one = algo.advantages(torch.tensor([1.0]), torch.tensor([0]))  # a group of one
    same = algo.advantages(torch.ones(4), torch.zeros(4, dtype=torch.long))  # all equal
    assert torch.isfinite(one).all() and torch.isfinite(same).all()
    logp = torch.zeros(2, 3)
    empty, _ = algo.loss(logp, logp, torch.ones(2), torch.zeros(2, 3), logp)
    assert torch.isfinite(empty) and empty.item() == 0.0
    half, _ = algo.loss(logp.bfloat16(), logp.bfloat16(), torch.ones(2), torch.ones(2, 3), logp)
    assert half.dtype == torch.float32 and torch.isfinite(half)


def test_inf_log_prob_on_a_real_token_is_a_clear_error():
    logp = torch.tensor([[-torch.inf, -1.0]])
    with pytest.raises(ValueError, match="inf or nan at unmasked"):
        get_algorithm("grpo").loss(logp, logp, torch.ones(1), torch.ones(1, 2), logp)


def test_large_ratios_stay_finite():
    logp, old = torch.tensor([[0.0]]), torch.tensor([[-80.0]])
    loss, _ = get_algorithm("dapo").loss(logp, old, torch.tensor([-1.0]), torch.ones(1, 1))
    assert torch.isfinite(loss)


def test_shape_errors():
    algo = get_algorithm("grpo", kl_coef=0.0)
    with pytest.raises(ValueError, match="mask has shape"):
        algo.loss(torch.zeros(2, 3), torch.zeros(2, 3), torch.ones(2), torch.ones(2, 4))
    with pytest.raises(ValueError, match="advantages must be"):
        algo.loss(torch.zeros(2, 3), torch.zeros(2, 3), torch.ones(3), torch.ones(2, 3))
    with pytest.raises(ValueError, match="pass ref_logprobs"):
        get_algorithm("grpo").loss(
            torch.zeros(1, 1), torch.zeros(1, 1), torch.ones(1), torch.ones(1, 1)
        )


# --------------------------------------------------------------------------------- filters
def test_dynamic_sampling_drops_exactly_the_all_equal_groups():
    rewards = torch.tensor([1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.5, 0.5])
    groups = torch.tensor([0, 0, 1, 1, 2, 2, 3, 3])
    keep = filters.dynamic_sampling(rewards, groups)
    assert keep.tolist() == [False, False, True, True, False, False, False, False]
    assert groups_missing(keep, groups, wanted=3) == 2
    dapo = get_algorithm("dapo")
    assert dapo.select(rewards, groups, torch.ones(8), torch.zeros(8, dtype=torch.bool)).equal(keep)


def test_overlong_filter_and_soft_penalty():
    truncated = torch.tensor([False, True, False])
    assert filters.overlong_filter(truncated).tolist() == [True, False, True]
    algo = get_algorithm("grpo", overlong_filter=True)
    assert algo.select(torch.ones(3), torch.arange(3), torch.ones(3), truncated).tolist() == [
        True,
        False,
        True,
    ]
    lengths = torch.tensor([5, 6, 7, 8, 10, 12])
    assert filters.soft_overlong_penalty(lengths, 10, 4).tolist() == [0, 0, -0.25, -0.5, -1, -1]
    dapo = get_algorithm("dapo", overlong_penalty=(10, 4))
    assert dapo.shape(torch.ones(6), lengths).tolist() == [1, 1, 0.75, 0.5, 0, 0]


def test_rft_keeps_at_most_k_distinct_good_samples_per_prompt():
    rewards = torch.tensor([1.0, 1.0, 1.0, 0.0, 1.0, 1.0])
    groups = torch.tensor([0, 0, 0, 0, 1, 1])
    keys = torch.tensor([7, 7, 8, 9, 1, 2])  # samples 0 and 1 are the same text
    rft = get_algorithm("rft", per_group=2)
    keep = rft.select(rewards, groups, torch.ones(6), torch.zeros(6, dtype=torch.bool), keys=keys)
    assert keep.tolist() == [True, False, True, False, True, True]
    assert rft.advantages(rewards, groups).tolist() == [1.0] * 6


def test_rft_and_sft_losses_by_hand():
    logp = torch.log(torch.tensor([[0.5, 0.25], [0.5, 1.0]]))
    nll = -logp.masked_fill(M == 0, 0)  # [[ln2, 2ln2], [ln2, 0]]
    rft, _ = get_algorithm("rft").loss(logp, None, torch.ones(2), M)
    sft, _ = get_algorithm("sft").loss(logp, None, torch.ones(2), M)
    assert rft.item() == pytest.approx(nll.sum().item() / 3)  # token mean
    assert sft.item() == pytest.approx((3 * math.log(2) / 2 + math.log(2)) / 2)  # seq mean


# ----------------------------------------------------------------------------- preferences
def test_dpo_and_plackett_luce_by_hand():
    # β = 0.1; s = β (logπ - logπ_ref) = [0.05, -0.05]; margin 0.1.
    logp = torch.tensor([[-0.5, -0.5], [-1.0, -1.0]])
    ref = torch.tensor([[-0.75, -0.75], [-0.75, -0.75]])
    rewards, groups = torch.tensor([1.0, 0.0]), torch.tensor([0, 0])
    expected = math.log(1 + math.exp(-0.1))
    for name in ("dpo", "plackett_luce"):
        algo = get_algorithm(name)
        assert algo.needs_reference
        loss, stats = algo.loss(
            logp, logp, algo.advantages(rewards, groups), torch.ones(2, 2), ref, group_ids=groups
        )
        assert loss.item() == pytest.approx(expected, rel=1e-6)
        assert stats["accuracy"] == 1.0


def test_plackett_luce_three_way_and_dpo_pairs():
    scores = torch.tensor([0.3, 0.1, -0.2])  # already β·(logπ - logπ_ref) with β = 1, ref = 0
    logp = scores[:, None]
    rewards, groups, mask = (
        torch.tensor([2.0, 1.0, 0.0]),
        torch.zeros(3, dtype=torch.long),
        torch.ones(3, 1),
    )
    pl, _ = get_algorithm("plackett_luce", beta=1.0).loss(
        logp, logp, rewards, mask, torch.zeros(3, 1), group_ids=groups
    )
    z = scores
    expected = -((z[0] - torch.logsumexp(z, 0)) + (z[1] - torch.logsumexp(z[1:], 0)) + 0)
    assert pl.item() == pytest.approx(expected.item(), rel=1e-6)
    dpo, stats = get_algorithm("dpo", beta=1.0).loss(
        logp, logp, rewards, mask, torch.zeros(3, 1), group_ids=groups
    )
    margins = torch.tensor([0.2, 0.5, 0.3])
    assert dpo.item() == pytest.approx(
        torch.nn.functional.softplus(-margins).mean().item(), rel=1e-6
    )
    assert stats["pairs"] == 3


def test_preferences_skip_tied_groups():
    loss, stats = get_algorithm("dpo").loss(
        torch.zeros(2, 1),
        None,
        torch.ones(2),
        torch.ones(2, 1),
        torch.zeros(2, 1),
        group_ids=torch.zeros(2, dtype=torch.long),
    )
    assert loss.item() == 0.0 and stats["pairs"] == 0


# --------------------------------------------------------------------------------------- PPO
def test_ppo_value_loss_by_hand():
    ppo = get_algorithm("ppo")
    zero = torch.zeros(1, 1)
    values, old_values, returns = (
        torch.tensor([[1.0]]),
        torch.tensor([[0.5]]),
        torch.tensor([[2.0]]),
    )
    loss, stats = ppo.loss(
        zero, zero, torch.zeros(1, 1), torch.ones(1, 1),
        values=values, old_values=old_values, returns=returns,
    )  # fmt: skip
    # clipped value 0.7; max((1-2)^2, (0.7-2)^2) = 1.69; ½ · 1.69 · c_V(0.5)
    assert stats["value_loss"] == pytest.approx(0.845)
    assert loss.item() == pytest.approx(0.4225)


def test_ppo_token_advantages_are_gae_over_the_critic():
    """The sequence reward is the last token's; with γ = 1, λ = 1 and a zero critic every token's
    advantage is the return; with the critic's values, A_t = R - V_t at the last step."""
    ppo = get_algorithm("ppo", gamma=1.0, lam=1.0)
    rewards = ppo.advantages(torch.tensor([1.0, -1.0]), torch.tensor([0, 0]))
    assert rewards.tolist() == [1.0, -1.0]  # the sequence rewards themselves
    mask = torch.tensor([[True, True, True], [True, True, False]])
    logp = torch.zeros(2, 3)
    a, extra = ppo.token_advantages(rewards, logp, None, torch.zeros(2, 3), mask)
    assert a[mask].tolist() == [1.0, 1.0, 1.0, -1.0, -1.0]
    assert torch.equal(extra["returns"][mask], a[mask])
    values = torch.tensor([[0.5, 0.25, 0.75], [0.0, 0.5, 0.0]])
    a, extra = ppo.token_advantages(rewards, logp, None, values, mask)
    assert a[0, 2].item() == pytest.approx(1.0 - 0.75) and a[1, 1].item() == pytest.approx(-1.5)
    assert torch.equal(extra["old_values"], values)
    assert ppo.critic(16)(torch.zeros(3, 16)).shape == (3, 1)


# -------------------------------------------------------------------------------- registry
def test_registry_and_overrides():
    assert set(registered_algorithms()) >= {
        "grpo", "dr_grpo", "dapo", "gspo", "cispo", "rft", "sft", "reinforce", "rloo", "ppo",
        "dpo", "plackett_luce",
    }  # fmt: skip
    algo = get_algorithm(
        "grpo", clip_low=0.1, clip_high=0.3, kl_coef=0.0, kl_estimator="k2",
        loss_agg="seq-mean-token-sum-norm", norm_len=64, std_eps=1e-3,
    )  # fmt: skip
    assert (algo.clip_low, algo.clip_high, algo.norm_len, algo.std_eps) == (0.1, 0.3, 64, 1e-3)
    assert not algo.needs_reference
    with pytest.raises(KeyError, match=r"did you mean .*grpo"):
        get_algorithm("gpro")
    with pytest.raises(TypeError, match=r"its overrides are .*clip_high"):
        get_algorithm("grpo", clip=0.3)
    with pytest.raises(ValueError, match="kl_estimator"):
        get_algorithm("grpo", kl_estimator="k4")
    register_algorithm("grpo_no_kl", lambda **kw: PolicyGradient(name="grpo_no_kl", **kw))
    assert get_algorithm("grpo_no_kl").name == "grpo_no_kl"


def test_presets_match_their_papers():
    grpo, dr, dapo = get_algorithm("grpo"), get_algorithm("dr_grpo"), get_algorithm("dapo")
    assert (grpo.advantage, grpo.loss_agg, grpo.clip_low, grpo.clip_high, grpo.kl_estimator) == (
        "group-zscore", "seq-mean-token-mean", 0.2, 0.2, "k3")  # fmt: skip
    assert grpo.needs_reference and grpo.kl_coef == 0.04
    assert (dr.advantage, dr.loss_agg, dr.kl_coef) == (
        "group-center",
        "seq-mean-token-sum-norm",
        0.0,
    )
    assert (dapo.loss_agg, dapo.clip_low, dapo.clip_high, dapo.dynamic_sampling) == (
        "token-mean",
        0.2,
        0.28,
        True,
    )
    assert dapo.overlong_penalty == "auto" and not dapo.needs_reference
    # Length-dependent fields follow the run's generation budget unless set.
    assert dapo.with_budget(20480).overlong_penalty == (20480, 4096)
    assert dr.norm_len is None and dr.with_budget(48).norm_len == 48
    assert get_algorithm("dr_grpo", norm_len=1024).with_budget(48).norm_len == 1024
    assert get_algorithm("dapo", overlong_penalty=None).with_budget(48).overlong_penalty is None


# -------------------------------------------------------------------------------- GSPO, CISPO
def test_gspo_clips_whole_sequences_on_their_length_normalised_ratio():
    gspo = get_algorithm("gspo", clip_low=0.2, clip_high=0.2)
    mask = torch.tensor([[1, 1], [1, 0]])
    old = torch.zeros(2, 2)
    # Sequence 0: token log-ratios 0.2 and 0.0, so s = e^0.1 = 1.10517 (inside [0.8, 1.2]).
    # Sequence 1: one token at -0.4, s = e^-0.4 = 0.67032 < 0.8 with A < 0: clipped to 0.8.
    logp = torch.tensor([[0.2, 0.0], [-0.4, 9.9]], requires_grad=True)
    a = torch.tensor([1.0, -1.0])
    loss, stats = gspo.loss(logp, old, a, mask)
    s0 = math.exp(0.1)
    assert loss.item() == pytest.approx((-s0 + 0.8) / 2, rel=1e-6)
    (grad,) = torch.autograd.grad(loss, logp)
    # d(-s0)/d logp_t = -s0 / |o_0| for each token, halved by the mean over 2 sequences;
    # the clipped sequence contributes nothing, and padding never does.
    assert grad.flatten().tolist() == pytest.approx([-s0 / 4, -s0 / 4, 0.0, 0.0], rel=1e-6)
    assert stats["clip_frac_low"] == 0.5 and stats["clip_frac_high"] == 0.0
    assert stats["seq_ratio_mean"] == pytest.approx((s0 + math.exp(-0.4)) / 2)


def test_gspo_paper_defaults():
    gspo = get_algorithm("gspo")
    assert (gspo.clip_low, gspo.clip_high, gspo.advantage, gspo.kl_coef) == (
        3e-4, 4e-4, "group-zscore", 0.0)  # fmt: skip


def test_cispo_weights_every_token_and_drops_no_gradient():
    cispo = get_algorithm("cispo")  # no lower bound, ε_high = 0.28
    mask = torch.ones(1, 2)
    old = torch.zeros(1, 2)
    logp = torch.tensor([[math.log(1.5), math.log(0.5)]], requires_grad=True)  # ratios 1.5, 0.5
    loss, stats = cispo.loss(logp, old, torch.tensor([1.0]), mask)
    # weights sg(clip(ratio, 0, 1.28)) = 1.28, 0.5; ℓ = mean_t -w_t · A · log π_t
    assert loss.item() == pytest.approx((-1.28 * math.log(1.5) + 0.5 * math.log(2)) / 2)
    (grad,) = torch.autograd.grad(loss, logp)
    assert grad.flatten().tolist() == pytest.approx([-0.64, -0.25])  # -w_t · A / N, both nonzero
    assert stats["clip_frac_high"] == 0.5 and stats["clip_frac_low"] == 0.0
    # GRPO's clip drops the first token's gradient outright (ratio 1.5 > 1.28 with A > 0).
    grpo = get_algorithm("grpo", kl_coef=0.0, clip_high=0.28, loss_agg="token-mean")
    (clipped,) = torch.autograd.grad(grpo.loss(logp, old, torch.tensor([1.0]), mask)[0], logp)
    assert clipped[0, 0].item() == 0.0 and clipped[0, 1].item() != 0.0
