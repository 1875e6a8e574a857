"""The Hugging Face folder's README.md: the dataset card, written from the crawl's counts."""

from __future__ import annotations

from pathlib import Path

from dpchallenge.dataset import dictionary

DATASET_NAME = "dpchallenge"
PRETTY_NAME = "DPChallenge photographs: scores, vote histograms, comments and camera data"
TOOL = "dpchallenge-crawler"
SITE_URL = "https://www.dpchallenge.com"
DESCRIPTION = (
    "Every finished challenge of www.dpchallenge.com (the site AVA came from), each entry's"
    " scores (the 1-10 vote counts where the site shows them, the mean opinion score and its"
    " spread), every comment, and the camera data as photographers entered it. Metadata only"
    " by default: the images are listed by id, URL and SHA-256 so they can be fetched again."
)
LICENSE_TEXT = (
    "other: the photographs and comments belong to their authors on www.dpchallenge.com;"
    " the metadata is released for non-commercial research"
)
AVA_BIBTEX = """@inproceedings{murray2012ava,
  title     = {AVA: A Large-Scale Database for Aesthetic Visual Analysis},
  author    = {Murray, Naila and Marchesotti, Luca and Perronnin, Florent},
  booktitle = {IEEE Conference on Computer Vision and Pattern Recognition (CVPR)},
  pages     = {2408--2415},
  year      = {2012}
}"""
TOOL_BIBTEX = """@software{dpchallenge_crawler,
  title   = {dpchallenge-crawler: a crawler that turns www.dpchallenge.com into a research
             dataset},
  version = {%s}
}"""
SIZE_CATEGORIES = [
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
]
TABLE_MEANING = {
    "images": "one row per image: scores, vote counts, camera data, files, comments nested",
    "comments": "one row per comment, with its image's id, challenge, MOS and split",
    "challenges": "one row per challenge: theme, kind, dates, entry and vote counts",
    "entries": "one row per results-page row (every entry the crawl holds)",
}
# each config's section of docs/fields.md, and the one of the columns export hf adds
TABLE_SECTION = {
    "images": "images.parquet, imagefolder metadata.jsonl, webdataset .json",
    "comments": "comments.parquet",
    "challenges": "challenges.parquet",
    "entries": "entries.parquet",
}
HF_SECTION = "export hf: data/<config>/*.parquet"


def citation(version: str = "") -> str:
    return AVA_BIBTEX + "\n\n" + TOOL_BIBTEX % (version or "unknown")


def field_meanings(table: str) -> dict[str, str] | None:
    """Each column's meaning, from the data dictionary (docs/fields.md); None when the package
    runs without the project's docs/."""
    try:
        sections = dictionary.read_dictionary(dictionary.DOC_PATH)
    except FileNotFoundError:
        return None
    rows = {**sections.get(HF_SECTION, {}), **sections.get(TABLE_SECTION[table], {})}
    return {name: row.meaning for name, row in rows.items()}


def type_name(field) -> str:
    """The data dictionary's short type names; the embedded file as `datasets`' Image."""
    if field.name == "image":
        return "Image (bytes, path)"
    return dictionary.arrow_name(field.type)


def size_category(count: int) -> str:
    for bound, name in SIZE_CATEGORIES:
        if count < bound:
            return name
    return "n>10M"


def card_data(configs: dict[str, dict], images: int):
    """The card's YAML header: configs with their shards per split, dataset_info from the
    tables (`datasets` refuses a listed split without rows or a num_examples that differs)."""
    import datasets
    from datasets.info import DatasetInfosDict
    from huggingface_hub import DatasetCardData

    data = DatasetCardData(
        license="other",
        license_name="dpchallenge-research",
        pretty_name=PRETTY_NAME,
        task_categories=["image-classification", "image-to-text"],
        tags=["aesthetics", "image-quality-assessment", "ava", "dpchallenge", "photography"],
        size_categories=[size_category(images)],
        language=["en"],
        configs=[
            {
                "config_name": name,
                **({"default": True} if name == "images" else {}),
                "data_files": [
                    {"split": split, "path": f"data/{name}/{split}-*.parquet"}
                    for split in info["splits"]
                ],
            }
            for name, info in configs.items()
        ],
    )
    from dpchallenge.dataset.hf import hf_features

    infos = DatasetInfosDict()
    for name, info in configs.items():
        splits = datasets.SplitDict()
        for split, (rows, nbytes) in info["splits"].items():
            splits.add(datasets.SplitInfo(name=split, num_bytes=nbytes, num_examples=rows))
        infos[name] = datasets.DatasetInfo(features=hf_features(info["schema"]), splits=splits)
    infos.to_dataset_card_data(data)
    return data


def _table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return lines


def body(configs: dict[str, dict], manifest: dict, facts: dict) -> str:
    source = manifest["source"]
    counts = manifest["counts"]
    options = manifest["options"]
    images = counts["images"]
    splits = [s for s in ("train", "validation", "test")]
    out = [
        f"# {PRETTY_NAME}",
        "",
        DESCRIPTION,
        "",
        "## How it was collected",
        "",
        f"Crawled from www.dpchallenge.com between {(source.get('crawled_from') or '?')[:10]}"
        f" and {(source.get('crawled_to') or '?')[:10]} with the dpchallenge Scrapy crawler"
        f" ({TOOL} {manifest['project_version']}): the challenge history"
        " list, each challenge's full results page and each image's page. The crawler obeys"
        " robots.txt and its Crawl-delay, makes one request at a time with AutoThrottle, and"
        " waits out the site's ban page. The crawl held"
        f" {source.get('challenges')} challenges, {source.get('entries')} results rows and"
        f" {source.get('image_pages')} image pages; this release has {images} images and"
        f" {counts['comments']} comments. Exported {manifest['created_at']}.",
        "",
        "## Configs and splits",
        "",
        "Each table is a config (`images` is the default). Splits are by challenge: no"
        f" challenge is in two splits (fractions {options['splits']}, seed {options['seed']}).",
        "",
        *_table(
            ["config", "holds", *splits],
            [
                [
                    f"`{name}`",
                    TABLE_MEANING[name],
                    *(info["splits"].get(s, (0, 0))[0] for s in splits),
                ]
                for name, info in configs.items()
            ],
        ),
        "",
        "```python",
        "import datasets",
        'images = datasets.load_dataset("PATH_OR_REPO", "images")  # or comments, challenges,'
        " entries",
        "```",
        "",
        "## How scores are made, and where the histogram is missing",
        "",
        "`mos` is Σ i·nᵢ / Σ nᵢ over the ten vote counts of scores 1..10 where the image page"
        " shows them (`mos_source: vote_counts`), else the site's own average"
        " (`site_average`), else the results row's average (`results_average`, image page not"
        " crawled). `mos_std` is the population standard deviation of the votes. The site"
        " shows the histogram (`vote_counts`) to logged-in members only; with the crawler's"
        " `--ava-txt` option AVA's counts fill it for AVA's images (`vote_counts_source: ava`)."
        " Images per split by where their vote counts come from:",
        "",
        *_table(
            ["split", "site", "ava", "none (no histogram)"],
            [
                [s, *(facts["vote_counts"].get(s, {}).get(k, 0) for k in ("site", "ava", "none"))]
                for s in splits
                if s in facts["vote_counts"]
            ],
        ),
        "",
        "## Fields",
        "",
    ]
    described = {name: field_meanings(name) for name in configs}
    if None in described.values():
        out.append(
            "What each column means, where it comes from and when it is null: the data"
            " dictionary, docs/fields.md in the crawler's source."
        )
    else:
        out.append(
            "From the project's data dictionary (docs/fields.md), which also says where each"
            " field comes from and when it is null."
        )
    for name, info in configs.items():
        meanings = described[name]
        out += ["", f"### `{name}`", ""]
        if meanings is None:
            out += _table(
                ["column", "type"], [[f"`{f.name}`", type_name(f)] for f in info["schema"]]
            )
            continue
        out += _table(
            ["column", "type", "meaning"],
            [[f"`{f.name}`", type_name(f), meanings.get(f.name, "")] for f in info["schema"]],
        )
    images_option = options.get("images", "none")
    galleries = manifest.get("galleries") or {}
    out += [
        "",
        "## Galleries",
        "",
        "`galleries` lists the names of the site's galleries (its subject categories, AVA's"
        " semantic tags) an image is in, in page order: "
        f"{galleries.get('images_with_galleries', 0)} images list some,"
        f" {galleries.get('images_in_no_gallery', 0)} none, and for"
        f" {galleries.get('images_not_saying', 0)} the crawl does not say (null).",
        "",
        "## Licensing and images",
        "",
        "The photographs belong to their photographers and the comments to their authors;"
        " AVA's own terms ask users not to redistribute the images. This release is"
        + (
            " metadata only: the `images` table carries each stored file's URL, SHA-256, size"
            " and dimensions in `files`, not the file."
            if images_option == "none"
            else f" built with the {images_option} files embedded in the `image` column, for"
            " private or permitted use only: do not publish it."
        )
        + " Use it for non-commercial research.",
        "",
        "## How to rebuild the images",
        "",
        f"`ids.txt` lists every image id of this release. With the crawler ({TOOL}):",
        "",
        "```sh",
        "scrapy crawl images -a image_ids=@ids.txt -a full_res=1",
        "```",
        "",
        "fetches each image page and its files into `data/images/thumbs/` and"
        " `data/images/full/`; compare each file's SHA-256 with the `sha256` of its entry in"
        f" `files` to check it is the same file ({facts['files'].get('thumb', 0)} thumbnails"
        f" and {facts['files'].get('full', 0)} full-size files have one here).",
        "",
        "## Citation",
        "",
        "Please cite AVA, the dataset this one extends, and the crawler:",
        "",
        "```bibtex",
        citation(manifest["project_version"]),
        "```",
        "",
    ]
    return "\n".join(out)


def write_card(out: Path, configs: dict[str, dict], manifest: dict, facts: dict) -> None:
    header = card_data(configs, manifest["counts"]["images"]).to_yaml()
    text = f"---\n{header}\n---\n\n{body(configs, manifest, facts)}"
    (out / "README.md").write_text(text, encoding="utf-8")
