from phydemo.cli import main

raise SystemExit(main())
