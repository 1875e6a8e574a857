"""`scrapy report`: figures of the crawl (PNG, matplotlib without a display) and an index.html."""

from __future__ import annotations

import html
import math
from collections import Counter
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from dpchallenge.dataset.ava import AvaTable
from dpchallenge.dataset.export import finish_out, prepare_out, project_version
from dpchallenge.dataset.rows import MOS_BINS, build_row, mos_bin
from dpchallenge.dataset.source import Source

plt.rcParams.update({"figure.dpi": 150, "font.size": 10, "axes.grid": True, "grid.alpha": 0.3})

# Where an image's MOS comes from (mos_source), as the MOS figure names it, and its colour.
MOS_SOURCES = {
    "vote_counts": ("vote counts", "#4c72b0"),
    "site_average": ("the site's average", "#dd8452"),
    "results_average": ("the results row's average", "#8c8c8c"),
}


class Facts:
    """The few numbers per image the figures need (no comments, no text)."""

    def __init__(self):
        self.mos: list[float] = []
        self.mos_challenge: list[int] = []
        self.mos_source: list[str] = []
        self.votes: list[int] = []
        self.comments: list[int] = []
        self.makes: Counter = Counter()
        self.aperture: list[float] = []
        self.shutter: list[float] = []
        self.iso: list[int] = []
        self.years: Counter = Counter()
        self.status: Counter = Counter()
        self.sources: Counter = Counter()
        self.images = 0
        self.dates: list[str] = []
        self.galleries: Counter = Counter()

    def add(self, row: dict) -> None:
        self.images += 1
        if row["mos"] is not None:
            self.mos.append(row["mos"])
            self.mos_challenge.append(row["challenge_id"] or 0)
            self.mos_source.append(row["mos_source"])
        self.sources[row["mos_source"] or "none"] += 1
        if row["votes"] is not None:
            self.votes.append(row["votes"])
        if row["has_image_page"]:
            self.comments.append(len(row["comments"]))
            make = row["camera_make"] or (row["camera"] or "").split(" ")[0] or None
            if make:
                self.makes[make] += 1
        for values, name in ((self.aperture, "aperture_f"), (self.shutter, "shutter_s")):
            if row[name] is not None:
                values.append(row[name])
        if row["iso_value"] is not None:
            self.iso.append(row["iso_value"])
        day = row["challenge_voting_end"] or row["uploaded_on"]
        if day:
            self.years[int(day[:4])] += 1
            self.dates.append(day)
        self.status["disqualified"] += bool(row["disqualified"])
        self.status["removed"] += bool(row["removed"])
        self.status["placed"] += row["place"] is not None
        self.galleries.update(row["galleries"] or ())


def _save(fig, out: Path, name: str) -> str:
    fig.tight_layout()
    fig.savefig(out / name)
    plt.close(fig)
    return name


def _empty(ax, what: str) -> None:
    ax.text(0.5, 0.5, f"no {what} in this crawl", ha="center", va="center", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def mos_by_source(facts: Facts) -> list[tuple[list[float], str, str]]:
    """The MOS values of each source present: (values, legend label with count, colour)."""
    values: dict[str, list[float]] = {}
    for value, source in zip(facts.mos, facts.mos_source, strict=True):
        values.setdefault(source, []).append(value)
    found = []
    for source, (label, colour) in MOS_SOURCES.items():
        if source in values:
            these = values.pop(source)
            found.append((these, f"{label} ({len(these):,})", colour))
    for source, rest in values.items():
        found.append((rest, f"{source or 'unknown'} ({len(rest):,})", "#937860"))
    return found


def challenge_positions(challenge_ids: list[int], mos) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each challenge's place in id order (ids have wide gaps), each image's, and each mean MOS."""
    ids = np.asarray(challenge_ids)
    order = np.unique(ids)
    place = np.searchsorted(order, ids)
    means = np.bincount(place, weights=np.asarray(mos)) / np.bincount(place)
    return order, place, means


def figures(facts: Facts, out: Path, ava_shares: dict | None) -> list[tuple[str, str]]:
    made = []
    mos = np.asarray(facts.mos)

    fig, ax = plt.subplots(figsize=(6, 4))
    by_source = mos_by_source(facts)
    if len(mos):
        # Stacked by source: the bars' total is the whole crawl, the colours say where each MOS
        # comes from. The legend sits top left, above the empty low tail.
        ax.hist(
            [values for values, _, _ in by_source],
            bins=np.arange(1, 10.01, 0.25),
            density=True,
            stacked=True,
            color=[colour for _, _, colour in by_source],
            label=[label for _, label, _ in by_source],
            alpha=0.8,
        )
        mean, std = float(mos.mean()), float(mos.std())
        if std > 0:
            x = np.linspace(1, 10, 400)
            pdf = np.exp(-((x - mean) ** 2) / (2 * std**2)) / (std * math.sqrt(2 * math.pi))
            ax.plot(x, pdf, color="#c44e52", label=f"Gaussian fit: μ={mean:.2f}, σ={std:.2f}")
        ax.legend(loc="upper left", fontsize=8, title="MOS from", title_fontsize=8)
        ax.set_xlim(1, 10)
        ax.set_ylim(0, ax.get_ylim()[1] * 1.15)
    else:
        _empty(ax, "scores")
    ax.set(xlabel="MOS", ylabel="density", title=f"MOS distribution ({len(mos):,} images)")
    sources = "; ".join(label for _, label, _ in by_source)
    made.append(
        (
            _save(fig, out, "mos_distribution.png"),
            f"MOS distribution with a fitted Gaussian; MOS from {sources or 'no source'}",
        )
    )

    fig, ax = plt.subplots(figsize=(7, 4))
    if len(mos):
        # Markers stay visible on a few thousand images and fade only on many more.
        size, alpha = (10, 0.5) if len(mos) <= 5000 else (3, 0.25)
        order, place, means = challenge_positions(facts.mos_challenge, mos)
        # A little sideways jitter keeps a challenge's images apart when there are few.
        jitter = np.random.default_rng(0).uniform(-0.25, 0.25, len(place))
        ax.scatter(
            place + jitter,
            mos,
            s=size,
            alpha=alpha,
            color="#4c72b0",
            linewidths=0,
            label="an image",
        )
        ax.plot(np.arange(len(order)), means, color="#c44e52", lw=1.3, label="mean per challenge")
        ticks = np.unique(np.linspace(0, len(order) - 1, min(len(order), 8)).round().astype(int))
        ax.set_xticks(ticks, [str(order[t]) for t in ticks])
        ax.set_xlim(-0.6, len(order) - 0.4)
        ax.legend(loc="lower right", fontsize=8)
        ax.set_ylim(1, 10)
    else:
        _empty(ax, "scores")
    ax.set(
        xlabel="challenge, in id order (ticks: ids)",
        ylabel="MOS",
        title=f"MOS by challenge ({len(mos):,} images)",
    )
    made.append(
        (
            _save(fig, out, "mos_by_challenge.png"),
            "MOS by challenge, in id order, with each challenge's mean",
        )
    )

    for name, values, label in (
        ("votes_per_image.png", facts.votes, "votes"),
        ("comments_per_image.png", facts.comments, "comments"),
    ):
        fig, ax = plt.subplots(figsize=(6, 4))
        if values:
            top = max(values)
            ax.hist(values, bins=min(50, top + 1), color="#55a868")
            ax.axvline(
                float(np.median(values)), color="k", ls="--", label=f"median {np.median(values):g}"
            )
            ax.legend()
        else:
            _empty(ax, label)
        ax.set(
            xlabel=f"{label} per image", ylabel="images", title=f"{label.capitalize()} per image"
        )
        made.append((_save(fig, out, name), f"{label.capitalize()} per image"))

    if ava_shares is not None:
        counts = Counter(mos_bin(v) for v in facts.mos)
        ours = [counts[b] / max(1, len(facts.mos)) for b in MOS_BINS]
        x = np.arange(len(MOS_BINS))
        fig, ax = plt.subplots(figsize=(7, 4))
        ax.bar(x - 0.2, ours, 0.4, label="this crawl", color="#4c72b0")
        ax.bar(
            x + 0.2,
            [ava_shares[b] for b in MOS_BINS],
            0.4,
            label="AVA (--ava-txt)",
            color="#dd8452",
        )
        ax.set_xticks(x, MOS_BINS)
        ax.set(xlabel="MOS bin", ylabel="share of images", title="Share per MOS bin: crawl and AVA")
        ax.legend()
        made.append(
            (_save(fig, out, "mos_bins_vs_ava.png"), "Share of images per MOS bin, beside AVA")
        )

    fig, ax = plt.subplots(figsize=(7, 4))
    top = facts.makes.most_common(15)
    if top:
        ax.barh([m for m, _ in reversed(top)], [n for _, n in reversed(top)], color="#8172b3")
    else:
        _empty(ax, "cameras")
    ax.set(xlabel="images", title="Camera makes (first word of the camera where no make)")
    made.append((_save(fig, out, "camera_makes.png"), "Camera makes"))

    fig, axes = plt.subplots(1, 3, figsize=(10, 3.4))
    for ax, values, label, log in (
        (axes[0], facts.aperture, "aperture (f-number)", False),
        (axes[1], facts.shutter, "shutter (s)", True),
        (axes[2], facts.iso, "ISO", True),
    ):
        positive = [v for v in values if v and v > 0]
        if positive:
            if log:
                bins = np.geomspace(min(positive), max(positive) * 1.001, 25)
                ax.set_xscale("log")
            else:
                bins = 25
            ax.hist(positive, bins=bins, color="#937860")
        else:
            _empty(ax, label)
        ax.set(xlabel=label, ylabel="images", title=f"{label} ({len(positive):,})")
    made.append((_save(fig, out, "camera_settings.png"), "Aperture, shutter and ISO"))

    fig, ax = plt.subplots(figsize=(5, 3.5))
    labels = ["placed", "disqualified", "removed"]
    bars = ax.bar(
        labels, [facts.status[k] for k in labels], color=["#4c72b0", "#c44e52", "#8c8c8c"]
    )
    ax.bar_label(bars)
    ax.set_ylim(0, max(1, *(bar.get_height() for bar in bars)) * 1.12)  # room for the labels
    ax.set(ylabel="images", title="Placed, disqualified and removed entries")
    made.append((_save(fig, out, "disqualified_removed.png"), "Disqualified and removed counts"))

    fig, ax = plt.subplots(figsize=(7, 4))
    if facts.years:
        years = list(range(min(facts.years), max(facts.years) + 1))
        ax.bar(years, [facts.years[y] for y in years], color="#64b5cd")
        ax.set_xticks(years[:: math.ceil(len(years) / 10)])
    else:
        _empty(ax, "dates")
    ax.set(xlabel="year (challenge's last voting day)", ylabel="images", title="Images per year")
    made.append((_save(fig, out, "images_per_year.png"), "Images per year"))
    return made


def galleries_figure(facts: Facts, out: Path, top: int = 30) -> tuple[str, str]:
    """Images per gallery (the site's subject categories), the largest `top` galleries."""
    fig, ax = plt.subplots(figsize=(7, max(3.0, 0.22 * min(top, len(facts.galleries)) + 1)))
    largest = facts.galleries.most_common(top)
    if largest:
        ax.barh([n for n, _ in reversed(largest)], [c for _, c in reversed(largest)])
    else:
        _empty(ax, "galleries")
    shown = f"the {len(largest)} largest of " if len(facts.galleries) > len(largest) else ""
    ax.set(xlabel="images", title=f"Images per gallery ({shown}{len(facts.galleries):,})")
    caption = f"Images per gallery ({len(facts.galleries):,} galleries)"
    return _save(fig, out, "images_per_gallery.png"), caption


def ava_mos_pairs(source: Source, ava: AvaTable) -> dict[int, tuple[float, float]]:
    """image id -> (AVA's MOS from its counts, the image page's MOS) where both are known."""
    pairs = {}
    for image_id in sorted(source.images.index.keys() & set(ava.ids.tolist())):
        record = source.images.get(image_id) or {}
        counts = ava.get(image_id)[0]
        if record.get("mos") is not None and sum(counts):
            then = sum(s * n for s, n in enumerate(counts, 1)) / sum(counts)
            pairs[image_id] = (then, record["mos"])
    return pairs


def ava_mos_figure(source: Source, ava: AvaTable, out: Path) -> tuple[str, str]:
    """AVA's MOS against today's, for the AVA images whose page the crawl holds."""
    pairs = ava_mos_pairs(source, ava).values()
    then, now = [p[0] for p in pairs], [p[1] for p in pairs]
    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    if then:
        ax.scatter(then, now, s=4, alpha=0.4, color="#4c72b0", linewidths=0)
        ax.plot([1, 10], [1, 10], color="#8c8c8c", lw=1, ls="--", label="unchanged")
        change = np.asarray(now) - np.asarray(then)
        ax.legend(title=f"median change {np.median(change):+.3f}", loc="upper left")
        ax.set_xlim(1, 10)
        ax.set_ylim(1, 10)
    else:
        _empty(ax, "AVA images with a MOS")
    ax.set(
        xlabel="AVA's MOS (its vote counts)",
        ylabel="MOS on the site today",
        title=f"AVA's MOS and today's ({len(then):,} images found)",
    )
    name = _save(fig, out, "ava_mos_then_and_now.png")
    return name, "AVA's MOS against today's, for the AVA images found on the site"


def page(facts: Facts, source: Source, made: list[tuple[str, str]]) -> str:
    dates = sorted(facts.dates)
    totals = [
        ("challenges", f"{len(source.challenges):,}"),
        ("images (results rows and image pages)", f"{facts.images:,}"),
        ("image pages crawled", f"{len(source.images):,}"),
        ("images with a MOS", f"{len(facts.mos):,}"),
        (
            "MOS from vote counts / site average / results row",
            "{:,} / {:,} / {:,}".format(
                facts.sources["vote_counts"],
                facts.sources["site_average"],
                facts.sources["results_average"],
            ),
        ),
        ("votes in all", f"{sum(facts.votes):,}"),
        ("comments on crawled image pages", f"{sum(facts.comments):,}"),
        ("challenges' voting ended", f"{dates[0]} to {dates[-1]}" if dates else "-"),
        ("lines skipped as bad", f"{sum(source.problems.counts.values()):,}"),
    ]
    rows = "\n".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in totals
    )
    figs = "\n".join(
        f'<figure><a href="{n}"><img src="{n}" alt="{html.escape(t)}"></a>'
        f"<figcaption>{html.escape(t)}</figcaption></figure>"
        for n, t in made
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>DPChallenge crawl report</title>
<style>body{{font-family:sans-serif;max-width:1000px;margin:2em auto}}
th{{text-align:left;padding-right:2em}} img{{max-width:100%}} figure{{margin:2em 0}}</style>
</head><body><h1>DPChallenge crawl report</h1>
<p>From {html.escape(str(source.data_dir))}; dpchallenge-crawler {project_version()}.</p>
<table>{rows}</table>
{figs}
</body></html>
"""


def write_report(data_dir, out, ava_txt: str | None = None) -> list[str]:
    source = Source(data_dir)
    ava = AvaTable(ava_txt) if ava_txt else None
    out = Path(out)
    work = prepare_out(out, marker="index.html")
    try:
        facts = Facts()
        for image_id, entry, image in source.pairs():
            challenge_id = (image or {}).get("challenge_id") or (entry or {}).get("challenge_id")
            challenge = source.challenges.get(challenge_id)
            if challenge is not None and challenge.get("status") != "finished":
                continue
            facts.add(build_row(entry, image, challenge, ava.get(image_id) if ava else None))
        made = figures(facts, work, ava.mos_bin_shares() if ava else None)
        made.append(galleries_figure(facts, work))
        if ava is not None:
            made.append(ava_mos_figure(source, ava, work))
        (work / "index.html").write_text(page(facts, source, made), encoding="utf-8")
        finish_out(work, out)
    finally:
        source.close()
    return [name for name, _ in made]
