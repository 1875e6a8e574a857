"""`scrapy export FORMAT --out DIR`: the crawl as ava, parquet, imagefolder, webdataset, pyiqa or
hf, or reconciled with an AVA.txt."""

from __future__ import annotations

import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand

from dpchallenge.data.layout import image_store
from dpchallenge.dataset.source import DataError, OutRefused
from dpchallenge.dataset.splits import parse_fractions


def exports():
    """The export code, imported when a command runs: Scrapy loads every project command for
    each crawl, and this brings pyarrow and numpy (~38 MB)."""
    from dpchallenge.dataset import export

    return export


def data_paths(settings) -> tuple[Path, Path]:
    data_dir = Path(settings.get("DPC_DATA_DIR") or "data")
    store = image_store(settings, data_dir)
    if "://" in store:
        raise DataError(f"IMAGES_STORE {store}: the exports read a local image store only")
    return data_dir, Path(store)


def fail(command: ScrapyCommand, message: str, code: int) -> None:
    print(f"scrapy {command.name}: {message}", file=sys.stderr)
    command.exitcode = code


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings = {"LOG_ENABLED": False}
    name = "export"

    def syntax(self) -> str:
        return f"{{{'|'.join(formats())}}} --out DIR [options]"

    def short_desc(self) -> str:
        return "Export the crawl in DPC_DATA_DIR as a dataset"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("--out", metavar="DIR", help="the folder to write (required)")
        parser.add_argument(
            "--splits", default="0.8,0.1,0.1", help="train,validation,test fractions"
        )
        parser.add_argument("--seed", default="0", help="the split's seed (default 0)")
        parser.add_argument(
            "--files", default="full", help="full|thumb: the file imagefolder and webdataset use"
        )
        parser.add_argument("--ava-txt", metavar="PATH", help="the original AVA.txt")
        parser.add_argument("--new-since-ava", action="store_true", help="only images AVA lacks")
        parser.add_argument(
            "--balance", action="store_true", help="even the train split over MOS bins"
        )
        parser.add_argument("--min-votes", metavar="N", help="leave out images with fewer votes")
        parser.add_argument("--shard-size", default="10000", help="samples per webdataset shard")
        parser.add_argument(
            "--ava-tags", metavar="PATH", help="AVA's tags.txt: galleries as AVA tag ids"
        )
        parser.add_argument(
            "--ava-test-list", metavar="PATH", help="pyiqa: AVA's test ids (generic_test.jpgl)"
        )
        parser.add_argument("--images", default="none", help="hf: none|thumb|full files embedded")
        parser.add_argument("--shard-mb", default="500", help="hf: most MB per Parquet shard")

    def options(self, args, opts) -> tuple[str, object] | None:
        known = formats()
        if len(args) != 1 or args[0] not in known:
            given = " ".join(args) or "nothing"
            fail(
                self,
                f"expected one format of {', '.join(known)} (and known options), got {given}",
                2,
            )
            return None
        if not opts.out:
            fail(self, "--out DIR is required", 2)
            return None
        try:
            options = exports().Options(
                splits=parse_fractions(opts.splits),
                seed=_integer("--seed", opts.seed),
                files=opts.files,
                ava_txt=opts.ava_txt,
                new_since_ava=opts.new_since_ava,
                balance=opts.balance,
                min_votes=None
                if opts.min_votes is None
                else _integer("--min-votes", opts.min_votes),
                shard_size=_integer("--shard-size", opts.shard_size, minimum=1),
                ava_tags=opts.ava_tags,
                ava_test_list=opts.ava_test_list,
                images=opts.images,
                shard_mb=_integer("--shard-mb", opts.shard_mb, minimum=1),
            )
        except ValueError as error:
            fail(self, str(error), 2)
            return None
        if options.files not in ("full", "thumb"):
            fail(self, f"--files {options.files!r}: expected full or thumb", 2)
            return None
        if options.images not in ("none", "thumb", "full"):
            fail(self, f"--images {options.images!r}: expected none, thumb or full", 2)
            return None
        if options.new_since_ava and not options.ava_txt:
            fail(self, "--new-since-ava needs --ava-txt PATH", 2)
            return None
        if args[0] == "reconcile" and not options.ava_txt:
            fail(self, "reconcile needs --ava-txt PATH (the AVA.txt to compare)", 2)
            return None
        return args[0], options

    def run(self, args, opts) -> None:
        parsed = self.options(args, opts)
        if parsed is None:
            return
        fmt, options = parsed
        if fmt == "reconcile":
            self.reconcile(options.ava_txt, opts.out)
            return
        try:
            data_dir, store = data_paths(self.settings)
            exporter = exports().Exporter(data_dir, store, fmt, options)
            manifest = exporter.run(opts.out)
        except DataError as error:
            fail(self, str(error), 2 if isinstance(error, OutRefused) else 1)
            return
        except OSError as error:
            fail(
                self,
                f"{getattr(error, 'filename', None) or opts.out}: {error.strerror or error}",
                1,
            )
            return
        self.exitcode = exports().report_problems(exporter, manifest)
        counts = manifest["counts"]
        split_text = ", ".join(f"{k} {v}" for k, v in counts["per_split"].items())
        left = sum(manifest["left_out"].values())
        print(
            f"{fmt}: {counts['images']} images ({split_text}), {left} left out -> {opts.out}",
            file=sys.stderr,
        )

    def reconcile(self, ava_txt: str, out: str) -> None:
        from dpchallenge.dataset.reconcile import write_reconcile

        try:
            data_dir, store = data_paths(self.settings)
            manifest, problems = write_reconcile(data_dir, store, ava_txt, out)
        except DataError as error:
            fail(self, str(error), 1)
            return
        except OSError as error:
            fail(self, f"{getattr(error, 'filename', None) or out}: {error.strerror or error}", 1)
            return
        for problem in problems.first:
            print(f"{problem}; skipped", file=sys.stderr)
        self.exitcode = 1 if problems else 0
        status = ", ".join(f"{n} {k}" for k, n in manifest["status"].items())
        print(f"reconcile: {manifest['lines']} AVA lines ({status}) -> {out}", file=sys.stderr)


def formats() -> list[str]:
    return [*exports().WRITERS, "reconcile"]


def _integer(option: str, text: str, minimum: int = 0) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{option} {text!r}: expected an integer") from None
    if value < minimum:
        raise ValueError(f"{option} {text!r}: expected at least {minimum}")
    return value
