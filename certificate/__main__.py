"""``python -m certificate``: the certification officer's and verifier's command line."""

from certificate.cli import main

raise SystemExit(main())
