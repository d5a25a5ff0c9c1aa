from cras_desk.cli import main

raise SystemExit(main())
