"""The seed guide's three-rule policy ("Implementing Lifecycle Policies") on a generated
repository of 500 images, with the outcome worked out by hand below.

The policy: rule 1 expires untagged images pushed more than 7 days ago; rule 2 keeps
the 30 newest images with a tag starting "v"; rule 3 expires images older than 14 days
that have a tag starting "dev-" *and* a tag starting "feature-" (ECR ANDs a prefix list).

The repository (ages in days before NOW):

  label         n   tags                          age         outcome
  untagged-k  100   -                             k / 10      k >= 71 expired by rule 1 (29), but
                                                              80 and 81 are in a manifest list:
                                                              27; untagged-70 (exactly 7 days) kept
  sig-s        10   - (referrers)                 100         not rule 1's: sig-0..4 follow v-75..79
                                                              (rule 2); sig-5..9 follow kept v-0..4
  v-j          80   v1.j.0 (v-0 also "latest")    j + 0.5     rule 2 keeps v-0..27, expires v-28..79
  vdf-i         4   v2.0.i, dev-rci, feature-rci  20.2, 21.2  rule 2's (first match): keeps vdf-0/1
                                                  60.2, 61.2  (rule 3 may not expire them), expires
                                                              vdf-2/3
  vendor-i      5   vendor-sync-i                 200 + i     prefix "v": rule 2 expires all 5
  df-m         60   dev-prm, feature-prm          m           m >= 15 expired by rule 3 (45);
                                                              df-14 (exactly 14 days) kept
  dev-n       120   dev-n                         n           no feature- tag: kept
  feature-n    60   feature-n                     100 + n     no dev- tag: kept
  nightly-n    60   nightly-n                     2n          no rule: kept
  stable        1   stable                        365         no rule: kept

Rule 2 sees 80 + 4 + 5 = 89 images; its 30 newest are v-0..19 (0.5..19.5), vdf-0 (20.2),
v-20, vdf-1 (21.2), v-21..27; so v-28 is the 31st newest. Rule 2 expires 52 + 2 + 5 = 59
images and 5 referrers follow them: 64. Total 27 + 64 + 45 = 136 decisions.
"""

from __future__ import annotations

from collections import Counter

from berth.lifecycle import ImageFacts, evaluate, parse_policy
from berth.testing.guide import LIFECYCLE_POLICY as SEED_GUIDE_POLICY
from tests.unit.lifecycle.documents import NOW, digest_of, image
from tests.unit.lifecycle.reference import naive_evaluate


def repository() -> list[ImageFacts]:
    images = [image(f"untagged-{k}", age=k / 10, listed=k in (80, 81)) for k in range(100)]
    images += [image(f"sig-{s}", age=100, subject=f"v-{75 + s}" if s < 5 else f"v-{s - 5}")
               for s in range(10)]
    images += [image(f"v-{j}", f"v1.{j}.0", *(["latest"] if j == 0 else []), age=j + 0.5)
               for j in range(80)]
    images += [image(f"vdf-{i}", f"v2.0.{i}", f"dev-rc{i}", f"feature-rc{i}", age=age)
               for i, age in enumerate([20.2, 21.2, 60.2, 61.2])]
    images += [image(f"vendor-{i}", f"vendor-sync-{i}", age=200 + i) for i in range(5)]
    images += [image(f"df-{m}", f"dev-pr{m}", f"feature-pr{m}", age=m) for m in range(60)]
    images += [image(f"dev-{n}", f"dev-{n}", age=n) for n in range(120)]
    images += [image(f"feature-{n}", f"feature-{n}", age=100 + n) for n in range(60)]
    images += [image(f"nightly-{n}", f"nightly-{n}", age=2 * n) for n in range(60)]
    images.append(image("stable", "stable", age=365))
    return images


def labels(*groups: tuple[str, range | list[int]]) -> set[str]:
    return {digest_of(f"{name}-{n}") for name, numbers in groups for n in numbers}


EXPECTED = {
    1: labels(("untagged", [k for k in range(71, 100) if k not in (80, 81)])),
    2: labels(("v", range(28, 80)), ("vdf", [2, 3]), ("vendor", range(5)), ("sig", range(5))),
    3: labels(("df", range(15, 60))),
}


def test_the_repository_is_as_described() -> None:
    images = repository()
    assert len(images) == 500
    assert len({img.digest for img in images}) == 500
    tags = [tag for img in images for tag in img.tags]
    assert len(tags) == len(set(tags))  # a tag names one image


def test_the_seed_policy_on_500_images() -> None:
    decisions = evaluate(parse_policy(SEED_GUIDE_POLICY), repository(), NOW)
    assert len(decisions) == 136
    assert Counter(d.rule_priority for d in decisions) == {1: 27, 2: 64, 3: 45}
    for priority, digests in EXPECTED.items():
        assert {d.digest for d in decisions if d.rule_priority == priority} == digests
    assert {d.action for d in decisions} == {"expire"}
    assert decisions[0].digest == digest_of("untagged-99")  # rule 1's oldest first


def test_what_is_kept_and_why() -> None:
    images = repository()
    present = {img.digest for img in images}
    decided = {d.digest for d in evaluate(parse_policy(SEED_GUIDE_POLICY), images, NOW)}
    kept = ["untagged-70",                 # exactly 7 days: not older than 7
            "untagged-80", "untagged-81",  # referenced by a manifest list
            "v-27",                        # the 30th newest image tagged v*
            "vdf-0", "vdf-1",              # rule 3 would expire them; rule 2 owns and keeps them
            "df-14",                       # exactly 14 days
            "dev-119", "feature-59",       # one of the two prefixes only
            "sig-5", "sig-9",              # referrers of kept images
            "nightly-59", "stable"]        # no rule selects them
    for label in kept:
        assert digest_of(label) in present, label
        assert digest_of(label) not in decided, label
    assert not labels(("dev", range(120)), ("feature", range(60))) & decided


def test_reasons() -> None:
    reasons = {d.digest: d.reason
               for d in evaluate(parse_policy(SEED_GUIDE_POLICY), repository(), NOW)}
    assert reasons[digest_of("untagged-71")] == (
        "rule 1: untagged images; pushed 7.10 days ago, more than 7")
    assert reasons[digest_of("v-28")] == (
        "rule 2: 31st newest of 89 images tagged with prefix 'v'; keeps 30")
    assert reasons[digest_of("vendor-4")] == (
        "rule 2: 89th newest of 89 images tagged with prefix 'v'; keeps 30")
    assert reasons[digest_of("df-15")] == (
        "rule 3: images tagged with prefixes 'dev-' and 'feature-'; pushed 15.00 days ago, "
        "more than 14")
    assert reasons[digest_of("sig-0")] == (
        f"rule 2: follows its subject {digest_of('v-75')[:19]}…, which is expired")


def test_the_naive_reference_agrees() -> None:
    policy, images = parse_policy(SEED_GUIDE_POLICY), repository()
    assert {d.digest: (d.rule_priority, d.action, d.target_storage_class)
            for d in evaluate(policy, images, NOW)} == naive_evaluate(policy, images, NOW)
