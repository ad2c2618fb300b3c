"""The descriptive figures a registered experiment's plan lists beside its test
(``registered.py``), written after its claims in LEADERBOARD.md and on the site, and labelled as
what they are: no test, no claim. For the decisive experiment: iw-BC's importance-weight ESS per
dataset (``weight_ess.py``, from the runs' train_metrics.csv) and what k = 8 changes, each run
against the ``paper-sampled`` run of its algorithm, dataset and seed on the same π_ref
(``same_reference.py``). Only averaged runs count, on both sides. A figure without data is one
line saying so, never an empty table. Everything read from results/ is written as data
(``escaping.py``)."""

from __future__ import annotations

from dataclasses import dataclass

from curatedrl.benchmarks.leaderboard.escaping import html_text, md_text, safe_id
from curatedrl.benchmarks.leaderboard.registered import Registered, registered_for
from curatedrl.benchmarks.leaderboard.same_reference import Pairing, PairRow, pair_runs
from curatedrl.benchmarks.leaderboard.train_metrics import ESS
from curatedrl.benchmarks.leaderboard.view_tables import html_table, md_table
from curatedrl.benchmarks.leaderboard.weight_ess import EssRow, ess_rows
from curatedrl.datasets.ids import dataset_slug

HEADING = "Descriptive, beside the registered test"


@dataclass
class RegisteredView:
    slug: str  # the section's
    reg: Registered
    ess: list[EssRow]
    pairing: Pairing | None  # None: the plan names no schedule to compare with


def build_registered_view(sec, sections: list) -> RegisteredView | None:
    """The descriptive figures of ``sec`` when it is a registered experiment's section;
    ``sections``: every section of the rebuild (the compared schedule's averaged runs)."""
    reg = registered_for(sec.schedule, sec.source)
    if reg is None:
        return None
    pairing = None
    if reg.compare_schedule is not None:
        other = next((s for s in sections if (s.schedule, s.source) ==
                      (reg.compare_schedule, reg.source)), None)
        pairing = pair_runs(sec.runs, other.runs if other is not None else [],
                            (reg.y, reg.x), reg.datasets)
    return RegisteredView(sec.slug, reg, ess_rows(sec.runs, reg.weights_of, reg.datasets),
                          pairing)


def _intro(view: RegisteredView) -> str:
    return (f"Figures {view.reg.plan} lists as descriptive only, beside the registered test: "
            f"measurements, not part of the test, and no claim is read from them.")


def _ess_about(algo: str) -> str:
    return (f"Importance-weight ESS of {algo} ({ESS}: 1 / Σ w² over a batch's normalised "
            f"weights, as a fraction of the batch), from each run's train_metrics.csv (its "
            f"training rows at the evaluation steps and the last step): at the last step, "
            f"mean and min over seeds, and the mean over the exported rows (each run's mean, "
            f"averaged over runs).")


def _ess_missing(algo: str, rows: list[EssRow]) -> str:
    runs = sum(r.runs for r in rows)
    return (f"Importance-weight ESS of {algo}: no run of this section records it yet (0 of "
            f"{runs} runs have a train_metrics.csv recording {ESS}; runs exported before the "
            f"file was added lack it, and a sweep that finds such a run finished exports it "
            f"again with the file).")


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _ess_cells(r: EssRow) -> list[tuple[str, str]]:
    """(sort key, text) per column after the dataset."""
    values = (r.last_mean, r.last_min, r.rows_mean)
    return [(str(r.covered), f"{r.covered} of {r.runs} runs record it")] + \
        [("" if v is None else f"{v:.6f}", _num(v)) for v in values]


ESS_HEADERS = ["dataset", "runs", "last step, mean over seeds", "last step, min",
               "mean over the exported rows"]


def _compare_about(view: RegisteredView) -> str:
    reg = view.reg
    return (f"What {reg.compare_label} changes: each run here paired with the "
            f"{reg.compare_schedule} run ({reg.compare_label}) of the same algorithm, dataset "
            f"and seed that fine-tuned the same π_ref (equal stage-1 inputs: data hash, seed "
            f"and the stage-1 settings of config.yaml, the fields of the stage-1 cache key), "
            f"both averaged in their sections; the mean difference "
            f"{reg.schedule} − {reg.compare_schedule} of the last normalised score with its 95% "
            f"t-interval and the number of pairs. A measurement: no test, no claim.")


def _unequal(pairing: Pairing, reg: Registered) -> str:
    n = pairing.unequal
    return (f"{n} run{'s' if n != 1 else ''} with a {reg.compare_schedule} run of the same "
            f"algorithm, dataset and seed {'are' if n != 1 else 'is'} not paired: the "
            f"stage-1 inputs differ (another π_ref) or one does not record them.") if n else ""


def _compare_missing(view: RegisteredView) -> str:
    reg, pairing = view.reg, view.pairing
    algos = f"{reg.y} or {reg.x}"
    if not pairing.others:
        why = (f"no {reg.compare_schedule} run of {algos} on these datasets is averaged in its "
               f"section (the runs it lists apart do not count)")
    else:
        why = (f"none of the {pairing.others} averaged {reg.compare_schedule} runs of {algos} "
               f"on these datasets shares a π_ref (equal stage-1 inputs) with a run here")
    return (f"What {reg.compare_label} changes ({reg.schedule} − {reg.compare_schedule} on the "
            f"same π_ref): no pairs yet, as {why}. {_unequal(pairing, reg)}").rstrip()


def _diff(r: PairRow) -> str:
    if r.lo is None:
        return f"{r.mean:+.1f} (one pair: no interval)"
    return f"{r.mean:+.1f} [{r.lo:+.1f}, {r.hi:+.1f}]"


def _compare_headers(reg: Registered) -> list[str]:
    return ["dataset", "algorithm", "pairs",
            f"{reg.schedule} − {reg.compare_schedule}, mean [95% t-interval]"]


def registered_markdown(view: RegisteredView | None) -> list[str]:
    if view is None:
        return []
    lines = ["", f"### {HEADING}", "", md_text(_intro(view))]
    for algo in view.reg.weights_of:
        rows = [r for r in view.ess if r.algo == algo]
        if not any(r.covered for r in rows):
            lines += ["", md_text(_ess_missing(algo, rows))]
            continue
        lines += ["", md_text(_ess_about(algo)), "",
                  *md_table(ESS_HEADERS, [[md_text(dataset_slug(r.dataset))] +
                                          [text for _, text in _ess_cells(r)] for r in rows])]
    pairing = view.pairing
    if pairing is not None and not pairing.rows:
        lines += ["", md_text(_compare_missing(view))]
    elif pairing is not None:
        lines += ["", md_text(_compare_about(view)), "",
                  *md_table(_compare_headers(view.reg),
                            [[md_text(dataset_slug(r.dataset)), md_text(r.algo), str(r.pairs),
                              _diff(r)] for r in pairing.rows])]
        note = _unequal(pairing, view.reg)
        lines += ["", md_text(note)] if note else []
    return lines


def registered_html(view: RegisteredView | None) -> list[str]:
    if view is None:
        return []
    out = [f"<h3>{html_text(HEADING)}</h3>", f"<p>{html_text(_intro(view))}</p>"]
    for algo in view.reg.weights_of:
        rows = [r for r in view.ess if r.algo == algo]
        if not any(r.covered for r in rows):
            out.append(f"<p>{html_text(_ess_missing(algo, rows))}</p>")
            continue
        out.append(f"<p>{html_text(_ess_about(algo))}</p>")
        out += html_table(f"{view.slug}-weight-ess--{safe_id(algo)}",
                          [(h, "text" if i == 0 else "num") for i, h in enumerate(ESS_HEADERS)],
                          [[(r.dataset, html_text(dataset_slug(r.dataset)))] +
                           [(k, html_text(t)) for k, t in _ess_cells(r)] for r in rows])
    pairing = view.pairing
    if pairing is not None and not pairing.rows:
        out.append(f"<p>{html_text(_compare_missing(view))}</p>")
    elif pairing is not None:
        out.append(f"<p>{html_text(_compare_about(view))}</p>")
        kinds = ["text", "text", "num", "num"]
        out += html_table(f"{view.slug}-same-reference",
                          list(zip(_compare_headers(view.reg), kinds)),
                          [[(r.dataset, html_text(dataset_slug(r.dataset))),
                            (r.algo, html_text(r.algo)), (str(r.pairs), str(r.pairs)),
                            (f"{r.mean:.6f}", html_text(_diff(r)))] for r in pairing.rows])
        note = _unequal(pairing, view.reg)
        out += [f"<p>{html_text(note)}</p>"] if note else []
    return out
