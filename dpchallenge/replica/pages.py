"""HTML for every page kind of the replica, in the real site's markup (see docs/site.md)."""

from __future__ import annotations

from datetime import date

from dpchallenge.replica import eastern
from dpchallenge.replica.model import (
    KIND_ICONS,
    Challenge,
    Comment,
    Entry,
    ImageDetail,
    Site,
    div_round,
    dotted_date,
    escape_name,
    escape_text,
    fixed,
    ordinal,
)

GENERIC_TITLE = "DPChallenge - A Digital Photography Contest"
INVALID_CHALLENGE_TEXT = "Invalid CHALLENGE_ID.  Please check the URL."
INVALID_IMAGE_TEXT = "Invalid IMAGE_ID provided."
BAN_PAGE = (
    "<html><head><title>Attention</title></head><body><h1>Attention</h1>"
    "<p>Page cannot be served due to suspicious activity detected from your address.</p>"
    "</body></html>"
)
META_CHARSET = '\t<meta charset="utf-8">\n'
BODY_STYLE = "style=\"background: #DDDDDD url('/images/back.gif') repeat-y;\" "
ARTICLES = {"member": "A", "open": "An", "speed": "A", "invitational": "An"}
LEFT_BOX_STYLE = (
    'bgcolor="#DDDDDD" cellspacing="0" cellpadding="2" '
    'style="border: 1px solid black; margin-top: 5px; margin-bottom: 5px;" width="172"'
)
VIEWS_LABEL = '<span style="font-weight: bold; width: 40px; text-align: right;">'
VIEWS_VALUE = '<span style="text-align: right; width:43px;">'


def _short_date(day: date) -> str:
    return f"{day:%b} {day.day} {day.year}"


def _long_date(day: date) -> str:
    return f"{day:%A}, {day:%B} {ordinal(day.day)}, {day.year}"


def _info_date(day: date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def _head(title: str, body_attrs: str = "") -> str:
    return (
        "<html>\n<head>\n"
        f"\t<title>{title}</title>\n"
        '\t<link rel="styleSheet" type="text/css" href="/include/styles.css" />\n'
        '\t<meta name="description" Content="A generated stand-in for a photography contest '
        'site, used to test a crawler." />\n'
        f"{META_CHARSET}"
        '\t<script type="text/javascript" src="/include/main.js"></script>\n'
        "</head>\n"
        f'<body class="textsm" {body_attrs}leftmargin="0" topmargin="0" marginwidth="0" '
        'marginheight="0" >\n\n'
    )


def _banner(site: Site, user: str | None, request_path: str) -> str:
    if user:
        status = (
            f'Welcome back, <a href="/profile.php" class="i">{escape_text(user)}</a> '
            '(<a href="/logout.php">log out</a>)'
        )
    else:
        status = (
            f'You are not logged in. (<a href="/login.php?HTTP_REFERER={request_path}" '
            f'rel="nofollow">log in</a> or <a href="{site.base_url}/register.php">register</a>)'
        )
    return (
        '\t<table cellspacing="0" cellpadding="0" width="100%">\n'
        "\t\t<tr>\n"
        '\t\t\t<td width="234"><a href="/"><img border="0" src="/images/title1b.gif" '
        'width="234" height="48" alt="DPChallenge replica"></a></td>\n'
        '\t\t\t<td align="right" valign="bottom" class="textsm">\t\t\n'
        f"\t\t{status}&nbsp;\t\t\t</td>\n"
        "\t\t</tr>\n"
        "\t\t<tr>\n"
        '\t\t\t<td width="234" style="position: relative;"><img src="/images/title2.gif">\n'
        "\t\t\t</td>\n"
        '\t\t\t<td background="/images/topbackbar.gif">&nbsp;</td>\n'
        "\t\t</tr>\n"
        "\t</table>\n"
    )


def _footer(site: Site) -> str:
    now = site.now
    links = [
        ("/index.php", "Home"),
        ("/challenge_index.php", "Challenges"),
        ("/community_index.php", "Community"),
        ("/photo_index.php", "Photos"),
        ("/help.php", "Help"),
        ("#", "Top ^"),
    ]
    link_lines = " -\n".join(f'\t\t\t<a href="{href}" class="u">{text}</a>' for href, text in links)
    return (
        "\t\t\t<br><br>\n"
        '\t\t<div align="center" class="textsm" style="color: #666666;">\n'
        f"{link_lines}\n"
        "\t\t<br>A generated replica for crawler tests; every name and text here is made up.\n"
        f"\t\t<br>Current Server Time: {now:%m/%d/%Y %I:%M:%S %p} {eastern.zone_name(now)}.\n"
        "\t\t</div>\n"
    )


def _tail() -> str:
    return "\n\t\t</td></tr></table>\n\t</body>\n</html>\n"


def _columns(
    site: Site,
    title: str,
    user: str | None,
    request_path: str,
    left: str,
    right: str,
    body_attrs: str = BODY_STYLE,
) -> str:
    return (
        _head(title, body_attrs)
        + _banner(site, user, request_path)
        + '\t<table cellspacing="0" cellpadding="3" border="0" width="99%"><tr>'
        '<td width="175" valign="top" nowrap>\n'
        "\t<!-- START LEFT COLUMN -->\n"
        f"{left}"
        "\t<!-- END LEFT COLUMN -->\n"
        '\t</td><td valign="top">\n'
        "\t<!-- START RIGHT COLUMN -->\n"
        f"{right}\n" + _footer(site) + _tail()
    )


def _whole_page(site: Site, title: str, user: str | None, request_path: str, body: str) -> str:
    return (
        _head(title, 'bgcolor="#DDDDDD" ')
        + _banner(site, user, request_path)
        + '\t<table cellspacing="0" cellpadding="3" border="0" width="100%"><tr><td>\n'
        "\t<!-- WHOLE PAGE DESIGN -->\n"
        f"{body}" + _footer(site) + _tail()
    )


def _left_box(heading: str, content: str) -> str:
    return (
        f"\t<table {LEFT_BOX_STYLE}>\n"
        '\t\t<tr bgcolor="#B5BBC5"><td style="border-bottom: 1px solid black;">'
        f"<b>{heading}</b></td></tr>\n"
        '\t\t<tr><td class="textsm">\n'
        f"{content}\n"
        "\t\t</td></tr>\n"
        "\t</table>\n"
    )


def _kind_icon(challenge: Challenge) -> str:
    return (
        f'<img src="/images/{_icon_file(challenge)}" width="14" height="16" border="0" '
        f'style="margin-right: 3px;" ALT="{challenge.kind_label}">'
    )


def _icon_file(challenge: Challenge) -> str:
    return KIND_ICONS[challenge.kind]


# ---- history ----------------------------------------------------------------------------

_HISTORY_COLUMNS = [
    ("65", "Entries", "1"),
    ("60", "Highest<br>Score", "2"),
    ("70", "Average<br>Score", "3"),
    ("65", "Median<br>Score", "4"),
    ("70", "Lowest<br>Score", "5"),
    ("60", "Total<br>Votes", "6"),
    ("65", "Avg #<br>Votes", "7"),
    ("90", "Total<br>Comments", "8"),
    ("90", "Avg #<br>Comments", "9"),
]


def _sort_arrows(code: str, selected_down: bool = False) -> str:
    down = "arrow_down_sel.gif" if selected_down else "arrow_down.gif"
    base = "location.href = '/challenge_history.php?show_all=1&order_by="
    return (
        f'<img src="/images/arrow_up.gif" style="cursor:pointer" onclick="{base}{code}u\';">'
        f'<img src="/images/{down}" style="cursor:pointer" onclick="{base}{code}d\';">'
    )


def render_history(site: Site, user: str | None, request_path: str) -> str:
    challenges = site.history_order()
    total = f"{len(challenges):,}"
    left = _left_box(
        "<b>Filter</b>",
        '\t<form action="/challenge_history.php" method="get" style="margin: 0px;">\n'
        '\t<input type="hidden" name="order_by" value="0d">\n'
        + "".join(
            f'\t<input type="checkbox" name="{name}" value="1" id="chk_filter_{name}" checked>'
            f'<label for="chk_filter_{name}">{label}</label><br>\n'
            for name, label in [
                ("open", "Open Challenges"),
                ("member", "Member Challenges"),
                ("speed", "Speed Challenges"),
                ("invitational", "Invitational Challenges"),
                ("show_all", "Show All Challenges At Once"),
            ]
        )
        + '\t<div style="margin-bottom: 5px; text-align: center;">'
        '<input type="submit" value="Filter"></div>\n'
        "\t</form>",
    )
    heading_cells = [
        f"\t\t\t<td>Challenge&nbsp;{_sort_arrows('a')}&nbsp;&nbsp;&nbsp;Submission Date End"
        f"&nbsp;{_sort_arrows('0', selected_down=True)}</td>\n"
    ]
    heading_cells += [
        f'\t\t\t<td align="center" width="{width}">{label}&nbsp;{_sort_arrows(code)}</td>\n'
        for width, label, code in _HISTORY_COLUMNS
    ]
    rows = [_history_row(site, c, i) for i, c in enumerate(challenges)]
    right = (
        '\t<div class="divider"><b>Challenge History</b></div>\n\n'
        '\t<style type="text/css">\n'
        "\t\t.forum-bg1 TD { border-bottom: 1px solid black; }\n"
        "\t\t.forum-bg2 TD { border-bottom: 1px solid black; }\n"
        "\t</style>\n\n"
        '\t<table id="challenges" width="96%" cellspacing="0" cellpadding="3" '
        'style="margin-left: 10px;">\n'
        "\t\t<tr>\n"
        '\t\t\t<td><table cellpadding="0" cellspacing="2"><tr><td>Pages:&nbsp;&nbsp;</td>'
        '<td align="center" width="18"><img border="0" src="/images/page/prevoff.gif"></td>\n'
        '<td align="center" width="18"><img border="0" src="/images/page/1y.gif"></td>\n'
        '<td align="center" width="18"><img border="0" src="/images/page/nextoff.gif"></td>\n'
        "</tr></table></td>\n"
        f'\t\t\t<td align="right">Showing results <b>1 - {total}</b> of <b>{total}</td>\n'
        "\t\t</tr>\n"
        "\t</table>\n\n"
        '\t<table id="challenges" width="96%" cellspacing="0" cellpadding="3" '
        'style="border: 1px solid black; margin-left: 10px; border-bottom: 0px;">\n'
        '\t\t<tr id="heading" class="tableheading">\n'
        + "".join(heading_cells)
        + "\t\t</tr>\n"
        + "".join(rows)
        + "\t</table>\n"
    )
    return _columns(site, "Challenge History - DPChallenge", user, request_path, left, right)


def _history_row(site: Site, challenge: Challenge, position: int) -> str:
    stats = site.stats(challenge.challenge_id)
    assert stats is not None
    css = "forum-bg2" if position % 2 == 0 else "forum-bg1"
    flag = ""
    if challenge.extra_rules:
        flag = (
            '<img src="/images/flag.gif" width="14" height="16" border="0" '
            f'style="margin-left: 3px;" ALT="Extra Rules: {escape_text(challenge.extra_rules)}">'
        )
    numbers = [
        f"{stats.entries:,}",
        fixed(stats.highest, 4),
        fixed(stats.avg_score4, 4),
        fixed(stats.median, 4),
        fixed(stats.lowest, 4),
        f"{stats.votes:,}",
        f"{div_round(stats.votes, stats.entries):,}",
        f"{stats.comments:,}",
        f"{div_round(stats.comments, stats.entries):,}",
    ]
    cells = "".join(f'<td align="center">{n}</td>' for n in numbers)
    return (
        f'<tr class="{css}"><td>{_kind_icon(challenge)} '
        f'<a href="/challenge_results.php?CHALLENGE_ID={challenge.challenge_id}" class=i>'
        f"{escape_name(challenge.name)}</a> "
        '(<a style="font-style: italic;" class="u" '
        f'href="challenge_rules.php?RULES_ID={challenge.rules_id}">{challenge.rules_name}</a>)'
        f"{flag}<br>{dotted_date(challenge.submission_start)} - "
        f"{dotted_date(challenge.submission_end)}</td>{cells}</tr>\n"
    )


# ---- results ----------------------------------------------------------------------------


RESULTS_PAGE_SIZE = 10  # rows a page without show_full (fdsig's data: 10 of 3304's 23)


def render_results(
    site: Site,
    challenge_id: int | None,
    user: str | None,
    request_path: str,
    *,
    page: int | None = None,
    short: bool = False,
    odd_row: bool = False,
) -> str:
    """A challenge's results: every row (page None) or page `page` of 10 with a pager.

    `short` serves the first page's rows without a pager (a listing cut short, silently);
    `odd_row` adds a row with no image link and no stats (as fdsig's scraper codes for).
    """
    challenge = site.challenge(challenge_id) if challenge_id is not None else None
    if challenge is None:
        return _whole_page(
            site, GENERIC_TITLE, user, request_path, f"{INVALID_CHALLENGE_TEXT}\t\t\t<br><br>\n"
        )
    if not challenge.finished:
        return _render_unfinished(site, challenge, user, request_path)
    stats = site.stats(challenge.challenge_id)
    assert stats is not None
    cid = challenge.challenge_id
    name = escape_name(challenge.name)
    details = (
        f'\t<link id="gallery" rel="alternate" href="{site.base_url}/challenge_results_rss.php?'
        f'CHALLENGE_ID={cid}" type="application/rss+xml">\n\n'
        '\t<div style="height: 34px; width: 16px; margin-left: 2px; margin-top: 2px;">'
        f'<img src="images/{_icon_file(challenge)}" title="{challenge.kind_label}" width="14" '
        'height="16"></div>\n'
        '\t<div style="display:block; margin-left: 22px; margin-top: -34px;">\n'
        f"\t\t<b>{name}</b>\n\t\t<br>\n"
        f"\t\t{ARTICLES[challenge.kind]} {challenge.kind_label} using the "
        f'<a class="u" href="challenge_rules.php?RULES_ID={challenge.rules_id}">'
        f"{challenge.rules_name}</a> rules.\n"
        "\t</div>\n\n\t<br>\n\n"
        '\t<div style="margin-left: 2px;"><img src="images/description.gif" '
        'title="Challenge Description" width="13" height="13"></div>\n'
        '\t<div style="display:block; margin-left: 22px; margin-top: -16px;">\n'
        "\t\t<b>Description</b>\n\t\t<br>\n"
        f"\t\t{challenge.description_html}\t</div>\n"
        '\t<div style="margin: 2px;">\n'
        "\t\t<br>\n"
        "\t\t<b>Submission Dates: </b><br>&nbsp;&nbsp;"
        f"{_short_date(challenge.submission_start)} - {_short_date(challenge.submission_end)}<br>\n"
        "\t\t<br>\n"
        "\t\t<b>Voting Dates: </b><br>&nbsp;&nbsp;"
        f"{_short_date(challenge.voting_start)} - {_short_date(challenge.voting_end)}<br>\n"
        "\t\t<br>\n"
        f"\t\t<b>Submissions: </b>{stats.entries:,}<br>\n"
        f"\t\t<b>Disqualifications: </b>{stats.disqualifications:,}<br>\n"
        f"\t\t<b>Votes: </b>{stats.votes:,}<br>\n"
        f"\t\t<b>Comments: </b>{stats.comments:,}<br>\n"
        "\t\t<br>\n"
        f"\t\t<b>Average Score: </b>{fixed(stats.avg_score5, 5)}<br>\n"
        f"\t\t<b>Highest Score: </b>{fixed(stats.highest, 4)}<br>\n"
        f"\t\t<b>Median Score: </b>{fixed(stats.median, 4)}<br>\n"
        f"\t\t<b>Lowest Score: </b>{fixed(stats.lowest, 4)}<br>\n"
        "\t</div>\n\n\t<br>\n"
        '\t<input type="checkbox" id="show_full" checked onclick="location.href = '
        f'\'/challenge_results.php?CHALLENGE_ID={cid}\';"><label for="show_full">'
        "<b>Show Full Results</b></label>\n\t<br>\n"
        '\t<input type="checkbox" id="order_by_vote" onclick="location.href = '
        f"'/challenge_results.php?CHALLENGE_ID={cid}&show_full=1&order_by_vote=1';\">"
        '<label for="order_by_vote"><b>Order By My Vote</b></label>'
    )
    entries = site.entries(cid)
    pager = ""
    if page is not None or short:
        number = max(1, page or 1)
        first = (number - 1) * RESULTS_PAGE_SIZE
        shown = entries[first : first + RESULTS_PAGE_SIZE]
        if not short:
            pager = _results_pager(cid, number, first, len(shown), len(entries))
        entries = shown
    rows = "".join(_results_row(site, e) for e in entries)
    if odd_row:
        rows += (
            '		<tr class="forum-bg1">\n'
            '		<td align="center" valign="middle" width="160"><img src="/images/removed.gif">'
            '</td>\n		<td valign="top" width="100%">Entry withdrawn</td>\n	</tr>\n'
        )
    right = (
        f'\t<div class="divider"><b>Results for {name}:</b></div>\n\n'
        '<table width="90%" cellspacing="1" cellpadding="4" bgcolor="#00000" align="center">\n'
        '\t<tr class="forum-heading">\n'
        f'\t\t<td colspan="2">Challenge Results for {name}</td>\n'
        "\t</tr>\n"
        f"{rows}"
        "</table>\n"
        f"{pager}"
    )
    return _columns(
        site,
        f"{name} Challenge Results",
        user,
        request_path,
        _left_box("Challenge Details", details),
        right,
    )


def _withdrawn_row(entry: Entry) -> str:
    """A removed entry's row as it may be when its image is gone: placeholder, no link [assumed]."""
    return (
        '\t\t<tr class="forum-bg1">\n'
        '\t\t<td align="center" valign="middle" width="160"><img src="/images/removed.gif" '
        'style="border: 1px solid black" ></td>\n'
        '\t\t<td valign="top" width="100%">\n'
        f"\t\t\t\t\t\t{escape_text(entry.title)}<br>\n"
        f"\t\t\t\t\t\tby {escape_text(entry.photographer.name)}<br>\n"
        "<br>\n\t\t\t\t\t\t\t\t\t\t\t\t<b>Removed</b>\n"
        "\t\t</td>\n\t</tr>\n"
    )


def _results_pager(challenge_id: int, page: int, first: int, shown: int, total: int) -> str:
    """The pager as on the history list (`Pages:`, `Ny.gif` for this page); links assumed."""
    pages = max(1, -(-total // RESULTS_PAGE_SIZE))
    base = f"/challenge_results.php?CHALLENGE_ID={challenge_id}&page="

    def arrow(name: str, target: int, active: bool) -> str:
        if not active:
            return f'<td><img src="/images/page/{name}off.gif"></td>'
        return (
            f'<td><a href="{base}{target}"><img src="/images/page/{name}.gif" border="0"></a></td>'
        )

    cells = [arrow("prev", page - 1, page > 1)]
    for n in range(1, pages + 1):
        if n == page:
            cells.append(f'<td><img src="/images/page/{n}y.gif"></td>')
        else:
            cells.append(
                f'<td><a href="{base}{n}"><img src="/images/page/{n}n.gif" border="0"></a></td>'
            )
    cells.append(arrow("next", page + 1, page < pages))
    return (
        '<table align="center"><tr><td>Pages:&nbsp;&nbsp;</td>' + "".join(cells) + "</tr></table>\n"
        f'<div align="center">Showing results <b>{first + 1} - {first + shown}</b> of '
        f"<b>{total}</td>\n"
    )


def _results_row(site: Site, entry: Entry) -> str:
    if entry.status == "withdrawn":
        return _withdrawn_row(entry)
    iid = entry.image_id
    if entry.status == "removed":
        thumb = "/images/removed.gif"
    else:
        thumb = site.entry_file_url(entry.challenge_id, iid, 120)
    ribbon = f'<img src="/images/ribbig{entry.ribbon}.gif"><br>' if entry.ribbon else "<br>"
    views = (
        f"\t\t\t\t\t\t{VIEWS_LABEL}Views:</span> {VIEWS_VALUE}{entry.views}</span>"
        f'<span class="textsm"><i> ({entry.views_during_voting} during voting)</i></span><br>\n'
    )
    if entry.status == "placed":
        assert entry.place is not None
        outcome = (
            f"<b>{ordinal(entry.place)}</b> place with an<BR>average vote of "
            f"<b>{fixed(entry.avg_all, 4)}</b>"
        )
        votes = f"\t\t\t\t\t\t{VIEWS_LABEL}Votes:</span> {VIEWS_VALUE}{entry.votes}</span><br>\n"
        averages = (
            "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\tAverage Vote (Participants): "
            f"<b>{fixed(div_round(entry.avg_participants, 10), 3)}</b><br>\n"
            "\t\t\t\t\t\tAverage Vote (Non-Participants): "
            f"<b>{fixed(div_round(entry.avg_non_participants, 10), 3)}</b><br>\n"
        )
    else:
        outcome = "<b>Disqualified</b>" if entry.status == "disqualified" else "<b>Removed</b>"
        votes = ""
        averages = ""
    return (
        '\t\t<tr class="forum-bg1">\n'
        '\t\t<td align="center" valign="middle" width="160">'
        f'<a href="/image.php?IMAGE_ID={iid}"><img src="{thumb}" '
        'style="border: 1px solid black" ></a></td>\n'
        '\t\t<td valign="top" width="100%">\n'
        '\t\t\t<table width="100%">\n'
        "\t\t\t\t<tr>\n"
        '\t\t\t\t\t<td valign="top" width="200">\n'
        f'\t\t\t\t\t\t<a href="/image.php?IMAGE_ID={iid}" class="i">{escape_text(entry.title)}'
        "</a><br>\n"
        f'\t\t\t\t\t\tby <a href="/profile.php?USER_ID={entry.photographer.user_id}" class="u">'
        f"{escape_text(entry.photographer.name)}</a><br>\n"
        f"{ribbon}\n"
        f"\t\t\t\t\t\t\t\t\t\t\t\t{outcome}\n"
        "\t\t\t\t\t\t<br><br>\n"
        f"{views}{votes}"
        "\t\t\t\t\t\t\t\t\t\t\t</td>\n"
        '\t\t\t\t\t<td valign="top">\n'
        "\t\t\t\t\t\tYour Vote: <b>N/A</b><br>\n"
        "\t\t\t\t\t\tYour Comment: <b>N/A</b><br>\n"
        "\t\t\t\t\t\t<br>\n"
        f"{averages}"
        "\t\t\t\t\t\t\t\t\t\t\t</td>\n"
        "\t\t\t\t</tr>\n"
        "\t\t\t</table>\n"
        "\t\t</td>\n"
        "\t</tr>\n"
    )


def _render_unfinished(site: Site, challenge: Challenge, user: str | None, path: str) -> str:
    rows = [
        ("Challenge Details:", challenge.description_html),
        ("Challenge Type:", challenge.kind_label),
        (
            "Challenge Rules:",
            f'<a class="u" href="challenge_rules.php?RULES_ID={challenge.rules_id}">'
            f"{challenge.rules_name}</a>",
        ),
        (
            "Submission Deadline:",
            f"{_long_date(challenge.submission_end)} "
            f"(began {dotted_date(challenge.submission_start)})",
        ),
        (
            "Voting Dates:",
            f"{dotted_date(challenge.voting_start)} - {dotted_date(challenge.voting_end)}",
        ),
    ]
    table_rows = "".join(
        f'\t<tr class="forum-bg{1 + i % 2}"><td><b>{label}</b></td><td>{value}</td></tr>\n'
        for i, (label, value) in enumerate(rows)
    )
    glance = (
        "\t<ul>\n\t\t<li>1400 kB or less</li>\n"
        "\t\t<li>No dimension may be shorter than 160 pixels or longer than 1200 pixels</li>\n"
        "\t\t<li>Entries stay anonymous until voting ends</li>\n\t</ul>"
    )
    right = (
        f'\t<div class="divider"><b>Challenge Details</b> - {escape_name(challenge.name)}</div>\n'
        '<table width="90%" cellspacing="1" cellpadding="4" bgcolor="#00000" align="center">\n'
        f"{table_rows}"
        "</table>\n"
        "<br>\n"
        '\t<div class="divider"><b>Rules at a Glance</b></div>\n'
        f"{glance}\n"
    )
    left = _left_box(
        "Challenges",
        '\t<a href="/challenge_history.php?show_all=1" class="u">Challenge History</a>',
    )
    return _columns(site, GENERIC_TITLE, user, path, left, right)


# ---- image ------------------------------------------------------------------------------


def render_image(site: Site, image_id: int | None, user: str | None, request_path: str) -> str:
    detail = site.image_detail(image_id) if image_id is not None else None
    if detail is None:
        return _whole_page(
            site, GENERIC_TITLE, user, request_path, f"{INVALID_IMAGE_TEXT}\t\t\t<br><br>\n"
        )
    entry = detail.entry
    challenge = site.challenge(entry.challenge_id)
    assert challenge is not None
    title = escape_text(entry.title)
    photographer = escape_text(entry.photographer.name)
    left = _left_box(
        '<span style="float: left;">Challenge Entries</span>',
        _neighbours(site, challenge, entry),
    ) + _left_box(
        '<span style="float: left;">Portfolio Images</span>',
        '<div id="image_portfolio" style="display: ">'
        "This image is not part of a public portfolio.</div>",
    )
    if entry.status == "removed":
        main = '<img src="/images/removed.gif">'
    else:
        main = (
            f'<img src="{site.entry_file_url(entry.challenge_id, entry.image_id, 1200)}" '
            f'style="border: 1px solid black" alt="{title}">'
        )
    portfolio = ""
    if detail.portfolio_link:
        portfolio = (
            f'\t<a class="u" href="portfolio.php?USER_ID={entry.photographer.user_id}'
            '&amp;collection_id=1">Portfolio</a>\n'
        )
    histogram = bool(user) and challenge.shows_histogram
    ribbon = ""
    if entry.ribbon:
        ribbon = (
            f'<img align="top" alt="{ordinal(entry.ribbon)} Place" width="20" height="20" '
            f'src="/images/rib{entry.ribbon}.gif"> '
        )
    right = (
        f'<link id="gallery" rel="alternate" href="{site.base_url}/challenge_results_rss.php?'
        f'CHALLENGE_ID={challenge.challenge_id}" type="application/rss+xml">\n\n'
        '<div align="center">\n'
        '<a name="img"></a><table><tr><td id="img_container" class="page-image">'
        '<img src="/images/pix.gif" style="position: absolute; z-index: 1;" />'
        f"{main}</td></tr></table>\t"
        f'<div class="imagetitle">\n\t{ribbon}{title}</div>\n'
        f"{portfolio}"
        f'\t<a class="u" href="/profile.php?USER_ID={entry.photographer.user_id}">'
        f"{photographer}</a>\n"
        "\t\t<br><br>\n"
        "</div>\n\n<br>\n"
        + _information(site, challenge, detail, breakdown=histogram)
        + ("" if histogram else _statistics(site, detail))
        + _comment_notice(entry, user)
        + _comments_table(site, detail)
    )
    return _columns(
        site,
        f"{title} by {photographer} - DPChallenge",
        user,
        request_path,
        left,
        right,
        body_attrs=BODY_STYLE + 'onload="overlay();" ',
    )


def render_frame_only(site: Site, user: str | None, request_path: str) -> str:
    """An image page the site failed to fill: its frame around an empty image panel."""
    right = (
        '<div align="center">\n'
        '<a name="img"></a><table><tr><td id="img_container" class="page-image">'
        '<img src="/images/pix.gif" style="position: absolute; z-index: 1;" /></td></tr></table>\t'
        '<div class="imagetitle">\n\t</div>\n\t\t<br><br>\n</div>\n\n<br>\n'
    )
    return _columns(site, GENERIC_TITLE, user, request_path, "", right)


def _neighbours(site: Site, challenge: Challenge, entry: Entry) -> str:
    placed = [e for e in site.entries(challenge.challenge_id) if e.status == "placed"]
    cells = []
    if entry.place is not None:
        for other in placed:
            if other.place is not None and abs(other.place - entry.place) == 1:
                assert other.place is not None
                thumb = site.entry_file_url(challenge.challenge_id, other.image_id, 120)
                cells.append(
                    '<td align="center" valign="top" class="textsm" width="100">'
                    f'<a href="/image.php?IMAGE_ID={other.image_id}" class="i" '
                    f'title="{escape_text(other.title)} by {escape_text(other.photographer.name)}">'
                    f"{ordinal(other.place)}<br>"
                    '<img style="opacity:.35;border: 2px solid black;" '
                    'onmouseover="set_opacity(this, 100);" onmouseout="set_opacity(this, 35);" '
                    f'src="{thumb}" style="border: 1px solid black; width: 80px;" width="78">'
                    "</a></td>"
                )
    table = ""
    if cells:
        table = '<br><table cellpadding="0" cellspacing="0"><tr>'
        table += '<td width="6"></td>'.join(cells) + "</tr></table>"
    return (
        '<div id="image_challenge" style="display: ;"><div align="center">'
        f'<a href="challenge_results.php?CHALLENGE_ID={challenge.challenge_id}" class="v">'
        f"{escape_name(challenge.name)}</a><br>"
        f'<a href="challenge_rules.php?RULES_ID={challenge.rules_id}" class="u">'
        f"{challenge.rules_name}</a></div>{table}</div>"
    )


def _information(
    site: Site, challenge: Challenge, detail: ImageDetail, breakdown: bool = False
) -> str:
    """The Photograph Information table; with `breakdown`, the old markup: a `Voting Breakdown`
    column between the information and the photographer's comment, holding the ten counts and
    the statistics lines (no Statistics panel then)."""
    lines = [
        "<b>Challenge:</b>  "
        f'<a href="/challenge_results.php?CHALLENGE_ID={challenge.challenge_id}">'
        f"{escape_name(challenge.name)}</a> "
        f'(<a href="challenge_rules.php?RULES_ID={challenge.rules_id}" class="u">'
        f"{challenge.rules_name}</a>)<br>\t\t\t\t\t\t\t\t",
        f'<b>Camera:</b>     <a href="/camera.php?CAMERA_ID={detail.camera[0]}" class="u">'
        f"{escape_text(detail.camera[1])}</a><br>\t\t\t\t",
    ]
    if detail.lens:
        lines.append(
            f'<b>Lens:</b>       <a href="/lens.php?LENS_ID={detail.lens[0]}" class="u">'
            f"{escape_text(detail.lens[1])}</a><br>\t\t\t\t\t\t\t\t"
        )
    for label, value in [
        ("Aperture", detail.aperture),
        ("ISO", detail.iso),
        (detail.shutter_label, detail.shutter),
        ("Location", detail.location),
    ]:
        if value:
            lines.append(f"<b>{label}:</b>      {escape_text(value)}<br>\t\t\t\t")
    if detail.taken_on:
        lines.append(f"<b>Date:</b>      {_info_date(detail.taken_on)}<br>\t\t\t\t\t\t\t\t")
    if detail.galleries:
        links = ", ".join(
            f'<a href="/photo_gallery.php?GALLERY_ID={gid}" class="u">{escape_name(name)}</a>'
            for gid, name in detail.galleries
        )
        lines.append(f"<b>Galleries:</b> {links}<br>\t\t\t\t")
    lines.append(f"<b>Date Uploaded:</b>      {_info_date(detail.uploaded_on)}<br>\n")
    iid = detail.entry.image_id
    favourite_links = (
        "\t\t\t\t\t\t<br>\n"
        '\t\t\t\t\t\t<div style="margin-top: 2px;">\n'
        f'\t\t\t\t\t\t\t<a class="v" href="/favorites_mgr.php?action=add&IMAGE_ID[]={iid}">'
        "Add photograph to your favorites</a>\n"
        "\t\t\t\t\t\t</div>\n"
    )
    heading = column = ""
    if breakdown:
        entry = detail.entry
        heading = (
            '\t\t\t<td nowrap>Voting Breakdown <span style="font-weight: normal;">'
            f"({entry.votes} votes)</span></td>\n"
        )
        bars = "".join(
            f'<tr><td align="right" class="textsm">{score}</td>'
            f'<td><img src="/images/bar.gif" width="{n}" height="8"></td>'
            f'<td class="textsm"><div class="breakdown_vote_count">{n}</div></td></tr>'
            for score, n in enumerate(entry.vote_counts, 1)
        )
        column = (
            '\t\t\t<td class="textsm" valign="top" nowrap>\n'
            f'\t\t\t\t<table cellspacing="0" cellpadding="1">{bars}</table>\n\t\t\t\t<br>\n'
            + "".join(f"\t\t\t\t{line}\n" for line in _stats_lines(site, detail))
            + "\t\t\t</td>\n"
        )
    return (
        '\t<table width="750" cellspacing="1" cellpadding="3" bgcolor="#000000" align="center">\n'
        '\t\t<tr class="forum-heading">\n'
        "\t\t\t<td nowrap>Photograph Information</td>\n"
        f"{heading}"
        "\t\t\t<td>Photographer's Comments</td>\n"
        "\t\t</tr>\n"
        '\t\t<tr class="forum-bg1" valign="top">\n'
        '\t\t\t<td class="textsm" >\n'
        "\t\t\t\t" + "".join(lines) + favourite_links + "\n\t\t\t</td>\n"
        f"{column}"
        '\t\t\t<td valign="top" width="450" class="textsm">'
        f"{detail.photographer_comment_html or ''}</td>\n"
        "\t\t</tr>\n"
        "\t</table>\n"
    )


def _stats_lines(site: Site, detail: ImageDetail) -> list[str]:
    """The statistics lines, in the Statistics panel or the old Voting Breakdown column."""
    entry = detail.entry
    lines = []
    if entry.status == "placed":
        lines.append(f"<b>Place:</b> {entry.place} out of {site.place_of(entry.challenge_id)}<br>")
        lines.append(f"<b>Avg (all users):</b> {fixed(entry.avg_all, 4)}<br>")
        if detail.avg_commenters is not None:
            lines.append(f"<b>Avg (commenters):</b> {fixed(detail.avg_commenters, 4)}<br>")
        lines.append(f"<b>Avg (participants):</b> {fixed(entry.avg_participants, 4)}<br>")
        lines.append(f"<b>Avg (non-participants):</b> {fixed(entry.avg_non_participants, 4)}<br>")
    lines.append(f"<b>Views since voting:</b> {entry.views}<br>")
    lines.append(
        f"<b>Views during voting:</b> {entry.views_during_voting}<br>"
        f"\t\t\t\t<b>Votes:</b> {entry.votes}<br>"
        f"\t\t\t\t<b>Comments:</b> {entry.comment_count}<br>"
    )
    lines.append(
        f"<b>Favorites:</b> {entry.favorites} "
        f'(<a href="/favorites.php?IMAGE_ID={entry.image_id}" class=u>view</a>)<br><br>'
    )
    return lines


def _statistics(site: Site, detail: ImageDetail) -> str:
    """The Statistics panel of today's markup."""
    return (
        '<br>\t<table width="750" cellspacing="1" cellpadding="3" bgcolor="#000000" '
        'align="center">\n'
        '\t\t<tr class="forum-heading">\n'
        "\t\t\t<td nowrap>Statistics</td>\n"
        "\t\t</tr>\n"
        '\t\t<tr class="forum-bg1">\n'
        '\t\t\t<td class="textsm" valign="top">\n'
        + "".join(f"\t\t\t\t{line}\n" for line in _stats_lines(site, detail))
        + "\t\t\t</td>\n"
        "\t\t</tr>\n"
        "\t</table>\n"
    )


def _comment_notice(entry: Entry, user: str | None) -> str:
    if user:
        return (
            f'<br><form method="post" action="/image.php?IMAGE_ID={entry.image_id}">'
            '<div align="center"><textarea name="COMMENT" rows="4" cols="60"></textarea><br>'
            '<input type="submit" value="Add Comment"></div></form><br>\n'
        )
    return (
        '<br><div class="error" align="center">Please <a href="/login.php" style="color: red;">'
        'log in</a> or <a href="/register.php" style="color: red;">register</a> '
        "to add your comments!</div><br>\n"
    )


def _comments_table(site: Site, detail: ImageDetail) -> str:
    blocks = []
    divider_done = False
    for position, comment in enumerate(detail.comments):
        if comment.during_challenge and not divider_done:
            blocks.append(
                '<tr bgcolor="#B6BECA" height="30"><td colspan="2" valign="center"><b>&nbsp;'
                'Comments Made During the Challenge <img src="/images/below.gif" width="10" '
                'height="10"></b></td></tr>'
            )
            divider_done = True
        blocks.append(
            _comment_block(site, comment, "forum-bg1" if position % 2 == 0 else "forum-bg2")
        )
    return (
        "\n\n"
        '<table width="90%" cellspacing="1" cellpadding="2" bgcolor="#00000" align="center">\n'
        '\t<tr class="forum-heading"><td width="150">Author</td><td>Thread</td></tr>\n'
        + "".join(blocks)
        + "</table>\n"
        '<img src="images/pix.gif" width="1" height="1" id="rate">\n'
    )


def _comment_block(site: Site, comment: Comment, css: str) -> str:
    author = comment.author
    name = escape_text(author.name)
    gear = ""
    if comment.camera:
        gear += (
            '<div class="forumcam" style="width: 120px;">'
            f'<a href="/camera.php?CAMERA_ID={comment.camera[0]}" class="u" style="color:#444">'
            f"{escape_text(comment.camera[1])}</a></div>"
        )
    if comment.lens:
        gear += (
            '\t\t\t\t\t\t<div class="forumcam" style="width: 120px;">'
            f'<a href="/lens.php?LENS_ID={comment.lens[0]}" class="u" style="color:#888">'
            f"{escape_text(comment.lens[1])}</a></div>"
        )
    helpful = ""
    if comment.helpful:
        helpful = (
            '<img src="/images/ratings/helpful.gif" width="27" height="16" border="0"> '
            "Photographer found comment helpful."
        )
    return (
        f'\t\t<tr class="{css}">\n'
        f'\t\t\t<td rowspan="3" valign="top" nowrap width="200" class="{css}">\n'
        f'\t\t\t\t<a name="{comment.comment_id}"></a>\n'
        f'\t\t\t\t\t<div class="forumpic"><a href="profile.php?USER_ID={author.user_id}">'
        f'<img src="{site.avatar_url(author.user_id)}" style="border: 1px solid black;"></a>'
        '</div>\t\t\t\t\t<div style="float: left; width: 120px">\n'
        '\t\t\t\t\t\t<div style="margin-bottom: 4px;"><span style="width: 16px; '
        f'text-align: center;"><img src="/images/user_icon/{author.icon}" hspace="4" '
        f'vspace="0" border="0" alt="{author.role}"></span><a title="{name}; currently offline" '
        f'href="/profile.php?USER_ID={author.user_id}" class="fo ">{name}</a></div>\n'
        f"\t\t\t\t\t\t{gear}\t\t\t\t\t</div>\n"
        "\t\t\t</td>\n"
        '\t\t\t<td class="textsm" height="14">\n'
        f"{comment.posted_at:%m/%d/%Y %I:%M:%S %p}\t\t\t</td>\n"
        "\t\t</tr>\n"
        f'\t\t<tr class="{css}"><td valign="top"><table cellspacing="0" cellpadding="4" '
        'class="forum-post"><tr><td valign="top">\n'
        f"{comment.html}</td></tr></table></td></tr>\n"
        f'<tr class="{css}"><td class="textsm">&nbsp;{helpful}</td></tr>\n'
    )


# ---- small pages ------------------------------------------------------------------------


def render_index(site: Site, user: str | None, request_path: str) -> str:
    latest = site.history_order()[:5]
    items = "".join(
        f'\t<li><a href="/challenge_results.php?CHALLENGE_ID={c.challenge_id}&show_full=1" '
        f'class="i">{escape_name(c.name)}</a></li>\n'
        for c in latest
    )
    right = (
        '\t<div class="divider"><b>Welcome</b></div>\n'
        "\t<p>Weekly photography challenges, voted on by the community.</p>\n"
        '\t<div class="divider"><b>Recently Finished</b></div>\n'
        f"\t<ul>\n{items}\t</ul>\n"
        '\t<p><a href="/challenge_history.php?show_all=1" class="u">All past challenges</a></p>\n'
    )
    left = _left_box("Challenges", '\t<a href="/challenge_history.php" class="u">History</a>')
    return _columns(site, GENERIC_TITLE, user, request_path, left, right)


def render_login(
    site: Site,
    user: str | None,
    request_path: str,
    error: str | None = None,
    redirect: str = "/index.php",
) -> str:
    message = f'\t<div class="error" align="center">{error}</div><br>\n' if error else ""
    right = (
        '\t<div class="divider"><b>Log In</b></div>\n'
        f"{message}"
        '\t<form action="/login.php" method="post">\n'
        f'\t<input type="hidden" name="REDIRECT" value="{escape_text(redirect)}">\n'
        '\tUsername: <input type="text" name="USERNAME"><br>\n'
        '\tPassword: <input type="password" name="PASSWORD"><br>\n'
        '\t<input type="checkbox" name="SAVE_PASSWORD" value="1" id="save">'
        '<label for="save">Remember me</label><br>\n'
        '\t<input type="submit" value="Log In">\n'
        "\t</form>\n"
    )
    left = _left_box("Members", '\t<a href="/register.php" class="u">Register</a>')
    return _columns(site, GENERIC_TITLE, user, request_path, left, right)


def render_not_found(site: Site, user: str | None, request_path: str) -> str:
    return _whole_page(
        site, "404 Not Found", user, request_path, "The page you asked for does not exist.<br>\n"
    )


def render_status_page(status: int, reason: str) -> str:
    return (
        f"<html><head><title>{status} {reason}</title></head>"
        f"<body><h1>{reason}</h1><p>Please try again later.</p></body></html>\n"
    )
