"""``feedback-nlp analyze --chunksize N`` and ``--engine dask [--scheduler ADDRESS]``.

Kept apart from :mod:`feedback_nlp.cli.analyze` so that neither Dask nor the streaming
machinery is imported unless asked for.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from feedback_nlp.errors import ConfigError, OptionConflictError


def run_scaled(args: argparse.Namespace, config: Any, output: Path,
               progress: Any) -> tuple[Any, list[Path]]:
    """Run the streaming or Dask path; return the analysis and the report files written."""
    from feedback_nlp.cli._shared import column_kwargs, write_reports

    chunksize = getattr(args, "chunksize", None)
    engine = getattr(args, "engine", "local")
    if args.sample is not None:
        raise OptionConflictError("--sample cannot be combined with --chunksize or --engine dask.",
                          fix="use --sample alone for a quick look, or drop it.")
    if chunksize is not None and engine == "dask":
        raise OptionConflictError("--chunksize and --engine dask are two different ways to scale.",
                          fix="use --chunksize N on one machine, or --engine dask for a cluster.")
    if getattr(args, "scheduler", None) and engine != "dask":
        raise OptionConflictError("--scheduler needs --engine dask.", fix="add --engine dask.")
    columns = column_kwargs(args)
    columns.pop("sheet")
    if chunksize is not None:
        from feedback_nlp.streaming import analyze_stream

        if chunksize < 1:
            raise ConfigError(f"--chunksize {chunksize} must be a positive number of rows.",
                              fix="use e.g. --chunksize 50000.")
        result = analyze_stream(args.file, output, config=config, chunksize=chunksize,
                                delimiter=args.delimiter, encoding=args.encoding,
                                progress=progress, **columns)
        reports: list[Path] = []
        if not args.no_report:
            # The report reads the aggregates; documents/segments are on disk, not in memory.
            try:
                reports = write_reports(result, output, config.lang, progress)
            except (KeyError, ValueError) as exc:
                print(f"feedback-nlp: rapport non écrit en mode --chunksize ({exc}); "
                      "les tables sont dans le dossier de sortie.", file=sys.stderr)
        return result, reports

    result = _run_dask(args, config, columns, progress)
    result.save_into(output)
    reports = [] if args.no_report else write_reports(result, output, config.lang, progress)
    return result, reports


def _run_dask(args: argparse.Namespace, config: Any, columns: dict[str, Any], progress: Any) -> Any:
    from feedback_nlp.distributed import analyze_dask, read_dask

    keep = columns.pop("keep")
    roles = {role: name for role, name in columns.items() if name is not None}
    sheet = int(args.sheet) if args.sheet and str(args.sheet).isdigit() else args.sheet
    ddf = read_dask(args.file, delimiter=args.delimiter, encoding=args.encoding,
                    sheet=sheet, columns=roles)
    if ddf.npartitions < 8:  # a small file is one part: split it so every worker gets work
        ddf = ddf.repartition(npartitions=8)
    if args.scheduler:
        return analyze_dask(ddf, config=config, scheduler=args.scheduler, keep=keep,
                            progress=progress, **columns)
    from distributed import Client, LocalCluster

    # A local cluster is asked for to use the cores: n_jobs when set above 1, else all.
    workers = config.n_jobs if config.n_jobs > 1 else (os.cpu_count() or 1)
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        return analyze_dask(ddf, config=config, client=client, keep=keep, progress=progress,
                            **columns)
