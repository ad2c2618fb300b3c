"""Registered experiments: a schedule whose plan was committed before its first run fixes the
comparison, the datasets and the paired seeds it is read on. Its section says, before its
claims, how many of the registered pairs are in, how many are left out because a run failed
(a failure record of the schedule, ``admission.failed_reason``: the plan reports such a pair as
failed and leaves it out), and how many are missing; the paired reading shown is interim until
none is missing, and is then the registered verdict, read from the pairs in. The analysis rule
itself is ``paired.py``'s, unchanged.

``REGISTERED`` is data: the decisive experiment of docs/decisive.md (schedule
``paper-whole-ft``, iw-BC vs filtered BC, seeds 0-9 paired on the three medium-replay
datasets), with the descriptive figures its plan lists beside the test (``registered_view.py``:
iw-BC's weight ESS, and what k = 8 changes against ``paper-sampled`` on the same π_ref)."""

from __future__ import annotations

from dataclasses import dataclass

from curatedrl.datasets.ids import dataset_slug


@dataclass(frozen=True)
class Registered:
    schedule: str
    source: str
    x: str  # the comparison read: X vs Y, paired by seed
    y: str
    datasets: tuple[str, ...]
    seeds: tuple[int, ...]  # the registered pairs: seed s of X with seed s of Y
    plan: str  # the document that registers it, relative to the repository root
    # descriptive only, beside the test: the algorithms whose importance-weight ESS is shown,
    # and a schedule whose runs on the same π_ref (final.json reference_key) are compared with
    # these, under a label saying what differs
    weights_of: tuple[str, ...] = ()
    compare_schedule: str | None = None
    compare_label: str = ""


REGISTERED = (
    Registered("paper-whole-ft", "curatedrl", "iw_bc", "filtered_bc",
               ("curatedrl/hopper/medium-replay-v0", "curatedrl/halfcheetah/medium-replay-v0",
                "curatedrl/walker2d/medium-replay-v0"), tuple(range(10)), "docs/decisive.md",
               weights_of=("iw_bc",), compare_schedule="paper-sampled", compare_label="k = 8"),
)


def registered_for(schedule: str, source: str,
                   registry: tuple[Registered, ...] = REGISTERED) -> Registered | None:
    """The registered experiment of a (schedule, data source) section, if any."""
    return next((r for r in registry if (r.schedule, r.source) == (schedule, source)), None)


def pair_counts(reg: Registered, seeds: dict[str, dict[str, dict[int, float]]],
                failed: list = ()) -> list[tuple[str, int, int, int]]:
    """Per registered dataset: (dataset, pairs in, pairs left out because a run failed, pairs
    missing). A registered seed is in when both X and Y have an averaged run of it (``seeds``:
    a section's last scores by algorithm, dataset and seed), else left out when the X or Y run
    of it in the section is a failure record (``failed``: the section's, ``Section.failed``),
    whatever the other arm holds, else missing."""
    xs, ys = seeds.get(reg.x, {}), seeds.get(reg.y, {})
    down = {(r.algo, r.dataset, int(r.final["seed"])) for r in failed}
    out = []
    for d in reg.datasets:
        paired = {s for s in reg.seeds if s in xs.get(d, {}) and s in ys.get(d, {})}
        left = {s for s in reg.seeds if s not in paired
                and ((reg.x, d, s) in down or (reg.y, d, s) in down)}
        out.append((d, len(paired), len(left), len(reg.seeds) - len(paired) - len(left)))
    return out


def extra_pairs(reg: Registered, seeds: dict[str, dict[str, dict[int, float]]]) -> int:
    """Pairs of X and Y in the section beyond the registered ones (another seed or dataset):
    the section's paired reading includes them, the registered verdict does not."""
    xs, ys = seeds.get(reg.x, {}), seeds.get(reg.y, {})
    return sum(not (d in reg.datasets and s in reg.seeds)
               for d in xs for s in xs[d] if s in ys.get(d, {}))


def status_text(reg: Registered, seeds: dict[str, dict[str, dict[int, float]]],
                failed: list = ()) -> str:
    """The line a registered section prints before its claims: per dataset the pairs in, left
    out because a run failed (``failed``: the section's failure records) and missing, and
    whether the paired reading of X vs Y shown is interim or the registered verdict. Plain
    text: the caller escapes it for its format."""
    counts = pair_counts(reg, seeds, failed)
    total = len(reg.seeds) * len(counts)
    have, left, missing = (sum(c[i] for c in counts) for i in (1, 2, 3))
    per = ", ".join(f"{dataset_slug(d)} {n} / {f} / {m}" for d, n, f, m in counts)
    head = (f"Registered experiment ({reg.plan}): {reg.x} vs {reg.y}, seeds "
            f"{min(reg.seeds)}–{max(reg.seeds)} paired on {len(counts)} datasets; pairs in / "
            f"left out because a run failed / missing: {per} ({have} / {left} / {missing} of "
            f"{total}).")
    extra = extra_pairs(reg, seeds)
    if extra:
        return (f"{head} The paired reading of {reg.x} vs {reg.y} below also reads {extra} "
                f"pairs beyond the registered ones (another seed or dataset): it is not the "
                f"registered verdict, which {reg.plan} reads from the {total} registered pairs "
                f"alone.")
    if missing:
        return (f"{head} The paired reading of {reg.x} vs {reg.y} below is interim: the "
                f"registered verdict ({reg.plan}) is read only when each of the {total} pairs "
                f"is in or left out because a run failed.")
    if left:
        return (f"{head} Every registered pair is in or left out: {left} "
                f"pair{'s' if left != 1 else ''} left out because a run failed (a non-finite "
                f"training metric), as {reg.plan} registers; the paired reading of {reg.x} vs "
                f"{reg.y} below is the registered verdict ({reg.plan}), read from the remaining "
                f"{have} pairs.")
    return f"{head} All registered pairs are in: the paired reading of {reg.x} vs {reg.y} " \
        f"below is the registered verdict ({reg.plan})."
