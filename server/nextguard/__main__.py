"""`python -m nextguard` is `nextguard`."""

from .main import main

raise SystemExit(main())
