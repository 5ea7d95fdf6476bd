"""``python -m ddsecrets_cli``: the same as the ``ddsecrets`` console script."""

from ddsecrets_cli.main import main

raise SystemExit(main())
