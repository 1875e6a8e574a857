"""`dpc` and `python -m dpchallenge`: Scrapy's command line with this project's settings, from any
folder.

`scrapy` finds a project through the scrapy.cfg of the current folder or a parent, so it knows
this project's commands only inside the checkout; `dpc` names the settings module itself.
Relative paths, such as the default DPC_DATA_DIR `data`, stay relative to the current folder.
"""

from __future__ import annotations

import os
import sys

SETTINGS_MODULE = "dpchallenge.settings"


def main(argv: list[str] | None = None) -> None:
    # Imported here so that the variable is set before Scrapy looks for a project.
    os.environ["SCRAPY_SETTINGS_MODULE"] = SETTINGS_MODULE
    from scrapy.cmdline import execute

    execute(["dpc", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
