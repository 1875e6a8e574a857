"""A deterministic, lazily generated DPChallenge-like site: challenges, entries, comments."""

from __future__ import annotations

import math
import random
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import NormalDist

from dpchallenge.replica import eastern

DEFAULT_NOW = datetime(2026, 9, 5, 4, 27, 9)
FIRST_CHALLENGE_ID = 1000
FIRST_IMAGE_ID = 1_000_000
FIRST_COMMENT_ID = 6_000_000
COMMENT_ID_STRIDE = 40
FIRST_DAY = date(2003, 1, 20)

KIND_LABELS = {
    "member": "Member Challenge",
    "open": "Open Challenge",
    "speed": "Speed Challenge",
    "invitational": "Invitational Challenge",
}
KIND_ICONS = {"member": "21.gif", "open": "31.gif", "speed": "41.gif", "invitational": "11.gif"}
RULES = [
    (19, "Standard Editing"),
    (20, "Extended Editing"),
    (21, "Minimal Editing"),
    (17, "Advanced Editing VII"),
    (12, "Basic Editing V"),
]
EXTRA_RULES = [
    "Archival",
    "*Entries must be captured during the submission period. ",
    "*Monochrome entries only; a single toned colour is allowed. ",
    "*A visible clock or watch must appear in the frame. ",
]
ROLE_ICONS = {"Member": "21", "Registered User": "31", "Site Council": "11"}

TOPICS = [
    "Light & Shadow",
    '"Found" Objects',
    "Café Culture",
    "Rock ’n’ Roll",
    "Sunrise — Sunset",
    "Doors & Windows",
    "Reflections",
    "Minimalism",
    "Street Life",
    "Macro World",
    "Fête de la Musique",
    "Things That Fly",
    "Red",
    "Texture",
    "Night Lights",
    "Self Portrait",
    "The Letter Q",
    "Rust & Decay",
    "Water Drops",
    "Kitchen Tools",
    "Déjà Vu",
    "Motion Blur",
    "Leading Lines",
    "High Key",
    "Low Key",
    "Silhouettes",
    "Old Hands",
    "Bokeh",
    "Bridges",
    "One Colour",
]
TITLE_WORDS_A = [
    "Morning",
    "Quiet",
    "Lost",
    "Blue",
    "Golden",
    "Broken",
    "Silent",
    "Frozen",
    "Little",
    "Crimson",
    "Hidden",
    "Last",
    "Café",
    "Paper",
    "Velvet",
    "Distant",
    "Electric",
    "Salt &",
]
TITLE_WORDS_B = [
    "Fog",
    "Hour",
    "Steps",
    "Window",
    "Garden",
    "Echo",
    "Light",
    "Harbour",
    "Thread",
    "Pepper",
    "Rain",
    "Shadow",
    "Orbit",
    "Crossing",
    "Lantern",
    "Dusk",
    "Résumé",
    "Path",
]
TITLE_SPECIALS = [
    '"Untitled" No. 3',
    "Don’t Look Back",
    "Two — Tone",
    "B&W Study",
    "Naïve Still Life",
    '"Home" & Away',
]
NAME_HEADS = [
    "pixel",
    "lumen",
    "shutter",
    "night",
    "river",
    "amber",
    "cobalt",
    "José",
    "Zoé",
    "Renée",
    "foto",
    "grain",
    "tide",
    "moss",
    "kestrel",
    "prism",
    "heron",
    "slate",
]
NAME_TAILS = ["wren", "fox", "_m", "42", "bug", "cat", "", "ista", "hawk", "lark", "_nz", "99"]
CAMERAS = [
    (2101, "Nikon D7000"),
    (2154, "Canon EOS 5D Mark III"),
    (2230, "Fujifilm X-T2"),
    (2297, "Sony A7 III"),
    (1843, "Olympus E-M5"),
    (2010, "Pentax K-5"),
    (1702, "Canon PowerShot G9"),
    (2412, "Nikon Z6"),
    (1555, "Panasonic Lumix DMC-FZ8"),
]
LENSES = [
    (310, "Nikon AF-S 50mm f/1.8G"),
    (415, "Canon EF 24-105mm f/4L IS USM"),
    (522, "Fujifilm XF 35mm F1.4 R"),
    (633, "Sony FE 85mm F1.8"),
    (744, "Sigma 17-50mm f/2.8 EX DC OS HSM"),
    (855, "Tamron SP 90mm F/2.8 Di Macro"),
    (966, "Olympus M.Zuiko 45mm f/1.8"),
]
APERTURES = ["f/1.8", "f/2.8", "f/4", "f/5.6", "f/8", "f/11", "f/16"]
ISOS = ["100", "200", "400", "800", "1600", "3200"]
SHUTTERS = ["1/4000", "1/1000", "1/250", "1/60", "1/10", "1/2", "2", "30"]
# The site stopped publishing the vote histogram around 2024 (SITE.md, measured by voting year):
# the replica shows it, to logged-in sessions only, for challenges that ended voting before this.
HISTOGRAM_UNTIL_YEAR = 2024
# The site's subject galleries (AVA's semantic tags came from them); the ids are made up.
GALLERIES = [
    (1, "Abstract"),
    (2, "Animals"),
    (4, "Black and White"),
    (7, "Landscape"),
    (9, "Macro"),
    (12, "Nature"),
    (15, "Portraiture"),
    (19, "Food & Drink"),
    (24, "Still Life"),
    (31, "Urban"),
    (36, "Architecture"),
    (41, "Seascapes"),
]
LOCATIONS = ["Lisbon", "Montréal", "Portland, Oregon", "Kyoto", "Zürich", "the back garden"]
DESCRIPTION_PARTS = [
    "Show us your best take on the theme.",
    "Anything goes as long as the subject is clear to the voters.",
    "Think about colour, light & mood before you shoot.",
    "Interpret the title literally or loosely — it is up to you.",
    "Entries that stretch the idea are welcome.",
    "Café tables, street corners and kitchens all count.",
]
COMMENT_OPENERS = [
    "Lovely light here.",
    "Nice use of negative space.",
    "The colours work really well together.",
    "I like the mood of this one.",
    "Great timing!",
    "Strong composition, the lines pull me right in.",
    "A bit soft on the main subject for me.",
    "The crop feels a little tight.",
    "Beautiful tones in the shadows.",
    "This made me smile.",
    "Very clean processing.",
    'Good fit for the "challenge" theme.',
    "I keep coming back to this one.",
    "The background is slightly distracting.",
    "Wonderful detail in the textures.",
]
COMMENT_EXTRAS = [
    "Well done.",
    "Thanks for sharing.",
    "Good luck in the challenge!",
    "Congrats on the finish.",
    "Gave it a 7.",
    "Would love to see it a little brighter.",
    "The B&amp;W conversion suits it.",
    "Don’t change a thing.",
    "Just my two cents — still a fine shot.",
    "Salt &amp; pepper noise in the sky, though.",
    "Très bien.",
]
PHOTOGRAPHER_NOTES = [
    "Taken on a walk along the river just after sunset.",
    "Shot handheld, minor levels adjustment only.",
    "My first entry in a while — thanks for looking.",
    "Lit with a single speedlight through an umbrella.",
    "Edited in a raw converter: crop, contrast &amp; a little vignette.",
    "The café owner kindly let me set up before opening.",
    "Three attempts before the light cooperated.",
]
PHOTOGRAPHER_THANKS = [
    "Thanks for all the kind words, everyone!",
    "Thank you for the votes and the helpful critique.",
    "Happy with the finish — thanks all.",
]


def fixed(value: int, decimals: int) -> str:
    """Formats a non-negative value held in units of 10**-decimals: fixed(61520, 4) == '6.1520'."""
    whole, frac = divmod(value, 10**decimals)
    return f"{whole}.{frac:0{decimals}d}"


def div_round(numerator: int, denominator: int) -> int:
    """Non-negative integer division rounded half up."""
    return (2 * numerator + denominator) // (2 * denominator)


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def escape_text(text: str) -> str:
    """Escapes text for HTML the way the site does for titles (&quot; but no &#39;)."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def escape_name(text: str) -> str:
    """Challenge names go out with a bare '&' (as on the real history page) but escaped quotes."""
    return text.replace('"', "&quot;")


def edited_line(edited: datetime) -> str:
    """What the site appends to the body of a comment edited at that time (Eastern)."""
    return f"<br><br><i>Message edited by author {edited:%Y-%m-%d %H:%M:%S}.</i>"


@dataclass(frozen=True)
class User:
    user_id: int
    name: str
    role: str  # Member | Registered User | Site Council
    icon: str  # file under /images/user_icon/, e.g. 21_F.gif


@dataclass(frozen=True)
class Challenge:
    challenge_id: int
    index: int
    name: str
    kind: str  # member | open | speed | invitational
    rules_id: int
    rules_name: str
    extra_rules: str | None
    description_html: str
    submission_start: date
    submission_end: date
    voting_start: date
    voting_end: date
    finished: bool

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def shows_histogram(self) -> bool:
        """Whether a logged-in session sees this challenge's images with their vote histogram."""
        return self.voting_end.year < HISTOGRAM_UNTIL_YEAR


@dataclass(frozen=True)
class Entry:
    """One results row. Averages are integers in units of 1e-4 (61520 means 6.1520)."""

    image_id: int
    challenge_id: int
    status: str  # placed | disqualified | removed | withdrawn (removed, its row without links)
    place: int | None
    title: str
    photographer: User
    vote_counts: tuple[int, ...]
    votes: int
    avg_all: int
    avg_participants: int
    avg_non_participants: int
    views: int
    views_during_voting: int
    comments_after: int
    comments_during: int
    favorites: int

    @property
    def ribbon(self) -> int | None:
        return self.place if self.place is not None and self.place <= 3 else None

    @property
    def comment_count(self) -> int:
        return self.comments_after + self.comments_during


@dataclass(frozen=True)
class ChallengeStats:
    """Results-page statistics; scores in units of 1e-4, avg_score5 in units of 1e-5."""

    entries: int
    disqualifications: int
    votes: int
    comments: int
    avg_score5: int
    avg_score4: int
    highest: int
    median: int
    lowest: int


@dataclass(frozen=True)
class Comment:
    comment_id: int
    author: User
    posted_at: datetime
    edited_at: datetime | None
    during_challenge: bool
    html: str  # the body as served (edited line and quote table included)
    helpful: bool
    camera: tuple[int, str] | None
    lens: tuple[int, str] | None


@dataclass(frozen=True)
class ImageDetail:
    entry: Entry
    camera: tuple[int, str]
    lens: tuple[int, str] | None
    aperture: str | None
    iso: str | None
    shutter_label: str  # Shutter | Shutter Speed
    shutter: str | None
    location: str | None
    taken_on: date | None
    uploaded_on: date
    photographer_comment_html: str | None
    avg_commenters: int | None
    comments: tuple[Comment, ...] = field(default=())  # newest first
    galleries: tuple[tuple[int, str], ...] = ()  # (GALLERY_ID, name), in page order
    portfolio_link: bool = False  # a "Portfolio" link stands before the photographer's


# A contest's image means cluster near 5-6 with thin tails, as AVA's do.
IMAGE_MEANS = NormalDist(5.4, 0.6)


def _vote_counts(rng: random.Random, votes: int) -> tuple[int, ...]:
    """Ten counts summing to votes, shaped like a rounded bell around a normally drawn mean."""
    # One draw each for mean and spread, as before, so every later value of the seed stays put.
    mean = IMAGE_MEANS.inv_cdf(min(max(rng.random(), 1e-9), 1 - 1e-9))
    spread = rng.uniform(1.2, 1.9)
    weights = [math.exp(-((score - mean) ** 2) / (2 * spread * spread)) for score in range(1, 11)]
    total = sum(weights)
    shares = [w / total * votes for w in weights]
    counts = [int(s) for s in shares]
    by_remainder = sorted(range(10), key=lambda i: (counts[i] - shares[i], i))
    for i in by_remainder[: votes - sum(counts)]:
        counts[i] += 1
    return tuple(counts)


def _scaled(value: float) -> int:
    return round(min(10.0, max(1.0, value)) * 10000)


class Site:
    """The replica's data. Challenges are built eagerly (cheap); entries and images on demand."""

    def __init__(
        self,
        seed: int = 1,
        challenges: int = 20,
        entries: int = 12,
        *,
        base_url: str = "https://www.dpchallenge.com",
        images_url: str = "https://images.dpchallenge.com",
        now: datetime = DEFAULT_NOW,
    ) -> None:
        if challenges < 2 or entries < 3:
            raise ValueError("a replica needs at least 2 challenges of at least 3 entries")
        self.seed = seed
        self.challenge_count = challenges
        self.entries_per_challenge = entries
        self.base_url = base_url.rstrip("/")
        self.images_url = images_url.rstrip("/")
        self.now = now
        self.image_block = 2 * entries + 4
        self._lock = threading.RLock()
        self._entries: dict[int, list[Entry]] = {}
        self._stats: dict[int, ChallengeStats] = {}
        self._details: dict[int, ImageDetail] = {}
        self.users = self._make_users()
        self._challenges = self._make_challenges()
        self._by_id = {c.challenge_id: c for c in self._challenges}

    def _rng(self, *key: object) -> random.Random:
        return random.Random("/".join(str(k) for k in (self.seed, *key)))

    # ---- construction -------------------------------------------------------------------

    def _make_users(self) -> list[User]:
        rng = self._rng("users")
        count = max(60, 3 * self.entries_per_challenge)
        ids = sorted(rng.sample(range(1000, 150_000), count))
        users = []
        seen: set[str] = set()
        for user_id in ids:
            name = rng.choice(NAME_HEADS) + rng.choice(NAME_TAILS)
            while name in seen:
                name += str(rng.randint(0, 9))
            seen.add(name)
            role = rng.choices(["Member", "Registered User", "Site Council"], [55, 40, 5])[0]
            icon = ROLE_ICONS[role] + rng.choice(["", "_F", "_N"]) + ".gif"
            users.append(User(user_id, name, role, icon))
        return users

    def _unfinished_count(self) -> int:
        return 1 if self.challenge_count < 10 else 2

    def _make_challenges(self) -> list[Challenge]:
        rng = self._rng("challenges")
        total = self.challenge_count
        finished = total - self._unfinished_count()
        ids = []
        next_id = FIRST_CHALLENGE_ID
        for index in range(total):
            if index == 1:
                next_id += 1  # always leave a gap early, so even tiny sites have invalid ids
            elif index == total // 2 and total >= 4:
                next_id = (next_id // 1000 + 1) * 1000 + rng.randint(0, 5)
            elif index and rng.random() < 0.15:
                next_id += 1
            ids.append(next_id)
            next_id += 1

        topics = TOPICS[:6] + rng.sample(TOPICS[6:], len(TOPICS) - 6)
        topic_uses: dict[str, int] = {}
        last_end = self.now.date() - timedelta(days=8)
        span = (last_end - FIRST_DAY).days
        spacing = span / max(1, finished - 1)
        challenges = []
        for index, challenge_id in enumerate(ids):
            is_finished = index < finished
            topic = topics[index % len(topics)]
            topic_uses[topic] = topic_uses.get(topic, 0) + 1
            name = topic if topic_uses[topic] == 1 else f"{topic} {_roman(topic_uses[topic])}"
            if total >= 6 and index < 4:
                kind = ["member", "open", "speed", "invitational"][index]
            else:
                kind = rng.choices(["member", "open", "speed", "invitational"], [45, 45, 5, 5])[0]
            rules_id, rules_name = rng.choice(RULES)
            extra = None
            if is_finished and (index == 0 or rng.random() < 0.2):
                extra = rng.choice(EXTRA_RULES)
                if extra == "Archival":
                    name += " (ARCHIVAL)"
            description = self._make_description(rng)
            length = rng.randint(6, 13)
            if is_finished:
                offset = 0.0 if finished == 1 else index * spacing
                offset += rng.uniform(-spacing / 3, spacing / 3)
                if rng.random() < 0.08:
                    offset += 2.5 * spacing  # some challenges close out of id order
                offset = min(max(offset, 0.0), float(span))
                submission_end = FIRST_DAY + timedelta(days=int(offset))
            elif index == finished:
                submission_end = self.now.date() - timedelta(days=2)  # now in voting
            else:
                submission_end = self.now.date() + timedelta(days=5)  # still taking entries
            challenges.append(
                Challenge(
                    challenge_id=challenge_id,
                    index=index,
                    name=name,
                    kind=kind,
                    rules_id=rules_id,
                    rules_name=rules_name,
                    extra_rules=extra,
                    description_html=description,
                    submission_start=submission_end - timedelta(days=length - 1),
                    submission_end=submission_end,
                    voting_start=submission_end + timedelta(days=1),
                    voting_end=submission_end + timedelta(days=7),
                    finished=is_finished,
                )
            )
        return challenges

    def _make_description(self, rng: random.Random) -> str:
        parts = rng.sample(DESCRIPTION_PARTS, 2)
        html = " ".join(p.replace("&", "&amp;") for p in parts)
        if rng.random() < 0.4:
            thread = rng.randint(100_000, 999_999)
            html += (
                ' See the <a href="http://www.dpchallenge.com/forum.php?FORUM_THREAD_ID='
                f'{thread}">forum thread</a>.'
            )
        if rng.random() < 0.4:
            html += "<br><br>" + rng.choice(DESCRIPTION_PARTS).replace("&", "&amp;")
        return html

    def _make_entries(self, challenge: Challenge) -> tuple[list[Entry], ChallengeStats]:
        rng = self._rng("entries", challenge.challenge_id)
        count = self.entries_per_challenge
        block_start = FIRST_IMAGE_ID + challenge.index * self.image_block
        image_ids = sorted(rng.sample(range(block_start, block_start + self.image_block), count))
        photographers = rng.sample(self.users, count)
        status = ["placed"] * count
        finished_rank = challenge.index
        if finished_rank == 0 or rng.random() < 0.12:
            status[rng.randrange(count)] = "disqualified"
        if finished_rank == 1 or (finished_rank == 0 and self._finished_count() == 1):
            status[rng.choice([i for i in range(count) if status[i] == "placed"])] = "removed"

        raw = []
        for i, image_id in enumerate(image_ids):
            votes = rng.randint(20, 240)
            counts = _vote_counts(rng, votes)
            avg = div_round(
                sum(s * n for s, n in zip(range(1, 11), counts, strict=True)) * 10000, votes
            )
            title = (
                rng.choice(TITLE_SPECIALS)
                if rng.random() < 0.12
                else f"{rng.choice(TITLE_WORDS_A)} {rng.choice(TITLE_WORDS_B)}"
            )
            raw.append(
                {
                    "image_id": image_id,
                    "status": status[i],
                    "title": title,
                    "photographer": photographers[i],
                    "vote_counts": counts,
                    "votes": votes,
                    "avg_all": avg,
                    "avg_participants": _scaled(avg / 10000 + rng.uniform(-0.35, 0.45)),
                    "avg_non_participants": _scaled(avg / 10000 - rng.uniform(-0.3, 0.4)),
                    "views": rng.randint(300, 5200),
                    "views_during_voting": rng.randint(150, 460),
                    "favorites": rng.choices(range(11), [40, 20, 10, 8, 6, 5, 4, 3, 2, 1, 1])[0],
                }
            )
        placed = sorted(
            (r for r in raw if r["status"] == "placed"),
            key=lambda r: (-r["avg_all"], -r["votes"], r["image_id"]),
        )
        others = [r for r in raw if r["status"] == "disqualified"]
        others += [r for r in raw if r["status"] == "removed"]
        for place, row in enumerate(placed, start=1):
            row["place"] = place
        for row in others:
            row["place"] = None

        kinds = [rng.choices(["none", "after", "during", "both"], [15, 15, 10, 60])[0] for _ in raw]
        ordered = placed + others
        if finished_rank == 0:
            kinds[-1 if not others else -1 - len(others)] = "none"
            if len(placed) >= 2:
                kinds[len(placed) - 2] = "after"
            if len(placed) >= 3:
                kinds[0] = "both"
        entries = []
        for row, kind in zip(ordered, kinds, strict=True):
            after = rng.randint(1, 5) if kind in ("after", "both") else 0
            during = rng.randint(1, 8) if kind in ("during", "both") else 0
            entries.append(
                Entry(
                    challenge_id=challenge.challenge_id,
                    comments_after=after,
                    comments_during=during,
                    **row,
                )
            )
        if finished_rank == 2:
            entries.append(self._withdrawn_entry(challenge, set(image_ids), block_start))
        return entries, self._compute_stats(entries)

    def _withdrawn_entry(self, challenge: Challenge, taken: set[int], block_start: int) -> Entry:
        """One more row, last: an entry removed with its image, counted in Submissions and
        listed without a link. Added to the drawn ones so that they stay as they were."""
        image_id = next(
            i for i in range(block_start, block_start + self.image_block) if i not in taken
        )
        return Entry(
            image_id=image_id,
            challenge_id=challenge.challenge_id,
            status="withdrawn",
            place=None,
            title="Withdrawn",
            photographer=self.users[0],
            vote_counts=(0,) * 10,
            votes=0,
            avg_all=0,
            avg_participants=0,
            avg_non_participants=0,
            views=0,
            views_during_voting=0,
            comments_after=0,
            comments_during=0,
            favorites=0,
        )

    @staticmethod
    def _compute_stats(entries: list[Entry]) -> ChallengeStats:
        scores = sorted(e.avg_all for e in entries if e.status == "placed")
        n = len(scores)
        middle = n // 2
        median = scores[middle] if n % 2 else div_round(scores[middle - 1] + scores[middle], 2)
        return ChallengeStats(
            entries=len(entries),
            disqualifications=sum(e.status == "disqualified" for e in entries),
            votes=sum(e.votes for e in entries if e.status == "placed"),
            comments=sum(e.comment_count for e in entries),
            avg_score5=div_round(sum(scores) * 10, n),
            avg_score4=div_round(sum(scores), n),
            highest=scores[-1],
            median=median,
            lowest=scores[0],
        )

    def _make_detail(self, entry: Entry) -> ImageDetail:
        rng = self._rng("image", entry.image_id)
        challenge = self._by_id[entry.challenge_id]
        uploaded = challenge.submission_start + timedelta(
            days=rng.randint(0, (challenge.submission_end - challenge.submission_start).days)
        )
        taken = uploaded - timedelta(days=rng.randint(0, 20)) if rng.random() < 0.9 else None
        note_html = None
        if rng.random() < 0.75:
            notes = rng.sample(PHOTOGRAPHER_NOTES, rng.randint(1, 2))
            note_html = ("<br>" if rng.random() < 0.3 else " ").join(notes)
            if rng.random() < 0.35:
                stamp = self._random_time(rng, challenge.voting_end + timedelta(days=1), 30)
                note_html += (
                    f"<br><br>[{dotted_date(stamp.date(), comma=True)} "
                    f"{stamp.strftime('%I:%M:%S %p')}]<br><br>{rng.choice(PHOTOGRAPHER_THANKS)}"
                )
        comments = self._make_comments(rng, entry, challenge)
        avg_commenters = None
        if comments:
            avg_commenters = _scaled(entry.avg_all / 10000 + rng.uniform(0.2, 1.8))
        return ImageDetail(
            entry=entry,
            camera=rng.choice(CAMERAS),
            lens=rng.choice(LENSES) if rng.random() < 0.7 else None,
            aperture=rng.choice(APERTURES) if rng.random() < 0.4 else None,
            iso=rng.choice(ISOS) if rng.random() < 0.4 else None,
            shutter_label="Shutter Speed" if rng.random() < 0.3 else "Shutter",
            shutter=rng.choice(SHUTTERS) if rng.random() < 0.4 else None,
            location=rng.choice(LOCATIONS) if rng.random() < 0.25 else None,
            taken_on=taken,
            uploaded_on=uploaded,
            photographer_comment_html=note_html,
            avg_commenters=avg_commenters,
            comments=tuple(comments),
            **self._make_galleries(entry),
        )

    def _make_galleries(self, entry: Entry) -> dict:
        """Galleries (none, one or several) and the Portfolio link, from a draw of their own."""
        rng = self._rng("galleries", entry.image_id)
        count = rng.choices([0, 1, 2, 3, 4], [35, 30, 20, 10, 5])[0]
        return {
            "galleries": tuple(rng.sample(GALLERIES, count)),
            "portfolio_link": rng.random() < 0.25,
        }

    def _random_time(self, rng: random.Random, first_day: date, days: float) -> datetime:
        start = datetime(first_day.year, first_day.month, first_day.day)
        moment = start + timedelta(seconds=int(rng.uniform(0, days * 86400)))
        return min(eastern.unambiguous(moment), self.now - timedelta(minutes=5))

    def _make_comments(
        self, rng: random.Random, entry: Entry, challenge: Challenge
    ) -> list[Comment]:
        after_days = max(1.0, (self.now.date() - challenge.voting_end).days - 1.0)
        moments = [
            (self._random_time(rng, challenge.voting_start, 7), True)
            for _ in range(entry.comments_during)
        ]
        moments += [
            (
                self._random_time(
                    rng, challenge.voting_end + timedelta(days=1), min(after_days, 400.0)
                ),
                False,
            )
            for _ in range(entry.comments_after)
        ]
        moments.sort(key=lambda m: (not m[1], m[0]))  # during ones are older by construction
        authors = [u for u in self.users if u.user_id != entry.photographer.user_id]
        comments: list[Comment] = []
        cores: list[tuple[str, str]] = []
        for rank, (posted, during) in enumerate(moments):
            author = rng.choice(authors)
            core, body = self._comment_body(rng)
            html = body
            if cores and rng.random() < 0.2:
                quoted_name, quoted_core = rng.choice(cores)
                html = (
                    '<table align="center" width="95%"><tr><td><div class="textsm"><b>'
                    f"Originally posted by {quoted_name}:</b></div><hr><i> {quoted_core} </i>"
                    f"</td></tr></table> <br>{body}"
                )
            edited = None
            if rng.random() < 0.15:
                edited = min(
                    eastern.unambiguous(posted + timedelta(minutes=rng.randint(2, 4000))),
                    self.now - timedelta(minutes=1),
                )
                html += edited_line(edited)
            cores.append((author.name, core))
            comments.append(
                Comment(
                    comment_id=FIRST_COMMENT_ID
                    + (entry.image_id - FIRST_IMAGE_ID) * COMMENT_ID_STRIDE
                    + rank,
                    author=author,
                    posted_at=posted,
                    edited_at=edited,
                    during_challenge=during,
                    html=html,
                    helpful=rng.random() < 0.5,
                    camera=rng.choice(CAMERAS) if rng.random() < 0.6 else None,
                    lens=rng.choice(LENSES) if rng.random() < 0.4 else None,
                )
            )
        comments.reverse()
        return comments

    def _comment_body(self, rng: random.Random) -> tuple[str, str]:
        core = rng.choice(COMMENT_OPENERS)
        body = core
        roll = rng.random()
        if roll < 0.25:
            body += "  " + rng.choice(COMMENT_EXTRAS)
        elif roll < 0.5:
            body += "<br>" + rng.choice(COMMENT_EXTRAS)
        elif roll < 0.65:
            body += "<br><br>" + rng.choice(COMMENT_EXTRAS) + " " + rng.choice(COMMENT_EXTRAS)
        elif roll < 0.75:
            user = rng.choice(self.users)
            body += (
                f' It reminds me of <img src="//www.dpchallenge.com/images/user_icon/31.gif"'
                f" border=\"0\" xalt=\"' . substr('31.gif', 0) . '\"> "
                f'<a href="//www.dpchallenge.com/profile.php?USER_ID={user.user_id}"'
                f' target="_blank" rel="nofollow">{user.name}</a>’s work.'
            )
        elif roll < 0.85:
            other = FIRST_IMAGE_ID + rng.randrange(self.challenge_count * self.image_block)
            body += (
                f' Compare <a href="//www.dpchallenge.com/image.php?IMAGE_ID={other}"'
                ' target="_blank" rel="nofollow">this entry</a>.'
            )
        return core, body

    # ---- lookups ------------------------------------------------------------------------

    def _finished_count(self) -> int:
        return self.challenge_count - self._unfinished_count()

    @property
    def challenges(self) -> list[Challenge]:
        return list(self._challenges)

    def challenge(self, challenge_id: int) -> Challenge | None:
        return self._by_id.get(challenge_id)

    def finished_challenges(self) -> list[Challenge]:
        return [c for c in self._challenges if c.finished]

    def history_order(self) -> list[Challenge]:
        """Finished challenges as the history list shows them: latest submission end first."""
        return sorted(
            self.finished_challenges(),
            key=lambda c: (c.submission_end, c.challenge_id),
            reverse=True,
        )

    def entries(self, challenge_id: int) -> list[Entry]:
        """Results rows in page order (places, then disqualified, then removed); [] if none."""
        challenge = self._by_id.get(challenge_id)
        if challenge is None or not challenge.finished:
            return []
        with self._lock:
            if challenge_id not in self._entries:
                rows, stats = self._make_entries(challenge)
                self._entries[challenge_id] = rows
                self._stats[challenge_id] = stats
            return list(self._entries[challenge_id])

    def stats(self, challenge_id: int) -> ChallengeStats | None:
        if not self.entries(challenge_id):
            return None
        return self._stats[challenge_id]

    def entry(self, image_id: int) -> Entry | None:
        index = (image_id - FIRST_IMAGE_ID) // self.image_block
        if image_id < FIRST_IMAGE_ID or index >= len(self._challenges):
            return None
        for candidate in self.entries(self._challenges[index].challenge_id):
            if candidate.image_id == image_id and candidate.status != "withdrawn":
                return candidate
        return None

    def image_detail(self, image_id: int) -> ImageDetail | None:
        entry = self.entry(image_id)
        if entry is None:
            return None
        with self._lock:
            if image_id not in self._details:
                self._details[image_id] = self._make_detail(entry)
            return self._details[image_id]

    # ---- URLs ---------------------------------------------------------------------------

    def entry_file_url(self, challenge_id: int, image_id: int, size: int) -> str:
        low = challenge_id // 1000 * 1000
        return (
            f"{self.images_url}/images_challenge/{low}-{low + 999}/{challenge_id}/{size}/"
            f"Copyrighted_Image_Reuse_Prohibited_{image_id}.jpg"
        )

    def avatar_url(self, user_id: int) -> str:
        low = user_id // 5000 * 5000
        return f"{self.images_url}/images_profile/{low}-{low + 4999}/65/{user_id}.jpg"

    def place_of(self, challenge_id: int) -> int:
        """The n of "Place: k out of n": the number of placed entries."""
        return sum(e.status == "placed" for e in self.entries(challenge_id))


def _roman(n: int) -> str:
    numerals = [(10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    out = ""
    for value, letters in numerals:
        while n >= value:
            out += letters
            n -= value
    return out


_MONTHS_DOTTED = [
    "Jan.",
    "Feb.",
    "Mar.",
    "Apr.",
    "May.",
    "Jun.",
    "Jul.",
    "Aug.",
    "Sep.",
    "Oct.",
    "Nov.",
    "Dec.",
]


def dotted_date(day: date, comma: bool = False) -> str:
    """'Aug. 14th 2026' (history style), or 'Dec. 2nd, 2010' with comma=True."""
    sep = ", " if comma else " "
    return f"{_MONTHS_DOTTED[day.month - 1]} {ordinal(day.day)}{sep}{day.year}"
