"""croissant.json for the Hugging Face folder: Croissant 1.1 JSON-LD with the RAI fields."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa

from dpchallenge.dataset.card import (
    DATASET_NAME,
    DESCRIPTION,
    LICENSE_TEXT,
    SITE_URL,
    citation,
    field_meanings,
)

CONFORMS_TO = "http://mlcommons.org/croissant/1.1"
# Croissant 1.1's @context, the rai prefix included: without it the RAI fields are not read
CONTEXT = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "equivalentProperty": "cr:equivalentProperty",
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}
SCALAR_TYPES = [
    (pa.types.is_boolean, "sc:Boolean"),
    (pa.types.is_integer, "sc:Integer"),
    (pa.types.is_floating, "sc:Float"),
    (pa.types.is_date, "sc:Date"),
    (pa.types.is_string, "sc:Text"),
]
RAI = {
    "rai:dataCollection": (
        "Crawled from www.dpchallenge.com's public pages with the dpchallenge Scrapy crawler:"
        " the challenge history list, each challenge's full results page and each image's page"
        " (statistics, camera information, comments), politely (robots.txt and its Crawl-delay,"
        " one request at a time, AutoThrottle, ban pages waited out)."
    ),
    "rai:dataCollectionType": ["Web Scraping"],
    "rai:dataAnnotationProtocol": (
        "Scores are the site's members' votes of 1-10 during each challenge's voting week;"
        " mos is computed from the ten vote counts where the image page shows them, else it is"
        " the site's own average. Nothing was annotated by the dataset's authors."
    ),
    "rai:dataBiases": (
        "The voters and photographers are the site's members (mostly English-speaking hobbyist"
        " photographers, 2002 onwards); each challenge's theme steers its images; scores are"
        " relative to the other entries of the same challenge; the vote histogram is shown to"
        " logged-in members only, so images crawled anonymously have mos from the site's"
        " average and no distribution."
    ),
    "rai:dataLimitations": (
        "Images removed or disqualified on the site lack files or scores; comments are as"
        " served at crawl time; camera fields are as photographers typed them. The images"
        " themselves are not included by default: their rights stay with the photographers."
    ),
    "rai:dataUseCases": (
        "Research in image aesthetics and image quality assessment: training and evaluating"
        " score predictors (as with AVA), score-distribution models, and critique or"
        " captioning models from the comments."
    ),
    "rai:personalSensitiveInformation": (
        "Member names and user ids of photographers and commenters, as the site shows them"
        " publicly; comment texts may mention people."
    ),
}


def data_type(kind: pa.DataType) -> tuple[str, bool] | None:
    """The Croissant type of a column and whether it is a list; None when it has no scalar
    type (lists of records: comments, files)."""
    is_array = pa.types.is_list(kind)
    if is_array:
        kind = kind.value_type
    for check, name in SCALAR_TYPES:
        if check(kind):
            return name, is_array
    return None


def record_set(name: str, schema: pa.Schema) -> dict:
    meanings = field_meanings(name) or {}
    fields = []
    for field in schema:
        if field.name == "image":
            typed = ("sc:ImageObject", False)
            extract = {"column": "image"}
            fields.append(
                {
                    "@type": "cr:Field",
                    "@id": f"{name}/image",
                    "name": "image",
                    "description": "the file's original bytes",
                    "dataType": "sc:ImageObject",
                    "source": {
                        "fileSet": {"@id": f"{name}-parquet"},
                        "extract": extract,
                        "transform": {"jsonPath": "bytes"},
                    },
                }
            )
            continue
        typed = data_type(field.type)
        if typed is None:
            continue
        described = {
            "@type": "cr:Field",
            "@id": f"{name}/{field.name}",
            "name": field.name,
            "description": meanings.get(field.name, field.name),
            "dataType": typed[0],
            "source": {"fileSet": {"@id": f"{name}-parquet"}, "extract": {"column": field.name}},
        }
        if typed[1]:
            described["isArray"] = True
            described["arrayShape"] = "-1"
        fields.append(described)
    return {
        "@type": "cr:RecordSet",
        "@id": name,
        "name": name,
        "description": f"the {name} table, one row per {name[:-1]}",
        "field": fields,
    }


def croissant(configs: dict[str, dict], manifest: dict) -> dict:
    created = manifest["created_at"][:10]
    distribution = [
        {
            "@type": "cr:FileSet",
            "@id": f"{name}-parquet",
            "name": f"{name}-parquet",
            "description": f"the {name} table's Parquet shards",
            "encodingFormat": "application/x-parquet",
            "includes": f"data/{name}/*.parquet",
        }
        for name in configs
    ]
    source = manifest["source"]
    return {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": DATASET_NAME,
        "description": DESCRIPTION,
        "url": SITE_URL,
        "license": LICENSE_TEXT,
        "datePublished": created,
        "dateCreated": (source.get("crawled_from") or created)[:10],
        "dateModified": (source.get("crawled_to") or created)[:10],
        "version": manifest["project_version"],
        "citeAs": citation(manifest["project_version"]),
        "keywords": ["image aesthetics", "image quality assessment", "AVA", "DPChallenge"],
        "isLiveDataset": False,
        "distribution": distribution,
        "recordSet": [record_set(name, info["schema"]) for name, info in configs.items()],
        **RAI,
        "rai:dataCollectionTimeFrame": [
            (source.get("crawled_from") or created)[:10],
            (source.get("crawled_to") or created)[:10],
        ],
    }


def write_croissant(out: Path, configs: dict[str, dict], manifest: dict) -> None:
    text = json.dumps(croissant(configs, manifest), indent=2, ensure_ascii=False)
    (out / "croissant.json").write_text(text + "\n", encoding="utf-8")
