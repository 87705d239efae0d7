"""`python -m nextguard` is `nextguard`."""

from .cli.main import main

raise SystemExit(main())
