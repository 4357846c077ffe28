from riskmap.cli import main

raise SystemExit(main())
